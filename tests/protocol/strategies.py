"""Hypothesis strategies for valid protocol values (seed 004 ranges)."""

from hypothesis import strategies as st

from custom_components.zha_device_pack.protocol.irrigation_program import (
    AddProgram,
    CycleIrrigationProgram,
    DeleteProgram,
    ModifyProgram,
    QueryPrograms,
    Recurrence,
    ScheduledIrrigationProgram,
    StoredProgram,
    Weekday,
)
from custom_components.zha_device_pack.protocol.tuya_dp import (
    CycleIrrigationReport,
    FaultReport,
    IrrigationTimeCommand,
    IrrigationTimeReport,
    OnceUsingTimeReport,
    ScheduledIrrigationReport,
    WeatherDelay,
    WeatherDelayCommand,
    WeatherDelayReport,
    WorkState,
    WorkStateReport,
)

minutes_of_day = st.integers(0, 1439)
weekdays = st.integers(0, 0x7F).map(Weekday)
water_flow = st.integers(0, 100)
program_ids = st.integers(0, 255)
seconds = st.integers(0, 86_400)

cycle_programs = st.builds(
    CycleIrrigationProgram,
    enabled=st.booleans(),
    channel=st.integers(0, 0x7F),
    days=weekdays,
    start_minute=minutes_of_day,
    end_minute=minutes_of_day,
    on_minutes=minutes_of_day,
    off_minutes=minutes_of_day,
    water_flow_percent=water_flow,
)

scheduled_programs = st.builds(
    ScheduledIrrigationProgram,
    enabled=st.booleans(),
    start_minute=minutes_of_day,
    duration_minutes=minutes_of_day,
    days=weekdays,
    water_flow_percent=water_flow,
    recurrence=st.sampled_from(Recurrence),
    start_date=st.dates(),
    interval_days=st.integers(1, 31),
    undocumented_setting_bits=st.sampled_from([0, 0x02, 0x04, 0x08, 0x0E]),
)


def stored_lists[P: (CycleIrrigationProgram, ScheduledIrrigationProgram)](
    programs: st.SearchStrategy[P],
) -> st.SearchStrategy[tuple[StoredProgram[P], ...]]:
    """Program lists with distinct ids, as a device answers."""
    return st.lists(
        st.builds(StoredProgram, program_id=program_ids, program=programs),
        max_size=6,
        unique_by=lambda entry: entry.program_id,
    ).map(tuple)


def requests[P: (CycleIrrigationProgram, ScheduledIrrigationProgram)](
    programs: st.SearchStrategy[P],
) -> st.SearchStrategy[
    QueryPrograms | AddProgram[P] | ModifyProgram[P] | DeleteProgram
]:
    """Every kind of gateway -> device request."""
    return st.one_of(
        st.just(QueryPrograms()),
        st.builds(AddProgram, program=programs),
        st.builds(ModifyProgram, program_id=program_ids, program=programs),
        st.builds(DeleteProgram, program_id=program_ids),
    )


dp_reports = st.one_of(
    st.builds(FaultReport, fault=st.integers(0, 31)),
    st.builds(WeatherDelayReport, delay=st.sampled_from(WeatherDelay)),
    st.builds(IrrigationTimeReport, seconds=seconds),
    st.builds(WorkStateReport, state=st.sampled_from(WorkState)),
    st.builds(OnceUsingTimeReport, seconds=seconds),
    st.builds(CycleIrrigationReport, programs=stored_lists(cycle_programs)),
    st.builds(ScheduledIrrigationReport, programs=stored_lists(scheduled_programs)),
)

irrigation_settings = st.one_of(
    st.builds(WeatherDelayCommand, delay=st.sampled_from(WeatherDelay)),
    st.builds(IrrigationTimeCommand, seconds=seconds),
)
