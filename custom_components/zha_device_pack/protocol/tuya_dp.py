"""Tuya TS0049 data points carried on the private cluster 0xE001 (seed 004).

The device reports every DP through attribute 0xD040, "raw data transmission": byte 0 is the DP
id, the rest its data, big-endian. Seed 004 calls the attribute an "array", but the only peer
that parses live reports (ZHC's HZ-WT02 converter for _TZ3000_kz1anoi8) finds a one-byte length
right after the ZCL type byte and the DP id right after that: an octet string, not a ZCL array
(which would carry an element type and a two-byte count). zigpy strips the type and the length
prefix and hands over the bytes, so decode_dp_report takes the value from the DP id on.
(The device side, encoding reports and decoding commands, lives with the tests:
tests/protocol/device_side.py.)

The gateway writes DP10 and DP11 with command 0xFE, whose payload is the same DP id + data form
with no length prefix (seed 004: 1 byte DP + 1 byte enum, or + 4 bytes big-endian seconds, so
`0a 02` and `0b 00 00 07 08`; ZHC and zha-quirks PR #4952 send it as a raw buffer):
encode_irrigation_setting builds it. Commands 0xFD (DP16) and 0xFC (DP17) carry the program
requests of irrigation_program, whose encoders give their whole payload. Those payloads start
at the version byte, with no DP byte in front: the seed's data-format table starts there and
the command id already names the DP (not yet confirmed on a valve).

Every rejected input, in either direction, raises TuyaDpError.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from .irrigation_program import (
    CycleIrrigationProgram,
    IrrigationProgramError,
    ScheduledIrrigationProgram,
    StoredProgram,
    decode_cycle_answer,
    decode_scheduled_answer,
)


class TuyaDpError(ValueError):
    """A TS0049 DP record or 0xFE command is malformed or out of range."""


TUYA_PRIVATE_CLUSTER_ID: Final = 0xE001
RAW_DP_ATTRIBUTE_ID: Final = 0xD040
IRRIGATION_SETTING_COMMAND_ID: Final = 0xFE
CYCLE_IRRIGATION_COMMAND_ID: Final = 0xFD
SCHEDULED_IRRIGATION_COMMAND_ID: Final = 0xFC

MAX_FAULT: Final = 31
MAX_DURATION_SECONDS: Final = 86_400


class DataPoint(IntEnum):
    """The DP ids the valve reports through attribute 0xD040."""

    FAULT = 4
    WEATHER_DELAY = 10
    IRRIGATION_TIME = 11
    WORK_STATE = 12
    ONCE_USING_TIME = 15
    CYCLE_IRRIGATION = 16
    SCHEDULED_IRRIGATION = 17


# The member names of the two enums below are what ZHA shows (select options, sensor states):
# the quirk builds its zigpy enums from them, so they are defined here only.


class WeatherDelay(IntEnum):
    """DP10 weather delay.

    Seed 004 gives only the values 0-3; the names are those of the peers with the same DP
    (ZHC ZVG1, ZHA ts0601_valve): disabled, 24 h, 48 h, 72 h.
    """

    Disabled = 0
    Delayed_24h = 1
    Delayed_48h = 2
    Delayed_72h = 3


class WorkState(IntEnum):
    """DP12 work state.

    Seed 004 gives only the values 0-2; the names follow ZHC's Nova Digital ZVL-PRO, the one peer
    that names the same DP "work_state": auto, manual, idle.
    """

    Auto = 0
    Manual = 1
    Idle = 2


@dataclass(frozen=True, slots=True)
class FaultReport:
    """DP4: the fault bitmap, 0-31 (seed 004 names no bits)."""

    fault: int

    def __post_init__(self) -> None:
        """Refuse a value outside the seed's range."""
        _checked_int("fault", self.fault, MAX_FAULT)


@dataclass(frozen=True, slots=True)
class WeatherDelayReport:
    """DP10: the weather delay in force."""

    delay: WeatherDelay

    def __post_init__(self) -> None:
        """Refuse a value the enum does not know."""
        _check_member("weather delay", self.delay, WeatherDelay)


@dataclass(frozen=True, slots=True)
class IrrigationTimeReport:
    """DP11: the irrigation time (auto-off) in seconds, 0-86400."""

    seconds: int

    def __post_init__(self) -> None:
        """Refuse a value outside the seed's range."""
        _checked_int("irrigation time", self.seconds, MAX_DURATION_SECONDS)


@dataclass(frozen=True, slots=True)
class WorkStateReport:
    """DP12: what the valve is doing."""

    state: WorkState

    def __post_init__(self) -> None:
        """Refuse a value the enum does not know."""
        _check_member("work state", self.state, WorkState)


@dataclass(frozen=True, slots=True)
class OnceUsingTimeReport:
    """DP15: how long the last watering lasted, in seconds, 0-86400."""

    seconds: int

    def __post_init__(self) -> None:
        """Refuse a value outside the seed's range."""
        _checked_int("once using time", self.seconds, MAX_DURATION_SECONDS)


@dataclass(frozen=True, slots=True)
class CycleIrrigationReport:
    """DP16: the device's cycle-irrigation programs (checked when encoded or decoded)."""

    programs: tuple[StoredProgram[CycleIrrigationProgram], ...]


@dataclass(frozen=True, slots=True)
class ScheduledIrrigationReport:
    """DP17: the device's scheduled-irrigation programs (checked when encoded or decoded)."""

    programs: tuple[StoredProgram[ScheduledIrrigationProgram], ...]


type DpReport = (
    FaultReport
    | WeatherDelayReport
    | IrrigationTimeReport
    | WorkStateReport
    | OnceUsingTimeReport
    | CycleIrrigationReport
    | ScheduledIrrigationReport
)


@dataclass(frozen=True, slots=True)
class WeatherDelayCommand:
    """Command 0xFE with DP10: set the weather delay."""

    delay: WeatherDelay

    def __post_init__(self) -> None:
        """Refuse a value the enum does not know."""
        _check_member("weather delay", self.delay, WeatherDelay)


@dataclass(frozen=True, slots=True)
class IrrigationTimeCommand:
    """Command 0xFE with DP11: set the irrigation time in seconds (0: no auto-off)."""

    seconds: int

    def __post_init__(self) -> None:
        """Refuse a value outside the seed's range."""
        _checked_int("irrigation time", self.seconds, MAX_DURATION_SECONDS)


type IrrigationSettingCommand = WeatherDelayCommand | IrrigationTimeCommand


def decode_dp_report(value: bytes) -> DpReport:
    """Decode the value of attribute 0xD040 (DP id + data, ZCL type and length stripped)."""
    if not value:
        raise TuyaDpError("DP record is empty")
    dp_id, data = value[0], value[1:]
    match dp_id:
        case DataPoint.FAULT:
            return FaultReport(_decode_uint(DataPoint.FAULT, data, 1))
        case DataPoint.WEATHER_DELAY:
            return WeatherDelayReport(_decode_weather_delay(data))
        case DataPoint.IRRIGATION_TIME:
            return IrrigationTimeReport(
                _decode_uint(DataPoint.IRRIGATION_TIME, data, 4)
            )
        case DataPoint.WORK_STATE:
            state = _decode_uint(DataPoint.WORK_STATE, data, 1)
            _check_member("work state", state, WorkState)
            return WorkStateReport(WorkState(state))
        case DataPoint.ONCE_USING_TIME:
            return OnceUsingTimeReport(_decode_uint(DataPoint.ONCE_USING_TIME, data, 4))
        case DataPoint.CYCLE_IRRIGATION:
            with _as_dp_error(DataPoint.CYCLE_IRRIGATION):
                return CycleIrrigationReport(decode_cycle_answer(data))
        case DataPoint.SCHEDULED_IRRIGATION:
            with _as_dp_error(DataPoint.SCHEDULED_IRRIGATION):
                return ScheduledIrrigationReport(decode_scheduled_answer(data))
    raise TuyaDpError(f"unknown DP {dp_id}")


def encode_irrigation_setting(command: IrrigationSettingCommand) -> bytes:
    """Encode the payload of cluster 0xE001 command 0xFE (DP id + data)."""
    match command:
        case WeatherDelayCommand(delay=delay):
            _check_member("weather delay", delay, WeatherDelay)
            return bytes((DataPoint.WEATHER_DELAY, delay))
        case IrrigationTimeCommand(seconds=seconds):
            return _encode_seconds(
                DataPoint.IRRIGATION_TIME, "irrigation time", seconds
            )
    raise TuyaDpError(f"not a 0xFE command: {command!r}")


def _decode_uint(dp: DataPoint, data: bytes, length: int) -> int:
    if len(data) != length:
        raise TuyaDpError(
            f"DP{dp} {dp.name} takes {length} data bytes, got {len(data)}"
        )
    return int.from_bytes(data, "big")


def _decode_weather_delay(data: bytes) -> WeatherDelay:
    delay = _decode_uint(DataPoint.WEATHER_DELAY, data, 1)
    _check_member("weather delay", delay, WeatherDelay)
    return WeatherDelay(delay)


def _encode_seconds(dp: DataPoint, field: str, seconds: object) -> bytes:
    return bytes((dp,)) + _checked_int(field, seconds, MAX_DURATION_SECONDS).to_bytes(
        4, "big"
    )


# Both take `object`: the dataclasses are not type-checked at run time, and a value of the wrong
# type must be refused with the module error rather than fail inside bytes().
def _checked_int(field: str, value: object, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TuyaDpError(f"{field} must be an integer, got {value!r}")
    if not 0 <= value <= maximum:
        raise TuyaDpError(f"{field} {value} is outside 0..{maximum}")
    return value


def _check_member(field: str, value: object, enum: type[IntEnum]) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value not in enum:
        raise TuyaDpError(f"unknown {field} {value!r}")


@contextmanager
def _as_dp_error(dp: DataPoint) -> Iterator[None]:
    """Re-raise the program module's error as this module's, naming the DP."""
    try:
        yield
    except IrrigationProgramError as err:
        raise TuyaDpError(f"DP{dp} {dp.name}: {err}") from err
