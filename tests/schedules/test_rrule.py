"""RRULEs a device can repeat until deleted, and the reasons for refusing the others."""

from __future__ import annotations

import pytest

from custom_components.zha_device_pack.schedules.rrule import (
    EndlessRule,
    UnrepresentableEventError,
    parse_endless_rule,
)

WEEKLY_BYDAY = {"WEEKLY": ("BYDAY",), "MONTHLY": ("BYMONTHDAY",), "DAILY": ()}


def test_parts_as_written() -> None:
    rule = parse_endless_rule("freq=weekly;byday=TH,MO;wkst=SU", WEEKLY_BYDAY)
    assert rule == EndlessRule(
        rrule="freq=weekly;byday=TH,MO;wkst=SU",
        freq="WEEKLY",
        interval=1,
        byday="TH,MO",
        bymonthday=None,
    )
    assert rule.byday_bits() == 0x12
    monthly = parse_endless_rule("FREQ=MONTHLY;BYMONTHDAY=3,-1", WEEKLY_BYDAY)
    assert monthly.month_days(default=9) == frozenset({3, -1})
    assert parse_endless_rule("FREQ=MONTHLY", WEEKLY_BYDAY).month_days(9) == {9}
    assert parse_endless_rule("FREQ=DAILY;INTERVAL=3", WEEKLY_BYDAY).interval == 3


@pytest.mark.parametrize(
    ("rrule", "supported", "reason", "placeholders"),
    [
        ("FREQ=DAILY;COUNT=3", WEEKLY_BYDAY, "rrule_count_until", {"part": "COUNT=3"}),
        (
            "FREQ=WEEKLY;UNTIL=20270101T000000Z",
            WEEKLY_BYDAY,
            "rrule_count_until",
            {"part": "UNTIL=20270101T000000Z"},
        ),
        ("FREQ=HOURLY", WEEKLY_BYDAY, "rrule_unsupported_freq", {"freq": "HOURLY"}),
        (
            "FREQ=DAILY",
            {"WEEKLY": ("BYDAY",)},
            "rrule_unsupported_freq",
            {"freq": "DAILY"},
        ),
        (
            "FREQ=DAILY;BYDAY=MO",
            WEEKLY_BYDAY,
            "rrule_unsupported_part",
            {"part": "BYDAY"},
        ),
        (
            "FREQ=WEEKLY;EXDATE=20270104",
            WEEKLY_BYDAY,
            "rrule_unsupported_part",
            {"part": "EXDATE"},
        ),
        (
            "FREQ=FORTNIGHTLY",
            WEEKLY_BYDAY,
            "rrule_unparsable",
            {"rrule": "FREQ=FORTNIGHTLY"},
        ),
        (
            "FREQ=DAILY;INTERVAL=0",
            WEEKLY_BYDAY,
            "rrule_unparsable",
            {"rrule": "FREQ=DAILY;INTERVAL=0"},
        ),
        (
            "FREQ=WEEKLY;WKST=XX",
            WEEKLY_BYDAY,
            "rrule_unparsable",
            {"rrule": "FREQ=WEEKLY;WKST=XX"},
        ),
        (
            "FREQ=DAILY;FREQ=WEEKLY",
            WEEKLY_BYDAY,
            "rrule_unparsable",
            {"rrule": "FREQ=DAILY;FREQ=WEEKLY"},
        ),
    ],
)
def test_refusals(
    rrule: str,
    supported: dict[str, tuple[str, ...]],
    reason: str,
    placeholders: dict[str, str],
) -> None:
    with pytest.raises(UnrepresentableEventError) as caught:
        parse_endless_rule(rrule, supported)
    assert (caught.value.reason, caught.value.placeholders) == (reason, placeholders)


def test_by_parts_are_checked_when_read() -> None:
    ordinal = parse_endless_rule("FREQ=WEEKLY;BYDAY=2MO", WEEKLY_BYDAY)
    with pytest.raises(UnrepresentableEventError) as caught:
        ordinal.byday_bits()
    assert (caught.value.reason, caught.value.placeholders) == (
        "rrule_byday_ordinal",
        {"day": "2MO"},
    )
    bad_day = parse_endless_rule("FREQ=MONTHLY;BYMONTHDAY=0,2", WEEKLY_BYDAY)
    with pytest.raises(UnrepresentableEventError) as caught:
        bad_day.month_days(default=1)
    assert caught.value.reason == "rrule_unparsable"
