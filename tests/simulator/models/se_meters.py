"""Smart Energy meters (Metering 0x0702 servers) with a synthetic load and a real history.

Written from the Smart Energy wire reference (``/work/shared/research/smart_energy_reference.md``,
cited as [REF §N]) and the STM32WB SE application note (seed 001 §10.4, [AN §10.4.x]);
nothing is imported from the integration, whose codecs these models test.

Four models:

- `se_electricity_meter`: profile 0x0109, electric (device type 0), kWh binary, multiplier
  1 / divisor 1000 (raw Wh, W), import (delivered) and export (received: a midday PV shape)
  with TOU tiers 1-4, signed InstantaneousDemand (negative when exporting), GetProfile on
  both channels, RequestFastPollMode.  One outage window in its history: that interval is
  invalid (0xFFFFFF in a profile).
- `se_gas_meter`: a sleepy end device (long poll 7 s, Poll Control check-ins), gas, m³
  (raw litres), 30-minute intervals, 12 periods per request and the "announces more
  intervals than it sends" quirk [REF §2.2, §8] on by default.
- `se_water_meter`: water, litres **BCD** (0x87): summations and profile intervals are
  BCD-encoded [REF §1.7 "BCD units"], no InstantaneousDemand (signed BCD is undefined),
  daily intervals.
- `se_plug_2781`: an HA-profile smart plug like the Innr SP 240 of zha-device-handlers
  issue #2781 ("summation delivered kWh value is 100x expected value").

Time: every meter has a UTC wall clock on the network's virtual clock (``set_clock``); the
load curve is a deterministic function of that clock and a seed: consumption accrues
interval by interval, the summation registers are the sum of the completed intervals since
the meter's history start plus the accumulating (partial) interval, so a full profile adds
up to the summation.  State lives in ``device.state`` (JSON, persisted).

In a network whose clock follows wall time (a scaled `SimNetwork`, the dev server) a meter new
to wall time moves its whole timeline (clock, history start, outages, relay log) so that its
clock reads the network's wall time and its history ends now; its clock then runs on the
network's, which resumes after a restart with the downtime: the profile fills the downtime
from the load curve, and the summation, the sum of the intervals, counts it too.

Day consumption (``day_consumption=True``, off by default): CurrentDayConsumption
{Delivered,Received} 0x0401 / 0x0402 and PreviousDayConsumption{Delivered,Received}
0x0403 / 0x0404, uint24 in raw units (HistoricalConsumptionFormatting, BCD on a BCD meter)
[REF §1.5].  The day is counted "since the Historical Freeze Time (0x045C), or since local
midnight if that attribute is absent" [REF §1.5]; the spec text (ZSS's descriptions of
0x0401 / 0x0403: "If the optional HFT attribute is not available, default to midnight local
time", PreviousDay: "the previous 24 hour period starting at the HFT") says the same.  These
meters have no HistoricalFreezeTime, so the day starts at the **meter's local midnight**.
A meter's local time is UTC plus the offset it learns from the ESI's Time server
(TimeZone + DstShift; "Clocks in a Smart Energy network are synchronized using the time
cluster", [AN §9.1]): the keyword ``utc_offset`` (seconds east of UTC, default 0, i.e. UTC)
models it as one fixed offset (no DST change is modelled).  Both values are derived from the
same counting as the summation: today = summation now - summation at the day's start,
yesterday = summation at the day's start - summation 24 h earlier, so a whole previous day is
the sum of its intervals (pro-rated where the day boundary falls inside an interval) and
today + the summation at local midnight is the summation.  They roll over at local midnight
(today -> yesterday, today restarts at 0), are refreshed with the summation (ticks, reads)
and reported if Configure Reporting asks for them (no default reporting).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
import dataclasses
from datetime import UTC, datetime, timedelta
import hashlib
import math
from typing import Any, Final

import zigpy.types as t
from zigpy.zcl import foundation
from zigpy.zcl.clusters import general, smartenergy

from tests.simulator.clock import ClockTimer
from tests.simulator.device import (
    SE_PROFILE,
    Attr,
    ClusterResponse,
    CommandContext,
    HandlerResult,
    RecordedFrame,
    ReportingConfig,
    SimCluster,
    SimDevice,
)

from .common import (
    POWER_BATTERY,
    add_basic,
    add_identify_groups_scenes,
    add_poll_control,
    resolve_ieee,
)
from .se_drlc import DrlcServer
from .se_messaging import MessagingServer
from .se_mirror import MirrorClient
from .se_price import PriceServer

Status = foundation.Status

METERING: Final = 0x0702
#: SE device type "Metering Device" (simple descriptor).
DEVICE_TYPE_METERING: Final = 0x0501
#: HA device type ON_OFF_PLUG_IN_UNIT (266), as in the #2781 signature.
DEVICE_TYPE_PLUG_IN_UNIT: Final = 0x010A

#: UTCTime epoch [REF §6]; 0xFFFFFFFF invalid.
ZCL_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
UTC_INVALID: Final = 0xFFFFFFFF
DEFAULT_WALL_CLOCK: Final = datetime(2026, 3, 2, tzinfo=UTC)

# GetProfile / GetProfileResponse [REF §2.2]
CMD_GET_PROFILE: Final = 0x00
CMD_GET_PROFILE_RESPONSE: Final = 0x00
CMD_REQUEST_FAST_POLL_MODE: Final = 0x03
CMD_REQUEST_FAST_POLL_MODE_RESPONSE: Final = 0x03
CHANNEL_DELIVERED: Final = 0
CHANNEL_RECEIVED: Final = 1
#: SE 1.4 channels 2 / 3 (reactive delivered / received) are defined [REF §2.2].
DEFINED_CHANNELS: Final = (0, 1, 2, 3)
STATUS_SUCCESS: Final = 0x00
STATUS_UNDEFINED_CHANNEL: Final = 0x01
STATUS_CHANNEL_NOT_SUPPORTED: Final = 0x02
STATUS_INVALID_END_TIME: Final = 0x03
STATUS_MORE_PERIODS_REQUESTED: Final = 0x04
STATUS_NO_INTERVALS: Final = 0x05
INVALID_INTERVAL: Final = 0xFFFFFF

#: ProfileIntervalPeriod enum -> seconds [REF §2.2].
PERIOD_SECONDS: Final = {
    0x00: 86400,
    0x01: 3600,
    0x02: 1800,
    0x03: 900,
    0x04: 600,
    0x05: 450,
    0x06: 300,
    0x07: 150,
    0x08: 60,
}
#: RequestFastPollMode Duration "at most 15 minutes" [REF §2.2, ZSS].
MAX_FAST_POLL_MINUTES: Final = 15

# Status (0x0200) bits [REF §1.3]
STATUS_CHECK_METER: Final = 0x01
STATUS_LOW_BATTERY: Final = 0x02
STATUS_POWER_FAILURE: Final = 0x08  # electric only


def zcl_time(when: datetime) -> int:
    """Return UTCTime (seconds since 2000-01-01 UTC) of ``when`` (naive = UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int((when - ZCL_EPOCH).total_seconds())


def from_zcl_time(value: float) -> datetime:
    """Return the aware UTC datetime of a UTCTime."""
    return ZCL_EPOCH + timedelta(seconds=value)


def to_bcd(value: int, digits: int) -> int:
    """Encode ``value`` as BCD: each nibble one decimal digit (123456 -> 0x123456)."""
    if value < 0 or value >= 10**digits:
        raise ValueError(f"{value} does not fit {digits} BCD digits")
    return int(str(value), 16)


def from_bcd(value: int) -> int:
    """Decode a BCD integer (0x123456 -> 123456)."""
    return int(f"{value:x}")


def _unit(seed: int, *parts: object) -> float:
    """Return a deterministic uniform number in [0, 1) for (seed, parts)."""
    text = ":".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=6).digest(), "big") / 2**48


def _bump(hour: float, centre: float, width: float) -> float:
    distance = min(abs(hour - centre), 24 - abs(hour - centre))
    return math.exp(-0.5 * (distance / width) ** 2)


def _hour(utc: float) -> float:
    return (utc % 86400) / 3600


# -- load curves: (delivered, received) rates in raw units per hour ----------------------


def _electric_rates(meter: SEMeter, utc: float, start: int) -> tuple[float, float]:
    """House load (W) minus a PV shape (W): import and export of the net flow."""
    h = _hour(utc)
    seed = meter.seed
    load = (
        180
        + 1300 * _bump(h, 7.5, 0.8)
        + 350 * _bump(h, 12.5, 1.5)
        + 1900 * _bump(h, 19.5, 1.4)
    ) * (0.8 + 0.4 * _unit(seed, "load", start))
    pv = 0.0
    if 6 < h < 18:
        day = int(utc // 86400)
        clouds = (0.55 + 0.45 * _unit(seed, "sky", day)) * (
            0.9 + 0.2 * _unit(seed, "pv", start)
        )
        pv = 3600 * math.sin(math.pi * (h - 6) / 12) * clouds
    net = load - pv
    return max(0.0, net), max(0.0, -net)


def _gas_rates(meter: SEMeter, utc: float, start: int) -> tuple[float, float]:
    """Heating and hot water (litres/h = 0.001 m³/h)."""
    h = _hour(utc)
    rate = 35 + 950 * _bump(h, 6.5, 1.0) + 700 * _bump(h, 18.5, 1.6)
    return rate * (0.75 + 0.5 * _unit(meter.seed, "gas", start)), 0.0


def _water_rates(meter: SEMeter, utc: float, start: int) -> tuple[float, float]:
    """Household water (litres/h)."""
    h = _hour(utc)
    day = int(utc // 86400)
    rate = 1.5 + 70 * _bump(h, 7.2, 0.6) + 45 * _bump(h, 20.5, 1.0)
    return rate * (0.7 + 0.6 * _unit(meter.seed, "water", day)), 0.0


def _plug_rates(meter: SEMeter, utc: float, start: int) -> tuple[float, float]:
    """A fridge-like load (units of the summation per hour) while the relay is on."""
    if not meter.relay_on_at(utc):
        return 0.0, 0.0
    h = _hour(utc)
    watts = 45 + 60 * (_unit(meter.seed, "plug", start) > 0.55) + 30 * _bump(h, 19, 2)
    return watts * meter.kind.raw_wh, 0.0


@dataclasses.dataclass(frozen=True)
class MeterKind:
    """What distinguishes the meter models."""

    key: str
    rates: Callable[[SEMeter, float, int], tuple[float, float]]
    #: Profile channels the meter records (GetProfile 0x02 for the other defined ones).
    channels: tuple[int, ...] = (CHANNEL_DELIVERED,)
    bcd: bool = False
    has_demand: bool = True
    tiers: int = 0
    get_profile: bool = True
    fast_poll: bool = True
    #: Reporting without a Configure Reporting record: attribute -> (min, max) seconds.
    default_reporting: tuple[tuple[str, int, int], ...] = ()
    #: Integration step of the load curve (seconds; at most the interval period).
    step: int = 900
    #: Raw summation units per Wh (plug only: 0.01 kWh = 10 Wh -> 0.1).
    raw_wh: float = 1.0


SUMM_NAMES: Final = {
    CHANNEL_DELIVERED: "current_summ_delivered",
    CHANNEL_RECEIVED: "current_summ_received",
}
PARTIAL_START: Final = {
    CHANNEL_DELIVERED: (0x0405, "cur_part_profile_int_start_time_delivered"),
    CHANNEL_RECEIVED: (0x0406, "cur_part_profile_int_start_time_received"),
}
#: (CurrentDayConsumption, PreviousDayConsumption) of a channel [REF §1.5].
DAY_NAMES: Final = {
    CHANNEL_DELIVERED: (
        "currentday_consumption_delivered",  # 0x0401
        "previousday_consumption_delivered",  # 0x0403
    ),
    CHANNEL_RECEIVED: (
        "currentday_consumption_received",  # 0x0402
        "previousday_consumption_received",  # 0x0404
    ),
}
PARTIAL_VALUE: Final = {
    CHANNEL_DELIVERED: (0x0407, "cur_part_profile_int_value_delivered"),
    CHANNEL_RECEIVED: (0x0408, "cur_part_profile_int_value_received"),
}


def tier_attr_name(tier: int, channel: int) -> str:
    """Return zigpy's name of CurrentTier<N>Summation{Delivered,Received}.

    Ids interleave: 0x0100 + 2(N-1) delivered, 0x0101 + 2(N-1) received [REF §1.2].
    """
    side = "delivered" if channel == CHANNEL_DELIVERED else "received"
    return f"current_tier{tier}_summ_{side}"


def tier_of(start: int) -> int:
    """TOU tier of an interval starting at UTCTime ``start`` (hour of day, UTC).

    00-07 tier 1 (night), 07-17 tier 2 (day), 17-21 tier 3 (peak), 21-24 tier 4.
    """
    hour = (start % 86400) // 3600
    if hour < 7:
        return 1
    if hour < 17:
        return 2
    if hour < 21:
        return 3
    return 4


@dataclasses.dataclass(frozen=True)
class Interval:
    """One completed profile interval (ground truth): [start, end) in UTCTime."""

    start: int
    end: int
    #: Consumption over the interval in raw units (not BCD); None: marked invalid.
    value: int | None


class SEMeter:
    """The behaviour of one meter (`meter(device)`); also the device's `DeviceService`."""

    def __init__(self, device: SimDevice, kind: MeterKind) -> None:
        self.device = device
        self.kind = kind
        self._timer: ClockTimer | None = None
        #: Interval values: start -> (delivered, received) before overrides / outages.
        self._values: dict[int, tuple[int, int]] = {}
        #: Running totals: channel -> (end, total, {tier: total}).
        self._cum: dict[int, tuple[int, int, dict[int, int]]] = {}
        #: Last report per attribute key: (virtual time, value).
        self._last: dict[tuple[int, int | None], tuple[float, int]] = {}
        #: Reports sent by the model: (virtual time, UTCTime, attribute names).
        self.reports: list[tuple[float, int, tuple[str, ...]]] = []

    # -- state --------------------------------------------------------------------

    @property
    def _state(self) -> dict[str, Any]:
        return self.device.state

    @property
    def cluster(self) -> SimCluster:
        """Return the Metering server cluster (endpoint 1)."""
        return self.device.cluster(1, METERING)

    @property
    def seed(self) -> int:
        """Return the seed of the load curve."""
        return int(self._state["seed"])

    @property
    def period(self) -> int:
        """Return the profile interval period in seconds."""
        return PERIOD_SECONDS[int(self._state["period_code"])]

    @property
    def period_code(self) -> int:
        """Return the ProfileIntervalPeriod enum value."""
        return int(self._state["period_code"])

    @property
    def max_periods(self) -> int:
        """Return MaxNumberOfPeriodsDelivered (0x0500)."""
        return int(self._state["max_periods"])

    @property
    def announce_extra(self) -> int:
        """Return how many more intervals a GetProfileResponse announces than it carries."""
        return int(self._state.get("announce_extra", 0))

    @announce_extra.setter
    def announce_extra(self, value: int) -> None:
        self._state["announce_extra"] = int(value)
        self.device.changed()

    # -- clock --------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Return the network's virtual time."""
        return self.device.now

    @property
    def utc_exact(self) -> float:
        """Return the meter's UTC clock (UTCTime, fractional)."""
        return float(self._state["utc_base"]) + (
            self.now - float(self._state["utc_set_at"])
        )

    @property
    def utc(self) -> int:
        """Return the meter's UTC clock (UTCTime seconds)."""
        return math.floor(self.utc_exact + 1e-6)  # timers land on whole seconds

    @property
    def wall_clock(self) -> datetime:
        """Return the meter's time as an aware UTC datetime."""
        return from_zcl_time(self.utc_exact)

    def set_clock(self, when: datetime) -> None:
        """Set the meter's UTC clock (naive = UTC); fast poll ends, timers re-armed."""
        self._state["utc_base"] = zcl_time(when)
        self._state["utc_set_at"] = self.now
        self._state["fast_end"] = None
        self._cum.clear()  # time may have gone backwards
        self.device.changed()
        self.refresh()
        self._arm()

    def follow_wall_clock(self, wall: datetime) -> None:
        """Enter a network whose clock follows wall time (a `SimDevice` wall clock hook).

        A meter new to wall time shifts its timeline by whole seconds so that its clock
        reads ``wall``: the history keeps its length and ends now, outages and the relay
        log move with it, overrides by whole intervals.  A restored meter is on the
        network's clock already (resumed with the downtime): nothing changes.
        """
        if self._state.get("follows_wall_clock"):
            return
        shift = zcl_time(wall) - self.utc
        periods = round(shift / self.period)
        state = self._state
        state["history_start"] = self.history_start + shift
        state["outages"] = [[s + shift, e + shift] for s, e in state.get("outages", [])]
        state["relay_log"] = [[w + shift, on] for w, on in state.get("relay_log", [])]
        overrides = {}
        for key, value in state.get("overrides", {}).items():
            channel, start = key.split(":")
            overrides[f"{channel}:{int(start) + periods * self.period}"] = value
        state["overrides"] = overrides
        state["follows_wall_clock"] = True
        self.forget_totals()
        self.set_clock(wall)

    # -- history ------------------------------------------------------------------

    @property
    def history_start(self) -> int:
        """Return the UTCTime the meter started recording."""
        return int(self._state["history_start"])

    @property
    def first_interval_start(self) -> int:
        """Return the start of the first whole interval after the history start."""
        return -(-self.history_start // self.period) * self.period

    @property
    def last_complete_end(self) -> int:
        """Return the end of the newest completed interval."""
        return self.utc // self.period * self.period

    def _in_outage(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self._state.get("outages", []))

    def _raw(self, start: int) -> tuple[int, int]:
        cached = self._values.get(start)
        if cached is None:
            step = min(self.kind.step, self.period)
            delivered = received = 0.0
            for sample in range(start, start + self.period, step):
                rate_d, rate_r = self.kind.rates(self, sample + step / 2, start)
                delivered += rate_d * step / 3600
                received += rate_r * step / 3600
            cached = (round(delivered), round(received))
            self._values[start] = cached
        return cached

    def interval_value(self, channel: int, start: int) -> int | None:
        """Return the consumption of the interval starting at ``start`` (None: invalid)."""
        overrides = self._state.get("overrides", {})
        key = f"{channel}:{start}"
        if key in overrides:
            value = overrides[key]
            return None if value is None else int(value)
        if channel not in self.kind.channels:
            return 0
        if self._in_outage(start, start + self.period):
            return None
        return self._raw(start)[0 if channel == CHANNEL_DELIVERED else 1]

    def intervals(self, channel: int = CHANNEL_DELIVERED) -> list[Interval]:
        """Return every completed interval since the history start, oldest first."""
        period = self.period
        return [
            Interval(start, start + period, self.interval_value(channel, start))
            for start in range(
                self.first_interval_start, self.last_complete_end, period
            )
        ]

    def override_interval(self, channel: int, end: datetime, value: int | None) -> None:
        """Test hook: the interval ending at ``end`` measured ``value`` (None: invalid)."""
        overrides = self._state.setdefault("overrides", {})
        overrides[f"{channel}:{zcl_time(end) - self.period}"] = value
        self._cum.clear()
        self.device.changed()
        self.refresh()

    def add_outage(self, start: datetime, end: datetime) -> None:
        """Test hook: the meter was off in [start, end): overlapping intervals invalid."""
        self._state.setdefault("outages", []).append([zcl_time(start), zcl_time(end)])
        self._cum.clear()
        self.device.changed()
        self.refresh()

    def forget_totals(self) -> None:
        """Drop the cached interval values and running totals (the state changed)."""
        self._values.clear()
        self._cum.clear()

    def _totals(self, channel: int) -> tuple[int, dict[int, int]]:
        """Return (sum, per-tier sums) of the completed intervals."""
        target = self.last_complete_end
        end, total, tiers = self._cum.get(channel, (self.first_interval_start, 0, {}))
        if end > target:
            end, total, tiers = self.first_interval_start, 0, {}
        tiers = dict(tiers)
        for start in range(end, target, self.period):
            value = self.interval_value(channel, start) or 0
            total += value
            tier = tier_of(start)
            tiers[tier] = tiers.get(tier, 0) + value
        end = max(end, target)
        self._cum[channel] = (end, total, tiers)
        return total, tiers

    def partial(self, channel: int = CHANNEL_DELIVERED) -> int:
        """Return the consumption so far in the accumulating interval."""
        start = self.last_complete_end
        if start < self.first_interval_start:
            return 0
        value = self.interval_value(channel, start)
        if not value:
            return 0
        return int(value * (self.utc_exact - start) / self.period)

    def summation(self, channel: int = CHANNEL_DELIVERED) -> int:
        """Return the summation register (raw, not BCD): intervals + partial interval."""
        return self._totals(channel)[0] + self.partial(channel)

    def tier_summation(self, tier: int, channel: int = CHANNEL_DELIVERED) -> int:
        """Return CurrentTier<N>Summation (raw) of ``channel``."""
        _, tiers = self._totals(channel)
        value = tiers.get(tier, 0)
        if tier_of(self.last_complete_end) == tier:
            value += self.partial(channel)
        return value

    # -- registers ----------------------------------------------------------------

    def _encode(self, value: int, digits: int) -> int:
        return to_bcd(value % 10**digits, digits) if self.kind.bcd else value

    # -- day consumption (0x0401-0x0404) ---------------------------------------------

    @property
    def has_day_consumption(self) -> bool:
        """Return True when the meter has Current/PreviousDayConsumption (0x0401-0x0404)."""
        return bool(self._state.get("day_consumption", False))

    @property
    def utc_offset(self) -> int:
        """Return the meter's local time offset (seconds east of UTC)."""
        return int(self._state.get("utc_offset", 0))

    def day_start(self, utc: float | None = None) -> int:
        """Return the UTCTime of the local midnight starting the meter's day at ``utc``.

        No HistoricalFreezeTime: the day starts at local midnight [REF §1.5].  UTCTime 0
        is a UTC midnight, so local days are whole multiples of 86400 s shifted by the offset.
        """
        if utc is None:
            utc = self.utc_exact
        offset = self.utc_offset
        return math.floor(utc + 1e-6 + offset) // 86400 * 86400 - offset

    def _counted_at(self, channel: int, utc: float) -> tuple[int, int]:
        """Split the summation's count at ``utc``: (interval start, count within it).

        The same rule as `last_complete_end` and `partial`: consumption before the first
        whole interval is not counted; inside an interval it accrues pro rata.
        """
        first = self.first_interval_start
        start = math.floor(utc + 1e-6) // self.period * self.period
        if start < first:
            return first, 0
        value = self.interval_value(channel, start)
        if not value:
            return start, 0
        return start, int(value * (utc - start) / self.period)

    def consumed(self, channel: int, since: float, until: float) -> int:
        """Return what the summation register counted from ``since`` to ``until``."""
        start_a, part_a = self._counted_at(channel, since)
        start_b, part_b = self._counted_at(channel, until)
        whole = sum(
            self.interval_value(channel, start) or 0
            for start in range(start_a, start_b, self.period)
        )
        return whole + part_b - part_a

    def today(self, channel: int = CHANNEL_DELIVERED) -> int:
        """Return CurrentDayConsumption (raw, not BCD): since the local midnight."""
        return self.consumed(channel, self.day_start(), self.utc_exact)

    def yesterday(self, channel: int = CHANNEL_DELIVERED) -> int:
        """Return PreviousDayConsumption (raw, not BCD): the whole previous local day."""
        start = self.day_start()
        return self.consumed(channel, start - 86400, start)

    def _day_uint24(self, value: int) -> int:
        return self._encode(min(value, 999_999 if self.kind.bcd else 0xFFFFFF), 6)

    def refresh(self) -> None:
        """Bring the summation registers to the meter's clock (no report)."""
        cluster = self.cluster
        for channel in self.kind.channels:
            cluster.set(
                SUMM_NAMES[channel],
                self._encode(self.summation(channel), 12),
                report=False,
            )
        for tier in range(1, self.kind.tiers + 1):
            for channel in self.kind.channels:
                cluster.set(
                    tier_attr_name(tier, channel),
                    self.tier_summation(tier, channel),
                    report=False,
                )
        if self.has_day_consumption:
            for channel in self.kind.channels:
                today, yesterday = DAY_NAMES[channel]
                for name, value in (
                    (today, self.today(channel)),
                    (yesterday, self.yesterday(channel)),
                ):
                    try:
                        cluster.attr(name)
                    except KeyError:  # rebuilt from a saved state by default options
                        cluster.add_standard_attribute(name, 0)
                    cluster.set(name, self._day_uint24(value), report=False)
        if self.kind.get_profile:
            start = self.last_complete_end
            for channel in self.kind.channels:
                cluster.set(PARTIAL_START[channel][1], start, report=False)
                cluster.set(
                    PARTIAL_VALUE[channel][1],
                    self._encode(
                        min(
                            self.partial(channel),
                            999_999 if self.kind.bcd else 0xFFFFFF,
                        ),
                        6,
                    ),
                    report=False,
                )

    def rate(self) -> float:
        """Return the current net rate (raw units per hour, export negative)."""
        utc = self.utc_exact
        start = self.last_complete_end
        if self._in_outage(start, start + self.period):
            return 0.0
        delivered, received = self.kind.rates(self, utc, start)
        return delivered - received

    def update_demand(self) -> None:
        """Refresh InstantaneousDemand (int24, signed) from the load curve."""
        if not self.kind.has_demand:
            return
        jitter = 0.97 + 0.06 * _unit(self.seed, "demand", self.utc)
        value = round(self.rate() * jitter)
        self.cluster.set(
            "instantaneous_demand", max(-0x800000, min(0x7FFFFF, value)), report=False
        )

    @property
    def demand(self) -> int:
        """Return InstantaneousDemand as last refreshed."""
        return int(self.cluster.get("instantaneous_demand"))

    def set_status(self, bits: int) -> None:
        """Test hook: the Status bitmap (0x0200), reported if configured."""
        self.cluster.set("status", bits, report=False)
        self._tick_reports(force=())

    # -- relay (plug) ---------------------------------------------------------------

    def relay_on_at(self, utc: float) -> bool:
        """Return the OnOff state at ``utc`` from the relay log (plug)."""
        state = True
        for when, on in self._state.get("relay_log", []):
            if when <= utc:
                state = bool(on)
        return state

    def _relay_changed(
        self, cluster: SimCluster, attr: Attr, old: Any, new: Any
    ) -> None:
        if attr.name != "on_off":
            return
        # the accumulating interval keeps its rate sample; cached values after now go
        self._state.setdefault("relay_log", []).append([self.utc, int(bool(new))])
        start = self.last_complete_end
        self._values = {s: v for s, v in self._values.items() if s < start}
        self._cum.clear()
        self.device.changed()
        self.refresh()

    @property
    def update_period(self) -> int:
        """Return the normal register update period: DefaultUpdatePeriod, else 60 s."""
        try:
            return max(1, int(self.cluster.get("default_update_period")))
        except KeyError:
            return 60

    # -- fast poll ------------------------------------------------------------------

    @property
    def fast_poll_until(self) -> int | None:
        """Return FastPollModeEndTime (UTCTime) while fast polling, else None."""
        end = self._state.get("fast_end")
        if end is None or self.utc_exact >= end:
            return None
        return int(end)

    @property
    def fast_poll_period(self) -> int | None:
        """Return the applied fast poll update period while fast polling."""
        if self.fast_poll_until is None:
            return None
        return int(self._state["fast_period"])

    def request_fast_poll_mode(self, ctx: CommandContext) -> HandlerResult:
        """RequestFastPollMode 0x03 -> RequestFastPollModeResponse 0x03 [REF §2.2]."""
        if len(ctx.payload) != 2:
            return Status.MALFORMED_COMMAND
        requested, minutes = ctx.payload
        if self.fast_poll_until is not None:
            # "A request made while fast poll is already active does not extend the
            # end time" (ZSS): the running window and period are answered
            applied = int(self._state["fast_period"])
            end = int(self._state["fast_end"])
        else:
            # "If the request is below 0x000B, the server uses 0x000B"
            applied = max(requested, int(self.cluster.get("fast_poll_update_period")))
            minutes = min(minutes, int(self._state["max_fast_minutes"]))
            end = self.utc + minutes * 60
            self._state["fast_start"] = self.utc
            self._state["fast_end"] = end
            self._state["fast_period"] = applied
            self.device.changed()
            self._arm()
        return ClusterResponse(
            CMD_REQUEST_FAST_POLL_MODE_RESPONSE,
            bytes([applied]) + end.to_bytes(4, "little"),
        )

    # -- GetProfile -------------------------------------------------------------------

    def _profile_response(
        self, end: int, status: int, values: list[int], announced: int | None = None
    ) -> ClusterResponse:
        count = len(values) if announced is None else announced
        body = (
            end.to_bytes(4, "little")
            + bytes([status, self.period_code, min(count, 0xFF)])
            + b"".join(v.to_bytes(3, "little") for v in values)
        )
        return ClusterResponse(CMD_GET_PROFILE_RESPONSE, body)

    def get_profile(self, ctx: CommandContext) -> HandlerResult:
        """GetProfile 0x00 -> GetProfileResponse 0x00 [REF §2.2].

        Errors carry the request's EndTime and no intervals.
        """
        if len(ctx.payload) != 6:
            return Status.MALFORMED_COMMAND
        channel = ctx.payload[0]
        end_time = int.from_bytes(ctx.payload[1:5], "little")
        wanted = ctx.payload[5]
        if channel not in DEFINED_CHANNELS:
            return self._profile_response(end_time, STATUS_UNDEFINED_CHANNEL, [])
        if channel not in self.kind.channels:
            return self._profile_response(end_time, STATUS_CHANNEL_NOT_SUPPORTED, [])
        if end_time > self.utc:  # in the future (0xFFFFFFFF "invalid" too)
            return self._profile_response(end_time, STATUS_INVALID_END_TIME, [])
        period = self.period
        # 0 = the most recent block; else the newest interval whose end <= EndTime
        newest_end = (
            self.last_complete_end if end_time == 0 else end_time // period * period
        )
        available = max(0, (newest_end - self.first_interval_start) // period)
        if available == 0:
            return self._profile_response(end_time, STATUS_NO_INTERVALS, [])
        status = STATUS_SUCCESS
        count = min(wanted, available)
        if wanted > self.max_periods:
            # "If more are requested, the server returns MaxNumberOfPeriodsDelivered"
            status = STATUS_MORE_PERIODS_REQUESTED
            count = min(self.max_periods, available)
        values = []
        for i in range(count):
            value = self.interval_value(channel, newest_end - (i + 1) * period)
            if value is None:
                values.append(INVALID_INTERVAL)
            else:
                cap = 999_999 if self.kind.bcd else INVALID_INTERVAL - 1
                values.append(self._encode(min(value, cap), 6))
        announced = count
        if self.announce_extra:
            values = values[: max(0, count - self.announce_extra)]
        return self._profile_response(newest_end, status, values, announced)

    # -- DeviceService, ticks and reports ------------------------------------------------

    def start(self) -> None:
        """(Re)start the register updates (joined, powered up, restored)."""
        self.stop()
        self._last.clear()
        self.refresh()
        self.update_demand()
        self._tick_reports(force=(), baseline=True)
        self._arm()

    def stop(self) -> None:
        """Cancel the update timer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        network = self.device.network
        if network is None or not self.device.joined:
            return
        utc = self.utc_exact
        candidates = [self.last_complete_end + self.period]
        fast_end = self.fast_poll_until
        if fast_end is not None:
            applied = int(self._state["fast_period"])
            start = int(self._state["fast_start"])
            candidates.append(
                start + (math.floor((utc - start) / applied) + 1) * applied
            )
            candidates.append(fast_end)
        update = self.update_period
        candidates.append((math.floor(utc / update) + 1) * update)
        if self.has_day_consumption:  # the rollover at the local midnight
            candidates.append(self.day_start() + 86400)
        target = min(c for c in candidates if c > utc)
        self._timer = network.clock.call_later(target - utc, self._tick)

    def _tick(self) -> None:
        self._timer = None
        self.refresh()
        self.update_demand()
        fast = ()
        end = self._state.get("fast_end")
        if end is not None:
            start = int(self._state["fast_start"])
            applied = int(self._state["fast_period"])
            utc = self.utc
            if utc <= end and utc > start and (utc - start) % applied == 0:
                fast = (
                    ("instantaneous_demand",)
                    if self.kind.has_demand
                    else ("current_summ_delivered",)
                )
            if utc >= end:
                self._state["fast_end"] = None
                self.device.changed()
        self._tick_reports(force=fast)
        self._arm()

    def _reported_attrs(self) -> list[Attr]:
        cluster = self.cluster
        names = [SUMM_NAMES[c] for c in self.kind.channels]
        names += [
            tier_attr_name(tier, c)
            for tier in range(1, self.kind.tiers + 1)
            for c in self.kind.channels
        ]
        if self.kind.has_demand:
            names.append("instantaneous_demand")
        if self.has_day_consumption:
            names += [name for c in self.kind.channels for name in DAY_NAMES[c]]
        names.append("status")
        return [cluster.attr(name) for name in names]

    def _tick_reports(self, *, force: Iterable[str], baseline: bool = False) -> None:
        """Report what is due: forced (fast poll), configured reporting, or defaults."""
        cluster = self.cluster
        forced = {cluster.attr(name).key for name in force}
        defaults = {
            cluster.attr(name).key: (low, high)
            for name, low, high in self.kind.default_reporting
        }
        now = self.now
        due = []
        for attr in self._reported_attrs():
            value = int(cluster.values[attr.key])
            config = cluster.reporting.get(attr.key)
            if config is None and attr.key in defaults:
                config = ReportingConfig(*defaults[attr.key])
            elif config is None and attr.key in forced:
                config = ReportingConfig(0, 0)
            elif config is None:
                continue
            last = self._last.get(attr.key)
            if baseline or last is None:
                self._last[attr.key] = (now, value)
                if attr.key not in forced:
                    continue
                last = self._last[attr.key]
            if attr.key in forced or config.due(now - last[0], value - last[1]):
                due.append(attr)
        if not due or not self.device.joined or not self.device.online:
            return
        for attr in due:
            self._last[attr.key] = (now, int(cluster.values[attr.key]))
        self.reports.append((now, self.utc, tuple(a.name for a in due)))
        del self.reports[:-10_000]
        self.device.send_report(cluster, due)


class SEMeterDevice(SimDevice):
    """A `SimDevice` carrying its `SEMeter` behaviour."""

    meter: SEMeter
    #: The Messaging server (``messaging=True``), else None.
    messaging: MessagingServer | None = None
    #: The Price server (``price=True``), else None.
    price: PriceServer | None = None
    #: The DRLC server (``drlc=True``), else None.
    drlc: DrlcServer | None = None
    #: The meter's side of mirroring (``mirror=True``), else None.
    mirror: MirrorClient | None = None

    def restore(self, data: Mapping[str, Any]) -> None:
        """Apply saved state; the running totals the factory's defaults cached go."""
        super().restore(data)
        self.meter.forget_totals()
        self.meter.refresh()

    async def handle_frame(self, frame: RecordedFrame) -> None:
        """Take the ESI's answers to the mirror discovery; the rest as any device."""
        if self.mirror is not None and self.mirror.consumes(frame):
            return
        await super().handle_frame(frame)

    def _report_destination(self, cluster: SimCluster) -> int:
        """Send the Metering and Basic reports to the mirror once the meter has one."""
        if self.mirror is not None:
            endpoint = self.mirror.report_destination(cluster)
            if endpoint is not None:
                return endpoint
        return super()._report_destination(cluster)


def meter(device: SimDevice) -> SEMeter:
    """Return the behaviour object of a Smart Energy meter model."""
    if not isinstance(device, SEMeterDevice):
        raise TypeError(f"{device!r} is not a Smart Energy meter model")
    return device.meter


# -- building ----------------------------------------------------------------------------


def _seed_for(ieee: t.EUI64, seed: int | None) -> int:
    if seed is not None:
        return int(seed)
    return int.from_bytes(hashlib.blake2b(str(ieee).encode(), digest_size=4).digest())


def _setup(
    device: SEMeterDevice,
    kind: MeterKind,
    *,
    seed: int | None,
    wall_clock: datetime,
    history_start: datetime | None,
    period_code: int,
    max_periods: int,
    outages: Iterable[tuple[datetime, datetime]],
    announce_extra: int,
    max_fast_poll_minutes: int,
    day_consumption: bool = False,
    utc_offset: int = 0,
) -> SEMeter:
    if period_code not in PERIOD_SECONDS:
        raise ValueError(f"unknown ProfileIntervalPeriod {period_code:#04x}")
    if not -86400 < utc_offset < 86400:
        raise ValueError(f"utc_offset {utc_offset} s is not within a day")
    meter_ = SEMeter(device, kind)
    device.meter = meter_
    start = zcl_time(wall_clock)
    period = PERIOD_SECONDS[period_code]
    device.state.update(
        {
            "seed": _seed_for(device.ieee, seed),
            "utc_base": start,
            "utc_set_at": 0.0,
            "period_code": period_code,
            "max_periods": max_periods,
            # default: twice MaxNumberOfPeriodsDelivered of history
            "history_start": (
                start - 2 * max_periods * period
                if history_start is None
                else zcl_time(history_start)
            ),
            "outages": [[zcl_time(s), zcl_time(e)] for s, e in outages],
            "overrides": {},
            "announce_extra": announce_extra,
            "max_fast_minutes": max_fast_poll_minutes,
            "fast_end": None,
            "day_consumption": bool(day_consumption),
            "utc_offset": int(utc_offset),
        }
    )
    device.services.append(meter_)
    device.wall_clock_hooks.append(meter_.follow_wall_clock)
    return meter_


def _metering_values(
    *,
    device_type: int,
    unit: int,
    summation_formatting: int,
    historical_formatting: int,
    period_code: int,
    max_periods: int,
    fast_poll_update_period: int,
    default_update_period: int,
    multiplier: int | None,
    divisor: int | None,
    demand_formatting: int | None,
    received: bool,
    day_consumption: bool = False,
) -> dict[int | str, Any]:
    values: dict[int | str, Any] = {
        "current_summ_delivered": 0,
        "default_update_period": default_update_period,
        "fast_poll_update_period": fast_poll_update_period,
        "profile_interval_period": period_code,
        "status": 0,
        "unit_of_measure": unit,
        "summation_formatting": summation_formatting,
        "historical_consumption_formatting": historical_formatting,
        "metering_device_type": device_type,
        "max_number_of_periods_delivered": max_periods,
    }
    if received:
        values["current_summ_received"] = 0
    if day_consumption:
        for channel in (CHANNEL_DELIVERED, CHANNEL_RECEIVED)[: 2 if received else 1]:
            for name in DAY_NAMES[channel]:
                values[name] = 0
    if multiplier is not None:
        values["multiplier"] = multiplier
    if divisor is not None:
        values["divisor"] = divisor
    if demand_formatting is not None:
        values["demand_formatting"] = demand_formatting
        values["instantaneous_demand"] = 0
    return values


def _partial_attrs(channels: Iterable[int]) -> list[Attr]:
    """0x0405-0x0408: start (UTCTime 0xE2, as the spec types it) and value (uint24)."""
    attrs = []
    for channel in channels:
        attr_id, name = PARTIAL_START[channel]
        attrs.append(Attr(attr_id, name, t.uint32_t, 0, access="rp", zcl_type=0xE2))
        attr_id, name = PARTIAL_VALUE[channel]
        attrs.append(Attr(attr_id, name, t.uint24_t, 0, access="rp"))
    return attrs


def _se_endpoint(device: SimDevice, *, battery: bool = False) -> Any:
    ep = device.add_endpoint(1, profile_id=SE_PROFILE, device_type=DEVICE_TYPE_METERING)
    if battery:
        add_basic(ep, device, power_source=POWER_BATTERY)
    else:
        add_basic(ep, device)
    ep.add_cluster(general.Identify, {"identify_time": 0}, volatile=["identify_time"])
    return ep


def _finish(meter_: SEMeter, metering: SimCluster) -> None:
    metering.before_read = lambda _cluster, _attrs: meter_.refresh()
    if meter_.kind.get_profile:
        metering.on(CMD_GET_PROFILE, meter_.get_profile)
    if meter_.kind.fast_poll:
        metering.on(CMD_REQUEST_FAST_POLL_MODE, meter_.request_fast_poll_mode)
    meter_.refresh()
    meter_.update_demand()


ELECTRICITY: Final = MeterKind(
    key="se_electricity_meter",
    rates=_electric_rates,
    channels=(CHANNEL_DELIVERED, CHANNEL_RECEIVED),
    tiers=4,
    default_reporting=(
        ("current_summ_delivered", 0, 900),
        ("current_summ_received", 0, 900),
        ("instantaneous_demand", 0, 300),
    ),
)
GAS: Final = MeterKind(
    key="se_gas_meter",
    rates=_gas_rates,
    default_reporting=(("current_summ_delivered", 0, 1800),),
)
WATER: Final = MeterKind(
    key="se_water_meter",
    rates=_water_rates,
    bcd=True,
    has_demand=False,
    default_reporting=(("current_summ_delivered", 0, 3600),),
)


def se_electricity_meter(
    ieee: str | t.EUI64 | None = None,
    *,
    seed: int | None = None,
    wall_clock: datetime = DEFAULT_WALL_CLOCK,
    history_start: datetime | None = None,
    period_code: int = 0x01,
    max_periods: int = 24,
    outages: Iterable[tuple[datetime, datetime]] | None = None,
    announce_extra: int = 0,
    fast_poll_update_period: int = 5,
    max_fast_poll_minutes: int = MAX_FAST_POLL_MINUTES,
    day_consumption: bool = False,
    utc_offset: int = 0,
    messaging: bool = False,
    price: bool = False,
    drlc: bool = False,
    **kwargs: Any,
) -> SEMeterDevice:
    """An SE electricity meter (mains, rx-on) with import, PV export and tiers 1-4.

    ``messaging=True`` adds a Messaging server (0x0703, ``models/se_messaging.py``) on
    endpoint 1: ``device.messaging``. ``price=True`` adds a Price server (0x0700,
    ``models/se_price.py``): ``device.price``. ``drlc=True`` adds a
    DRLC server (0x0701, ``models/se_drlc.py``): ``device.drlc``.

    ``outages`` default: one power failure 4 h 50 min - 4 h 20 min before ``wall_clock``
    (with 60-minute intervals the interval ending 4 h before it is invalid).

    ``day_consumption=True`` adds Current/PreviousDayConsumption{Delivered,Received}
    (0x0401-0x0404), counted from the meter's local midnight, local time = UTC +
    ``utc_offset`` seconds (see the module docstring).
    """
    device = SEMeterDevice(
        ieee=resolve_ieee(ieee),
        manufacturer="SimCo",
        model="SimElectricityMeter",
        model_key="se_electricity_meter",
        **kwargs,
    )
    if outages is None:
        outages = [
            (
                wall_clock - timedelta(hours=4, minutes=50),
                wall_clock - timedelta(hours=4, minutes=20),
            )
        ]
    meter_ = _setup(
        device,
        ELECTRICITY,
        seed=seed,
        wall_clock=wall_clock,
        history_start=history_start,
        period_code=period_code,
        max_periods=max_periods,
        outages=outages,
        announce_extra=announce_extra,
        max_fast_poll_minutes=max_fast_poll_minutes,
        day_consumption=day_consumption,
        utc_offset=utc_offset,
    )
    ep = _se_endpoint(device)
    values = _metering_values(
        device_type=0x00,  # Electric
        unit=0x00,  # kWh & kW, binary
        summation_formatting=0x2B,  # 5 left, 3 right digits
        historical_formatting=0x2B,
        demand_formatting=0x1B,  # 3 left, 3 right
        period_code=period_code,
        max_periods=max_periods,
        fast_poll_update_period=fast_poll_update_period,
        default_update_period=30,
        multiplier=1,
        divisor=1000,  # raw Wh / W
        received=True,
        day_consumption=day_consumption,
    )
    for tier in range(1, 5):
        values[tier_attr_name(tier, CHANNEL_DELIVERED)] = 0
        values[tier_attr_name(tier, CHANNEL_RECEIVED)] = 0
    metering = ep.add_cluster(
        smartenergy.Metering,
        values,
        attributes=_partial_attrs(ELECTRICITY.channels),
        volatile=["instantaneous_demand"],
    )
    ep.add_output_cluster(general.Time)
    if messaging:
        device.messaging = MessagingServer(ep)
    if price:
        device.price = PriceServer(ep)
    if drlc:
        device.drlc = DrlcServer(ep)
    _finish(meter_, metering)
    return device


def se_gas_meter(
    ieee: str | t.EUI64 | None = None,
    *,
    seed: int | None = None,
    wall_clock: datetime = DEFAULT_WALL_CLOCK,
    history_start: datetime | None = None,
    period_code: int = 0x02,
    max_periods: int = 12,
    outages: Iterable[tuple[datetime, datetime]] = (),
    announce_extra: int = 1,
    fast_poll_update_period: int = 10,
    max_fast_poll_minutes: int = MAX_FAST_POLL_MINUTES,
    check_in_interval: int = 3600,
    long_poll_interval: int = 28,
    day_consumption: bool = False,
    utc_offset: int = 0,
    mirror: bool = False,
    **kwargs: Any,
) -> SEMeterDevice:
    """A sleepy SE gas meter: long poll 7 s (28 qs), check-in every 15 min (3600 qs).

    ``announce_extra=1``: its GetProfileResponse announces one interval more than it
    carries (the parsing caveat of [REF §2.2]); set 0 for a well-behaved meter.
    ``mirror=True``: it mirrors itself on the ESI [AN §10.4.5] (``se_mirror.MirrorClient``
    as ``device.mirror``: ``start_mirroring()`` discovers, requests and pushes; its
    Metering and Basic reports then go to the mirror endpoint).
    """
    kwargs.setdefault("sleepy", True)
    device = SEMeterDevice(
        ieee=resolve_ieee(ieee),
        manufacturer="SimCo",
        model="SimGasMeter",
        model_key="se_gas_meter",
        **kwargs,
    )
    meter_ = _setup(
        device,
        GAS,
        seed=seed,
        wall_clock=wall_clock,
        history_start=history_start,
        period_code=period_code,
        max_periods=max_periods,
        outages=outages,
        announce_extra=announce_extra,
        max_fast_poll_minutes=max_fast_poll_minutes,
        day_consumption=day_consumption,
        utc_offset=utc_offset,
    )
    ep = _se_endpoint(device, battery=True)
    values = _metering_values(
        device_type=0x01,  # Gas
        unit=0x01,  # m³ & m³/h, binary
        summation_formatting=0x33,  # 6 left, 3 right
        historical_formatting=0x33,
        demand_formatting=0x33,
        period_code=period_code,
        max_periods=max_periods,
        fast_poll_update_period=fast_poll_update_period,
        default_update_period=60,
        multiplier=1,
        divisor=1000,  # raw litres
        received=False,
        day_consumption=day_consumption,
    )
    values["remaining_battery_life"] = 87
    metering = ep.add_cluster(
        smartenergy.Metering,
        values,
        attributes=_partial_attrs(GAS.channels),
        volatile=["instantaneous_demand"],
    )
    add_poll_control(
        ep, check_in_interval=check_in_interval, long_poll_interval=long_poll_interval
    )
    ep.add_output_cluster(general.Time)
    _finish(meter_, metering)
    if mirror:
        device.mirror = MirrorClient(device)
    return device


def se_water_meter(
    ieee: str | t.EUI64 | None = None,
    *,
    seed: int | None = None,
    wall_clock: datetime = DEFAULT_WALL_CLOCK,
    history_start: datetime | None = None,
    period_code: int = 0x00,
    max_periods: int = 24,
    outages: Iterable[tuple[datetime, datetime]] = (),
    announce_extra: int = 0,
    fast_poll_update_period: int = 10,
    max_fast_poll_minutes: int = MAX_FAST_POLL_MINUTES,
    day_consumption: bool = False,
    utc_offset: int = 0,
    **kwargs: Any,
) -> SEMeterDevice:
    """An SE water meter in litres BCD (0x87): summations and intervals are BCD.

    Daily intervals by default; no InstantaneousDemand (BCD of a signed value is not
    defined [REF §1.7]); fast poll refreshes and reports the summation instead.
    """
    device = SEMeterDevice(
        ieee=resolve_ieee(ieee),
        manufacturer="SimCo",
        model="SimWaterMeter",
        model_key="se_water_meter",
        **kwargs,
    )
    meter_ = _setup(
        device,
        WATER,
        seed=seed,
        wall_clock=wall_clock,
        history_start=history_start,
        period_code=period_code,
        max_periods=max_periods,
        outages=outages,
        announce_extra=announce_extra,
        max_fast_poll_minutes=max_fast_poll_minutes,
        day_consumption=day_consumption,
        utc_offset=utc_offset,
    )
    ep = _se_endpoint(device)
    values = _metering_values(
        device_type=0x02,  # Water
        unit=0x87,  # litres & l/h, BCD
        summation_formatting=0x38,  # 7 left, 0 right
        historical_formatting=0x30,  # 6 left, 0 right
        demand_formatting=None,
        period_code=period_code,
        max_periods=max_periods,
        fast_poll_update_period=fast_poll_update_period,
        default_update_period=60,
        multiplier=1,
        divisor=1,
        received=False,
        day_consumption=day_consumption,
    )
    metering = ep.add_cluster(
        smartenergy.Metering, values, attributes=_partial_attrs(WATER.channels)
    )
    ep.add_output_cluster(general.Time)
    _finish(meter_, metering)
    return device


# -- zha-device-handlers #2781 ------------------------------------------------------------

#: Innr manufacturer code (zhaquirks ``INNR_MANUFACTURER_CODE``).
INNR: Final = 0x1166

PLUG_OLD: Final = MeterKind(
    key="se_plug_2781",
    rates=_plug_rates,
    has_demand=False,
    get_profile=False,
    fast_poll=False,
    default_reporting=(("current_summ_delivered", 0, 600),),
    step=300,
    raw_wh=0.1,  # 0.01 kWh per count
)
PLUG_NEW: Final = dataclasses.replace(PLUG_OLD, raw_wh=1.0)  # Wh per count

#: OTA image type of the SP 240: ``imgType=0334`` in a real plug's Query Next Image
#: (KiwiHC16/Abeille#2750 log) and ``image_type_id`` 820 in ZHA's test data of a real
#: plug (zigpy/zha ``tests/data/devices/innr-sp-240-0x191e3685.json``).
SP240_IMAGE_TYPE: Final = 0x0334
#: OTA file versions (the software build as hex digits).  Old: ``0x17173685``, the
#: ``fileVers`` of a real plug's Query Next Image (Abeille#2750), build "1.7.17-3.6.85"
#: (zha-device-handlers#3857).  New: ``0x191E3685`` with multiplier 1 / divisor 1000
#: (ZHA's test data above).  zha-quirks' cut-off is ``0x191B3685`` (PR #4629).
SP240_FILE_VERSION: Final = {"old": 0x17173685, "new": 0x191E3685}


def se_plug_2781(
    ieee: str | t.EUI64 | None = None,
    *,
    firmware: str = "old",
    file_version: int | None = None,
    seed: int | None = None,
    wall_clock: datetime = DEFAULT_WALL_CLOCK,
    history_start: datetime | None = None,
    **kwargs: Any,
) -> SEMeterDevice:
    """An Innr SP 240-like plug (HA profile 0x0104) whose kWh ZHA shows 100x too high.

    zigpy/zha-device-handlers issue #2781, "[BUG] INNR SP 240 'summation delivered' kWh
    value is 100x expected value": endpoint 1 ON_OFF_PLUG_IN_UNIT (266), profile 260,
    Basic manufacturer "innr", model "SP 240".  The firmware of the report
    (``firmware="old"``) gives UnitofMeasure 0x00 (kWh) and SummationFormatting 0x33
    (6 left, 3 right digits) but **no Multiplier and Divisor** (Read Attributes:
    UNSUPPORTED_ATTRIBUTE), CurrentSummationDelivered counting 0.01 kWh: stock ZHA
    computes raw x (multiplier or 1) / (divisor or 1) for kWh and ignores the formatting,
    i.e. 100x the energy.  Innr (GerryInnr, Koenkk/zigbee-herdsman-converters#8712):
    "Before this firmware version, the device did not provide a multiplier or divisor
    for CurrentSummationDelivered, it only provided the CurrentSummationFormatting ...
    The new version provides all three, with multiplier = 1 and divisor = 1000", and a
    divisor of 100 "was the right value for the previous firmwares" (the zhaquirks fix
    of PR #2782 forces multiplier 1 / divisor 100).  ``firmware="new"``: multiplier 1,
    divisor 1000, the summation in Wh.  (The 0.01 kWh count is inferred from the 100x
    and the quirk's divisor; the formatting's 3 right digits would suggest Wh.)

    Summation only (the real plug measures power in ElectricalMeasurement, not
    modelled): no GetProfile / fast poll (UNSUP_CLUSTER_COMMAND).  The load (45-135 W)
    accrues hour by hour (sampled every 5 minutes) while the relay (OnOff) is on.

    Firmware version: the OTA client (out) cluster answers a read of
    CurrentFileVersion, DownloadedFileVersion (0xFFFFFFFF: none), ManufacturerId and
    ImageTypeId, as a real SP 240 does (ZHA's test data of a real plug holds these four
    in its OTA client cache); ``file_version`` defaults to `SP240_FILE_VERSION` of the
    firmware.  The plug also queries for images (Query Next Image with its version,
    Abeille#2750): `plug_query_next_image`.
    """
    if firmware not in ("old", "new"):
        raise ValueError('firmware is "old" or "new"')
    device = SEMeterDevice(
        ieee=resolve_ieee(ieee),
        manufacturer="innr",
        model="SP 240",
        model_key="se_plug_2781",
        manufacturer_code=INNR,
        **kwargs,
    )
    kind = PLUG_OLD if firmware == "old" else PLUG_NEW
    meter_ = _setup(
        device,
        kind,
        seed=seed,
        wall_clock=wall_clock,
        # about 12 days of history
        history_start=(
            wall_clock - timedelta(days=12) if history_start is None else history_start
        ),
        period_code=0x01,  # internal hourly accrual (5-minute samples)
        max_periods=0,
        outages=(),
        announce_extra=0,
        max_fast_poll_minutes=0,
    )
    device.state["firmware"] = firmware
    ep = device.add_endpoint(1, device_type=DEVICE_TYPE_PLUG_IN_UNIT)
    add_basic(ep, device)
    add_identify_groups_scenes(ep)
    on_off = ep.add_cluster(general.OnOff, {"on_off": True})
    on_off.add_listener(meter_._relay_changed)
    values: dict[int | str, Any] = {
        "current_summ_delivered": 0,
        "status": 0,
        "unit_of_measure": 0x00,
        "summation_formatting": 0x33,
        "metering_device_type": 0x00,
    }
    if firmware == "new":
        values.update({"multiplier": 1, "divisor": 1000})
    metering = ep.add_cluster(smartenergy.Metering, values)
    ep.add_output_cluster(
        general.Ota,
        {
            "current_file_version": (
                SP240_FILE_VERSION[firmware] if file_version is None else file_version
            ),
            "downloaded_file_version": 0xFFFFFFFF,
            "manufacturer_id": INNR,
            "image_type_id": SP240_IMAGE_TYPE,
        },
    )
    _finish(meter_, metering)
    return device


def plug_query_next_image(device: SimDevice) -> bool:
    """Send the plug's OTA Query Next Image (ZCL 11.13.4.2.2) with its current version.

    ``01 tsn 01 <field control 00> <manufacturer u16> <image type u16> <version u32>``:
    cluster-specific, client to server, no hardware version, as in Abeille#2750's log.
    """
    ota = device.cluster(1, general.Ota.cluster_id, is_server=False)
    payload = (
        bytes([0x00])
        + int(ota.get("manufacturer_id")).to_bytes(2, "little")
        + int(ota.get("image_type_id")).to_bytes(2, "little")
        + int(ota.get("current_file_version")).to_bytes(4, "little")
    )
    return device.send_zcl(
        1,
        general.Ota.cluster_id,
        0x01,
        payload,
        direction=foundation.Direction.Client_to_Server,
        disable_default_response=False,
    )


def zha_stock_kwh(device: SimDevice) -> float:
    """What stock ZHA shows for a kWh summation: raw x multiplier / divisor, 0 = 1.

    zha 2.3.1 ``SmartEnergySummation`` (research notes zha_anchors §C): for unit 0x00
    the formatting is ignored; a missing multiplier / divisor counts as 1.
    """
    cluster = device.cluster(1, METERING)

    def _get(name: str) -> int:
        try:
            return int(cluster.get(name)) or 1
        except KeyError:
            return 1

    raw = int(cluster.get("current_summ_delivered"))
    return raw * _get("multiplier") / _get("divisor")


__all__ = [
    "CHANNEL_DELIVERED",
    "CHANNEL_RECEIVED",
    "Interval",
    "SEMeter",
    "SEMeterDevice",
    "from_bcd",
    "meter",
    "plug_query_next_image",
    "se_electricity_meter",
    "se_gas_meter",
    "se_plug_2781",
    "se_water_meter",
    "to_bcd",
    "zcl_time",
    "zha_stock_kwh",
]
