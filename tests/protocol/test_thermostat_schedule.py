"""Tests of the ZCL weekly schedule codec with the Danfoss Ally limits."""

import re
from typing import Any

from hypothesis import given, strategies as st
import pytest
from zigpy.zcl.clusters.hvac import Thermostat

from custom_components.zha_device_pack.protocol.thermostat_schedule import (
    DaySchedule,
    ScheduleDecodeError,
    ScheduleError,
    Transition,
    WeeklySchedule,
    day_schedule_from_response,
    decode_schedule_payload,
    encode_set_weekly_schedule,
    frames_for,
    set_weekly_schedule_args,
    validate_day,
)
from tests.protocol.device_side import encode_weekly_schedule_response

SET_SCHEMA = Thermostat.ServerCommandDefs.set_weekly_schedule.schema
RESPONSE_SCHEMA = Thermostat.ClientCommandDefs.get_weekly_schedule_response.schema

SUN, MON, TUE, WED, THU, FRI, SAT = range(7)

# Mon + Thu (ZCL days bitmap bits 1 and 4: 0x12; reversed it would be Tue + Fri 0x24):
# 06:00 21.0 degC, 08:30 17.5 degC, 17:15 20.5 degC. Minutes and 0.01 degC, little-endian:
# 360 = 0x0168, 2100 = 0x0834, 510 = 0x01fe, 1750 = 0x06d6, 1035 = 0x040b, 2050 = 0x0802.
# Header: 3 transitions, days 0x12, mode 0x01 (heat).
WORKDAY = (Transition(360, 2100), Transition(510, 1750), Transition(1035, 2050))
WORKDAY_HEX = "03 12 01 6801 3408 fe01 d606 0b04 0208"
# Sunday (bit 0), one transition at 23:59 = 1439 = 0x059f to -5.00 degC = -500 = 0xfe0c.
NEGATIVE_HEX = "01 01 01 9f05 0cfe"
NEGATIVE = (Transition(1439, -500),)
WEEKEND = (Transition(450, 2150), Transition(1380, 1600))  # 07:30 21.5, 23:00 16.0
SUNDAY = (Transition(480, 2200),)  # 08:00 22.0


@pytest.mark.parametrize(
    ("hex_frame", "days", "day"),
    [
        pytest.param(WORKDAY_HEX, 0x12, WORKDAY, id="mon-thu"),
        pytest.param(NEGATIVE_HEX, 0x01, NEGATIVE, id="sunday-negative-last-minute"),
        # A day with no transitions: count 0, which empties the days written.
        pytest.param("00 40 01", 0x40, (), id="empty-saturday"),
    ],
)
def test_vectors(hex_frame: str, days: int, day: DaySchedule) -> None:
    frame = bytes.fromhex(hex_frame)
    assert encode_set_weekly_schedule(days, day) == frame
    assert decode_schedule_payload(frame) == (days, day)
    # zigpy builds the same bytes from our keyword arguments, and parses them back to ours.
    args = set_weekly_schedule_args(days, day)
    assert SET_SCHEMA(**args).serialize() == frame
    parsed, rest = RESPONSE_SCHEMA.deserialize(frame)
    assert rest == b""
    assert day_schedule_from_response(parsed) == (days, day)


def test_zigpy_argument_names() -> None:
    assert set_weekly_schedule_args(0x12, WORKDAY) == {
        "num_transitions_for_sequence": 3,
        "day_of_week_for_sequence": 0x12,
        "mode_for_sequence": 0x01,
        "values": [360, 2100, 510, 1750, 1035, 2050],
    }


# --- frames ------------------------------------------------------------------------------------


def test_workweek_is_three_frames_by_lowest_day() -> None:
    schedule = WeeklySchedule(
        {
            SAT: WEEKEND,
            MON: WORKDAY,
            TUE: WORKDAY,
            WED: WORKDAY,
            THU: WORKDAY,
            FRI: WORKDAY,
            SUN: SUNDAY,
        }
    )
    assert frames_for(schedule) == [(0x01, SUNDAY), (0x3E, WORKDAY), (0x40, WEEKEND)]


def test_seven_equal_days_are_one_frame() -> None:
    assert frames_for(WeeklySchedule(dict.fromkeys(range(7), WORKDAY))) == [
        (0x7F, WORKDAY)
    ]


def test_only_the_given_days_get_frames() -> None:
    # A plain mapping works too, in any insertion order; an empty day gets its own frame.
    assert frames_for({FRI: (), THU: WORKDAY, MON: WORKDAY, TUE: ()}) == [
        (0x12, WORKDAY),
        (0x24, ()),
    ]
    assert frames_for({}) == []


def test_frames_check_every_day_before_any_frame() -> None:
    with pytest.raises(ScheduleError) as err:
        frames_for({MON: WORKDAY, SAT: tuple(reversed(WORKDAY))})
    assert err.value.reason == "unsorted_times"
    with pytest.raises(ScheduleError) as err:
        frames_for({7: WORKDAY})
    assert err.value.reason == "invalid_day_bit"


def test_weekly_schedule_is_a_frozen_mapping() -> None:
    schedule = WeeklySchedule({THU: WORKDAY, MON: list(WORKDAY)})
    assert list(schedule) == [MON, THU]
    assert schedule[MON] == WORKDAY
    assert schedule == {MON: WORKDAY, THU: WORKDAY}
    assert hash(schedule) == hash(WeeklySchedule({MON: WORKDAY, THU: WORKDAY}))
    assert not hasattr(schedule, "__setitem__")
    with pytest.raises(AttributeError):
        schedule.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(ScheduleError) as err:
        WeeklySchedule({7: WORKDAY})  # bit 7 is "away", not a day
    assert err.value.placeholders == {"bit": "7"}
    with pytest.raises(ScheduleError) as err:
        WeeklySchedule({MON: [(360, 2100)]})  # type: ignore[list-item]
    assert err.value.reason == "invalid_transition"


# --- validation --------------------------------------------------------------------------------


def _validate(day: DaySchedule) -> None:
    validate_day(day, min_setpoint=500, max_setpoint=3500)


def test_valid_day_at_the_limits() -> None:
    _validate(())
    _validate(tuple(Transition(minutes, 500) for minutes in (0, 1, 2, 3, 4, 1439)))
    _validate((Transition(0, 3500),))


@pytest.mark.parametrize(
    ("day", "reason", "placeholders"),
    [
        pytest.param(
            tuple(Transition(60 * hour + 7, 2000) for hour in range(7)),
            "too_many_transitions",
            {"count": "7", "max": "6"},
            id="seven",
        ),
        pytest.param(
            (Transition(1035, 2050), Transition(510, 1750)),
            "unsorted_times",
            {"time": "08:30", "previous": "17:15"},
            id="unsorted",
        ),
        pytest.param(
            (Transition(360, 2100), Transition(360, 1750)),
            "duplicate_time",
            {"time": "06:00"},
            id="duplicate",
        ),
        pytest.param(
            (Transition(360, 2100), Transition(510, 3550)),
            "setpoint_out_of_range",
            {"setpoint": "35.5", "min": "5", "max": "35"},
            id="above-max",
        ),
        pytest.param(
            (Transition(360, 499),),
            "setpoint_out_of_range",
            {"setpoint": "4.99", "min": "5", "max": "35"},
            id="below-min",
        ),
    ],
)
def test_validation_errors(
    day: DaySchedule, reason: str, placeholders: dict[str, str]
) -> None:
    with pytest.raises(ScheduleError) as err:
        _validate(day)
    assert err.value.reason == reason
    assert err.value.placeholders == placeholders
    assert not isinstance(err.value, ScheduleDecodeError)


@pytest.mark.parametrize(
    ("minutes", "setpoint", "reason"),
    [
        (1440, 2000, "time_out_of_range"),
        (-1, 2000, "time_out_of_range"),
        (True, 2000, "time_out_of_range"),
        (360, 0x8000, "setpoint_out_of_range"),
        (360, -0x8001, "setpoint_out_of_range"),
        (360, 20.5, "invalid_transition"),
    ],
)
def test_transition_fits_the_frame(minutes: Any, setpoint: Any, reason: str) -> None:
    with pytest.raises(ScheduleError) as err:
        Transition(minutes, setpoint)
    assert err.value.reason == reason


@pytest.mark.parametrize("days", [0x00, 0x80, 0x92, 0x100, -1, True], ids=repr)
def test_encode_refuses_bad_days(days: int) -> None:
    with pytest.raises(ScheduleError) as err:
        encode_set_weekly_schedule(days, WORKDAY)
    assert err.value.reason == "invalid_days"
    with pytest.raises(ScheduleError):
        set_weekly_schedule_args(days, WORKDAY)


def test_encode_refuses_what_validation_refuses() -> None:
    with pytest.raises(ScheduleError) as err:
        encode_set_weekly_schedule(0x12, (WORKDAY[1], WORKDAY[0]))
    assert err.value.reason == "unsorted_times"
    with pytest.raises(ScheduleError) as err:
        set_weekly_schedule_args(0x12, (WORKDAY[0], WORKDAY[0]))
    assert err.value.reason == "duplicate_time"
    with pytest.raises(ScheduleError) as err:
        encode_set_weekly_schedule(0x12, [(360, 2100)])  # type: ignore[list-item]
    assert err.value.reason == "invalid_transition"


# --- decoding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hex_frame", "message"),
    [
        pytest.param("", "no 3-byte header", id="empty"),
        pytest.param("03 12", "no 3-byte header", id="truncated-header"),
        # Heat + cool: each transition would be (time, heat, cool), 6 bytes.
        pytest.param(
            "01 12 03 6801 3408 d606", "mode 0x03: only heat", id="heat-and-cool"
        ),
        pytest.param("01 12 02 6801 d606", "mode 0x02", id="cool-only"),
        pytest.param("00 12 00", "mode 0x00", id="no-mode"),
        pytest.param("01 12 81 6801 3408", "mode 0x81", id="reserved-mode-bit"),
        pytest.param("01 00 01 6801 3408", "days 0x00", id="no-day"),
        pytest.param("01 92 01 6801 3408", "days 0x92", id="vacation"),
        pytest.param(
            "02 12 01 6801 3408", "is 7 bytes, not 3 + 4 x 2 = 11", id="short"
        ),
        pytest.param("01 12 01 6801 3408 00", "is 8 bytes", id="trailing-byte"),
        pytest.param(
            "07 12 01" + " 0000 3408" * 7, "7 transitions, at most 6", id="seven"
        ),
        pytest.param("01 12 01 a005 3408", "time 1440", id="minute-1440"),
        pytest.param(
            "02 12 01 fe01 3408 6801 d606",
            "the transition at 06:00 comes after the one at 08:30",
            id="unsorted",
        ),
        pytest.param(
            "02 12 01 6801 3408 6801 d606", "two transitions at 06:00", id="dup"
        ),
    ],
)
def test_decode_rejects(hex_frame: str, message: str) -> None:
    with pytest.raises(ScheduleDecodeError, match=re.escape(message)) as err:
        decode_schedule_payload(bytes.fromhex(hex_frame))
    assert err.value.reason == "invalid_frame"
    assert str(err.value) == err.value.placeholders["detail"]


def test_response_rejects_what_zigpy_parses() -> None:
    # zigpy parses values as int16s: minute 0xffff arrives as -1.
    parsed, _ = RESPONSE_SCHEMA.deserialize(bytes.fromhex("01 12 01 ffff 3408"))
    with pytest.raises(ScheduleDecodeError, match="time -1"):
        day_schedule_from_response(parsed)
    # zigpy takes any number of values: the count must match them.
    parsed, _ = RESPONSE_SCHEMA.deserialize(bytes.fromhex("02 12 01 6801 3408"))
    with pytest.raises(ScheduleDecodeError, match="2 transitions need 4 values, got 2"):
        day_schedule_from_response(parsed)
    parsed, _ = RESPONSE_SCHEMA.deserialize(bytes.fromhex("01 12 03 6801 3408 d606"))
    with pytest.raises(ScheduleDecodeError, match="mode 0x03"):
        day_schedule_from_response(parsed)


def test_decode_error_is_a_schedule_error() -> None:
    # Callers that catch ScheduleError catch every error of the module.
    assert issubclass(ScheduleDecodeError, ScheduleError)
    assert issubclass(ScheduleError, ValueError)


# --- properties --------------------------------------------------------------------------------

day_schedules = st.lists(
    st.tuples(st.integers(0, 1439), st.integers(-0x8000, 0x7FFF)),
    max_size=6,
    unique_by=lambda pair: pair[0],
).map(lambda pairs: tuple(Transition(m, s) for m, s in sorted(pairs)))
day_bitmaps = st.integers(1, 0x7F)
# A few distinct days shared out over the week, so that frames group days.
weeks = st.lists(day_schedules, min_size=1, max_size=3).flatmap(
    lambda pool: st.dictionaries(st.integers(0, 6), st.sampled_from(pool))
)


@given(days=day_bitmaps, day=day_schedules)
def test_round_trip(days: int, day: DaySchedule) -> None:
    frame = encode_set_weekly_schedule(days, day)
    assert decode_schedule_payload(frame) == (days, day)
    assert encode_weekly_schedule_response((days, day)) == frame
    assert SET_SCHEMA(**set_weekly_schedule_args(days, day)).serialize() == frame
    parsed, _ = RESPONSE_SCHEMA.deserialize(frame)
    assert day_schedule_from_response(parsed) == (days, day)


@given(data=st.binary(max_size=40))
def test_garbage_in(data: bytes) -> None:
    try:
        days, day = decode_schedule_payload(data)
    except ScheduleDecodeError:
        return
    # The layout leaves no freedom: whatever decodes is exactly what encodes.
    assert encode_set_weekly_schedule(days, day) == data


@given(frame=st.tuples(day_bitmaps, day_schedules), position=st.integers(0, 30))
def test_one_byte_changed(frame: tuple[int, DaySchedule], position: int) -> None:
    data = bytearray(encode_set_weekly_schedule(*frame))
    data[position % len(data)] ^= 0xFF
    try:
        decoded = decode_schedule_payload(bytes(data))
    except ScheduleDecodeError:
        return
    assert encode_set_weekly_schedule(*decoded) == data


@given(week=weeks)
def test_frames_cover_each_day_once(week: dict[int, DaySchedule]) -> None:
    frames = frames_for(week)
    covered = 0
    for days, day in frames:
        assert days and not covered & days
        covered |= days
        assert all(week[bit] == day for bit in range(7) if days & (1 << bit))
    assert covered == sum(1 << bit for bit in week)
    assert len(frames) == len(set(week.values()))
    lowest = [(days & -days) for days, _ in frames]
    assert lowest == sorted(lowest)
