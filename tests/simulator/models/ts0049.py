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
  (``DP id, 00, then <id><record>`` for each program, ids ascending).

The wire side is built here with `struct`, on purpose independently of the integration's
codecs (``custom_components/zha_device_pack/protocol``), so end-to-end tests catch codec
bugs instead of sharing them.

Time is virtual: the valve keeps its own clock (`TS0049Valve.now`) and
`TS0049Valve.elapse` advances it and fires what is due (auto-off, end of a program run).
Every model state (programs, settings, fault, clock and the running watering) lives in
``SimDevice.state``, so it persists with the simulator state file.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date
import struct
from typing import TYPE_CHECKING, Any, Final

import zigpy.types as t
from zigpy.zcl import foundation
from zigpy.zcl.clusters import general
import zigpy.zdo.types as zdo_t

from tests.simulator.behaviors import basic_reset
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
RECURRENCES: Final = frozenset({0b0000, 0b0001, 0b0010, 0b0100})
RECURRENCE_WEEKLY: Final = 0b0000

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
    _check_setting(setting, days)
    try:
        date(year, month, day)
    except ValueError:
        raise _invalid(f"DP17 start date {year}-{month}-{day} is not a date") from None
    if not 1 <= n <= 31:
        raise _invalid(f"DP17 n {n} outside 1..31")


def _check_setting(setting: int, days: int) -> None:
    if setting & 0b1100:
        raise _invalid(f"DP17 setting 0x{setting:02x} sets reserved bits 2-3")
    if setting & 0b0011 > 0b01:
        raise _invalid(f"DP17 setting 0x{setting:02x} has an unknown on/off state")
    recurrence = setting >> 4
    if recurrence not in RECURRENCES:
        raise _invalid(f"DP17 setting 0x{setting:02x} has an unknown recurrence")
    # A weekly program with no weekday is a one-time task, as DP16's days byte documents
    # ("0x00: One-time task"); seed 004 has no other one-time form for DP17.
    del days


def program_enabled(dp: int, record: bytes) -> bool:
    """Return the on/off bit of a stored program record."""
    return bool(record[0] & 0x01) if dp == DP_CYCLE_IRRIGATION else bool(record[6] & 1)


def program_minutes(dp: int, record: bytes) -> int:
    """Return how long one run of the program waters (DP16: one on phase)."""
    if dp == DP_CYCLE_IRRIGATION:
        return int(CYCLE_RECORD.unpack(record)[4])
    return int(SCHEDULED_RECORD.unpack(record)[1])


class TS0049Valve:
    """The valve's behaviour; its state lives in ``device.state`` (persisted)."""

    def __init__(self, device: TS0049Device) -> None:
        self.device = device
        self._outbox: list[tuple[SimCluster, Attr, Any]] = []

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
        )

    def _put(self, key: str, value: Any) -> None:
        self._state[key] = value
        self.device.changed()

    def _store_programs(self, dp: int, programs: dict[int, bytes]) -> None:
        self._state["programs"][str(dp)] = {
            str(k): v.hex() for k, v in sorted(programs.items())
        }
        self.device.changed()

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
        """Report DP10, DP11, DP12 and DP4, as the valve does after joining / power-up."""
        for dp in (DP_WEATHER_DELAY, DP_IRRIGATION_TIME, DP_WORK_STATE, DP_FAULT):
            self._queue(dp)
        self.flush()

    def report_dp(self, dp: int) -> None:
        """Report one DP (4, 10, 11, 12, 15, 16, 17) with its current value."""
        self._queue(dp)
        self.flush()

    # -- valve --------------------------------------------------------------------------

    def _open(self, mode: int, seconds: int) -> None:
        now = self.now
        self._put(
            "run",
            {
                "mode": mode,
                "opened_at": now,
                "off_at": now + seconds if seconds else None,
            },
        )
        self.on_off.set("on_off", True, report=False)
        self._queue_on_off()
        self._queue(DP_WORK_STATE)

    def _close(self) -> None:
        run = self._state["run"]
        used = round(self.now - float(run["opened_at"]))
        self._state["last_once_using_time"] = max(0, min(MAX_SECONDS, used))
        self._put("run", None)
        self.on_off.set("on_off", False, report=False)
        self._queue_on_off()
        self._queue(DP_ONCE_USING_TIME)
        self._queue(DP_WORK_STATE)

    def switch(self, on: bool | None) -> None:
        """Open (True), close (False) or toggle (None) manually; reports queued."""
        target = not self.is_open if on is None else on
        if target and not self.is_open:
            self._open(WORK_STATE_MANUAL, self.irrigation_time)
        elif not target and self.is_open:
            self._close()

    def press_button(self) -> None:
        """Press the valve's button: toggle manually, report."""
        self.switch(None)
        self.flush()

    def start_program_run(
        self, dp: int, program_id: int, *, seconds: int | None = None
    ) -> None:
        """Start watering for a stored program (work state auto), report.

        The run lasts ``seconds`` or the program's duration (DP17 duration, DP16 one
        on phase); the model does not run programs by the calendar by itself.
        """
        record = self.programs(dp).get(program_id)
        if record is None:
            raise KeyError(f"no DP{dp} program {program_id}")
        if not program_enabled(dp, record):
            raise ValueError(f"DP{dp} program {program_id} is disabled")
        if self.is_open:
            raise ValueError("the valve is already open")
        duration = program_minutes(dp, record) * 60 if seconds is None else seconds
        self._open(WORK_STATE_AUTO, duration)
        self.flush()

    async def elapse(self, seconds: float) -> None:
        """Advance the virtual clock; close the valve when its time is up."""
        if seconds < 0:
            raise ValueError("time does not run backwards")
        target = self.now + seconds
        while (off_at := self.off_at) is not None and off_at <= target:
            self._state["clock"] = off_at
            self._close()
        self._put("clock", target)
        self.flush()
        await asyncio.sleep(0)

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
        """Store a program silently (test setup); return its id."""
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
        """Handle command 0xFD (DP16) / 0xFC (DP17)."""
        try:
            self._program_request(dp, payload)
        except ProgramRequestError as err:
            return err.status
        self._queue(dp)
        return Status.SUCCESS

    def _program_request(self, dp: int, payload: bytes) -> None:
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
        elif command == PROGRAM_ADD:
            check_program_record(dp, rest)
            self._add_program(dp, rest)
        elif command == PROGRAM_MODIFY:
            self._modify_program(dp, rest)
        elif command == PROGRAM_DELETE:
            self._delete_program(dp, rest)
        else:
            raise _invalid(f"unknown command 0x{command:02x}")

    def _modify_program(self, dp: int, rest: bytes) -> None:
        if len(rest) != 1 + _RECORDS[dp].size:
            raise ProgramRequestError(Status.MALFORMED_COMMAND, "modify length")
        check_program_record(dp, rest[1:])
        programs = self.programs(dp)
        if rest[0] not in programs:
            raise ProgramRequestError(Status.NOT_FOUND, f"no program {rest[0]}")
        programs[rest[0]] = rest[1:]
        self._store_programs(dp, programs)

    def _delete_program(self, dp: int, rest: bytes) -> None:
        if len(rest) != 1:
            raise ProgramRequestError(Status.MALFORMED_COMMAND, "delete length")
        programs = self.programs(dp)
        if programs.pop(rest[0], None) is None:
            raise ProgramRequestError(Status.NOT_FOUND, f"no program {rest[0]}")
        self._store_programs(dp, programs)

    # -- lifecycle ----------------------------------------------------------------------

    def power_lost(self) -> None:
        """Power cycle: closed (on_off is volatile), timer and queued reports lost."""
        self._state["run"] = None
        self._outbox.clear()
        self.device.changed()

    def factory_reset(self) -> None:
        """Basic reset_fact_default: settings, programs and fault back to defaults."""
        self._state.update(
            irrigation_time=DEFAULT_IRRIGATION_TIME,
            weather_delay=0,
            fault=0,
            run=None,
            last_once_using_time=None,
            programs={str(DP_CYCLE_IRRIGATION): {}, str(DP_SCHEDULED_IRRIGATION): {}},
        )
        self.device.changed()


def _id(item: tuple[str, str]) -> int:
    return int(item[0])


class TS0049Device(SimDevice):
    """SimDevice with the valve model attached (`valve`)."""

    valve: TS0049Valve
    #: Report DP10/11/12/4 after every Device_annce (join, power-up), like the real valve.
    report_on_announce: bool = True

    def announce(self) -> bool:
        """Broadcast Device_annce, then report the DPs."""
        ok = super().announce()
        if self.report_on_announce:
            self.valve.report_status()
        return ok

    async def handle_frame(self, frame: RecordedFrame) -> None:
        """Process a frame; DP reports follow the response to it."""
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
    **kwargs: Any,
) -> TS0049Device:
    """Create a TS0049 water valve (family A, seed 004).

    Endpoint 1 (HA profile, device type 0x0000): Basic, PowerConfiguration, Identify,
    Groups, Scenes, OnOff, 0xE001; out: Time, OTA.  ``battery`` is in percent.
    """
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
        run=None,
        last_once_using_time=None,
        programs={str(DP_CYCLE_IRRIGATION): {}, str(DP_SCHEDULED_IRRIGATION): {}},
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
    return device
