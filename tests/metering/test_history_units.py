"""Unit tests of the meter history import's pure parts: no Home Assistant, no ZHA.

A fake meter answers GetProfile from a synthetic interval history (its true counts keyed by
interval end time, None for an invalid interval) the way the reference §2.2 describes: the
newest block whose end is at or before EndTime (0: the newest), at most MaxNumberOfPeriods
intervals, NO_INTERVALS_AVAILABLE (or an empty answer) before its history starts, optionally
one interval fewer than it announces. Every check compares with a reference computed here
independently: each interval goes to the UTC hour holding it, an hour counts when all its
intervals are there and valid.

The fake never waits, so coroutines run to completion with a single ``send`` (``run``).
"""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import itertools
from typing import Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from hypothesis import Phase, assume, given, settings, strategies as st
import pytest
from zigpy.exceptions import DeliveryError

from custom_components.zha_device_pack.const import DOMAIN
from custom_components.zha_device_pack.metering import history, statistics as stats
from custom_components.zha_device_pack.metering.history import (
    HistoryEnd,
    HistoryImport,
    MeterProfile,
    ProfileFetcher,
    Progress,
    RunPlan,
    Tally,
    _Chain,
    _ranges,
    from_utc_time,
    hole_runs,
    minimum_requests,
    plan_runs,
    summarize,
    utc_time,
)
from custom_components.zha_device_pack.metering.statistics import HourRow
from custom_components.zha_device_pack.protocol.metering import (
    MeteringFormat,
    ProfileIntervalPeriod,
    ProfileResponse,
    ProfileStatus,
)
from custom_components.zha_device_pack.quirks.exceptions import NoAnswerError

H = timedelta(hours=1)
HOUR_S = 3600
#: 2024-03-10 00:00 UTC: hour(n) is n:00 that day, where synthetic histories start.
T0 = datetime(2024, 3, 10, tzinfo=UTC)
#: kWh, raw Wh (HistoricalConsumptionFormatting 0x2B).
KWH = MeteringFormat(
    unit_of_measure=0, device_type=0, formatting=0x2B, multiplier=1, divisor=1000
)
#: Litres, BCD (UnitofMeasure 0x87), raw 0.1 L, a water meter.
LITRES_BCD = MeteringFormat(
    unit_of_measure=0x87, device_type=2, formatting=0x29, multiplier=1, divisor=10
)
PERIODS = {p.seconds: p for p in ProfileIntervalPeriod if p.seconds <= HOUR_S}
PERIODS_DIVIDING_HOUR = sorted(PERIODS, reverse=True)  # 3600 ... 60 s
METADATA: Any = {"statistic_id": "sensor.meter_summation_delivered"}


# Hypothesis (6.170 on Python 3.14) warns about its own global Random in derandomize mode.
pytestmark = pytest.mark.filterwarnings(
    "ignore:It looks like `register_random`:hypothesis.errors.HypothesisWarning"
)


def hour(offset: int) -> datetime:
    """Return the hour ``offset`` hours after T0."""
    return T0 + offset * H


def ut(offset_hours: float) -> int:
    """Return the UTCTime ``offset_hours`` after T0."""
    return utc_time(T0) + round(offset_hours * HOUR_S)


def run[T](coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never waits (the fake meter answers at once)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise AssertionError("the coroutine waited for something")


# --- the fake meter ------------------------------------------------------------------------


@dataclass
class FakeMeter:
    """A meter's GetProfile side over a synthetic history (see the module docstring)."""

    period: int
    #: True counts by interval end (UTCTime), contiguous; None: invalid (0xFFFFFF).
    intervals: dict[int, int | None]
    max_periods: int = 24
    #: How many intervals fewer than announced each answer carries (oldest ones dropped).
    fewer: int = 0
    #: At the history start: an empty SUCCESS instead of NO_INTERVALS_AVAILABLE.
    empty_at_start: bool = False
    bcd: bool = False
    #: Every GetProfile: (channel, EndTime, NumberOfPeriods).
    requests: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def first_end(self) -> int:
        return min(self.intervals)

    @property
    def last_end(self) -> int:
        return max(self.intervals)

    @property
    def history_start(self) -> int:
        return self.first_end - self.period

    def _wire(self, value: int | None) -> int | None:
        if value is None or not self.bcd:
            return value
        return int(str(value), 16)

    def newest_end(self, end_time: int) -> int:
        """Return the end of the newest interval ending at or before ``end_time``."""
        if end_time == 0:
            return self.last_end
        on_grid = (
            self.first_end + (end_time - self.first_end) // self.period * self.period
        )
        return min(self.last_end, on_grid)

    def answer(self, end_time: int, periods: int) -> ProfileResponse:
        code = PERIODS[self.period]
        newest = self.newest_end(end_time)
        ends = list(range(newest, self.first_end - 1, -self.period))
        if not ends:
            status = (
                ProfileStatus.SUCCESS
                if self.empty_at_start
                else ProfileStatus.NO_INTERVALS_AVAILABLE
            )
            return ProfileResponse(end_time, status, code, 0, ())
        status = ProfileStatus.SUCCESS
        count = min(periods, len(ends))
        if periods > self.max_periods:
            status = ProfileStatus.MORE_PERIODS_REQUESTED_THAN_CAN_BE_RETURNED
            count = min(self.max_periods, len(ends))
        sent = tuple(
            self._wire(self.intervals[end])
            for end in ends[: max(0, count - self.fewer)]
        )
        return ProfileResponse(newest, status, code, count, sent)

    async def read_profile(
        self, channel: int, end_time: int, periods: int
    ) -> ProfileResponse:
        self.requests.append((channel, end_time, periods))
        return self.answer(end_time, periods)


@dataclass
class ScriptedMeter:
    """A meter answering a fixed list of GetProfileResponses (or raising errors)."""

    answers: list[ProfileResponse | Exception]
    requests: list[tuple[int, int, int]] = field(default_factory=list)

    async def read_profile(
        self, channel: int, end_time: int, periods: int
    ) -> ProfileResponse:
        self.requests.append((channel, end_time, periods))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def make_meter(
    first_end: int, values: Sequence[int | None], period: int, **kwargs: Any
) -> FakeMeter:
    """A meter whose intervals, oldest first, end at first_end, first_end + period, ..."""
    return FakeMeter(
        period,
        {first_end + i * period: value for i, value in enumerate(values)},
        **kwargs,
    )


def make_profile(
    meter: Any,
    fmt: MeteringFormat = KWH,
    *,
    max_periods: int | None = None,
    period: int | None = None,
) -> MeterProfile:
    return MeterProfile(
        cluster=meter,
        channel=0,
        fmt=fmt,
        factor=1.0,
        period=period,
        max_periods=max_periods or int(getattr(meter, "max_periods", 24)),
    )


def scale(fmt: MeteringFormat) -> tuple[int, int]:
    return fmt.multiplier or 1, fmt.divisor or 1


def reference_hours(
    meter: FakeMeter, fmt: MeteringFormat = KWH
) -> dict[datetime, float | None]:
    """The meter's consumption per UTC hour, straight from its intervals.

    An interval (end - period, end] lies in the hour holding its start; an hour with fewer
    intervals than fit in it, or an invalid one, is None.
    """
    groups: dict[int, list[int | None]] = {}
    for end, value in meter.intervals.items():
        groups.setdefault((end - meter.period) // HOUR_S * HOUR_S, []).append(value)
    multiplier, divisor = scale(fmt)
    per_hour = HOUR_S // meter.period
    return {
        from_utc_time(start): (
            sum(v for v in values if v is not None) * multiplier / divisor
            if len(values) == per_hour and None not in values
            else None
        )
        for start, values in groups.items()
    }


def fetch_all(
    fetcher: ProfileFetcher,
) -> tuple[list[dict[datetime, float | None]], HistoryEnd | None]:
    """Every next_hours answer until the fetcher is done or the meter's history ends."""
    calls: list[dict[datetime, float | None]] = []
    while not fetcher.done:
        try:
            calls.append(run(fetcher.next_hours()))
        except HistoryEnd as end:
            return calls, end
        assert len(calls) < 10_000
    return calls, None


def flatten(
    calls: list[dict[datetime, float | None]],
) -> list[tuple[datetime, float | None]]:
    return [item for call in calls for item in call.items()]


def assert_contiguous_newest_first(hours: list[datetime]) -> None:
    for newer, older in itertools.pairwise(hours):
        assert older == newer - H, (newer, older)


# --- hole_runs, plan_runs, minimum_requests -----------------------------------------------


def test_hole_runs() -> None:
    present = {hour(2), hour(3), hour(5), hour(-1), hour(9)}  # -1, 9: outside the range
    assert hole_runs(hour(0), hour(8), present) == [
        (hour(0), hour(2)),
        (hour(4), hour(5)),
        (hour(6), hour(8)),
    ]
    assert hole_runs(hour(0), hour(3), set()) == [(hour(0), hour(3))]
    assert hole_runs(hour(2), hour(4), present) == []
    assert hole_runs(hour(4), hour(4), set()) == []


@given(
    st.integers(0, 12).flatmap(
        lambda n: st.tuples(st.just(n), st.sets(st.integers(-2, n + 2)))
    )
)
@settings(max_examples=50, derandomize=True, deadline=None)
def test_hole_runs_partition_the_holes(case: tuple[int, set[int]]) -> None:
    n, offsets = case
    present = {hour(i) for i in offsets}
    runs = hole_runs(hour(0), hour(n), present)
    covered = [
        first + k * H for first, stop in runs for k in range((stop - first) // H)
    ]
    assert covered == [hour(i) for i in range(n) if i not in offsets]
    for (_, stop), (first, _) in itertools.pairwise(runs):
        assert stop < first and stop in present  # maximal runs, oldest first
    for first, stop in runs:
        assert first < stop


def rows_at(sums: dict[int, float]) -> dict[datetime, HourRow]:
    return {hour(i): HourRow(hour(i), total) for i, total in sums.items()}


def test_plan_runs_anchor_after_each_run_and_last_run_carried_to_the_present() -> None:
    rows = rows_at({2: 10.5, 3: 11.25})
    plans = plan_runs(hour(0), hour(6), hour(8), rows, rows[hour(3)])
    assert plans == [
        RunPlan(hour(0), hour(2), rows[hour(2)], None),
        # nothing after the range: carried to the present, chained forwards from row 3
        RunPlan(hour(4), hour(8), None, rows[hour(3)]),
    ]
    assert [plan.hours for plan in plans] == [2, 4]


def test_plan_runs_last_run_carried_to_the_next_row() -> None:
    rows = rows_at({1: 3.0, 9: 7.0, 12: 8.0})
    plans = plan_runs(hour(0), hour(5), hour(14), rows, rows[hour(12)])
    assert plans == [
        RunPlan(hour(0), hour(1), rows[hour(1)], None),
        RunPlan(hour(2), hour(9), rows[hour(9)], None),
    ]


def test_plan_runs_range_ending_on_a_row_or_ending_with_one() -> None:
    rows = rows_at({5: 4.0})
    # the hour at the range's end has a row: the run stops there, anchored on it
    assert plan_runs(hour(0), hour(5), hour(9), rows, rows[hour(5)]) == [
        RunPlan(hour(0), hour(5), rows[hour(5)], None)
    ]
    # the range's last hour has a row: nothing is carried beyond the range
    assert plan_runs(hour(0), hour(6), hour(9), rows, rows[hour(5)]) == [
        RunPlan(hour(0), hour(5), rows[hour(5)], None)
    ]


def test_plan_runs_before_row_and_provisional() -> None:
    newest = HourRow(hour(-7), 42.0)  # the statistic's newest row, before the range
    assert plan_runs(hour(0), hour(3), hour(5), {}, newest) == [
        RunPlan(hour(0), hour(5), None, newest)
    ]
    # no row anywhere: provisional (neither anchor nor before)
    assert plan_runs(hour(0), hour(3), hour(5), {}, None) == [
        RunPlan(hour(0), hour(5), None, None)
    ]
    # a newest row that is not before the run is no "before"
    later = HourRow(hour(4), 1.0)
    assert plan_runs(hour(2), hour(3), hour(5), {}, later) == [
        RunPlan(hour(2), hour(5), None, None)
    ]
    # the range reaching past the present keeps its end
    assert plan_runs(hour(0), hour(6), hour(4), {}, None) == [
        RunPlan(hour(0), hour(6), None, None)
    ]


def test_plan_runs_before_is_the_newest_earlier_row_of_the_range() -> None:
    rows = rows_at({0: 1.0, 1: 2.0, 3: 5.0})
    plans = plan_runs(hour(0), hour(6), hour(6), rows, rows[hour(3)])
    assert plans == [
        RunPlan(hour(2), hour(3), rows[hour(3)], None),
        RunPlan(hour(4), hour(6), None, rows[hour(3)]),
    ]


def test_minimum_requests() -> None:
    assert minimum_requests(0, 24) == 0
    assert minimum_requests(1, 24) == 1
    assert minimum_requests(24, 24) == 1
    assert minimum_requests(25, 24) == 2
    assert minimum_requests(7, 1) == 7
    assert minimum_requests(96, 30) == 4


@given(st.integers(0, 10_000), st.integers(1, 255))
@settings(max_examples=50, derandomize=True, deadline=None)
def test_minimum_requests_is_the_fewest_blocks(
    intervals: int, max_periods: int
) -> None:
    requests = minimum_requests(intervals, max_periods)
    assert requests * max_periods >= intervals
    assert requests == 0 or (requests - 1) * max_periods < intervals


def test_chain_steps_backwards() -> None:
    chain = _Chain(100.0, 3.0)  # anchor: sum 100, its hour consumed 3
    assert chain.step(2.5) == 97.0  # the hour before the anchor
    assert chain.step(None) == 94.5  # an invalid hour: its sum still chains...
    assert chain.step(1.25) == 94.5  # ...and it counts 0
    assert chain.next_sum - chain.next_consumption == 93.25
    provisional = _Chain(0.0, 0.0)
    assert provisional.step(4.0) == 0.0
    assert provisional.step(7.0) == -4.0
    assert provisional.step(0.0) == -11.0


# --- summarize / _ranges -------------------------------------------------------------------


def test_ranges() -> None:
    hours = [hour(0), hour(1), hour(2), hour(5), hour(7), hour(8)]
    assert _ranges(hours) == [
        {"start": hour(0).isoformat(), "end": hour(3).isoformat()},
        {"start": hour(5).isoformat(), "end": hour(6).isoformat()},
        {"start": hour(7).isoformat(), "end": hour(9).isoformat()},
    ]
    assert _ranges([]) == []
    assert _ranges([hour(4)]) == [
        {"start": hour(4).isoformat(), "end": hour(5).isoformat()}
    ]


@given(st.sets(st.integers(0, 40)))
@settings(max_examples=50, derandomize=True, deadline=None)
def test_ranges_cover_exactly_the_hours(offsets: set[int]) -> None:
    ranges = _ranges(sorted(hour(i) for i in offsets))
    covered: list[datetime] = []
    for item in ranges:
        first = datetime.fromisoformat(item["start"])
        stop = datetime.fromisoformat(item["end"])
        assert first < stop
        covered += [first + k * H for k in range((stop - first) // H)]
    assert covered == sorted(hour(i) for i in offsets)
    for older, newer in itertools.pairwise(ranges):
        assert older["end"] < newer["start"]  # separate, oldest first


def test_summarize() -> None:
    tally = Tally(
        requests=3,
        intervals=70,
        written=[hour(4), hour(2), hour(3), hour(0)],  # newest first, as written
        gaps=[hour(6), hour(1), hour(5)],
        history_start=hour(-2),
    )
    requested = (hour(0) + timedelta(minutes=20), hour(7))
    assert summarize(
        "sensor.meter_summation_delivered",
        "delivered",
        requested,
        tally,
        recorded_hours=2,
        provisional=False,
    ) == {
        "statistic_id": "sensor.meter_summation_delivered",
        "channel": "delivered",
        "requested": {
            "start": requested[0].isoformat(),
            "end": requested[1].isoformat(),
        },
        "imported": {"start": hour(0).isoformat(), "end": hour(5).isoformat()},
        "hours_imported": 4,
        "intervals_received": 70,
        "requests": 3,
        "gaps": [
            {"start": hour(1).isoformat(), "end": hour(2).isoformat()},
            {"start": hour(5).isoformat(), "end": hour(7).isoformat()},
        ],
        "hours_already_recorded": 2,
        "joins_live_statistics": True,
        "history_start": hour(-2).isoformat(),
    }
    empty = summarize(
        "sensor.x", "received", requested, Tally(), recorded_hours=0, provisional=True
    )
    assert empty["imported"] is None
    assert empty["hours_imported"] == 0
    assert empty["gaps"] == []
    assert empty["joins_live_statistics"] is False
    assert empty["history_start"] is None


# --- ProfileFetcher: examples --------------------------------------------------------------


def asymmetric(count: int, first: int = 101) -> list[int]:
    """Strictly growing, distinct counts: no reversal or shift goes unnoticed."""
    return [first + 7 * i + i * i for i in range(count)]


def with_invalid(counts: list[int], *invalid: int) -> list[int | None]:
    """The counts with those at the indexes ``invalid`` marked invalid (0xFFFFFF)."""
    return [None if index in invalid else count for index, count in enumerate(counts)]


def known(value: float | None) -> float:
    """An hour's consumption the reference has."""
    assert value is not None
    return value


def fetch(
    meter: FakeMeter | ScriptedMeter,
    start: datetime,
    end: datetime,
    *,
    newest: bool,
    fmt: MeteringFormat = KWH,
    max_periods: int | None = None,
) -> tuple[list[dict[datetime, float | None]], HistoryEnd | None, Tally, MeterProfile]:
    profile = make_profile(meter, fmt, max_periods=max_periods)
    tally = Tally()
    fetcher = ProfileFetcher(profile, tally, start, end, newest=newest)
    calls, ended = fetch_all(fetcher)
    return calls, ended, tally, profile


@pytest.mark.parametrize("period", [3600, 1800, 900])
@pytest.mark.parametrize(("fmt", "bcd"), [(KWH, False), (LITRES_BCD, True)])
def test_fetcher_hours_are_the_sums_of_their_intervals(
    period: int, fmt: MeteringFormat, bcd: bool
) -> None:
    per_hour = HOUR_S // period
    # 10 hours of history from T0; 5 intervals per block
    meter = make_meter(
        ut(0) + period, asymmetric(10 * per_hour), period, max_periods=5, bcd=bcd
    )
    calls, ended, tally, profile = fetch(meter, hour(2), hour(8), newest=False, fmt=fmt)
    assert ended is None
    items = flatten(calls)
    assert [when for when, _ in items] == [hour(i) for i in range(7, 1, -1)]
    reference = reference_hours(meter, fmt)
    assert dict(items) == {hour(i): reference[hour(i)] for i in range(2, 8)}
    # the first hour by hand: the intervals of 07:00-08:00
    multiplier, divisor = scale(fmt)
    first = 7 * per_hour
    expected = (
        sum(asymmetric(10 * per_hour)[first : first + per_hour]) * multiplier / divisor
    )
    assert items[0] == (hour(7), expected)
    # the fewest requests, EndTime = the window's end, then each block's oldest start
    blocks = 6 * per_hour
    assert tally.requests == len(meter.requests) == minimum_requests(blocks, 5)
    assert [request[1] for request in meter.requests] == [
        ut(8) - k * 5 * period for k in range(tally.requests)
    ]
    assert {request[2] for request in meter.requests} == {5}
    # always a full block (the history allowing): the last one reaches past the start
    assert tally.intervals == sum(
        min(5, (end - meter.history_start) // period) for _, end, _ in meter.requests
    )
    assert profile.period == period


def test_fetcher_bcd_sums_decode() -> None:
    # a BCD hour sum with carries: 4 x 0.1 L intervals of 995, 996, 997, 998 (hex-looking)
    meter = make_meter(ut(0) + 900, [995, 996, 997, 998], 900, bcd=True)
    calls, ended, _, _ = fetch(meter, hour(0), hour(1), newest=False, fmt=LITRES_BCD)
    assert ended is None
    assert flatten(calls) == [(hour(0), (995 + 996 + 997 + 998) / 10)]


def test_fetcher_invalid_interval_makes_its_hour_none() -> None:
    counts = asymmetric(12)  # 3 hours of 15 minutes
    meter = make_meter(ut(0) + 900, with_invalid(counts, 5), 900, max_periods=7)
    calls, ended, _, _ = fetch(meter, hour(0), hour(3), newest=False)
    assert ended is None
    items = flatten(calls)
    assert [when for when, _ in items] == [hour(2), hour(1), hour(0)]
    assert items[1] == (hour(1), None)
    assert items[0][1] == sum(counts[8:12]) / 1000
    assert items[2][1] == sum(counts[0:4]) / 1000


def test_fetcher_meter_skipping_intervals_leaves_their_hours_none() -> None:
    """A block that ends before the one asked (intervals missing): those hours are None."""
    code = ProfileIntervalPeriod.MINUTES_30
    meter = ScriptedMeter(
        [
            ProfileResponse(ut(4), ProfileStatus.SUCCESS, code, 2, (41, 37)),
            # asked EndTime 03:00; the meter has nothing from 02:00 to 03:00
            ProfileResponse(ut(2), ProfileStatus.SUCCESS, code, 4, (29, 23, 19, 17)),
        ]
    )
    calls, ended, _, _ = fetch(meter, hour(0), hour(4), newest=False, max_periods=4)
    assert ended is None
    assert [request[1] for request in meter.requests] == [ut(4), ut(3)]
    assert calls == [
        {hour(3): 0.078},
        {hour(2): None, hour(1): 0.052, hour(0): 0.036},
    ]


@pytest.mark.parametrize("period", [3600, 1800, 900])
def test_fetcher_blocks_ending_mid_hour(period: int) -> None:
    """A meter sending one interval fewer than announced: blocks end inside hours."""
    per_hour = HOUR_S // period
    meter = make_meter(
        ut(0) + period, asymmetric(8 * per_hour), period, max_periods=3, fewer=1
    )
    calls, ended, _, _ = fetch(meter, hour(1), hour(7), newest=False)
    assert ended is None
    items = flatten(calls)
    reference = reference_hours(meter)
    assert [when for when, _ in items] == [hour(i) for i in range(6, 0, -1)]
    assert dict(items) == {hour(i): reference[hour(i)] for i in range(1, 7)}
    assert None not in dict(items).values()
    # each request starts where the previous answer's intervals stop: 2 per block
    ends = [request[1] for request in meter.requests]
    assert ends == [ut(7) - k * 2 * period for k in range(len(ends))]


def test_fetcher_blocks_shorter_than_an_hour_return_nothing_until_complete() -> None:
    meter = make_meter(ut(0) + 900, asymmetric(12), 900, max_periods=3)
    calls, ended, _, _ = fetch(meter, hour(0), hour(3), newest=False)
    assert ended is None
    # 3 quarters per block: an hour completes every 4 intervals
    assert [list(call) for call in calls] == [[], [hour(2)], [hour(1)], [hour(0)]]


def test_fetcher_newest_block_asks_end_time_zero_and_reports_the_current_hour() -> None:
    # the meter's present is 05:30: the 05:00 hour has only two of its quarters
    meter = make_meter(ut(0) + 900, asymmetric(22), 900, max_periods=8)
    calls, ended, tally, _ = fetch(meter, hour(3), hour(5), newest=True)
    assert ended is None
    assert meter.requests[0] == (0, 0, 8)
    items = flatten(calls)
    assert [when for when, _ in items] == [hour(5), hour(4), hour(3)]
    assert items[0] == (hour(5), None)
    reference = reference_hours(meter)
    assert dict(items[1:]) == {hour(4): reference[hour(4)], hour(3): reference[hour(3)]}
    # from 05:30 back to 03:00: 10 intervals, 2 requests
    assert tally.requests == minimum_requests(10, 8) == 2


def test_fetcher_block_overlapping_the_previous_one_is_refused() -> None:
    """A block newer than the EndTime asked (overlapping what came) is a meter's error."""
    code = ProfileIntervalPeriod.MINUTES_60
    meter = ScriptedMeter(
        [
            ProfileResponse(ut(4), ProfileStatus.SUCCESS, code, 2, (41, 37)),
            ProfileResponse(ut(3), ProfileStatus.SUCCESS, code, 2, (37, 29)),
        ]
    )
    profile = make_profile(meter, max_periods=2)
    fetcher = ProfileFetcher(profile, Tally(), hour(0), hour(4), newest=False)
    assert run(fetcher.next_hours()) == {hour(3): 0.041, hour(2): 0.037}
    with pytest.raises(HomeAssistantError) as caught:
        run(fetcher.next_hours())
    assert_error(caught.value, HomeAssistantError, "metering_history_refused")
    assert caught.value.translation_placeholders == {
        "status": "a block newer than asked"
    }


@pytest.mark.parametrize("empty_at_start", [False, True])
def test_fetcher_history_end(empty_at_start: bool) -> None:
    # history from 02:30 (30-minute intervals) to 06:00
    meter = make_meter(
        ut(2.5) + 1800,
        asymmetric(7),
        1800,
        max_periods=4,
        empty_at_start=empty_at_start,
    )
    calls, ended, tally, _ = fetch(meter, hour(0), hour(6), newest=False)
    assert ended is not None
    assert ended.start == from_utc_time(ut(2.5))
    items = flatten(calls)
    # 02:00 has one interval: never reported
    assert [when for when, _ in items] == [hour(5), hour(4), hour(3)]
    reference = reference_hours(meter)
    assert dict(items) == {h: reference[h] for h in (hour(5), hour(4), hour(3))}
    assert tally.requests == minimum_requests(7, 4) + 1


def test_fetcher_no_history_at_all_in_the_newest_window() -> None:
    meter = ScriptedMeter(
        [
            ProfileResponse(
                0,
                ProfileStatus.NO_INTERVALS_AVAILABLE,
                ProfileIntervalPeriod.MINUTES_60,
                0,
                (),
            )
        ]
    )
    profile = make_profile(meter)
    fetcher = ProfileFetcher(profile, Tally(), hour(0), hour(5), newest=True)
    with pytest.raises(HistoryEnd) as caught:
        run(fetcher.next_hours())
    assert caught.value.start == hour(5)
    assert not fetcher.done


def test_fetcher_follows_a_meter_below_the_asked_maximum() -> None:
    """Status 0x04: the meter sends its 6; asking 24 again takes as few requests."""
    meter = make_meter(ut(0) + 3600, asymmetric(20), 3600, max_periods=6)
    calls, ended, tally, profile = fetch(
        meter, hour(2), hour(20), newest=False, max_periods=24
    )
    assert ended is None
    assert profile.max_periods == 24
    assert [request[2] for request in meter.requests] == [24, 24, 24]
    assert tally.requests == minimum_requests(18, 6)
    reference = reference_hours(meter)
    assert dict(flatten(calls)) == {hour(i): reference[hour(i)] for i in range(2, 20)}


def assert_error(
    error: Exception, kind: type[HomeAssistantError], key: str, **placeholders: str
) -> None:
    assert type(error) is kind
    assert isinstance(error, HomeAssistantError)
    assert error.translation_domain == DOMAIN
    assert error.translation_key == key
    if placeholders:
        assert error.translation_placeholders == placeholders


@pytest.mark.parametrize(
    ("status", "kind", "key"),
    [
        (
            ProfileStatus.UNDEFINED_INTERVAL_CHANNEL,
            ServiceValidationError,
            "metering_history_channel_not_supported",
        ),
        (
            ProfileStatus.INTERVAL_CHANNEL_NOT_SUPPORTED,
            ServiceValidationError,
            "metering_history_channel_not_supported",
        ),
        (
            ProfileStatus.INVALID_END_TIME,
            HomeAssistantError,
            "metering_history_refused",
        ),
    ],
)
def test_fetcher_status_errors(
    status: ProfileStatus, kind: type[HomeAssistantError], key: str
) -> None:
    meter = ScriptedMeter(
        [ProfileResponse(ut(3), status, ProfileIntervalPeriod.MINUTES_60, 0, ())]
    )
    fetcher = ProfileFetcher(
        make_profile(meter), Tally(), hour(0), hour(3), newest=False
    )
    with pytest.raises(HomeAssistantError) as caught:
        run(fetcher.next_hours())
    assert_error(caught.value, kind, key, status=status.name)


@pytest.mark.parametrize(
    "status",
    [
        ProfileStatus.NO_INTERVALS_AVAILABLE,
        ProfileStatus.SUCCESS,
        ProfileStatus.MORE_PERIODS_REQUESTED_THAN_CAN_BE_RETURNED,
    ],
)
def test_fetcher_statuses_without_intervals_end_the_history(
    status: ProfileStatus,
) -> None:
    code = ProfileIntervalPeriod.MINUTES_60
    meter = ScriptedMeter(
        [
            ProfileResponse(ut(3), ProfileStatus.SUCCESS, code, 1, (5,)),
            ProfileResponse(ut(2), status, code, 0, ()),
        ]
    )
    tally = Tally()
    fetcher = ProfileFetcher(
        make_profile(meter, max_periods=1), tally, hour(0), hour(3), newest=False
    )
    assert run(fetcher.next_hours()) == {hour(2): 0.005}
    with pytest.raises(HistoryEnd) as caught:
        run(fetcher.next_hours())
    assert caught.value.start == hour(2)
    assert tally.requests == 2
    assert tally.intervals == 1


def test_fetcher_daily_intervals_refused() -> None:
    meter = ScriptedMeter(
        [
            ProfileResponse(
                ut(24), ProfileStatus.SUCCESS, ProfileIntervalPeriod.DAILY, 1, (5,)
            )
        ]
    )
    fetcher = ProfileFetcher(
        make_profile(meter), Tally(), hour(0), hour(24), newest=False
    )
    with pytest.raises(HomeAssistantError) as caught:
        run(fetcher.next_hours())
    assert_error(
        caught.value, ServiceValidationError, "metering_history_daily_intervals"
    )


def test_fetcher_period_change_refused() -> None:
    meter = ScriptedMeter(
        [
            ProfileResponse(
                ut(3),
                ProfileStatus.SUCCESS,
                ProfileIntervalPeriod.MINUTES_30,
                2,
                (5, 6),
            )
        ]
    )
    fetcher = ProfileFetcher(
        make_profile(meter, period=3600), Tally(), hour(0), hour(3), newest=False
    )
    with pytest.raises(HomeAssistantError) as caught:
        run(fetcher.next_hours())
    assert_error(
        caught.value,
        HomeAssistantError,
        "metering_history_refused",
        status="interval period changed",
    )


def test_fetcher_block_off_the_period_grid_refused() -> None:
    code = ProfileIntervalPeriod.MINUTES_30
    meter = ScriptedMeter(
        [
            ProfileResponse(ut(3), ProfileStatus.SUCCESS, code, 2, (5, 6)),
            ProfileResponse(ut(1.75), ProfileStatus.SUCCESS, code, 2, (7, 8)),
        ]
    )
    fetcher = ProfileFetcher(
        make_profile(meter, max_periods=2), Tally(), hour(0), hour(3), newest=False
    )
    assert run(fetcher.next_hours()) == {hour(2): 0.011}
    with pytest.raises(HomeAssistantError) as caught:
        run(fetcher.next_hours())
    assert_error(
        caught.value,
        HomeAssistantError,
        "metering_history_refused",
        status="intervals off the period grid",
    )


@pytest.mark.parametrize("error", [DeliveryError("lost"), TimeoutError()])
def test_fetcher_no_answer(error: Exception) -> None:
    meter = ScriptedMeter([error])
    tally = Tally()
    fetcher = ProfileFetcher(make_profile(meter), tally, hour(0), hour(3), newest=False)
    with pytest.raises(NoAnswerError):
        run(fetcher.next_hours())
    assert tally.requests == 0


# --- HistoryImport: examples ---------------------------------------------------------------


@dataclass
class Recorded:
    """What HistoryImport wrote: every import_rows call's rows."""

    calls: list[list[HourRow]] = field(default_factory=list)
    #: The dummy ``hass`` the import is given (and must hand to import_rows).
    hass: Any = field(default_factory=object)

    @property
    def rows(self) -> dict[datetime, float]:
        return {row.start: row.sum for call in self.calls for row in call}

    @property
    def order(self) -> list[datetime]:
        return [row.start for call in self.calls for row in call]


def record_rows(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    recorded = Recorded()

    def import_rows(hass: Any, metadata: Any, rows: Any) -> None:
        assert hass is recorded.hass
        assert metadata is METADATA
        recorded.calls.append(list(rows))

    monkeypatch.setattr(stats, "import_rows", import_rows)
    return recorded


def new_import(
    recorded: Recorded, profile: MeterProfile
) -> tuple[HistoryImport, list[int]]:
    notified: list[int] = []
    progress = Progress()
    job = HistoryImport(
        recorded.hass,
        profile,
        METADATA,
        progress,
        lambda: notified.append(progress.hours_done),
    )
    return job, notified


def test_backward_from_an_anchor(monkeypatch: pytest.MonkeyPatch) -> None:
    # 8 hours of 30 minutes from T0; 03:30-04:00 invalid: hour 3 has no consumption
    values = with_invalid(asymmetric(8 * 2), 7)
    meter = make_meter(ut(0) + 1800, values, 1800, max_periods=5)
    recorded = record_rows(monkeypatch)
    job, notified = new_import(recorded, make_profile(meter))
    anchor = HourRow(hour(6), 1000.0)  # the first live hour
    result = run(job.backward(hour(1), hour(6), anchor, newest=False))

    c = reference_hours(meter)
    rows = recorded.rows
    assert sorted(rows) == [hour(1), hour(2), hour(4), hour(5)]
    assert job.tally.gaps == [hour(3)]
    # the anchor's hour shows what the meter measured in it
    assert anchor.sum - rows[hour(5)] == pytest.approx(c[hour(6)])
    assert rows[hour(5)] - rows[hour(4)] == pytest.approx(c[hour(5)])
    # the invalid hour 3 counts 0: row 4 - row 2 is hour 4's consumption alone
    assert rows[hour(4)] - rows[hour(2)] == pytest.approx(c[hour(4)])
    assert rows[hour(2)] - rows[hour(1)] == pytest.approx(c[hour(2)])
    assert result == pytest.approx(rows[hour(1)] - known(c[hour(1)]))
    # written newest first, once per answer
    assert recorded.order == sorted(rows, reverse=True)
    assert len(recorded.calls) == len(meter.requests)
    assert job.progress.hours_done == 5
    assert notified[-1] == 5
    # window [01:00, 07:00): 12 intervals, blocks of 5
    assert meter.requests[0][1] == ut(7)
    assert job.tally.requests == minimum_requests(12, 5)


def test_backward_provisional_ends_at_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    values = asymmetric(6)
    meter = make_meter(ut(0) + 3600, values, 3600, max_periods=4)
    recorded = record_rows(monkeypatch)
    job, _ = new_import(recorded, make_profile(meter))
    result = run(job.backward(hour(1), hour(6), None, newest=True))
    rows = recorded.rows
    c = reference_hours(meter)
    assert rows[hour(5)] == 0.0
    assert rows[hour(4)] == pytest.approx(-known(c[hour(5)]))
    for h in range(1, 5):
        assert rows[hour(h + 1)] - rows[hour(h)] == pytest.approx(c[hour(h + 1)])
    assert result == pytest.approx(rows[hour(1)] - known(c[hour(1)]))
    assert meter.requests[0][1] == 0
    assert job.tally.gaps == []


def test_backward_history_ends_first(monkeypatch: pytest.MonkeyPatch) -> None:
    meter = make_meter(ut(3) + 3600, asymmetric(3), 3600, max_periods=2)  # 03:00-06:00
    recorded = record_rows(monkeypatch)
    job, _ = new_import(recorded, make_profile(meter))
    anchor = HourRow(hour(5), 50.0)
    result = run(job.backward(hour(0), hour(5), anchor, newest=False))
    assert result is None
    assert job.tally.history_start == hour(3)
    assert sorted(recorded.rows) == [hour(3), hour(4)]
    assert sorted(job.tally.gaps) == [hour(0), hour(1), hour(2)]
    assert job.progress.hours_done == 5


def test_backward_anchor_hour_invalid_counts_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = with_invalid(asymmetric(4), 3)  # the anchor's own hour (03:00) is invalid
    meter = make_meter(ut(0) + 3600, values, 3600)
    recorded = record_rows(monkeypatch)
    job, _ = new_import(recorded, make_profile(meter))
    run(job.backward(hour(0), hour(3), HourRow(hour(3), 9.0), newest=False))
    assert recorded.rows[hour(2)] == 9.0


def test_backward_meter_clock_ahead_keeps_the_anchor_hour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A meter 2 minutes ahead: its quarters end at :02, :17, :32 and :47.

    hourly_consumption puts each interval in the hour holding its midpoint (a clock off by
    less than half an interval is fine), so 03:00 is the quarters ending 03:17 to 04:02.
    """
    counts = asymmetric(24)  # quarters ending 00:17 ... 06:02
    meter = make_meter(ut(0) + 900 + 120, counts, 900, max_periods=6)
    recorded = record_rows(monkeypatch)
    job, _ = new_import(recorded, make_profile(meter, period=900))
    anchor = HourRow(hour(3), 500.0)
    run(job.backward(hour(0), hour(3), anchor, newest=False))
    rows = recorded.rows
    assert sorted(rows) == [hour(0), hour(1), hour(2)]
    assert rows[hour(2)] - rows[hour(1)] == pytest.approx(sum(counts[8:12]) / 1000)
    assert rows[hour(1)] - rows[hour(0)] == pytest.approx(sum(counts[4:8]) / 1000)
    # got 0.0: EndTime 04:00 answers the block ending 03:47
    assert anchor.sum - rows[hour(2)] == pytest.approx(sum(counts[12:16]) / 1000)


def test_forward_from_a_row_before(monkeypatch: pytest.MonkeyPatch) -> None:
    values = with_invalid(asymmetric(24), 9)  # 6 hours of 15 minutes, hour 2 invalid
    meter = make_meter(ut(0) + 900, values, 900, max_periods=10)
    recorded = record_rows(monkeypatch)
    job, _ = new_import(recorded, make_profile(meter))
    before = HourRow(hour(-3), 12.5)
    total = run(job.forward(hour(1), hour(6), before, newest=True))
    c = reference_hours(meter)
    rows = recorded.rows
    assert sorted(rows) == [hour(1), hour(3), hour(4), hour(5)]
    assert rows[hour(1)] == pytest.approx(before.sum + known(c[hour(1)]))
    assert rows[hour(3)] - rows[hour(1)] == pytest.approx(c[hour(3)])
    assert rows[hour(4)] - rows[hour(3)] == pytest.approx(c[hour(4)])
    assert rows[hour(5)] - rows[hour(4)] == pytest.approx(c[hour(5)])
    assert total == rows[hour(5)]
    assert job.tally.gaps == [hour(2)]
    assert job.progress.hours_done == 5


# --- property tests ------------------------------------------------------------------------


@dataclass
class Case:
    """A random meter and a window of hours over its history."""

    meter: FakeMeter
    fmt: MeteringFormat
    #: The hour the meter's present is in (HA's current hour).
    current: int  # hours after T0
    start: int
    end: int

    @property
    def newest(self) -> bool:
        return self.end == self.current

    @property
    def history_floor(self) -> int:
        """The UTCTime from which the fetcher can see the meter's intervals."""
        return self.meter.history_start + self.meter.fewer * self.meter.period

    def history_end(self, window_end: int | None = None) -> datetime | None:
        """Where HistoryEnd says the history starts; None if the window is in it.

        The window is [start, window_end), window_end defaulting to the case's end.
        """
        if window_end is None:
            window_end = self.end
        if self.history_floor <= ut(self.start):
            return None
        # the first request's EndTime: 0 (the meter's newest) for a window at the present
        first = self.meter.last_end if window_end >= self.current else ut(window_end)
        if self.history_floor < first:
            return from_utc_time(self.history_floor)
        return hour(window_end)  # nothing at all: "nothing before the window's end"


@st.composite
def cases(draw: st.DrawFn, *, within_history: bool = False) -> Case:
    period = draw(st.sampled_from(PERIODS_DIVIDING_HOUR))
    per_hour = HOUR_S // period
    hours = draw(st.integers(1, 6))
    lead = draw(st.integers(0, per_hour - 1))  # the history starts inside hour 0
    tail = draw(st.integers(0, per_hour - 1))  # the present is inside the last hour
    count = max(1, hours * per_hour - lead - tail)
    fewer = draw(st.integers(0, 1))
    max_periods = draw(st.integers(1 + fewer, 30))
    bcd = draw(st.booleans())
    rng = draw(st.randoms(use_true_random=False))
    invalid = draw(st.sampled_from([0.0, 0.0, 0.05, 0.3]))
    top = 999_999 if bcd else 0xFF_FFFE
    values: list[int | None] = [
        None if rng.random() < invalid else rng.randrange(top + 1) for _ in range(count)
    ]
    meter = make_meter(
        ut(0) + (lead + 1) * period,
        values,
        period,
        max_periods=max_periods,
        fewer=fewer,
        bcd=bcd,
    )
    current = (meter.last_end - ut(0)) // HOUR_S
    lowest = -1
    if within_history:
        lowest = -(-(meter.history_start + fewer * period - ut(0)) // HOUR_S)
        assume(lowest < current)
    start = draw(st.integers(lowest, current - 1))
    end = draw(st.integers(start + 1, current))
    return Case(meter, LITRES_BCD if bcd else KWH, current, start, end)


def windows_fetched(case: Case) -> tuple[int, int]:
    """The UTCTimes the fetcher's blocks cover: from the window's end, down to its start."""
    top = case.meter.last_end if case.newest else ut(case.end)
    return top, ut(case.start)


@given(cases())
@settings(max_examples=150, derandomize=True, deadline=None)
def test_fetcher_matches_the_reference(case: Case) -> None:
    """Random histories and windows: the hours are the reference's, contiguous, newest first.

    Windows may start before the meter's history (HistoryEnd) and reach the present.
    """
    meter = case.meter
    calls, ended, tally, _ = fetch(
        meter, hour(case.start), hour(case.end), newest=case.newest, fmt=case.fmt
    )
    items = flatten(calls)
    hours = [when for when, _ in items]
    assert len(set(hours)) == len(hours)
    assert_contiguous_newest_first(hours)
    top, bottom = windows_fetched(case)
    # from the hour holding the newest interval asked down to the window's start, or the
    # first hour the meter has complete
    newest_hour = -(-top // HOUR_S) * HOUR_S - HOUR_S
    if case.history_floor > bottom:
        assert ended is not None
        assert ended.start == case.history_end()
        oldest_hour = -(-case.history_floor // HOUR_S) * HOUR_S
    else:
        assert ended is None
        oldest_hour = bottom
    assert hours == [
        from_utc_time(when) for when in range(newest_hour, oldest_hour - 1, -HOUR_S)
    ]
    reference = reference_hours(meter, case.fmt)
    assert dict(items) == {when: reference.get(when) for when in hours}
    # EndTime: 0 or the window's end, then each block's oldest interval start
    assert meter.requests[0][1] == (0 if case.newest else ut(case.end))
    for asked, following in itertools.pairwise(meter.requests):
        answer = meter.answer(asked[1], asked[2])
        oldest = answer.end_time - len(answer.intervals) * meter.period
        assert following[1] == oldest
    assert {request[2] for request in meter.requests} == {meter.max_periods}
    assert tally.requests == len(meter.requests)
    if meter.fewer == 0 and ended is None:
        assert tally.requests == minimum_requests(
            (top - bottom) // meter.period, meter.max_periods
        )


@given(cases(within_history=True), st.integers(0, 3))
@settings(max_examples=60, derandomize=True, deadline=None)
def test_fetcher_learning_the_maximum_keeps_the_hours(case: Case, extra: int) -> None:
    """Asking more than the meter's maximum (status 0x04) changes no hour."""
    meter = case.meter
    calls, ended, _, profile = fetch(
        meter,
        hour(case.start),
        hour(case.end),
        newest=case.newest,
        fmt=case.fmt,
        max_periods=meter.max_periods + 1 + extra,
    )
    assert ended is None
    reference = reference_hours(meter, case.fmt)
    items = flatten(calls)
    assert_contiguous_newest_first([when for when, _ in items])
    assert items[-1][0] == hour(case.start)
    assert dict(items) == {when: reference.get(when) for when, _ in items}
    assert (
        profile.max_periods == meter.max_periods + 1 + extra
    )  # the ask is not lowered


def test_fetcher_learning_from_a_meter_sending_fewer_than_announced() -> None:
    # history from 22:00 the day before; the window 00:00-06:00
    meter = make_meter(ut(-2) + 3600, asymmetric(8), 3600, max_periods=2, fewer=1)
    calls, ended, _, profile = fetch(
        meter, hour(0), hour(6), newest=False, max_periods=24
    )
    # got: HistoryEnd at 05:00 after the first answer (1 interval), asked 1 and sent none
    assert ended is None
    assert [when for when, _ in flatten(calls)] == [hour(i) for i in range(5, -1, -1)]
    assert profile.max_periods == 24  # asked as before: the meter sends what it can


def test_backward_anchor_at_the_present_shows_the_meters_consumption(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The usual join: the anchor is the last compiled hour, the meter is inside the next.

    15-minute intervals, 4 per block, the meter's present 04:30: the first block (EndTime
    0) covers 03:30-04:30 and completes only the 04:00 hour (None, it is not over); the
    anchor's hour 03:00 comes with the second block.
    """
    meter = make_meter(ut(0) + 900, asymmetric(18), 900, max_periods=4)  # 00:00-04:30
    recorded = record_rows(monkeypatch)
    job, _ = new_import(recorded, make_profile(meter))
    anchor = HourRow(hour(3), 500.0)  # 03:00, the first live hour
    run(job.backward(hour(0), hour(3), anchor, newest=True))
    c = reference_hours(meter)
    assert meter.requests[0][1] == 0
    # the anchor's hour shows what the meter measured in it (got 0.0: anchor.sum)
    assert anchor.sum - recorded.rows[hour(2)] == pytest.approx(c[hour(3)])


def test_fetcher_learning_at_the_history_start_keeps_the_meters_maximum() -> None:
    """A new meter (3 hours of history, maximum 10) asked for more than it has."""
    meter = make_meter(ut(0) + 3600, asymmetric(3), 3600, max_periods=10)
    calls, ended, _, profile = fetch(
        meter, hour(-5), hour(3), newest=False, max_periods=24
    )
    assert ended is not None
    assert ended.start == hour(0)
    assert [when for when, _ in flatten(calls)] == [hour(2), hour(1), hour(0)]
    # never below the real maximum (a block cut short by the history start teaches nothing)
    assert profile.max_periods >= meter.max_periods


def chained(
    reference: dict[datetime, float | None],
    start: int,
    end: int,
    anchor: HourRow | None,
    lowest: int,
) -> tuple[dict[datetime, float], float]:
    """The sums the chain should give: S(h) = S(h + 1) - c(h + 1), invalid counting 0."""

    def c(h: int) -> float:
        return reference.get(hour(h)) or 0.0 if h >= lowest else 0.0

    sums: dict[int, float] = {}
    if anchor is None:
        sums[end - 1] = 0.0
    else:
        sums[end - 1] = anchor.sum - c(end)
    for h in range(end - 2, start - 1, -1):
        sums[h] = sums[h + 1] - c(h + 1)
    rows = {
        hour(h): total
        for h, total in sums.items()
        if h >= lowest and reference.get(hour(h)) is not None
    }
    return rows, sums[start] - c(start)


@pytest.mark.parametrize("mode", ["provisional", "anchor"])
@given(case=cases(), anchor_sum=st.floats(-1e6, 1e6, allow_nan=False))
@settings(max_examples=100, derandomize=True, deadline=None)
def test_backward_chain_matches_the_consumption(
    mode: str, case: Case, anchor_sum: float
) -> None:
    """Rows chained backwards from an anchor row at `end`, older than the last compiled one.

    "provisional": no anchor, the chain ends at 0 (its window may reach the present).
    """
    check_backward(mode, case, anchor_sum)


@given(case=cases(), anchor_sum=st.floats(-1e6, 1e6, allow_nan=False))
@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: it fails, and quickly
)
def test_backward_chain_from_the_last_compiled_hour(
    case: Case, anchor_sum: float
) -> None:
    """The anchor is the last compiled hour: its window reaches the present (EndTime 0)."""
    check_backward("anchor_at_present", case, anchor_sum)


def check_backward(mode: str, case: Case, anchor_sum: float) -> None:
    meter = case.meter
    if mode == "anchor":
        case.end = min(case.end, case.current - 2)
    elif mode == "anchor_at_present":
        case.end = case.current - 1
    assume(case.start < case.end)
    anchor = None if mode == "provisional" else HourRow(hour(case.end), anchor_sum)
    window_end = case.end + (0 if anchor is None else 1)
    newest = window_end >= case.current
    with pytest.MonkeyPatch.context() as monkeypatch:
        recorded = record_rows(monkeypatch)
        job, notified = new_import(recorded, make_profile(meter, case.fmt))
        result = run(
            job.backward(hour(case.start), hour(case.end), anchor, newest=newest)
        )
    reference = reference_hours(meter, case.fmt)
    floor = case.history_floor
    ended = floor > ut(case.start)
    lowest = -(-(floor - ut(0)) // HOUR_S)  # the first hour the meter has in full
    expected, before = chained(reference, case.start, case.end, anchor, lowest)
    rows = recorded.rows
    assert rows.keys() == expected.keys()
    for when, total in expected.items():
        assert rows[when] == pytest.approx(total, abs=1e-6)
    # what the Energy dashboard shows: consecutive rows differ by the hour's consumption
    for h in range(case.start, case.end - 1):
        if hour(h) in rows and hour(h + 1) in rows:
            assert rows[hour(h + 1)] - rows[hour(h)] == pytest.approx(
                reference[hour(h + 1)], abs=1e-6
            )
    if anchor is not None and hour(case.end - 1) in rows and case.end - 1 >= lowest:
        assert anchor.sum - rows[hour(case.end - 1)] == pytest.approx(
            reference.get(hour(case.end)) or 0.0, abs=1e-6
        )
    if anchor is None and hour(case.end - 1) in rows:
        assert rows[hour(case.end - 1)] == 0.0
    if ended:
        assert result is None
        assert job.tally.history_start == case.history_end(window_end)
    else:
        assert result == pytest.approx(before, abs=1e-6)
        assert job.tally.history_start is None
    window = {hour(h) for h in range(case.start, case.end)}
    assert set(job.tally.gaps) == window - rows.keys()
    assert len(job.tally.gaps) == len(set(job.tally.gaps))
    assert recorded.order == sorted(rows, reverse=True)
    assert job.progress.hours_done == case.end - case.start
    assert notified == sorted(notified)


@given(cases(), st.integers(1, 5), st.floats(-1e6, 1e6, allow_nan=False))
@settings(max_examples=100, derandomize=True, deadline=None)
def test_forward_chain_matches_the_consumption(
    case: Case, gap: int, before_sum: float
) -> None:
    meter = case.meter
    before = HourRow(hour(case.start - gap), before_sum)
    with pytest.MonkeyPatch.context() as monkeypatch:
        recorded = record_rows(monkeypatch)
        job, _ = new_import(recorded, make_profile(meter, case.fmt))
        total = run(
            job.forward(hour(case.start), hour(case.end), before, newest=case.newest)
        )
    reference = reference_hours(meter, case.fmt)
    floor = case.history_floor
    lowest = -(-(floor - ut(0)) // HOUR_S)
    expected: dict[datetime, float] = {}
    running = before.sum
    for h in range(case.start, case.end):
        consumption = reference.get(hour(h)) if h >= lowest else None
        if consumption is not None:
            running += consumption
            expected[hour(h)] = running
    rows = recorded.rows
    assert rows.keys() == expected.keys()
    for when, value in expected.items():
        assert rows[when] == pytest.approx(value, abs=1e-6)
    assert total == pytest.approx(running, abs=1e-6)
    previous = before.sum
    for when in sorted(rows):
        assert rows[when] - previous == pytest.approx(reference[when], abs=1e-6)
        previous = rows[when]
    window = {hour(h) for h in range(case.start, case.end)}
    assert set(job.tally.gaps) == window - rows.keys()
    assert job.tally.history_start == case.history_end()
    assert job.progress.hours_done == case.end - case.start


def test_utc_time_round_trip() -> None:
    assert utc_time(datetime(2000, 1, 1, 1, tzinfo=UTC)) == HOUR_S
    assert from_utc_time(ut(3)) == hour(3)
    assert history.floor_hour(hour(2) + timedelta(minutes=59, seconds=59)) == hour(2)
