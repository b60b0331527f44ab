"""The Ally quirk on a simulated eTRV: every stock entity kept, ours added; time and setpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from zha.quirks import DANFOSS_ALLY_THERMOSTAT

from custom_components.zha_device_pack import zha_bridge
from custom_components.zha_device_pack.const import DOMAIN
from custom_components.zha_device_pack.quirks.danfoss_ally import AllyThermostatCluster
from tests.conftest import ZigbeeHarness
from tests.danfoss.conftest import add_room, danfoss, join_trv
from tests.simulator import SimDevice
from tests.simulator.models.danfoss_ally import E10_INVALID_CLOCK, danfoss_trv

# Ours on top of stock: the programming mode select and the diagnostics counters.
ADDED = {
    "select-programing_oper_mode",
    "sensor-wake_time_avg",
    "sensor-wake_time_max_duration",
    "sensor-wake_time_min_duration",
    "sensor-sleep_postponed_count_avg",
    "sensor-sleep_postponed_count_max",
    "sensor-sleep_postponed_count_min",
    "number-control_diagnostics_frequency",
}


def entity_keys(hass: HomeAssistant, device: SimDevice) -> set[str]:
    """Return ZHA's entities of ``device`` as "<domain>-<unique id without the IEEE>"."""
    device_id = zha_bridge.zha_device_id(hass, device.ieee)
    return {
        f"{entry.domain}-{entry.unique_id.removeprefix(str(device.ieee) + '-1-').removeprefix(str(device.ieee) + '-')}"
        for entry in er.async_entries_for_device(
            er.async_get(hass), device_id, include_disabled_entities=True
        )
        if entry.platform == "zha"
    }


async def test_stock_entities_kept_and_ours_added(
    hass: HomeAssistant, zha_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """The same simulated TRV on zha-quirks' quirk, then moved onto ours in place."""
    device = await join_trv(zigbee, "00:15:bc:00:1a:00:00:01")
    stock = entity_keys(hass, device)
    proxy = zha_bridge.device_proxy(hass, device.ieee)
    assert proxy is not None
    assert DANFOSS_ALLY_THERMOSTAT in proxy.device.exposes_features
    assert not isinstance(
        proxy.device.device.endpoints[1].in_clusters[0x0201], AllyThermostatCluster
    )

    entry = MockConfigEntry(domain=DOMAIN, title="ZHA Device Pack", data={})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(device)
    ours = entity_keys(hass, device)
    proxy = zha_bridge.device_proxy(hass, device.ieee)
    assert proxy is not None
    assert isinstance(
        proxy.device.device.endpoints[1].in_clusters[0x0201], AllyThermostatCluster
    )
    assert DANFOSS_ALLY_THERMOSTAT in proxy.device.exposes_features
    assert stock <= ours  # every stock entity still there, same unique ids
    assert ours - stock == ADDED
    assert "number-513-load_room_mean" in ours  # ours now, up to 3600

    registry = er.async_get(hass)
    for key in ADDED - {"select-programing_oper_mode"}:
        domain, suffix = key.split("-", 1)
        entity_id = registry.async_get_entity_id(
            domain, "zha", f"{device.ieee}-1-{suffix}"
        )
        assert entity_id is not None
        assert registry.async_get(entity_id).disabled  # type: ignore[union-attr]
    await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_load_room_mean_number_goes_up_to_3600(
    hass: HomeAssistant, pack_setup: MockConfigEntry, trv: SimDevice
) -> None:
    entity_id = er.async_get(hass).async_get_entity_id(
        "number", "zha", f"{trv.ieee}-1-513-load_room_mean"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["max"] == 3600
    assert state.attributes["min"] == -8000
    await hass.services.async_call(
        "number", "set_value", {"entity_id": entity_id, "value": 3123}, blocking=True
    )
    assert danfoss_trv(trv).thermostat.get("load_room_mean") == 3123


async def test_programming_mode_select(
    hass: HomeAssistant, pack_setup: MockConfigEntry, trv: SimDevice
) -> None:
    entity_id = er.async_get(hass).async_get_entity_id(
        "select", "zha", f"{trv.ieee}-1-programing_oper_mode"
    )
    assert entity_id is not None
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": entity_id, "option": "Schedule with preheat"},
        blocking=True,
    )
    assert danfoss_trv(trv).thermostat.get("programing_oper_mode") == 0x03
    state = hass.states.get(entity_id)
    assert state is not None and state.state == "Schedule with preheat"


async def test_stock_climate_keeps_the_fast_setpoint(
    hass: HomeAssistant, pack_setup: MockConfigEntry, trv: SimDevice
) -> None:
    """A change on the TRV's own climate entity is a user's change: command type 1."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "climate", "zha", f"{trv.ieee}-1"
    )
    assert entity_id is not None
    await hass.services.async_call(
        "climate",
        "set_temperature",
        {"entity_id": entity_id, "temperature": 23.5},
        blocking=True,
    )
    model = danfoss_trv(trv)
    assert model.thermostat.get("occupied_heating_setpoint") == 2350
    assert model._state["last_setpoint_type"] == 1


ZONES = {
    # zone: (standard offset, TRV local wall clock at 2026-11-30 07:00 UTC)
    "Europe/Berlin": (3600, datetime(2026, 11, 30, 8, 0)),
    "America/New_York": (-18000, datetime(2026, 11, 30, 2, 0)),
    "Australia/Sydney": (36000, datetime(2026, 11, 30, 18, 0)),  # DST (AEDT, +11)
    "Asia/Kolkata": (19800, datetime(2026, 11, 30, 12, 30)),
}


@pytest.mark.freeze_time("2026-11-30T07:00:00+00:00", tick=True)
@pytest.mark.parametrize("zone", sorted(ZONES))
async def test_time_written_on_join_with_ha_zone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    zigbee: ZigbeeHarness,
    zha_setup: MockConfigEntry,
    zone: str,
) -> None:
    """Time, zone and DST of HA's configured zone (not the process's), E10 cleared."""
    await hass.config.async_update(time_zone=zone)
    entry = MockConfigEntry(domain=DOMAIN, title="ZHA Device Pack", data={})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    device = await join_trv(zigbee, "00:15:bc:00:1a:00:00:02")
    model = danfoss_trv(device)
    await zigbee.wait_for(lambda: model.clock_valid, what="time written")
    offset, wall = ZONES[zone]
    assert int(model.time.get("time_zone")) == offset
    assert int(model.time.get("time_status")) & 0x02
    assert model.wall_clock.replace(second=0, microsecond=0) == wall
    assert not int(model.diagnostics.get("sw_error_code")) & E10_INVALID_CLOCK
    assert device.ieee not in danfoss(entry).time_pending
    await hass.config_entries.async_unload(entry.entry_id)


async def test_time_rewritten_after_power_cycle_and_on_zone_change(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    trv: SimDevice,
) -> None:
    model = danfoss_trv(trv)
    await zigbee.wait_for(lambda: model.clock_valid, what="time written on join")
    await trv.power_cycle()
    assert not model.clock_valid
    await zigbee.wait_for(lambda: model.clock_valid, what="time written after announce")
    before = len(trv.frames(cluster=0x000A, command=0x02))
    await hass.config.async_update(time_zone="Asia/Kolkata")
    await zigbee.wait_for(
        lambda: int(model.time.get("time_zone")) == 19800,
        what="time zone change written",
    )
    assert len(trv.frames(cluster=0x000A, command=0x02)) == before + 1


async def test_diagnostics_name_trvs_without_their_ieee(
    hass: HomeAssistant,
    hass_client: Any,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    trv: SimDevice,
) -> None:
    await add_room(hass, pack_setup, "Kitchen", trvs=[str(trv.ieee)])
    await zigbee.network.settle()
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, pack_setup)
    section = diagnostics["families"]["danfoss"]
    assert section["rooms"]["Kitchen"]["trvs"] == ["trv1"]
    assert section["trvs"]["trv1"]["ieee"] == "**REDACTED**"
    assert section["trvs"]["trv1"]["desired"]["load_balancing_enable"] == 0
    assert str(trv.ieee) not in str(diagnostics)
