"""Tests of irrigation programs as calendar runs and calendar events as programs."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
import json
from pathlib import Path
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings, strategies as st
import pytest

from custom_components.zha_device_pack.irrigation.schedule import (
    MAX_RUNS_PER_PROGRAM,
    IrrigationRun,
    ProgramKind,
    program_rrule,
    program_runs,
    runs_to_events,
    scheduled_program_from_event,
)
from custom_components.zha_device_pack.protocol.irrigation_program import (
    CycleIrrigationProgram,
    Recurrence,
    ScheduledIrrigationProgram,
    StoredProgram,
    Weekday,
)
from custom_components.zha_device_pack.schedules.rrule import UnrepresentableEventError

BERLIN = ZoneInfo("Europe/Berlin")
_TRANSLATIONS: dict[str, Any] = json.loads(
    (
        Path(__file__).parents[2]
        / "custom_components/zha_device_pack/translations/en.json"
    ).read_text(encoding="utf-8")
)
# English texts of the calendar refusal reasons, by reason (translations/en.json is their home).
REASON_MESSAGES: dict[str, str] = {
    key.removeprefix("irrigation_"): value["message"]
    for key, value in _TRANSLATIONS["exceptions"].items()
    if key.startswith(("irrigation_event_", "irrigation_rrule_"))
}
MINUTE = timedelta(minutes=1)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=BERLIN)


def at(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    *,
    zone: tzinfo = BERLIN,
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def scheduled(**changes: object) -> ScheduledIrrigationProgram:
    base = ScheduledIrrigationProgram(
        enabled=True,
        start_minute=8 * 60,
        duration_minutes=30,
        days=Weekday.EVERY_DAY,
        water_flow_percent=100,
        recurrence=Recurrence.WEEKLY,
        start_date=date(2026, 1, 1),
        interval_days=1,
    )
    return replace(base, **changes)


def cycle(**changes: object) -> CycleIrrigationProgram:
    # The ZVG1 peer's example "08:00 / 20:00 / 15 / 60 / MoTuWeThFrSaSu".
    base = CycleIrrigationProgram(
        enabled=True,
        channel=0,
        days=Weekday.EVERY_DAY,
        start_minute=8 * 60,
        end_minute=20 * 60,
        on_minutes=15,
        off_minutes=60,
        water_flow_percent=100,
    )
    return replace(base, **changes)


def spans(
    program: CycleIrrigationProgram | ScheduledIrrigationProgram,
    start: datetime,
    end: datetime,
    now: datetime = NOW,
) -> list[tuple[datetime, datetime]]:
    return [
        (run.start, run.end)
        for run in program_runs(StoredProgram(1, program), start, end, now=now)
    ]


def starts(
    program: CycleIrrigationProgram | ScheduledIrrigationProgram,
    start: datetime,
    end: datetime,
) -> list[datetime]:
    return [run_start for run_start, _ in spans(program, start, end)]


def elapsed(run_start: datetime, run_end: datetime) -> timedelta:
    # Same-zone datetimes subtract by wall clock; compare instants.
    return run_end.astimezone(UTC) - run_start.astimezone(UTC)


# --- scheduled (DP17) runs ----------------------------------------------------------------------


def test_weekly_monday_wednesday() -> None:
    program = scheduled(days=Weekday.MONDAY | Weekday.WEDNESDAY)
    assert spans(program, at(2026, 6, 1), at(2026, 6, 15)) == [
        (at(2026, 6, day, 8), at(2026, 6, day, 8, 30)) for day in (1, 3, 8, 10)
    ]


@pytest.mark.parametrize(
    "recurrence", [Recurrence.WEEKLY, Recurrence.ODD_DAYS, Recurrence.EVEN_DAYS]
)
def test_runs_start_at_the_start_date(recurrence: Recurrence) -> None:
    # The capture's weekly program carries 2022-08-01: the day the app stored it. A program
    # created on 2026-06-03 did not water on 2026-06-01 or 06-02.
    program = scheduled(start_date=date(2026, 6, 3), recurrence=recurrence)
    expected = {
        Recurrence.WEEKLY: [at(2026, 6, 3, 8), at(2026, 6, 4, 8), at(2026, 6, 5, 8)],
        Recurrence.ODD_DAYS: [at(2026, 6, 3, 8), at(2026, 6, 5, 8)],
        Recurrence.EVEN_DAYS: [at(2026, 6, 4, 8)],
    }
    assert starts(program, at(2026, 6, 1), at(2026, 6, 6)) == expected[recurrence]


def test_no_run_before_the_program_was_first_seen() -> None:
    """A cycle program (DP16 has no date) first seen at 10:40 on Tue 2026-06-02."""
    seen = at(2026, 6, 2, 10, 40)
    program = StoredProgram(
        3, cycle(days=Weekday.TUESDAY | Weekday.FRIDAY, on_minutes=13, off_minutes=29)
    )
    runs = program_runs(
        program, at(2026, 6, 1), at(2026, 6, 6), now=NOW, not_before=seen
    )
    assert [run.start for run in runs][:3] == [
        # 08:00 + k * 42 min: 10:06 was before it was seen.
        at(2026, 6, 2, 10, 48),
        at(2026, 6, 2, 11, 30),
        at(2026, 6, 2, 12, 12),
    ]
    assert runs[-1].start.date() == date(2026, 6, 5)
    weekly = StoredProgram(1, scheduled(start_date=date(2026, 6, 2), start_minute=390))
    assert [
        run.start
        for run in program_runs(
            weekly, at(2026, 6, 1), at(2026, 6, 4), now=NOW, not_before=seen
        )
    ] == [at(2026, 6, 3, 6, 30)]


def test_odd_days_across_a_31_day_month() -> None:
    program = scheduled(recurrence=Recurrence.ODD_DAYS, days=Weekday.ONE_TIME)
    assert starts(program, at(2026, 1, 28), at(2026, 2, 5)) == [
        at(2026, 1, 29, 8),
        at(2026, 1, 31, 8),
        at(2026, 2, 1, 8),
        at(2026, 2, 3, 8),
    ]


def test_even_days_across_february() -> None:
    program = scheduled(recurrence=Recurrence.EVEN_DAYS)
    assert starts(program, at(2026, 1, 29), at(2026, 3, 5)) == [
        *(at(2026, 1, 30, 8),),
        *(at(2026, 2, day, 8) for day in range(2, 29, 2)),
        at(2026, 3, 2, 8),
        at(2026, 3, 4, 8),
    ]


def test_every_three_days_from_start_date() -> None:
    program = scheduled(
        recurrence=Recurrence.EVERY_N_DAYS,
        start_date=date(2026, 5, 10),
        interval_days=3,
        days=Weekday.ONE_TIME,
    )
    assert starts(program, at(2026, 5, 1), at(2026, 5, 20)) == [
        at(2026, 5, day, 8) for day in (10, 13, 16, 19)
    ]
    assert starts(program, at(2026, 5, 21), at(2026, 5, 30)) == [
        at(2026, 5, day, 8) for day in (22, 25, 28)
    ]


def test_one_time_runs_on_its_start_date_only() -> None:
    program = scheduled(days=Weekday.ONE_TIME, start_date=date(2026, 5, 10))
    assert spans(program, at(2026, 5, 1), at(2026, 6, 1)) == [
        (at(2026, 5, 10, 8), at(2026, 5, 10, 8, 30))
    ]
    assert spans(program, at(2026, 5, 11), at(2026, 6, 1)) == []


@pytest.mark.parametrize(
    "program",
    [
        scheduled(enabled=False),
        scheduled(duration_minutes=0),
        cycle(enabled=False),
        cycle(on_minutes=0),
        cycle(end_minute=8 * 60),
    ],
    ids=[
        "scheduled disabled",
        "no duration",
        "cycle disabled",
        "never on",
        "no window",
    ],
)
def test_programs_without_runs(
    program: CycleIrrigationProgram | ScheduledIrrigationProgram,
) -> None:
    assert spans(program, at(2026, 5, 1), at(2026, 6, 1)) == []


def test_run_crossing_midnight() -> None:
    program = scheduled(start_minute=23 * 60 + 30, duration_minutes=60)
    assert spans(program, at(2026, 6, 2), at(2026, 6, 2, 12)) == [
        (at(2026, 6, 1, 23, 30), at(2026, 6, 2, 0, 30))
    ]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ((at(2026, 6, 1, 8, 15), at(2026, 6, 1, 9)), 1),
        ((at(2026, 6, 1, 7), at(2026, 6, 1, 8, 1)), 1),
        ((at(2026, 6, 1, 8, 29), at(2026, 6, 1, 8, 30)), 1),
        ((at(2026, 6, 1, 8, 30), at(2026, 6, 1, 9)), 0),
        ((at(2026, 6, 1, 7), at(2026, 6, 1, 8)), 0),
        ((at(2026, 6, 1, 9), at(2026, 6, 1, 8)), 0),
    ],
    ids=["run started", "run starts", "last minute", "end", "start", "reversed"],
)
def test_window_boundaries(window: tuple[datetime, datetime], expected: int) -> None:
    """A run counts when it overlaps [start, end): start < run end and run start < end."""
    assert len(spans(scheduled(), *window)) == expected


def test_window_in_another_zone() -> None:
    """Runs are computed and returned in the zone of start (the valve's wall clock)."""
    (run,) = program_runs(
        StoredProgram(1, scheduled()),
        at(2026, 6, 1),
        at(2026, 6, 2).astimezone(UTC),
        now=NOW.astimezone(UTC),
    )
    assert run.start == at(2026, 6, 1, 8)
    assert run.start.tzinfo is BERLIN


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        program_runs(
            StoredProgram(1, scheduled()), datetime(2026, 6, 1), at(2026, 6, 2), now=NOW
        )
    with pytest.raises(ValueError, match="now"):
        program_runs(
            StoredProgram(1, scheduled()),
            at(2026, 6, 1),
            at(2026, 6, 2),
            now=datetime(2026, 6, 1),
        )


# --- DST (Europe/Berlin: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00) ------------------


def test_start_in_the_spring_gap_runs_after_the_jump() -> None:
    program = scheduled(start_minute=2 * 60 + 30, duration_minutes=30)
    runs = spans(program, at(2026, 3, 28), at(2026, 3, 31))
    assert [run_start.isoformat() for run_start, _ in runs] == [
        "2026-03-28T02:30:00+01:00",
        "2026-03-29T03:30:00+02:00",
        "2026-03-30T02:30:00+02:00",
    ]
    assert all(elapsed(*run) == 30 * MINUTE for run in runs)


def test_start_in_the_repeated_autumn_hour_runs_once_in_summer_time() -> None:
    program = scheduled(start_minute=2 * 60 + 30, duration_minutes=30)
    (run,) = spans(program, at(2026, 10, 25), at(2026, 10, 26))
    assert run[0].isoformat() == "2026-10-25T02:30:00+02:00"
    assert run[1].isoformat() == "2026-10-25T02:00:00+01:00"
    assert elapsed(*run) == 30 * MINUTE


def test_duration_is_elapsed_time_across_the_change() -> None:
    program = scheduled(start_minute=60 + 30, duration_minutes=120)
    (run,) = spans(program, at(2026, 3, 29), at(2026, 3, 30))
    assert run == (at(2026, 3, 29, 1, 30), at(2026, 3, 29, 4, 30))
    assert elapsed(*run) == 120 * MINUTE


def test_cycle_window_on_the_autumn_change_is_an_hour_longer() -> None:
    program = cycle(start_minute=0, end_minute=6 * 60, on_minutes=30, off_minutes=30)
    runs = program_runs(
        StoredProgram(1, program), at(2026, 10, 25), at(2026, 10, 26), now=NOW
    )
    assert len(runs) == 7
    assert elapsed(runs[0].start, runs[-1].end) == 6 * 60 * MINUTE + 30 * MINUTE
    events = runs_to_events(runs, [StoredProgram(1, program)])
    # 02:00 and 02:00 again: the UTC recurrence ids still tell the runs apart.
    assert len({event.recurrence_id for event in events}) == 7


# --- cycle (DP16) runs --------------------------------------------------------------------------


def test_cycle_fifteen_on_sixty_off_from_eight_to_eight() -> None:
    runs = spans(cycle(), at(2026, 6, 1), at(2026, 6, 2))
    expected_starts = [
        "08:00", "09:15", "10:30", "11:45", "13:00", "14:15", "15:30", "16:45", "18:00",
        "19:15",
    ]  # fmt: skip
    assert [run_start.strftime("%H:%M") for run_start, _ in runs] == expected_starts
    assert all(elapsed(*run) == 15 * MINUTE for run in runs)


def test_cycle_last_run_is_clipped_at_the_window_end() -> None:
    program = cycle(end_minute=9 * 60 + 30, on_minutes=50, off_minutes=10)
    assert spans(program, at(2026, 6, 1), at(2026, 6, 2)) == [
        (at(2026, 6, 1, 8), at(2026, 6, 1, 8, 50)),
        (at(2026, 6, 1, 9), at(2026, 6, 1, 9, 30)),
    ]


def test_cycle_without_pause_is_one_run_over_the_window() -> None:
    program = cycle(off_minutes=0)
    assert spans(program, at(2026, 6, 1), at(2026, 6, 2)) == [
        (at(2026, 6, 1, 8), at(2026, 6, 1, 20))
    ]


def test_cycle_overnight_window() -> None:
    program = cycle(
        days=Weekday.MONDAY,
        start_minute=22 * 60,
        end_minute=2 * 60,
        on_minutes=60,
        off_minutes=60,
    )
    assert spans(program, at(2026, 6, 1), at(2026, 6, 9)) == [
        (at(2026, 6, 1, 22), at(2026, 6, 1, 23)),
        (at(2026, 6, 2, 0), at(2026, 6, 2, 1)),
        (at(2026, 6, 8, 22), at(2026, 6, 8, 23)),
    ]


def test_cycle_weekdays() -> None:
    program = cycle(days=Weekday.SATURDAY | Weekday.SUNDAY, off_minutes=0)
    assert starts(program, at(2026, 6, 1), at(2026, 6, 15)) == [
        at(2026, 6, day, 8) for day in (6, 7, 13, 14)
    ]


@pytest.mark.parametrize(
    ("now", "window_day"),
    [
        (at(2026, 6, 1, 7), 1),
        (at(2026, 6, 1, 12), 1),
        (at(2026, 6, 1, 20), 2),
        (at(2026, 6, 1, 21), 2),
    ],
    ids=["before", "during", "at end", "after"],
)
def test_one_time_cycle_is_the_window_in_progress_or_next(
    now: datetime, window_day: int
) -> None:
    program = cycle(days=Weekday.ONE_TIME, off_minutes=0)
    assert spans(program, at(2026, 5, 1), at(2026, 7, 1), now=now) == [
        (at(2026, 6, window_day, 8), at(2026, 6, window_day, 20))
    ]


def test_one_time_overnight_cycle_still_running_after_midnight() -> None:
    program = cycle(
        days=Weekday.ONE_TIME, start_minute=22 * 60, end_minute=2 * 60, off_minutes=0
    )
    assert spans(program, at(2026, 5, 1), at(2026, 7, 1), now=at(2026, 6, 2, 1)) == [
        (at(2026, 6, 1, 22), at(2026, 6, 2, 2))
    ]


def test_runs_are_bounded() -> None:
    program = cycle(start_minute=0, end_minute=1439, on_minutes=1, off_minutes=1)
    runs = spans(program, at(2026, 6, 1), at(2026, 7, 1))
    assert len(runs) == MAX_RUNS_PER_PROGRAM
    assert runs[0][0] == at(2026, 6, 1)
    assert runs == sorted(runs)


# --- calendar events ----------------------------------------------------------------------------


def test_runs_to_events() -> None:
    programs = [
        StoredProgram(2, scheduled(days=Weekday.MONDAY, water_flow_percent=80)),
        StoredProgram(2, cycle(water_flow_percent=50)),
        StoredProgram(3, scheduled(days=Weekday.ONE_TIME, start_date=date(2026, 6, 1))),
    ]
    runs = [
        run
        for stored in programs
        for run in program_runs(stored, at(2026, 6, 1), at(2026, 6, 2), now=NOW)
    ]
    weekly, first_cycle, *_, one_time = runs_to_events(runs, programs)

    assert weekly.summary == "Irrigation (program 2)"
    assert weekly.description == "Water flow: 80%"
    assert weekly.uid == "scheduled-2"
    assert weekly.recurrence_id == "20260601T060000Z"
    assert weekly.rrule == "FREQ=WEEKLY;BYDAY=MO"
    assert (weekly.start, weekly.end) == (at(2026, 6, 1, 8), at(2026, 6, 1, 8, 30))

    assert first_cycle.summary == "Cycle irrigation (program 2)"
    assert (
        first_cycle.description
        == "Water flow: 50%\n15 min on, 60 min off, 08:00 to 20:00"
    )
    assert first_cycle.uid == "cycle-2"
    assert first_cycle.recurrence_id == "20260601T060000Z"
    assert first_cycle.rrule is None

    assert one_time.uid == "scheduled-3"
    assert one_time.recurrence_id is None
    assert one_time.rrule is None


def test_runs_to_events_needs_the_program_of_every_run() -> None:
    run = IrrigationRun(at(2026, 6, 1, 8), at(2026, 6, 1, 9), 7, ProgramKind.CYCLE)
    with pytest.raises(KeyError):
        runs_to_events([run], [StoredProgram(7, scheduled())])


@pytest.mark.parametrize(
    ("program", "rrule"),
    [
        (scheduled(days=Weekday.MONDAY | Weekday.WEDNESDAY), "FREQ=WEEKLY;BYDAY=MO,WE"),
        (
            scheduled(days=Weekday.EVERY_DAY),
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
        ),
        (
            scheduled(recurrence=Recurrence.ODD_DAYS),
            "FREQ=MONTHLY;BYMONTHDAY=1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31",
        ),
        (
            scheduled(recurrence=Recurrence.EVEN_DAYS),
            "FREQ=MONTHLY;BYMONTHDAY=2,4,6,8,10,12,14,16,18,20,22,24,26,28,30",
        ),
        (
            scheduled(recurrence=Recurrence.EVERY_N_DAYS, interval_days=3),
            "FREQ=DAILY;INTERVAL=3",
        ),
        (scheduled(days=Weekday.ONE_TIME), None),
    ],
    ids=["weekly", "every day", "odd", "even", "every 3 days", "one-time"],
)
def test_program_rrule(program: ScheduledIrrigationProgram, rrule: str | None) -> None:
    assert program_rrule(program) == rrule


# --- calendar event -> program ------------------------------------------------------------------


def test_event_without_rrule_is_one_time() -> None:
    assert scheduled_program_from_event(
        at(2026, 6, 1, 23, 30), at(2026, 6, 2, 0, 45), None, water_flow_percent=70
    ) == scheduled(
        start_minute=23 * 60 + 30,
        duration_minutes=75,
        days=Weekday.ONE_TIME,
        water_flow_percent=70,
        start_date=date(2026, 6, 1),
    )


@pytest.mark.parametrize(
    ("rrule", "changes"),
    [
        ("FREQ=WEEKLY", {"days": Weekday.MONDAY}),
        ("freq=weekly;byday=mo,fr;wkst=su", {"days": Weekday.MONDAY | Weekday.FRIDAY}),
        ("FREQ=WEEKLY;INTERVAL=1;BYDAY=MO", {"days": Weekday.MONDAY}),
        ("FREQ=DAILY", {"recurrence": Recurrence.EVERY_N_DAYS}),
        (
            "FREQ=DAILY;INTERVAL=31",
            {"recurrence": Recurrence.EVERY_N_DAYS, "interval_days": 31},
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=31,29,27,25,23,21,19,17,15,13,11,9,7,5,3,1",
            {"recurrence": Recurrence.ODD_DAYS},
        ),
    ],
)
def test_event_rrules_the_valve_repeats(rrule: str, changes: dict[str, object]) -> None:
    # 2026-06-01 is a Monday, an odd day.
    program = scheduled_program_from_event(
        at(2026, 6, 1, 6), at(2026, 6, 1, 6, 20), rrule, enabled=False
    )
    expected = scheduled(
        enabled=False,
        start_minute=6 * 60,
        duration_minutes=20,
        start_date=date(2026, 6, 1),
        **changes,
    )
    assert program == expected


def test_event_duration_is_elapsed_time() -> None:
    program = scheduled_program_from_event(
        at(2026, 10, 25, 1), at(2026, 10, 25, 4), None
    )
    assert program.duration_minutes == 4 * 60


def test_longest_event() -> None:
    program = scheduled_program_from_event(
        at(2026, 6, 1, 0, 1), at(2026, 6, 2), "FREQ=WEEKLY"
    )
    assert program.duration_minutes == 1439


MONDAY_8 = at(2026, 6, 1, 8)
MONDAY_830 = at(2026, 6, 1, 8, 30)

REJECTED = [
    pytest.param(
        date(2026, 6, 1), date(2026, 6, 2), None, "event_all_day", {}, id="all day"
    ),
    pytest.param(
        MONDAY_8 + timedelta(seconds=30),
        MONDAY_830,
        None,
        "event_start_not_whole_minute",
        {"start": "08:00:30"},
        id="start seconds",
    ),
    pytest.param(MONDAY_8, MONDAY_8, None, "event_end_not_after_start", {}, id="empty"),
    pytest.param(
        MONDAY_830, MONDAY_8, None, "event_end_not_after_start", {}, id="reversed"
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830 + timedelta(seconds=1),
        None,
        "event_duration_not_whole_minutes",
        {"duration": "0:30:01"},
        id="end seconds",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_8 + timedelta(days=1),
        None,
        "event_too_long",
        {"minutes": "1440", "max_minutes": "1439"},
        id="a day",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=DAILY;COUNT=3",
        "rrule_count_until",
        {"part": "COUNT=3"},
        id="count",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=WEEKLY;UNTIL=20261231T000000Z",
        "rrule_count_until",
        {"part": "UNTIL=20261231T000000Z"},
        id="until",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=YEARLY",
        "rrule_unsupported_freq",
        {"freq": "YEARLY"},
        id="yearly",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=HOURLY",
        "rrule_unsupported_freq",
        {"freq": "HOURLY"},
        id="hourly",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=DAILY;BYHOUR=8,20",
        "rrule_unsupported_part",
        {"part": "BYHOUR"},
        id="byhour",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=DAILY;BYMINUTE=0",
        "rrule_unsupported_part",
        {"part": "BYMINUTE"},
        id="byminute",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=WEEKLY;BYDAY=MO;BYSETPOS=1",
        "rrule_unsupported_part",
        {"part": "BYSETPOS"},
        id="bysetpos",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=DAILY;BYDAY=MO",
        "rrule_unsupported_part",
        {"part": "BYDAY"},
        id="daily byday",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=WEEKLY;BYMONTHDAY=1",
        "rrule_unsupported_part",
        {"part": "BYMONTHDAY"},
        id="weekly bymonthday",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=DAILY;EXDATE=20260602T080000",
        "rrule_unsupported_part",
        {"part": "EXDATE"},
        id="exdate",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=DAILY;INTERVAL=32",
        "rrule_daily_interval",
        {"interval": "32", "min_interval": "1", "max_interval": "31"},
        id="daily 32",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
        "rrule_weekly_interval",
        {"interval": "2"},
        id="fortnightly",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31",
        "rrule_monthly_interval",
        {"interval": "2"},
        id="bimonthly",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=WEEKLY;BYDAY=1MO",
        "rrule_byday_ordinal",
        {"day": "1MO"},
        id="first monday",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=WEEKLY;BYDAY=MO,-1FR",
        "rrule_byday_ordinal",
        {"day": "-1FR"},
        id="last friday",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=MONTHLY",
        "rrule_monthday_set",
        {"days": "1"},
        id="monthly on the 1st",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=MONTHLY;BYMONTHDAY=1,3,5",
        "rrule_monthday_set",
        {"days": "1,3,5"},
        id="some odd days",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=WEEKLY;BYDAY=TU,TH",
        "rrule_start_not_in_rule",
        {"date": "2026-06-01"},
        id="monday start, tuesday rule",
    ),
    pytest.param(
        MONDAY_8,
        MONDAY_830,
        "FREQ=MONTHLY;BYMONTHDAY=2,4,6,8,10,12,14,16,18,20,22,24,26,28,30",
        "rrule_start_not_in_rule",
        {"date": "2026-06-01"},
        id="odd start, even rule",
    ),
    *(
        pytest.param(
            MONDAY_8, MONDAY_830, rrule, "rrule_unparsable", {"rrule": rrule}, id=rrule
        )
        for rrule in (
            "",
            "RRULE:FREQ=DAILY",
            "FREQ=DAILY;",
            "INTERVAL=2",
            "FREQ=FORTNIGHTLY",
            "FREQ=DAILY;FREQ=WEEKLY",
            "FREQ=DAILY;INTERVAL=0",
            "FREQ=DAILY;INTERVAL=two",
            "FREQ=DAILY;COLOR=RED",
            "FREQ=WEEKLY;BYDAY=MON",
            "FREQ=WEEKLY;BYDAY=",
            "FREQ=WEEKLY;WKST=XX",
            "FREQ=MONTHLY;BYMONTHDAY=1,x",
            "FREQ=MONTHLY;BYMONTHDAY=0,2",
        )
    ),
]


@pytest.mark.parametrize(("dtstart", "dtend", "rrule", "key", "placeholders"), REJECTED)
def test_unrepresentable_events(
    dtstart: date | datetime,
    dtend: date | datetime,
    rrule: str | None,
    key: str,
    placeholders: dict[str, str],
) -> None:
    with pytest.raises(UnrepresentableEventError) as caught:
        scheduled_program_from_event(dtstart, dtend, rrule)
    assert caught.value.reason == key
    assert caught.value.placeholders == placeholders
    # The calendar raises it as irrigation_<reason>: its text must take these placeholders.
    assert REASON_MESSAGES[key].format(**placeholders)


def test_every_reason_is_tested_and_its_placeholders_match() -> None:
    tested: dict[str, set[frozenset[str]]] = {}
    for param in REJECTED:
        key, placeholders = param.values[3], param.values[4]
        assert isinstance(key, str) and isinstance(placeholders, dict)
        tested.setdefault(key, set()).add(frozenset(placeholders))
    assert set(tested) == set(REASON_MESSAGES)
    for key, message in REASON_MESSAGES.items():
        names = frozenset(name for _, name, _, _ in Formatter().parse(message) if name)
        assert tested[key] == {names}, key


# --- properties ---------------------------------------------------------------------------------

ZONES = st.sampled_from([UTC, BERLIN, ZoneInfo("America/New_York")])
DATES = st.dates(date(2000, 1, 1), date(2100, 12, 31))
minutes_of_day = st.integers(0, 1439)

enabled_scheduled = st.builds(
    ScheduledIrrigationProgram,
    enabled=st.just(True),
    start_minute=minutes_of_day,
    duration_minutes=st.integers(1, 1439),
    days=st.integers(0, 0x7F).map(Weekday),
    water_flow_percent=st.integers(0, 100),
    recurrence=st.sampled_from(Recurrence),
    start_date=DATES,
    interval_days=st.integers(1, 31),
)
any_scheduled = st.builds(
    ScheduledIrrigationProgram,
    enabled=st.booleans(),
    start_minute=minutes_of_day,
    duration_minutes=minutes_of_day,
    days=st.integers(0, 0x7F).map(Weekday),
    water_flow_percent=st.integers(0, 100),
    recurrence=st.sampled_from(Recurrence),
    start_date=DATES,
    interval_days=st.integers(1, 31),
)
any_cycle = st.builds(
    CycleIrrigationProgram,
    enabled=st.booleans(),
    channel=st.just(0),
    days=st.integers(0, 0x7F).map(Weekday),
    start_minute=minutes_of_day,
    end_minute=minutes_of_day,
    on_minutes=st.integers(0, 240),
    off_minutes=st.integers(0, 240),
    water_flow_percent=st.integers(0, 100),
)


@settings(max_examples=150, deadline=None)
@given(program=enabled_scheduled, zone=ZONES)
def test_round_trip(program: ScheduledIrrigationProgram, zone: tzinfo) -> None:
    window_start = datetime.combine(program.start_date, datetime.min.time(), zone)
    runs = program_runs(
        StoredProgram(1, program),
        window_start,
        window_start + timedelta(days=8),
        now=window_start,
    )
    first = next(run for run in runs if run.start.date() >= program.start_date)
    # A start in a spring-forward gap runs later than the program says: not an event's start.
    assume(first.start.hour * 60 + first.start.minute == program.start_minute)

    back = scheduled_program_from_event(
        first.start,
        first.end,
        program_rrule(program),
        water_flow_percent=program.water_flow_percent,
        enabled=program.enabled,
    )

    # The calendar does not carry what a recurrence leaves unused: the days bitmap outside
    # weekly programs, n outside every-n-days, the start date of weekly and odd/even programs.
    expected = program
    if program.recurrence != Recurrence.WEEKLY:
        expected = replace(expected, days=Weekday.EVERY_DAY)
    if program.recurrence != Recurrence.EVERY_N_DAYS:
        expected = replace(expected, interval_days=1)
        if program.days != Weekday.ONE_TIME or program.recurrence != Recurrence.WEEKLY:
            expected = replace(expected, start_date=first.start.date())
    assert back == expected


@settings(max_examples=150, deadline=None)
@given(
    program=st.one_of(any_scheduled, any_cycle),
    zone=ZONES,
    day=DATES,
    start_minute=st.integers(0, 1439),
    length=st.integers(0, 10 * 1440),
    now_offset=st.integers(-3 * 1440, 3 * 1440),
)
def test_runs_are_sorted_inside_the_window_and_last_their_duration(
    *,
    program: CycleIrrigationProgram | ScheduledIrrigationProgram,
    zone: tzinfo,
    day: date,
    start_minute: int,
    length: int,
    now_offset: int,
) -> None:
    start = datetime.combine(day, datetime.min.time(), zone) + start_minute * MINUTE
    end = (start.astimezone(UTC) + length * MINUTE).astimezone(zone)
    now = start + now_offset * MINUTE
    runs = program_runs(StoredProgram(5, program), start, end, now=now)

    assert len(runs) <= MAX_RUNS_PER_PROGRAM
    instants = [(run.start.astimezone(UTC), run.end.astimezone(UTC)) for run in runs]
    assert instants == sorted(instants)
    for run_start, run_end in instants:
        assert run_start < end.astimezone(UTC)
        assert run_end > start.astimezone(UTC)
        assert run_start < run_end
    assert all(run.program_id == 5 and run.start.tzinfo is zone for run in runs)
    if isinstance(program, ScheduledIrrigationProgram):
        assert {run.kind for run in runs} <= {ProgramKind.SCHEDULED}
        assert all(e - s == program.duration_minutes * MINUTE for s, e in instants)
    else:
        assert {run.kind for run in runs} <= {ProgramKind.CYCLE}
        for (s, e), run in zip(instants, runs, strict=True):
            if program.off_minutes:
                assert e - s <= program.on_minutes * MINUTE
                # Only a window's last run is clipped, at the window's end.
                if e - s < program.on_minutes * MINUTE and zone is UTC:
                    assert run.end.hour * 60 + run.end.minute == program.end_minute
        if zone is UTC:
            # A DST change can stretch an overnight window into the next one; otherwise the
            # runs of one program never overlap.
            assert all(
                previous[1] <= following[0]
                for previous, following in pairwise(instants)
            )
    runs_to_events(
        runs, [StoredProgram(5, program)]
    )  # CalendarEvent validates each run
