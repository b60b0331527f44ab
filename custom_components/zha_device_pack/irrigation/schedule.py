"""Irrigation programs as calendar runs, and calendar events back into programs.

The "Irrigation programs" calendar shows the runs of the valve's DP16 cycle programs and DP17
scheduled programs (protocol.irrigation_program), and turns an event a user creates or edits
(start, end, RRULE) into the DP17 program that repeats it, or says why the valve cannot store it.

Time. The valve runs on local wall-clock time (minutes after midnight, no zone), so everything
here is computed in the zone of the datetimes the caller passes: program_runs in the zone of its
`start`, scheduled_program_from_event in the zone of `dtstart`. On a DST change day a wall-clock
start is placed as PEP 495 (fold=0) does: a start inside the spring-forward gap (02:30 in
Europe/Berlin) runs as the clock shows after the jump, shifted by the gap (03:30), and a start
inside the repeated autumn hour runs once, at its first (summer-time) occurrence. A duration, an
on/off cadence and an event's length are elapsed minutes (the valve counts a timer), so a run that
spans a change ends an hour earlier or later on the wall clock. How the valve itself behaves
then depends on when the gateway next syncs its clock; this is the reading closest to its rules.

All arithmetic on instants is done in UTC: Python subtracts and compares datetimes that share a
tzinfo by wall clock, which is wrong across a DST change.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Final

from homeassistant.components.calendar import CalendarEvent

from ..protocol.irrigation_program import (
    MAX_INTERVAL_DAYS,
    MAX_PROGRAM_MINUTES,
    MIN_INTERVAL_DAYS,
    CycleIrrigationProgram,
    Recurrence,
    ScheduledIrrigationProgram,
    StoredProgram,
    Weekday,
)
from ..schedules import weekdays
from ..schedules.clock import (
    ONE_DAY as _DAY,
    days as _days,
    minute_text,
    wall_clock_instant as _wall_clock_instant,
    zone_of as _zone_of,
)
from ..schedules.rrule import UnrepresentableEventError, parse_endless_rule

type AnyStoredProgram = (
    StoredProgram[CycleIrrigationProgram] | StoredProgram[ScheduledIrrigationProgram]
)

# A month of a busy cycle program (on 15 / off 15 all day) is about 1,500 runs; a 1-minute
# cadence would be 20,000 a month, more than a calendar view can use. program_runs keeps the
# earliest runs up to this bound.
MAX_RUNS_PER_PROGRAM: Final = 2000

_MINUTE: Final = timedelta(minutes=1)
# A run starting on day D ends before D + 2 (at most 23:59 + 1439 min, plus a DST hour), and a
# cycle window is shorter than a day; runs overlapping a window can start two days before it.
_LOOKBACK: Final = timedelta(days=2)


class ProgramKind(StrEnum):
    """Which DP a run's program lives in (the prefix of its calendar uid)."""

    CYCLE = "cycle"
    SCHEDULED = "scheduled"


@dataclass(frozen=True, slots=True)
class IrrigationRun:
    """One time the valve opens: [start, end), in the zone of the window asked for."""

    start: datetime
    end: datetime
    program_id: int
    kind: ProgramKind


# --- programs -> runs ---------------------------------------------------------------------------


def program_runs(
    stored: AnyStoredProgram,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    not_before: datetime | None = None,
) -> list[IrrigationRun]:
    """Return the runs of one program that overlap [start, end), sorted by start.

    Datetimes must be timezone-aware; runs are in the zone of start. At most
    MAX_RUNS_PER_PROGRAM runs, the earliest. `now` only places a one-time cycle program, whose
    DP16 record carries no date. No run starts before `not_before` (when the program was first
    seen) nor, for a DP17 program, before its start date: a program never ran before it existed.
    """
    zone = _zone_of(start, "start")
    _zone_of(end, "end")
    _zone_of(now, "now")
    if not_before is not None:
        _zone_of(not_before, "not_before")
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    if start_utc >= end_utc:
        return []
    first_day = start.date() - _LOOKBACK
    last_day = end.astimezone(zone).date()
    program = stored.program
    kind: ProgramKind
    if isinstance(program, ScheduledIrrigationProgram):
        kind = ProgramKind.SCHEDULED
        spans = _scheduled_spans(program, first_day, last_day, zone)
    else:
        kind = ProgramKind.CYCLE
        spans = _cycle_spans(program, first_day, last_day, zone, now.astimezone(UTC))
    runs: list[IrrigationRun] = []
    floor = None if not_before is None else not_before.astimezone(UTC)
    # The spans come in start order, so the first one starting at or after the window's end
    # ends the search.
    for run_start, run_end in spans:
        if run_start >= end_utc or len(runs) >= MAX_RUNS_PER_PROGRAM:
            break
        if run_end > start_utc and (floor is None or run_start >= floor):
            runs.append(
                IrrigationRun(
                    run_start.astimezone(zone),
                    run_end.astimezone(zone),
                    stored.program_id,
                    kind,
                )
            )
    return runs


def is_one_time(program: ScheduledIrrigationProgram) -> bool:
    """Whether a DP17 program runs once, on its start date.

    The days bitmap only means something for a weekly program, so "no day set" (the seed's
    one-time task) is read as one-time only there; odd/even/every-n programs ignore the bitmap.
    """
    return program.recurrence == Recurrence.WEEKLY and program.days == Weekday.ONE_TIME


def _scheduled_spans(
    program: ScheduledIrrigationProgram, first_day: date, last_day: date, zone: tzinfo
) -> Iterator[tuple[datetime, datetime]]:
    """DP17 runs (UTC instants) starting on first_day..last_day, in order."""
    if not program.enabled or program.duration_minutes == 0:
        return
    duration = program.duration_minutes * _MINUTE
    for day in _scheduled_days(program, first_day, last_day):
        run_start = _wall_clock_instant(day, program.start_minute, zone)
        yield run_start, run_start + duration


def _scheduled_days(
    program: ScheduledIrrigationProgram, first_day: date, last_day: date
) -> Iterator[date]:
    if is_one_time(program):
        if first_day <= program.start_date <= last_day:
            yield program.start_date
        return
    if program.recurrence == Recurrence.EVERY_N_DAYS:
        # Every n days from start_date, never before it.
        interval = program.interval_days
        periods = max(0, -(-(first_day - program.start_date).days // interval))
        day = program.start_date + timedelta(days=periods * interval)
        while day <= last_day:
            yield day
            day += timedelta(days=interval)
        return
    # Weekly and odd/even programs run from their start date on: the real-valve capture carries
    # a date (2022-08-01) on a weekly program, where it can only be the day the app stored it.
    for day in _days(max(first_day, program.start_date), last_day):
        if program.recurrence == Recurrence.WEEKLY:
            matches = _on_weekday(program.days, day)
        else:
            matches = day.day % 2 == (program.recurrence == Recurrence.ODD_DAYS)
        if matches:
            yield day


def _cycle_spans(
    program: CycleIrrigationProgram,
    first_day: date,
    last_day: date,
    zone: tzinfo,
    now: datetime,
) -> Iterator[tuple[datetime, datetime]]:
    """DP16 runs (UTC instants) of the windows opening on first_day..last_day, in order.

    The window opens at start_minute on a matching day and closes at end_minute; end_minute
    before start_minute is an overnight window closing the next day (the codec accepts any pair
    of minutes, and a gardener's "20:00 to 06:00" means just that), equal minutes an empty one.
    In the window the valve is open on_minutes, then closed off_minutes, again and again; the
    last run is clipped at the window's end. off_minutes 0 is one run over the whole window,
    on_minutes 0 no run at all.
    """
    if (
        not program.enabled
        or program.on_minutes == 0
        or program.start_minute == program.end_minute
    ):
        return
    if program.days == Weekday.ONE_TIME:
        # DP16 has no date for its one-time task: show the window now in progress, or else the
        # next one, which is when the valve would run a task it has not run yet. An
        # approximation: a task the valve already ran keeps moving to the next day.
        today = now.astimezone(zone).date()
        for day in (today - _DAY, today, today + _DAY):
            window_start, window_end = _cycle_window(program, day, zone)
            if window_end > now:
                if first_day <= day <= last_day:
                    yield from _cycle_window_runs(program, window_start, window_end)
                return
        return
    for day in _days(first_day, last_day):
        if _on_weekday(program.days, day):
            yield from _cycle_window_runs(program, *_cycle_window(program, day, zone))


def _cycle_window(
    program: CycleIrrigationProgram, day: date, zone: tzinfo
) -> tuple[datetime, datetime]:
    end_day = day + _DAY if program.end_minute < program.start_minute else day
    return (
        _wall_clock_instant(day, program.start_minute, zone),
        _wall_clock_instant(end_day, program.end_minute, zone),
    )


def _cycle_window_runs(
    program: CycleIrrigationProgram, window_start: datetime, window_end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    if program.off_minutes == 0:
        if window_start < window_end:
            yield window_start, window_end
        return
    on = program.on_minutes * _MINUTE
    period = on + program.off_minutes * _MINUTE
    run_start = window_start
    while run_start < window_end:
        yield run_start, min(run_start + on, window_end)
        run_start += period


def _on_weekday(days: Weekday, day: date) -> bool:
    return bool(days & weekdays.day_bit(day))


# --- runs -> calendar events --------------------------------------------------------------------

_ODD_MONTH_DAYS: Final = frozenset(range(1, 32, 2))
_EVEN_MONTH_DAYS: Final = frozenset(range(2, 31, 2))


def program_uid(kind: ProgramKind, program_id: int) -> str:
    """Return the calendar uid of a program: "scheduled-2", "cycle-1"."""
    return f"{kind}-{program_id}"


def program_rrule(program: ScheduledIrrigationProgram) -> str | None:
    """Return the RFC 5545 RRULE repeating a DP17 program as the valve does (None: one-time)."""
    if is_one_time(program):
        return None
    match program.recurrence:
        case Recurrence.WEEKLY:
            return f"FREQ=WEEKLY;BYDAY={weekdays.byday_of_bits(program.days)}"
        case Recurrence.ODD_DAYS:
            return f"FREQ=MONTHLY;BYMONTHDAY={_month_days(_ODD_MONTH_DAYS)}"
        case Recurrence.EVEN_DAYS:
            return f"FREQ=MONTHLY;BYMONTHDAY={_month_days(_EVEN_MONTH_DAYS)}"
        case Recurrence.EVERY_N_DAYS:
            return f"FREQ=DAILY;INTERVAL={program.interval_days}"


def runs_to_events(
    runs: Iterable[IrrigationRun], programs: Iterable[AnyStoredProgram]
) -> list[CalendarEvent]:
    """Calendar events for runs; every run's program must be among programs (else KeyError).

    All runs of a program share its uid; recurrence_id (the run's start in UTC, RFC 5545 form
    "20260601T060000Z", unambiguous in the repeated autumn hour) tells them apart. A one-time
    scheduled program is a single event, so its run has neither rrule nor recurrence_id. Cycle
    runs carry no rrule: several runs a day are no RRULE a calendar UI can edit.
    """
    by_key: dict[
        tuple[ProgramKind, int], CycleIrrigationProgram | ScheduledIrrigationProgram
    ] = {(_kind_of(stored), stored.program_id): stored.program for stored in programs}
    events: list[CalendarEvent] = []
    for run in runs:
        program = by_key[run.kind, run.program_id]
        recurrence_id: str | None = run.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        rrule: str | None = None
        if isinstance(program, ScheduledIrrigationProgram):
            summary = f"Irrigation (program {run.program_id})"
            description = f"Water flow: {program.water_flow_percent}%"
            rrule = program_rrule(program)
            if rrule is None:
                recurrence_id = None
        else:
            summary = f"Cycle irrigation (program {run.program_id})"
            description = (
                f"Water flow: {program.water_flow_percent}%\n"
                f"{program.on_minutes} min on, {program.off_minutes} min off, "
                f"{minute_text(program.start_minute)} to {minute_text(program.end_minute)}"
            )
        events.append(
            CalendarEvent(
                start=run.start,
                end=run.end,
                summary=summary,
                description=description,
                uid=program_uid(run.kind, run.program_id),
                recurrence_id=recurrence_id,
                rrule=rrule,
            )
        )
    return events


def _kind_of(stored: AnyStoredProgram) -> ProgramKind:
    if isinstance(stored.program, ScheduledIrrigationProgram):
        return ProgramKind.SCHEDULED
    return ProgramKind.CYCLE


def _month_days(days: frozenset[int]) -> str:
    return ",".join(str(day) for day in sorted(days))


# --- calendar event -> scheduled program --------------------------------------------------------

# What a calendar event's RRULE may say: the frequencies the valve repeats, with their BY… parts.
_SUPPORTED_RULES: Final = {
    "DAILY": (),
    "WEEKLY": ("BYDAY",),
    "MONTHLY": ("BYMONTHDAY",),
}


def scheduled_program_from_event(
    dtstart: date | datetime,
    dtend: date | datetime,
    rrule: str | None,
    *,
    water_flow_percent: int = 100,
    enabled: bool = True,
) -> ScheduledIrrigationProgram:
    """Return the DP17 program for a calendar event; UnrepresentableEventError says why not.

    start_minute is dtstart's wall-clock time in its own zone (pass it in the valve's zone, the
    Home Assistant one); the duration is the elapsed time to dtend. An event may cross
    midnight: a DP17 program is a start and a duration (seed 004 caps only the duration, at
    1439 minutes). Without an RRULE the program is one-time on dtstart's date. An RRULE must
    be one the valve repeats exactly, and dtstart one of its days:
      FREQ=WEEKLY[;BYDAY=...]               weekly (no BYDAY: dtstart's weekday)
      FREQ=DAILY[;INTERVAL=1..31]           every n days from dtstart's date
      FREQ=MONTHLY;BYMONTHDAY=1,3,...,31    odd days (2,4,...,30: even days)
    WKST is accepted and ignored (it changes nothing at INTERVAL=1). Programs that do not use
    the days bitmap get every day, which is harmless whether the valve ignores the bitmap or
    masks with it; programs that do not use the start date or n get dtstart's date and 1, as
    the real-valve capture's weekly program has.
    """
    if not isinstance(dtstart, datetime) or not isinstance(dtend, datetime):
        raise UnrepresentableEventError("event_all_day", {})
    zone = dtstart.tzinfo or dtend.tzinfo or UTC
    start = dtstart if dtstart.tzinfo else dtstart.replace(tzinfo=zone)
    end = dtend if dtend.tzinfo else dtend.replace(tzinfo=zone)
    if start.second or start.microsecond:
        raise UnrepresentableEventError(
            "event_start_not_whole_minute", {"start": start.time().isoformat()}
        )
    duration = end.astimezone(UTC) - start.astimezone(UTC)
    if duration <= timedelta(0):
        raise UnrepresentableEventError("event_end_not_after_start", {})
    if duration % _MINUTE:
        raise UnrepresentableEventError(
            "event_duration_not_whole_minutes", {"duration": str(duration)}
        )
    minutes = duration // _MINUTE
    if minutes > MAX_PROGRAM_MINUTES:
        raise UnrepresentableEventError(
            "event_too_long",
            {"minutes": str(minutes), "max_minutes": str(MAX_PROGRAM_MINUTES)},
        )
    start_date = start.date()
    recurrence, days, interval_days = (
        (Recurrence.WEEKLY, Weekday.ONE_TIME, MIN_INTERVAL_DAYS)
        if rrule is None
        else _recurrence_from_rrule(rrule, start_date)
    )
    return ScheduledIrrigationProgram(
        enabled=enabled,
        start_minute=start.hour * 60 + start.minute,
        duration_minutes=minutes,
        days=days,
        water_flow_percent=water_flow_percent,
        recurrence=recurrence,
        start_date=start_date,
        interval_days=interval_days,
    )


def _recurrence_from_rrule(
    rrule: str, start_date: date
) -> tuple[Recurrence, Weekday, int]:
    rule = parse_endless_rule(rrule, _SUPPORTED_RULES)
    interval = rule.interval
    if rule.freq == "DAILY":
        if interval > MAX_INTERVAL_DAYS:
            raise UnrepresentableEventError(
                "rrule_daily_interval",
                {
                    "interval": str(interval),
                    "min_interval": str(MIN_INTERVAL_DAYS),
                    "max_interval": str(MAX_INTERVAL_DAYS),
                },
            )
        return Recurrence.EVERY_N_DAYS, Weekday.EVERY_DAY, interval
    if rule.freq == "WEEKLY":
        if interval != 1:
            raise UnrepresentableEventError(
                "rrule_weekly_interval", {"interval": str(interval)}
            )
        days = rule.byday_bits()
        start_bit = weekdays.day_bit(start_date)
        if days is not None and not days & start_bit:
            raise _start_not_in_rule(start_date)
        return Recurrence.WEEKLY, Weekday(days or start_bit), MIN_INTERVAL_DAYS
    if interval != 1:
        raise UnrepresentableEventError(
            "rrule_monthly_interval", {"interval": str(interval)}
        )
    month_days = rule.month_days(default=start_date.day)
    if month_days == _ODD_MONTH_DAYS:
        recurrence = Recurrence.ODD_DAYS
    elif month_days == _EVEN_MONTH_DAYS:
        recurrence = Recurrence.EVEN_DAYS
    else:
        raise UnrepresentableEventError(
            "rrule_monthday_set", {"days": rule.bymonthday or str(start_date.day)}
        )
    if (start_date.day % 2 == 1) != (recurrence == Recurrence.ODD_DAYS):
        raise _start_not_in_rule(start_date)
    return recurrence, Weekday.EVERY_DAY, MIN_INTERVAL_DAYS


def _start_not_in_rule(start_date: date) -> UnrepresentableEventError:
    return UnrepresentableEventError(
        "rrule_start_not_in_rule", {"date": start_date.isoformat()}
    )
