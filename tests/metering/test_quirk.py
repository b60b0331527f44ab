"""The Smart Energy quirk: a meter on a 0x0109 endpoint is heard, with the spec's Metering."""

from __future__ import annotations

from homeassistant.components.zha.helpers import get_zha_gateway_proxy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack.quirks.smart_energy import (
    SmartEnergyMetering,
    SmartEnergyZigpyDevice,
)
from tests.conftest import ZigbeeHarness
from tests.metering.conftest import join_initialized, meter_entity
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_meters import (
    from_bcd,
    meter,
    se_electricity_meter,
    se_gas_meter,
    se_water_meter,
)
from tests.simulator.sample_devices import se_meter

METERING = 0x0702


async def test_smart_energy_endpoint_is_heard(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """Without the quirk zigpy 2.3.0 drops every 0x0109 frame; with it, reads answer."""
    device = se_meter(resolve_ieee("00:0d:6f:00:0a:00:00:01"))
    zha_device = await join_initialized(hass, zigbee, device)
    zigpy_device = zha_device.device
    assert isinstance(zigpy_device, SmartEnergyZigpyDevice)
    cluster = zigpy_device.endpoints[1].in_clusters[METERING]
    assert isinstance(cluster, SmartEnergyMetering)
    result, _ = await cluster.read_attributes(
        ["current_summ_delivered", "unit_of_measure"]
    )
    assert result == {"current_summ_delivered": 123_456, "unit_of_measure": 0x01}


async def test_meter_moved_back_onto_the_quirk_when_we_set_up_again(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """Our entry set up after ZHA (as at every HA start): the meter gets our quirk back.

    ZHA loads the meter without our quirks; our entry's setup moves it back onto the
    any-model Smart Energy quirk, and its entities come back.

    Found by the first run of ``scripts/develop``: the one-pass candidate test only knew
    the quirks' models, so the any-model Smart Energy quirk never moved a meter back.
    """
    device = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:00:07"))
    await join_initialized(hass, zigbee, device)
    summation = meter_entity(hass, device, "summation_delivered")
    assert summation is not None
    assert await hass.config_entries.async_unload(pack_setup.entry_id)
    await hass.async_block_till_done()
    # ZHA loads its devices before our quirks are registered, as at an HA start
    (zha_entry,) = hass.config_entries.async_entries("zha")
    assert await hass.config_entries.async_reload(zha_entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(pack_setup.entry_id)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(device)
    zigpy_device = (
        get_zha_gateway_proxy(hass).get_device_proxy(device.ieee).device.device
    )
    assert isinstance(zigpy_device, SmartEnergyZigpyDevice)
    assert isinstance(
        zigpy_device.endpoints[1].in_clusters[METERING], SmartEnergyMetering
    )
    state = hass.states.get(summation)
    assert state is not None
    assert state.state not in ("unknown", "unavailable")


async def test_electricity_meter_entities_read_the_spec_way(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """Summations in kWh (raw Wh ÷ 1000), demand in kW, signed, on a 0x0109 endpoint."""
    device = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:00:02"))
    await zigbee.join(device)
    model = meter(device)
    states = {}
    for key in ("summation_delivered", "summation_received", "instantaneous_demand"):
        entity_id = meter_entity(hass, device, key)
        assert entity_id is not None, key
        states[key] = hass.states.get(entity_id)
    delivered = states["summation_delivered"]
    assert delivered is not None
    assert delivered.attributes["unit_of_measurement"] == "kWh"
    assert delivered.attributes["device_class"] == "energy"
    assert delivered.attributes["state_class"] == "total_increasing"
    assert float(delivered.state) == pytest.approx(model.summation(0) / 1000, abs=0.01)
    received = states["summation_received"]
    assert received is not None
    assert float(received.state) == pytest.approx(model.summation(1) / 1000, abs=0.01)
    demand = states["instantaneous_demand"]
    assert demand is not None
    assert demand.attributes["device_class"] == "power"
    assert demand.attributes["unit_of_measurement"] == "kW"


async def test_tiers_and_status_only_where_the_meter_has_them(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    device = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:00:03"))
    await zigbee.join(device)
    model = meter(device)
    registry = er.async_get(hass)
    ours = {
        entry.unique_id.removeprefix(f"{device.ieee}-1-")
        for entry in registry.entities.values()
        if entry.unique_id.startswith(f"{device.ieee}-1-")
    }
    tiers = {key for key in ours if key.startswith("tier")}
    assert tiers == {
        f"tier{tier}_summation_{direction}"
        for tier in range(1, 5)
        for direction in ("delivered", "received")
    }
    tier2 = meter_entity(hass, device, "tier2_summation_delivered")
    assert tier2 is not None
    state = hass.states.get(tier2)
    assert state is not None
    assert float(state.state) == pytest.approx(
        model.tier_summation(2, 0) / 1000, abs=0.01
    )
    # electricity layout: no gas/water bits
    status = {key for key in ours if key.startswith("status_")}
    assert "status_check_meter" in status
    assert "status_power_quality" in status
    assert "status_pipe_empty" not in status
    assert "status_reverse_flow" not in status
    model.set_status(0b0000_0101)  # check meter + tamper
    await device.report(1, 0x0702, {"status": 0b0000_0101})
    await zigbee.network.settle()
    await hass.async_block_till_done()
    on = {
        key
        for key in status
        if (entity_id := meter_entity(hass, device, key, "binary_sensor"))
        and (s := hass.states.get(entity_id)) is not None
        and s.state == "on"
    }
    assert on == {"status_check_meter", "status_tamper_detect"}


async def test_water_meter_with_a_bcd_unit(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """Litres BCD (0x87): 0x001234 reads 1234 L, not 4660 (stock ZHA leaves it unmapped)."""
    device = se_water_meter(resolve_ieee("00:0d:6f:00:0a:00:00:04"))
    await zigbee.join(device)
    model = meter(device)
    entity_id = meter_entity(hass, device, "summation_delivered")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["device_class"] == "water"
    assert state.attributes["unit_of_measurement"] == "L"
    assert float(state.state) == pytest.approx(model.summation(0), abs=1)
    raw = meter(device).device.cluster(1, 0x0702).get("current_summ_delivered")
    assert from_bcd(int(raw)) == model.summation(0)  # the attribute itself is BCD
    assert (
        meter_entity(hass, device, "instantaneous_demand") is None
    )  # the water meter has no demand


async def test_sleepy_gas_meter(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """A sleepy gas meter (answers through the indirect queue) reads m³."""
    device = se_gas_meter(resolve_ieee("00:0d:6f:00:0a:00:00:05"))
    await zigbee.join(device)
    model = meter(device)
    entity_id = meter_entity(hass, device, "summation_delivered")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["device_class"] == "gas"
    assert state.attributes["unit_of_measurement"] == "m³"
    assert float(state.state) == pytest.approx(model.summation(0) / 1000, abs=0.01)


@pytest.mark.parametrize(
    "pack_quirk_modules",
    [("tuya_ts0049", "danfoss_ally", "smart_energy", "tests.quirk_fixtures.sim_meter")],
)
async def test_a_device_specific_quirk_keeps_the_meter(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """ZHA tries device-specific entries before wildcard ones: the meter's own quirk wins."""
    device = se_meter(resolve_ieee("00:0d:6f:00:0a:00:00:09"))
    zha_device = await join_initialized(hass, zigbee, device)
    assert zha_device.model == "SimGasMeter (own quirk)"
    assert not isinstance(zha_device.device, SmartEnergyZigpyDevice)
    assert not isinstance(
        zha_device.device.endpoints[1].in_clusters[METERING], SmartEnergyMetering
    )
