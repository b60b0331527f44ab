"""Fuzz targets for the DRLC (0x0701) decoders, for tests/protocol/fuzz.py to run.

HA plays both DRLC roles, so every command's encoder and decoder live in se_drlc itself.
"""

import random

from custom_components.zha_device_pack.protocol import se_drlc as drlc
from tests.protocol.fuzz import DecoderTarget


def _edge(rng: random.Random, low: int, high: int) -> int:
    """Mostly uniform, with the bounds over-represented."""
    roll = rng.random()
    if roll < 0.1:
        return low
    if roll < 0.2:
        return high
    return rng.randint(low, high)


def _optional(rng: random.Random, low: int, high: int) -> int | None:
    return None if rng.random() < 0.2 else _edge(rng, low, high)


def _device_class(rng: random.Random) -> drlc.DeviceClass:
    return drlc.DeviceClass(_edge(rng, 1, drlc.UINT16_MAX))


def random_load_control_event(rng: random.Random) -> drlc.LoadControlEvent:
    """Build a valid LoadControlEvent."""
    return drlc.LoadControlEvent(
        issuer_event_id=_edge(rng, 0, drlc.UINT32_MAX),
        duration_minutes=_edge(rng, 1, drlc.MAX_DURATION_MINUTES),
        device_class=_device_class(rng),
        utility_enrollment_group=_edge(rng, 0, drlc.UINT8_MAX),
        start_time=_edge(rng, 0, drlc.UTC_TIME_INVALID - 1),
        criticality_level=rng.choice(list(drlc.CriticalityLevel)),
        cooling_temperature_offset=_optional(rng, 0, 0xFE),
        heating_temperature_offset=_optional(rng, 0, 0xFE),
        cooling_temperature_set_point=_optional(rng, -0x7FFF, drlc.INT16_MAX),
        heating_temperature_set_point=_optional(rng, -0x7FFF, drlc.INT16_MAX),
        average_load_adjustment_percentage=_optional(rng, -100, 100),
        duty_cycle=_optional(rng, 0, 100),
        event_control=drlc.EventControl(_edge(rng, 0, drlc.UINT8_MAX)),
    )


def random_cancel_load_control_event(
    rng: random.Random,
) -> drlc.CancelLoadControlEvent:
    """Build a valid CancelLoadControlEvent."""
    return drlc.CancelLoadControlEvent(
        issuer_event_id=_edge(rng, 0, drlc.UINT32_MAX),
        device_class=_device_class(rng),
        utility_enrollment_group=_edge(rng, 0, drlc.UINT8_MAX),
        cancel_control=drlc.CancelControl(_edge(rng, 0, drlc.UINT8_MAX)),
        effective_time=_edge(rng, 0, drlc.UTC_TIME_INVALID - 1),
    )


def random_cancel_all_load_control_events(
    rng: random.Random,
) -> drlc.CancelAllLoadControlEvents:
    """Build a valid CancelAllLoadControlEvents."""
    return drlc.CancelAllLoadControlEvents(
        drlc.CancelControl(_edge(rng, 0, drlc.UINT8_MAX))
    )


def random_report_event_status(rng: random.Random) -> drlc.ReportEventStatus:
    """Build a valid ReportEventStatus, with or without a signature, any status byte."""
    return drlc.ReportEventStatus(
        issuer_event_id=_edge(rng, 0, drlc.UINT32_MAX),
        event_status=rng.choice([*drlc.EventStatus, rng.randint(0, drlc.UINT8_MAX)]),
        event_status_time=_edge(rng, 1, drlc.UINT32_MAX),
        criticality_level_applied=None
        if rng.random() < 0.2
        else rng.choice(list(drlc.CriticalityLevel)),
        cooling_temperature_set_point_applied=_optional(rng, -0x7FFF, drlc.INT16_MAX),
        heating_temperature_set_point_applied=_optional(rng, -0x7FFF, drlc.INT16_MAX),
        average_load_adjustment_percentage_applied=_optional(rng, -100, 100),
        duty_cycle_applied=_optional(rng, 0, 100),
        event_control=drlc.EventControl(_edge(rng, 0, drlc.UINT8_MAX)),
        signature_type=rng.choice(list(drlc.SignatureType)),
        signature=None if rng.random() < 0.3 else rng.randbytes(drlc.SIGNATURE_LENGTH),
    )


def random_get_scheduled_events(rng: random.Random) -> drlc.GetScheduledEvents:
    """Build a valid GetScheduledEvents, with or without the SE 1.2b issuer event id."""
    return drlc.GetScheduledEvents(
        start_time=_edge(rng, 0, drlc.UTC_TIME_INVALID - 1),
        number_of_events=_edge(rng, 0, drlc.UINT8_MAX),
        issuer_event_id=_optional(rng, 0, drlc.UINT32_MAX),
    )


TARGETS: tuple[DecoderTarget, ...] = (
    DecoderTarget(
        "se_drlc.decode_load_control_event",
        drlc.decode_load_control_event,
        drlc.encode_load_control_event,
        drlc.DrlcError,
        random_load_control_event,
    ),
    DecoderTarget(
        "se_drlc.decode_cancel_load_control_event",
        drlc.decode_cancel_load_control_event,
        drlc.encode_cancel_load_control_event,
        drlc.DrlcError,
        random_cancel_load_control_event,
    ),
    DecoderTarget(
        "se_drlc.decode_cancel_all_load_control_events",
        drlc.decode_cancel_all_load_control_events,
        drlc.encode_cancel_all_load_control_events,
        drlc.DrlcError,
        random_cancel_all_load_control_events,
    ),
    DecoderTarget(
        "se_drlc.decode_report_event_status",
        drlc.decode_report_event_status,
        drlc.encode_report_event_status,
        drlc.DrlcError,
        random_report_event_status,
    ),
    DecoderTarget(
        "se_drlc.decode_get_scheduled_events",
        drlc.decode_get_scheduled_events,
        drlc.encode_get_scheduled_events,
        drlc.DrlcError,
        random_get_scheduled_events,
    ),
)
