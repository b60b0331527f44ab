"""Hypothesis strategies for valid DRLC (0x0701) values, ranges from reference §4."""

from hypothesis import strategies as st

from custom_components.zha_device_pack.protocol.se_drlc import (
    MAX_DURATION_MINUTES,
    SIGNATURE_LENGTH,
    UINT32_MAX,
    UTC_TIME_INVALID,
    CancelAllLoadControlEvents,
    CancelControl,
    CancelLoadControlEvent,
    CriticalityLevel,
    DeviceClass,
    EventControl,
    GetScheduledEvents,
    LoadControlEvent,
    ReportEventStatus,
    SignatureType,
)

issuer_event_ids = st.integers(0, UINT32_MAX)
# Reserved bits 12-15 are kept, so they round-trip too.
device_classes = st.integers(1, 0xFFFF).map(DeviceClass)
enrollment_groups = st.integers(0, 0xFF)
start_times = st.integers(0, UTC_TIME_INVALID - 1)
offsets = st.none() | st.integers(0, 0xFE)
set_points = st.none() | st.integers(-0x7FFF, 0x7FFF)
load_adjustments = st.none() | st.integers(-100, 100)
duty_cycles = st.none() | st.integers(0, 100)
event_controls = st.integers(0, 0xFF).map(EventControl)
cancel_controls = st.integers(0, 0xFF).map(CancelControl)

load_control_events = st.builds(
    LoadControlEvent,
    issuer_event_id=issuer_event_ids,
    duration_minutes=st.integers(1, MAX_DURATION_MINUTES),
    device_class=device_classes,
    utility_enrollment_group=enrollment_groups,
    start_time=start_times,
    criticality_level=st.sampled_from(CriticalityLevel),
    cooling_temperature_offset=offsets,
    heating_temperature_offset=offsets,
    cooling_temperature_set_point=set_points,
    heating_temperature_set_point=set_points,
    average_load_adjustment_percentage=load_adjustments,
    duty_cycle=duty_cycles,
    event_control=event_controls,
)

cancel_load_control_events = st.builds(
    CancelLoadControlEvent,
    issuer_event_id=issuer_event_ids,
    device_class=device_classes,
    utility_enrollment_group=enrollment_groups,
    cancel_control=cancel_controls,
    effective_time=st.integers(0, UTC_TIME_INVALID - 1),
)

cancel_all_load_control_events = st.builds(CancelAllLoadControlEvents, cancel_controls)

report_event_statuses = st.builds(
    ReportEventStatus,
    issuer_event_id=issuer_event_ids,
    # Unknown statuses are kept as plain ints (reference §8).
    event_status=st.integers(0, 0xFF),
    event_status_time=st.integers(1, UINT32_MAX),
    criticality_level_applied=st.none() | st.sampled_from(CriticalityLevel),
    cooling_temperature_set_point_applied=set_points,
    heating_temperature_set_point_applied=set_points,
    average_load_adjustment_percentage_applied=load_adjustments,
    duty_cycle_applied=duty_cycles,
    event_control=event_controls,
    signature_type=st.sampled_from(SignatureType),
    signature=st.none()
    | st.binary(min_size=SIGNATURE_LENGTH, max_size=SIGNATURE_LENGTH),
)

get_scheduled_events = st.builds(
    GetScheduledEvents,
    start_time=start_times,
    number_of_events=st.integers(0, 0xFF),
    issuer_event_id=st.none() | issuer_event_ids,
)
