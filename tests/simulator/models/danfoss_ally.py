"""Danfoss Ally radiator thermostat (eTRV0100), after Danfoss's Zigbee cluster specification.

Source: "Danfoss Ally eTRV1.20 and 0.20, Zigbee Cluster Specification",
AM375549618098en-000103 (01-08-2023), cited below as [SPEC p.N] (page of its text in
``/work/shared/research/danfoss_ally_cluster_spec_1.20.txt``), and the research notes
``danfoss_specifics.md`` ([RES §N]).  zigpy's cluster definitions give only the wire
types of the standard attributes; the Danfoss attributes are declared here from the
spec tables (type, access, range, default).  Nothing is imported from zha-quirks or the
integration.

Endpoint 1 (HA profile, device type 0x0301 Thermostat) has the input clusters Basic,
PowerConfiguration, Identify, Time, Poll Control, Thermostat, Thermostat UI and
Diagnostics and the output clusters Basic and OTA: the simple descriptor real eTRV0100s
present (zha-quirks' signature comment lists the same ids).  The Time cluster is a
*server* on the TRV: the spec's attribute table gives Time / TimeStatus / TimeZone
as R/W and says "it is the responsibility of the ZigBee coordinator, after writing to
the Time attribute, to update TimeStatus" [SPEC p.4]; the TRV never reads a time
server [RES §6].

"Save" column [SPEC]: attributes the gateway writes with Save = No are volatile here
(they go back to their defaults on `SimDevice.power_cycle`), an inference [RES §0].
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import itertools
import logging
from typing import Any, Final

import zigpy.types as t
from zigpy.zcl import foundation
from zigpy.zcl.clusters import general, homeautomation, hvac

from tests.simulator.clock import ClockTimer
from tests.simulator.device import (
    NO_RESPONSE,
    Attr,
    CommandContext,
    HandlerResult,
    RecordedFrame,
    SimCluster,
    SimDevice,
)
from tests.simulator.zcl import _check_write

from .common import (
    POWER_BATTERY,
    add_basic,
    add_ota_client,
    add_poll_control,
    resolve_ieee,
)

_LOGGER = logging.getLogger(__name__)

Status = foundation.Status
GeneralCommand = foundation.GeneralCommand

#: "Danfoss" = 0x1246 (ZigBee Alliance manufacturer code) [SPEC p.4, OTA 0x0007].
DANFOSS: Final = 0x1246
DEVICE_TYPE_THERMOSTAT: Final = 0x0301
THERMOSTAT: Final = 0x0201
TIME: Final = 0x000A
UI: Final = 0x0204
DIAGNOSTICS: Final = 0x0B05

#: int16 "off" value of 0x4015 / 0x4040 / 0x404A [SPEC p.5].
OFF: Final = -8000
#: 0x4015 timeouts [SPEC p.5, 0x4015]: "after 35 minutes the function is disabled"
#: (0x4016 TRUE) / "After 3 hours the function is disabled" (0x4016 FALSE).
COVERED_TIMEOUT: Final = 35 * 60
EXPOSED_TIMEOUT: Final = 3 * 3600
#: 0x404A default reporting: min 60 s, max 3600 s, change 50 [SPEC p.5].
LOAD_MIN_INTERVAL: Final = 60
LOAD_MAX_INTERVAL: Final = 3600
LOAD_CHANGE: Final = 50
#: Time default "synchronized at boot": 0x2000E3B0 = 2017-01-05 11:00 UTC [SPEC p.4].
DEFAULT_TIME: Final = 0x2000E3B0
ZCL_EPOCH: Final = datetime(2000, 1, 1)
#: SW error code (0x0B05/0x4000) bit 9: E10 "Invalid clock information" [RES §4].
E10_INVALID_CLOCK: Final = 0x0200
#: Thermostat 0x0022 NumberOfDailyTransitions = 6 [SPEC p.5].
DAILY_TRANSITIONS: Final = 6
#: ZCL ModeForSequence bit 0: heat setpoint present.
MODE_HEAT: Final = 0x01
#: Day-of-week bit 7, "Away or Vacation": "Vacation day is not used" [SPEC p.3].
DAY_VACATION: Final = 0x80

# 0x4000 eTRV Open Window Detection [SPEC p.5].
WINDOW_QUARANTINE: Final = 0
WINDOW_CLOSED: Final = 1
WINDOW_HOLD: Final = 2
WINDOW_OPEN: Final = 3
WINDOW_EXTERNAL: Final = 4

# 0x0030 Setpoint Change Source [SPEC p.5].
SOURCE_MANUAL: Final = 0
SOURCE_SCHEDULE: Final = 1
SOURCE_EXTERNAL: Final = 2


def _between(low: int, high: int) -> Callable[[Any], bool]:
    return lambda value: low <= int(value) <= high


_BOOL = _between(0, 1)


def _mfr(
    attr_id: int,
    name: str,
    type_: Any,
    default: Any,
    access: str,
    low: int | None = None,
    high: int | None = None,
    *,
    volatile: bool = False,
) -> Attr:
    """A Danfoss (0x1246) attribute; ``low``/``high``: the spec's writable range."""
    validator = None
    if low is not None and high is not None:
        validator = _between(low, high)
    elif type_ is t.Bool:
        validator = _BOOL
    return Attr(
        attr_id,
        name,
        type_,
        default,
        access=access,
        manufacturer_code=DANFOSS,
        volatile=volatile,
        validator=validator,
    )


# Thermostat 0x0201 manufacturer attributes [SPEC p.5].  Access "rp": read-only and
# reportable (Reporting "Yes"); "rw": Reporting "Fixed" (not configurable, revision
# note of 09-04-2021) or "No".  volatile: Save "No" on a gateway-written attribute.
THERMOSTAT_ATTRIBUTES: Final = (
    _mfr(0x4000, "open_window_detection", t.enum8, WINDOW_QUARANTINE, "rp"),
    _mfr(0x4003, "external_open_window_detected", t.Bool, 0, "rw", volatile=True),
    _mfr(0x4010, "exercise_day_of_week", t.enum8, 4, "rw", 0, 7),
    _mfr(0x4011, "exercise_trigger_time", t.uint16_t, 660, "rw", 0, 1439),
    _mfr(0x4012, "mounting_mode_active", t.Bool, 0, "rp"),
    _mfr(0x4013, "mounting_mode_control", t.Bool, 0, "rw", volatile=True),
    _mfr(0x4014, "orientation", t.Bool, 0, "rw", volatile=True),
    # full int16 range 0x8000-0x7FFF: every value is accepted; -8000 = off
    _mfr(0x4015, "external_measured_room_sensor", t.int16s, OFF, "rw", volatile=True),
    _mfr(0x4016, "radiator_covered", t.Bool, 0, "rw"),
    _mfr(0x4020, "control_algorithm_scale_factor", t.uint8_t, 1, "rw", 1, 255),
    _mfr(0x4030, "heat_available", t.Bool, 0, "rw", volatile=True),
    _mfr(0x4031, "heat_required", t.Bool, 0, "rp"),
    _mfr(0x4032, "load_balancing_enable", t.Bool, 1, "rw", volatile=True),
    _mfr(0x4040, "load_room_mean", t.int16s, OFF, "rw", volatile=True),
    _mfr(0x404A, "load_estimate", t.int16s, OFF, "rp"),
    # 0xE7..0x19: -2.5 K .. +2.5 K in 0.1 K
    _mfr(
        0x404B, "regulation_setpoint_offset", t.int8s, 0, "rw", -25, 25, volatile=True
    ),
    _mfr(0x404C, "adaptation_run_control", t.enum8, 0, "rw", 0, 2, volatile=True),
    _mfr(0x404D, "adaptation_run_status", t.bitmap8, 0, "rp"),
    _mfr(0x404E, "adaptation_run_settings", t.bitmap8, 0, "rw", 0, 1, volatile=True),
    _mfr(0x404F, "preheat_status", t.Bool, 0, "rp"),
    _mfr(0x4050, "preheat_time", t.uint32_t, 0, "rp"),
    _mfr(0x4051, "window_open_feature", t.Bool, 1, "rw"),
)

DIAGNOSTIC_ATTRIBUTES: Final = (
    # R/W, reportable; "Writing 0 will act as a error reset command" [SPEC p.6]
    _mfr(0x4000, "sw_error_code", t.bitmap16, 0, "rwp"),
    _mfr(0x4001, "wake_time_avg", t.uint32_t, 0, "r"),
    _mfr(0x4002, "wake_time_max_duration", t.uint32_t, 0, "r"),
    _mfr(0x4003, "wake_time_min_duration", t.uint32_t, 0, "r"),
    _mfr(0x4004, "sleep_postponed_count_avg", t.uint32_t, 0, "r"),
    _mfr(0x4005, "sleep_postponed_count_max", t.uint32_t, 0, "r"),
    _mfr(0x4006, "sleep_postponed_count_min", t.uint32_t, 0, "r"),
    _mfr(0x4010, "motor_step_counter", t.uint32_t, 0, "rp"),
    _mfr(0x4020, "data_logger", t.LimitedLVBytes(50), b"", "rwp"),
    _mfr(0x4021, "control_diagnostics", t.LimitedLVBytes(30), b"", "rp"),
    # the spec lists 0x4022 twice (defaults 0x0000 and 0x0005): the first row is used
    _mfr(0x4022, "control_diagnostics_frequency", t.uint16_t, 0, "rw", volatile=True),
)

UI_ATTRIBUTES: Final = (_mfr(0x4000, "viewing_direction", t.enum8, 0, "rw", 0, 1),)

Schedule = dict[int, list[tuple[int, int]]]


class DanfossAllyTRV:
    """The behaviour of one eTRV (`DanfossAllyDevice.trv`); also a `DeviceService`.

    Model state lives in ``device.state`` (persisted) except the timers, which are
    re-armed by `start` (joined, powered up, restored).
    """

    def __init__(self, device: DanfossAllyDevice) -> None:
        self.device = device
        self._sensor_timer: ClockTimer | None = None
        self._load_timer: ClockTimer | None = None
        self._schedule_timer: ClockTimer | None = None
        #: Virtual time of the last 0x404A report (None: none yet).
        self.load_reported_at: float | None = None
        self.load_reported: int | None = None
        #: Transitions applied by the schedule: (virtual time, local wall clock, setpoint).
        self.transitions_applied: list[tuple[float, datetime, int]] = []

    # -- clusters -----------------------------------------------------------------

    @property
    def thermostat(self) -> SimCluster:
        """Return the Thermostat cluster (0x0201)."""
        return self.device.cluster(1, THERMOSTAT)

    @property
    def time(self) -> SimCluster:
        """Return the Time server cluster (0x000A)."""
        return self.device.cluster(1, TIME)

    @property
    def diagnostics(self) -> SimCluster:
        """Return the Diagnostics cluster (0x0B05)."""
        return self.device.cluster(1, DIAGNOSTICS)

    @property
    def now(self) -> float:
        """Return the network's virtual time."""
        return self.device.now

    @property
    def _state(self) -> dict[str, Any]:
        return self.device.state

    # -- DeviceService ------------------------------------------------------------

    def start(self) -> None:
        """(Re)arm the timers: sensor expiry, 0x404A reports, schedule."""
        self.stop()
        self._arm_sensor_expiry()
        self._arm_load_report()
        self._arm_schedule()

    def stop(self) -> None:
        """Cancel the timers (left the network, powered off)."""
        for timer in (self._sensor_timer, self._load_timer, self._schedule_timer):
            if timer is not None:
                timer.cancel()
        self._sensor_timer = self._load_timer = self._schedule_timer = None

    @property
    def _clock(self) -> Any:
        return None if self.device.network is None else self.device.network.clock

    # -- writes -------------------------------------------------------------------

    def attribute_written(self, cluster: SimCluster, attr: Attr, value: Any) -> None:
        """React to a successful over-the-air write (also when the value is unchanged)."""
        key = (cluster.cluster_id, attr.id, attr.manufacturer_code)
        if key == (THERMOSTAT, 0x0012, None):
            # "Setpoint change by external Attribute Write or Setpoint Command" [SPEC p.5]
            cluster.set("setpoint_change_source", SOURCE_EXTERNAL)
        elif key == (THERMOSTAT, 0x0025, None):
            self._arm_schedule()
        elif key == (THERMOSTAT, 0x4015, DANFOSS):
            # the timeout counts from the last write, whatever the value [SPEC p.5]
            self._state["sensor_written_at"] = None if int(value) == OFF else self.now
            self._arm_sensor_expiry()
        elif key == (THERMOSTAT, 0x4016, DANFOSS):
            self._arm_sensor_expiry()  # the other mode's timeout applies from now on
        elif key in ((THERMOSTAT, 0x4003, DANFOSS), (THERMOSTAT, 0x4051, DANFOSS)):
            self._update_window()
        elif key == (TIME, 0x0000, None):
            self._state["utc_base"] = int(value)
            self._state["utc_set_at"] = self.now
            cluster.set("last_set_time", int(value))
            # PG §1.2 (second hand, [RES §4]): writing the time clears E10
            self._state["clock_valid"] = True
            self._refresh_errors()
            self._arm_schedule()
        elif key == (TIME, 0x0001, None):
            # "only a write to bit 1 (Synchronized) will result in a change" [SPEC p.4]
            old = int(self._state.get("time_status", 0))
            cluster.set("time_status", (old & ~0x02) | (int(value) & 0x02))
            self._state["time_status"] = int(cluster.get("time_status"))
        elif cluster.cluster_id == TIME:
            self._arm_schedule()  # time zone / DST move the local clock
        elif key == (DIAGNOSTICS, 0x4000, DANFOSS):
            # "Writing 0 will act as a error reset command, but Error codes auto clear
            # when error recovered" [SPEC p.6]: any write resets, active errors stay
            self._refresh_errors(reset=True)

    # -- time ---------------------------------------------------------------------

    @property
    def utc(self) -> int:
        """Return the TRV's UTC clock (ZCL seconds since 2000-01-01)."""
        base = int(self._state.get("utc_base", DEFAULT_TIME))
        set_at = float(self._state.get("utc_set_at", 0.0))
        return base + int(self.now - set_at)

    def _dst_offset(self, utc: int) -> int:
        start = int(self.time.get("dst_start"))
        end = int(self.time.get("dst_end"))
        # "the DST shift will always be 1 hour or 0" [SPEC p.4, DstShift]
        shift = 3600 if int(self.time.get("dst_shift")) else 0
        # ZCL Time: "LocalTime = StandardTime + DstShift if DstStart <= Time <= DstEnd"
        return shift if start <= utc <= end else 0

    @property
    def local(self) -> int:
        """Return LocalTime: "Time+Timezone+DST" [SPEC p.4]."""
        utc = self.utc
        return utc + int(self.time.get("time_zone")) + self._dst_offset(utc)

    @property
    def wall_clock(self) -> datetime:
        """Return the TRV's local time as a naive datetime."""
        return ZCL_EPOCH + timedelta(seconds=self.local)

    @property
    def clock_valid(self) -> bool:
        """Return True once a gateway wrote the Time attribute since power-up."""
        return bool(self._state.get("clock_valid", False))

    def refresh_time(self, cluster: SimCluster, attrs: list[Attr]) -> None:
        """Before a read: Time and LocalTime follow the virtual clock."""
        cluster.values[cluster.attr("time").key] = cluster.attr("time").coerce(
            self.utc & 0xFFFFFFFF
        )
        cluster.values[cluster.attr("local_time").key] = cluster.attr(
            "local_time"
        ).coerce(self.local & 0xFFFFFFFF)

    def _refresh_errors(self, *, reset: bool = False) -> None:
        current = 0 if reset else int(self.diagnostics.get("sw_error_code"))
        if self.clock_valid:
            current &= ~E10_INVALID_CLOCK
        else:
            current |= E10_INVALID_CLOCK
        self.diagnostics.set("sw_error_code", current)

    # -- external room sensor (0x4015 / 0x4016) -----------------------------------

    @property
    def sensor_timeout(self) -> int:
        """Return the 0x4015 timeout for the current 0x4016 value [SPEC p.5]."""
        covered = bool(self.thermostat.get("radiator_covered"))
        return COVERED_TIMEOUT if covered else EXPOSED_TIMEOUT

    def _arm_sensor_expiry(self) -> None:
        if self._sensor_timer is not None:
            self._sensor_timer.cancel()
            self._sensor_timer = None
        written_at = self._state.get("sensor_written_at")
        clock = self._clock
        if written_at is None or clock is None or not self.device.joined:
            return
        self._sensor_timer = clock.call_at(
            float(written_at) + self.sensor_timeout, self._sensor_expired
        )

    def _sensor_expired(self) -> None:
        self._sensor_timer = None
        self._state["sensor_written_at"] = None
        # "the function is disabled and goes back to standard mode"; the value -8000
        # "disables the function" [SPEC p.5]: the attribute reads -8000 again
        self.thermostat.set("external_measured_room_sensor", OFF)

    # -- window (0x4000 / 0x4003 / 0x4051) -----------------------------------------

    def set_local_window(self, state: int) -> None:
        """Test hook: what the TRV's own detection sees (0x4000 values 0-3)."""
        if not 0 <= state <= WINDOW_OPEN:
            raise ValueError("local window state is 0-3")
        self._state["local_window"] = state
        self._update_window()

    def _update_window(self) -> None:
        cluster = self.thermostat
        local = int(self._state.get("local_window", WINDOW_CLOSED))
        if not cluster.get("window_open_feature"):
            local = WINDOW_CLOSED  # 0x4051 OFF: the TRV's own detection is off
        if cluster.get("external_open_window_detected"):
            # 0x04 "In window open state from external, but detected closed locally"
            state = WINDOW_OPEN if local == WINDOW_OPEN else WINDOW_EXTERNAL
        else:
            state = local
        cluster.set("open_window_detection", state)

    # -- heating demand, heat request, load --------------------------------------

    def set_heating_demand(
        self, percent: int, heat_required: bool | None = None
    ) -> None:
        """Test hook: PI heating demand 0x0008 (0-100 %) and 0x4031 heat request.

        ``heat_required`` defaults to demand > 0 (the spec does not tie them).
        """
        if not 0 <= percent <= 100:
            raise ValueError("PIHeatingDemand is 0x00-0x64")
        cluster = self.thermostat
        cluster.set("pi_heating_demand", percent)
        cluster.set(
            "heat_required", percent > 0 if heat_required is None else heat_required
        )

    def set_local_temperature(self, centi: int) -> None:
        """Test hook: LocalTemperature 0x0000 (0.01 °C)."""
        self.thermostat.set("local_temperature", centi)

    def set_battery(self, half_percent: int) -> None:
        """Test hook: BatteryPercentageRemaining (0.5 % units, 0-200)."""
        self.device.cluster(1, general.PowerConfiguration).set(
            "battery_percentage_remaining", half_percent
        )

    def _load_config(self) -> tuple[int, int, int]:
        cluster = self.thermostat
        config = cluster.reporting.get(cluster.attr("load_estimate").key)
        if config is None:
            return LOAD_MIN_INTERVAL, LOAD_MAX_INTERVAL, LOAD_CHANGE
        change = config.reportable_change
        return (
            config.min_interval,
            config.max_interval,
            LOAD_CHANGE if change is None else int(change),
        )

    def set_load_estimate(self, value: int) -> None:
        """Test hook: 0x404A changes, reported like a default reporting configuration.

        Reported at once if it moved by the reportable change (default 50) and the
        minimum interval (default 60 s) has passed, else at the end of that interval.
        """
        cluster = self.thermostat
        cluster.set("load_estimate", value, report=False)
        min_interval, _, change = self._load_config()
        if self.load_reported is not None and abs(value - self.load_reported) < change:
            return
        due = (
            0.0
            if self.load_reported_at is None
            else self.load_reported_at + min_interval
        )
        if due <= self.now:
            self.report_load_estimate()
        elif self._clock is not None:
            if self._load_timer is not None:
                self._load_timer.cancel()
            self._load_timer = self._clock.call_at(due, self.report_load_estimate)

    def report_load_estimate(self) -> None:
        """Send 0x404A now; the next periodic report follows the maximum interval."""
        cluster = self.thermostat
        self.load_reported_at = self.now
        self.load_reported = int(cluster.get("load_estimate"))
        if self.device.joined and self.device.online:
            self.device.send_report(cluster, [cluster.attr("load_estimate")])
        self._arm_load_report()

    def _arm_load_report(self) -> None:
        """0x404A is reported at least every maximum interval (3600 s) [SPEC p.5]."""
        if self._load_timer is not None:
            self._load_timer.cancel()
            self._load_timer = None
        clock = self._clock
        if clock is None or not self.device.joined:
            return
        _, max_interval, _ = self._load_config()
        if max_interval in (0, 0xFFFF):
            return
        start = self.now if self.load_reported_at is None else self.load_reported_at
        self._load_timer = clock.call_at(
            start + max_interval, self.report_load_estimate
        )

    # -- setpoints ----------------------------------------------------------------

    def setpoint_ok(self, value: Any) -> bool:
        """OccupiedHeatingSetpoint range: MinHeatSetpointLimit..MaxHeatSetpointLimit."""
        cluster = self.thermostat
        low = int(cluster.get("min_heat_setpoint_limit"))
        high = int(cluster.get("max_heat_setpoint_limit"))
        return low <= int(value) <= high

    @property
    def regulated_setpoint(self) -> int:
        """Return the setpoint the valve regulates to.

        Setpoint command type 2 moves only this one: "displayed setpoint is not
        effected but regulated setpoint will change" [SPEC p.3].
        """
        override = self._state.get("regulated_setpoint")
        if override is not None:
            return int(override)
        return int(self.thermostat.get("occupied_heating_setpoint"))

    def setpoint_command(self, ctx: CommandContext) -> HandlerResult:
        """Danfoss 0x40: setpointType enum8 + HeatingSetpoint int16 [SPEC p.3]."""
        if len(ctx.payload) != 3:
            return Status.MALFORMED_COMMAND
        kind = ctx.payload[0]
        value = int.from_bytes(ctx.payload[1:3], "little", signed=True)
        if kind > 2 or not self.setpoint_ok(value):
            return Status.INVALID_VALUE
        if kind == 2:
            self._state["regulated_setpoint"] = value
            return None
        # types 0 and 1: "the same as setting the attribute" (1 moves faster)
        self._state["regulated_setpoint"] = None
        self._state["last_setpoint_type"] = kind
        cluster = self.thermostat
        cluster.set("occupied_heating_setpoint", value)
        cluster.set("setpoint_change_source", SOURCE_EXTERNAL)
        return None

    # -- weekly schedule ----------------------------------------------------------

    @property
    def schedule(self) -> Schedule:
        """Return the stored schedule.

        ZCL day bit (0 Sunday .. 6 Saturday) -> [(minutes since midnight, setpoint)].
        """
        stored = self._state.get("schedule") or {}
        return {int(day): [tuple(tr) for tr in trs] for day, trs in stored.items()}  # type: ignore[misc]

    def _store_schedule(self, schedule: Schedule) -> None:
        self._state["schedule"] = {
            str(day): [list(tr) for tr in trs] for day, trs in sorted(schedule.items())
        }
        self.device.changed()
        self._arm_schedule()

    def set_weekly_schedule(self, ctx: CommandContext) -> HandlerResult:
        """ZCL SetWeeklySchedule 0x01 with the Danfoss limits [SPEC p.3, p.5]."""
        payload = ctx.payload
        if len(payload) < 3:
            return Status.MALFORMED_COMMAND
        count, days, mode = payload[0], payload[1], payload[2]
        if mode != MODE_HEAT:
            return Status.INVALID_FIELD  # heating only: pairs are (time, heat setpoint)
        if len(payload) != 3 + 4 * count:
            return Status.MALFORMED_COMMAND
        if days == 0 or days & DAY_VACATION:
            return Status.INVALID_FIELD  # "Vacation day is not used"
        if count > DAILY_TRANSITIONS:
            return Status.INSUFFICIENT_SPACE
        transitions = []
        for i in range(count):
            chunk = payload[3 + 4 * i : 7 + 4 * i]
            minutes = int.from_bytes(chunk[:2], "little")
            setpoint = int.from_bytes(chunk[2:], "little", signed=True)
            if minutes > 1439 or not self.setpoint_ok(setpoint):
                return Status.INVALID_VALUE
            transitions.append((minutes, setpoint))
        times = [minutes for minutes, _ in transitions]
        if any(b <= a for a, b in itertools.pairwise(times)):
            # "The events within one day must be ordered chronologically" [SPEC p.3]
            return Status.INVALID_FIELD
        schedule = self.schedule
        for bit in range(7):
            if days & (1 << bit):
                schedule[bit] = list(transitions)  # a day written is replaced whole
        self._store_schedule(schedule)
        return None

    def get_weekly_schedule(self, ctx: CommandContext) -> HandlerResult:
        """ZCL GetWeeklySchedule 0x02: one GetWeeklyScheduleResponse (0x00) per day."""
        if len(ctx.payload) != 2:
            return Status.MALFORMED_COMMAND
        days, mode = ctx.payload
        if not mode & MODE_HEAT or days == 0 or days & DAY_VACATION:
            return Status.INVALID_FIELD
        schedule = self.schedule
        for bit in range(7):
            if not days & (1 << bit):
                continue
            transitions = schedule.get(bit, [])
            body = bytes([len(transitions), 1 << bit, MODE_HEAT]) + b"".join(
                minutes.to_bytes(2, "little")
                + setpoint.to_bytes(2, "little", signed=True)
                for minutes, setpoint in transitions
            )
            self.device.reply(ctx, 0x00, body, general=False)
        return NO_RESPONSE

    def clear_weekly_schedule(self, ctx: CommandContext) -> HandlerResult:
        """ZCL ClearWeeklySchedule 0x03: "Deletes all schedule events" [SPEC p.3]."""
        if ctx.payload:
            return Status.MALFORMED_COMMAND
        self._store_schedule({})
        return None

    @property
    def schedule_mode(self) -> bool:
        """Return 0x0025 bit 0: "Simple setpoint (0) or schedule (1)" [SPEC p.5]."""
        return bool(int(self.thermostat.get("programing_oper_mode")) & 0x01)

    def _next_transition(self) -> tuple[int, int] | None:
        """Return (local seconds, setpoint) of the next transition strictly after now."""
        schedule = self.schedule
        if not schedule:
            return None
        local = self.local
        midnight = local - local % 86400
        for offset in range(8):
            day_start = midnight + offset * 86400
            weekday = (ZCL_EPOCH + timedelta(seconds=day_start)).weekday()
            bit = (weekday + 1) % 7  # Python Monday=0; ZCL bit 0 = Sunday
            for minutes, setpoint in schedule.get(bit, []):
                at = day_start + minutes * 60
                if at > local:
                    return at, setpoint
        return None

    def _arm_schedule(self) -> None:
        if self._schedule_timer is not None:
            self._schedule_timer.cancel()
            self._schedule_timer = None
        clock = self._clock
        if clock is None or not self.device.joined or not self.schedule_mode:
            return
        found = self._next_transition()
        if found is None:
            return
        at, setpoint = found
        self._schedule_timer = clock.call_later(
            at - self.local, lambda: self._apply_transition(setpoint)
        )

    def _apply_transition(self, setpoint: int) -> None:
        self._schedule_timer = None
        cluster = self.thermostat
        self._state["regulated_setpoint"] = None
        cluster.set("occupied_heating_setpoint", setpoint)
        cluster.set("setpoint_change_source", SOURCE_SCHEDULE)
        self.transitions_applied.append((self.now, self.wall_clock, setpoint))
        self._arm_schedule()

    # -- power ----------------------------------------------------------------------

    def power_lost(self) -> None:
        """Power cycle: schedule and clock lost, E10 set, one more reset counted."""
        # "The schedule information is lost after power cycle or OTA" [SPEC p.3]
        self._state["schedule"] = {}
        self._state["regulated_setpoint"] = None
        self._state["sensor_written_at"] = None
        # Time: Save "No"; "default value is synchronized at boot" [SPEC p.4]; after
        # a battery pull the TRV reports E10 [RES §4]
        self._state["utc_base"] = DEFAULT_TIME
        self._state["utc_set_at"] = self.now
        self._state["clock_valid"] = False
        self._state["time_status"] = 0
        self.time.values[self.time.attr("time_status").key] = self.time.attr(
            "time_status"
        ).coerce(0)
        diagnostics = self.diagnostics
        resets = int(diagnostics.get("number_of_resets"))
        diagnostics.set("number_of_resets", min(resets + 1, 0xFFFF), report=False)
        self._refresh_errors()
        self._update_window()


class DanfossAllyDevice(SimDevice):
    """A `SimDevice` that tells its `DanfossAllyTRV` about every successful write."""

    trv: DanfossAllyTRV

    async def handle_frame(self, frame: RecordedFrame) -> None:
        """Handle the frame; then run the model's write reactions.

        The writes are checked (as `tests.simulator.zcl` does) before the frame is
        handled, because a gateway re-sending the same 0x4015 or Time value changes
        nothing a listener would see but restarts the TRV's timers.
        """
        writes = self._successful_writes(frame) if self.online else []
        await super().handle_frame(frame)
        for cluster, attr, value in writes:
            self.trv.attribute_written(cluster, attr, value)

    def _successful_writes(
        self, frame: RecordedFrame
    ) -> list[tuple[SimCluster, Attr, Any]]:
        header = frame.zcl
        if (
            header is None
            or not header.frame_control.is_general
            or header.direction != foundation.Direction.Client_to_Server
            or int(header.command_id)
            not in (
                GeneralCommand.Write_Attributes,
                GeneralCommand.Write_Attributes_Undivided,
                GeneralCommand.Write_Attributes_No_Response,
            )
        ):
            return []
        endpoint = self.endpoints.get(frame.dst_ep)
        cluster = (
            None if endpoint is None else endpoint.in_clusters.get(frame.cluster_id)
        )
        if endpoint is None or cluster is None:
            return []
        schema = foundation.GENERAL_COMMANDS[GeneralCommand.Write_Attributes].schema
        try:
            args, _ = schema.deserialize(frame.payload)
        except ValueError, KeyError, IndexError, TypeError:
            return []
        ctx = CommandContext(
            device=self,
            endpoint=endpoint,
            cluster=cluster,
            header=header,
            payload=frame.payload,
            frame=frame,
        )
        checked = [_check_write(ctx, record) for record in args.attributes]
        if int(header.command_id) == GeneralCommand.Write_Attributes_Undivided and any(
            status != Status.SUCCESS for status, _, _ in checked
        ):
            return []
        return [
            (cluster, attr, value)
            for status, attr, value in checked
            if status == Status.SUCCESS and attr is not None
        ]


def danfoss_trv(device: SimDevice) -> DanfossAllyTRV:
    """Return the behaviour object of a `danfoss_ally` device."""
    if not isinstance(device, DanfossAllyDevice):
        raise TypeError(f"{device!r} is not a Danfoss Ally eTRV")
    return device.trv


def danfoss_ally(
    ieee: str | t.EUI64 | None = None,
    *,
    model: str = "eTRV0100",
    local_temperature: int = 2137,
    battery: int = 170,
    **kwargs: Any,
) -> DanfossAllyDevice:
    """A Danfoss Ally eTRV (sleepy end device: long poll 7 s, check-in every 5 min).

    ``model``: Basic ModelIdentifier ("eTRV0100"; "The number after eTRV is the same
    as image type ID" [SPEC p.4]).  ``local_temperature`` in 0.01 °C; ``battery`` in
    0.5 % (BatteryPercentageRemaining).  Other keyword arguments go to `SimDevice`.
    """
    kwargs.setdefault("sleepy", True)
    device = DanfossAllyDevice(
        ieee=resolve_ieee(ieee),
        manufacturer="Danfoss",
        model=model,
        model_key="danfoss_ally",
        manufacturer_code=DANFOSS,
        **kwargs,
    )
    trv = DanfossAllyTRV(device)
    device.trv = trv
    ep = device.add_endpoint(1, device_type=DEVICE_TYPE_THERMOSTAT)

    # Basic [SPEC p.4]: ZCL version 3, HW version 0x5, power source 3 = battery,
    # SW build id "VV.SS.EEEE vv.ss" (16 characters).
    add_basic(
        ep,
        device,
        power_source=POWER_BATTERY,
        sw_build_id="01.20.0008 01.20",
        date_code="20230801",
        zcl_version=3,
        app_version=0,
        stack_version=8,
        hw_version=5,
    )
    ep.add_cluster(
        general.PowerConfiguration,
        # BatteryVoltage in decivolts (0-32); percentage in 0.5 % units [SPEC p.4]
        {"battery_voltage": 30, "battery_percentage_remaining": battery},
        read_only=["battery_voltage", "battery_percentage_remaining"],
    )
    ep.add_cluster(
        general.Identify,
        {"identify_time": 0},
        # 0x4000 "Identification button": reports 1, then 0 after 3 s [SPEC p.4]
        attributes=[_mfr(0x4000, "identification_button", t.Bool, 0, "rp")],
        volatile=["identify_time"],
    )
    time_cluster = ep.add_cluster(
        general.Time,
        {
            "time": DEFAULT_TIME,
            "time_status": 0,
            "time_zone": 0,
            "dst_start": 0,
            "dst_end": 0,
            "dst_shift": 3600,
            "local_time": DEFAULT_TIME,
            "last_set_time": DEFAULT_TIME,
        },
        writable=["time", "time_status"],
        read_only=["local_time", "last_set_time"],
        unreportable=[
            "time",
            "time_status",
            "time_zone",
            "dst_start",
            "dst_end",
            "dst_shift",
            "local_time",
            "last_set_time",
        ],
        validators={
            "time": _between(0, 0xFFFFFFFE),
            # "A write to a bit above 3 will result in an invalid value" [SPEC p.4]
            "time_status": _between(0, 0x0F),
            "time_zone": _between(-86400, 86400),
            "dst_start": _between(0, 0xFFFFFFFE),
            "dst_end": _between(0, 0xFFFFFFFE),
            "dst_shift": _between(-86400, 86400),
        },
        volatile=["time", "time_status", "local_time"],
    )
    time_cluster.before_read = trv.refresh_time
    # Poll Control [SPEC p.4-5]: check-in 1200 qs (5 min, [RES §8]), long poll 28 qs,
    # short poll 2, fast poll timeout 40, minima 240 / 28, fast poll timeout max 80.
    add_poll_control(
        ep,
        check_in_interval=1200,
        long_poll_interval=28,
        short_poll_interval=2,
        fast_poll_timeout=40,
        check_in_interval_min=240,
        long_poll_interval_min=28,
        fast_poll_timeout_max=80,
    )
    thermostat = ep.add_cluster(
        hvac.Thermostat,
        {
            "local_temperature": local_temperature,
            "abs_min_heat_setpoint_limit": 500,
            "abs_max_heat_setpoint_limit": 3500,
            "pi_heating_demand": 0,
            "occupied_heating_setpoint": 2100,
            "min_heat_setpoint_limit": 500,
            "max_heat_setpoint_limit": 3500,
            "ctrl_sequence_of_oper": 0x02,
            "system_mode": 0x04,
            "start_of_week": 0x01,
            "number_of_weekly_transitions": 42,
            "number_of_daily_transitions": DAILY_TRANSITIONS,
            "programing_oper_mode": 0,
            "setpoint_change_source": SOURCE_MANUAL,
        },
        attributes=THERMOSTAT_ATTRIBUTES,
        # Reporting "Fixed"/"No" [SPEC p.5]: not configurable
        unreportable=[
            "abs_min_heat_setpoint_limit",
            "abs_max_heat_setpoint_limit",
            "min_heat_setpoint_limit",
            "max_heat_setpoint_limit",
            "ctrl_sequence_of_oper",
            "system_mode",
            "programing_oper_mode",
        ],
        validators={
            "occupied_heating_setpoint": trv.setpoint_ok,
            # limits: "Range: absMin.. MaxHeatSetpointLimit" / "MinHeatSetpointLimit
            # .. absMax" — another attribute defines the range [SPEC p.2, p.5]
            "min_heat_setpoint_limit": lambda v: (
                int(thermostat.get("abs_min_heat_setpoint_limit"))
                <= int(v)
                <= int(thermostat.get("max_heat_setpoint_limit"))
            ),
            "max_heat_setpoint_limit": lambda v: (
                int(thermostat.get("min_heat_setpoint_limit"))
                <= int(v)
                <= int(thermostat.get("abs_max_heat_setpoint_limit"))
            ),
            "ctrl_sequence_of_oper": lambda v: int(v) == 0x02,  # Heating only
            # "0x04: Heating control active. Everything else rejected" [SPEC p.5]
            "system_mode": lambda v: int(v) == 0x04,
            "programing_oper_mode": _between(0, 0xFF),
        },
        volatile=["programing_oper_mode"],
    )
    thermostat.on(0x40, trv.setpoint_command, manufacturer_code=DANFOSS)
    thermostat.on("set_weekly_schedule", trv.set_weekly_schedule)
    thermostat.on("get_weekly_schedule", trv.get_weekly_schedule)
    thermostat.on("clear_weekly_schedule", trv.clear_weekly_schedule)
    ep.add_cluster(
        hvac.UserInterface,
        {"temperature_display_mode": 0, "keypad_lockout": 0},
        attributes=UI_ATTRIBUTES,
        unreportable=["temperature_display_mode", "keypad_lockout"],
        validators={
            # 0x01 = °F "Not supported!" [SPEC p.6]
            "temperature_display_mode": lambda v: int(v) == 0,
            "keypad_lockout": _between(0, 5),
        },
    )
    ep.add_cluster(
        homeautomation.Diagnostic,
        {
            "number_of_resets": 0,
            "average_mac_retry_per_aps_message_sent": 0,
            "last_message_lqi": 0,
            "last_message_rssi": 0,
        },
        attributes=DIAGNOSTIC_ATTRIBUTES,
        unreportable=[
            "number_of_resets",
            "average_mac_retry_per_aps_message_sent",
            "last_message_lqi",
            "last_message_rssi",
        ],
    )
    ep.add_output_cluster(general.Basic)
    add_ota_client(ep, file_version=0x00000114)  # "AB.CD" 01.20 -> 0x0114 [SPEC p.4]

    device.services.append(trv)
    device.power_cycle_hooks.append(lambda _device: trv.power_lost())
    # factory new: the clock is the boot default until a gateway writes it
    trv._refresh_errors()
    trv._update_window()
    return device
