"""The device side of the codecs: encode what devices send, decode gateway commands.

Only tests use these (the integration is the gateway: it decodes reports and encodes
commands), so they live here. The TS0049 ones reuse the codecs' record packing and field
checks; the Danfoss weekly schedule response and the Smart Energy metering frames are packed
and parsed here on their own, byte by byte.
"""

from __future__ import annotations

from custom_components.zha_device_pack.protocol import (
    irrigation_program as ip,
    metering as se,
)
from custom_components.zha_device_pack.protocol.thermostat_schedule import DaySchedule
from custom_components.zha_device_pack.protocol.tuya_dp import (
    MAX_FAULT,
    CycleIrrigationReport,
    DataPoint,
    DpReport,
    FaultReport,
    IrrigationSettingCommand,
    IrrigationTimeCommand,
    IrrigationTimeReport,
    OnceUsingTimeReport,
    ScheduledIrrigationReport,
    TuyaDpError,
    WeatherDelay,
    WeatherDelayCommand,
    WeatherDelayReport,
    WorkState,
    WorkStateReport,
    _as_dp_error,
    _check_member,
    _checked_int,
    _decode_uint,
    _decode_weather_delay,
    _encode_seconds,
)


def encode_dp_report(report: DpReport) -> bytes:
    """Encode a report as the value of attribute 0xD040 (DP id + data)."""
    match report:
        case FaultReport(fault=fault):
            return bytes((DataPoint.FAULT, _checked_int("fault", fault, MAX_FAULT)))
        case WeatherDelayReport(delay=delay):
            _check_member("weather delay", delay, WeatherDelay)
            return bytes((DataPoint.WEATHER_DELAY, delay))
        case IrrigationTimeReport(seconds=seconds):
            return _encode_seconds(
                DataPoint.IRRIGATION_TIME, "irrigation time", seconds
            )
        case WorkStateReport(state=state):
            _check_member("work state", state, WorkState)
            return bytes((DataPoint.WORK_STATE, state))
        case OnceUsingTimeReport(seconds=seconds):
            return _encode_seconds(
                DataPoint.ONCE_USING_TIME, "once using time", seconds
            )
        case CycleIrrigationReport(programs=cycle_programs):
            with _as_dp_error(DataPoint.CYCLE_IRRIGATION):
                return bytes((DataPoint.CYCLE_IRRIGATION,)) + ip.encode_cycle_answer(
                    cycle_programs
                )
        case ScheduledIrrigationReport(programs=scheduled_programs):
            with _as_dp_error(DataPoint.SCHEDULED_IRRIGATION):
                return bytes(
                    (DataPoint.SCHEDULED_IRRIGATION,)
                ) + ip.encode_scheduled_answer(scheduled_programs)
    raise TuyaDpError(f"not a DP report: {report!r}")


def decode_irrigation_setting(payload: bytes) -> IrrigationSettingCommand:
    """Decode the payload of command 0xFE."""
    if not payload:
        raise TuyaDpError("0xFE command payload is empty")
    dp_id, data = payload[0], payload[1:]
    if dp_id == DataPoint.WEATHER_DELAY:
        return WeatherDelayCommand(_decode_weather_delay(data))
    if dp_id == DataPoint.IRRIGATION_TIME:
        return IrrigationTimeCommand(_decode_uint(DataPoint.IRRIGATION_TIME, data, 4))
    raise TuyaDpError(f"command 0xFE does not carry DP {dp_id}")


def _decode_request(
    codec: ip._ProgramCodec[ip.CycleIrrigationProgram]
    | ip._ProgramCodec[ip.ScheduledIrrigationProgram],
    payload: bytes,
) -> object:
    body = codec._strip_version(payload, "request")
    if not body:
        raise ip.IrrigationProgramError(f"{codec.name} request has no command byte")
    command, rest = body[0], body[1:]
    if command == ip.ProgramCommand.QUERY:
        _expect_length(codec.name, rest, 0, "query")
        return ip.QueryPrograms()
    if command == ip.ProgramCommand.ADD:
        return ip.AddProgram(codec.decode_program(rest))
    if command == ip.ProgramCommand.MODIFY:
        if not rest:
            raise ip.IrrigationProgramError(
                f"{codec.name} modify request has no program id"
            )
        return ip.ModifyProgram(rest[0], codec.decode_program(rest[1:]))
    if command == ip.ProgramCommand.DELETE:
        _expect_length(codec.name, rest, 1, "delete")
        return ip.DeleteProgram(rest[0])
    raise ip.IrrigationProgramError(
        f"{codec.name} request has unknown command 0x{command:02x}"
    )


def _expect_length(name: str, rest: bytes, length: int, what: str) -> None:
    if len(rest) != length:
        raise ip.IrrigationProgramError(
            f"{name} {what} request takes {length} bytes after the command, "
            f"got {len(rest)}"
        )


def decode_cycle_request(payload: bytes) -> ip.CycleIrrigationRequest:
    """Decode a DP16 request (command 0xFD)."""
    return _decode_request(ip._CYCLE, payload)  # type: ignore[return-value]


def decode_scheduled_request(payload: bytes) -> ip.ScheduledIrrigationRequest:
    """Decode a DP17 request (command 0xFC)."""
    return _decode_request(ip._SCHEDULED, payload)  # type: ignore[return-value]


def encode_weekly_schedule_response(day_schedule: tuple[int, DaySchedule]) -> bytes:
    """Encode a GetWeeklyScheduleResponse (Thermostat client command 0x00) as a TRV sends it.

    num_transitions, days, mode 0x01 (heat), then per transition its minutes (uint16) and
    heat setpoint (int16), little-endian: the ZCL layout, written out independently of
    thermostat_schedule's packing.
    """
    days, transitions = day_schedule
    frame = bytearray((len(transitions), days, 0x01))
    for transition in transitions:
        frame += transition.minutes.to_bytes(2, "little")
        frame += transition.setpoint.to_bytes(2, "little", signed=True)
    return bytes(frame)


def encode_get_profile_response(response: se.ProfileResponse) -> bytes:
    """Encode a GetProfileResponse (Metering server -> client 0x00) as a meter sends it.

    EndTime UTCTime, Status, ProfileIntervalPeriod, NumberOfPeriodsDelivered (the announced
    count, which may exceed the intervals sent), then uint24 intervals newest first, None as
    0xFFFFFF (reference section 2.2), little-endian.
    """
    frame = bytearray(response.end_time.to_bytes(4, "little"))
    frame += bytes(
        (
            response.status,
            response.interval_period,
            response.number_of_periods_announced,
        )
    )
    for interval in response.intervals:
        frame += (0xFFFFFF if interval is None else interval).to_bytes(3, "little")
    return bytes(frame)


def encode_fast_poll_mode_response(response: se.FastPollModeResponse) -> bytes:
    """Encode a RequestFastPollModeResponse (Metering server -> client 0x03): 5 bytes."""
    return bytes((response.applied_update_period,)) + response.end_time.to_bytes(
        4, "little"
    )


def decode_get_profile(payload: bytes) -> tuple[int, int, int]:
    """Decode GetProfile (Metering client -> server 0x00): (channel, end time, periods)."""
    if len(payload) != 6:
        raise se.MeteringError(f"GetProfile is 6 bytes, got {len(payload)}")
    return payload[0], int.from_bytes(payload[1:5], "little"), payload[5]


def decode_request_fast_poll_mode(payload: bytes) -> tuple[int, int]:
    """Decode RequestFastPollMode (client -> server 0x03): (update period s, duration min)."""
    if len(payload) != 2:
        raise se.MeteringError(f"RequestFastPollMode is 2 bytes, got {len(payload)}")
    return payload[0], payload[1]
