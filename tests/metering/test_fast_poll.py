"""Metering actions end to end: request_fast_poll, add_to_energy_dashboard."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.metering.conftest import meter_entity
from tests.simulator import SimDevice
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_meters import meter, se_electricity_meter, se_gas_meter

FAST_POLL = 0x03


async def test_fast_poll_applied_and_refused(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    device = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:00:06"))
    await zigbee.join(device)
    model = meter(device)
    model.set_clock(dt_util.utcnow())  # a meter keeps the network's time
    summation = meter_entity(hass, device, "summation_delivered")
    assert summation is not None

    # below the meter's FastPollUpdatePeriod (5 s): refused, nothing sent
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "request_fast_poll",
            {"entity_id": summation, "update_period": 2, "duration": 7},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "metering_fast_poll_period_too_short"
    assert not device.frames(cluster=0x0702, command=FAST_POLL, general=False)
    assert model.fast_poll_until is None

    response = await hass.services.async_call(
        DOMAIN,
        "request_fast_poll",
        {"entity_id": summation, "update_period": 7, "duration": 6},
        blocking=True,
        return_response=True,
    )
    answer = response[summation]  # type: ignore[index]
    assert answer["applied_update_period"] == 7  # type: ignore[index]
    end = model.wall_clock + timedelta(minutes=6)
    assert answer["end_time"] == end.replace(microsecond=0).isoformat()  # type: ignore[index]
    (frame,) = device.frames(cluster=0x0702, command=FAST_POLL, general=False)
    assert frame.payload == bytes([7, 6])
    assert model.fast_poll_period == 7

    # the demand is read at the applied period while the window lasts, then no more
    def demand_reads() -> int:
        return sum(
            1
            for f in device.frames(cluster=0x0702, command=0x00)
            if f.payload == b"\x00\x04"  # Read Attributes 0x0400 InstantaneousDemand
        )

    before = demand_reads()
    now = dt_util.utcnow()
    for n, seconds in enumerate((7.5, 14.5, 21.5), start=1):
        async_fire_time_changed(hass, now + timedelta(seconds=seconds))
        await zigbee.wait_for(
            lambda n=n: demand_reads() == before + n, what=f"demand read {n}"
        )
    async_fire_time_changed(hass, now + timedelta(minutes=6, seconds=10))
    await hass.async_block_till_done()
    await zigbee.network.settle()
    await hass.async_block_till_done()
    after_window = demand_reads()
    async_fire_time_changed(hass, now + timedelta(minutes=7))
    await zigbee.network.settle()
    await hass.async_block_till_done()
    assert demand_reads() == after_window


async def test_add_to_energy_dashboard_keeps_other_sources(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    from homeassistant.components.energy.data import async_get_manager

    electricity = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:00:07"))
    gas = se_gas_meter(resolve_ieee("00:0d:6f:00:0a:00:00:08"))
    for device in (electricity, gas):
        await zigbee.join(device)
    manager = await async_get_manager(hass)
    theirs = {
        "type": "solar",
        "stat_energy_from": "sensor.roof_pv",
        "config_entry_solar_forecast": None,
    }
    await manager.async_update({"energy_sources": [theirs]})  # type: ignore[list-item, typeddict-item]

    def sensor(device: SimDevice, key: str) -> str:
        entity_id = meter_entity(hass, device, key)
        assert entity_id is not None
        return entity_id

    for device in (electricity, gas, electricity):  # the second call changes nothing
        await hass.services.async_call(
            DOMAIN,
            "add_to_energy_dashboard",
            {"entity_id": sensor(device, "summation_delivered")},
            blocking=True,
            return_response=True,
        )
    assert manager.data is not None
    sources = manager.data["energy_sources"]
    assert sources[0] == theirs
    assert len(sources) == 3
    grid, gas_source = sources[1], sources[2]
    assert grid["type"] == "grid"
    assert grid["stat_energy_from"] == sensor(electricity, "summation_delivered")  # type: ignore[typeddict-item]
    assert grid["stat_energy_to"] == sensor(electricity, "summation_received")  # type: ignore[typeddict-item]
    assert grid["stat_rate"] == sensor(electricity, "instantaneous_demand")  # type: ignore[typeddict-item]
    assert gas_source["type"] == "gas"
    assert gas_source["stat_energy_from"] == sensor(gas, "summation_delivered")
