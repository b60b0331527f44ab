"""Smart Energy Metering (cluster 0x0702): values, units, status, load profiles, fast poll, mirrors.

Sources: the Smart Energy wire-format reference (research notes smart_energy_reference.md,
"the reference" below) §1 (attributes, formatting), §2.2 (command payloads), §6 (UTCTime), §8
(where sources disagree), and seed 001 §10.4 (the STM32WB Smart Energy app note). Every integer
on the wire is little-endian; UTCTime is a uint32 of seconds since 2000-01-01 00:00:00 UTC,
0xFFFFFFFF meaning invalid.

A meter value goes through three steps (reference §1.7)::

    value_in_UoM = raw x Multiplier / Divisor       raw BCD-decoded first for UoM 0x80-0x8D,
                                                    an int24 demand sign-extended first
    HA value     = value_in_UoM x MeteringUnit.scale   (only for units HA does not take as is)
    precision    = right-digit count of the *Formatting byte (a display hint, never a scale)

Home Assistant device classes and units are returned as the plain strings of
``SensorDeviceClass`` and the ``UnitOf*`` enums, so this module imports neither HA nor zigpy.

Every rejected input, in either direction, raises MeteringError.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Context, Decimal
from enum import IntEnum
import struct
from typing import Final, NamedTuple, TypeIs

from .zcl_time import ZCL_EPOCH


class MeteringError(ValueError):
    """A metering value, attribute or command payload is malformed or out of range."""


UINT8_MAX: Final = 0xFF
UINT24_MAX: Final = 0xFF_FFFF
UINT32_MAX: Final = 0xFFFF_FFFF
UINT48_MAX: Final = 0xFFFF_FFFF_FFFF
INT24_MIN: Final = -0x80_0000
UTC_TIME_INVALID: Final = 0xFFFF_FFFF
# GetProfileResponse: "0xFFFFFF = invalid interval" (reference §2.2).
INVALID_INTERVAL: Final = 0xFF_FFFF
BCD_FLAG: Final = 0x80
# RequestFastPollMode Duration: "Minutes, at most 15" (reference §2.2).
MAX_FAST_POLL_MINUTES: Final = 15
SECONDS_PER_HOUR: Final = 3600
# 12 BCD digits fill the 48 bits of a summation.
_BCD_MODULUS: Final = 10**12
_INT24_SPAN: Final = 0x100_0000
_UINT48_SPAN: Final = 0x1_0000_0000_0000
# raw x Multiplier is at most 2**72 (22 digits): exact; only a non-terminating quotient rounds.
_DECIMAL: Final = Context(prec=34)

_GET_PROFILE: Final = struct.Struct("<BIB")
_PROFILE_HEADER: Final = struct.Struct("<IBBB")
_INTERVAL_SIZE: Final = 3
_FAST_POLL_REQUEST: Final = struct.Struct("<BB")
_FAST_POLL_RESPONSE: Final = struct.Struct("<BI")
_MIRROR_ENDPOINT_ID: Final = struct.Struct("<H")


# --- enumerations (reference §1.4, §2.2) --------------------------------------------------------


class UnitOfMeasure(IntEnum):
    """UnitofMeasure (0x0300), binary codes; the BCD variant of each is code | 0x80."""

    KILOWATT_HOURS = 0x00
    CUBIC_METERS = 0x01
    CUBIC_FEET = 0x02
    CCF = 0x03
    US_GALLONS = 0x04
    IMPERIAL_GALLONS = 0x05
    BTU = 0x06
    LITERS = 0x07
    KPA_GAUGE = 0x08
    KPA_ABSOLUTE = 0x09
    MCF = 0x0A
    UNITLESS = 0x0B
    MEGAJOULES = 0x0C
    KVAR = 0x0D


class MeteringDeviceType(IntEnum):
    """MeteringDeviceType (0x0306); a mirror reports MIRRORED_OFFSET + the base value."""

    ELECTRIC = 0
    GAS = 1
    WATER = 2
    THERMAL = 3
    PRESSURE = 4
    HEAT = 5
    COOLING = 6
    EV_CHARGING = 7
    PV_GENERATION = 8
    WIND_TURBINE_GENERATION = 9
    WATER_TURBINE_GENERATION = 10
    MICRO_GENERATION = 11
    SOLAR_HOT_WATER_GENERATION = 12
    ELECTRIC_ELEMENT_1 = 13
    ELECTRIC_ELEMENT_2 = 14
    ELECTRIC_ELEMENT_3 = 15


MIRRORED_OFFSET: Final = 127
# Silicon Labs and ESP only: a mirror endpoint not configured yet (reference §1.4).
UNDEFINED_MIRROR_METER: Final = 0xFE


class IntervalChannel(IntEnum):
    """GetProfile IntervalChannel; 2 and 3 are SE 1.4 (reference §2.2, §8: accept)."""

    CONSUMPTION_DELIVERED = 0
    CONSUMPTION_RECEIVED = 1
    REACTIVE_CONSUMPTION_DELIVERED = 2
    REACTIVE_CONSUMPTION_RECEIVED = 3


class ProfileStatus(IntEnum):
    """GetProfileResponse Status (reference §2.2); every source lists these six and no more."""

    SUCCESS = 0x00
    UNDEFINED_INTERVAL_CHANNEL = 0x01
    INTERVAL_CHANNEL_NOT_SUPPORTED = 0x02
    INVALID_END_TIME = 0x03
    MORE_PERIODS_REQUESTED_THAN_CAN_BE_RETURNED = 0x04
    NO_INTERVALS_AVAILABLE = 0x05


class ProfileIntervalPeriod(IntEnum):
    """ProfileIntervalPeriod (attribute 0x000F and GetProfileResponse); 0x08 is SE 1.4."""

    DAILY = 0x00
    MINUTES_60 = 0x01
    MINUTES_30 = 0x02
    MINUTES_15 = 0x03
    MINUTES_10 = 0x04
    MINUTES_7_5 = 0x05
    MINUTES_5 = 0x06
    MINUTES_2_5 = 0x07
    MINUTES_1 = 0x08

    @property
    def seconds(self) -> int:
        """Return the length of one interval."""
        return _PERIOD_SECONDS[self]


_PERIOD_SECONDS: Final = {
    ProfileIntervalPeriod.DAILY: 86400,
    ProfileIntervalPeriod.MINUTES_60: 3600,
    ProfileIntervalPeriod.MINUTES_30: 1800,
    ProfileIntervalPeriod.MINUTES_15: 900,
    ProfileIntervalPeriod.MINUTES_10: 600,
    ProfileIntervalPeriod.MINUTES_7_5: 450,
    ProfileIntervalPeriod.MINUTES_5: 300,
    ProfileIntervalPeriod.MINUTES_2_5: 150,
    ProfileIntervalPeriod.MINUTES_1: 60,
}


# --- formatting (reference §1.7) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeteringFormat:
    """How a meter's raw values read: the Formatting attribute set (0x03xx) for one quantity.

    formatting is the *Formatting byte that goes with the values (SummationFormatting 0x0303,
    DemandFormatting 0x0304 or HistoricalConsumptionFormatting 0x0305). multiplier and
    divisor are None when the meter does not have the attribute.
    """

    unit_of_measure: int
    device_type: int
    formatting: int
    multiplier: int | None = None
    divisor: int | None = None

    def __post_init__(self) -> None:
        """Refuse attribute values that do not fit their ZCL types."""
        _check_uint("unit of measure", self.unit_of_measure, UINT8_MAX)
        _check_uint("metering device type", self.device_type, UINT8_MAX)
        _check_uint("formatting", self.formatting, UINT8_MAX)
        for name, value in (("multiplier", self.multiplier), ("divisor", self.divisor)):
            if value is not None:
                _check_uint(name, value, UINT24_MAX)

    @property
    def is_bcd(self) -> bool:
        """Whether values are BCD (UnitofMeasure 0x80-0x8D)."""
        return _is_bcd_unit(self.unit_of_measure)


def format_value(raw: int, fmt: MeteringFormat, *, signed24: bool = False) -> Decimal:
    """Return a raw attribute value in the meter's unit of measure (reference §1.7).

    raw is a uint48 summation, a uint24 consumption or interval, or, with signed24, an int24
    demand (InstantaneousDemand 0x0400): given as the 24 wire bits (0..0xFFFFFF) or already
    signed (as zigpy parses it); both are sign-extended alike. For a BCD unit each hex nibble
    of raw is one decimal digit (0x123456 reads 123456); the reference leaves signed BCD
    undefined, so a demand in a BCD unit is refused.
    """
    return _scale(_binary_count(raw, fmt, signed24=signed24), fmt)


def display_precision(formatting: int) -> int:
    """Return the digits right of the decimal point a *Formatting byte asks for (bits 0-2).

    Bits 3-6 (digits left of the point) and 7 (suppress leading zeros) only shape a meter-face
    display; no bit of this byte rescales the value (reference §1.7).
    """
    _check_uint("formatting", formatting, UINT8_MAX)
    return formatting & 0x07


def _binary_count(raw: int, fmt: MeteringFormat, *, signed24: bool) -> int:
    if not signed24:
        _check_uint("raw value", raw, UINT48_MAX, " (uint48)")
        return bcd_decode(raw) if fmt.is_bcd else raw
    if fmt.is_bcd:
        raise MeteringError(
            f"a signed demand in BCD unit 0x{fmt.unit_of_measure:02x} is undefined"
        )
    if not _is_int(raw) or not INT24_MIN <= raw <= UINT24_MAX:
        raise MeteringError(
            f"demand {raw!r} is neither an int24 nor its 24 bits (0..0xffffff)"
        )
    return raw - _INT24_SPAN if raw > UINT24_MAX >> 1 else raw


def _scale(count: int, fmt: MeteringFormat) -> Decimal:
    # "if present and nonzero" (seed 001 §10.4.1): an absent or zero Multiplier or Divisor
    # counts as 1, as ZHA and Rainforest do (reference §1.7, §8). Develco's "just formatting
    # hints" reading is a per-device quirk, not the default.
    multiplier = fmt.multiplier or 1
    divisor = fmt.divisor or 1
    return _DECIMAL.divide(Decimal(count * multiplier), Decimal(divisor))


def bcd_decode(raw: int) -> int:
    """Return the number whose decimal digits are raw's hex nibbles (0x123456 -> 123456)."""
    _check_uint("BCD value", raw, UINT48_MAX, " (uint48)")
    digits = f"{raw:x}"
    if not digits.isdecimal():
        raise MeteringError(f"0x{raw:x} is not BCD: a nibble is above 9")
    return int(digits)


def _bcd_encode(number: int) -> int:
    return int(str(number), 16)


def _is_bcd_unit(unit_of_measure: int) -> bool:
    return (unit_of_measure & ~BCD_FLAG) in _UNITS and bool(unit_of_measure & BCD_FLAG)


# --- Home Assistant units ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeteringUnit:
    """How Home Assistant shows the values of one unit of measure and device type.

    device_class and unit are for summations, consumption and profile intervals;
    demand_device_class and demand_unit for demand (InstantaneousDemand, max demand). Both
    are HA's strings (``SensorDeviceClass`` values, ``UnitOf*`` values) or None when HA has no
    matching class or unit. Multiply a format_value result by scale (demand_scale) to get it
    in unit (demand_unit); the scale is 1 unless HA lacks the meter's own unit.
    """

    device_class: str | None
    unit: str | None
    scale: Decimal
    demand_device_class: str | None
    demand_unit: str | None
    demand_scale: Decimal


_ONE: Final = Decimal(1)
# Exact by definition: 1 ft = 0.3048 m, 1 imperial gallon = 4.54609 L, 1 BTU (IT) = 1055.05585262 J.
_CUBIC_FOOT_M3: Final = Decimal("0.028316846592")
_IMPERIAL_GALLON_L: Final = Decimal("4.54609")
_BTU_KJ: Final = Decimal("1.05505585262")
_BTU_PER_HOUR_W: Final = _DECIMAL.divide(Decimal("1055.05585262"), Decimal(3600))

_VOLUME: Final = "volume"
# Units HA's gas and water device classes accept (DEVICE_CLASS_UNITS in sensor/const.py);
# any other volume unit, or a volume on a meter that is neither, takes the generic "volume".
_VOLUME_CLASS_UNITS: Final[
    dict[MeteringDeviceType | None, tuple[str, frozenset[str]]]
] = {
    MeteringDeviceType.GAS: ("gas", frozenset({"m³", "ft³", "CCF", "MCF", "L"})),
    MeteringDeviceType.WATER: (
        "water",
        frozenset({"m³", "ft³", "CCF", "MCF", "L", "gal"}),
    ),
}
_UNITLESS: Final = MeteringUnit(None, None, _ONE, None, None, _ONE)

# Per binary unit code: the summation (class, unit, scale) and demand (class, unit, scale).
# Summations of a volume carry _VOLUME, resolved by device type. Demand in kW stays kW, the
# unit the spec gives (ZHA multiplies by 1000 to show W). Pressure: a kPa reading is neither
# a total nor HA's "pressure" measurement when it sits in summation attributes, so no class.
_UNITS: Final[dict[int, MeteringUnit]] = {
    UnitOfMeasure.KILOWATT_HOURS: MeteringUnit(
        "energy", "kWh", _ONE, "power", "kW", _ONE
    ),
    UnitOfMeasure.CUBIC_METERS: MeteringUnit(
        _VOLUME, "m³", _ONE, "volume_flow_rate", "m³/h", _ONE
    ),
    # HA has no ft³/h, CCF/h or MCF/h: flows of cubic feet go to m³/h (exact factors).
    UnitOfMeasure.CUBIC_FEET: MeteringUnit(
        _VOLUME, "ft³", _ONE, "volume_flow_rate", "m³/h", _CUBIC_FOOT_M3
    ),
    UnitOfMeasure.CCF: MeteringUnit(
        _VOLUME, "CCF", _ONE, "volume_flow_rate", "m³/h", 100 * _CUBIC_FOOT_M3
    ),
    UnitOfMeasure.US_GALLONS: MeteringUnit(
        _VOLUME, "gal", _ONE, "volume_flow_rate", "gal/h", _ONE
    ),
    # HA's "gal" is the US gallon; imperial gallons go to litres.
    UnitOfMeasure.IMPERIAL_GALLONS: MeteringUnit(
        _VOLUME, "L", _IMPERIAL_GALLON_L, "volume_flow_rate", "L/h", _IMPERIAL_GALLON_L
    ),
    # HA's energy and power classes take neither BTU nor BTU/h.
    UnitOfMeasure.BTU: MeteringUnit(
        "energy", "kJ", _BTU_KJ, "power", "W", _BTU_PER_HOUR_W
    ),
    UnitOfMeasure.LITERS: MeteringUnit(
        _VOLUME, "L", _ONE, "volume_flow_rate", "L/h", _ONE
    ),
    UnitOfMeasure.KPA_GAUGE: MeteringUnit(None, "kPa", _ONE, None, "kPa", _ONE),
    UnitOfMeasure.KPA_ABSOLUTE: MeteringUnit(None, "kPa", _ONE, None, "kPa", _ONE),
    # 0x0A is mcf & mcf/h and 0x0C MJ & MJ/s (= MW) by the reference's resolution (§8).
    UnitOfMeasure.MCF: MeteringUnit(
        _VOLUME, "MCF", _ONE, "volume_flow_rate", "m³/h", 1000 * _CUBIC_FOOT_M3
    ),
    UnitOfMeasure.UNITLESS: _UNITLESS,
    UnitOfMeasure.MEGAJOULES: MeteringUnit("energy", "MJ", _ONE, "power", "MW", _ONE),
    UnitOfMeasure.KVAR: MeteringUnit(
        "reactive_energy", "kvarh", _ONE, "reactive_power", "kvar", _ONE
    ),
}


def unit_for(unit_of_measure: int, device_type: int) -> MeteringUnit:
    """Return HA's device classes and units for a UnitofMeasure and MeteringDeviceType.

    A BCD code maps like its binary code. A reserved code (0x0E-0x7F, 0x8E-0xFF) names no
    unit: its values show bare, like Unitless.
    """
    _check_uint("unit of measure", unit_of_measure, UINT8_MAX)
    _check_uint("metering device type", device_type, UINT8_MAX)
    unit = _UNITS.get(unit_of_measure & ~BCD_FLAG, _UNITLESS)
    if unit.device_class != _VOLUME:
        return unit
    device_class, accepted = _VOLUME_CLASS_UNITS.get(
        base_device_type(device_type), (_VOLUME, frozenset())
    )
    return MeteringUnit(
        device_class if unit.unit in accepted else _VOLUME,
        unit.unit,
        unit.scale,
        unit.demand_device_class,
        unit.demand_unit,
        unit.demand_scale,
    )


def base_device_type(device_type: int) -> MeteringDeviceType | None:
    """Return the meter type, mirrored or not; None for a reserved or undefined-mirror type."""
    _check_uint("metering device type", device_type, UINT8_MAX)
    if device_type >= MIRRORED_OFFSET:
        device_type -= MIRRORED_OFFSET
    try:
        return MeteringDeviceType(device_type)
    except ValueError:
        return None


# --- Status (0x0200, reference §1.3) ------------------------------------------------------------

# Bit 0 first; None for a bit the layout leaves undefined or reserved.
_ELECTRIC_STATUS: Final = (
    "check_meter",
    "low_battery",
    "tamper_detect",
    "power_failure",
    "power_quality",
    "leak_detect",
    "service_disconnect_open",
    None,
)
_GAS_STATUS: Final = (
    "check_meter",
    "low_battery",
    "tamper_detect",
    None,
    "low_pressure",
    "leak_detect",
    "service_disconnect",
    "reverse_flow",
)
_WATER_STATUS: Final = (
    "check_meter",
    "low_battery",
    "tamper_detect",
    "pipe_empty",
    "low_pressure",
    "leak_detect",
    "service_disconnect",
    "reverse_flow",
)
# Bit 7 is FlowSensor in Silicon Labs' and ESP's tables; ZHA's REVERSE_FLOW is its error
# (reference §1.3, §8).
_HEAT_AND_COOLING_STATUS: Final = (
    "check_meter",
    "low_battery",
    "tamper_detect",
    "temperature_sensor",
    "burst_detect",
    "leak_detect",
    "service_disconnect",
    "flow_sensor",
)
_STATUS_LAYOUTS: Final[dict[MeteringDeviceType | None, tuple[str | None, ...]]] = {
    MeteringDeviceType.ELECTRIC: _ELECTRIC_STATUS,
    MeteringDeviceType.GAS: _GAS_STATUS,
    MeteringDeviceType.WATER: _WATER_STATUS,
    MeteringDeviceType.THERMAL: _HEAT_AND_COOLING_STATUS,
    MeteringDeviceType.HEAT: _HEAT_AND_COOLING_STATUS,
    MeteringDeviceType.COOLING: _HEAT_AND_COOLING_STATUS,
    MeteringDeviceType.EV_CHARGING: _ELECTRIC_STATUS,
    MeteringDeviceType.PV_GENERATION: _ELECTRIC_STATUS,
    MeteringDeviceType.WIND_TURBINE_GENERATION: _ELECTRIC_STATUS,
    MeteringDeviceType.WATER_TURBINE_GENERATION: _ELECTRIC_STATUS,
    MeteringDeviceType.MICRO_GENERATION: _ELECTRIC_STATUS,
    MeteringDeviceType.ELECTRIC_ELEMENT_1: _ELECTRIC_STATUS,
    MeteringDeviceType.ELECTRIC_ELEMENT_2: _ELECTRIC_STATUS,
    MeteringDeviceType.ELECTRIC_ELEMENT_3: _ELECTRIC_STATUS,
}


def status_flag_names(device_type: int) -> tuple[str, ...]:
    """Return the named Status (0x0200) bits of a device type's layout, bit 0 first."""
    layout = _STATUS_LAYOUTS.get(base_device_type(device_type), ())
    return tuple(name for name in layout if name)


def all_status_flag_names() -> frozenset[str]:
    """Return every name any device type's Status layout has."""
    return frozenset(
        name for layout in _STATUS_LAYOUTS.values() for name in layout if name
    )


def status_flags(status: int, device_type: int) -> frozenset[str]:
    """Return the names of the Status (0x0200) bits set, in the device type's layout.

    Pressure and solar hot water meters, reserved types and bits a layout leaves undefined
    name nothing.
    """
    _check_uint("status", status, UINT8_MAX)
    layout = _STATUS_LAYOUTS.get(base_device_type(device_type), ())
    return frozenset(
        name for bit, name in enumerate(layout) if name and status & (1 << bit)
    )


# --- UTCTime (reference §6) ---------------------------------------------------------------------


def datetime_from_utc_time(utc_time: int) -> datetime | None:
    """Return a UTCTime as an aware UTC datetime; None for 0xFFFFFFFF (invalid)."""
    _check_uint("UTCTime", utc_time, UINT32_MAX)
    if utc_time == UTC_TIME_INVALID:
        return None
    return ZCL_EPOCH + timedelta(seconds=utc_time)


# --- GetProfile / GetProfileResponse (reference §2.2) -------------------------------------------


def encode_get_profile(channel: int, end_time: int, periods: int) -> bytes:
    """Encode GetProfile (Metering client -> server command 0x00), 6 bytes.

    end_time is a UTCTime: the newest block whose end is <= end_time, 0 for the most recent.
    periods is how many intervals to return (the meter caps it at MaxNumberOfPeriodsDelivered).
    """
    _check_member("interval channel", channel, IntervalChannel)
    _check_uint(
        "end time", end_time, UTC_TIME_INVALID - 1, " (UTCTime, 0 = most recent)"
    )
    if not _is_int(periods) or not 1 <= periods <= UINT8_MAX:
        raise MeteringError(f"number of periods {periods!r} is not 1..255")
    return _GET_PROFILE.pack(channel, end_time, periods)


@dataclass(frozen=True, slots=True)
class ProfileResponse:
    """A GetProfileResponse (Metering server -> client command 0x00).

    end_time (UTCTime) ends the newest interval. intervals come newest first: interval i
    covers (end_time - (i+1) x period, end_time - i x period]; None is an invalid interval
    (0xFFFFFF). Meters may send fewer intervals than number_of_periods_announced says.
    """

    end_time: int
    status: ProfileStatus
    interval_period: ProfileIntervalPeriod
    number_of_periods_announced: int
    intervals: tuple[int | None, ...]

    def __post_init__(self) -> None:
        """Refuse fields that do not fit the frame."""
        _check_uint("end time", self.end_time, UINT32_MAX)
        _check_member("profile status", self.status, ProfileStatus, enum_only=True)
        _check_member(
            "profile interval period",
            self.interval_period,
            ProfileIntervalPeriod,
            enum_only=True,
        )
        _check_uint("number of periods", self.number_of_periods_announced, UINT8_MAX)
        if not isinstance(self.intervals, tuple):
            raise MeteringError(f"intervals must be a tuple, got {self.intervals!r}")
        if len(self.intervals) > self.number_of_periods_announced:
            raise MeteringError(
                f"{len(self.intervals)} intervals, more than the "
                f"{self.number_of_periods_announced} announced"
            )
        for interval in self.intervals:
            if interval is not None:
                _check_uint(
                    "interval", interval, INVALID_INTERVAL - 1, " (0xffffff is None)"
                )

    @property
    def interval_seconds(self) -> int:
        """Return the length of one interval."""
        return self.interval_period.seconds


def decode_get_profile_response(data: bytes) -> ProfileResponse:
    """Decode a GetProfileResponse payload: 7 bytes + 3 per interval.

    The intervals are those in the frame, not the count the header announces: devices send
    fewer (reference §2.2, §8 "read to end, compare with n"); more than announced, or a
    partial interval, is refused. Intervals are kept whatever the status (0x04 carries some).
    """
    if len(data) < _PROFILE_HEADER.size:
        raise MeteringError(
            f"GetProfileResponse of {len(data)} bytes is shorter than its 7-byte header"
        )
    end_time, status, period, announced = _PROFILE_HEADER.unpack_from(data)
    body = data[_PROFILE_HEADER.size :]
    if len(body) % _INTERVAL_SIZE:
        raise MeteringError(
            f"GetProfileResponse ends in a partial interval: {len(body)} bytes after the "
            "header is not a multiple of 3"
        )
    intervals = tuple(
        None if value == INVALID_INTERVAL else value
        for value in (
            int.from_bytes(body[offset : offset + _INTERVAL_SIZE], "little")
            for offset in range(0, len(body), _INTERVAL_SIZE)
        )
    )
    if len(intervals) > announced:
        raise MeteringError(
            f"GetProfileResponse carries {len(intervals)} intervals but announces {announced}"
        )
    return ProfileResponse(
        end_time=end_time,
        status=_member("GetProfileResponse status", status, ProfileStatus),
        interval_period=_member(
            "GetProfileResponse interval period", period, ProfileIntervalPeriod
        ),
        number_of_periods_announced=announced,
        intervals=intervals,
    )


# --- RequestFastPollMode (reference §2.2, seed 001 §10.4.3) -------------------------------------


@dataclass(frozen=True, slots=True)
class FastPollModeResponse:
    """A RequestFastPollModeResponse (Metering server -> client command 0x03).

    applied_update_period is in seconds; end_time is a UTCTime. A request made while fast
    poll is active does not extend end_time.
    """

    applied_update_period: int
    end_time: int

    def __post_init__(self) -> None:
        """Refuse fields that do not fit the frame."""
        _check_uint("applied update period", self.applied_update_period, UINT8_MAX)
        _check_uint("fast poll end time", self.end_time, UINT32_MAX)


def encode_request_fast_poll_mode(update_period_s: int, duration_min: int) -> bytes:
    """Encode RequestFastPollMode (Metering client -> server command 0x03), 2 bytes.

    The meter applies at least its FastPollUpdatePeriod (0x000B) and at most update_period_s.
    """
    if not _is_int(update_period_s) or not 1 <= update_period_s <= UINT8_MAX:
        raise MeteringError(
            f"fast poll update period {update_period_s!r} is not 1..255 s"
        )
    if not _is_int(duration_min) or not 1 <= duration_min <= MAX_FAST_POLL_MINUTES:
        raise MeteringError(
            f"fast poll duration {duration_min!r} is not 1..{MAX_FAST_POLL_MINUTES} min"
        )
    return _FAST_POLL_REQUEST.pack(update_period_s, duration_min)


def decode_fast_poll_mode_response(data: bytes) -> FastPollModeResponse:
    """Decode a RequestFastPollModeResponse payload: period uint8, end time UTCTime."""
    if len(data) != _FAST_POLL_RESPONSE.size:
        raise MeteringError(f"RequestFastPollModeResponse is 5 bytes, got {len(data)}")
    period, end_time = _FAST_POLL_RESPONSE.unpack(data)
    return FastPollModeResponse(period, end_time)


# --- mirroring (reference §2.2 "Mirroring", seed 001 §10.4.5) ----------------------------------

#: EndPointID of RequestMirrorResponse: the ESI cannot mirror; of MirrorRemoved: no mirror was
#: removed (reference §2.2; Silicon Labs' meter-mirror plugin answers both with it).
MIRROR_NOT_POSSIBLE: Final = 0xFFFF
#: The mirror endpoints an EndPointID may name: its low byte, 0x01-0xF0 (reference §2.2).
FIRST_MIRROR_ENDPOINT: Final = 0x01
LAST_MIRROR_ENDPOINT: Final = 0xF0


def encode_request_mirror() -> bytes:
    """Encode RequestMirror (Metering server -> client command 0x01): no payload."""
    return b""


def decode_request_mirror(data: bytes) -> None:
    """Check a RequestMirror payload, which is empty."""
    if data:
        raise MeteringError(f"RequestMirror has no payload, got {len(data)} bytes")


def encode_remove_mirror() -> bytes:
    """Encode RemoveMirror (Metering server -> client command 0x02): no payload."""
    return b""


def decode_remove_mirror(data: bytes) -> None:
    """Check a RemoveMirror payload, which is empty."""
    if data:
        raise MeteringError(f"RemoveMirror has no payload, got {len(data)} bytes")


def encode_request_mirror_response(endpoint_id: int) -> bytes:
    """Encode RequestMirrorResponse (client -> server 0x01): EndPointID uint16.

    endpoint_id is the mirror's endpoint (0x01-0xF0) or MIRROR_NOT_POSSIBLE.
    """
    _check_mirror_endpoint("RequestMirrorResponse", endpoint_id)
    return _MIRROR_ENDPOINT_ID.pack(endpoint_id)


def decode_request_mirror_response(data: bytes) -> int:
    """Decode a RequestMirrorResponse payload: the mirror endpoint or MIRROR_NOT_POSSIBLE."""
    return _decode_mirror_endpoint("RequestMirrorResponse", data)


def encode_mirror_removed(endpoint_id: int) -> bytes:
    """Encode MirrorRemoved (client -> server 0x02): RemovedEndPointID uint16.

    endpoint_id is the endpoint of the mirror removed, MIRROR_NOT_POSSIBLE when there was none.
    """
    _check_mirror_endpoint("MirrorRemoved", endpoint_id)
    return _MIRROR_ENDPOINT_ID.pack(endpoint_id)


def decode_mirror_removed(data: bytes) -> int:
    """Decode a MirrorRemoved payload: the removed endpoint or MIRROR_NOT_POSSIBLE."""
    return _decode_mirror_endpoint("MirrorRemoved", data)


def _check_mirror_endpoint(command: str, endpoint_id: object) -> None:
    if endpoint_id == MIRROR_NOT_POSSIBLE and _is_int(endpoint_id):
        return
    _check_uint(f"{command} endpoint", endpoint_id, LAST_MIRROR_ENDPOINT)
    if endpoint_id == 0:
        raise MeteringError(
            f"{command} endpoint 0 is the ZDO's; mirrors are 0x01-0xf0 or 0xffff"
        )


def _decode_mirror_endpoint(command: str, data: bytes) -> int:
    if len(data) != _MIRROR_ENDPOINT_ID.size:
        raise MeteringError(f"{command} is 2 bytes, got {len(data)}")
    (endpoint_id,) = _MIRROR_ENDPOINT_ID.unpack(data)
    _check_mirror_endpoint(command, endpoint_id)
    return int(endpoint_id)


# --- summations and profiles over time ----------------------------------------------------------


def summation_delta(previous_raw: int, current_raw: int, *, bcd: bool = False) -> int:
    """Return what a summation counted from previous_raw to current_raw, across a rollover.

    A binary summation wraps at 2**48, a BCD one (bcd=True) at 10**12; the result is in the
    inputs' representation, so format_value turns it into the unit of measure. A counter that
    went backwards (meter replaced or reset) reads as a wrap too: judging that is the caller's.
    """
    _check_uint("previous summation", previous_raw, UINT48_MAX, " (uint48)")
    _check_uint("current summation", current_raw, UINT48_MAX, " (uint48)")
    if not bcd:
        return (current_raw - previous_raw) % _UINT48_SPAN
    delta = (bcd_decode(current_raw) - bcd_decode(previous_raw)) % _BCD_MODULUS
    return _bcd_encode(delta)


class HourlyConsumption(NamedTuple):
    """Consumption in one UTC hour, raw as the profile intervals are."""

    hour_start: datetime
    consumption_raw: int


def hourly_consumption(
    end_time: int,
    interval_seconds: int,
    intervals: Sequence[int | None],
    *,
    bcd: bool = False,
) -> tuple[HourlyConsumption, ...]:
    """Sum profile intervals (newest first, as GetProfileResponse has them) into UTC hours.

    end_time is the UTCTime ending the newest interval (reference §2.2: "data from 14:00-15:00
    is the interval with end time 15:00"). Each interval goes to the hour holding its
    midpoint: for intervals aligned on the clock, as meters keep them, that is the hour
    holding the whole interval, and a meter clock off by less than half an interval still
    puts every interval in its own hour. Only hours covered in full by valid intervals come
    back, oldest first: an hour cut at either end of the response, or holding an invalid
    (None) interval, would understate it; the caller fetches an overlapping block for it.

    Intervals longer than an hour (daily profiles) are refused: spreading a day evenly over
    24 hours would invent a flat hourly shape. With bcd, intervals and sums are BCD, so
    format_value applies to the sums as it does to the intervals.
    """
    _check_uint("end time", end_time, UTC_TIME_INVALID - 1, " (UTCTime)")
    if _is_int(interval_seconds) and interval_seconds > SECONDS_PER_HOUR:
        raise MeteringError(
            f"intervals of {interval_seconds} s are longer than an hour: "
            "they do not split into hours"
        )
    if (
        not _is_int(interval_seconds)
        or interval_seconds <= 0
        or SECONDS_PER_HOUR % interval_seconds
    ):
        raise MeteringError(
            f"intervals of {interval_seconds!r} s do not divide an hour into whole intervals"
        )
    sums: defaultdict[int, int] = defaultdict(int)
    counts: defaultdict[int, int] = defaultdict(int)
    for index, interval in enumerate(intervals):
        if interval is None:
            continue
        _check_uint("interval", interval, INVALID_INTERVAL - 1, " (0xffffff is None)")
        # Twice the midpoint end - (index + 1/2) x period, to stay in integers.
        hour = (2 * end_time - (2 * index + 1) * interval_seconds) // (
            2 * SECONDS_PER_HOUR
        )
        sums[hour] += bcd_decode(interval) if bcd else interval
        counts[hour] += 1
    per_hour = SECONDS_PER_HOUR // interval_seconds
    return tuple(
        HourlyConsumption(
            ZCL_EPOCH + timedelta(hours=hour),
            _bcd_encode(sums[hour]) if bcd else sums[hour],
        )
        for hour in sorted(sums)
        if counts[hour] == per_hour
    )


# --- checks -------------------------------------------------------------------------------------


def _is_int(value: object) -> TypeIs[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_uint(name: str, value: object, maximum: int, note: str = "") -> None:
    if not _is_int(value):
        raise MeteringError(f"{name} {value!r} is not an integer")
    if value < 0:
        raise MeteringError(f"{name} {value} is negative{note}")
    if value > maximum:
        raise MeteringError(f"{name} {value:#x} is above {maximum:#x}{note}")


def _check_member(
    name: str, value: object, enum: type[IntEnum], *, enum_only: bool = False
) -> None:
    if enum_only and not isinstance(value, enum):
        raise MeteringError(f"{name} {value!r} is not a {enum.__name__}")
    if not _is_int(value) or value not in set(enum):
        raise MeteringError(f"{name} {value!r} is not one of {[int(m) for m in enum]}")


def _member[E: IntEnum](name: str, value: int, enum: type[E]) -> E:
    try:
        return enum(value)
    except ValueError:
        raise MeteringError(f"{name} 0x{value:02x} is not defined") from None
