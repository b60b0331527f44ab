"""A Smart Energy Demand Response / Load Control server (0x0701) for the simulated meters.

The ESI side, written from the Smart Energy wire reference
(``/work/shared/research/smart_energy_reference.md`` §4 DRLC, §6 UTCTime), independently of
the integration's codec (nothing is imported from ``custom_components``). Every integer
little-endian.

Server -> client (sent to the coordinator's endpoint 1, profile 0x0109, default response
disabled):

- LoadControlEvent 0x00, 23 bytes: IssuerEventID uint32, DeviceClass map16,
  UtilityEnrollmentGroup uint8, StartTime UTCTime (0 = now), DurationInMinutes uint16,
  CriticalityLevel enum8, Cooling/HeatingTemperatureOffset uint8 (0.1 °C, 0xFF not used),
  Cooling/HeatingTemperatureSetPoint int16 (0.01 °C, 0x8000 not used),
  AverageLoadAdjustmentPercentage int8 (0x80 not used), DutyCycle uint8 (0xFF not used),
  EventControl map8 (bit 0 randomise start, bit 1 randomise end).
- CancelLoadControlEvent 0x01, 12 bytes: IssuerEventID uint32, DeviceClass map16,
  UtilityEnrollmentGroup uint8, CancelControl map8 (bit 0: with the event's randomisation),
  EffectiveTime UTCTime (deprecated: 0 = now).
- CancelAllLoadControlEvents 0x02, 1 byte: CancelControl map8.

Client -> server (handled):

- ReportEventStatus 0x00: IssuerEventID uint32, EventStatus enum8, EventStatusTime UTCTime,
  CriticalityLevelApplied enum8, Cooling/HeatingTemperatureSetPointApplied 16 bits,
  AverageLoadAdjustmentPercentageApplied int8, DutyCycleApplied uint8, EventControl map8,
  SignatureType enum8 (18 bytes), then a 42-byte signature without length prefix (60 bytes;
  the reference accepts both lengths). Recorded in ``reports``; the latest status of each
  event in ``status``. Any other length: MALFORMED_COMMAND.
- GetScheduledEvents 0x01: StartTime UTCTime (minimum end time, 0 = now), NumberOfEvents
  uint8 (0 = all), optional IssuerEventID uint32 (5 or 9 bytes). The server re-sends each
  of its events whose end is at or after the start time, earliest first, as LoadControlEvents
  carrying the request's sequence number; a Default Response NOT_FOUND when none match
  (reference §4.2). Recorded in ``requests``.

Cancelled events leave the server's list; events keep their resolved start (a "now" event
is re-sent with its original start and full duration, one of the two forms of §6).
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
from datetime import UTC, datetime
import struct
from typing import Final

from zigpy.zcl import foundation

from tests.simulator.device import (
    NO_RESPONSE,
    SE_PROFILE,
    CommandContext,
    HandlerResult,
    SimCluster,
    SimEndpoint,
)

DRLC: Final = 0x0701
CMD_LOAD_CONTROL_EVENT: Final = 0x00
CMD_CANCEL_LOAD_CONTROL_EVENT: Final = 0x01
CMD_CANCEL_ALL_LOAD_CONTROL_EVENTS: Final = 0x02
CMD_REPORT_EVENT_STATUS: Final = 0x00
CMD_GET_SCHEDULED_EVENTS: Final = 0x01
ALL_DEVICE_CLASSES: Final = 0x0FFF
RANDOMIZE_START: Final = 0x01
RANDOMIZE_END: Final = 0x02
CANCEL_WITH_RANDOMIZATION: Final = 0x01
SIGNATURE_LENGTH: Final = 42
ZCL_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)

_EVENT: Final = struct.Struct("<IHBIHBBBhhbBB")
_CANCEL: Final = struct.Struct("<IHBBI")
_REPORT: Final = struct.Struct("<IBIBhhbBBB")
_OFFSET_NOT_USED: Final = 0xFF
_SET_POINT_NOT_USED: Final = -0x8000
_LOAD_ADJUSTMENT_NOT_USED: Final = -0x80
_DUTY_CYCLE_NOT_USED: Final = 0xFF


def utc_now() -> int:
    """Return the wall clock as a UTCTime (seconds since 2000-01-01 UTC)."""
    return int((datetime.now(UTC) - ZCL_EPOCH).total_seconds())


@dataclasses.dataclass(frozen=True)
class EventRecord:
    """A load control event of the server (its fields as sent)."""

    issuer_event_id: int
    start: int
    duration: int
    device_class: int = ALL_DEVICE_CLASSES
    enrollment_group: int = 0
    criticality: int = 0x01
    cooling_offset: int = _OFFSET_NOT_USED
    heating_offset: int = _OFFSET_NOT_USED
    cooling_set_point: int = _SET_POINT_NOT_USED
    heating_set_point: int = _SET_POINT_NOT_USED
    load_adjustment: int = _LOAD_ADJUSTMENT_NOT_USED
    duty_cycle: int = _DUTY_CYCLE_NOT_USED
    event_control: int = 0

    @property
    def end(self) -> int:
        """Return the event's end (its start resolved)."""
        return self.start + self.duration * 60

    def payload(self) -> bytes:
        """Return the LoadControlEvent payload (reference §4.2 field table)."""
        return load_control_event_payload(**dataclasses.asdict(self))


@dataclasses.dataclass(frozen=True)
class StatusReport:
    """A ReportEventStatus the server received."""

    issuer_event_id: int
    status: int
    status_time: int
    criticality_applied: int
    cooling_set_point_applied: int
    heating_set_point_applied: int
    load_adjustment_applied: int
    duty_cycle_applied: int
    event_control: int
    signature_type: int
    signature: bytes
    payload: bytes


def load_control_event_payload(
    *,
    issuer_event_id: int,
    start: int,
    duration: int,
    device_class: int = ALL_DEVICE_CLASSES,
    enrollment_group: int = 0,
    criticality: int = 0x01,
    cooling_offset: int = _OFFSET_NOT_USED,
    heating_offset: int = _OFFSET_NOT_USED,
    cooling_set_point: int = _SET_POINT_NOT_USED,
    heating_set_point: int = _SET_POINT_NOT_USED,
    load_adjustment: int = _LOAD_ADJUSTMENT_NOT_USED,
    duty_cycle: int = _DUTY_CYCLE_NOT_USED,
    event_control: int = 0,
) -> bytes:
    """Return a LoadControlEvent payload, 23 bytes (any field value, for bad input too)."""
    return _EVENT.pack(
        issuer_event_id,
        device_class,
        enrollment_group,
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
    )


def cancel_payload(
    issuer_event_id: int,
    *,
    device_class: int = ALL_DEVICE_CLASSES,
    enrollment_group: int = 0,
    cancel_control: int = 0,
    effective_time: int = 0,
) -> bytes:
    """Return a CancelLoadControlEvent payload, 12 bytes."""
    return _CANCEL.pack(
        issuer_event_id, device_class, enrollment_group, cancel_control, effective_time
    )


class DrlcServer:
    """The DRLC server of one meter endpoint (the ESI), with test hooks."""

    def __init__(
        self, endpoint: SimEndpoint, clock: Callable[[], int] = utc_now
    ) -> None:
        """Add the cluster to ``endpoint`` (a 0x0109 endpoint); ``clock`` is UTCTime now."""
        self.endpoint = endpoint
        self.clock = clock
        self.cluster: SimCluster = endpoint.add_cluster(DRLC, standard_handlers=False)
        self.cluster.on(CMD_REPORT_EVENT_STATUS, self._report_event_status)
        self.cluster.on(CMD_GET_SCHEDULED_EVENTS, self._get_scheduled_events)
        self.events: dict[int, EventRecord] = {}
        self.reports: list[StatusReport] = []
        #: The latest status each event was reported with.
        self.status: dict[int, int] = {}
        #: GetScheduledEvents received: (start time, number of events, issuer id or None).
        self.requests: list[tuple[int, int, int | None]] = []

    # -- the ESI's commands -------------------------------------------------------------

    def add_event(self, issuer_event_id: int, **fields: int) -> EventRecord:
        """Keep an event (nothing sent): start 0 resolves to now."""
        start = fields.pop("start", 0) or self.clock()
        record = EventRecord(issuer_event_id, start=start, **fields)
        self.events[issuer_event_id] = record
        return record

    def send_event(self, issuer_event_id: int, **fields: int) -> bytes:
        """Keep an event and send it; start 0 goes out as 0 ("now"). Return the payload."""
        now_start = fields.get("start", 0) == 0
        record = self.add_event(issuer_event_id, **fields)
        payload = (
            dataclasses.replace(record, start=0).payload()
            if now_start
            else record.payload()
        )
        assert self.send_raw(CMD_LOAD_CONTROL_EVENT, payload)
        return payload

    def cancel_event(self, issuer_event_id: int, **fields: int) -> bytes:
        """Drop an event and send CancelLoadControlEvent; return the payload."""
        self.events.pop(issuer_event_id, None)
        payload = cancel_payload(issuer_event_id, **fields)
        assert self.send_raw(CMD_CANCEL_LOAD_CONTROL_EVENT, payload)
        return payload

    def cancel_all(self, cancel_control: int = CANCEL_WITH_RANDOMIZATION) -> bytes:
        """Drop every event and send CancelAllLoadControlEvents; return the payload."""
        self.events.clear()
        payload = bytes((cancel_control,))
        assert self.send_raw(CMD_CANCEL_ALL_LOAD_CONTROL_EVENTS, payload)
        return payload

    def send_raw(self, command: int, payload: bytes, tsn: int | None = None) -> bool:
        """Send a server -> client DRLC frame carrying ``payload`` as it is."""
        return self.endpoint.device.send_zcl(
            self.endpoint.id,
            DRLC,
            command,
            payload,
            direction=foundation.Direction.Server_to_Client,
            dst_ep=1,
            profile_id=SE_PROFILE,
            tsn=tsn,
        )

    # -- the client's commands ----------------------------------------------------------

    def _report_event_status(self, ctx: CommandContext) -> HandlerResult:
        payload = bytes(ctx.payload)
        if len(payload) not in (_REPORT.size, _REPORT.size + SIGNATURE_LENGTH):
            return foundation.Status.MALFORMED_COMMAND
        fields = _REPORT.unpack_from(payload)
        report = StatusReport(*fields, payload[_REPORT.size :], payload)
        self.reports.append(report)
        self.status[report.issuer_event_id] = report.status
        return None

    def _get_scheduled_events(self, ctx: CommandContext) -> HandlerResult:
        payload = bytes(ctx.payload)
        if len(payload) not in (5, 9):
            return foundation.Status.MALFORMED_COMMAND
        start, number = struct.unpack_from("<IB", payload)
        issuer = struct.unpack_from("<I", payload, 5)[0] if len(payload) == 9 else None
        self.requests.append((start, number, issuer))
        minimum_end = start or self.clock()
        matching = sorted(
            (event for event in self.events.values() if event.end >= minimum_end),
            key=lambda event: (event.start, event.issuer_event_id),
        )
        if number:
            matching = matching[:number]
        if not matching:
            return foundation.Status.NOT_FOUND
        for event in matching:
            self.send_raw(CMD_LOAD_CONTROL_EVENT, event.payload(), tsn=ctx.header.tsn)
        return NO_RESPONSE
