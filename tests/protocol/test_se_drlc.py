"""Tests of the Smart Energy DRLC codec (reference = smart_energy_reference.md §4, §6, §8).

No source holds a captured DRLC frame. The vectors are either built by the code of a real
stack (named at each, read from its source, not captured on air) or hand-built from the
reference's field tables, and say which.
"""

from collections.abc import Callable
import contextlib
from dataclasses import replace
import random

from hypothesis import given, strategies as st
import pytest

from custom_components.zha_device_pack.protocol.se_drlc import (
    CLUSTER_ID,
    DUMMY_SIGNATURE,
    START_NOW,
    CancelAllLoadControlEvents,
    CancelControl,
    CancelLoadControlEvent,
    ClientToServerCommand,
    CriticalityLevel,
    DeviceClass,
    DrlcError,
    DrlcRejectionError,
    EventControl,
    EventStatus,
    EventWindow,
    GetScheduledEvents,
    LoadControlEvent,
    ReportEventStatus,
    ServerToClientCommand,
    SignatureType,
    completion_status,
    decode_cancel_all_load_control_events,
    decode_cancel_load_control_event,
    decode_get_scheduled_events,
    decode_load_control_event,
    decode_report_event_status,
    encode_cancel_all_load_control_events,
    encode_cancel_load_control_event,
    encode_get_scheduled_events,
    encode_load_control_event,
    encode_report_event_status,
    event_window,
    is_expired,
    randomization_delay,
    randomized_window,
    resolve_start_now,
    select_scheduled_events,
    status_report,
    supersedes,
    targets_device,
)

from .strategies_se_drlc import (
    cancel_all_load_control_events,
    cancel_load_control_events,
    get_scheduled_events,
    load_control_events,
    report_event_statuses,
)

# 2024-01-01 15:00:00 UTC = 757436400 s after 2000-01-01 = 0x2d258ff0, little-endian f08f252d.
START = 757_436_400
HOUR = 3600
SIGNATURE_HEX = "ff" * 42

# --- LoadControlEvent ----------------------------------------------------------------------------

# Built as EmberZNet's CLI `zcl drlc lce 0xabcd 2 757436400 60 3` builds it
# (syabyr/efr32_base@bca21083, protocol/zigbee/app/framework/cli/zcl-cli.c,
# zclDrlcLoadControlEventCommand): device class 0x0FFF, criticality 1, offsets 0, set points
# zclBufferAddWord(0x1a09), load adjustment 0x0a, duty cycle 0. Ambiguity in that source: its
# comments say "23.3c" and "-10%", the bytes say 0x1a09 = 66.65 °C and +10 %. ZCL fields are
# little-endian (§0), so the bytes win; the decoder takes both as the valid values they are.
EMBER_CLI_LCE_HEX = "cdab0000 ff0f 02 f08f252d 3c00 01 00 00 091a 091a 0a 00 03"
EMBER_CLI_LCE = LoadControlEvent(
    issuer_event_id=0xABCD,
    duration_minutes=60,
    device_class=DeviceClass.ALL,
    utility_enrollment_group=2,
    start_time=START,
    criticality_level=CriticalityLevel.GREEN,
    cooling_temperature_offset=0,
    heating_temperature_offset=0,
    cooling_temperature_set_point=0x1A09,
    heating_temperature_set_point=0x1A09,
    average_load_adjustment_percentage=10,
    duty_cycle=0,
    event_control=EventControl.RANDOMIZE_START | EventControl.RANDOMIZE_END,
)

# Hand-built from the §4.2 field table with the Digi LoadControlEventRecord defaults (seed 002:
# device class 0x0FFF, group 0, start 0 = now, criticality 1) and every optional control
# "not used" (0xFF, 0x8000, 0x80, 0xFF).
DIGI_DEFAULTS_HEX = "04030201 ff0f 00 00000000 7800 01 ff ff 0080 0080 80 ff 00"

# Hand-built from §4.2 with a distinct value in every field, negative ones included:
# HVAC | water heater | EV, group 7, 1440 min, utility level 1, 1.5 / 2.0 °C offsets,
# 25.00 / -2.00 °C set points, -10 %, 80 %, randomized start.
ASYMMETRIC_LCE_HEX = "efcdab89 0504 07 f08f252d a005 0a 0f 14 c409 38ff f6 50 01"
ASYMMETRIC_LCE = LoadControlEvent(
    issuer_event_id=0x89ABCDEF,
    duration_minutes=1440,
    device_class=DeviceClass.HVAC_COMPRESSOR_OR_FURNACE
    | DeviceClass.WATER_HEATER
    | DeviceClass.ELECTRIC_VEHICLE,
    utility_enrollment_group=7,
    start_time=START,
    criticality_level=CriticalityLevel.UTILITY_DEFINED_1,
    cooling_temperature_offset=15,
    heating_temperature_offset=20,
    cooling_temperature_set_point=2500,
    heating_temperature_set_point=-200,
    average_load_adjustment_percentage=-10,
    duty_cycle=80,
    event_control=EventControl.RANDOMIZE_START,
)


def test_ids() -> None:
    assert CLUSTER_ID == 0x0701
    assert [int(c) for c in ServerToClientCommand] == [0x00, 0x01, 0x02]
    assert [int(c) for c in ClientToServerCommand] == [0x00, 0x01]
    assert DeviceClass.ALL == 0x0FFF


@pytest.mark.parametrize(
    ("frame_hex", "event"),
    [
        pytest.param(EMBER_CLI_LCE_HEX, EMBER_CLI_LCE, id="emberznet-cli"),
        pytest.param(
            DIGI_DEFAULTS_HEX,
            LoadControlEvent(issuer_event_id=0x01020304, duration_minutes=120),
            id="digi-defaults",
        ),
        pytest.param(ASYMMETRIC_LCE_HEX, ASYMMETRIC_LCE, id="asymmetric"),
    ],
)
def test_load_control_event_vectors(frame_hex: str, event: LoadControlEvent) -> None:
    frame = bytes.fromhex(frame_hex)
    assert len(frame) == 23
    assert decode_load_control_event(frame) == event
    assert encode_load_control_event(event) == frame


def test_digi_defaults_decode_unused_fields_as_none() -> None:
    event = decode_load_control_event(bytes.fromhex(DIGI_DEFAULTS_HEX))
    assert event.start_time == START_NOW
    assert event.device_class is DeviceClass.ALL
    assert event.criticality_level is CriticalityLevel.GREEN
    assert (
        event.cooling_temperature_offset,
        event.heating_temperature_offset,
        event.cooling_temperature_set_point,
        event.heating_temperature_set_point,
        event.average_load_adjustment_percentage,
        event.duty_cycle,
    ) == (None, None, None, None, None, None)


def _lce_with(offset: int, value_hex: str) -> bytes:
    frame = bytearray.fromhex(ASYMMETRIC_LCE_HEX)
    value = bytes.fromhex(value_hex)
    frame[offset : offset + len(value)] = value
    return bytes(frame)


# Byte offsets in the 23-byte frame: id 0, class 4, group 6, start 7, duration 11,
# criticality 13, offsets 14/15, set points 16/18, adjustment 20, duty 21, control 22.
@pytest.mark.parametrize(
    ("frame", "message"),
    [
        pytest.param(_lce_with(11, "0000"), "duration 0", id="duration-0"),
        pytest.param(_lce_with(11, "a105"), "duration 1441", id="duration-1441"),
        pytest.param(_lce_with(7, "ffffffff"), "start time", id="start-invalid"),
        pytest.param(_lce_with(20, "65"), "load adjustment", id="adjustment-101"),
        pytest.param(_lce_with(20, "9b"), "load adjustment", id="adjustment-minus-101"),
        pytest.param(_lce_with(21, "65"), "duty cycle 101", id="duty-101"),
        pytest.param(_lce_with(21, "fe"), "duty cycle 254", id="duty-254"),
    ],
)
def test_invalid_event_is_rejected_with_status_0xfe(frame: bytes, message: str) -> None:
    # SLD answers a start of 0xFFFFFFFF or a duration over 1440 with 0xFE (§4.2); the
    # rejection carries what the client's Report Event Status needs.
    with pytest.raises(DrlcRejectionError, match=message) as caught:
        decode_load_control_event(frame)
    assert caught.value.issuer_event_id == 0x89ABCDEF
    assert caught.value.event_status is EventStatus.LOAD_CONTROL_EVENT_COMMAND_REJECTED


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        pytest.param(_lce_with(13, "00"), "criticality level 0", id="criticality-0"),
        pytest.param(
            _lce_with(13, "10"), "criticality level 0x10", id="criticality-16"
        ),
        pytest.param(
            _lce_with(13, "ff"), "criticality level 0xff", id="criticality-255"
        ),
        pytest.param(_lce_with(4, "0000"), "device class 0", id="no-device-class"),
    ],
)
def test_event_to_ignore_is_refused_without_a_report(
    frame: bytes, message: str
) -> None:
    # §4.3: reserved criticality levels are "ignore the event" (SLD), as is an event that
    # addresses no device class.
    with pytest.raises(DrlcError, match=message) as caught:
        decode_load_control_event(frame)
    assert not isinstance(caught.value, DrlcRejectionError)


@pytest.mark.parametrize(
    "changes",
    [
        {"duration_minutes": 0},
        {"duration_minutes": 1441},
        {"criticality_level": 0},
        {"criticality_level": 16},
        {"start_time": 0xFFFFFFFF},
        {"cooling_temperature_offset": 0xFF},
        {"heating_temperature_set_point": -0x8000},
        {"average_load_adjustment_percentage": -128},
        {"duty_cycle": 0xFF},
        {"device_class": 0x10000},
        {"utility_enrollment_group": 256},
        {"issuer_event_id": -1},
        {"issuer_event_id": True},
        {"event_control": 0x100},
    ],
)
def test_event_fields_are_checked_when_built(changes: dict[str, int]) -> None:
    # The "not used" values are None, never their wire sentinels.
    with pytest.raises(DrlcError):
        replace(ASYMMETRIC_LCE, **changes)


# --- CancelLoadControlEvent / CancelAllLoadControlEvents ------------------------------------------

# Hand-built from the §4.2 table: EffectiveTime 0, as "always send 0x00000000" asks.
CANCEL_HEX = "efcdab89 0504 07 01 00000000"
CANCEL = CancelLoadControlEvent(
    issuer_event_id=0x89ABCDEF,
    device_class=DeviceClass(0x0405),
    utility_enrollment_group=7,
    cancel_control=CancelControl.TERMINATE_WITH_RANDOMIZATION,
)


def test_cancel_vector() -> None:
    frame = bytes.fromhex(CANCEL_HEX)
    assert len(frame) == 12
    assert decode_cancel_load_control_event(frame) == CANCEL
    assert encode_cancel_load_control_event(CANCEL) == frame


def test_cancel_defaults_end_now_for_every_device() -> None:
    assert encode_cancel_load_control_event(
        CancelLoadControlEvent(issuer_event_id=1)
    ) == bytes.fromhex("01000000 ff0f 00 00 00000000")


def test_cancel_with_invalid_effective_time_is_rejected_with_0xf9() -> None:
    with pytest.raises(DrlcRejectionError) as caught:
        decode_cancel_load_control_event(bytes.fromhex("efcdab89 0504 07 01 ffffffff"))
    assert caught.value.issuer_event_id == 0x89ABCDEF
    assert (
        caught.value.event_status is EventStatus.REJECTED_INVALID_CANCEL_EFFECTIVE_TIME
    )


def test_cancel_for_no_device_class_is_refused() -> None:
    with pytest.raises(DrlcError, match="device class 0"):
        decode_cancel_load_control_event(bytes.fromhex("efcdab89 0000 07 01 00000000"))


@pytest.mark.parametrize(
    ("frame_hex", "cancel"),
    [
        # Digi's cancel_control default 0x01, "use randomization from original event".
        pytest.param("01", CancelAllLoadControlEvents(), id="digi-default"),
        # EmberZNet's CLI `zcl drlc ca` sends a single 0x00 (zcl-cli.c, zclDrlcCancelAllCommand).
        pytest.param(
            "00",
            CancelAllLoadControlEvents(CancelControl.END_NOW),
            id="emberznet-cli",
        ),
    ],
)
def test_cancel_all_vectors(frame_hex: str, cancel: CancelAllLoadControlEvents) -> None:
    frame = bytes.fromhex(frame_hex)
    assert decode_cancel_all_load_control_events(frame) == cancel
    assert encode_cancel_all_load_control_events(cancel) == frame


# --- ReportEventStatus ----------------------------------------------------------------------------

# What SLD's fillReportEventData + addSignature send for ASYMMETRIC_LCE on receipt, 5 s
# after START (SiliconLabs/gecko_sdk plugin/drlc/demand-response-load-control.c): the event's
# values as applied, signature type 0x00 and 42 x 0xFF.
SLD_RECEIVED_HEX = f"efcdab89 01 f58f252d 0a c409 38ff f6 50 01 00 {SIGNATURE_HEX}"
SLD_RECEIVED = ReportEventStatus(
    issuer_event_id=0x89ABCDEF,
    event_status=EventStatus.RECEIVED,
    event_status_time=START + 5,
    criticality_level_applied=CriticalityLevel.UTILITY_DEFINED_1,
    cooling_temperature_set_point_applied=2500,
    heating_temperature_set_point_applied=-200,
    average_load_adjustment_percentage_applied=-10,
    duty_cycle_applied=80,
    event_control=EventControl.RANDOMIZE_START,
)

# SLD's answer to a cancel of an event it does not hold: initEventData zero-fills the event, so
# the applied fields are 0, not their "not used" values. Criticality 0 reads as None; the set
# points read as 0.00 °C, the values on the wire.
SLD_UNDEFINED_CANCEL_HEX = (
    f"42000000 fd f08f252d 00 0000 0000 00 00 00 00 {SIGNATURE_HEX}"
)
SLD_UNDEFINED_CANCEL = ReportEventStatus(
    issuer_event_id=0x42,
    event_status=EventStatus.REJECTED_INVALID_CANCEL_UNDEFINED_EVENT,
    event_status_time=START,
    cooling_temperature_set_point_applied=0,
    heating_temperature_set_point_applied=0,
    average_load_adjustment_percentage_applied=0,
    duty_cycle_applied=0,
)

# Hand-built from §4.2: the 18-byte form without a signature (Exegin marks it optional), every
# applied field "not used", an opt-out.
UNSIGNED_HEX = "04030201 04 f08f252d 00 0080 0080 80 ff 00 00"
UNSIGNED = ReportEventStatus(
    issuer_event_id=0x01020304,
    event_status=EventStatus.USER_OPTED_OUT,
    event_status_time=START,
    signature=None,
)


@pytest.mark.parametrize(
    ("frame_hex", "report"),
    [
        pytest.param(SLD_RECEIVED_HEX, SLD_RECEIVED, id="sld-received"),
        pytest.param(
            SLD_UNDEFINED_CANCEL_HEX, SLD_UNDEFINED_CANCEL, id="sld-undefined-cancel"
        ),
        pytest.param(UNSIGNED_HEX, UNSIGNED, id="no-signature"),
    ],
)
def test_report_event_status_vectors(frame_hex: str, report: ReportEventStatus) -> None:
    frame = bytes.fromhex(frame_hex)
    assert decode_report_event_status(frame) == report
    assert encode_report_event_status(report) == frame


def test_report_is_sixty_bytes_with_the_dummy_signature() -> None:
    frame = encode_report_event_status(SLD_RECEIVED)
    assert len(frame) == 60
    assert frame[17] == SignatureType.NO_SIGNATURE
    assert frame[18:] == DUMMY_SIGNATURE


def test_status_report_carries_the_event_values() -> None:
    assert (
        status_report(ASYMMETRIC_LCE, EventStatus.RECEIVED, START + 5) == SLD_RECEIVED
    )


@pytest.mark.parametrize("status", [0x00, 0xFA, 0xFC, 0x0B, 0xF5])
def test_unknown_event_status_is_kept(status: int) -> None:
    # §8: the TI draft's 0xFA / 0xFC and other unlisted values are accepted as plain ints.
    frame = bytearray.fromhex(SLD_RECEIVED_HEX)
    frame[4] = status
    report = decode_report_event_status(bytes(frame))
    assert report.event_status == status
    assert not isinstance(report.event_status, EventStatus)
    assert encode_report_event_status(report) == bytes(frame)


@pytest.mark.parametrize("status", [-1, 0x100, True, None, 1.0])
def test_bad_event_status_is_refused(status: object) -> None:
    with pytest.raises(DrlcError, match="event status"):
        replace(SLD_RECEIVED, event_status=status)


def _report_with(offset: int, value_hex: str) -> bytes:
    frame = bytearray.fromhex(SLD_RECEIVED_HEX)
    value = bytes.fromhex(value_hex)
    frame[offset : offset + len(value)] = value
    return bytes(frame)


# Offsets: id 0, status 4, time 5, criticality 9, set points 10/12, adjustment 14, duty 15,
# control 16, signature type 17, signature 18.
@pytest.mark.parametrize(
    ("frame", "message"),
    [
        pytest.param(_report_with(5, "00000000"), "event status time 0", id="time-0"),
        pytest.param(_report_with(9, "10"), "criticality level applied", id="crit-16"),
        pytest.param(_report_with(14, "65"), "load adjustment", id="adjustment-101"),
        pytest.param(_report_with(15, "65"), "duty cycle", id="duty-101"),
        pytest.param(
            _report_with(17, "02"), "signature type 0x02", id="signature-type"
        ),
        pytest.param(
            bytes.fromhex(SLD_RECEIVED_HEX)[:59], "got 59", id="signature-truncated"
        ),
        pytest.param(bytes.fromhex(SLD_RECEIVED_HEX)[:19], "got 19", id="signature-1"),
        pytest.param(
            bytes.fromhex(UNSIGNED_HEX)[:17], "got 17", id="no-signature-type"
        ),
        pytest.param(
            bytes.fromhex(SLD_RECEIVED_HEX) + b"\x00", "got 61", id="trailing"
        ),
    ],
)
def test_bad_report_is_refused(frame: bytes, message: str) -> None:
    with pytest.raises(DrlcError, match=message):
        decode_report_event_status(frame)


@pytest.mark.parametrize(
    ("opted_in", "changed", "status"),
    [
        (True, False, EventStatus.COMPLETED),
        (False, False, EventStatus.COMPLETED_NO_USER_PARTICIPATION),
        (False, True, EventStatus.PARTIALLY_COMPLETED_WITH_USER_OPT_OUT),
        (True, True, EventStatus.PARTIALLY_COMPLETED_DUE_TO_USER_OPT_IN),
    ],
)
def test_completion_status(opted_in: bool, changed: bool, status: EventStatus) -> None:
    assert completion_status(opted_in=opted_in, changed_while_running=changed) is status


# --- GetScheduledEvents ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame_hex", "request_"),
    [
        # EmberZNet's CLI `zcl drlc gse 0 0` (zcl-cli.c, zclDrlcGetScheduledEventsCommand):
        # start 0 = now, 0 = all events.
        pytest.param("00000000 00", GetScheduledEvents(), id="emberznet-cli-all-now"),
        # Hand-built from §4.2 with the SE 1.2b issuer event id.
        pytest.param(
            "f08f252d 03 efcdab89",
            GetScheduledEvents(
                start_time=START, number_of_events=3, issuer_event_id=0x89ABCDEF
            ),
            id="with-issuer-event-id",
        ),
    ],
)
def test_get_scheduled_events_vectors(
    frame_hex: str, request_: GetScheduledEvents
) -> None:
    frame = bytes.fromhex(frame_hex)
    assert decode_get_scheduled_events(frame) == request_
    assert encode_get_scheduled_events(request_) == frame


@pytest.mark.parametrize(
    "frame_hex",
    ["f08f252d", "f08f252d 03 ef", "f08f252d 03 efcdab", "f08f252d03efcdab8900"],
)
def test_get_scheduled_events_with_a_partial_tail_is_refused(frame_hex: str) -> None:
    with pytest.raises(DrlcError, match="5 or 9 bytes"):
        decode_get_scheduled_events(bytes.fromhex(frame_hex))


def test_get_scheduled_events_with_invalid_start_is_refused() -> None:
    with pytest.raises(DrlcError, match="start time"):
        decode_get_scheduled_events(bytes.fromhex("ffffffff 00"))


# --- truncation and trailing bytes, every decoder -------------------------------------------------

# Each decoder, its longest valid frame and the shorter lengths that are valid too (the
# optional signature, the optional issuer event id).
DECODERS: list[tuple[Callable[[bytes], object], str, frozenset[int]]] = [
    (decode_load_control_event, ASYMMETRIC_LCE_HEX, frozenset()),
    (decode_cancel_load_control_event, CANCEL_HEX, frozenset()),
    (decode_cancel_all_load_control_events, "01", frozenset()),
    (decode_report_event_status, SLD_RECEIVED_HEX, frozenset({18})),
    (decode_get_scheduled_events, "f08f252d 03 efcdab89", frozenset({5})),
]


@pytest.mark.parametrize(("decode", "frame_hex", "shorter_valid"), DECODERS)
def test_truncated_and_extended_frames_are_refused(
    decode: Callable[[bytes], object], frame_hex: str, shorter_valid: frozenset[int]
) -> None:
    frame = bytes.fromhex(frame_hex)
    for cut in range(len(frame)):
        if cut in shorter_valid:
            decode(frame[:cut])
            continue
        with pytest.raises(DrlcError, match="bytes"):
            decode(frame[:cut])
    with pytest.raises(DrlcError, match="bytes"):
        decode(frame + b"\x00")


# --- event timing and targeting -------------------------------------------------------------------


def _event(
    issuer_event_id: int = 1,
    *,
    start: int = START,
    minutes: int = 60,
    device_class: int = DeviceClass.WATER_HEATER,
    group: int = 0,
    control: EventControl = EventControl.NO_RANDOMIZATION,
) -> LoadControlEvent:
    return LoadControlEvent(
        issuer_event_id=issuer_event_id,
        duration_minutes=minutes,
        device_class=DeviceClass(device_class),
        utility_enrollment_group=group,
        start_time=start,
        event_control=control,
    )


@pytest.mark.parametrize(
    ("device_class", "group", "client_class", "client_group", "addressed"),
    [
        (DeviceClass.ALL, 0, DeviceClass.WATER_HEATER, 5, True),
        (DeviceClass.WATER_HEATER, 5, DeviceClass.WATER_HEATER, 5, True),
        (DeviceClass.WATER_HEATER, 5, DeviceClass.WATER_HEATER, 0, True),
        (DeviceClass.WATER_HEATER, 5, DeviceClass.WATER_HEATER, 6, False),
        (DeviceClass.HVAC_COMPRESSOR_OR_FURNACE, 0, DeviceClass.WATER_HEATER, 0, False),
        (0xF000, 0, 0xFFFF, 0, True),
    ],
)
def test_targets_device(
    device_class: int, group: int, client_class: int, client_group: int, addressed: bool
) -> None:
    event = _event(device_class=device_class, group=group)
    cancel = CancelLoadControlEvent(
        issuer_event_id=1,
        device_class=DeviceClass(device_class),
        utility_enrollment_group=group,
    )
    for command in (event, cancel):
        assert (
            targets_device(
                command,
                device_class_value=client_class,
                utility_enrollment_group=client_group,
            )
            is addressed
        )


def test_start_now_resolves_to_the_receipt_time() -> None:
    event = _event(start=START_NOW)
    resolved = resolve_start_now(event, START)
    assert resolved == replace(event, start_time=START)
    assert resolve_start_now(resolved, START + 99) is resolved
    assert event_window(resolved) == EventWindow(START, START + HOUR)
    with pytest.raises(DrlcError, match="resolve_start_now"):
        event_window(event)


@pytest.mark.parametrize(
    ("start", "now", "expired"),
    [
        (START, START + HOUR - 1, False),
        (START, START + HOUR, True),
        (START, START - 10, False),
        (START_NOW, START + 10 * HOUR, False),
    ],
)
def test_is_expired(start: int, now: int, expired: bool) -> None:
    assert is_expired(_event(start=start), now) is expired


@pytest.mark.parametrize(
    ("new", "old", "superseded"),
    [
        pytest.param(_event(2, start=START + 1800), _event(1), True, id="overlap"),
        pytest.param(_event(2, start=START + HOUR), _event(1), False, id="adjacent"),
        pytest.param(_event(2, start=START - HOUR), _event(1), False, id="before"),
        pytest.param(
            _event(2, device_class=DeviceClass.ALL), _event(1), True, id="all-classes"
        ),
        pytest.param(
            _event(2, device_class=DeviceClass.HVAC_COMPRESSOR_OR_FURNACE),
            _event(1),
            False,
            id="other-class",
        ),
        pytest.param(_event(2, group=3), _event(1, group=0), True, id="group-0"),
        pytest.param(_event(2, group=3), _event(1, group=3), True, id="same-group"),
        pytest.param(_event(2, group=3), _event(1, group=4), False, id="other-group"),
        pytest.param(_event(1, minutes=30), _event(1), False, id="same-id"),
    ],
)
def test_supersedes(
    new: LoadControlEvent, old: LoadControlEvent, superseded: bool
) -> None:
    assert supersedes(new, old) is superseded


def test_supersedes_needs_resolved_starts() -> None:
    with pytest.raises(DrlcError, match="resolve_start_now"):
        supersedes(_event(2, start=START_NOW), _event(1))


def test_randomization_delay_bounds() -> None:
    rng = random.Random(1)  # noqa: S311 - test determinism
    assert randomization_delay(0, rng) == 0
    delays = {randomization_delay(1, rng) for _ in range(2000)}
    assert delays == set(range(60))
    with pytest.raises(DrlcError, match="randomization minutes"):
        randomization_delay(0x3D, rng)


@given(st.integers(1, 0x3C), st.integers(0, 2**32))
def test_randomization_delay_stays_in_range(minutes: int, seed: int) -> None:
    delay = randomization_delay(minutes, random.Random(seed))  # noqa: S311
    assert 0 <= delay < minutes * 60


@pytest.mark.parametrize(
    ("control", "start_delayed", "end_delayed"),
    [
        (EventControl.NO_RANDOMIZATION, False, False),
        (EventControl.RANDOMIZE_START, True, False),
        (EventControl.RANDOMIZE_END, False, True),
        (EventControl.RANDOMIZE_START | EventControl.RANDOMIZE_END, True, True),
    ],
)
def test_randomized_window(
    control: EventControl, start_delayed: bool, end_delayed: bool
) -> None:
    rng = random.Random(7)  # noqa: S311 - test determinism
    expected = random.Random(7)  # noqa: S311
    start_delay = expected.randrange(30 * 60) if start_delayed else 0
    end_delay = expected.randrange(10 * 60) if end_delayed else 0
    window = randomized_window(
        _event(control=control),
        start_randomization_minutes=30,
        duration_randomization_minutes=10,
        rng=rng,
    )
    # The start delay moves the end as well (SLD, "CCB 1513").
    assert window == EventWindow(
        START + start_delay, START + HOUR + start_delay + end_delay
    )


def test_select_scheduled_events() -> None:
    past = _event(1, start=START - 2 * HOUR)
    running = _event(2, start=START - 1800)
    later = _event(3, start=START + HOUR)
    latest = _event(4, start=START + 2 * HOUR)
    events = [latest, past, later, running]
    assert select_scheduled_events(GetScheduledEvents(), events, START) == (
        running,
        later,
        latest,
    )
    assert select_scheduled_events(
        GetScheduledEvents(number_of_events=1), events, START
    ) == (running,)
    # "EndTime greater than or equal to Start Time": past ends at START - HOUR exactly.
    assert select_scheduled_events(
        GetScheduledEvents(start_time=START - HOUR, number_of_events=2), events, START
    ) == (past, running)
    assert select_scheduled_events(GetScheduledEvents(), [past], START) == ()


# --- round trips and garbage ----------------------------------------------------------------------


@given(load_control_events)
def test_load_control_event_round_trip(event: LoadControlEvent) -> None:
    assert decode_load_control_event(encode_load_control_event(event)) == event


@given(cancel_load_control_events)
def test_cancel_round_trip(cancel: CancelLoadControlEvent) -> None:
    assert decode_cancel_load_control_event(
        encode_cancel_load_control_event(cancel)
    ) == (cancel)


@given(cancel_all_load_control_events)
def test_cancel_all_round_trip(cancel: CancelAllLoadControlEvents) -> None:
    assert (
        decode_cancel_all_load_control_events(
            encode_cancel_all_load_control_events(cancel)
        )
        == cancel
    )


@given(report_event_statuses)
def test_report_round_trip(report: ReportEventStatus) -> None:
    assert decode_report_event_status(encode_report_event_status(report)) == report


@given(get_scheduled_events)
def test_get_scheduled_events_round_trip(request_: GetScheduledEvents) -> None:
    assert (
        decode_get_scheduled_events(encode_get_scheduled_events(request_)) == request_
    )


@pytest.mark.parametrize("decode", [decode for decode, _, _ in DECODERS])
@given(data=st.binary(max_size=72))
def test_garbage_in(decode: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(DrlcError):
        decode(data)
