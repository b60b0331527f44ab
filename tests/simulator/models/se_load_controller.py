"""A Smart Energy load controller: a water-heater switch with a DRLC client (the ESI serves it).

Written from the Smart Energy wire reference (``/work/shared/research/smart_energy_reference.md``
§4 Demand Response / Load Control, §6 UTCTime) independently of the integration's codec
(nothing is imported from ``custom_components``). Every integer little-endian.

Endpoints:

- 1, Home Automation profile: Basic, Identify, On/Off server: the water heater (on = heating
  allowed). The user switches it like any plug; a load control event switches it off.
- 2, Smart Energy profile, Load Control Device (0x0502): DRLC client (out) with the client
  attributes of §4.1: UtilityEnrollmentGroup 0x0000 (uint8, 0 = all groups),
  StartRandomizationMinutes 0x0001 (uint8, default 0x1E), DurationRandomizationMinutes
  0x0002 (uint8, default 0) and DeviceClassValue 0x0003 (map16, 0x0004 water heater).

Server -> client (handled on the DRLC client):

- LoadControlEvent 0x00 (23 bytes; other lengths: MALFORMED_COMMAND). Ignored without a
  report (§4.3): criticality 0x00 or above 0x0F; no device class bit in common with
  DeviceClassValue; enrolment groups that differ (0 on either side matches all); an issuer
  event id it holds already. Rejected with ReportEventStatus 0xFE: start 0xFFFFFFFF,
  duration 0 or over 1440, load adjustment outside -100..100 (0x80: not used), duty cycle
  over 100 (0xFF: not used), reserved EventControl bits. Rejected with 0xFB: it ended
  before it arrived (on the controller's clock). Otherwise reported
  0x01 (received); an overlapping event it holds (another id, a common device class,
  overlapping groups) ends with 0x07 (superseded). At the start (StartTime 0: the receive
  time), delayed by a random 0..StartRandomizationMinutes x 60 - 1 s when EventControl bit 0
  asks, the heater switches OFF and 0x02 is reported; at the end (moved by the start delay
  and, with bit 1, by up to DurationRandomizationMinutes) it switches back ON and reports
  0x03 (0x08/0x09/0x0A after opting out or in, §4.3).
- CancelLoadControlEvent 0x01 (12 bytes): effective time 0xFFFFFFFF: 0xF9; an event it does
  not hold: 0xFD; not addressed: ignored; else the event ends (at once, or with the
  event's end randomization when CancelControl bit 0 asks), heater ON, 0x06 reported.
- CancelAllLoadControlEvents 0x02 (1 byte): every event is cancelled as above.

Client -> server (sent to the ESI's endpoint, profile 0x0109: ``discover_esi`` finds it with
a Match_Desc_req for the DRLC server; once found, DRLC frames from any other endpoint are
dropped, ``se_esi_client``):

- ReportEventStatus 0x00: IssuerEventID uint32, EventStatus enum8, EventStatusTime UTCTime,
  CriticalityLevelApplied enum8, Cooling/HeatingTemperatureSetPointApplied int16 (0x8000
  not used), AverageLoadAdjustmentPercentageApplied int8 (0x80), DutyCycleApplied uint8
  (0xFF), EventControl map8, SignatureType 0x00 and 42 x 0xFF (60 bytes, §4.2).
- GetScheduledEvents 0x01 (``request_scheduled_events``): StartTime UTCTime (0 = now),
  NumberOfEvents uint8 (0 = all). The ESI's answers are handled like any LoadControlEvent.

The opt-out button is ``opt_out(issuer_event_id)`` (0x04 at once; the heater stays or goes
back ON) and ``opt_in`` (0x05). The controller keeps a UTC clock on the network's virtual
clock (``set_clock``); in a real network it takes it from the ESI's Time server.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
import random
import struct
from typing import Final

import zigpy.types as t
from zigpy.zcl import foundation
from zigpy.zcl.clusters import general

from tests.simulator.clock import ClockTimer
from tests.simulator.device import (
    HA_PROFILE,
    SE_PROFILE,
    Attr,
    CommandContext,
    HandlerResult,
    SimCluster,
)

from .common import add_basic, resolve_ieee
from .se_esi_client import EsiClientDevice

Status = foundation.Status

DRLC: Final = 0x0701
CMD_LOAD_CONTROL_EVENT: Final = 0x00
CMD_CANCEL_LOAD_CONTROL_EVENT: Final = 0x01
CMD_CANCEL_ALL_LOAD_CONTROL_EVENTS: Final = 0x02
CMD_REPORT_EVENT_STATUS: Final = 0x00
CMD_GET_SCHEDULED_EVENTS: Final = 0x01

RECEIVED: Final = 0x01
STARTED: Final = 0x02
COMPLETED: Final = 0x03
USER_OPTED_OUT: Final = 0x04
USER_OPTED_IN: Final = 0x05
CANCELLED: Final = 0x06
SUPERSEDED: Final = 0x07
PARTIALLY_COMPLETED_OPT_OUT: Final = 0x08
PARTIALLY_COMPLETED_OPT_IN: Final = 0x09
COMPLETED_NO_PARTICIPATION: Final = 0x0A
REJECTED_INVALID_CANCEL_EFFECTIVE_TIME: Final = 0xF9
REJECTED_EVENT_EXPIRED: Final = 0xFB
REJECTED_UNDEFINED_EVENT: Final = 0xFD
REJECTED_COMMAND: Final = 0xFE

DEVICE_CLASS_WATER_HEATER: Final = 0x0004
DEVICE_TYPE_LOAD_CONTROL: Final = 0x0502
DEVICE_TYPE_SMART_PLUG: Final = 0x0051
UTC_INVALID: Final = 0xFFFF_FFFF
MAX_DURATION: Final = 1440
ZCL_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
_EVENT: Final = struct.Struct("<IHBIHBBBhhbBB")
_CANCEL: Final = struct.Struct("<IHBBI")
_REPORT: Final = struct.Struct("<IBIBhhbBBB")
SIGNATURE: Final = b"\xff" * 42


@dataclasses.dataclass
class HeldEvent:
    """A load control event the controller holds; times are UTCTime."""

    issuer_event_id: int
    device_class: int
    group: int
    start: int
    end: int
    criticality: int
    cooling_set_point: int
    heating_set_point: int
    load_adjustment: int
    duty_cycle: int
    event_control: int
    running: bool = False
    opted_out: bool = False
    changed_while_running: bool = False
    timers: list[ClockTimer] = dataclasses.field(default_factory=list)

    def cancel_timers(self) -> None:
        """Cancel the start and end timers."""
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()


class LoadController:
    """The DRLC client and the heater of a load controller, with test hooks."""

    def __init__(
        self, device: EsiClientDevice, on_off: SimCluster, drlc: SimCluster
    ) -> None:
        """Handle the DRLC commands; the heater starts ON."""
        self.device = device
        self.on_off = on_off
        self.drlc = drlc
        drlc.on(CMD_LOAD_CONTROL_EVENT, self._event)
        drlc.on(CMD_CANCEL_LOAD_CONTROL_EVENT, self._cancel)
        drlc.on(CMD_CANCEL_ALL_LOAD_CONTROL_EVENTS, self._cancel_all)
        self.events: dict[int, HeldEvent] = {}
        #: Issuer event ids of the events that ended here (completed, cancelled,
        #: superseded): a late copy of one (e.g. a retried answer to GetScheduledEvents
        #: delivered after the end) is that event again, not a new one to run.
        self.finished: set[int] = set()
        #: Every ReportEventStatus sent: (issuer event id, status).
        self.reports: list[tuple[int, int]] = []
        #: Randomization delays: repeatable, not secret.
        self.rng = random.Random(0x5EED)  # noqa: S311
        self._utc_base = _utc(datetime.now(UTC))
        self._utc_set_at = 0.0

    # -- clock and heater ---------------------------------------------------------

    @property
    def utc(self) -> int:
        """Return the controller's UTC clock (UTCTime seconds)."""
        return int(self._utc_base + (self.device.now - self._utc_set_at))

    def set_clock(self, when: datetime) -> None:
        """Set the UTC clock (from the ESI's Time server in a real network)."""
        self._utc_base = _utc(when)
        self._utc_set_at = self.device.now

    @property
    def heater_on(self) -> bool:
        """Return whether the water heater may heat."""
        return bool(self.on_off.get("on_off"))

    def _switch(self, on: bool) -> None:
        self.on_off.set("on_off", t.Bool(on), report=False)
        self.device.send_report(self.on_off, [self.on_off.attr("on_off")])

    # -- attributes ---------------------------------------------------------------

    @property
    def device_class(self) -> int:
        """Return DeviceClassValue."""
        return int(self.drlc.get(0x0003))

    @property
    def group(self) -> int:
        """Return UtilityEnrollmentGroup."""
        return int(self.drlc.get(0x0000))

    def _addressed(self, device_class: int, group: int) -> bool:
        return bool(device_class & self.device_class) and (
            group == 0 or self.group in (0, group)
        )

    # -- server -> client ---------------------------------------------------------

    def _event(self, ctx: CommandContext) -> HandlerResult:
        if len(ctx.payload) != _EVENT.size:
            return Status.MALFORMED_COMMAND
        (
            issuer_event_id,
            device_class,
            group,
            start,
            duration,
            criticality,
            cooling_offset,
            heating_offset,
            cooling_set_point,
            heating_set_point,
            load_adjustment,
            duty_cycle,
            event_control,
        ) = _EVENT.unpack(ctx.payload)
        del cooling_offset, heating_offset  # a water heater has no set point to move
        if not 0x01 <= criticality <= 0x0F:
            return None  # reserved criticality: ignore the event
        if not self._addressed(device_class, group):
            return None
        if issuer_event_id in self.events or issuer_event_id in self.finished:
            return None  # held or ended already (also the answer to GetScheduledEvents)
        if (
            start == UTC_INVALID
            or not 1 <= duration <= MAX_DURATION
            or not (-100 <= load_adjustment <= 100 or load_adjustment == -0x80)
            or not (duty_cycle <= 100 or duty_cycle == 0xFF)
            or event_control & 0xFC
        ):
            self._report_values(
                issuer_event_id, REJECTED_COMMAND, criticality, event_control
            )
            return None
        now = self.utc
        real_start = now if start == 0 else start
        end = real_start + duration * 60
        if end <= now:
            self._report_values(
                issuer_event_id, REJECTED_EVENT_EXPIRED, criticality, event_control
            )
            return None
        event = HeldEvent(
            issuer_event_id,
            device_class,
            group,
            real_start,
            end,
            criticality,
            cooling_set_point,
            heating_set_point,
            load_adjustment,
            duty_cycle,
            event_control,
        )
        self._report(event, RECEIVED)
        for old in list(self.events.values()):
            if (
                old.device_class & event.device_class
                and (0 in (old.group, event.group) or old.group == event.group)
                and event.start < old.end
                and old.start < event.end
            ):
                self._finish(old, SUPERSEDED)
        self.events[issuer_event_id] = event
        self._schedule(event)
        return None

    def _schedule(self, event: HeldEvent) -> None:
        start_delay = 0
        if event.event_control & 0x01:
            minutes = int(self.drlc.get(0x0001))
            start_delay = self.rng.randrange(minutes * 60) if minutes else 0
        end_delay = start_delay
        if event.event_control & 0x02:
            minutes = int(self.drlc.get(0x0002))
            end_delay += self.rng.randrange(minutes * 60) if minutes else 0
        clock = self.device.network.clock if self.device.network else None
        if clock is None:
            return
        now = self.utc
        issuer_event_id = event.issuer_event_id
        event.timers = [
            clock.call_later(
                event.start + start_delay - now, lambda: self._started(issuer_event_id)
            ),
            clock.call_later(
                event.end + end_delay - now, lambda: self._ended(issuer_event_id)
            ),
        ]

    def _started(self, issuer_event_id: int) -> None:
        event = self.events.get(issuer_event_id)
        if event is None or event.running:
            return
        event.running = True
        if event.opted_out:
            return  # 0x04 was reported when the user opted out
        self._switch(False)
        self._report(event, STARTED)

    def _ended(self, issuer_event_id: int) -> None:
        event = self.events.get(issuer_event_id)
        if event is None:
            return
        if not event.opted_out and not event.changed_while_running:
            status = COMPLETED
        elif event.opted_out and not event.changed_while_running:
            status = COMPLETED_NO_PARTICIPATION
        elif event.opted_out:
            status = PARTIALLY_COMPLETED_OPT_OUT
        else:
            status = PARTIALLY_COMPLETED_OPT_IN
        self._finish(event, status)

    def _finish(self, event: HeldEvent, status: int) -> None:
        """End an event: timers off, heater back ON if it was held off, report."""
        event.cancel_timers()
        self.events.pop(event.issuer_event_id, None)
        self.finished.add(event.issuer_event_id)
        if event.running and not event.opted_out:
            self._switch(True)
        self._report(event, status)

    def _cancel(self, ctx: CommandContext) -> HandlerResult:
        if len(ctx.payload) != _CANCEL.size:
            return Status.MALFORMED_COMMAND
        issuer_event_id, device_class, group, cancel_control, effective = (
            _CANCEL.unpack(ctx.payload)
        )
        if effective == UTC_INVALID:
            self._report_values(
                issuer_event_id, REJECTED_INVALID_CANCEL_EFFECTIVE_TIME, 0, 0
            )
            return None
        if not self._addressed(device_class, group):
            return None
        event = self.events.get(issuer_event_id)
        if event is None:
            self._report_values(issuer_event_id, REJECTED_UNDEFINED_EVENT, 0, 0)
            return None
        self._cancel_event(event, randomize=bool(cancel_control & 0x01))
        return None

    def _cancel_all(self, ctx: CommandContext) -> HandlerResult:
        if len(ctx.payload) != 1:
            return Status.MALFORMED_COMMAND
        for event in list(self.events.values()):
            self._cancel_event(event, randomize=bool(ctx.payload[0] & 0x01))
        return None

    def _cancel_event(self, event: HeldEvent, *, randomize: bool) -> None:
        minutes = int(self.drlc.get(0x0002))
        if randomize and event.running and event.event_control & 0x02 and minutes:
            # ends with the original event's randomization
            event.cancel_timers()
            clock = self.device.network.clock if self.device.network else None
            if clock is not None:
                event.timers = [
                    clock.call_later(
                        self.rng.randrange(minutes * 60),
                        lambda: self._finish(event, CANCELLED),
                    )
                ]
                return
        self._finish(event, CANCELLED)

    # -- the opt-out button ---------------------------------------------------------

    def opt_out(self, issuer_event_id: int) -> None:
        """The user opts out: 0x04 at once; a held-off heater goes back ON."""
        event = self.events[issuer_event_id]
        if event.opted_out:
            return
        event.opted_out = True
        if event.running:
            event.changed_while_running = True
            self._switch(True)
        self._report(event, USER_OPTED_OUT)

    def opt_in(self, issuer_event_id: int) -> None:
        """The user opts in again: 0x05; a running event switches the heater OFF."""
        event = self.events[issuer_event_id]
        if not event.opted_out:
            return
        event.opted_out = False
        if event.running:
            event.changed_while_running = True
            self._switch(False)
        self._report(event, USER_OPTED_IN)

    def forget_events(self) -> None:
        """Lose every event (a power cycle); the heater is ON again."""
        for event in self.events.values():
            event.cancel_timers()
        self.events.clear()
        self.finished.clear()
        self._switch(True)

    # -- client -> server ---------------------------------------------------------

    def _report(self, event: HeldEvent, status: int) -> None:
        self._report_values(
            event.issuer_event_id,
            status,
            event.criticality,
            event.event_control,
            cooling=event.cooling_set_point,
            heating=event.heating_set_point,
            load_adjustment=event.load_adjustment,
            duty_cycle=event.duty_cycle,
        )

    def _report_values(
        self,
        issuer_event_id: int,
        status: int,
        criticality: int,
        event_control: int,
        *,
        cooling: int = -0x8000,
        heating: int = -0x8000,
        load_adjustment: int = -0x80,
        duty_cycle: int = 0xFF,
    ) -> None:
        payload = (
            _REPORT.pack(
                issuer_event_id,
                status,
                self.utc,
                criticality if 0x01 <= criticality <= 0x0F else 0,
                cooling,
                heating,
                load_adjustment,
                duty_cycle,
                event_control & 0x03,
                0x00,  # no signature
            )
            + SIGNATURE
        )
        self.reports.append((issuer_event_id, status))
        self.device.send_zcl(
            self.drlc.endpoint.id,
            DRLC,
            CMD_REPORT_EVENT_STATUS,
            payload,
            direction=foundation.Direction.Client_to_Server,
            dst_ep=self.device.esi_destination,
            profile_id=SE_PROFILE,
        )

    def request_scheduled_events(self, start: int = 0, number: int = 0) -> int:
        """Send GetScheduledEvents; return its sequence number."""
        tsn = self.device.next_tsn()
        self.device.send_zcl(
            self.drlc.endpoint.id,
            DRLC,
            CMD_GET_SCHEDULED_EVENTS,
            struct.pack("<IB", start, number),
            direction=foundation.Direction.Client_to_Server,
            tsn=tsn,
            dst_ep=self.device.esi_destination,
            profile_id=SE_PROFILE,
        )
        return tsn


def _utc(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int((when - ZCL_EPOCH) // timedelta(seconds=1))


class LoadControllerDevice(EsiClientDevice):
    """A `SimDevice` carrying its `LoadController`."""

    esi_servers = (DRLC,)
    controller: LoadController


def se_load_controller(
    ieee: str | t.EUI64 | None = None,
    *,
    device_class: int = DEVICE_CLASS_WATER_HEATER,
    group: int = 0,
    start_randomization: int = 0x1E,
    duration_randomization: int = 0,
) -> LoadControllerDevice:
    """Return a water-heater load controller (``device.controller``)."""
    device = LoadControllerDevice(
        ieee=resolve_ieee(ieee),
        manufacturer="SimCo",
        model="SimLoadControl-WH",
        model_key="se_load_controller",
    )
    heater = device.add_endpoint(
        1, profile_id=HA_PROFILE, device_type=DEVICE_TYPE_SMART_PLUG
    )
    add_basic(heater, device)
    heater.add_cluster(general.Identify, {"identify_time": 0})
    on_off = heater.add_cluster(general.OnOff, {"on_off": True})
    control = device.add_endpoint(
        2, profile_id=SE_PROFILE, device_type=DEVICE_TYPE_LOAD_CONTROL
    )
    drlc = control.add_output_cluster(
        DRLC,
        attributes=[
            Attr(0x0000, "utility_enrollment_group", t.uint8_t, group, "rw"),
            Attr(
                0x0001,
                "start_randomization_minutes",
                t.uint8_t,
                start_randomization,
                "rw",
            ),
            Attr(
                0x0002,
                "duration_randomization_minutes",
                t.uint8_t,
                duration_randomization,
                "rw",
            ),
            Attr(0x0003, "device_class_value", t.bitmap16, device_class, "rw"),
        ],
        standard_handlers=False,
    )
    device.controller = LoadController(device, on_off, drlc)
    return device
