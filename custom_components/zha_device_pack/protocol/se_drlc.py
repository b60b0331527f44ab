"""Smart Energy Demand Response / Load Control (cluster 0x0701): commands and event rules.

Sources: the Smart Energy wire-format reference (research notes smart_energy_reference.md,
"the reference" below) §0 (conventions), §4 (DRLC), §6 (UTCTime, "start time 0 = now") and §8
(where sources disagree); seed 002 (Digi ConnectPort X2 manual, "SE Records": the
LoadControlEventRecord defaults). Where the reference leaves an event rule open, the client
implementations were read: the Silicon Labs DRLC plugin the reference cites as SLD
(SiliconLabs/gecko_sdk ``protocol/zigbee/app/framework/plugin/drlc``) and Freescale's
``ZclSEDRLC.c``; a comment names the reading taken. Every integer is little-endian; times are
UTCTime (uint32 seconds since 2000-01-01 00:00:00 UTC), 0xFFFFFFFF meaning invalid.

The ESI is the DRLC *server*, the load the *client* (reference §0)::

    server -> client   0x00 LoadControlEvent (23 bytes)      0x01 CancelLoadControlEvent (12)
                       0x02 CancelAllLoadControlEvents (1)
    client -> server   0x00 ReportEventStatus (18 or 60)     0x01 GetScheduledEvents (5 or 9)

Fields whose "not used" value the spec reserves (0xFF offsets and duty cycle, 0x8000 set
points, 0x80 load adjustment) are None in the dataclasses. Every rejected input raises
DrlcError. A LoadControlEvent or CancelLoadControlEvent the client must *answer* with a
Report Event Status raises the subclass DrlcRejectionError, which names the issuer event id and
the status to report; one the client must ignore (reserved criticality, no device class) raises
plain DrlcError.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import IntEnum, IntFlag
import random
import struct
from typing import Final, NamedTuple, TypeIs


class DrlcError(ValueError):
    """A DRLC command payload or value is malformed or out of range."""


class DrlcRejectionError(DrlcError):
    """A command the client answers with a Report Event Status carrying event_status."""

    def __init__(
        self, message: str, issuer_event_id: int, event_status: EventStatus
    ) -> None:
        """Keep the event id and status the rejection report carries."""
        super().__init__(message)
        self.issuer_event_id = issuer_event_id
        self.event_status = event_status


CLUSTER_ID: Final = 0x0701
UINT8_MAX: Final = 0xFF
UINT16_MAX: Final = 0xFFFF
UINT32_MAX: Final = 0xFFFF_FFFF
INT16_MIN: Final = -0x8000
INT16_MAX: Final = 0x7FFF
UTC_TIME_INVALID: Final = 0xFFFF_FFFF
# StartTime (LoadControlEvent, GetScheduledEvents) and EffectiveTime 0 mean "now" (§6).
START_NOW: Final = 0
# DurationInMinutes "at most 1440" (§4.2; SLD rejects > 0x5A0).
MAX_DURATION_MINUTES: Final = 1440
# Start/DurationRandomizationMinutes range 0x00-0x3C (§4.1).
MAX_RANDOMIZATION_MINUTES: Final = 0x3C
MAX_PERCENT: Final = 100
# ReportEventStatus signature: 42 raw bytes, no length prefix (§4.2). SLD sends signature
# type 0x00 and 42 x 0xFF "for backwards compatibility" since SE 1.1 dropped signing.
SIGNATURE_LENGTH: Final = 42
DUMMY_SIGNATURE: Final = b"\xff" * SIGNATURE_LENGTH
SECONDS_PER_MINUTE: Final = 60

_UNUSED_OFFSET: Final = 0xFF
_UNUSED_SET_POINT: Final = -0x8000
_UNUSED_LOAD_ADJUSTMENT: Final = -0x80
_UNUSED_DUTY_CYCLE: Final = 0xFF
# 0x00 criticality in a report: SLD zero-fills the applied fields of reports about events it
# does not hold (a rejected cancel of an undefined event), so 0 there reads "none applied".
_NO_CRITICALITY: Final = 0x00

_LOAD_CONTROL_EVENT: Final = struct.Struct("<IHBIHBBBhhbBB")
_CANCEL_LOAD_CONTROL_EVENT: Final = struct.Struct("<IHBBI")
_CANCEL_ALL_LOAD_CONTROL_EVENTS: Final = struct.Struct("<B")
_REPORT_EVENT_STATUS: Final = struct.Struct("<IBIBhhbBBB")
_GET_SCHEDULED_EVENTS: Final = struct.Struct("<IB")
_ISSUER_EVENT_ID: Final = struct.Struct("<I")


# --- command ids and enumerations (reference §4.2, §4.3) ----------------------------------------


class ServerToClientCommand(IntEnum):
    """Commands the ESI (DRLC server) generates; zigpy keeps these in ClientCommandDefs."""

    LOAD_CONTROL_EVENT = 0x00
    CANCEL_LOAD_CONTROL_EVENT = 0x01
    CANCEL_ALL_LOAD_CONTROL_EVENTS = 0x02


class ClientToServerCommand(IntEnum):
    """Commands the load (DRLC client) generates; zigpy keeps these in ServerCommandDefs."""

    REPORT_EVENT_STATUS = 0x00
    GET_SCHEDULED_EVENTS = 0x01


class DeviceClass(IntFlag):
    """DeviceClass map16 of events and of the client's DeviceClassValue (0x0003).

    Bits 12-15 are reserved: kept as they come, they match no device.
    """

    HVAC_COMPRESSOR_OR_FURNACE = 0x0001
    STRIP_OR_BASEBOARD_HEATERS = 0x0002
    WATER_HEATER = 0x0004
    POOL_PUMP_SPA_JACUZZI = 0x0008
    SMART_APPLIANCES = 0x0010
    IRRIGATION_PUMP = 0x0020
    MANAGED_COMMERCIAL_AND_INDUSTRIAL_LOADS = 0x0040
    SIMPLE_MISC_LOADS = 0x0080
    EXTERIOR_LIGHTING = 0x0100
    INTERIOR_LIGHTING = 0x0200
    ELECTRIC_VEHICLE = 0x0400
    GENERATION_SYSTEMS = 0x0800
    # "0x0FFF (all non-reserved device classes)", the Digi default (seed 002).
    ALL = 0x0FFF


class CriticalityLevel(IntEnum):
    """CriticalityLevel enum8; 0x00 and above 0x0F are reserved and the event is ignored."""

    GREEN = 0x01
    LEVEL_1 = 0x02
    LEVEL_2 = 0x03
    LEVEL_3 = 0x04
    LEVEL_4 = 0x05
    LEVEL_5 = 0x06
    EMERGENCY = 0x07
    PLANNED_OUTAGE = 0x08
    SERVICE_DISCONNECT = 0x09
    UTILITY_DEFINED_1 = 0x0A
    UTILITY_DEFINED_2 = 0x0B
    UTILITY_DEFINED_3 = 0x0C
    UTILITY_DEFINED_4 = 0x0D
    UTILITY_DEFINED_5 = 0x0E
    UTILITY_DEFINED_6 = 0x0F


class EventControl(IntFlag):
    """EventControl map8 of LoadControlEvent and ReportEventStatus; bits 2-7 reserved."""

    NO_RANDOMIZATION = 0x00
    RANDOMIZE_START = 0x01
    RANDOMIZE_END = 0x02


class CancelControl(IntFlag):
    """CancelControl map8; bits 1-7 reserved."""

    END_NOW = 0x00
    # End with the original event's randomization (Exegin: "graceful").
    TERMINATE_WITH_RANDOMIZATION = 0x01


class EventStatus(IntEnum):
    """EventStatus enum8 of ReportEventStatus (reference §4.3).

    A client reports RECEIVED on receipt; STARTED (or USER_OPTED_OUT when opted out before the
    start); one of completion_status() at the end; CANCELLED or SUPERSEDED; rejections with the
    0xF8-0xFE codes. Decoders keep values outside this list as plain ints (§8: the TI 2009
    draft's 0xFA "duplicate ID" and 0xFC "event completed" are reserved later).
    """

    RECEIVED = 0x01
    STARTED = 0x02
    COMPLETED = 0x03
    USER_OPTED_OUT = 0x04
    USER_OPTED_IN = 0x05
    CANCELLED = 0x06
    SUPERSEDED = 0x07
    PARTIALLY_COMPLETED_WITH_USER_OPT_OUT = 0x08
    PARTIALLY_COMPLETED_DUE_TO_USER_OPT_IN = 0x09
    COMPLETED_NO_USER_PARTICIPATION = 0x0A
    # 0xF6 and 0xF7 are SE 1.2+ (Silicon Labs, ZSS); Wireshark calls them reserved (§4.3).
    INVALID_OPT_OUT = 0xF6
    EVENT_NOT_FOUND = 0xF7
    REJECTED_INVALID_CANCEL_COMMAND = 0xF8
    REJECTED_INVALID_CANCEL_EFFECTIVE_TIME = 0xF9
    REJECTED_EVENT_EXPIRED = 0xFB
    REJECTED_INVALID_CANCEL_UNDEFINED_EVENT = 0xFD
    LOAD_CONTROL_EVENT_COMMAND_REJECTED = 0xFE


class SignatureType(IntEnum):
    """SignatureType enum8 of ReportEventStatus."""

    NO_SIGNATURE = 0x00
    ECDSA = 0x01


# --- LoadControlEvent (server -> client 0x00) ---------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadControlEvent:
    """A LoadControlEvent; the defaults are the Digi LoadControlEventRecord's (seed 002).

    start_time is a UTCTime, START_NOW (0) for "now". Offsets are in 0.1 °C (0..25.4 °C), set
    points in 0.01 °C, average_load_adjustment_percentage is added to 100 % of the device's
    average load (-100..+100), duty_cycle is a maximum "on" share in percent (0..100); None is
    "not used" for each. Seed 002's record text stops after criticality_level: the defaults of
    the later fields (not used, no randomization) are ours.
    """

    issuer_event_id: int
    duration_minutes: int
    device_class: DeviceClass = DeviceClass.ALL
    utility_enrollment_group: int = 0
    start_time: int = START_NOW
    criticality_level: CriticalityLevel = CriticalityLevel.GREEN
    cooling_temperature_offset: int | None = None
    heating_temperature_offset: int | None = None
    cooling_temperature_set_point: int | None = None
    heating_temperature_set_point: int | None = None
    average_load_adjustment_percentage: int | None = None
    duty_cycle: int | None = None
    event_control: EventControl = EventControl.NO_RANDOMIZATION

    def __post_init__(self) -> None:
        """Refuse fields the spec does not allow, as a client would (DrlcRejectionError)."""
        _check_uint("issuer event id", self.issuer_event_id, UINT32_MAX)
        # Ignored without a reply, as SLD does: an event for no device class applies to no
        # device, and reserved criticality levels are "ignore the event" (§4.3).
        _check_device_class(self.device_class)
        _check_member("criticality level", self.criticality_level, CriticalityLevel)
        try:
            self._check_schedule_and_controls()
        except DrlcError as err:
            raise DrlcRejectionError(
                str(err),
                self.issuer_event_id,
                EventStatus.LOAD_CONTROL_EVENT_COMMAND_REJECTED,
            ) from None

    def _check_schedule_and_controls(self) -> None:
        _check_uint(
            "utility enrollment group", self.utility_enrollment_group, UINT8_MAX
        )
        # SLD answers StartTime 0xFFFFFFFF and DurationInMinutes > 1440 with status 0xFE.
        _check_uint(
            "start time",
            self.start_time,
            UTC_TIME_INVALID - 1,
            " (0xffffffff = invalid)",
        )
        # A 0-minute event has nothing to run; no source defines it, so it is refused like an
        # over-long one (the issue asks for it).
        _check_range(
            "duration", self.duration_minutes, 1, MAX_DURATION_MINUTES, " minutes"
        )
        for name, offset in (
            ("cooling temperature offset", self.cooling_temperature_offset),
            ("heating temperature offset", self.heating_temperature_offset),
        ):
            _check_optional(name, offset, 0, _UNUSED_OFFSET - 1, " (0xff is None)")
        for name, set_point in (
            ("cooling temperature set point", self.cooling_temperature_set_point),
            ("heating temperature set point", self.heating_temperature_set_point),
        ):
            _check_optional(
                name, set_point, INT16_MIN + 1, INT16_MAX, " (0x8000 is None)"
            )
        _check_controls(
            self.average_load_adjustment_percentage, self.duty_cycle, self.event_control
        )


def encode_load_control_event(event: LoadControlEvent) -> bytes:
    """Encode a LoadControlEvent payload, 23 bytes."""
    return _LOAD_CONTROL_EVENT.pack(
        event.issuer_event_id,
        event.device_class,
        event.utility_enrollment_group,
        event.start_time,
        event.duration_minutes,
        event.criticality_level,
        _or(event.cooling_temperature_offset, _UNUSED_OFFSET),
        _or(event.heating_temperature_offset, _UNUSED_OFFSET),
        _or(event.cooling_temperature_set_point, _UNUSED_SET_POINT),
        _or(event.heating_temperature_set_point, _UNUSED_SET_POINT),
        _or(event.average_load_adjustment_percentage, _UNUSED_LOAD_ADJUSTMENT),
        _or(event.duty_cycle, _UNUSED_DUTY_CYCLE),
        event.event_control,
    )


def decode_load_control_event(data: bytes) -> LoadControlEvent:
    """Decode a LoadControlEvent payload (23 bytes, fixed: TI PACKET_LEN 23, §4.2).

    Raises DrlcRejectionError (status 0xFE) for a start time, duration or control field out of
    range, plain DrlcError for a frame of the wrong length, no device class or a reserved
    criticality level (§4.3: the client ignores those).
    """
    _check_length("LoadControlEvent", data, _LOAD_CONTROL_EVENT.size)
    (
        issuer_event_id,
        device_class,
        enrollment_group,
        start_time,
        duration,
        criticality,
        cooling_offset,
        heating_offset,
        cooling_set_point,
        heating_set_point,
        load_adjustment,
        duty_cycle,
        event_control,
    ) = _LOAD_CONTROL_EVENT.unpack(data)
    return LoadControlEvent(
        issuer_event_id=issuer_event_id,
        device_class=DeviceClass(device_class),
        utility_enrollment_group=enrollment_group,
        start_time=start_time,
        duration_minutes=duration,
        criticality_level=_member("criticality level", criticality, CriticalityLevel),
        cooling_temperature_offset=_none_if(cooling_offset, _UNUSED_OFFSET),
        heating_temperature_offset=_none_if(heating_offset, _UNUSED_OFFSET),
        cooling_temperature_set_point=_none_if(cooling_set_point, _UNUSED_SET_POINT),
        heating_temperature_set_point=_none_if(heating_set_point, _UNUSED_SET_POINT),
        average_load_adjustment_percentage=_none_if(
            load_adjustment, _UNUSED_LOAD_ADJUSTMENT
        ),
        duty_cycle=_none_if(duty_cycle, _UNUSED_DUTY_CYCLE),
        event_control=EventControl(event_control),
    )


# --- CancelLoadControlEvent / CancelAllLoadControlEvents (server -> client 0x01, 0x02) ----------


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelLoadControlEvent:
    """A CancelLoadControlEvent.

    effective_time is deprecated: "always send 0x00000000 (= now)" (§4.2). A client answers
    0xFFFFFFFF, or a time after the event's end, with status 0xF9 (SLD); the first is refused
    here (DrlcRejectionError), the second needs the client's event table.
    """

    issuer_event_id: int
    device_class: DeviceClass = DeviceClass.ALL
    utility_enrollment_group: int = 0
    cancel_control: CancelControl = CancelControl.END_NOW
    effective_time: int = START_NOW

    def __post_init__(self) -> None:
        """Refuse fields that do not fit the frame or the spec."""
        _check_uint("issuer event id", self.issuer_event_id, UINT32_MAX)
        _check_device_class(self.device_class)
        _check_uint(
            "utility enrollment group", self.utility_enrollment_group, UINT8_MAX
        )
        _check_uint("cancel control", self.cancel_control, UINT8_MAX)
        _check_uint("effective time", self.effective_time, UINT32_MAX)
        if self.effective_time == UTC_TIME_INVALID:
            raise DrlcRejectionError(
                "cancel effective time 0xffffffff is invalid",
                self.issuer_event_id,
                EventStatus.REJECTED_INVALID_CANCEL_EFFECTIVE_TIME,
            )


def encode_cancel_load_control_event(cancel: CancelLoadControlEvent) -> bytes:
    """Encode a CancelLoadControlEvent payload, 12 bytes."""
    return _CANCEL_LOAD_CONTROL_EVENT.pack(
        cancel.issuer_event_id,
        cancel.device_class,
        cancel.utility_enrollment_group,
        cancel.cancel_control,
        cancel.effective_time,
    )


def decode_cancel_load_control_event(data: bytes) -> CancelLoadControlEvent:
    """Decode a CancelLoadControlEvent payload: 12 bytes, EffectiveTime included.

    Exegin leaves EffectiveTime out of its struct, but TI (PACKET_LEN 12), Wireshark and
    Silicon Labs carry it on the wire; an 8-byte frame is refused (§4.2).
    """
    _check_length("CancelLoadControlEvent", data, _CANCEL_LOAD_CONTROL_EVENT.size)
    issuer_event_id, device_class, enrollment_group, cancel_control, effective_time = (
        _CANCEL_LOAD_CONTROL_EVENT.unpack(data)
    )
    return CancelLoadControlEvent(
        issuer_event_id=issuer_event_id,
        device_class=DeviceClass(device_class),
        utility_enrollment_group=enrollment_group,
        cancel_control=CancelControl(cancel_control),
        effective_time=effective_time,
    )


@dataclass(frozen=True, slots=True)
class CancelAllLoadControlEvents:
    """A CancelAllLoadControlEvents; the default 0x01 is Digi's (seed 002)."""

    cancel_control: CancelControl = CancelControl.TERMINATE_WITH_RANDOMIZATION

    def __post_init__(self) -> None:
        """Refuse a control that does not fit its map8."""
        _check_uint("cancel control", self.cancel_control, UINT8_MAX)


def encode_cancel_all_load_control_events(cancel: CancelAllLoadControlEvents) -> bytes:
    """Encode a CancelAllLoadControlEvents payload, 1 byte."""
    return _CANCEL_ALL_LOAD_CONTROL_EVENTS.pack(cancel.cancel_control)


def decode_cancel_all_load_control_events(data: bytes) -> CancelAllLoadControlEvents:
    """Decode a CancelAllLoadControlEvents payload, 1 byte."""
    _check_length(
        "CancelAllLoadControlEvents", data, _CANCEL_ALL_LOAD_CONTROL_EVENTS.size
    )
    return CancelAllLoadControlEvents(CancelControl(data[0]))


# --- ReportEventStatus (client -> server 0x00) --------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportEventStatus:
    """A ReportEventStatus.

    event_status is an EventStatus, or a plain int for values outside the list (§8: accept
    unknown values). The *_applied fields are what the device applied, None for "not used"
    (criticality 0x00, set points 0x8000, load adjustment 0x80, duty cycle 0xFF). signature
    is None when the frame ends after the signature type (Exegin marks the signature
    optional); by default the 42 x 0xFF dummy SLD sends.
    """

    issuer_event_id: int
    event_status: EventStatus | int
    event_status_time: int
    criticality_level_applied: CriticalityLevel | None = None
    cooling_temperature_set_point_applied: int | None = None
    heating_temperature_set_point_applied: int | None = None
    average_load_adjustment_percentage_applied: int | None = None
    duty_cycle_applied: int | None = None
    event_control: EventControl = EventControl.NO_RANDOMIZATION
    signature_type: SignatureType = SignatureType.NO_SIGNATURE
    signature: bytes | None = DUMMY_SIGNATURE

    def __post_init__(self) -> None:
        """Refuse fields that do not fit the frame or the spec."""
        _check_uint("issuer event id", self.issuer_event_id, UINT32_MAX)
        _check_uint("event status", self.event_status, UINT8_MAX)
        # "This field shall not use the value of 0x00000000" (ZSS, §4.2).
        _check_range("event status time", self.event_status_time, 1, UINT32_MAX)
        if self.criticality_level_applied is not None:
            _check_member(
                "criticality level applied",
                self.criticality_level_applied,
                CriticalityLevel,
            )
        for name, set_point in (
            ("cooling set point applied", self.cooling_temperature_set_point_applied),
            ("heating set point applied", self.heating_temperature_set_point_applied),
        ):
            _check_optional(
                name, set_point, INT16_MIN + 1, INT16_MAX, " (0x8000 is None)"
            )
        _check_controls(
            self.average_load_adjustment_percentage_applied,
            self.duty_cycle_applied,
            self.event_control,
        )
        _check_member("signature type", self.signature_type, SignatureType)
        if self.signature is not None and (
            not isinstance(self.signature, bytes)
            or len(self.signature) != SIGNATURE_LENGTH
        ):
            raise DrlcError(
                f"signature must be {SIGNATURE_LENGTH} bytes or None, got {self.signature!r}"
            )


def encode_report_event_status(report: ReportEventStatus) -> bytes:
    """Encode a ReportEventStatus payload: 60 bytes, or 18 without a signature."""
    head = _REPORT_EVENT_STATUS.pack(
        report.issuer_event_id,
        report.event_status,
        report.event_status_time,
        _or(report.criticality_level_applied, _NO_CRITICALITY),
        _or(report.cooling_temperature_set_point_applied, _UNUSED_SET_POINT),
        _or(report.heating_temperature_set_point_applied, _UNUSED_SET_POINT),
        _or(report.average_load_adjustment_percentage_applied, _UNUSED_LOAD_ADJUSTMENT),
        _or(report.duty_cycle_applied, _UNUSED_DUTY_CYCLE),
        report.event_control,
        report.signature_type,
    )
    return head if report.signature is None else head + report.signature


def decode_report_event_status(data: bytes) -> ReportEventStatus:
    """Decode a ReportEventStatus payload: 18 bytes + a 0- or 42-byte signature (§4.2, §8).

    The applied set points are read as int16 (Wireshark), though Silicon Labs, ZSS and Exegin
    type them uint16: 0x8000 is "not used" either way and real set points are signed (§8).
    """
    size = _REPORT_EVENT_STATUS.size
    if len(data) not in (size, size + SIGNATURE_LENGTH):
        raise DrlcError(
            f"ReportEventStatus is {size} or {size + SIGNATURE_LENGTH} bytes "
            f"(signature absent or {SIGNATURE_LENGTH} bytes), got {len(data)}"
        )
    (
        issuer_event_id,
        event_status,
        event_status_time,
        criticality,
        cooling_set_point,
        heating_set_point,
        load_adjustment,
        duty_cycle,
        event_control,
        signature_type,
    ) = _REPORT_EVENT_STATUS.unpack_from(data)
    return ReportEventStatus(
        issuer_event_id=issuer_event_id,
        event_status=_known(EventStatus, event_status),
        event_status_time=event_status_time,
        criticality_level_applied=None
        if criticality == _NO_CRITICALITY
        else _member("criticality level applied", criticality, CriticalityLevel),
        cooling_temperature_set_point_applied=_none_if(
            cooling_set_point, _UNUSED_SET_POINT
        ),
        heating_temperature_set_point_applied=_none_if(
            heating_set_point, _UNUSED_SET_POINT
        ),
        average_load_adjustment_percentage_applied=_none_if(
            load_adjustment, _UNUSED_LOAD_ADJUSTMENT
        ),
        duty_cycle_applied=_none_if(duty_cycle, _UNUSED_DUTY_CYCLE),
        event_control=EventControl(event_control),
        signature_type=_member("signature type", signature_type, SignatureType),
        signature=bytes(data[size:]) if len(data) > size else None,
    )


def status_report(
    event: LoadControlEvent, status: EventStatus, status_time: int
) -> ReportEventStatus:
    """Return the report a client sends about event: the event's values as applied (SLD)."""
    return ReportEventStatus(
        issuer_event_id=event.issuer_event_id,
        event_status=status,
        event_status_time=status_time,
        criticality_level_applied=event.criticality_level,
        cooling_temperature_set_point_applied=event.cooling_temperature_set_point,
        heating_temperature_set_point_applied=event.heating_temperature_set_point,
        average_load_adjustment_percentage_applied=event.average_load_adjustment_percentage,
        duty_cycle_applied=event.duty_cycle,
        event_control=event.event_control,
    )


# The end-of-event status by (opted in at the end, participation changed while running); SLD's
# controlValueToStatusEnum. The reference (§4.3) lists the four without the mapping.
_COMPLETION_STATUS: Final = {
    (False, False): EventStatus.COMPLETED_NO_USER_PARTICIPATION,
    (True, False): EventStatus.COMPLETED,
    (False, True): EventStatus.PARTIALLY_COMPLETED_WITH_USER_OPT_OUT,
    (True, True): EventStatus.PARTIALLY_COMPLETED_DUE_TO_USER_OPT_IN,
}


def completion_status(*, opted_in: bool, changed_while_running: bool) -> EventStatus:
    """Return the status a client reports when an event ends.

    opted_in is the user's choice at the end; changed_while_running whether the user opted
    out or in after the event started.
    """
    return _COMPLETION_STATUS[bool(opted_in), bool(changed_while_running)]


# --- GetScheduledEvents (client -> server 0x01) -------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class GetScheduledEvents:
    """A GetScheduledEvents request.

    start_time is the minimum end time of the events to re-send, START_NOW (0) for the
    server's current time; number_of_events 0 asks for all. issuer_event_id is the SE 1.2b
    optional field (Silicon Labs ami.xml), None when absent; the reference gives it no
    selection rule, so select_scheduled_events ignores it.
    """

    start_time: int = START_NOW
    number_of_events: int = 0
    issuer_event_id: int | None = None

    def __post_init__(self) -> None:
        """Refuse fields that do not fit the frame."""
        _check_uint(
            "start time",
            self.start_time,
            UTC_TIME_INVALID - 1,
            " (0xffffffff = invalid)",
        )
        _check_uint("number of events", self.number_of_events, UINT8_MAX)
        if self.issuer_event_id is not None:
            _check_uint("issuer event id", self.issuer_event_id, UINT32_MAX)


def encode_get_scheduled_events(request: GetScheduledEvents) -> bytes:
    """Encode a GetScheduledEvents payload: 5 bytes, 9 with the issuer event id."""
    head = _GET_SCHEDULED_EVENTS.pack(request.start_time, request.number_of_events)
    if request.issuer_event_id is None:
        return head
    return head + _ISSUER_EVENT_ID.pack(request.issuer_event_id)


def decode_get_scheduled_events(data: bytes) -> GetScheduledEvents:
    """Decode a GetScheduledEvents payload: 5 bytes, or 9 with the SE 1.2b issuer event id.

    Wireshark reads the optional field when more than 3 bytes follow the first five; 6 to 8
    bytes hold a partial field, which is refused.
    """
    size = _GET_SCHEDULED_EVENTS.size
    if len(data) not in (size, size + _ISSUER_EVENT_ID.size):
        raise DrlcError(
            f"GetScheduledEvents is {size} or {size + _ISSUER_EVENT_ID.size} bytes, "
            f"got {len(data)}"
        )
    start_time, number_of_events = _GET_SCHEDULED_EVENTS.unpack_from(data)
    issuer_event_id = (
        _ISSUER_EVENT_ID.unpack_from(data, size)[0] if len(data) > size else None
    )
    return GetScheduledEvents(
        start_time=start_time,
        number_of_events=number_of_events,
        issuer_event_id=issuer_event_id,
    )


# --- event timing and targeting (reference §4.3, §6) --------------------------------------------


class EventWindow(NamedTuple):
    """When an event runs, as UTCTimes: from start (inclusive) to end (exclusive)."""

    start: int
    end: int


def resolve_start_now(event: LoadControlEvent, received_at: int) -> LoadControlEvent:
    """Return event with START_NOW replaced by its receipt (or creation) time (§6, SLD)."""
    _check_uint("receipt time", received_at, UTC_TIME_INVALID - 1)
    if event.start_time != START_NOW:
        return event
    if received_at == START_NOW:
        raise DrlcError("receipt time 0 cannot stand for 'now'")
    return replace(event, start_time=received_at)


def event_window(event: LoadControlEvent) -> EventWindow:
    """Return the window of an event whose start is resolved (resolve_start_now)."""
    if event.start_time == START_NOW:
        raise DrlcError(
            f"event {event.issuer_event_id:#x} starts 'now': resolve_start_now it first"
        )
    return EventWindow(
        event.start_time,
        event.start_time + event.duration_minutes * SECONDS_PER_MINUTE,
    )


def is_expired(event: LoadControlEvent, now: int) -> bool:
    """Whether nothing of event is left to run at now: a client reports 0xFB (§4.3).

    START_NOW counts as now. SLD tests now > end, Freescale end <= now; the second is taken,
    since an event ending at now has no second left to run.
    """
    return event_window(resolve_start_now(event, now)).end <= now


def randomization_delay(minutes: int, rng: random.Random) -> int:
    """Return a random delay of 0 to minutes x 60 - 1 seconds, 0 for 0 minutes (§4.3, SLD).

    minutes is StartRandomizationMinutes or DurationRandomizationMinutes (0..0x3C, §4.1).
    """
    _check_uint("randomization minutes", minutes, MAX_RANDOMIZATION_MINUTES)
    return rng.randrange(minutes * SECONDS_PER_MINUTE) if minutes else 0


def randomized_window(
    event: LoadControlEvent,
    *,
    start_randomization_minutes: int,
    duration_randomization_minutes: int,
    rng: random.Random,
) -> EventWindow:
    """Return when a client runs event, with the randomization its EventControl asks for.

    The start moves by a delay up to StartRandomizationMinutes and the end by one up to
    DurationRandomizationMinutes (§4.3). The start delay moves the end too: the reference is
    silent, SLD applies it after "CCB 1513: startRand does affect end time".
    """
    window = event_window(event)
    start_delay = (
        randomization_delay(start_randomization_minutes, rng)
        if event.event_control & EventControl.RANDOMIZE_START
        else 0
    )
    end_delay = (
        randomization_delay(duration_randomization_minutes, rng)
        if event.event_control & EventControl.RANDOMIZE_END
        else 0
    )
    return EventWindow(window.start + start_delay, window.end + start_delay + end_delay)


def targets_device(
    command: LoadControlEvent | CancelLoadControlEvent,
    *,
    device_class_value: int,
    utility_enrollment_group: int,
) -> bool:
    """Whether an event or cancel addresses a client with these attribute values (§4.3).

    A device class bit in common, and the event's or the client's enrollment group 0 or both
    equal. A client ignores a command that does not address it (no reply, or a Default
    Response SUCCESS, CCB 1380).
    """
    _check_uint("device class value", device_class_value, UINT16_MAX)
    _check_uint("utility enrollment group", utility_enrollment_group, UINT8_MAX)
    return bool(command.device_class & device_class_value) and _groups_overlap(
        command.utility_enrollment_group, utility_enrollment_group
    )


def supersedes(new: LoadControlEvent, old: LoadControlEvent) -> bool:
    """Whether new supersedes old: old then ends with status 0x07 (§4.3).

    Both starts must be resolved (resolve_start_now). The rule, which the reference only names
    ("superseded by an overlapping event"): another issuer event id, windows that overlap
    (randomization aside), a device class bit in common and enrollment groups that overlap.
    Sources differ on the targeting part. Freescale's client requires a common device class
    and supersedes only the overlapping classes. SLD (load-control-event-table.c, "CCB 1291")
    accepts a common class *or* overlapping groups, so on one client any overlap in time
    supersedes. This function requires both (the issue's "same device class / enrolment
    group"), supersedes the whole event as SLD does, and leaves a same-id event to the
    duplicate rule.
    """
    if new.issuer_event_id == old.issuer_event_id:
        return False
    new_window, old_window = event_window(new), event_window(old)
    return (
        bool(new.device_class & old.device_class)
        and _groups_overlap(new.utility_enrollment_group, old.utility_enrollment_group)
        and new_window.start < old_window.end
        and old_window.start < new_window.end
    )


def select_scheduled_events(
    request: GetScheduledEvents, events: Iterable[LoadControlEvent], now: int
) -> tuple[LoadControlEvent, ...]:
    """Return the events a server re-sends for a GetScheduledEvents, earliest start first.

    Those whose end is at or after the request's start time (START_NOW: now), at most
    number_of_events of them (0: all). ZSS: "the first event with an EndTime greater than
    or equal to the value of Start Time". Starts must be resolved. An empty result is answered
    with a Default Response NOT_FOUND (seed 001 §10.1.1).
    """
    _check_uint("now", now, UTC_TIME_INVALID - 1)
    minimum_end = request.start_time or now
    matching = sorted(
        (event for event in events if event_window(event).end >= minimum_end),
        key=lambda event: (event.start_time, event.issuer_event_id),
    )
    if request.number_of_events:
        return tuple(matching[: request.number_of_events])
    return tuple(matching)


def _groups_overlap(first: int, second: int) -> bool:
    # Group 0 is "all groups" on either side (§4.1, §4.3).
    return 0 in (first, second) or first == second


# --- checks -------------------------------------------------------------------------------------


def _is_int(value: object) -> TypeIs[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_uint(name: str, value: object, maximum: int, note: str = "") -> None:
    _check_range(name, value, 0, maximum, note)


def _check_range(
    name: str, value: object, minimum: int, maximum: int, note: str = ""
) -> None:
    if not _is_int(value):
        raise DrlcError(f"{name} {value!r} is not an integer")
    if not minimum <= value <= maximum:
        raise DrlcError(f"{name} {value} is not {minimum}..{maximum}{note}")


def _check_optional(
    name: str, value: object, minimum: int, maximum: int, note: str = ""
) -> None:
    if value is not None:
        _check_range(name, value, minimum, maximum, note)


def _check_device_class(device_class: object) -> None:
    _check_uint("device class", device_class, UINT16_MAX)
    if not device_class:
        raise DrlcError("device class 0 addresses no device")


def _check_controls(
    load_adjustment: object, duty_cycle: object, event_control: object
) -> None:
    # Values outside these ranges other than the "not used" ones are "reserved for future
    # use" (spec text in ZSS); a field the client cannot apply makes the event invalid.
    _check_optional(
        "average load adjustment percentage",
        load_adjustment,
        -MAX_PERCENT,
        MAX_PERCENT,
        " % (0x80 is None)",
    )
    _check_optional("duty cycle", duty_cycle, 0, MAX_PERCENT, " % (0xff is None)")
    _check_uint("event control", event_control, UINT8_MAX)


def _check_member(name: str, value: object, enum: type[IntEnum]) -> None:
    if not _is_int(value) or value not in set(enum):
        raise DrlcError(f"{name} {value!r} is not one of {[int(m) for m in enum]}")


def _check_length(name: str, data: bytes, size: int) -> None:
    if len(data) != size:
        raise DrlcError(f"{name} is {size} bytes, got {len(data)}")


def _member[E: IntEnum](name: str, value: int, enum: type[E]) -> E:
    try:
        return enum(value)
    except ValueError:
        raise DrlcError(f"{name} 0x{value:02x} is reserved") from None


def _known[E: IntEnum](enum: type[E], value: int) -> E | int:
    try:
        return enum(value)
    except ValueError:
        return value


def _none_if(value: int, unused: int) -> int | None:
    return None if value == unused else value


def _or(value: int | None, unused: int) -> int:
    return unused if value is None else value
