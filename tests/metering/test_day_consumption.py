"""Today's / yesterday's consumption (0x0401 / 0x0403) of a Smart Energy meter, end to end.

HA + real ZHA + our quirk on the simulated network. The electricity meter model with
``day_consumption=True`` counts the day from its local midnight (no HistoricalFreezeTime,
smart_energy_reference.md §1.5), at a fixed ``utc_offset``: here UTC+1, a meter in Central
Europe (its load curve's hours are UTC, so its nights are nights there; HA's test zone,
US/Pacific, plays no part: the sensors show the meter's own day). The expected values are
summed from the meter's interval history (`SEMeter.intervals`), not with the model's own
formula.

The integration reads 0x0401 / 0x0403 at configure and configures no reporting for them;
the test refreshes the sensors through HA's ``homeassistant.update_entity`` (ZHA's entity
refresh: a read of the attribute). Time moves with HA's freezer and the network's virtual
clock together (`advance`, see tests/danfoss/test_rooms.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import ZigbeeHarness
from tests.danfoss.test_rooms import advance, settle
from tests.metering.conftest import meter_entity
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_meters import (
    SEMeter,
    from_zcl_time,
    meter,
    se_electricity_meter,
)

pytestmark = pytest.mark.freeze_time(tick=True)

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
KEYS = ("today_delivered", "yesterday_delivered")
#: The meter's local time (the Time cluster's TimeZone it got from the ESI): CET.
METER_ZONE = timezone(timedelta(hours=1))


def day_truth(model: SEMeter, since: datetime, until: datetime) -> float:
    """Return the kWh delivered in [since, until): the meter's whole intervals there."""
    return (
        sum(
            interval.value or 0  # an invalid (outage) interval measured nothing
            for interval in model.intervals(0)
            if since <= from_zcl_time(interval.start)
            and from_zcl_time(interval.end) <= until
        )
        / 1000
    )


async def start_at_local_hour(
    freezer: FrozenDateTimeFactory, zone: tzinfo, hour: int
) -> datetime:
    """Move HA's clock forward to the next <hour>:00:00 in ``zone``."""
    now = dt_util.utcnow()
    target = now.astimezone(zone).replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= now + timedelta(seconds=5):
        target += DAY
    freezer.move_to(target)
    return target


async def refresh(hass: HomeAssistant, zigbee: ZigbeeHarness, *entity_ids: str) -> None:
    """ZHA's entity refresh: read the attributes from the meter."""
    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {"entity_id": list(entity_ids)},
        blocking=True,
    )
    await settle(hass, zigbee)


def kwh(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None
    return float(state.state)


async def test_today_and_yesterday_show_the_meters_days(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    start = await start_at_local_hour(freezer, METER_ZONE, 22)
    device = se_electricity_meter(
        resolve_ieee("00:0d:6f:00:0a:00:0e:01"),
        wall_clock=start,
        history_start=start - 3 * DAY,
        day_consumption=True,
        utc_offset=3600,
    )
    await zigbee.join(device)
    model = meter(device)
    model.set_clock(start)  # exactly 22:00 local, whatever the join cost

    today_id, yesterday_id = (meter_entity(hass, device, key) for key in KEYS)
    assert today_id is not None and yesterday_id is not None
    for entity_id in (today_id, yesterday_id):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.attributes["unit_of_measurement"] == "kWh"
        assert state.attributes["device_class"] == "energy"
        assert state.attributes["state_class"] == "total"

    # 22:00: today is the 22 hours since local midnight, yesterday the whole day before
    midnight = start.replace(hour=0)
    await refresh(hass, zigbee, today_id, yesterday_id)
    today = day_truth(model, midnight, start)
    yesterday = day_truth(model, midnight - DAY, midnight)
    assert today > 0 and yesterday > 0
    assert kwh(hass, today_id) == pytest.approx(today, abs=1e-9)
    assert kwh(hass, yesterday_id) == pytest.approx(yesterday, abs=1e-9)
    # the default outage (17:10-17:40 local) lies in today: its hour is invalid, counted 0
    (outage,) = [i for i in model.intervals(0) if i.value is None]
    assert midnight <= from_zcl_time(outage.start) < start

    # two hours on, across the meter's midnight: the day that ended is yesterday, whole
    await advance(hass, freezer, zigbee, 2 * 3600, step=600)
    next_midnight = midnight + DAY
    assert model.wall_clock == next_midnight
    await refresh(hass, zigbee, today_id, yesterday_id)
    ended = day_truth(model, midnight, next_midnight)
    assert ended == pytest.approx(
        today
        + day_truth(model, start, start + HOUR)
        + day_truth(model, start + HOUR, next_midnight)
    )
    assert kwh(hass, yesterday_id) == pytest.approx(ended, abs=1e-9)
    assert kwh(hass, today_id) == 0  # today restarted

    # an hour into the new day: today is its first hour, yesterday stays
    await advance(hass, freezer, zigbee, 3600, step=600)
    await refresh(hass, zigbee, today_id, yesterday_id)
    first_hour = day_truth(model, next_midnight, next_midnight + HOUR)
    assert first_hour > 0
    assert kwh(hass, today_id) == pytest.approx(first_hour, abs=1e-9)
    assert kwh(hass, yesterday_id) == pytest.approx(ended, abs=1e-9)


async def test_no_day_sensors_without_the_attributes(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """A meter answering UNSUPPORTED_ATTRIBUTE for 0x0401 / 0x0403 gets no such sensors."""
    device = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:0e:02"))
    await zigbee.join(device)
    assert meter_entity(hass, device, "summation_delivered") is not None
    for key in KEYS:
        assert meter_entity(hass, device, key) is None, key


async def test_the_sensors_follow_the_rollover_by_themselves(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    start = await start_at_local_hour(freezer, METER_ZONE, 23)
    device = se_electricity_meter(
        resolve_ieee("00:0d:6f:00:0a:00:0e:03"),
        wall_clock=start,
        history_start=start - 3 * DAY,
        day_consumption=True,
        utc_offset=3600,
    )
    await zigbee.join(device)
    model = meter(device)
    model.set_clock(start)
    today_id, yesterday_id = (meter_entity(hass, device, key) for key in KEYS)
    assert today_id is not None and yesterday_id is not None
    await advance(hass, freezer, zigbee, 3600 + 900, step=300)  # 00:15 local
    midnight = start.replace(hour=0) + DAY
    assert kwh(hass, yesterday_id) == pytest.approx(
        day_truth(model, midnight - DAY, midnight), abs=1e-9
    )
    assert kwh(hass, today_id) < kwh(hass, yesterday_id) / 10
