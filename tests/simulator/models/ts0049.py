"""Tuya TS0049 water valve, family A (_TZ3000_*): seed 004.

A battery end device. On/off is the standard OnOff cluster (DP1); everything else goes
through the Tuya private cluster 0xE001 (manufacturer-specific cluster id, frames carry
no manufacturer code):

- the device reports data points by sending Report Attributes for attribute 0xD040
  (octet string 0x41) whose value is ``DP id + DP data`` (big-endian);
- command 0xFE sets DP10 (weather delay, ``0a <enum 0-3>``) or DP11 (irrigation time,
  ``0b <u32 seconds 0-86400>``);
- commands 0xFD (DP16 cycle irrigation) and 0xFC (DP17 scheduled irrigation) carry
  ``00 <cmd> [id] [program record]``: 01 query, 02 modify id, 03 add, 04 delete id.
  After every successful request the device reports the whole program list
  (``DP id, 00, then <id><record>`` for each program, ids ascending); with
  ``answer_mode="seed"`` add and modify are answered with the one task instead, as the
  seed's data-format table words it.

The wire side is built here with `struct`, on purpose independently of the integration's
codecs (``custom_components/zha_device_pack/protocol``), so end-to-end tests catch codec
bugs instead of sharing them.

Time is virtual: the valve keeps its own clock (`TS0049Valve.now`, seconds) and a wall
clock on it (`TS0049Valve.wall_clock`, naive local time: the valve has no zone; a real
gateway sets it through the Time cluster, which the valve has as a client; that sync is
not modelled, tests call `TS0049Valve.set_clock`). `TS0049Valve.elapse` advances both and
fires what is due on the way, in time order: auto-off, the end of a run, and the runs of
the stored DP16/DP17 programs (computed event by event, never minute by minute).
Every model state (programs, settings, fault, clocks, the running watering and the
watering log) lives in ``SimDevice.state``, so it persists with the simulator state file.

In a network whose clock follows wall time (a scaled `SimNetwork`, the dev server) the valve
runs on the network's clock instead: entering it, a valve new to wall time sets its wall
clock to the local time of the simulator's host; from then on its virtual clock is the
network's plus a fixed offset (``follow_offset``, persisted), and while joined a network timer
wakes it at its next closing or program event, so a watering started for a minute closes
itself a minute later and reports DP15. After a restart (the network clock resumes with the
downtime) the valve catches up on what fell due meanwhile when it is back on the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import dataclasses
from datetime import date, datetime, time, timedelta
import math
import struct
from typing import TYPE_CHECKING, Any, Final

import zigpy.types as t
from zigpy.zcl import foundation
from zigpy.zcl.clusters import general
import zigpy.zdo.types as zdo_t

from tests.simulator.behaviors import basic_reset
from tests.simulator.clock import ClockTimer
from tests.simulator.device import (
    Attr,
    CommandContext,
    Handler,
    HandlerResult,
    SimCluster,
    SimDevice,
)

from .common import (
    POWER_BATTERY,
    add_identify_groups_scenes,
    add_ota_client,
    resolve_ieee,
)

if TYPE_CHECKING:
    from tests.simulator.device import RecordedFrame

Status = foundation.Status

MANUFACTURER: Final = "_TZ3000_kz1anoi8"
MODEL: Final = "TS0049"
#: Seed 004 "Category / Device ID / Profile ID": water valve, 0x0000, 0x0104.
DEVICE_TYPE: Final = 0x0000

TUYA_CLUSTER_ID: Final = 0xE001
RAW_DATA_ATTR_ID: Final = 0xD040
CMD_IRRIGATION_SETTING: Final = 0xFE
CMD_CYCLE_IRRIGATION: Final = 0xFD
CMD_SCHEDULED_IRRIGATION: Final = 0xFC

DP_FAULT: Final = 4
DP_WEATHER_DELAY: Final = 10
DP_IRRIGATION_TIME: Final = 11
DP_WORK_STATE: Final = 12
DP_ONCE_USING_TIME: Final = 15
DP_CYCLE_IRRIGATION: Final = 16
DP_SCHEDULED_IRRIGATION: Final = 17

#: DP12 values (names as the integration's tuya_dp.WorkState).
WORK_STATE_AUTO: Final = 0
WORK_STATE_MANUAL: Final = 1
WORK_STATE_IDLE: Final = 2

MAX_FAULT: Final = 31
MAX_WEATHER_DELAY: Final = 3
MAX_SECONDS: Final = 86_400
MAX_MINUTES: Final = 1439
MAX_FLOW: Final = 100
#: Real Tuya valves auto-close after 10 minutes out of the box (peer evidence).
DEFAULT_IRRIGATION_TIME: Final = 600

PROGRAM_VERSION: Final = 0x00
PROGRAM_QUERY: Final = 0x01
PROGRAM_MODIFY: Final = 0x02
PROGRAM_ADD: Final = 0x03
PROGRAM_DELETE: Final = 0x04

#: DP16 record: on/off bit 0 + channel bits 1-7, days, start, end, on, off, flow.
CYCLE_RECORD: Final = struct.Struct(">BBHHHHB")
#: DP17 record: start, duration, days, flow, setting, year, month, day, n.
SCHEDULED_RECORD: Final = struct.Struct(">HHBBBHBBB")
#: DP17 recurrence (setting bits 4-7): weekly, odd days, even days, every n days.
RECURRENCE_WEEKLY: Final = 0b0000
RECURRENCE_ODD_DAYS: Final = 0b0001
RECURRENCE_EVEN_DAYS: Final = 0b0010
RECURRENCE_EVERY_N_DAYS: Final = 0b0100
RECURRENCES: Final = frozenset(
    {
        RECURRENCE_WEEKLY,
        RECURRENCE_ODD_DAYS,
        RECURRENCE_EVEN_DAYS,
        RECURRENCE_EVERY_N_DAYS,
    }
)
#: DP17 setting bits 0-1, the on/off state: the seed documents 00 off and 01 on.
SCHEDULE_STATE_ON: Final = 0b01
#: Days byte 0x00: "One-time task" (seed, DP16; read the same way for weekly DP17).
ONE_TIME: Final = 0x00

#: The wall clock of a new valve until `TS0049Valve.set_clock` (a Thursday, 00:00).
DEFAULT_WALL_CLOCK: Final = datetime(2026, 1, 1)

#: Answer modes of program requests (`TS0049Valve.answer_mode`).
ANSWER_LIST: Final = "list"
ANSWER_SEED: Final = "seed"
ANSWER_MODES: Final = frozenset({ANSWER_LIST, ANSWER_SEED})

#: Sources of a watering (`Watering.source`): "manual", ("scheduled", id), ("cycle", id).
SOURCE_MANUAL: Final = "manual"
SOURCE_SCHEDULED: Final = "scheduled"
SOURCE_CYCLE: Final = "cycle"
#: `SkippedRun.reason` values.
SKIPPED_OPEN: Final = "open"
SKIPPED_WEATHER_DELAY: Final = "weather delay"
#: The watering and skipped-run logs keep this many entries (oldest dropped first).
MAX_LOG: Final = 10_000

#: Following a network's wall clock: the valve checks its programs at least this often.
FOLLOW_HORIZON: Final = 86_400.0

#: `_Event.rank`: at one instant, a one-time DP16 window is used up before runs open.
_RANK_USE_UP: Final = 0
_RANK_OPEN: Final = 1

type Source = str | tuple[str, int]

_RECORDS: Final = {
    DP_CYCLE_IRRIGATION: CYCLE_RECORD,
    DP_SCHEDULED_IRRIGATION: SCHEDULED_RECORD,
}


class ProgramRequestError(Exception):
    """A program request is refused; ``status`` is the Default Response status."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclasses.dataclass(frozen=True)
class Watering:
    """One opening of the valve (`TS0049Valve.waterings`)."""

    #: Wall-clock time of the opening.
    opened: datetime
    #: Wall-clock time of the closing (None: still open).
    closed: datetime | None
    #: "manual", ("scheduled", DP17 id) or ("cycle", DP16 id).
    source: Source

    @property
    def duration(self) -> timedelta | None:
        """Return how long the valve was open (None: still open)."""
        return None if self.closed is None else self.closed - self.opened


@dataclasses.dataclass(frozen=True)
class SkippedRun:
    """A program run that was due but did not open the valve (`TS0049Valve.skipped`)."""

    #: Wall-clock time the run was due.
    at: datetime
    #: ("scheduled", DP17 id) or ("cycle", DP16 id).
    source: Source
    #: "open" (the valve was already open) or "weather delay" (DP10).
    reason: str


@dataclasses.dataclass(frozen=True, order=True)
class _Event:
    """The next thing a program does: open the valve, or use up a one-time DP16 window."""

    at: float
    rank: int
    dp: int
    program_id: int
    #: For an opening: the virtual time of its closing.
    off_at: float = dataclasses.field(default=0.0, compare=False)


@dataclasses.dataclass(frozen=True)
class TS0049State:
    """A snapshot of the valve model (see `ts0049_state`)."""

    now: float
    is_open: bool
    work_state: int
    irrigation_time: int
    weather_delay: int
    fault: int
    #: Virtual time at which the running watering stops by itself (None: never / closed).
    off_at: float | None
    #: The DP15 value of the last closing (seconds), None before the first one.
    last_once_using_time: int | None
    #: DP16 programs: id -> 11-byte record as stored (and reported).
    cycle_programs: dict[int, bytes]
    #: DP17 programs: id -> 12-byte record as stored (and reported).
    scheduled_programs: dict[int, bytes]
    max_programs: int
    #: The valve's wall clock (naive local time).
    wall_clock: datetime
    #: Wall-clock end of the DP10 delay period (None: no delay set).
    weather_delay_until: datetime | None
    #: "list" or "seed" (how program requests are answered).
    answer_mode: str


def check_program_record(dp: int, record: bytes) -> None:
    """Check a DP16/DP17 program record; raise `ProgramRequestError` if the device refuses it."""
    layout = _RECORDS[dp]
    if len(record) != layout.size:
        raise ProgramRequestError(
            Status.MALFORMED_COMMAND,
            f"DP{dp} record is {layout.size} bytes, got {len(record)}",
        )
    if dp == DP_CYCLE_IRRIGATION:
        _check_cycle(record)
    else:
        _check_scheduled(record)


def _invalid(reason: str) -> ProgramRequestError:
    return ProgramRequestError(Status.INVALID_VALUE, reason)


def _check_cycle(record: bytes) -> None:
    # The state byte (on/off bit 0, channel bits 1-7) takes every value.
    _state, days, start, end, on_minutes, off_minutes, flow = CYCLE_RECORD.unpack(
        record
    )
    if days & 0x80:
        raise _invalid(f"DP16 days 0x{days:02x} sets bit 7")
    for name, value in (
        ("start", start),
        ("end", end),
        ("on duration", on_minutes),
        ("off duration", off_minutes),
    ):
        if value > MAX_MINUTES:
            raise _invalid(f"DP16 {name} {value} > {MAX_MINUTES}")
    if flow > MAX_FLOW:
        raise _invalid(f"DP16 water flow {flow} > {MAX_FLOW}")


def _check_scheduled(record: bytes) -> None:
    start, duration, days, flow, setting, year, month, day, n = SCHEDULED_RECORD.unpack(
        record
    )
    if start > MAX_MINUTES:
        raise _invalid(f"DP17 start {start} > {MAX_MINUTES}")
    if duration > MAX_MINUTES:
        raise _invalid(f"DP17 duration {duration} > {MAX_MINUTES}")
    # Seed: "0xFF indicates weekly schedule"; the capture sends 0x7F for every day.
    if days & 0x80 and days != 0xFF:
        raise _invalid(f"DP17 days 0x{days:02x} sets bit 7")
    if flow > MAX_FLOW:
        raise _invalid(f"DP17 water flow {flow} > {MAX_FLOW}")
    _check_setting(setting)
    try:
        date(year, month, day)
    except ValueError:
        raise _invalid(f"DP17 start date {year}-{month}-{day} is not a date") from None
    if not 1 <= n <= 31:
        raise _invalid(f"DP17 n {n} outside 1..31")


def _check_setting(setting: int) -> None:
    # Bits 0-3 take every value: the seed documents on/off states 00 and 01 only and gives
    # bits 2-3 no meaning, but a real valve may carry more; the valve stores and reports
    # them as given (only on/off state 01 runs, see `program_enabled`). The recurrence
    # (bits 4-7) is refused unless the seed lists it: the valve could not run it.
    recurrence = setting >> 4
    if recurrence not in RECURRENCES:
        raise _invalid(f"DP17 setting 0x{setting:02x} has an unknown recurrence")


def program_enabled(dp: int, record: bytes) -> bool:
    """Return True if a stored program runs: bit 0 set (DP16 state byte, DP17 setting).

    DP16: the channel (bits 1-7) is not read; the valve has one outlet. DP17: the seed gives
    the on/off field as bits 0-1 with 00 off and 01 on only; DP16 documents bit 0 alone as
    on/off, so bit 0 is read as on/off here too and bit 1 is an undocumented flag (0b11 runs,
    0b10 does not). Not confirmed on a valve.
    """
    if dp == DP_CYCLE_IRRIGATION:
        return bool(record[0] & 0x01)
    return bool(record[6] & SCHEDULE_STATE_ON)


def program_minutes(dp: int, record: bytes) -> int:
    """Return how long one run of the program waters (DP16: one on phase)."""
    if dp == DP_CYCLE_IRRIGATION:
        return int(CYCLE_RECORD.unpack(record)[4])
    return int(SCHEDULED_RECORD.unpack(record)[1])


def weekday_bit(day: date) -> int:
    """Return the seed's weekly-schedule bit of ``day`` (bit 0 Sunday ... bit 6 Saturday)."""
    return 1 << (day.isoweekday() % 7)


def scheduled_days(record: bytes, first: date, last: date) -> Iterator[date]:
    """Yield the days in ``[first, last]`` on which a DP17 record runs (on/off not read).

    Seed 004, DP17 "Schedule setting": bits 4-7 0000 weekly on the days byte (bit 0
    Sunday; 0xFF and 0x7F every day), 0001 odd days of the month, 0010 even days, 0100
    every n days counted from the start date, never before it. Readings where the seed is
    silent: a weekly program with days 0x00 is a one-time task on its start date (DP16's
    "0x00: One-time task"); no program runs before its start date (the real-valve capture's
    weekly program carries 2022-08-01, the day the app stored it); n is only read by every-n
    programs, the days byte only by weekly ones.
    """
    _start, _minutes, days, _flow, setting, year, month, day, n = (
        SCHEDULED_RECORD.unpack(record)
    )
    recurrence = setting >> 4
    start_date = date(year, month, day)
    if recurrence == RECURRENCE_WEEKLY and days == ONE_TIME:
        if first <= start_date <= last:
            yield start_date
        return
    if recurrence == RECURRENCE_EVERY_N_DAYS:
        current = max(first, start_date)
        if offset := (current - start_date).days % n:
            current += timedelta(days=n - offset)
        while current <= last:
            yield current
            current += timedelta(days=n)
        return
    current = max(first, start_date)
    while current <= last:
        if recurrence == RECURRENCE_WEEKLY:
            runs = bool(days & weekday_bit(current))
        else:
            runs = current.day % 2 == (1 if recurrence == RECURRENCE_ODD_DAYS else 0)
        if runs:
            yield current
        current += timedelta(days=1)


def cycle_days(record: bytes, first: date, last: date) -> Iterator[date]:
    """Yield the days in ``[first, last]`` on which a DP16 window starts (on/off not read).

    The weekly-schedule bits name the day a window starts (an overnight window ends the
    next day); days 0x00, the one-time task, may start on any day.
    """
    days = record[1]
    current = first
    while current <= last:
        if days == ONE_TIME or days & weekday_bit(current):
            yield current
        current += timedelta(days=1)


def cycle_window(record: bytes, day: date) -> tuple[datetime, datetime]:
    """Return the DP16 window ``[start, end)`` that starts on ``day``.

    The seed gives start and end as minutes of the day only. Readings: end < start is an
    overnight window ending the next day; end == start is an empty window (no watering).
    """
    _state, _days, start, end, _on, _off, _flow = CYCLE_RECORD.unpack(record)
    midnight = datetime.combine(day, time())
    opens = midnight + timedelta(minutes=start)
    closes = midnight + timedelta(minutes=end)
    if end < start:
        closes += timedelta(days=1)
    return opens, closes


def _source_json(source: Source) -> Any:
    return source if isinstance(source, str) else [source[0], source[1]]


def _source(value: Any) -> Source:
    return value if isinstance(value, str) else (str(value[0]), int(value[1]))


def _optional_datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class TS0049Valve:
    """The valve's behaviour; its state lives in ``device.state`` (persisted)."""

    def __init__(self, device: TS0049Device) -> None:
        self.device = device
        self._outbox: list[tuple[SimCluster, Attr, Any]] = []
        #: The network timer of the next closing or program event (following only).
        self._follow_timer: ClockTimer | None = None

    # -- clusters -----------------------------------------------------------------

    @property
    def tuya(self) -> SimCluster:
        """Return the private cluster 0xE001."""
        return self.device.cluster(1, TUYA_CLUSTER_ID)

    @property
    def on_off(self) -> SimCluster:
        """Return the OnOff cluster."""
        return self.device.cluster(1, general.OnOff)

    # -- state (all in device.state) ------------------------------------------------

    @property
    def _state(self) -> dict[str, Any]:
        return self.device.state

    @property
    def now(self) -> float:
        """Return the virtual clock (seconds)."""
        return float(self._state["clock"])

    @property
    def wall_clock(self) -> datetime:
        """Return the valve's wall clock (naive local time)."""
        return self._wall(self.now)

    def set_clock(self, when: datetime) -> None:
        """Set the wall clock (as the gateway does through the Time cluster).

        The valve has no zone: an aware ``when`` is taken as its wall-clock reading
        (tzinfo dropped). Setting the clock fires nothing by itself; a program start at
        or after ``when`` runs on the next `elapse` (``elapse(0)`` included), and a
        DP16 window or DP17 run already in progress at ``when`` is not joined.
        """
        wall = when.replace(tzinfo=None)
        now = self.now
        self._state["epoch"] = (wall - timedelta(seconds=now)).isoformat()
        self._state["clock_set_at"] = now
        self._state["due_from"] = now
        self.device.changed()
        self._arm_follow()

    def _epoch(self) -> datetime:
        """Return the wall-clock time at virtual time 0."""
        return datetime.fromisoformat(self._state["epoch"])

    def _wall(self, at: float) -> datetime:
        return self._epoch() + timedelta(seconds=at)

    def _virtual(self, wall: datetime) -> float:
        return (wall.replace(tzinfo=None) - self._epoch()).total_seconds()

    @property
    def max_programs(self) -> int:
        """Return how many programs the valve holds per DP."""
        return int(self._state["max_programs"])

    @property
    def irrigation_time(self) -> int:
        """Return DP11, the auto-off time in seconds (0: no auto-off)."""
        return int(self._state["irrigation_time"])

    @property
    def weather_delay(self) -> int:
        """Return DP10 (0-3)."""
        return int(self._state["weather_delay"])

    @property
    def weather_delay_until(self) -> datetime | None:
        """Return the wall-clock end of the DP10 delay period (None: no delay set)."""
        set_at = self._state.get("weather_delay_set_at")
        if not self.weather_delay or set_at is None:
            return None
        return self._wall(float(set_at) + self.weather_delay * 86_400)

    def _weather_delayed(self, at: float) -> bool:
        """Return True if a run due at virtual time ``at`` falls in the delay period."""
        set_at = self._state.get("weather_delay_set_at")
        if not self.weather_delay or set_at is None:
            return False
        return float(set_at) <= at < float(set_at) + self.weather_delay * 86_400

    @property
    def answer_mode(self) -> str:
        """Return how program requests are answered: "list" or "seed"."""
        return str(self._state.get("answer_mode", ANSWER_LIST))

    @answer_mode.setter
    def answer_mode(self, mode: str) -> None:
        if mode not in ANSWER_MODES:
            raise ValueError(f"answer_mode {mode!r}: one of {sorted(ANSWER_MODES)}")
        self._put("answer_mode", mode)

    @property
    def fault(self) -> int:
        """Return DP4 (0-31)."""
        return int(self._state["fault"])

    @property
    def is_open(self) -> bool:
        """Return True while the valve is open."""
        return self._state.get("run") is not None

    @property
    def work_state(self) -> int:
        """Return DP12: 0 auto (program run), 1 manual, 2 idle (closed)."""
        run = self._state.get("run")
        return WORK_STATE_IDLE if run is None else int(run["mode"])

    @property
    def off_at(self) -> float | None:
        """Return the virtual time of the automatic closing (None: none pending)."""
        run = self._state.get("run")
        return None if run is None else run["off_at"]

    @property
    def last_once_using_time(self) -> int | None:
        """Return the DP15 value of the last closing."""
        value = self._state.get("last_once_using_time")
        return None if value is None else int(value)

    @property
    def waterings(self) -> list[Watering]:
        """Return every opening of the valve, oldest first (the last `MAX_LOG`)."""
        return [
            Watering(
                opened=datetime.fromisoformat(entry["opened"]),
                closed=_optional_datetime(entry["closed"]),
                source=_source(entry["source"]),
            )
            for entry in self._state.get("waterings", [])
        ]

    @property
    def skipped(self) -> list[SkippedRun]:
        """Return the program runs that were due but skipped, oldest first."""
        return [
            SkippedRun(
                at=datetime.fromisoformat(entry["at"]),
                source=_source(entry["source"]),
                reason=str(entry["reason"]),
            )
            for entry in self._state.get("skipped", [])
        ]

    def clear_log(self) -> None:
        """Forget the watering and skipped-run logs (the running watering is kept)."""
        log = self._state.get("waterings", [])
        self._state["waterings"] = log[-1:] if self.is_open else []
        self._put("skipped", [])

    def programs(self, dp: int) -> dict[int, bytes]:
        """Return the programs of DP16 or DP17: id -> record."""
        stored = self._state["programs"][str(dp)]
        return {int(k): bytes.fromhex(v) for k, v in sorted(stored.items(), key=_id)}

    def snapshot(self) -> TS0049State:
        """Return the current state as a `TS0049State`."""
        return TS0049State(
            now=self.now,
            is_open=self.is_open,
            work_state=self.work_state,
            irrigation_time=self.irrigation_time,
            weather_delay=self.weather_delay,
            fault=self.fault,
            off_at=self.off_at,
            last_once_using_time=self.last_once_using_time,
            cycle_programs=self.programs(DP_CYCLE_IRRIGATION),
            scheduled_programs=self.programs(DP_SCHEDULED_IRRIGATION),
            max_programs=self.max_programs,
            wall_clock=self.wall_clock,
            weather_delay_until=self.weather_delay_until,
            answer_mode=self.answer_mode,
        )

    def _put(self, key: str, value: Any) -> None:
        self._state[key] = value
        self.device.changed()

    def _store_programs(self, dp: int, programs: dict[int, bytes]) -> None:
        self._state["programs"][str(dp)] = {
            str(k): v.hex() for k, v in sorted(programs.items())
        }
        self.device.changed()
        self._arm_follow()

    def _arm(self, dp: int, program_id: int) -> None:
        """Note when a program was stored: DP16 windows that started before are not joined."""
        self._state.setdefault("armed", {}).setdefault(str(dp), {})[str(program_id)] = (
            self.now
        )

    def _since(self, dp: int, program_id: int) -> float:
        """Return the virtual time from which the program's windows / runs may start."""
        armed = self._state.get("armed", {}).get(str(dp), {}).get(str(program_id))
        clock_set_at = float(self._state.get("clock_set_at", 0.0))
        return clock_set_at if armed is None else max(float(armed), clock_set_at)

    def _log(self, key: str, entry: dict[str, Any]) -> None:
        log = self._state.setdefault(key, [])
        log.append(entry)
        del log[:-MAX_LOG]

    # -- reports ----------------------------------------------------------------------

    def _queue_dp(self, dp: int, data: bytes) -> None:
        attr = self.tuya.attr(RAW_DATA_ATTR_ID)
        self._outbox.append((self.tuya, attr, t.LVBytes(bytes([dp]) + data)))

    def _queue_on_off(self) -> None:
        cluster = self.on_off
        self._outbox.append((cluster, cluster.attr("on_off"), self.is_open))

    def flush(self) -> None:
        """Send the queued reports (one Report Attributes frame each), in order."""
        outbox, self._outbox = self._outbox, []
        for cluster, attr, value in outbox:
            cluster.set(attr, value, report=False)
            self.device.send_report(cluster, [attr])
        self._arm_follow()

    def dp_bytes(self, dp: int) -> bytes:
        """Return the current ``DP id + data`` of a reportable DP."""
        match dp:
            case 4:
                data = struct.pack(">B", self.fault)
            case 10:
                data = struct.pack(">B", self.weather_delay)
            case 11:
                data = struct.pack(">I", self.irrigation_time)
            case 12:
                data = struct.pack(">B", self.work_state)
            case 15:
                data = struct.pack(">I", self.last_once_using_time or 0)
            case 16 | 17:
                data = bytes([PROGRAM_VERSION]) + b"".join(
                    bytes([pid]) + record for pid, record in self.programs(dp).items()
                )
            case _:
                raise ValueError(f"DP{dp} is not reported by the valve")
        return bytes([dp]) + data

    def _queue(self, dp: int) -> None:
        raw = self.dp_bytes(dp)
        self._queue_dp(raw[0], raw[1:])

    def report_status(self) -> None:
        """Report DP10, DP11, DP12, DP15 and DP4, as the valve does after joining / power-up.

        Seed 004 is silent on this; Tuya asks it of its Zigbee sub-devices: "When the device
        is powered on or joins the network, it should actively report the DP"
        (support.tuya.com/en/help/_detail/Kdl8vzz2jqmn9). Read here as every single-value DP
        the valve reports (DP15 is 0 before the first watering); the program lists (DP16,
        DP17) are answered to the gateway's query.
        """
        for dp in (
            DP_WEATHER_DELAY,
            DP_IRRIGATION_TIME,
            DP_WORK_STATE,
            DP_ONCE_USING_TIME,
            DP_FAULT,
        ):
            self._queue(dp)
        self.flush()

    def report_dp(self, dp: int) -> None:
        """Report one DP (4, 10, 11, 12, 15, 16, 17) with its current value."""
        self._queue(dp)
        self.flush()

    # -- valve --------------------------------------------------------------------------

    def _open(self, mode: int, off_at: float | None, source: Source) -> None:
        """Open: on_off 1 and DP12 (``mode``) reported, the watering logged."""
        now = self.now
        self._put(
            "run",
            {
                "mode": mode,
                "opened_at": now,
                "off_at": off_at,
                "source": _source_json(source),
            },
        )
        self._log(
            "waterings",
            {
                "opened": self._wall(now).isoformat(),
                "closed": None,
                "source": _source_json(source),
            },
        )
        self.on_off.set("on_off", True, report=False)
        self._queue_on_off()
        self._queue(DP_WORK_STATE)

    def _end_watering(self) -> None:
        """Close the running watering's log entry at the current wall clock."""
        log = self._state.get("waterings", [])
        if log and log[-1]["closed"] is None:
            log[-1]["closed"] = self.wall_clock.isoformat()

    def _close(self) -> None:
        """Close: on_off 0, DP15 (seconds watered) and DP12 idle reported."""
        run = self._state["run"]
        used = round(self.now - float(run["opened_at"]))
        self._state["last_once_using_time"] = max(0, min(MAX_SECONDS, used))
        self._end_watering()
        self._put("run", None)
        self.on_off.set("on_off", False, report=False)
        self._queue_on_off()
        self._queue(DP_ONCE_USING_TIME)
        self._queue(DP_WORK_STATE)

    def switch(self, on: bool | None) -> None:
        """Open (True), close (False) or toggle (None) manually; reports queued."""
        target = not self.is_open if on is None else on
        if target and not self.is_open:
            seconds = self.irrigation_time
            self._open(
                WORK_STATE_MANUAL,
                self.now + seconds if seconds else None,
                SOURCE_MANUAL,
            )
        elif not target and self.is_open:
            self._close()

    def press_button(self) -> None:
        """Press the valve's button: toggle manually, report."""
        self.switch(None)
        self.flush()

    def start_program_run(
        self, dp: int, program_id: int, *, seconds: int | None = None
    ) -> None:
        """Start watering for a stored program now (work state auto), report.

        A test hook: the run lasts ``seconds`` or the program's duration (DP17 duration,
        DP16 one on phase), whatever the calendar and the weather delay say. The valve
        also runs its programs by its wall clock in `elapse`.
        """
        record = self.programs(dp).get(program_id)
        if record is None:
            raise KeyError(f"no DP{dp} program {program_id}")
        if not program_enabled(dp, record):
            raise ValueError(f"DP{dp} program {program_id} is disabled")
        if self.is_open:
            raise ValueError("the valve is already open")
        duration = program_minutes(dp, record) * 60 if seconds is None else seconds
        self._open(
            WORK_STATE_AUTO,
            self.now + duration if duration else None,
            (_program_kind(dp), program_id),
        )
        self.flush()

    async def elapse(self, seconds: float) -> None:
        """Advance the clocks by ``seconds``; do what is due on the way, report.

        In time order: closings (auto-off, end of a run), then at the same instant
        one-time DP16 windows used up, then program runs (DP16 before DP17, lower id
        first). Reports are sent at the end, in that order.
        """
        if seconds < 0:
            raise ValueError("time does not run backwards")
        self._advance(self.now + seconds)
        self.flush()
        await asyncio.sleep(0)

    async def elapse_until(self, when: datetime) -> None:
        """Advance the clocks to the wall-clock time ``when`` (see `elapse`)."""
        target = self._virtual(when)
        if target < self.now:
            raise ValueError(f"{when} is before the valve's clock {self.wall_clock}")
        self._advance(target)
        self.flush()
        await asyncio.sleep(0)

    # -- following the network's wall clock (`SimNetwork.wall_clock`) -------------------

    def follow_wall_clock(self, wall: datetime) -> None:
        """Enter a network whose clock follows wall time (a `SimDevice` wall clock hook).

        A valve new to wall time sets its wall clock to ``wall`` in the local time of the
        simulator's host (the valve has no zone) and ties its virtual clock to the
        network's; a restored one keeps its offset: the network's clock resumed with the
        downtime, which the valve catches up on when it is back on the network (`start`).
        """
        network = self.device.network
        if network is None or "follow_offset" in self._state:
            return
        self.set_clock(wall.astimezone().replace(tzinfo=None))
        self._state["follow_offset"] = self.now - network.now
        self.device.changed()

    @property
    def _follow_offset(self) -> float | None:
        """Return valve time - network time while following wall time (None: not)."""
        network = self.device.network
        offset = self._state.get("follow_offset")
        if offset is None or network is None or network.wall_clock is None:
            return None
        return float(offset)

    def start(self) -> None:
        """Joined or powered up (a `DeviceService`): catch up, then wake at what is due."""
        self.sync()

    def stop(self) -> None:
        """Left, powered down or the network stopped: no more wake-ups."""
        if self._follow_timer is not None:
            self._follow_timer.cancel()
            self._follow_timer = None

    def sync(self, at_least: float = -math.inf) -> None:
        """Following wall time: advance to the network's time (or ``at_least``), report.

        Does nothing otherwise (tests move the valve with `elapse`).
        """
        offset = self._follow_offset
        network = self.device.network
        if offset is None or network is None:
            return
        target = max(network.now + offset, at_least)
        if target > self.now:
            self._advance(target)
        self.flush()

    def _next_due(self, until: float) -> float | None:
        """Return the valve time of the next closing or program event up to ``until``."""
        due_from = float(self._state.get("due_from", self.now))
        times = [
            event.at
            for dp in (DP_CYCLE_IRRIGATION, DP_SCHEDULED_IRRIGATION)
            for program_id, record in self.programs(dp).items()
            if (event := self._next_event(dp, program_id, record, due_from, until))
            is not None
        ]
        if (off_at := self.off_at) is not None:
            times.append(off_at)
        return min(times, default=None)

    def _arm_follow(self) -> None:
        """Following wall time and joined: wake up on the network's clock when due."""
        self.stop()
        offset = self._follow_offset
        network = self.device.network
        if offset is None or network is None or not self.device.joined:
            return
        horizon = self.now + FOLLOW_HORIZON
        due = self._next_due(horizon)
        when = horizon if due is None else due
        self._follow_timer = network.clock.call_at(
            when - offset, lambda: self.sync(at_least=when)
        )

    def _advance(self, target: float) -> None:
        """Run the valve up to virtual time ``target`` (inclusive), event by event."""
        due_from = float(self._state.get("due_from", self.now))
        pending: dict[tuple[int, int], _Event | None] = {
            (dp, program_id): self._next_event(dp, program_id, record, due_from, target)
            for dp in (DP_CYCLE_IRRIGATION, DP_SCHEDULED_IRRIGATION)
            for program_id, record in self.programs(dp).items()
        }
        while True:
            event = min((e for e in pending.values() if e is not None), default=None)
            off_at = self.off_at
            if (
                off_at is not None
                and off_at <= target
                and (event is None or off_at <= event.at)
            ):
                self._state["clock"] = off_at
                self._close()
                continue
            if event is None:
                break
            self._state["clock"] = max(self.now, event.at)
            self._fire(event)
            key = (event.dp, event.program_id)
            record = self.programs(event.dp).get(event.program_id)
            after = math.nextafter(event.at, math.inf)
            pending[key] = (
                None
                if record is None
                else self._next_event(event.dp, event.program_id, record, after, target)
            )
        self._state["clock"] = target
        # Everything up to `target` is done: the next elapse starts just after it.
        self._state["due_from"] = math.nextafter(target, math.inf)
        self.device.changed()

    def _next_event(
        self, dp: int, program_id: int, record: bytes, due_from: float, until: float
    ) -> _Event | None:
        """Return the program's first event in ``[due_from, until]`` (None: none)."""
        if not program_enabled(dp, record):
            return None
        since = self._since(dp, program_id)
        epoch = self._epoch()
        # The day before: a DP16 overnight window that started yesterday may still run.
        first = (epoch + timedelta(seconds=max(due_from, since))).date()
        first -= timedelta(days=1)
        last = (epoch + timedelta(seconds=until)).date()
        if dp == DP_SCHEDULED_IRRIGATION:
            start, minutes = SCHEDULED_RECORD.unpack(record)[:2]
            if not minutes:
                return None  # a run of 0 minutes never opens the valve
            for day in scheduled_days(record, first, last):
                wall = datetime.combine(day, time()) + timedelta(minutes=start)
                at = (wall - epoch).total_seconds()
                if at > until:
                    return None
                if at >= due_from and at >= since:
                    return _Event(at, _RANK_OPEN, dp, program_id, at + minutes * 60)
            return None
        for day in cycle_days(record, first, last):
            opens, closes = cycle_window(record, day)
            start_at = (opens - epoch).total_seconds()
            if start_at > until:
                return None
            if start_at < since:
                continue  # stored (or clock set) after this window started
            end_at = (closes - epoch).total_seconds()
            event = self._window_event(program_id, record, start_at, end_at, due_from)
            if event is not None:
                # Windows are shorter than a day: the next one starts after this ends.
                return event if event.at <= until else None
        return None

    @staticmethod
    def _window_event(
        program_id: int, record: bytes, start_at: float, end_at: float, due_from: float
    ) -> _Event | None:
        """Return the first event at or after ``due_from`` of one DP16 window.

        Seed 004 DP16: on for "ON state duration" minutes, off for "OFF state duration",
        repeatedly within [start, end). Readings: the last opening is cut at the window
        end; off 0 is one opening for the whole window; on 0 never opens.
        """
        _state, days, _start, _end, on_minutes, off_minutes, _flow = (
            CYCLE_RECORD.unpack(record)
        )
        events: list[_Event] = []
        if on_minutes and end_at > start_at:
            if not off_minutes:
                if start_at >= due_from:
                    events.append(
                        _Event(
                            start_at,
                            _RANK_OPEN,
                            DP_CYCLE_IRRIGATION,
                            program_id,
                            end_at,
                        )
                    )
            else:
                period = (on_minutes + off_minutes) * 60
                k = max(0, math.ceil((due_from - start_at) / period))
                at = start_at + k * period
                if at < due_from:  # float rounding
                    at = start_at + (k + 1) * period
                if at < end_at:
                    off_at = min(at + on_minutes * 60, end_at)
                    events.append(
                        _Event(at, _RANK_OPEN, DP_CYCLE_IRRIGATION, program_id, off_at)
                    )
        if days == ONE_TIME and end_at >= due_from:
            events.append(_Event(end_at, _RANK_USE_UP, DP_CYCLE_IRRIGATION, program_id))
        return min(events, default=None)

    def _fire(self, event: _Event) -> None:
        """Do what a program event says, at the current virtual time."""
        source: Source = (_program_kind(event.dp), event.program_id)
        if event.rank == _RANK_USE_UP:
            # Seed: "0x00: One-time task". Reading: after its window the valve turns the
            # program off (clears bit 0, keeps it stored) and reports the DP16 list, as a
            # valve reports changes it makes by itself.
            programs = self.programs(event.dp)
            record = programs[event.program_id]
            programs[event.program_id] = bytes([record[0] & 0xFE]) + record[1:]
            self._store_programs(event.dp, programs)
            self._queue(event.dp)
            return
        if self._weather_delayed(event.at):
            self._skip(source, SKIPPED_WEATHER_DELAY)
        elif self.is_open:
            # Reading: the running watering (manual or another program) goes on with its
            # own end; the new run is skipped, not queued or extended.
            self._skip(source, SKIPPED_OPEN)
        else:
            self._open(WORK_STATE_AUTO, event.off_at, source)

    def _skip(self, source: Source, reason: str) -> None:
        self._log(
            "skipped",
            {
                "at": self.wall_clock.isoformat(),
                "source": _source_json(source),
                "reason": reason,
            },
        )

    def set_fault(self, fault: int) -> None:
        """Set DP4 (0-31) and report it."""
        if not 0 <= fault <= MAX_FAULT:
            raise ValueError(f"fault {fault} outside 0..{MAX_FAULT}")
        self._put("fault", fault)
        self.report_dp(DP_FAULT)

    def set_battery(self, percent: int) -> None:
        """Set and report battery_percentage_remaining (ZCL unit: half percent)."""
        if not 0 <= percent <= 100:
            raise ValueError(f"battery {percent} % outside 0..100")
        cluster = self.device.cluster(1, general.PowerConfiguration)
        attr = cluster.attr("battery_percentage_remaining")
        self._outbox.append((cluster, attr, percent * 2))
        self.flush()

    def store_program(self, dp: int, record: bytes) -> int:
        """Store a program silently (test setup); return its id.

        The record is checked as an add request is (undocumented bits are accepted).
        """
        check_program_record(dp, record)
        return self._add_program(dp, record)

    def _add_program(self, dp: int, record: bytes) -> int:
        programs = self.programs(dp)
        if len(programs) >= self.max_programs:
            raise ProgramRequestError(
                Status.INSUFFICIENT_SPACE, f"DP{dp} holds {len(programs)} programs"
            )
        program_id = next(i for i in range(1, 256) if i not in programs)
        programs[program_id] = bytes(record)
        self._arm(dp, program_id)
        self._store_programs(dp, programs)
        return program_id

    # -- commands -----------------------------------------------------------------------

    def handle_setting(self, payload: bytes) -> Status:
        """Handle command 0xFE (DP10 / DP11)."""
        if not payload:
            return Status.MALFORMED_COMMAND
        dp, data = payload[0], payload[1:]
        if dp == DP_WEATHER_DELAY:
            if len(data) != 1:
                return Status.MALFORMED_COMMAND
            (value,) = struct.unpack(">B", data)
            if value > MAX_WEATHER_DELAY:
                return Status.INVALID_VALUE
            # Reading: the delay period (1/2/3 = 24/48/72 h) counts from this command,
            # setting it again restarts it, 0 clears it; DP10 keeps its value afterwards.
            self._state["weather_delay_set_at"] = self.now if value else None
            self._put("weather_delay", value)
        elif dp == DP_IRRIGATION_TIME:
            if len(data) != 4:
                return Status.MALFORMED_COMMAND
            (value,) = struct.unpack(">I", data)
            if value > MAX_SECONDS:
                return Status.INVALID_VALUE
            self._put("irrigation_time", value)
        else:
            return Status.INVALID_VALUE
        self._queue(dp)
        return Status.SUCCESS

    def handle_program(self, dp: int, payload: bytes) -> Status:
        """Handle command 0xFD (DP16) / 0xFC (DP17); queue the answer."""
        try:
            program_id = self._program_request(dp, payload)
        except ProgramRequestError as err:
            return err.status
        if program_id is not None and self.answer_mode == ANSWER_SEED:
            # Seed 004 data-format table: add -> "Protocol version + Scheduled task (with
            # the ID of the added schedule)", modify -> "Protocol version + Scheduled
            # task": that one task only.
            record = self.programs(dp)[program_id]
            self._queue_dp(dp, bytes([PROGRAM_VERSION, program_id]) + record)
        else:
            self._queue(dp)
        return Status.SUCCESS

    def _program_request(self, dp: int, payload: bytes) -> int | None:
        """Apply a program request; return the added / modified id (None: query, delete)."""
        if len(payload) < 2:
            raise ProgramRequestError(Status.MALFORMED_COMMAND, "no command byte")
        version, command, rest = payload[0], payload[1], payload[2:]
        if version != PROGRAM_VERSION:
            raise _invalid(f"unknown version 0x{version:02x}")
        if command == PROGRAM_QUERY:
            if rest:
                raise ProgramRequestError(
                    Status.MALFORMED_COMMAND, "query takes no data"
                )
            return None
        if command == PROGRAM_ADD:
            check_program_record(dp, rest)
            return self._add_program(dp, rest)
        if command == PROGRAM_MODIFY:
            return self._modify_program(dp, rest)
        if command == PROGRAM_DELETE:
            self._delete_program(dp, rest)
            return None
        raise _invalid(f"unknown command 0x{command:02x}")

    def _modify_program(self, dp: int, rest: bytes) -> int:
        if len(rest) != 1 + _RECORDS[dp].size:
            raise ProgramRequestError(Status.MALFORMED_COMMAND, "modify length")
        check_program_record(dp, rest[1:])
        programs = self.programs(dp)
        if rest[0] not in programs:
            raise ProgramRequestError(Status.NOT_FOUND, f"no program {rest[0]}")
        programs[rest[0]] = rest[1:]
        self._arm(dp, rest[0])
        self._store_programs(dp, programs)
        return rest[0]

    def _delete_program(self, dp: int, rest: bytes) -> None:
        if len(rest) != 1:
            raise ProgramRequestError(Status.MALFORMED_COMMAND, "delete length")
        programs = self.programs(dp)
        if programs.pop(rest[0], None) is None:
            raise ProgramRequestError(Status.NOT_FOUND, f"no program {rest[0]}")
        self._state.get("armed", {}).get(str(dp), {}).pop(str(rest[0]), None)
        self._store_programs(dp, programs)

    # -- lifecycle ----------------------------------------------------------------------

    def power_lost(self) -> None:
        """Power cycle: closed (on_off is volatile), timer and queued reports lost.

        The wall clock keeps running (on a real valve the gateway sets it again).
        """
        self._end_watering()
        self._state["run"] = None
        self._outbox.clear()
        self.device.changed()

    def factory_reset(self) -> None:
        """Basic reset_fact_default: settings, programs and fault back to defaults.

        The clocks and the logs are kept (the log is the test's view, not device state).
        """
        self._end_watering()
        self._state.update(
            irrigation_time=DEFAULT_IRRIGATION_TIME,
            weather_delay=0,
            weather_delay_set_at=None,
            fault=0,
            run=None,
            last_once_using_time=None,
            programs={str(DP_CYCLE_IRRIGATION): {}, str(DP_SCHEDULED_IRRIGATION): {}},
            armed={},
        )
        self.device.changed()


def _program_kind(dp: int) -> str:
    return SOURCE_CYCLE if dp == DP_CYCLE_IRRIGATION else SOURCE_SCHEDULED


def _id(item: tuple[str, str]) -> int:
    return int(item[0])


class TS0049Device(SimDevice):
    """SimDevice with the valve model attached (`valve`)."""

    valve: TS0049Valve
    #: Report DP10/11/12/15/4 after every Device_annce (join, power-up): `report_status`.
    report_on_announce: bool = True

    def announce(self) -> bool:
        """Broadcast Device_annce, then report the DPs."""
        ok = super().announce()
        if self.report_on_announce:
            self.valve.report_status()
        return ok

    async def handle_frame(self, frame: RecordedFrame) -> None:
        """Process a frame on the valve's current time; DP reports follow the response."""
        self.valve.sync()
        await super().handle_frame(frame)
        self.valve.flush()


def ts0049_valve(device: SimDevice) -> TS0049Valve:
    """Return the valve model of a TS0049 device."""
    if not isinstance(device, TS0049Device):
        raise TypeError(f"{device!r} is not a TS0049")
    return device.valve


def ts0049_state(device: SimDevice) -> TS0049State:
    """Return a snapshot of a TS0049 device's valve state."""
    return ts0049_valve(device).snapshot()


def ts0049(
    ieee: str | t.EUI64 | None = None,
    *,
    manufacturer: str = MANUFACTURER,
    max_programs: int = 4,
    battery: int = 87,
    irrigation_time: int = DEFAULT_IRRIGATION_TIME,
    wall_clock: datetime = DEFAULT_WALL_CLOCK,
    answer_mode: str = ANSWER_LIST,
    **kwargs: Any,
) -> TS0049Device:
    """Create a TS0049 water valve (family A, seed 004).

    Endpoint 1 (HA profile, device type 0x0000): Basic, PowerConfiguration, Identify,
    Groups, Scenes, OnOff, 0xE001; out: Time, OTA.  ``battery`` is in percent.
    ``wall_clock``: the valve's local time at virtual time 0. ``answer_mode``: "list"
    (every successful program request answered by the whole list) or "seed" (add and
    modify answered by the one task).
    """
    if answer_mode not in ANSWER_MODES:
        raise ValueError(f"answer_mode {answer_mode!r}: one of {sorted(ANSWER_MODES)}")
    kwargs.setdefault("logical_type", zdo_t.LogicalType.EndDevice)
    kwargs.setdefault("mains_powered", False)
    kwargs.setdefault("rx_on_when_idle", False)
    kwargs.setdefault("supports_mgmt_lqi", False)
    kwargs.setdefault("supports_mgmt_rtg", False)
    device = TS0049Device(
        ieee=resolve_ieee(ieee),
        manufacturer=manufacturer,
        model=MODEL,
        model_key="ts0049",
        **kwargs,
    )
    valve = device.valve = TS0049Valve(device)
    device.state.update(
        max_programs=max_programs,
        irrigation_time=irrigation_time,
        weather_delay=0,
        fault=0,
        clock=0.0,
        # Wall clock = epoch + clock; program starts >= due_from are still to come.
        epoch=wall_clock.replace(tzinfo=None).isoformat(),
        clock_set_at=0.0,
        due_from=0.0,
        weather_delay_set_at=None,
        answer_mode=answer_mode,
        run=None,
        last_once_using_time=None,
        programs={str(DP_CYCLE_IRRIGATION): {}, str(DP_SCHEDULED_IRRIGATION): {}},
        # Virtual time each program was stored (added / modified), by DP and id.
        armed={},
        waterings=[],
        skipped=[],
    )

    ep = device.add_endpoint(1, profile_id=0x0104, device_type=DEVICE_TYPE)

    def reset(ctx: CommandContext) -> HandlerResult:
        basic_reset(ctx)
        valve.factory_reset()
        return None

    ep.add_cluster(
        general.Basic,
        {
            "zcl_version": 3,
            "app_version": 0x40,
            "stack_version": 2,
            "hw_version": 1,
            "manufacturer": manufacturer,
            "model": MODEL,
            "power_source": POWER_BATTERY,
            "cluster_revision": 1,
        },
        standard_handlers=False,
        handlers={"reset_fact_default": reset},
    )
    ep.add_cluster(
        general.PowerConfiguration,
        {"battery_percentage_remaining": battery * 2, "cluster_revision": 1},
    )
    add_identify_groups_scenes(ep)

    def switch(on: bool | None) -> Handler:
        def handler(ctx: CommandContext) -> HandlerResult:
            valve.switch(on)
            return None

        return handler

    ep.add_cluster(
        general.OnOff,
        {"on_off": False, "cluster_revision": 1},
        volatile=["on_off"],
        standard_handlers=False,
        handlers={"off": switch(False), "on": switch(True), "toggle": switch(None)},
    )
    ep.add_cluster(
        TUYA_CLUSTER_ID,
        attributes=[
            Attr(RAW_DATA_ATTR_ID, "raw_data", t.LVBytes, b"", access="rp"),
            Attr(0xFFFD, "cluster_revision", t.uint16_t, 1, access="r"),
        ],
        handlers={
            CMD_IRRIGATION_SETTING: lambda ctx: valve.handle_setting(ctx.payload),
            CMD_CYCLE_IRRIGATION: lambda ctx: valve.handle_program(
                DP_CYCLE_IRRIGATION, ctx.payload
            ),
            CMD_SCHEDULED_IRRIGATION: lambda ctx: valve.handle_program(
                DP_SCHEDULED_IRRIGATION, ctx.payload
            ),
        },
    )
    ep.add_output_cluster(general.Time)
    add_ota_client(ep)
    device.power_cycle_hooks.append(lambda _device: valve.power_lost())
    device.wall_clock_hooks.append(valve.follow_wall_clock)
    device.services.append(valve)
    return device
