"""The DRLC client's event table (``metering/drlc_events.py``) without Home Assistant.

The status sequence is reference §4.3 ("Client-side semantics", read in the Silicon Labs
client ``load-control-event-table.c``); values are asymmetric so a swapped field shows.
"""

from __future__ import annotations

import random

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.zha_device_pack.metering.drlc_events import (
    ENDED_MEMORY,
    ClientAttributes,
    EventState,
    EventTable,
    HeldEvent,
    OptError,
)
from custom_components.zha_device_pack.protocol.se_drlc import (
    CancelAllLoadControlEvents,
    CancelControl,
    CancelLoadControlEvent,
    CriticalityLevel,
    DeviceClass,
    EventControl,
    EventStatus,
    LoadControlEvent,
)

NOW = 800_000_000  # a UTCTime in 2025
WATER_HEATER_AND_STRIP = DeviceClass(0x0006)


class FixedRandom(random.Random):
    """randrange(n) = n * 2 // 3: a known delay inside every bound."""

    def randrange(self, *args: int, **_kwargs: object) -> int:  # type: ignore[override]
        return args[0] * 2 // 3


def event(
    issuer_event_id: int = 0x01020304,
    start: int = NOW + 600,
    duration: int = 30,
    **fields: object,
) -> LoadControlEvent:
    return LoadControlEvent(
        issuer_event_id=issuer_event_id,
        start_time=start,
        duration_minutes=duration,
        device_class=fields.pop("device_class", WATER_HEATER_AND_STRIP),  # type: ignore[arg-type]
        criticality_level=CriticalityLevel.LEVEL_2,
        **fields,  # type: ignore[arg-type]
    )


def statuses(reports: list) -> list[tuple[int, EventStatus]]:  # type: ignore[type-arg]
    return [(report.issuer_event_id, report.status) for report in reports]


def test_lifecycle_received_started_completed() -> None:
    table = EventTable()
    assert statuses(table.receive(event(), NOW, FixedRandom())) == [
        (0x01020304, EventStatus.RECEIVED)
    ]
    assert table.next_change() == NOW + 600
    assert table.advance(NOW + 599) == []
    assert statuses(table.advance(NOW + 600)) == [(0x01020304, EventStatus.STARTED)]
    assert table.events[0x01020304].state is EventState.ACTIVE
    assert table.participating()
    assert statuses(table.advance(NOW + 600 + 30 * 60)) == [
        (0x01020304, EventStatus.COMPLETED)
    ]
    assert table.events == {}
    # a late copy of the ended event (start "now": a retried GetScheduledEvents answer) is
    # that event again, not a new one; a day later its id is free again
    late = event(start=0)
    assert table.receive(late, NOW + 600 + 30 * 60 + 5, FixedRandom()) == []
    assert table.events == {}
    day_later = NOW + 600 + 30 * 60 + ENDED_MEMORY + 1
    assert statuses(table.receive(late, day_later, FixedRandom())) == [
        (0x01020304, EventStatus.RECEIVED)
    ]


def test_filtering_expiry_duplicate() -> None:
    table = EventTable(ClientAttributes(device_class_value=0x0001))
    assert table.receive(event(), NOW, FixedRandom()) == []  # no class in common
    table = EventTable(ClientAttributes(utility_enrollment_group=7))
    assert table.receive(event(utility_enrollment_group=5), NOW, FixedRandom()) == []
    assert statuses(
        table.receive(event(utility_enrollment_group=7), NOW, FixedRandom())
    ) == [(0x01020304, EventStatus.RECEIVED)]
    # the same id again, other fields: a duplicate, ignored
    assert table.receive(event(duration=45), NOW, FixedRandom()) == []
    assert table.events[0x01020304].event.duration_minutes == 30
    expired = table.receive(event(0x0A0B0C0D, start=NOW - 3600), NOW, FixedRandom())
    assert statuses(expired) == [(0x0A0B0C0D, EventStatus.REJECTED_EVENT_EXPIRED)]
    assert 0x0A0B0C0D not in table.events


def test_randomisation_moves_start_and_end() -> None:
    table = EventTable(
        ClientAttributes(
            start_randomization_minutes=10, duration_randomization_minutes=3
        )
    )
    control = EventControl.RANDOMIZE_START | EventControl.RANDOMIZE_END
    table.receive(event(event_control=control), NOW, FixedRandom())
    held = table.events[0x01020304]
    assert held.start_delay == 400  # 2/3 of 600 s
    assert held.end_delay == 120  # 2/3 of 180 s
    assert (held.start, held.end) == (NOW + 1000, NOW + 600 + 1800 + 400 + 120)


def test_supersession_scheduled_now_running_at_new_start() -> None:
    table = EventTable()
    table.receive(event(0x11, start=NOW), NOW, FixedRandom())
    table.advance(NOW)  # 0x11 runs
    table.receive(event(0x22, start=NOW + 3600), NOW, FixedRandom())  # scheduled
    reports = table.receive(
        event(0x33, start=NOW + 1200, duration=60), NOW, FixedRandom()
    )
    # 0x22 had not started: superseded at once; 0x11 runs until 0x33 starts
    assert statuses(reports) == [
        (0x33, EventStatus.RECEIVED),
        (0x22, EventStatus.SUPERSEDED),
    ]
    assert statuses(table.advance(NOW + 1200)) == [
        (0x11, EventStatus.SUPERSEDED),
        (0x33, EventStatus.STARTED),
    ]
    # no common device class: both run
    other = table.receive(
        event(0x44, start=NOW + 1300, device_class=DeviceClass.EXTERIOR_LIGHTING),
        NOW + 1200,
        FixedRandom(),
    )
    assert statuses(other) == [(0x44, EventStatus.RECEIVED)]


def test_cancel_and_cancel_all() -> None:
    table = EventTable(ClientAttributes(duration_randomization_minutes=2))
    table.receive(event(0x11, start=NOW), NOW, FixedRandom())
    table.receive(event(0x22, start=NOW + 3600), NOW, FixedRandom())  # after 0x11
    table.advance(NOW)
    assert statuses(
        table.cancel(CancelLoadControlEvent(issuer_event_id=0x99), NOW)
    ) == [(0x99, EventStatus.REJECTED_INVALID_CANCEL_UNDEFINED_EVENT)]
    late = CancelLoadControlEvent(issuer_event_id=0x11, effective_time=NOW + 7200)
    assert statuses(table.cancel(late, NOW)) == [
        (0x11, EventStatus.REJECTED_INVALID_CANCEL_EFFECTIVE_TIME)
    ]
    # the running event: with randomisation it ends after its own end delay (none: 0)
    graceful = CancelLoadControlEvent(
        issuer_event_id=0x11, cancel_control=CancelControl.TERMINATE_WITH_RANDOMIZATION
    )
    assert statuses(table.cancel(graceful, NOW + 60)) == [(0x11, EventStatus.CANCELLED)]
    assert statuses(table.cancel_all(CancelAllLoadControlEvents(), NOW + 60)) == [
        (0x22, EventStatus.CANCELLED)
    ]
    assert table.events == {}


def test_cancel_with_randomisation_waits_for_the_end_delay() -> None:
    table = EventTable(ClientAttributes(duration_randomization_minutes=3))
    table.receive(
        event(0x11, start=NOW, event_control=EventControl.RANDOMIZE_END),
        NOW,
        FixedRandom(),
    )
    table.advance(NOW)
    cancel = CancelLoadControlEvent(
        issuer_event_id=0x11, cancel_control=CancelControl.TERMINATE_WITH_RANDOMIZATION
    )
    assert table.cancel(cancel, NOW + 60) == []
    assert table.next_change() == NOW + 60 + 120
    assert statuses(table.advance(NOW + 180)) == [(0x11, EventStatus.CANCELLED)]


@pytest.mark.parametrize(
    ("opt_out_at", "statuses_after"),
    [
        # opted out before the start: 0x04 now and at the start, 0x0A at the end
        (
            NOW,
            [EventStatus.USER_OPTED_OUT, EventStatus.COMPLETED_NO_USER_PARTICIPATION],
        ),
        # opted out while running: 0x08 at the end
        (NOW + 700, [EventStatus.PARTIALLY_COMPLETED_WITH_USER_OPT_OUT]),
    ],
)
def test_opt_out(opt_out_at: int, statuses_after: list[EventStatus]) -> None:
    table = EventTable()
    table.receive(event(), NOW, FixedRandom())
    reports = table.advance(opt_out_at)
    report = table.opt(0x01020304, opt_in=False)
    assert report.status is EventStatus.USER_OPTED_OUT
    with pytest.raises(OptError, match="already"):
        table.opt(0x01020304, opt_in=False)
    with pytest.raises(OptError, match="unknown"):
        table.opt(0x0BADBEEF, opt_in=True)
    assert not table.participating()
    reports = table.advance(NOW + 600 + 30 * 60)
    assert [r.status for r in reports] == statuses_after


def test_opt_in_again_while_running() -> None:
    table = EventTable()
    table.receive(event(), NOW, FixedRandom())
    table.opt(0x01020304, opt_in=False)
    table.advance(NOW + 600)
    assert table.opt(0x01020304, opt_in=True).status is EventStatus.USER_OPTED_IN
    assert [r.status for r in table.advance(NOW + 7200)] == [
        EventStatus.PARTIALLY_COMPLETED_DUE_TO_USER_OPT_IN
    ]


def test_stored_round_trip_and_drop_finished() -> None:
    table = EventTable()
    table.receive(
        event(cooling_temperature_set_point=2650, duty_cycle=60), NOW, FixedRandom()
    )
    table.opt(0x01020304, opt_in=False)
    held = table.events[0x01020304]
    assert HeldEvent.from_dict(held.as_dict()) == held
    table.drop_finished(held.end)
    assert table.events == {}


_operations = st.lists(
    st.tuples(
        st.sampled_from(["event", "cancel", "cancel_all", "opt", "tick"]),
        st.integers(1, 4),  # issuer event id
        st.integers(0, 7200),  # seconds on
        st.integers(1, 90),  # duration
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(_operations, st.integers(0, 2**32))
def test_every_received_event_ends_once(operations: list, seed: int) -> None:  # type: ignore[type-arg]
    """Whatever the ESI and the user do, an accepted event gets exactly one final status."""
    finals = {
        EventStatus.COMPLETED,
        EventStatus.PARTIALLY_COMPLETED_WITH_USER_OPT_OUT,
        EventStatus.PARTIALLY_COMPLETED_DUE_TO_USER_OPT_IN,
        EventStatus.COMPLETED_NO_USER_PARTICIPATION,
        EventStatus.CANCELLED,
        EventStatus.SUPERSEDED,
    }
    table = EventTable(
        ClientAttributes(
            start_randomization_minutes=5, duration_randomization_minutes=5
        )
    )
    rng = random.Random(seed)  # noqa: S311  # drawn by hypothesis
    now = NOW
    running: set[int] = set()

    def account(reports: list) -> None:  # type: ignore[type-arg]
        for report in reports:
            if report.status is EventStatus.RECEIVED:
                assert report.issuer_event_id not in running
                running.add(report.issuer_event_id)
            elif report.status in finals:
                running.remove(report.issuer_event_id)

    for kind, event_id, later, duration in operations:
        now += later
        if kind == "event":
            control = EventControl.RANDOMIZE_START | EventControl.RANDOMIZE_END
            reports = table.receive(
                event(
                    event_id,
                    start=now + later,
                    duration=duration,
                    event_control=control,
                ),
                now,
                rng,
            )
        elif kind == "cancel":
            cancel = CancelLoadControlEvent(
                issuer_event_id=event_id, cancel_control=CancelControl(later % 2)
            )
            reports = table.cancel(cancel, now)
        elif kind == "cancel_all":
            reports = table.cancel_all(
                CancelAllLoadControlEvents(CancelControl(later % 2)), now
            )
        elif kind == "opt":
            try:
                reports = [table.opt(event_id, opt_in=bool(later % 2))]
            except OptError:
                reports = []
        else:
            reports = table.advance(now)
        account(reports)
        assert set(table.events) == running
        assert all(held.start <= held.end for held in table.events.values())
    account(table.advance(now + 10**6))
    assert table.events == {}
    assert running == set()
