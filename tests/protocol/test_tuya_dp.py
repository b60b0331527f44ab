"""Tests of the TS0049 DP records (attribute 0xD040) and the 0xFE command payloads."""

from collections.abc import Callable
import contextlib

from hypothesis import given, strategies as st
import pytest
from zigpy import types as t

from custom_components.zha_device_pack.protocol.irrigation_program import (
    CycleIrrigationProgram,
    IrrigationProgramError,
    StoredProgram,
    Weekday,
)
from custom_components.zha_device_pack.protocol.tuya_dp import (
    CycleIrrigationReport,
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
    decode_dp_report,
    encode_irrigation_setting,
)
from tests.protocol.device_side import decode_irrigation_setting, encode_dp_report

from .strategies import dp_reports, irrigation_settings
from .test_irrigation_program import SCHEDULED  # the real-valve capture

REPORT_VECTORS: list[tuple[str, DpReport]] = [
    # Seed 004 "DP4 Fault report": 1 byte DP, 1 byte fault value 0-31.
    ("04 00", FaultReport(0)),
    ("04 1f", FaultReport(31)),
    # Seed 004 "DP10 Weather delay": enum 0-3 (the device reports it as it is set).
    ("0a 00", WeatherDelayReport(WeatherDelay.Disabled)),
    ("0a 03", WeatherDelayReport(WeatherDelay.Delayed_72h)),
    # Seed 004 "DP11 Irrigation time": 4 bytes big-endian seconds, 0-86400.
    ("0b 00 00 07 08", IrrigationTimeReport(1800)),
    ("0b 00 01 51 80", IrrigationTimeReport(86_400)),
    # Seed 004 "DP12 Work state": enum 0-2.
    ("0c 00", WorkStateReport(WorkState.Auto)),
    ("0c 02", WorkStateReport(WorkState.Idle)),
    # Seed 004 "DP15 Once using time": 4 bytes big-endian seconds, 0-86400.
    ("0f 00 00 00 00", OnceUsingTimeReport(0)),
    ("0f 00 00 02 58", OnceUsingTimeReport(600)),
    # Seed 004 "DP16 Cycle irrigation": version + list; an empty list is the version alone.
    ("10 00", CycleIrrigationReport(())),
    # Seed 004 "DP16 Cycle irrigation": id 1, on, every day, 08:00-20:00, 15 min on / 60 off, 100 %.
    (
        "10 00 01 01 7f 01e0 04b0 000f 003c 64",
        CycleIrrigationReport(
            (
                StoredProgram(
                    1,
                    CycleIrrigationProgram(
                        enabled=True,
                        channel=0,
                        days=Weekday.EVERY_DAY,
                        start_minute=480,
                        end_minute=1200,
                        on_minutes=15,
                        off_minutes=60,
                        water_flow_percent=100,
                    ),
                ),
            )
        ),
    ),
    # Seed 004 "DP17 Scheduled irrigation": version + list, empty.
    ("11 00", ScheduledIrrigationReport(())),
    # Seed 004 "DP17 Scheduled irrigation", holding the real-valve capture's program as id 1.
    (
        "11 00 01 01e0 000f 7f 64 01 07e6 08 01 01",
        ScheduledIrrigationReport((StoredProgram(1, SCHEDULED),)),
    ),
]


@pytest.mark.parametrize(("hex_value", "report"), REPORT_VECTORS)
def test_report_vectors(hex_value: str, report: DpReport) -> None:
    value = bytes.fromhex(hex_value)
    assert decode_dp_report(value) == report
    assert encode_dp_report(report) == value


def test_attribute_value_arrives_without_its_length_prefix() -> None:
    # The HZ-WT02 peer parses 0xD040 reports as type byte, one-byte length, DP id: an octet
    # string. zigpy's LVBytes strips that length; what is left is decode_dp_report's input.
    value, rest = t.LVBytes.deserialize(bytes.fromhex("05 0b 00 00 02 58"))
    assert rest == b""
    assert decode_dp_report(value) == IrrigationTimeReport(600)


SETTING_VECTORS: list[tuple[str, IrrigationSettingCommand]] = [
    # Seed 004 "DP10 Weather delay", client to server, command 0xFE: DP byte + enum byte.
    ("0a 02", WeatherDelayCommand(WeatherDelay.Delayed_48h)),
    ("0a 00", WeatherDelayCommand(WeatherDelay.Disabled)),
    # Seed 004 "DP11 Irrigation time", command 0xFE: DP byte + 4 bytes big-endian seconds.
    ("0b 00 00 07 08", IrrigationTimeCommand(1800)),
    ("0b 00 00 00 00", IrrigationTimeCommand(0)),
    ("0b 00 01 51 80", IrrigationTimeCommand(86_400)),
]


@pytest.mark.parametrize(("hex_payload", "command"), SETTING_VECTORS)
def test_irrigation_setting_vectors(
    hex_payload: str, command: IrrigationSettingCommand
) -> None:
    payload = bytes.fromhex(hex_payload)
    assert encode_irrigation_setting(command) == payload
    assert decode_irrigation_setting(payload) == command


@pytest.mark.parametrize(
    ("hex_value", "message"),
    [
        ("", "empty"),
        ("01 01", "unknown DP 1"),  # DP1 on/off goes through the On/Off cluster
        ("07 64", "unknown DP 7"),  # DP7 battery goes through Power Configuration
        ("ff", "unknown DP 255"),
        ("04", "takes 1 data bytes, got 0"),
        ("04 00 00", "takes 1 data bytes, got 2"),
        ("04 20", "fault 32 is outside 0..31"),
        ("0a", "takes 1 data bytes"),
        ("0a 04", "unknown weather delay 4"),
        ("0a 00 00", "takes 1 data bytes, got 2"),
        ("0b 00 00 07", "takes 4 data bytes, got 3"),
        ("0b 00 00 07 08 00", "takes 4 data bytes, got 5"),
        ("0b 00 01 51 81", "irrigation time 86401 is outside 0..86400"),
        ("0b ff ff ff ff", "is outside 0..86400"),
        ("0c 03", "unknown work state 3"),
        ("0c", "takes 1 data bytes, got 0"),
        ("0f 00 01 51 81", "once using time 86401 is outside"),
        ("0f 00 00", "takes 4 data bytes, got 2"),
        ("10", "DP16 CYCLE_IRRIGATION: cycle irrigation program list is empty"),
        ("10 01", "unknown protocol version 0x01"),
        ("10 00 01", "not a multiple of 12"),
        (
            "11 00 01 01e0 000f 7f 64 31 07e6 08 01 01",
            "DP17 SCHEDULED_IRRIGATION: schedule",
        ),
    ],
)
def test_report_rejections(hex_value: str, message: str) -> None:
    with pytest.raises(TuyaDpError, match=message):
        decode_dp_report(bytes.fromhex(hex_value))


def test_program_errors_surface_as_this_modules_error() -> None:
    with pytest.raises(TuyaDpError) as caught:
        decode_dp_report(bytes.fromhex("11 02"))
    assert isinstance(caught.value.__cause__, IrrigationProgramError)


@pytest.mark.parametrize(
    ("hex_payload", "message"),
    [
        ("", "empty"),
        ("04 00", "does not carry DP 4"),
        ("0c 01", "does not carry DP 12"),
        ("10 00 01", "does not carry DP 16"),
        ("0a", "takes 1 data bytes, got 0"),
        ("0a 04", "unknown weather delay 4"),
        ("0b 00 00 07 08 00", "takes 4 data bytes, got 5"),
        ("0b 00 01 51 81", "is outside 0..86400"),
    ],
)
def test_irrigation_setting_rejections(hex_payload: str, message: str) -> None:
    with pytest.raises(TuyaDpError, match=message):
        decode_irrigation_setting(bytes.fromhex(hex_payload))


@pytest.mark.parametrize(
    "build",
    [
        lambda: FaultReport(32),
        lambda: FaultReport(-1),
        lambda: FaultReport(True),
        lambda: IrrigationTimeReport(86_401),
        lambda: IrrigationTimeReport(1.5),
        lambda: OnceUsingTimeReport(-1),
        lambda: WeatherDelayReport(4),
        lambda: WorkStateReport(3),
        lambda: WorkStateReport("idle"),
        lambda: WeatherDelayCommand(-1),
        lambda: IrrigationTimeCommand(86_401),
        lambda: IrrigationTimeCommand("60"),
    ],
)
def test_invalid_values_cannot_be_built(build: Callable[[], object]) -> None:
    with pytest.raises(TuyaDpError):
        build()


@pytest.mark.parametrize(
    ("value", "field", "bad"),
    [
        (FaultReport(1), "fault", 32),
        (WeatherDelayReport(WeatherDelay.Disabled), "delay", 9),
        (IrrigationTimeReport(1), "seconds", 86_401),
        (WorkStateReport(WorkState.Auto), "state", 7),
        (OnceUsingTimeReport(1), "seconds", -5),
        (CycleIrrigationReport(()), "programs", ("not a program",)),
        (
            ScheduledIrrigationReport(()),
            "programs",
            (StoredProgram(1, SCHEDULED),) * 2,
        ),
    ],
)
def test_encode_rechecks_altered_reports(
    value: DpReport, field: str, bad: object
) -> None:
    # Frozen dataclasses can still be altered through object.__setattr__; the encoder must not
    # turn such a value into bytes.
    object.__setattr__(value, field, bad)
    with pytest.raises(TuyaDpError):
        encode_dp_report(value)


@pytest.mark.parametrize(
    ("value", "field", "bad"),
    [
        (WeatherDelayCommand(WeatherDelay.Disabled), "delay", 4),
        (IrrigationTimeCommand(60), "seconds", 86_401),
        (IrrigationTimeCommand(60), "seconds", None),
    ],
)
def test_encode_rechecks_altered_commands(
    value: IrrigationSettingCommand, field: str, bad: object
) -> None:
    object.__setattr__(value, field, bad)
    with pytest.raises(TuyaDpError):
        encode_irrigation_setting(value)


def test_encoders_refuse_foreign_values() -> None:
    with pytest.raises(TuyaDpError, match="not a DP report"):
        encode_dp_report(WeatherDelayCommand(WeatherDelay.Disabled))  # type: ignore[arg-type]
    with pytest.raises(TuyaDpError, match="not a 0xFE command"):
        encode_irrigation_setting(FaultReport(0))  # type: ignore[arg-type]


@given(dp_reports)
def test_report_round_trip(report: DpReport) -> None:
    assert decode_dp_report(encode_dp_report(report)) == report


@given(irrigation_settings)
def test_irrigation_setting_round_trip(command: IrrigationSettingCommand) -> None:
    assert decode_irrigation_setting(encode_irrigation_setting(command)) == command


@given(st.binary(max_size=64))
def test_report_garbage_in(value: bytes) -> None:
    with contextlib.suppress(TuyaDpError):
        decode_dp_report(value)


@given(st.binary(max_size=16))
def test_irrigation_setting_garbage_in(payload: bytes) -> None:
    with contextlib.suppress(TuyaDpError):
        decode_irrigation_setting(payload)
