"""Tests of the Smart Energy Metering codec (reference = smart_energy_reference.md)."""

from collections.abc import Callable
import contextlib
from datetime import UTC, datetime
from decimal import Decimal

from homeassistant.components.sensor.const import DEVICE_CLASS_UNITS, SensorDeviceClass
from hypothesis import given, strategies as st
import pytest

from custom_components.zha_device_pack.protocol.metering import (
    INVALID_INTERVAL,
    UINT32_MAX,
    UINT48_MAX,
    FastPollModeResponse,
    HourlyConsumption,
    IntervalChannel,
    MeteringDeviceType,
    MeteringError,
    MeteringFormat,
    MeteringUnit,
    ProfileIntervalPeriod,
    ProfileResponse,
    ProfileStatus,
    base_device_type,
    bcd_decode,
    datetime_from_utc_time,
    decode_fast_poll_mode_response,
    decode_get_profile_response,
    display_precision,
    encode_get_profile,
    encode_request_fast_poll_mode,
    format_value,
    hourly_consumption,
    status_flags,
    summation_delta,
    unit_for,
)
from tests.protocol.device_side import (
    decode_get_profile,
    decode_request_fast_poll_mode,
    encode_fast_poll_mode_response,
    encode_get_profile_response,
)

ELECTRIC = MeteringDeviceType.ELECTRIC
GAS = MeteringDeviceType.GAS
WATER = MeteringDeviceType.WATER

# 2024-01-01 15:00:00 UTC = 757436400 s after 2000-01-01 = 0x2d258ff0, little-endian f08f252d.
END_15H = 757_436_400
END_15H_HEX = "f08f252d"
# 2024-01-01 00:00:00 UTC = 757382400 = 0x2d24bd00.
MIDNIGHT = 757_382_400


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 1, 1, hour, minute, tzinfo=UTC)


# --- formatting (reference §1.7) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "raw", "signed24", "value", "precision"),
    [
        # §1.7 worked example 1: CurrentSummationDelivered 0x00000012D687 = 1234567, 1 / 1000,
        # SummationFormatting 0x2B (R=3, L=5): 1234.567 kWh, shown 01234.567.
        pytest.param(
            MeteringFormat(0x00, ELECTRIC, 0x2B, 1, 1000),
            0x00000012D687,
            False,
            Decimal("1234.567"),
            3,
            id="kwh-summation",
        ),
        # Example 2: the same with 0xAB (suppress leading zeros): 1234.567, shown 1234.567.
        pytest.param(
            MeteringFormat(0x00, ELECTRIC, 0xAB, 1, 1000),
            0x00000012D687,
            False,
            Decimal("1234.567"),
            3,
            id="kwh-summation-suppress-zeros",
        ),
        # Example 3: InstantaneousDemand 0xFFFC18 (int24 -1000), 1 / 1000, DemandFormatting
        # 0x1B (R=3, L=3): -1.000 kW, exporting 1 kW.
        pytest.param(
            MeteringFormat(0x00, ELECTRIC, 0x1B, 1, 1000),
            0xFFFC18,
            True,
            Decimal("-1.000"),
            3,
            id="kw-demand-exporting",
        ),
        # Example 4: BCD kWh (0x80), raw 0x000000123456 -> 123456, 1 / 100, 0x32 (R=2, L=6):
        # 1234.56 kWh, shown 001234.56.
        pytest.param(
            MeteringFormat(0x80, ELECTRIC, 0x32, 1, 100),
            0x000000123456,
            False,
            Decimal("1234.56"),
            2,
            id="bcd-kwh",
        ),
        # Example 5: Multiplier and Divisor 0: raw x 1 / 1, R=3 digits, no rescale by 10^3.
        pytest.param(
            MeteringFormat(0x00, ELECTRIC, 0x03, 0, 0),
            987654,
            False,
            Decimal(987654),
            3,
            id="zero-multiplier-divisor",
        ),
        # Absent (None) Multiplier and Divisor count as 1 too ("if present and nonzero").
        pytest.param(
            MeteringFormat(0x01, GAS, 0x1B),
            4242,
            False,
            Decimal(4242),
            3,
            id="absent-multiplier-divisor",
        ),
        # Zero divisor, real multiplier: raw x 10.
        pytest.param(
            MeteringFormat(0x07, WATER, 0x00, 10, 0),
            25,
            False,
            Decimal(250),
            0,
            id="zero-divisor-only",
        ),
        # The formatting byte never rescales: R=7 (0x07) or 0xFF gives precision, not / 10^7.
        pytest.param(
            MeteringFormat(0x00, ELECTRIC, 0xFF, 3, 2),
            7,
            False,
            Decimal("10.5"),
            7,
            id="all-formatting-bits",
        ),
    ],
)
def test_worked_examples(
    fmt: MeteringFormat, raw: int, signed24: bool, value: Decimal, precision: int
) -> None:
    assert format_value(raw, fmt, signed24=signed24) == value
    assert display_precision(fmt.formatting) == precision


def test_left_digits_and_suppress_bit_do_not_change_precision() -> None:
    # Right digits are bits 0-2 only: 0b1111_1000 has R=0, 0b0000_0101 has R=5.
    assert display_precision(0b1111_1000) == 0
    assert display_precision(0b0000_0101) == 5
    assert display_precision(0b1010_0101) == 5


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        # InstantaneousDemand is int24 (reference §1.5), sign-extended before scaling (§1.7):
        # the wire bits or zigpy's already signed int both work.
        pytest.param(0x000001, 1, id="plus-one"),
        pytest.param(0x7FFFFF, 8_388_607, id="int24-max"),
        pytest.param(0x800000, -8_388_608, id="int24-min-bits"),
        pytest.param(-8_388_608, -8_388_608, id="int24-min-signed"),
        pytest.param(0xFFFFFF, -1, id="minus-one-bits"),
        pytest.param(-1, -1, id="minus-one-signed"),
    ],
)
def test_signed_int24_demand(raw: int, value: int) -> None:
    fmt = MeteringFormat(0x00, ELECTRIC, 0x00, 1, 1)
    assert format_value(raw, fmt, signed24=True) == value


def test_demand_sign_extends_before_multiplier_and_divisor() -> None:
    # 0xFFFF38 = -200; x 5 / 1000 = -1; scaling the unsigned 16776992 would give 83884.96.
    fmt = MeteringFormat(0x00, ELECTRIC, 0x00, 5, 1000)
    assert format_value(0xFFFF38, fmt, signed24=True) == Decimal(-1)


@pytest.mark.parametrize("raw", [0x1000000, -0x800001, True, 1.0])
def test_demand_out_of_int24_is_refused(raw: object) -> None:
    fmt = MeteringFormat(0x00, ELECTRIC, 0x00)
    with pytest.raises(MeteringError):
        format_value(raw, fmt, signed24=True)  # type: ignore[arg-type]


def test_bcd_demand_is_refused() -> None:
    # §1.7: nothing defines signed demand in BCD.
    with pytest.raises(MeteringError, match="BCD"):
        format_value(0x000123, MeteringFormat(0x80, ELECTRIC, 0x00), signed24=True)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        pytest.param(-1, "negative", id="negative"),
        pytest.param(UINT48_MAX + 1, "above", id="wider-than-48-bits"),
        pytest.param(True, "not an integer", id="bool"),
        pytest.param("12", "not an integer", id="text"),
    ],
)
def test_impossible_summation_is_refused(raw: object, match: str) -> None:
    with pytest.raises(MeteringError, match=match):
        format_value(raw, MeteringFormat(0x00, ELECTRIC, 0x00))  # type: ignore[arg-type]


def test_uint48_bounds_are_accepted() -> None:
    fmt = MeteringFormat(0x00, ELECTRIC, 0x00)
    assert format_value(0, fmt) == 0
    assert format_value(UINT48_MAX, fmt) == UINT48_MAX


# UoM 0x80-0x8D are the BCD variants of 0x00-0x0D (§1.4); 0x8E-0xFF are reserved, not BCD.
@pytest.mark.parametrize("unit", range(0x80, 0x8E))
def test_every_bcd_unit_decodes_nibbles(unit: int) -> None:
    fmt = MeteringFormat(unit, ELECTRIC, 0x00)
    assert fmt.is_bcd
    assert format_value(0x000000123456, fmt) == 123456
    assert format_value(0x999999999999, fmt) == 999_999_999_999


@pytest.mark.parametrize("unit", [0x00, 0x0D, 0x0E, 0x7F, 0x8E, 0xFF])
def test_binary_and_reserved_units_are_not_bcd(unit: int) -> None:
    fmt = MeteringFormat(unit, ELECTRIC, 0x00)
    assert not fmt.is_bcd
    assert format_value(0x123456, fmt) == 0x123456


@pytest.mark.parametrize("raw", [0x00000000000A, 0x1F, 0xF00000000000, 0x12345B])
def test_invalid_bcd_nibble_is_refused(raw: int) -> None:
    with pytest.raises(MeteringError, match="not BCD"):
        format_value(raw, MeteringFormat(0x81, GAS, 0x00))
    with pytest.raises(MeteringError, match="not BCD"):
        bcd_decode(raw)


def test_non_terminating_quotient_rounds_at_34_digits() -> None:
    value = format_value(1, MeteringFormat(0x00, ELECTRIC, 0x00, 1, 3))
    assert value == Decimal("0." + "3" * 34)


@pytest.mark.parametrize(
    "fields",
    [
        {"unit_of_measure": 0x100},
        {"device_type": -1},
        {"formatting": 256},
        {"multiplier": 0x1000000},
        {"divisor": -1},
        {"divisor": True},
    ],
)
def test_format_attributes_must_fit_their_types(fields: dict[str, int]) -> None:
    base = {"unit_of_measure": 0, "device_type": 0, "formatting": 0}
    with pytest.raises(MeteringError):
        MeteringFormat(**(base | fields))


def test_display_precision_refuses_non_byte() -> None:
    with pytest.raises(MeteringError):
        display_precision(0x100)


# --- units --------------------------------------------------------------------------------------

_KWH = MeteringUnit("energy", "kWh", Decimal(1), "power", "kW", Decimal(1))
_FT3_M3 = Decimal("0.028316846592")


@pytest.mark.parametrize(
    ("unit", "device_type", "expected"),
    [
        pytest.param(0x00, ELECTRIC, _KWH, id="electric-kwh"),
        pytest.param(0x80, ELECTRIC, _KWH, id="electric-kwh-bcd"),
        pytest.param(0x00, 127, _KWH, id="mirrored-electric-kwh"),
        pytest.param(
            0x01,
            GAS,
            MeteringUnit(
                "gas", "m³", Decimal(1), "volume_flow_rate", "m³/h", Decimal(1)
            ),
            id="gas-m3",
        ),
        pytest.param(
            0x01,
            WATER,
            MeteringUnit(
                "water", "m³", Decimal(1), "volume_flow_rate", "m³/h", Decimal(1)
            ),
            id="water-m3",
        ),
        pytest.param(
            0x81,
            128,
            MeteringUnit(
                "gas", "m³", Decimal(1), "volume_flow_rate", "m³/h", Decimal(1)
            ),
            id="mirrored-gas-m3-bcd",
        ),
        pytest.param(
            0x02,
            GAS,
            MeteringUnit("gas", "ft³", Decimal(1), "volume_flow_rate", "m³/h", _FT3_M3),
            id="gas-ft3",
        ),
        pytest.param(
            0x03,
            GAS,
            MeteringUnit(
                "gas", "CCF", Decimal(1), "volume_flow_rate", "m³/h", 100 * _FT3_M3
            ),
            id="gas-ccf",
        ),
        pytest.param(
            0x0A,
            GAS,
            MeteringUnit(
                "gas", "MCF", Decimal(1), "volume_flow_rate", "m³/h", 1000 * _FT3_M3
            ),
            id="gas-mcf",
        ),
        pytest.param(
            0x04,
            WATER,
            MeteringUnit(
                "water", "gal", Decimal(1), "volume_flow_rate", "gal/h", Decimal(1)
            ),
            id="water-us-gal",
        ),
        # HA's gas class does not take gal: the generic volume class does.
        pytest.param(
            0x04,
            GAS,
            MeteringUnit(
                "volume", "gal", Decimal(1), "volume_flow_rate", "gal/h", Decimal(1)
            ),
            id="gas-us-gal",
        ),
        pytest.param(
            0x05,
            WATER,
            MeteringUnit(
                "water",
                "L",
                Decimal("4.54609"),
                "volume_flow_rate",
                "L/h",
                Decimal("4.54609"),
            ),
            id="water-imperial-gal",
        ),
        pytest.param(
            0x07,
            WATER,
            MeteringUnit(
                "water", "L", Decimal(1), "volume_flow_rate", "L/h", Decimal(1)
            ),
            id="water-litres",
        ),
        # A heat meter's volume is neither gas nor water.
        pytest.param(
            0x01,
            MeteringDeviceType.HEAT,
            MeteringUnit(
                "volume", "m³", Decimal(1), "volume_flow_rate", "m³/h", Decimal(1)
            ),
            id="heat-m3",
        ),
        pytest.param(
            0x06,
            MeteringDeviceType.HEAT,
            MeteringUnit(
                "energy",
                "kJ",
                Decimal("1.05505585262"),
                "power",
                "W",
                # 1055.05585262 J / 3600 s, to 34 digits.
                Decimal("0.2930710701722222222222222222222222"),
            ),
            id="heat-btu",
        ),
        pytest.param(
            0x0C,
            MeteringDeviceType.COOLING,
            MeteringUnit("energy", "MJ", Decimal(1), "power", "MW", Decimal(1)),
            id="cooling-mj",
        ),
        pytest.param(
            0x0D,
            ELECTRIC,
            MeteringUnit(
                "reactive_energy",
                "kvarh",
                Decimal(1),
                "reactive_power",
                "kvar",
                Decimal(1),
            ),
            id="electric-kvar",
        ),
        pytest.param(
            0x08,
            MeteringDeviceType.PRESSURE,
            MeteringUnit(None, "kPa", Decimal(1), None, "kPa", Decimal(1)),
            id="pressure-kpa-gauge",
        ),
        pytest.param(
            0x89,
            MeteringDeviceType.PRESSURE,
            MeteringUnit(None, "kPa", Decimal(1), None, "kPa", Decimal(1)),
            id="pressure-kpa-absolute-bcd",
        ),
        pytest.param(
            0x0B,
            WATER,
            MeteringUnit(None, None, Decimal(1), None, None, Decimal(1)),
            id="unitless",
        ),
        pytest.param(
            0x0E,
            ELECTRIC,
            MeteringUnit(None, None, Decimal(1), None, None, Decimal(1)),
            id="reserved-unit",
        ),
    ],
)
def test_unit_for(unit: int, device_type: int, expected: MeteringUnit) -> None:
    assert unit_for(unit, device_type) == expected


@pytest.mark.parametrize("unit", [*range(0x0F), *range(0x80, 0x8F), 0xFF])
def test_every_unit_is_one_home_assistant_accepts(unit: int) -> None:
    for device_type in range(0x100):
        mapped = unit_for(unit, device_type)
        for device_class, ha_unit in (
            (mapped.device_class, mapped.unit),
            (mapped.demand_device_class, mapped.demand_unit),
        ):
            if device_class is not None:
                assert ha_unit in DEVICE_CLASS_UNITS[SensorDeviceClass(device_class)]


def test_unit_for_refuses_non_bytes() -> None:
    with pytest.raises(MeteringError):
        unit_for(0x100, 0)
    with pytest.raises(MeteringError):
        unit_for(0, 0x100)


@pytest.mark.parametrize(
    ("device_type", "base"),
    [
        (0, ELECTRIC),
        (15, MeteringDeviceType.ELECTRIC_ELEMENT_3),
        (16, None),
        (126, None),
        (127, ELECTRIC),
        (129, WATER),
        (142, MeteringDeviceType.ELECTRIC_ELEMENT_3),
        (143, None),
        (0xFE, None),
    ],
)
def test_base_device_type(device_type: int, base: MeteringDeviceType | None) -> None:
    assert base_device_type(device_type) == base


# --- status (reference §1.3) --------------------------------------------------------------------

_LOW = 0b0000_0101  # bits 0 and 2
_HIGH = 0b1010_0000  # bits 5 and 7
_MIDDLE = 0b0101_1010  # bits 1, 3, 4 and 6


@pytest.mark.parametrize(
    ("device_types", "low", "high", "middle"),
    [
        pytest.param(
            (
                0,
                7,
                8,
                9,
                10,
                11,
                13,
                14,
                15,
                127,
                134,
                135,
                136,
                137,
                138,
                140,
                141,
                142,
            ),
            {"check_meter", "tamper_detect"},
            {"leak_detect"},  # bit 7 is reserved for electricity
            {
                "low_battery",
                "power_failure",
                "power_quality",
                "service_disconnect_open",
            },
            id="electric",
        ),
        pytest.param(
            (1, 128),
            {"check_meter", "tamper_detect"},
            {"leak_detect", "reverse_flow"},
            {"low_battery", "low_pressure", "service_disconnect"},  # bit 3 undefined
            id="gas",
        ),
        pytest.param(
            (2, 129),
            {"check_meter", "tamper_detect"},
            {"leak_detect", "reverse_flow"},
            {"low_battery", "pipe_empty", "low_pressure", "service_disconnect"},
            id="water",
        ),
        pytest.param(
            (3, 5, 6, 130, 132, 133),
            {"check_meter", "tamper_detect"},
            {"leak_detect", "flow_sensor"},  # FlowSensor, not ZHA's REVERSE_FLOW (§8)
            {
                "low_battery",
                "temperature_sensor",
                "burst_detect",
                "service_disconnect",
            },
            id="heat-and-cooling",
        ),
        pytest.param(
            (4, 12, 16, 126, 131, 139, 143, 0xFE, 0xFF),
            set(),
            set(),
            set(),
            id="no-layout",
        ),
    ],
)
def test_status_flags(
    device_types: tuple[int, ...], low: set[str], high: set[str], middle: set[str]
) -> None:
    for device_type in device_types:
        assert status_flags(_LOW, device_type) == low
        assert status_flags(_HIGH, device_type) == high
        assert status_flags(_MIDDLE, device_type) == middle
        assert status_flags(0xFF, device_type) == low | high | middle
        assert status_flags(0x00, device_type) == frozenset()


@pytest.mark.parametrize(
    ("bit", "electric", "gas", "water", "heat"),
    [
        (0, "check_meter", "check_meter", "check_meter", "check_meter"),
        (1, "low_battery", "low_battery", "low_battery", "low_battery"),
        (2, "tamper_detect", "tamper_detect", "tamper_detect", "tamper_detect"),
        (3, "power_failure", None, "pipe_empty", "temperature_sensor"),
        (4, "power_quality", "low_pressure", "low_pressure", "burst_detect"),
        (5, "leak_detect", "leak_detect", "leak_detect", "leak_detect"),
        (
            6,
            "service_disconnect_open",
            "service_disconnect",
            "service_disconnect",
            "service_disconnect",
        ),
        (7, None, "reverse_flow", "reverse_flow", "flow_sensor"),
    ],
)
def test_every_status_bit(
    bit: int, electric: str | None, gas: str | None, water: str | None, heat: str | None
) -> None:
    for device_type, name in ((0, electric), (1, gas), (2, water), (5, heat)):
        assert status_flags(1 << bit, device_type) == ({name} if name else set())


def test_status_must_be_a_byte() -> None:
    with pytest.raises(MeteringError):
        status_flags(0x100, 0)
    with pytest.raises(MeteringError):
        status_flags(0, -1)


# --- UTCTime (reference §6) ---------------------------------------------------------------------


def test_utc_time() -> None:
    assert datetime_from_utc_time(0) == datetime(2000, 1, 1, tzinfo=UTC)
    assert datetime_from_utc_time(END_15H) == _at(15)
    assert datetime_from_utc_time(0xFFFFFFFE) == datetime(
        2136, 2, 7, 6, 28, 14, tzinfo=UTC
    )
    assert datetime_from_utc_time(0xFFFFFFFF) is None
    with pytest.raises(MeteringError):
        datetime_from_utc_time(-1)


# --- GetProfile (reference §2.2) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "end_time", "periods", "hex_frame"),
    [
        # Channel 0 (ConsumptionDelivered), EndTime 0 = the most recent block, 24 periods.
        pytest.param(0, 0, 24, "00 00000000 18", id="most-recent"),
        # Channel 1, EndTime 2024-01-01 15:00 UTC, 4 periods.
        pytest.param(
            IntervalChannel.CONSUMPTION_RECEIVED,
            END_15H,
            4,
            f"01 {END_15H_HEX} 04",
            id="received-at-time",
        ),
        # SE 1.4 channel 3 (ReactiveConsumptionReceived), last valid UTCTime, 255 periods.
        pytest.param(3, 0xFFFFFFFE, 255, "03 feffffff ff", id="reactive-max"),
    ],
)
def test_get_profile_vectors(
    channel: int, end_time: int, periods: int, hex_frame: str
) -> None:
    frame = bytes.fromhex(hex_frame)
    assert encode_get_profile(channel, end_time, periods) == frame
    assert decode_get_profile(frame) == (channel, end_time, periods)


@pytest.mark.parametrize(
    ("channel", "end_time", "periods", "match"),
    [
        (4, 0, 1, "interval channel"),
        (-1, 0, 1, "interval channel"),
        (0, 0xFFFFFFFF, 1, "end time"),
        (0, -1, 1, "end time"),
        (0, 0, 0, "number of periods"),
        (0, 0, 256, "number of periods"),
        (0, 0, True, "number of periods"),
    ],
)
def test_get_profile_refuses(
    channel: int, end_time: int, periods: int, match: str
) -> None:
    with pytest.raises(MeteringError, match=match):
        encode_get_profile(channel, end_time, periods)


# --- GetProfileResponse (reference §2.2) --------------------------------------------------------


# End 2024-01-01 15:00, status 0, period 0x03 (15 min), 4 announced, 3 sent (newest first):
# 0x000123, 0xFFFFFF (invalid), 0x000010 — a meter sending fewer than it announces.
FEWER_HEX = f"{END_15H_HEX} 00 03 04 230100 ffffff 100000"
FEWER = ProfileResponse(
    end_time=END_15H,
    status=ProfileStatus.SUCCESS,
    interval_period=ProfileIntervalPeriod.MINUTES_15,
    number_of_periods_announced=4,
    intervals=(0x123, None, 0x10),
)


@pytest.mark.parametrize(
    ("hex_frame", "response"),
    [
        pytest.param(FEWER_HEX, FEWER, id="fewer-than-announced-with-invalid"),
        # 60-minute intervals, 2 announced and sent; 0xFFFFFE is the largest valid interval.
        pytest.param(
            f"{END_15H_HEX} 00 01 02 feffff 000000",
            ProfileResponse(
                END_15H,
                ProfileStatus.SUCCESS,
                ProfileIntervalPeriod.MINUTES_60,
                2,
                (0xFFFFFE, 0),
            ),
            id="hourly-full",
        ),
        # Status 0x04 still carries intervals (§2.2: parse them anyway); 1-minute (SE 1.4).
        pytest.param(
            f"{END_15H_HEX} 04 08 18 010000",
            ProfileResponse(
                END_15H,
                ProfileStatus.MORE_PERIODS_REQUESTED_THAN_CAN_BE_RETURNED,
                ProfileIntervalPeriod.MINUTES_1,
                24,
                (1,),
            ),
            id="more-periods-with-intervals",
        ),
        # An error answer: invalid end time 0xFFFFFFFF, no intervals, daily period.
        pytest.param(
            "ffffffff 03 00 00",
            ProfileResponse(
                0xFFFFFFFF,
                ProfileStatus.INVALID_END_TIME,
                ProfileIntervalPeriod.DAILY,
                0,
                (),
            ),
            id="invalid-end-time",
        ),
    ],
)
def test_get_profile_response_vectors(
    hex_frame: str, response: ProfileResponse
) -> None:
    frame = bytes.fromhex(hex_frame)
    assert decode_get_profile_response(frame) == response
    assert encode_get_profile_response(response) == frame


@pytest.mark.parametrize("status", list(ProfileStatus))
def test_every_profile_status(status: ProfileStatus) -> None:
    frame = bytes.fromhex(f"{END_15H_HEX} {status:02x} 02 00")
    response = decode_get_profile_response(frame)
    assert response.status is status
    assert response.intervals == ()


@pytest.mark.parametrize(
    ("period", "seconds"),
    [
        (0x00, 86400),
        (0x01, 3600),
        (0x02, 1800),
        (0x03, 900),
        (0x04, 600),
        (0x05, 450),
        (0x06, 300),
        (0x07, 150),
        (0x08, 60),
    ],
)
def test_every_interval_period(period: int, seconds: int) -> None:
    frame = bytes.fromhex(f"{END_15H_HEX} 00 {period:02x} 00")
    assert decode_get_profile_response(frame).interval_seconds == seconds


@pytest.mark.parametrize(
    ("hex_frame", "match"),
    [
        pytest.param("", "shorter than its 7-byte header", id="empty"),
        pytest.param(f"{END_15H_HEX} 00 03", "shorter", id="six-bytes"),
        pytest.param(
            f"{END_15H_HEX} 00 03 04 2301", "partial interval", id="two-byte-tail"
        ),
        pytest.param(
            f"{END_15H_HEX} 00 03 04 230100 10", "partial interval", id="one-byte-tail"
        ),
        pytest.param(
            f"{END_15H_HEX} 00 03 01 230100 100000", "announces 1", id="more-than-n"
        ),
        pytest.param(f"{END_15H_HEX} 06 03 00", "status 0x06", id="unknown-status"),
        pytest.param(f"{END_15H_HEX} ff 03 00", "status 0xff", id="status-ff"),
        pytest.param(
            f"{END_15H_HEX} 00 09 00", "interval period 0x09", id="unknown-period"
        ),
    ],
)
def test_get_profile_response_refuses(hex_frame: str, match: str) -> None:
    with pytest.raises(MeteringError, match=match):
        decode_get_profile_response(bytes.fromhex(hex_frame))


@pytest.mark.parametrize(
    "fields",
    [
        {"end_time": 0x1_0000_0000},
        {"status": 0},
        {"interval_period": 3},
        {"number_of_periods_announced": 256},
        {"number_of_periods_announced": 2},
        {"intervals": [0x123, None, 0x10]},
        {"intervals": (INVALID_INTERVAL,)},
        {"intervals": (-1,)},
    ],
)
def test_profile_response_refuses_bad_fields(fields: dict[str, object]) -> None:
    base: dict[str, object] = {
        "end_time": FEWER.end_time,
        "status": FEWER.status,
        "interval_period": FEWER.interval_period,
        "number_of_periods_announced": FEWER.number_of_periods_announced,
        "intervals": FEWER.intervals,
    }
    with pytest.raises(MeteringError):
        ProfileResponse(**(base | fields))  # type: ignore[arg-type]


# --- RequestFastPollMode (reference §2.2) -------------------------------------------------------


def test_fast_poll_vectors() -> None:
    # 5 s for 15 minutes (the most ZSS allows).
    assert encode_request_fast_poll_mode(5, 15) == bytes.fromhex("05 0f")
    assert decode_request_fast_poll_mode(bytes.fromhex("05 0f")) == (5, 15)
    # Applied 8 s (the meter's FastPollUpdatePeriod), until 2024-01-01 15:00 UTC.
    frame = bytes.fromhex(f"08 {END_15H_HEX}")
    response = decode_fast_poll_mode_response(frame)
    assert response == FastPollModeResponse(8, END_15H)
    assert datetime_from_utc_time(response.end_time) == _at(15)
    assert encode_fast_poll_mode_response(response) == frame


@pytest.mark.parametrize(
    ("period", "duration", "match"),
    [
        (0, 1, "update period"),
        (256, 1, "update period"),
        (1, 0, "duration"),
        (1, 16, "duration"),
        (1, False, "duration"),
    ],
)
def test_fast_poll_request_refuses(period: int, duration: int, match: str) -> None:
    with pytest.raises(MeteringError, match=match):
        encode_request_fast_poll_mode(period, duration)


@pytest.mark.parametrize("hex_frame", ["", "08", "08 f08f25", "08 f08f252d 00"])
def test_fast_poll_response_is_five_bytes(hex_frame: str) -> None:
    with pytest.raises(MeteringError, match="5 bytes"):
        decode_fast_poll_mode_response(bytes.fromhex(hex_frame))


# --- summation delta ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "current", "bcd", "delta"),
    [
        pytest.param(1000, 1500, False, 500, id="plain"),
        pytest.param(1500, 1500, False, 0, id="unchanged"),
        # uint48 wraps at 2**48: 0xFFFFFFFFFFF0 -> 0x10 counted 0x20.
        pytest.param(0xFFFFFFFFFFF0, 0x10, False, 0x20, id="uint48-rollover"),
        pytest.param(UINT48_MAX, 0, False, 1, id="uint48-max-to-zero"),
        # A reset reads as a wrap: the caller judges plausibility.
        pytest.param(1000, 5, False, 2**48 - 995, id="backwards"),
        # BCD wraps at 10**12 and the delta stays BCD: 999999999990 -> 5 is 15 = 0x15.
        pytest.param(0x999999999990, 0x5, True, 0x15, id="bcd-rollover"),
        pytest.param(0x123456, 0x123465, True, 0x9, id="bcd-plain"),
    ],
)
def test_summation_delta(previous: int, current: int, bcd: bool, delta: int) -> None:
    assert summation_delta(previous, current, bcd=bcd) == delta


def test_summation_delta_refuses() -> None:
    with pytest.raises(MeteringError, match="negative"):
        summation_delta(-1, 0)
    with pytest.raises(MeteringError, match="above"):
        summation_delta(0, UINT48_MAX + 1)
    with pytest.raises(MeteringError, match="not BCD"):
        summation_delta(0x0A, 0x10, bcd=True)


@given(st.integers(0, UINT48_MAX), st.integers(0, UINT48_MAX))
def test_summation_delta_adds_back(previous: int, current: int) -> None:
    assert (previous + summation_delta(previous, current)) % 2**48 == current


# --- hourly consumption -------------------------------------------------------------------------


def test_quarter_hours_fill_their_hours() -> None:
    # End 15:00, 8 quarter hours newest first: 14:45-15:00 = 1 ... 13:00-13:15 = 8.
    hours = hourly_consumption(END_15H, 900, [1, 2, 3, 4, 5, 6, 7, 8])
    assert hours == (
        HourlyConsumption(_at(13), 5 + 6 + 7 + 8),
        HourlyConsumption(_at(14), 1 + 2 + 3 + 4),
    )


def test_partial_hours_at_either_end_are_left_out() -> None:
    # End 14:30: the newest two cover 14:00-14:30 (hour incomplete), the next four 13:00-14:00,
    # the oldest one 12:45-13:00 (hour incomplete).
    end = END_15H - 1800
    hours = hourly_consumption(end, 900, [1, 2, 3, 4, 5, 6, 7])
    assert hours == (HourlyConsumption(_at(13), 3 + 4 + 5 + 6),)


def test_an_invalid_interval_leaves_its_hour_out() -> None:
    hours = hourly_consumption(END_15H, 900, [1, 2, None, 4, 5, 6, 7, 8])
    assert hours == (HourlyConsumption(_at(13), 26),)


def test_midpoints_tolerate_clock_drift() -> None:
    # A meter clock 2 min fast or slow still puts the first quarter of each hour in that hour.
    for drift in (-120, 120):
        hours = hourly_consumption(END_15H + drift, 900, [1, 2, 3, 4, 5, 6, 7, 8])
        assert [hour.hour_start for hour in hours] == [_at(13), _at(14)]


@pytest.mark.parametrize("seconds", [3600, 1800, 900, 600, 450, 300, 150, 60])
def test_every_sub_hour_period(seconds: int) -> None:
    per_hour = 3600 // seconds
    hours = hourly_consumption(MIDNIGHT + 3 * 3600, seconds, [1] * (3 * per_hour))
    assert hours == tuple(HourlyConsumption(_at(hour), per_hour) for hour in range(3))


def test_hourly_intervals_map_one_to_one() -> None:
    hours = hourly_consumption(END_15H, 3600, [10, 20, 30])
    assert hours == (
        HourlyConsumption(_at(12), 30),
        HourlyConsumption(_at(13), 20),
        HourlyConsumption(_at(14), 10),
    )


def test_bcd_intervals_sum_as_bcd() -> None:
    # 0x000009 + 0x000003 + 0x000099 + 0x000001 = 112 decimal, returned as BCD 0x112.
    hours = hourly_consumption(END_15H, 900, [0x9, 0x3, 0x99, 0x1], bcd=True)
    assert hours == (HourlyConsumption(_at(14), 0x112),)
    fmt = MeteringFormat(0x80, ELECTRIC, 0x00)
    assert format_value(hours[0].consumption_raw, fmt) == 112
    with pytest.raises(MeteringError, match="not BCD"):
        hourly_consumption(END_15H, 900, [0xA], bcd=True)


def test_daily_profiles_are_refused() -> None:
    # Spreading a day evenly would invent a flat hourly shape.
    with pytest.raises(MeteringError, match="86400"):
        hourly_consumption(END_15H, 86400, [1])
    for seconds in (0, -900, 7, 5400):
        with pytest.raises(MeteringError):
            hourly_consumption(END_15H, seconds, [1])


def test_hourly_consumption_refuses_bad_values() -> None:
    with pytest.raises(MeteringError):
        hourly_consumption(UINT32_MAX, 900, [1])
    with pytest.raises(MeteringError):
        hourly_consumption(END_15H, 900, [INVALID_INTERVAL])
    assert hourly_consumption(END_15H, 900, []) == ()


def test_a_profile_response_feeds_hourly_consumption() -> None:
    response = decode_get_profile_response(
        bytes.fromhex(f"{END_15H_HEX} 00 02 04 010000 020000 030000 040000")
    )
    assert hourly_consumption(
        response.end_time, response.interval_seconds, response.intervals
    ) == (HourlyConsumption(_at(13), 7), HourlyConsumption(_at(14), 3))


# --- round trips and garbage --------------------------------------------------------------------

profile_responses = st.integers(0, 255).flatmap(
    lambda announced: st.builds(
        ProfileResponse,
        end_time=st.integers(0, UINT32_MAX),
        status=st.sampled_from(ProfileStatus),
        interval_period=st.sampled_from(ProfileIntervalPeriod),
        number_of_periods_announced=st.just(announced),
        intervals=st.lists(
            st.none() | st.integers(0, INVALID_INTERVAL - 1),
            max_size=min(announced, 30),
        ).map(tuple),
    )
)


@given(profile_responses)
def test_profile_response_round_trip(response: ProfileResponse) -> None:
    assert (
        decode_get_profile_response(encode_get_profile_response(response)) == response
    )


@given(st.builds(FastPollModeResponse, st.integers(0, 255), st.integers(0, UINT32_MAX)))
def test_fast_poll_response_round_trip(response: FastPollModeResponse) -> None:
    assert (
        decode_fast_poll_mode_response(encode_fast_poll_mode_response(response))
        == response
    )


@given(st.integers(0, 3), st.integers(0, 0xFFFFFFFE), st.integers(1, 255))
def test_get_profile_round_trip(channel: int, end_time: int, periods: int) -> None:
    frame = encode_get_profile(channel, end_time, periods)
    assert decode_get_profile(frame) == (channel, end_time, periods)


@given(st.integers(1, 255), st.integers(1, 15))
def test_fast_poll_request_round_trip(period: int, duration: int) -> None:
    frame = encode_request_fast_poll_mode(period, duration)
    assert decode_request_fast_poll_mode(frame) == (period, duration)


@given(st.integers(0, 10**12 - 1))
def test_bcd_decodes_the_hex_of_its_digits(number: int) -> None:
    assert bcd_decode(int(str(number), 16)) == number


@pytest.mark.parametrize(
    "decode", [decode_get_profile_response, decode_fast_poll_mode_response]
)
@given(data=st.binary(max_size=64))
def test_garbage_in(decode: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(MeteringError):
        decode(data)


@given(st.integers(-(2**60), 2**60), st.integers(0, 255), st.booleans())
def test_format_value_garbage_in(raw: int, unit: int, signed24: bool) -> None:
    with contextlib.suppress(MeteringError):
        format_value(raw, MeteringFormat(unit, ELECTRIC, 0x00, 1, 1), signed24=signed24)
