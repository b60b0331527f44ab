"""A meter's own history (GetProfile) in Home Assistant's long-term statistics.

The statistic is the summation sensor's own (``sensor.<meter>_summation_delivered``): the
Energy dashboard then shows one series per meter, the imported hours followed by the hours
the recorder compiles from the live sensor.

How the two join:

- The recorder's sums of a ``TOTAL_INCREASING`` sensor start at 0 at the first state it saw
  and grow with the reading, so every live row is "reading - a constant". The Energy
  dashboard and the statistics cards show a period's change: its sum minus the sum of the
  row before it, or minus 0 for the oldest row. A series must therefore start at 0, where
  the recorder's own series starts.
- The import fills *holes*: hours of the asked range that have no row. A run of holes
  followed by a row N (the first live hour, or a row after a gap) is chained backwards from
  N with the meter's own hourly consumption c: sum(h - 1) = sum(h) - c(h), starting from
  sum(N) - c(N). The hour N then shows exactly what the meter measured in it (the recorder
  had only seen part of it), and the hours between rows their consumption.
- A run with no row after it but rows before it is chained forwards from the newest of them.
- A run with no row before it becomes the start of the series: once chained, every row from
  its oldest hour on (the live rows too, and the recorder's later rows follow them) is
  shifted so that the oldest hour starts from 0. Its oldest hour then shows its consumption,
  and an import reaching further back later moves the start of the series back the same way.
- A run with no row anywhere (imported before the live sensor's first hour is compiled)
  starts at 0 likewise and is remembered as *provisional*: the recorder's first live hour
  will start from 0 too. Once it is compiled, ``async_join`` moves the live rows onto the
  block's end (even when the meter does not answer), then fetches the hours from the block
  to that row (chained from it) and moves them and the live rows to where the chain puts the
  block's end. Until the join runs (JOIN_MINUTE past the hour) that live hour shows a drop.
- Rows are written after each GetProfileResponse, newest first: an interrupted import (the
  meter stops answering, HA restarts) keeps what it wrote, shifted to start from 0 when the
  series starts there, and the next call fills the holes that are left. A second call over
  the same range finds no holes: it sends nothing and writes nothing.
- Intervals the meter marks invalid (0xFFFFFF) leave their hour without a row (a gap in the
  response); the chain counts them as 0, as the meter's summation register did.

GetProfile: blocks of MaxNumberOfPeriodsDelivered intervals (reference §2.2), newest first,
each request's EndTime the oldest interval start of the previous answer, the last one asking
only what is left: the fewest requests the meter allows. The first block of a window that
reaches the present asks EndTime 0 (the meter's newest block), which a meter whose clock is a
little behind HA's still answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import logging
import math
from typing import Any, Final

from homeassistant.components.recorder.models import StatisticMetaData
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from zigpy.exceptions import DeliveryError

from ..errors import device_error, validation_error
from ..protocol import metering
from ..protocol.zcl_time import ZCL_EPOCH
from ..quirks.exceptions import NoAnswerError
from ..quirks.smart_energy import SmartEnergyMetering
from . import statistics as stats
from .statistics import HOUR, HourRow

_LOGGER = logging.getLogger(__name__)

CHANNELS: Final = {"delivered": 0, "received": 1}
#: MaxNumberOfPeriodsDelivered when the meter does not have the attribute (reference §1.6).
DEFAULT_MAX_PERIODS: Final = 24
_EPOCH: Final = ZCL_EPOCH


def floor_hour(when: datetime) -> datetime:
    """Return the start of the UTC hour holding ``when``."""
    return when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def utc_time(when: datetime) -> int:
    """Return the UTCTime (seconds since 2000-01-01 UTC) of ``when``."""
    return int((when - _EPOCH).total_seconds())


def from_utc_time(value: float) -> datetime:
    """Return the datetime of a UTCTime."""
    return _EPOCH + timedelta(seconds=value)


def hole_runs(
    start: datetime, end: datetime, present: set[datetime]
) -> list[tuple[datetime, datetime]]:
    """Return the runs [first, end) of consecutive hours in [start, end) with no row."""
    runs: list[tuple[datetime, datetime]] = []
    hour = start
    while hour < end:
        if hour in present:
            hour += HOUR
            continue
        first = hour
        while hour < end and hour not in present:
            hour += HOUR
        runs.append((first, hour))
    return runs


def minimum_requests(intervals: int, max_periods: int) -> int:
    """Return the fewest GetProfile requests that carry ``intervals`` intervals."""
    return math.ceil(intervals / max_periods) if intervals > 0 else 0


@dataclass(slots=True)
class Progress:
    """What the import of one meter is doing (the progress sensor shows it)."""

    running: bool = False
    channel: str | None = None
    hours_total: int = 0
    hours_done: int = 0
    last_import: datetime | None = None
    last_summary: dict[str, Any] | None = None

    @property
    def percent(self) -> float | None:
        """Return the share of the running (or last) import that is done, in %."""
        if not self.hours_total:
            return None if self.last_import is None else 100.0
        return round(100 * self.hours_done / self.hours_total, 1)


@dataclass(slots=True)
class MeterProfile:
    """What the import needs of a meter: its cluster, units and profile parameters."""

    cluster: SmartEnergyMetering
    channel: int
    fmt: metering.MeteringFormat
    #: Factor from the meter's unit (as the sensor shows it) to the statistic's unit.
    factor: float
    period: int | None
    max_periods: int

    def value(self, raw: int) -> float:
        """Return an hour's raw consumption in the statistic's unit."""
        unit = metering.unit_for(self.fmt.unit_of_measure, self.fmt.device_type)
        return float(metering.format_value(raw, self.fmt) * unit.scale) * self.factor


@dataclass(slots=True)
class Tally:
    """Counts of one import, for its summary."""

    requests: int = 0
    intervals: int = 0
    written: list[datetime] = field(default_factory=list)
    gaps: list[datetime] = field(default_factory=list)
    history_start: datetime | None = None


class HistoryEnd(Exception):  # noqa: N818 - a stop signal, not an error
    """The meter has no intervals before ``start`` (its history begins there)."""

    def __init__(self, start: datetime) -> None:
        """Remember where the meter's history starts."""
        super().__init__(start)
        self.start = start


class _Chain:
    """Sums chained backwards from an anchor: sum(h) = sum(h + 1) - c(h + 1)."""

    def __init__(self, anchor_sum: float, anchor_consumption: float) -> None:
        """Start at the anchor hour's sum and consumption."""
        self.next_sum = anchor_sum
        self.next_consumption = anchor_consumption

    def step(self, consumption: float | None) -> float:
        """Return the sum of the next older hour, whose consumption is ``consumption``."""
        value = self.next_sum - self.next_consumption
        self.next_sum = value
        self.next_consumption = consumption or 0.0
        return value


class ProfileFetcher:
    """GetProfile blocks over a window [start, end), newest first, as hourly consumption."""

    def __init__(
        self,
        profile: MeterProfile,
        tally: Tally,
        start: datetime,
        end: datetime,
        *,
        newest: bool,
    ) -> None:
        """Fetch [start, end); ``newest``: the window reaches the meter's present."""
        self._profile = profile
        self._tally = tally
        self._start = utc_time(start)
        self._end = utc_time(end)
        #: EndTime of the next request: 0 asks the meter's newest block. Otherwise half an
        #: interval past the window's end: a meter whose clock is a little ahead (intervals
        #: ending at :02, :17 ...) still sends the interval that belongs to the last hour.
        self._request_end = 0 if newest else self._end + (profile.period or 0) // 2
        #: Intervals not yet summed into a final hour, newest first, and where they end.
        self._pending: list[int | None] = []
        self._pending_end: int | None = None
        #: The oldest hour start already returned.
        self._reported_floor: int | None = None
        self.done = False

    async def next_hours(self) -> dict[datetime, float | None]:
        """Fetch one block; return the hours it completed (None: no valid consumption).

        Raises HistoryEnd when the meter has nothing older, NoAnswerError when it does not
        answer and a translated error for a status that ends the import.
        """
        profile = self._profile
        cursor = self._end if self._request_end == 0 else self._request_end
        # always a full block: as few requests as asking only what is left, and meters that
        # send fewer intervals than they announce still send some
        try:
            answer = await profile.cluster.read_profile(
                profile.channel, self._request_end, profile.max_periods
            )
        except (DeliveryError, TimeoutError) as err:
            raise NoAnswerError("the meter did not answer GetProfile") from err
        self._tally.requests += 1
        status = answer.status
        if status in (
            metering.ProfileStatus.UNDEFINED_INTERVAL_CHANNEL,
            metering.ProfileStatus.INTERVAL_CHANNEL_NOT_SUPPORTED,
        ):
            raise validation_error(
                "metering_history_channel_not_supported", status=status.name
            )
        if status is metering.ProfileStatus.NO_INTERVALS_AVAILABLE or (
            status
            in (
                metering.ProfileStatus.SUCCESS,
                metering.ProfileStatus.MORE_PERIODS_REQUESTED_THAN_CAN_BE_RETURNED,
            )
            and not answer.intervals
        ):
            raise HistoryEnd(from_utc_time(cursor))
        if status not in (
            metering.ProfileStatus.SUCCESS,
            metering.ProfileStatus.MORE_PERIODS_REQUESTED_THAN_CAN_BE_RETURNED,
        ):
            raise device_error("metering_history_refused", status=status.name)
        # Status 0x04 (more periods than it can return) carries the intervals it can: asking
        # its real maximum would take as many requests, so the ask is not lowered (a block
        # cut short by the history start, or by a meter that sends fewer than it announces,
        # would otherwise teach a wrong maximum).
        if answer.interval_seconds > metering.SECONDS_PER_HOUR:
            raise validation_error("metering_history_daily_intervals")
        if profile.period is None:
            profile.period = answer.interval_seconds
        elif answer.interval_seconds != profile.period:
            raise device_error(
                "metering_history_refused", status="interval period changed"
            )
        period = profile.period
        oldest = answer.end_time - len(answer.intervals) * period
        if self._request_end and answer.end_time > self._request_end:
            raise device_error(
                "metering_history_refused", status="a block newer than asked"
            )
        self._tally.intervals += len(answer.intervals)
        intervals = list(answer.intervals)
        if self._pending_end is None:
            self._pending_end = answer.end_time
        else:
            # line the block up with what we have (it ends at or before the previous block's
            # oldest interval, checked above): intervals the meter skipped count as invalid
            expected = self._pending_end - len(self._pending) * period
            shift, odd = divmod(expected - answer.end_time, period)
            if odd:
                raise device_error(
                    "metering_history_refused", status="intervals off the period grid"
                )
            self._pending.extend([None] * shift)
        self._pending.extend(intervals)
        self._request_end = oldest
        self.done = oldest <= self._start
        return self._final_hours(oldest, period)

    def _final_hours(self, oldest: int, period: int) -> dict[datetime, float | None]:
        """Sum the pending intervals into the hours no later block can add to.

        The hours come back contiguous, newest first, from where the previous call stopped
        (the first call: the hour of the newest interval); None is an hour with an invalid
        or missing interval.
        """
        if self._pending_end is None:  # pragma: no cover - set before any call
            return {}
        hour_s = metering.SECONDS_PER_HOUR
        # hour H is complete once every interval with its midpoint in H is here: the oldest
        # interval's midpoint is oldest + period/2, so H > oldest + period/2 - period
        floor = ((oldest - period // 2) // hour_s + 1) * hour_s
        floor = max(floor, self._start)
        top = (
            self._reported_floor
            if self._reported_floor is not None
            else -(-self._pending_end // hour_s) * hour_s
        )
        if floor >= top:
            return {}
        hours = metering.hourly_consumption(
            self._pending_end, period, self._pending, bcd=self._profile.fmt.is_bcd
        )
        sums = {utc_time(hour.hour_start): hour.consumption_raw for hour in hours}
        result: dict[datetime, float | None] = {}
        for start in range(top - hour_s, floor - 1, -hour_s):
            raw = sums.get(start)
            result[from_utc_time(start)] = (
                None if raw is None else self._profile.value(raw)
            )
        self._reported_floor = floor
        # drop the intervals of the hours reported (their midpoints are at or above floor)
        keep = min(
            len(self._pending), (self._pending_end - floor + period // 2) // period
        )
        self._pending = self._pending[keep:]
        self._pending_end -= keep * period
        return result


@dataclass(slots=True)
class RunPlan:
    """One run of holes and how its sums are anchored."""

    start: datetime
    end: datetime
    #: The row right after the run (chain backwards from it), if any.
    anchor: HourRow | None
    #: The newest row before the run (chain forwards from it) when there is no anchor.
    before: HourRow | None

    @property
    def hours(self) -> int:
        """Return the number of hours of the run."""
        return int((self.end - self.start) / HOUR)


def plan_runs(
    start: datetime,
    end: datetime,
    now_hour: datetime,
    rows: dict[datetime, HourRow],
    newest_row: HourRow | None,
) -> list[RunPlan]:
    """Return the runs of holes in [start, end), the last one carried to the next row.

    A run that reaches ``end`` goes on to the next row (or the present), so the imported
    hours always meet the series they join.
    """
    present = set(rows)
    runs = hole_runs(start, end, present)
    if runs and runs[-1][1] == end and end not in present:
        following = [hour for hour in present if hour >= end]
        runs[-1] = (runs[-1][0], min(following) if following else max(end, now_hour))
    plans = []
    for first, stop in runs:
        anchor = rows.get(stop)
        before = None
        if anchor is None:
            earlier = [row for hour, row in rows.items() if hour < first]
            if earlier:
                before = max(earlier, key=lambda row: row.start)
            elif newest_row is not None and newest_row.start < first:
                before = newest_row
        plans.append(RunPlan(first, stop, anchor, before))
    return plans


class HistoryImport:
    """One import (or join) of a meter channel's history into its statistic."""

    def __init__(
        self,
        hass: HomeAssistant,
        profile: MeterProfile,
        metadata: StatisticMetaData,
        progress: Progress,
        notify: Callable[[], None],
    ) -> None:
        """Import with ``profile`` into the statistic of ``metadata``."""
        self.hass = hass
        self.profile = profile
        self.metadata = metadata
        self.progress = progress
        self.notify = notify
        self.tally = Tally()
        #: The oldest row the last ``backward`` wrote, with the sum its hour starts from.
        self.origin: HourRow | None = None

    def _write(self, rows: list[HourRow]) -> None:
        stats.import_rows(self.hass, self.metadata, rows)
        self.tally.written.extend(row.start for row in rows)

    def _advance(self, hours: int) -> None:
        self.progress.hours_done += hours
        self.notify()

    async def backward(
        self,
        start: datetime,
        end: datetime,
        anchor: HourRow | None,
        *,
        newest: bool,
        series_start: bool = False,
    ) -> float | None:
        """Fill [start, end) chained backwards from ``anchor`` (None: sum 0 at the end).

        With an anchor the window also takes the anchor's own hour: its consumption is the
        first link. ``series_start``: no row is older than the window; once it is filled
        (or the meter stops), every row from its oldest one on is shifted so that this row
        starts from 0. Returns the sum the chain gives the hour before ``start``, on the
        anchor's scale (what the live rows are shifted from when a provisional block joins
        them), None when the meter's history ended first.
        """
        try:
            return await self._backward(start, end, anchor, newest=newest)
        finally:
            if series_start and self.origin is not None:
                stats.shift_from(
                    self.hass, self.metadata, self.origin.start, -self.origin.sum
                )

    async def _backward(
        self,
        start: datetime,
        end: datetime,
        anchor: HourRow | None,
        *,
        newest: bool,
    ) -> float | None:
        self.origin = None
        window_end = end + HOUR if anchor is not None else end
        fetcher = ProfileFetcher(
            self.profile, self.tally, start, window_end, newest=newest
        )
        chain = None if anchor is not None else _Chain(0.0, 0.0)
        cursor = end - HOUR  # the next hour to fill
        while chain is None or cursor >= start:
            try:
                hours = await fetcher.next_hours()
            except HistoryEnd as end_of_history:
                self.tally.history_start = end_of_history.start
                self._gap_down_to(start, cursor)
                return None
            if chain is None:
                if anchor is None:  # pragma: no cover - a chain without anchor exists
                    raise RuntimeError("no anchor")
                if not fetcher.done and (not hours or min(hours) > anchor.start):
                    continue  # the anchor's hour is not complete yet (newer blocks first)
                # the anchor's hour is the newest of the window; a meter that has not got
                # it (or marks it invalid) gives it no consumption
                chain = _Chain(anchor.sum, hours.get(anchor.start) or 0.0)
            rows: list[HourRow] = []
            filled = 0
            while cursor >= start and cursor in hours:
                consumption = hours[cursor]
                value = chain.step(consumption)
                if consumption is None:
                    self.tally.gaps.append(cursor)
                else:
                    rows.append(HourRow(cursor, value))
                    self.origin = HourRow(cursor, value - consumption)
                filled += 1
                cursor -= HOUR
            self._write(rows)
            self._advance(filled)
            if fetcher.done and cursor >= start:
                self._gap_down_to(start, cursor)
                cursor = start - HOUR
        return chain.next_sum - chain.next_consumption

    def _gap_down_to(self, start: datetime, cursor: datetime) -> None:
        count = 0
        while cursor >= start:
            self.tally.gaps.append(cursor)
            cursor -= HOUR
            count += 1
        self._advance(count)

    async def forward(
        self, start: datetime, end: datetime, before: HourRow, *, newest: bool
    ) -> float:
        """Fill [start, end) chained forwards from the older row ``before``.

        Returns the sum of the last hour (a row, or a gap carrying the sum before it).
        """
        fetcher = ProfileFetcher(self.profile, self.tally, start, end, newest=newest)
        hours: dict[datetime, float | None] = {}
        while not fetcher.done:
            try:
                hours.update(await fetcher.next_hours())
            except HistoryEnd as end_of_history:
                self.tally.history_start = end_of_history.start
                break
        total = before.sum
        rows = []
        hour = start
        while hour < end:
            consumption = hours.get(hour)
            if consumption is None:
                self.tally.gaps.append(hour)
            else:
                total += consumption
                rows.append(HourRow(hour, total))
            hour += HOUR
        self._write(rows)
        self._advance(int((end - start) / HOUR))
        return total


def summarize(
    statistic_id: str,
    channel: str,
    requested: tuple[datetime, datetime],
    tally: Tally,
    *,
    recorded_hours: int,
    provisional: bool,
) -> dict[str, Any]:
    """Return the service response of an import."""
    written = sorted(tally.written)
    return {
        "statistic_id": statistic_id,
        "channel": channel,
        "requested": {
            "start": requested[0].isoformat(),
            "end": requested[1].isoformat(),
        },
        "imported": (
            {"start": written[0].isoformat(), "end": (written[-1] + HOUR).isoformat()}
            if written
            else None
        ),
        "hours_imported": len(written),
        "intervals_received": tally.intervals,
        "requests": tally.requests,
        "gaps": _ranges(sorted(tally.gaps)),
        "hours_already_recorded": recorded_hours,
        "joins_live_statistics": not provisional,
        "history_start": (
            None if tally.history_start is None else tally.history_start.isoformat()
        ),
    }


def _ranges(hours: list[datetime]) -> list[dict[str, str]]:
    ranges: list[dict[str, str]] = []
    first = previous = None
    for hour in hours:
        if previous is not None and hour == previous + HOUR:
            previous = hour
            continue
        if first is not None and previous is not None:
            ranges.append(
                {"start": first.isoformat(), "end": (previous + HOUR).isoformat()}
            )
        first = previous = hour
    if first is not None and previous is not None:
        ranges.append(
            {"start": first.isoformat(), "end": (previous + HOUR).isoformat()}
        )
    return ranges


def now_hour() -> datetime:
    """Return the start of the current UTC hour (its row does not exist yet)."""
    return floor_hour(dt_util.utcnow())
