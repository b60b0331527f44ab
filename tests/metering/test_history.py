"""import_meter_history end to end: the meter's GetProfile history in HA's long-term statistics.

HA + recorder (in memory) + real ZHA + our quirk on the simulated network. The simulated
meters build their summation from the same interval history their profile answers with, so
each imported hour is checked against the meter's own ground truth, and the join with the
hours the recorder compiled from the live sensor against the meter's readings. What the
statistics cards and the Energy dashboard show is checked as the recorder computes it (its
"change" per hour and per day, the oldest row's counted from 0).

Time moves with HA's freezer and the network's virtual clock together (`advance`), from the
real "now" (see tests/danfoss/test_rooms.py for why).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
import itertools
from typing import Any, Literal

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.danfoss.test_rooms import advance
from tests.metering.conftest import meter_entity
from tests.simulator import SimDevice
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_meters import (
    SEMeter,
    from_zcl_time,
    meter,
    se_electricity_meter,
    se_gas_meter,
    se_water_meter,
)

pytestmark = pytest.mark.freeze_time(tick=True)

HOUR = timedelta(hours=1)
GET_PROFILE = 0x00


def floor_hour(when: datetime) -> datetime:
    return when.replace(minute=0, second=0, microsecond=0)


async def start_at_minute(freezer: FrozenDateTimeFactory, minute: int) -> datetime:
    """Move HA's clock forward to the next 19:<minute>:00 UTC.

    An evening hour: the electricity meter's PV export covers its import around midday, and
    a history whose hours are all 0 would prove little.
    """
    now = dt_util.utcnow()
    target = now.replace(hour=19, minute=minute, second=0, microsecond=0)
    if target <= now + timedelta(seconds=5):
        target += timedelta(days=1)
    freezer.move_to(target)
    return target


def true_hours(
    model: SEMeter, channel: int = 0, scale: float = 1000
) -> dict[datetime, float | None]:
    """The meter's own consumption per UTC hour (None: an invalid interval in the hour)."""
    hours: dict[datetime, float | None] = {}
    counts: dict[datetime, int] = {}
    per_hour = 3600 // model.period
    for interval in model.intervals(channel):
        hour = floor_hour(from_zcl_time(interval.start))
        counts[hour] = counts.get(hour, 0) + 1
        if interval.value is None or (hour in hours and hours[hour] is None):
            hours[hour] = None
            continue
        hours[hour] = hours.get(hour, 0.0) + interval.value / scale  # type: ignore[operator]
    return {hour: value for hour, value in hours.items() if counts[hour] == per_hour}


async def hour_rows(hass: HomeAssistant, statistic_id: str) -> dict[datetime, float]:
    """The statistic's hourly sums by start."""
    await async_wait_recording_done(hass)
    result = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2000, 1, 1, tzinfo=UTC),
        None,
        {statistic_id},
        "hour",
        None,
        {"sum"},
    )
    return {
        datetime.fromtimestamp(row["start"], UTC): float(row["sum"])  # type: ignore[arg-type]
        for row in result.get(statistic_id, [])
    }


async def recorder_changes(
    hass: HomeAssistant, statistic_id: str, period: Literal["hour", "day"]
) -> dict[datetime, float]:
    """What the statistics cards show: the recorder's change per period, by start."""
    await async_wait_recording_done(hass)
    result = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2000, 1, 1, tzinfo=UTC),
        None,
        {statistic_id},
        period,
        None,
        {"change"},
    )
    return {
        datetime.fromtimestamp(row["start"], UTC): float(row["change"])  # type: ignore[arg-type]
        for row in result.get(statistic_id, [])
    }


async def assert_cards_show_the_meter(
    hass: HomeAssistant,
    statistic_id: str,
    truth: dict[datetime, float | None],
    hours: Iterable[datetime],
) -> None:
    """Each of ``hours`` shows the meter's consumption; no hour and no day runs backwards.

    A day shows the sum of its hours (local days), the first one included.
    """
    hourly = await recorder_changes(hass, statistic_id, "hour")
    for hour in hours:
        assert hourly[hour] == pytest.approx(truth[hour], abs=1e-6), hour
    assert min(hourly.values()) >= -1e-9
    days: dict[datetime, float] = {}
    for hour, change in hourly.items():
        day = dt_util.start_of_local_day(dt_util.as_local(hour)).astimezone(UTC)
        days[day] = days.get(day, 0.0) + change
    daily = await recorder_changes(hass, statistic_id, "day")
    assert daily.keys() == days.keys()
    for day, change in daily.items():
        assert change == pytest.approx(days[day], abs=1e-6), day
        assert change >= -1e-9, day


def changes(rows: dict[datetime, float]) -> dict[datetime, float]:
    """What the Energy dashboard shows per hour: the difference to the previous row."""
    ordered = sorted(rows)
    return {
        hour: rows[hour] - rows[previous]
        for previous, hour in itertools.pairwise(ordered)
    }


async def run_live(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    zigbee: ZigbeeHarness,
    seconds: int,
) -> None:
    """Let the live sensor run; the recorder compiles every 5-minute period that ends."""
    step = 300
    for _ in range(seconds // step):
        before = dt_util.utcnow()
        await advance(hass, freezer, zigbee, step, step=step)
        period = before.replace(second=0, microsecond=0)
        period -= timedelta(minutes=period.minute % 5)
        do_adhoc_statistics(hass, start=period)
        await async_wait_recording_done(hass)


async def import_history(
    hass: HomeAssistant, entity_id: str, **data: Any
) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "import_meter_history",
        {"entity_id": entity_id, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return response[entity_id]  # type: ignore[return-value]


def get_profile_frames(device: SimDevice) -> list[Any]:
    return device.frames(cluster=0x0702, command=GET_PROFILE, general=False)


async def joined_meter(
    hass: HomeAssistant, zigbee: ZigbeeHarness, device: SimDevice
) -> tuple[SEMeter, str]:
    await zigbee.join(device)
    model = meter(device)
    model.set_clock(dt_util.utcnow())  # a meter keeps the network's time
    entity_id = meter_entity(hass, device, "summation_delivered")
    assert entity_id is not None
    return model, entity_id


async def evening_meter(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    zigbee: ZigbeeHarness,
    factory: Callable[..., SimDevice],
    ieee_suffix: str,
    history: timedelta,
) -> tuple[SimDevice, SEMeter, str]:
    """A meter joined at 19:20 UTC with ``history`` of intervals behind it."""
    await start_at_minute(freezer, 20)
    now = dt_util.utcnow()
    device = factory(
        resolve_ieee(f"00:0d:6f:00:0a:00:02:{ieee_suffix}"),
        wall_clock=now,
        history_start=now - history,
    )
    model, entity_id = await joined_meter(hass, zigbee, device)
    return device, model, entity_id


async def test_import_joins_the_live_hours(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """History before the live sensor's first hour, chained to it: one series, no jump."""
    device, model, entity_id = await evening_meter(
        hass, freezer, zigbee, se_electricity_meter, "01", timedelta(days=3)
    )
    await run_live(hass, freezer, zigbee, 2 * 3600 + 900)
    live = await hour_rows(hass, entity_id)
    assert len(live) == 2  # the partial first hour (from hh:20) and one full hour
    first_live = min(live)

    model.set_clock(dt_util.utcnow())
    summary = await import_history(hass, entity_id, days=2)
    rows = await hour_rows(hass, entity_id)
    truth = true_hours(model)
    shown = changes(rows)
    start = floor_hour(dt_util.utcnow()) - timedelta(days=2)
    imported = [hour for hour in rows if start <= hour < first_live]
    assert summary["hours_imported"] == len(imported)
    # every imported hour and the first live hour show what the meter measured in them,
    # the oldest one too: the series starts from 0 there
    for hour in [*imported[1:], first_live]:
        assert shown[hour] == pytest.approx(truth[hour], abs=1e-6), hour
    assert rows[imported[0]] == pytest.approx(truth[imported[0]], abs=1e-6)
    await assert_cards_show_the_meter(hass, entity_id, truth, [*imported, first_live])
    # the meter's outage hour has no row, and the hour after it the hour's own consumption
    (outage,) = [hour for hour, value in truth.items() if value is None]
    assert outage not in rows
    assert {"start": outage.isoformat(), "end": (outage + HOUR).isoformat()} in summary[
        "gaps"
    ]
    # the live rows moved with it by one constant: what they show is unchanged
    offset = rows[first_live] - live[first_live]
    assert offset > 0
    for hour, total in live.items():
        assert rows[hour] == pytest.approx(total + offset, abs=1e-9), hour
    # the hours before the live ones and the first live hour, 24 intervals per request
    wanted = int((first_live - floor_hour(start)) / HOUR) + 1
    assert summary["requests"] == -(-wanted // 24) == 2
    assert len(get_profile_frames(device)) == 2

    # again over an overlapping range: nothing changes; only the outage hour, the one hole
    # left, is asked for again (the meter still has no valid interval for it)
    again = await import_history(hass, entity_id, days=2)
    assert again["hours_imported"] == 0
    assert again["requests"] == 1
    assert await hour_rows(hass, entity_id) == rows


def history_sensors(hass: HomeAssistant, device: SimDevice) -> tuple[str, str]:
    registry = er.async_get(hass)
    progress = registry.async_get_entity_id(
        "sensor", DOMAIN, f"{device.ieee}-history_import"
    )
    last = registry.async_get_entity_id(
        "sensor", DOMAIN, f"{device.ieee}-last_history_import"
    )
    assert progress is not None
    assert last is not None
    return progress, last


async def test_import_before_live_hours_joins_when_they_come(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """Imported before the recorder's first hour: no jump now, exact once that hour is in."""
    device, model, entity_id = await evening_meter(
        hass, freezer, zigbee, se_electricity_meter, "02", timedelta(days=2)
    )
    progress, last = history_sensors(hass, device)
    assert hass.states.get(progress).state == "unknown"  # type: ignore[union-attr]
    current = floor_hour(dt_util.utcnow())
    assert await hour_rows(hass, entity_id) == {}

    summary = await import_history(hass, entity_id, days=1)
    assert summary["joins_live_statistics"] is False
    rows = await hour_rows(hass, entity_id)
    truth = true_hours(model)
    assert max(rows) == current - HOUR
    # the block starts from 0, as the recorder's first live hour will
    assert rows[min(rows)] == pytest.approx(truth[min(rows)], abs=1e-6)
    await assert_cards_show_the_meter(hass, entity_id, truth, rows)
    assert hass.states.get(progress).state == "100.0"  # type: ignore[union-attr]
    assert hass.states.get(last).state != "unknown"  # type: ignore[union-attr]

    # further back: the series starts from 0 at its new oldest hour (and day), the block
    # moves with it
    block = rows
    start = dt_util.utcnow() - timedelta(hours=36)
    summary = await import_history(hass, entity_id, start=start.isoformat())
    assert summary["joins_live_statistics"] is False
    rows = await hour_rows(hass, entity_id)
    assert min(rows) == floor_hour(start)
    assert summary["hours_imported"] == len(rows) - len(block) == 12
    await assert_cards_show_the_meter(hass, entity_id, truth, rows)
    offset = rows[max(block)] - block[max(block)]
    for hour, total in block.items():
        assert rows[hour] == pytest.approx(total + offset, abs=1e-9), hour
    frames = len(get_profile_frames(device))

    # the live sensor's first hour is compiled; at hh:05 the meter does not answer: the
    # live rows already continue from the block's end, nothing runs backwards
    device.set_online(False)
    await run_live(hass, freezer, zigbee, 3600)
    interim = await hour_rows(hass, entity_id)
    assert {hour: interim[hour] for hour in rows} == rows
    assert interim[current] >= rows[max(rows)]
    await assert_cards_show_the_meter(hass, entity_id, truth, rows)
    # back online: at the next hh:05 the block joins it
    device.set_online(True)
    await run_live(hass, freezer, zigbee, 3600)
    joined = await hour_rows(hass, entity_id)
    assert len(get_profile_frames(device)) == frames + 1  # the first live hour only
    shown = changes(joined)
    truth = true_hours(model)
    assert shown[current] == pytest.approx(truth[current], abs=1e-6)
    # the imported rows stay; the live ones continue from the block's end
    assert {hour: joined[hour] for hour in rows} == rows
    await assert_cards_show_the_meter(hass, entity_id, truth, [*rows, current])
    # nothing left to join: the next hours send nothing
    await run_live(hass, freezer, zigbee, 3600)
    assert len(get_profile_frames(device)) == frames + 1


async def test_interrupted_import_resumes(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """The meter stops answering after one block: what came is kept, the next call ends it."""
    device, model, entity_id = await evening_meter(
        hass, freezer, zigbee, se_electricity_meter, "03", timedelta(days=4)
    )
    await run_live(hass, freezer, zigbee, 3600)
    live = await hour_rows(hass, entity_id)
    # a meter that does not answer at all: translated error, statistics unchanged
    device.set_online(False)
    with pytest.raises(HomeAssistantError) as err:
        await import_history(hass, entity_id, days=3)
    assert err.value.translation_key == "metering_no_answer"
    assert await hour_rows(hass, entity_id) == live
    device.set_online(True)

    cluster = device.cluster(1, 0x0702)
    answered = 0

    def once(ctx: Any) -> Any:
        nonlocal answered
        answered += 1
        if answered > 1:
            device.set_online(False)
            return None
        return model.get_profile(ctx)

    cluster.on(GET_PROFILE, once)
    with pytest.raises(HomeAssistantError) as err:
        await import_history(hass, entity_id, days=3)
    assert err.value.translation_key == "metering_history_interrupted"
    partial = await hour_rows(hass, entity_id)
    assert 20 <= len(partial) - len(live) <= 24  # the first block, newest first
    truth = true_hours(model)
    written = [hour for hour in partial if hour not in live]
    await assert_cards_show_the_meter(hass, entity_id, truth, [*written, min(live)])

    device.set_online(True)
    cluster.on(GET_PROFILE, model.get_profile)
    summary = await import_history(hass, entity_id, days=3)
    rows = await hour_rows(hass, entity_id)
    # kept as they were but for where the series starts from 0
    offset = rows[min(partial)] - partial[min(partial)]
    for hour, total in partial.items():
        assert rows[hour] == pytest.approx(total + offset, abs=1e-9), hour
    assert summary["hours_imported"] == len(rows) - len(partial)
    start = floor_hour(dt_util.utcnow() - timedelta(days=3))
    assert min(rows) == start
    await assert_cards_show_the_meter(
        hass,
        entity_id,
        truth,
        [hour for hour in rows if hour not in live or hour == min(live)],
    )


async def test_sleepy_gas_meter_in_half_hours(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """30-minute intervals, 12 per request, one fewer sent than announced, m³."""
    device, model, entity_id = await evening_meter(
        hass, freezer, zigbee, se_gas_meter, "04", timedelta(days=2)
    )
    device.stay_awake(3600)  # answer the import's requests as they come
    summary = await import_history(hass, entity_id, days=1)
    rows = await hour_rows(hass, entity_id)
    truth = true_hours(model)
    assert len(rows) == 24
    for hour, shown in changes(rows).items():
        assert shown == pytest.approx(truth[hour], abs=1e-9), hour
    # 48 intervals; the meter sends 11 of the 12 each answer announces
    assert summary["intervals_received"] >= 48
    assert summary["requests"] == len(get_profile_frames(device)) == 5


async def test_history_beyond_the_meter_and_bad_input(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """Refusals leave the statistics as they were and send nothing."""
    device, model, entity_id = await evening_meter(
        hass, freezer, zigbee, se_electricity_meter, "05", timedelta(days=1, hours=5)
    )
    # more than the meter keeps: what it has comes, and where its history starts
    summary = await import_history(hass, entity_id, days=3)
    oldest = from_zcl_time(model.first_interval_start)
    assert summary["history_start"] is not None
    assert dt_util.parse_datetime(summary["history_start"]) <= oldest + HOUR  # type: ignore[operator]
    rows = await hour_rows(hass, entity_id)
    assert min(rows) == oldest
    frames = len(get_profile_frames(device))

    async def refused(key: str, **data: Any) -> None:
        with pytest.raises(ServiceValidationError) as err:
            await import_history(hass, entity_id, **data)
        assert err.value.translation_key == key
        assert len(get_profile_frames(device)) == frames
        assert await hour_rows(hass, entity_id) == rows

    # now the meter's history start is known: asking before it is refused at once
    await refused("metering_history_beyond_meter", days=2)
    later = dt_util.utcnow() + timedelta(hours=2)
    await refused("metering_history_in_future", start=later.isoformat())
    await refused(
        "metering_history_in_future",
        start=(dt_util.utcnow() - timedelta(hours=5)).isoformat(),
        end=later.isoformat(),
    )
    gas = se_gas_meter(resolve_ieee("00:0d:6f:00:0a:00:02:06"))
    await zigbee.join(gas)
    gas_entity = meter_entity(hass, gas, "summation_delivered")
    with pytest.raises(ServiceValidationError) as err:
        await import_history(hass, gas_entity, days=1, channel="received")  # type: ignore[arg-type]
    assert err.value.translation_key == "metering_history_no_channel"
    assert not get_profile_frames(gas)
    with pytest.raises(ServiceValidationError) as err:
        await import_history(hass, "sensor.not_a_meter", days=1)
    assert err.value.translation_key == "metering_unknown_meter"
    # a meter with daily intervals only: they do not split into hours; nothing sent
    water = se_water_meter(resolve_ieee("00:0d:6f:00:0a:00:02:08"))
    await zigbee.join(water)
    water_entity = meter_entity(hass, water, "summation_delivered")
    with pytest.raises(ServiceValidationError) as err:
        await import_history(hass, water_entity, days=1)  # type: ignore[arg-type]
    assert err.value.translation_key == "metering_history_daily_intervals"
    assert not get_profile_frames(water)


async def test_received_channel_into_the_export_sensor(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """Channel 1 (received: the PV export) goes to the summation received statistics."""
    device, model, delivered = await evening_meter(
        hass, freezer, zigbee, se_electricity_meter, "07", timedelta(days=2)
    )
    received = meter_entity(hass, device, "summation_received")
    assert received is not None
    summary = await import_history(hass, received, days=1, channel="received")
    assert summary["statistic_id"] == received
    rows = await hour_rows(hass, received)
    truth = true_hours(model, channel=1)
    shown = changes(rows)
    assert len(rows) == 23  # 24 hours but the meter's outage hour
    assert any(value > 0.5 for value in shown.values())  # the midday export
    for hour, value in shown.items():
        assert value == pytest.approx(truth[hour], abs=1e-6), hour
    (frame, *_) = get_profile_frames(device)
    assert frame.payload[0] == 1  # IntervalChannel: ConsumptionReceived
    assert await hour_rows(hass, delivered) == {}  # the import side is untouched
