"""Tests of the Time cluster values written to a Danfoss Ally TRV."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from zigpy.zcl.clusters.general import Time

from custom_components.zha_device_pack.protocol.zcl_time import (
    ZCL_EPOCH,
    ZclTimeAttributes,
    ZclTimeError,
    danfoss_time_attributes,
    next_time_write,
    zcl_seconds,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")

# ZCL seconds by hand: 2000-01-01 to 2026-01-01 is 26 years with 7 leap days (2000 ... 2024),
# 26 x 365 + 7 = 9497 days, 9497 x 86400 = 820540800. A date in 2026 adds its day of the year
# (Jan 31, Feb 28, Mar 31, Apr 30, May 31, Jun 30, Jul 31, Aug 31, Sep 30, Oct 31, Nov 30).
YEAR_2026 = 820540800
YEAR_2027 = 852076800  # + 365 x 86400
NOV_30_0700 = 849337200  # day 333 (304 + 29): 820540800 + 333 x 86400 + 7 x 3600
JUL_01_1200 = 836222400  # day 181: 820540800 + 181 x 86400 + 12 x 3600
AUTUMN = datetime(2026, 11, 30, 7, tzinfo=UTC)
SUMMER = datetime(2026, 7, 1, 12, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 1, tzinfo=UTC)
FEB_01 = 823219200  # day 31: 820540800 + 31 x 86400

# Europe/Berlin 2026: CEST from the last Sunday of March, 2026-03-29 01:00 UTC (day 87), to
# the last Sunday of October, 2026-10-25 01:00 UTC (day 297); DstEnd is the last CEST second.
BERLIN_DST = (828061200, 846205199)  # 87 x 86400 + 3600, 297 x 86400 + 3600 - 1
# America/New_York 2026: EDT from 2026-03-08 02:00 EST = 07:00 UTC (day 66) to 2026-11-01
# 02:00 EDT = 06:00 UTC (day 304).
NEW_YORK_DST = (
    826268400,
    846827999,
)  # 66 x 86400 + 7 x 3600, 304 x 86400 + 6 x 3600 - 1
# Australia/Sydney 2026: AEDT until 2026-04-05 03:00 AEDT = 2026-04-04 16:00 UTC (day 93),
# again from 2026-10-04 02:00 AEST = 2026-10-03 16:00 UTC (day 275) into 2027: two stretches of
# the UTC year, the second cut at its last second.
SYDNEY_DST_JANUARY = (YEAR_2026, 828633599)  # 93 x 86400 + 16 x 3600 - 1
SYDNEY_DST_OCTOBER = (844358400, YEAR_2027 - 1)  # 275 x 86400 + 16 x 3600


@pytest.mark.parametrize(
    ("zone", "now", "expected", "next_write"),
    [
        pytest.param(
            BERLIN,
            AUTUMN,
            ZclTimeAttributes(NOV_30_0700, 0x02, 3600, *BERLIN_DST, 3600),
            datetime(2027, 1, 1, tzinfo=UTC),
            id="berlin-after-dst-keeps-this-years",
        ),
        pytest.param(
            BERLIN,
            SUMMER,
            ZclTimeAttributes(JUL_01_1200, 0x02, 3600, *BERLIN_DST, 3600),
            datetime(2027, 1, 1, tzinfo=UTC),
            id="berlin-in-dst",
        ),
        pytest.param(
            NEW_YORK,
            AUTUMN,
            ZclTimeAttributes(NOV_30_0700, 0x02, -18000, *NEW_YORK_DST, 3600),
            datetime(2027, 1, 1, tzinfo=UTC),
            id="new-york-after-dst",
        ),
        pytest.param(
            NEW_YORK,
            SUMMER,
            ZclTimeAttributes(JUL_01_1200, 0x02, -18000, *NEW_YORK_DST, 3600),
            datetime(2027, 1, 1, tzinfo=UTC),
            id="new-york-in-dst",
        ),
        pytest.param(
            SYDNEY,
            AUTUMN,
            ZclTimeAttributes(NOV_30_0700, 0x02, 36000, *SYDNEY_DST_OCTOBER, 3600),
            datetime(2027, 1, 1, tzinfo=UTC),
            id="sydney-in-october-stretch",
        ),
        pytest.param(
            SYDNEY,
            SUMMER,
            ZclTimeAttributes(JUL_01_1200, 0x02, 36000, *SYDNEY_DST_OCTOBER, 3600),
            datetime(2027, 1, 1, tzinfo=UTC),
            id="sydney-winter-gets-the-coming-stretch",
        ),
        pytest.param(
            SYDNEY,
            FEBRUARY,
            ZclTimeAttributes(FEB_01, 0x02, 36000, *SYDNEY_DST_JANUARY, 3600),
            datetime(2026, 4, 4, 16, tzinfo=UTC),
            id="sydney-in-january-stretch",
        ),
        pytest.param(
            KOLKATA,
            AUTUMN,
            ZclTimeAttributes(NOV_30_0700, 0x02, 19800, YEAR_2026, YEAR_2027 - 1, 0),
            datetime(2027, 1, 1, tzinfo=UTC),
            id="kolkata-no-dst",
        ),
        pytest.param(
            KOLKATA,
            SUMMER,
            ZclTimeAttributes(JUL_01_1200, 0x02, 19800, YEAR_2026, YEAR_2027 - 1, 0),
            datetime(2027, 1, 1, tzinfo=UTC),
            id="kolkata-summer",
        ),
    ],
)
def test_exact_values(
    zone: ZoneInfo, now: datetime, expected: ZclTimeAttributes, next_write: datetime
) -> None:
    assert danfoss_time_attributes(zone, now) == expected
    assert next_time_write(zone, now) == next_write


def test_time_zone_is_east_positive_standard_offset() -> None:
    # zha-quirks wrote time.timezone (seconds west): -3600 for Berlin; the ZCL adds TimeZone.
    assert danfoss_time_attributes(BERLIN, SUMMER).time_zone == 3600
    assert danfoss_time_attributes(NEW_YORK, SUMMER).time_zone == -18000


def test_negative_dst_zone_uses_the_lower_offset() -> None:
    # zoneinfo gives Europe/Dublin dst() == -1 h in winter (IST is its legal standard time);
    # the TRV only needs GMT plus a +1 h shift in summer.
    attributes = danfoss_time_attributes(ZoneInfo("Europe/Dublin"), AUTUMN)
    assert (attributes.time_zone, attributes.dst_shift) == (0, 3600)
    assert (attributes.dst_start, attributes.dst_end) == BERLIN_DST  # same EU instants


def test_half_hour_dst_falls_back_to_the_current_offset() -> None:
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    # +10:30 standard, +11:00 in summer: a 30-minute shift the TRV cannot apply.
    assert danfoss_time_attributes(lord_howe, SUMMER).as_attributes() | {"time": 0} == {
        "time": 0,
        "time_status": 0x02,
        "time_zone": 37800,
        "dst_start": YEAR_2026,
        "dst_end": YEAR_2027 - 1,
        "dst_shift": 0,
    }
    # Rewritten at the change, 2026-10-04 02:00 +10:30 = 2026-10-03 15:30 UTC.
    assert next_time_write(lord_howe, SUMMER) == datetime(
        2026, 10, 3, 15, 30, tzinfo=UTC
    )


def test_time_is_whole_seconds_and_any_aware_now_works() -> None:
    now = datetime(2026, 7, 1, 14, 0, 0, 999_999, tzinfo=BERLIN)  # 12:00 UTC
    assert danfoss_time_attributes(BERLIN, now).time == JUL_01_1200
    assert zcl_seconds(ZCL_EPOCH) == 0


def test_attribute_names_are_zigpys() -> None:
    attributes = danfoss_time_attributes(NEW_YORK, SUMMER).as_attributes()
    defs = Time.AttributeDefs
    for name, value in attributes.items():
        # every value fits its ZCL type (int32s for time_zone and dst_shift)
        assert getattr(defs, name).type(value) == value


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(datetime(2026, 7, 1), id="naive"),
        pytest.param(datetime(1999, 12, 31, 23, tzinfo=UTC), id="before-2000"),
        pytest.param(datetime(2136, 1, 1, tzinfo=UTC), id="year-end-past-uint32"),
    ],
)
def test_rejected_instants(now: datetime) -> None:
    with pytest.raises(ZclTimeError):
        danfoss_time_attributes(BERLIN, now)
    with pytest.raises(ZclTimeError):
        next_time_write(BERLIN, now)


def test_last_year_of_the_zcl_range() -> None:
    attributes = danfoss_time_attributes(BERLIN, datetime(2135, 6, 1, tzinfo=UTC))
    assert attributes.dst_end < 0xFFFFFFFF


# --- the whole year, as the TRV computes LocalTime --------------------------------------------

SWEEP_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Europe/Dublin",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Antarctica/Troll",
]
STATE_KEYS = ("time_zone", "dst_start", "dst_end", "dst_shift")


def trv_local_time(attributes: ZclTimeAttributes, utc: int) -> int:
    """LocalTime as the TRV keeps it: "Time+Timezone+DST" [SPEC p.4].

    The ZCL applies DstShift while DstStart <= Time <= DstEnd; Danfoss: "the DST shift will
    always be 1 hour or 0".
    """
    shift = 3600 if attributes.dst_shift else 0
    in_dst = attributes.dst_start <= utc <= attributes.dst_end
    return utc + attributes.time_zone + (shift if in_dst else 0)


def wall_clock(zone: ZoneInfo, instant: datetime) -> int:
    """The zone's wall clock, counted like LocalTime from 2000-01-01 00:00."""
    local = instant.astimezone(zone).replace(tzinfo=None)
    return (local - datetime(2000, 1, 1)) // timedelta(seconds=1)


def sweep() -> list[datetime]:
    """Every hour from 2025-12-31 to 2027-01-02 UTC, at :00:00, :29:59, :30:00 and :59:59.

    The zones above change offset on the hour or the half hour (UTC): the samples include the
    last second before each change and the first after it.
    """
    start = datetime(2025, 12, 31, tzinfo=UTC)
    offsets = [timedelta(0), timedelta(minutes=29, seconds=59)]
    offsets += [timedelta(minutes=30), timedelta(minutes=59, seconds=59)]
    return [
        start + timedelta(hours=hour) + offset
        for hour in range(24 * (365 + 2))
        for offset in offsets
    ]


def state(attributes: ZclTimeAttributes) -> tuple[int, ...]:
    return tuple(getattr(attributes, key) for key in STATE_KEYS)


@pytest.mark.parametrize("zone_name", SWEEP_ZONES)
def test_sweep_written_at_every_instant(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    for instant in sweep():
        attributes = danfoss_time_attributes(zone, instant)
        utc = zcl_seconds(instant)
        assert trv_local_time(attributes, utc) == wall_clock(zone, instant), instant
        # Danfoss [SPEC p.4]: TimeStatus bits above 3 invalid; DstStart before DstEnd and in
        # the same year (here: the year of Time); the shift 1 hour or 0.
        assert attributes.time == utc
        assert attributes.time_status == 0x02
        assert -86400 <= attributes.time_zone <= 86400
        assert attributes.dst_shift in (0, 3600)
        start = ZCL_EPOCH + timedelta(seconds=attributes.dst_start)
        end = ZCL_EPOCH + timedelta(seconds=attributes.dst_end)
        assert start < end
        assert start.year == end.year == instant.year


@pytest.mark.parametrize("zone_name", SWEEP_ZONES)
def test_sweep_written_only_when_next_time_write_says(zone_name: str) -> None:
    # The TRV keeps what was written last: one write at the start, then one at each
    # next_time_write (no daily write at all), and its clock stays on the wall clock.
    zone = ZoneInfo(zone_name)
    instants = sweep()
    written = danfoss_time_attributes(zone, instants[0])
    due = next_time_write(zone, instants[0])
    writes = 1
    for instant in instants:
        while instant >= due:
            written = danfoss_time_attributes(zone, due)
            due = next_time_write(zone, due)
            writes += 1
        assert trv_local_time(written, zcl_seconds(instant)) == wall_clock(
            zone, instant
        ), instant
    assert writes <= 6


@pytest.mark.parametrize("zone_name", SWEEP_ZONES)
def test_next_time_write_is_when_the_values_change(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    for instant in sweep()[::4]:
        due = next_time_write(zone, instant)
        assert due > instant
        now_state = state(danfoss_time_attributes(zone, instant))
        assert state(danfoss_time_attributes(zone, due - timedelta(seconds=1))) == (
            now_state
        )
        assert state(danfoss_time_attributes(zone, due)) != now_state


def test_sydney_is_an_hour_behind_until_the_new_year_write_lands() -> None:
    # The documented gap: the October stretch ends with the UTC year, so until the write at
    # 2027-01-01 00:00 UTC (11:00 local) lands, the TRV runs on standard time.
    written = danfoss_time_attributes(SYDNEY, datetime(2026, 12, 31, 23, tzinfo=UTC))
    boundary = datetime(2027, 1, 1, tzinfo=UTC)
    last_second = boundary - timedelta(seconds=1)
    assert trv_local_time(written, zcl_seconds(last_second)) == wall_clock(
        SYDNEY, last_second
    )
    late = boundary + timedelta(seconds=7)  # one long poll later
    assert trv_local_time(written, zcl_seconds(late)) == wall_clock(SYDNEY, late) - 3600
    # A write at local midnight (31 December 13:00 UTC) would rewrite the old stretch.
    midnight = datetime(2027, 1, 1, tzinfo=SYDNEY)
    assert state(danfoss_time_attributes(SYDNEY, midnight)) == state(written)


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK, KOLKATA])
def test_northern_and_no_dst_zones_have_no_new_year_gap(zone: ZoneInfo) -> None:
    written = danfoss_time_attributes(zone, datetime(2026, 12, 31, 12, tzinfo=UTC))
    for hours in range(24 * 60):  # two months on last year's values
        instant = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(hours=hours)
        assert trv_local_time(written, zcl_seconds(instant)) == wall_clock(
            zone, instant
        )
