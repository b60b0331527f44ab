"""P3: one year of hourly history through ``import_meter_history`` — requests and loop time.

Reported, not asserted (apart from a one-off correctness check that is not timed). Each meter
has had its live sensor compiled by the recorder for two hours, then imports the 365 days
before: HA + recorder (in memory) + real ZHA + our quirk on the simulated network, through the
real service call.

Meters: the electricity meter (60-minute intervals, MaxNumberOfPeriodsDelivered 24) and the
sleepy gas meter (30-minute intervals, 12 periods announced per answer but one fewer sent).

Requests. GetProfile frames the meter received (``device.frames``), against the protocol
minimum ``history.minimum_requests(intervals needed, MaxNumberOfPeriodsDelivered)``: the
intervals needed are those of the holes (the hours of the year before the first live row)
and of the anchor hour (that first live row: its consumption is the chain's first link),
times the intervals per hour. ``ratio`` = sent / minimum; a meter that sends fewer intervals
than it announces (the gas meter) cannot reach 1.

Event-loop time. ``time.thread_time()`` (CPU time, user + kernel, of the event loop's thread)
around the service call plus one ``async_block_till_done``, minus the simulator's own work on
that thread. Counted: everything that ran on the loop meanwhile — our import, HA's service
call and state writes (the progress sensors), ZHA/zigpy's request path, zigpy-xbee's framing
and socket I/O on the host side, zigpy's device database (its ``last_seen`` writes per frame)
and any unrelated loop callback that happened to run (HA and ZHA are otherwise idle here). Not counted: the recorder's thread and its executor (the database
reads and writes of the statistics), the time the loop waited (the simulator's 5 ms reply
delay, the socket), and the simulator's work as far as it is wrapped — the XBee frontend's
``data_received`` (host frame parsing, routing, TX status) and ``SimDevice.handle_frame``
(the meter's GetProfile handler, its answer's encoding and socket write; it does not yield,
so timing it alone is exact). Left in the count: the simulator's socket ``recv`` (inside
asyncio's transport, before ``data_received``), its reply task's first step (the reply delay's
``sleep``) and that task's done-callback — some 50 µs per request, 2-3 % of the import's loop
time, by a loop-callback profiler (``asyncio.Handle._run`` timed per callback) on this machine.
The details line also gives wall times: the call, and how long the recorder's thread took to
finish writing the rows after it returned (HA's ``import_statistics`` reads and writes row by
row). The recorder's SQL statements, which phcc logs at INFO, are not logged here.

Two baselines, each measured in the same run, for each meter, after its import, on the loop
thread and the same way (``thread_time`` around the work plus one ``async_block_till_done``):

- ``baseline_ms`` ("codec + recorder hand-off"): what any import must do on the loop with the
  same data — decode the very GetProfileResponse payloads the meter sent with
  ``protocol.metering.decode_get_profile_response``, and hand the same number of hourly rows,
  in calls of the same sizes as the import made, to the recorder's ``async_import_statistics``
  (into a separate statistic). No request is sent, so nothing of the simulator's runs: a floor
  no importer can reach. Median of three rounds. ``loop_ratio`` = import loop time / this.
- ``requests_ms`` ("raw GetProfile requests"): the same requests sent raw through zigpy — as
  many ``get_profile(interval_channel=..., end_time=..., number_of_periods=...)`` calls on the
  meter's zigpy Metering cluster (the one ZHA has, endpoint 1) as the import made, with the
  arguments it used (recorded by a spy on the cluster's ``read_profile``: the first asks
  EndTime 0, the meter's newest block), awaited one after another, the answers dropped (zigpy
  still parses them with the cluster's schema: that is its request path). Minus the
  simulator's own work, as for the import. This is what every importer sending the same
  requests pays — zigpy's request/response path, zigpy-xbee's framing and socket I/O, zigpy's
  device database — so ``request_ratio`` = import loop time / this shows what the import adds
  on top of its requests (the codec, the hourly sums, the hand-off to the recorder, the
  progress sensors, the service call). One round: the requests take wall time (the reply
  delay, the sleepy meter's polls), and the meter is kept awake for them as for the import.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
import cProfile
from dataclasses import dataclass
from datetime import datetime, timedelta
import functools
import logging
import os
import statistics
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.models import StatisticData, StatisticMetaData
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_metadata,
)
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.zha_device_pack import zha_bridge
from custom_components.zha_device_pack.metering import (
    history,
    statistics as meter_stats,
)
from custom_components.zha_device_pack.protocol import metering
from tests.conftest import ZigbeeHarness
from tests.metering.test_history import (
    changes,
    floor_hour,
    get_profile_frames,
    hour_rows,
    import_history,
    joined_meter,
    run_live,
    start_at_minute,
    true_hours,
)
from tests.simulator import SimDevice
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_meters import meter, se_electricity_meter, se_gas_meter
from tests.simulator.xbee import _Connection

pytestmark = pytest.mark.freeze_time(tick=True)

HOUR = timedelta(hours=1)
DAYS = 365
BASELINE_ROUNDS = 3
#: Set to a path to dump cProfile stats of each import to ``<path>.<meter>`` (the timings
#: then include the profiler's overhead: read the profile, not the ratios). Since Python
#: 3.12 cProfile sees every thread: the recorder's SQL is in it too.
PROFILE_ENV = "P3_PROFILE"
GET_PROFILE = 0x00


class SimulatorTime:
    """CPU time of the loop thread spent inside the simulator's wrapped entry points."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seconds = 0.0
        self._depth = 0
        data_received = _Connection.data_received
        handle_frame = SimDevice.handle_frame

        @functools.wraps(data_received)
        def timed_data_received(connection: _Connection, data: bytes) -> None:
            with self._timed():
                data_received(connection, data)

        @functools.wraps(handle_frame)
        async def timed_handle_frame(device: SimDevice, frame: Any) -> None:
            # the handlers this benchmark reaches do not yield: one step, timed alone
            with self._timed():
                await handle_frame(device, frame)

        monkeypatch.setattr(_Connection, "data_received", timed_data_received)
        monkeypatch.setattr(SimDevice, "handle_frame", timed_handle_frame)

    @contextmanager
    def _timed(self) -> Any:
        self._depth += 1
        start = time.thread_time()
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self.seconds += time.thread_time() - start


async def loop_seconds(
    hass: HomeAssistant,
    work: Callable[[], Coroutine[Any, Any, Any]],
    profile: cProfile.Profile | None = None,
) -> tuple[float, Any]:
    """Run ``work`` and what it left queued; return the loop thread's CPU time and result."""
    if profile is not None:
        profile.enable()
    start = time.thread_time()
    result = await work()
    await hass.async_block_till_done()
    seconds = time.thread_time() - start
    if profile is not None:
        profile.disable()
    return seconds, result


@dataclass
class Meter:
    """One meter of the benchmark."""

    name: str
    device: SimDevice
    #: Intervals per hour.
    per_hour: int
    max_periods: int


@dataclass
class Result:
    """What one meter's import measured."""

    line: str
    details: str


async def _baseline(
    hass: HomeAssistant,
    payloads: list[bytes],
    call_sizes: list[int],
    metadata: StatisticMetaData,
    first_hour: datetime,
) -> float:
    """Loop time of the unavoidable work: decode the payloads, hand the rows over."""

    async def work() -> None:
        for payload in payloads:
            metering.decode_get_profile_response(payload)
        hour = first_hour
        total = 0.0
        for size in call_sizes:
            rows: list[StatisticData] = []
            for _ in range(size):
                total += 1.0
                rows.append(StatisticData(start=hour, sum=total))
                hour += HOUR
            async_import_statistics(hass, metadata, rows)

    samples = []
    for _ in range(BASELINE_ROUNDS):
        seconds, _ = await loop_seconds(hass, work)
        samples.append(seconds)
    return statistics.median(samples)


async def _raw_requests(
    hass: HomeAssistant,
    cluster: Any,
    asked: list[tuple[int, int, int]],
    sim: SimulatorTime,
) -> float:
    """Loop time of the import's GetProfile requests sent raw through zigpy, answers dropped."""

    async def work() -> None:
        for channel, end_time, periods in asked:
            await cluster.get_profile(
                interval_channel=channel,
                end_time=end_time,
                number_of_periods=periods,
            )

    sim_before = sim.seconds
    seconds, _ = await loop_seconds(hass, work)
    return seconds - (sim.seconds - sim_before)


async def _measure(
    hass: HomeAssistant,
    meter_: Meter,
    entity_id: str,
    sim: SimulatorTime,
    monkeypatch: pytest.MonkeyPatch,
) -> Result:
    device = meter_.device
    live = await hour_rows(hass, entity_id)
    now = dt_util.utcnow()
    start_hour = floor_hour(now - timedelta(days=DAYS))
    first_live = min(live) if live else None
    holes = int(((first_live or floor_hour(now)) - start_hour) / HOUR)
    anchor = 1 if first_live is not None else 0
    minimum = history.minimum_requests(
        (holes + anchor) * meter_.per_hour, meter_.max_periods
    )

    # the sizes of the import's calls to async_import_statistics (for the baseline)
    call_sizes: list[int] = []
    original = meter_stats.async_import_statistics

    def spy(hass_: HomeAssistant, metadata: Any, rows: Any) -> None:
        call_sizes.append(len(rows))
        original(hass_, metadata, rows)

    monkeypatch.setattr(meter_stats, "async_import_statistics", spy)
    # the arguments of the import's GetProfile requests (for the raw requests)
    zha_device = zha_bridge.zha_device(hass, device.ieee)
    assert zha_device is not None
    cluster = zha_device.device.endpoints[1].in_clusters[0x0702]
    asked: list[tuple[int, int, int]] = []
    read_profile = cluster.read_profile

    async def spy_read_profile(channel: int, end_time: int, periods: int) -> Any:
        asked.append((channel, end_time, periods))
        return await read_profile(channel, end_time, periods)

    cluster.read_profile = spy_read_profile
    frames_before = len(get_profile_frames(device))
    sim_before = sim.seconds
    profile = cProfile.Profile() if os.environ.get(PROFILE_ENV) else None
    wall = time.monotonic()
    loop_s, summary = await loop_seconds(
        hass, lambda: import_history(hass, entity_id, days=DAYS), profile
    )
    returned = time.monotonic()
    await async_wait_recording_done(hass)  # the recorder's thread writes the rows
    written = time.monotonic()
    if profile is not None:
        profile.dump_stats(f"{os.environ[PROFILE_ENV]}.{meter_.name}")
    sim_s = sim.seconds - sim_before
    monkeypatch.setattr(meter_stats, "async_import_statistics", original)
    del cluster.read_profile  # the class's method again
    requests = len(get_profile_frames(device)) - frames_before
    import_s = loop_s - sim_s

    # the same work by the codec and the recorder alone, into another statistic
    payloads = [
        frame.payload
        for frame in device.frames(
            cluster=0x0702, command=GET_PROFILE, general=False, sent=True
        )
    ][-requests:]
    found = await hass.async_add_executor_job(
        functools.partial(get_metadata, hass, statistic_ids={entity_id})
    )
    metadata = StatisticMetaData(  # type: ignore[typeddict-item]
        {
            **found[entity_id][1],
            "statistic_id": f"sensor.p3_baseline_{meter_.name.replace('-', '_')}",
        }
    )
    baseline_s = await _baseline(
        hass, payloads, call_sizes, metadata, start_hour - timedelta(days=400)
    )

    # the same GetProfile requests, raw through zigpy, nothing done with the answers
    assert len(asked) == requests, (len(asked), requests)
    answers_before = len(
        device.frames(cluster=0x0702, command=GET_PROFILE, general=False, sent=True)
    )
    device.stay_awake(3600)  # a sleepy meter answers as the requests come
    raw_wall = time.monotonic()
    raw_sim_before = sim.seconds
    requests_s = await _raw_requests(hass, cluster, asked, sim)
    raw_sim_s = sim.seconds - raw_sim_before
    raw_wall = time.monotonic() - raw_wall
    answers = (
        len(
            device.frames(cluster=0x0702, command=GET_PROFILE, general=False, sent=True)
        )
        - answers_before
    )
    assert answers == len(asked), (answers, len(asked))

    # correctness, once, not timed: every hour of the year but the invalid ones, as measured
    rows = await hour_rows(hass, entity_id)
    truth = true_hours(meter(device))
    year = [start_hour + i * HOUR for i in range(holes)]
    invalid = sum(1 for hour in year if truth[hour] is None)
    imported = [hour for hour in rows if start_hour <= hour < (first_live or now)]
    assert summary["hours_imported"] == len(imported) == holes - invalid, (
        summary,
        holes,
        invalid,
    )
    assert summary["requests"] == requests
    shown = changes(rows)
    spots = [year[1], year[len(year) // 3], year[len(year) // 2], year[-1]]
    if first_live is not None:
        spots.append(first_live)
    checked = [
        hour for hour in spots if truth[hour] is not None and hour - HOUR in rows
    ]
    assert len(checked) >= 4, spots
    for hour in checked:
        assert shown[hour] == pytest.approx(truth[hour], abs=1e-6), hour

    loop_ms = import_s * 1e3
    baseline_ms = baseline_s * 1e3
    requests_ms = requests_s * 1e3
    details = (
        f"{meter_.name}: {holes} hours to fill + {anchor} anchor hour"
        f" ({meter_.per_hour}/h, MaxNumberOfPeriodsDelivered {meter_.max_periods}),"
        f" {summary['intervals_received']} intervals received,"
        f" {summary['hours_imported']} hours imported, {invalid} invalid;"
        f" loop {loop_s * 1e3:.1f} ms - simulator {sim_s * 1e3:.1f} ms;"
        f" wall: call {returned - wall:.1f} s, recorder done {written - returned:.1f} s"
        " later;"
        f" baseline: {len(payloads)} payloads decoded,"
        f" {sum(call_sizes)} rows in {len(call_sizes)} calls;"
        f" raw requests: {len(asked)} GetProfile, {answers} answers,"
        f" simulator {raw_sim_s * 1e3:.1f} ms, wall {raw_wall:.1f} s"
    )
    line = (
        f"P3 meter={meter_.name} requests={requests} minimum={minimum}"
        f" ratio={requests / minimum:.3f} loop_ms={loop_ms:.1f}"
        f" baseline_ms={baseline_ms:.1f} loop_ratio={loop_ms / baseline_ms:.2f}"
        f" requests_ms={requests_ms:.1f} request_ratio={loop_ms / requests_ms:.2f}"
    )
    return Result(line, details)


@pytest.fixture
def quiet_sql() -> Iterator[None]:
    """Phcc logs every SQL statement of the recorder's thread at INFO: HA does not."""
    engine_log = logging.getLogger("sqlalchemy.engine")
    level = engine_log.level
    engine_log.setLevel(logging.WARNING)
    yield
    engine_log.setLevel(level)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("_", [None])
async def test_year_of_history_import(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    quiet_sql: None,
    _: None,
) -> None:
    hass.loop.set_debug(False)
    await start_at_minute(freezer, 20)
    now = dt_util.utcnow()
    history_start = now - timedelta(days=DAYS + 3)
    meters = [
        Meter(
            "electricity-24",
            se_electricity_meter(
                resolve_ieee("00:0d:6f:00:0a:00:03:01"),
                wall_clock=now,
                history_start=history_start,
            ),
            per_hour=1,
            max_periods=24,
        ),
        Meter(
            "gas-12-sleepy",
            se_gas_meter(
                resolve_ieee("00:0d:6f:00:0a:00:03:02"),
                wall_clock=now,
                history_start=history_start,
            ),
            per_hour=2,
            max_periods=12,
        ),
    ]
    entities = []
    for meter_ in meters:
        _, entity_id = await joined_meter(hass, zigbee, meter_.device)
        entities.append(entity_id)
    # two hours of live statistics: the year is imported before them and joins them
    await run_live(hass, freezer, zigbee, 2 * 3600)
    sim = SimulatorTime(monkeypatch)
    results = []
    for meter_, entity_id in zip(meters, entities, strict=True):
        meter(meter_.device).set_clock(dt_util.utcnow())
        meter_.device.stay_awake(3600)  # a sleepy meter answers as the requests come
        results.append(await _measure(hass, meter_, entity_id, sim, monkeypatch))
    await async_wait_recording_done(hass)
    with capsys.disabled():
        print()  # noqa: T201 - the benchmark report is its output
        for result in results:
            print(result.details)  # noqa: T201
        for result in results:
            print(result.line)  # noqa: T201
