"""Setup, unload, diagnostics and linking our entities to ZHA's devices."""

from __future__ import annotations

from homeassistant.components.sensor import SensorEntity
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockEntityPlatform,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.zha_device_pack.const import DOMAIN
from custom_components.zha_device_pack.entity import ZhaDeviceLinkedEntity
from tests.conftest import ZigbeeHarness
from tests.simulator.models import create_device

TEST_QUIRKS = ("tests.quirk_fixtures.sim_plug", "tuya_ts0049")


@pytest.fixture
def pack_quirk_modules() -> tuple[str, ...]:
    """Register the test quirk for the simulated SimPlug."""
    return TEST_QUIRKS


async def test_setup_retries_until_zha_is_loaded(hass: HomeAssistant) -> None:
    """Without a running ZHA gateway the entry waits (ConfigEntryNotReady)."""
    assert await async_setup_component(hass, "zha", {})
    entry = MockConfigEntry(domain=DOMAIN, data={})
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason == "The ZHA integration is not loaded yet"


async def test_setup_and_unload(
    hass: HomeAssistant, pack_setup: MockConfigEntry
) -> None:
    """The entry loads on top of ZHA and unloads cleanly."""
    assert pack_setup.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(pack_setup.entry_id)
    await hass.async_block_till_done()
    assert pack_setup.state is ConfigEntryState.NOT_LOADED


class LinkedTestSensor(ZhaDeviceLinkedEntity, SensorEntity):
    """A minimal entity of ours on a ZHA device."""

    _attr_name = "Linked"
    _attr_native_value = 1


async def test_our_entities_appear_on_the_zha_device(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """Entities of ours attach to ZHA's device entry without joining its config entries."""
    plug = create_device("plug")
    proxy = await zigbee.join(plug)
    platform = MockEntityPlatform(hass, domain="sensor", platform_name=DOMAIN)
    platform.config_entry = pack_setup

    await platform.async_add_entities([LinkedTestSensor(hass, plug.ieee, "linked")])

    entity_entry = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{plug.ieee}-linked"
    )
    assert entity_entry is not None
    registry_entry = er.async_get(hass).async_get(entity_entry)
    assert registry_entry.device_id == proxy.device_id
    assert registry_entry.config_entry_id == pack_setup.entry_id
    device = dr.async_get(hass).async_get(proxy.device_id)
    assert device.config_entry_id == proxy.gateway_proxy.config_entry.entry_id
    assert hass.states.get(entity_entry).state == "1"


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: object,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics list our quirks, the devices on them and who claims them, IEEE redacted.

    Each family's section has its own snapshot in the family's tests.
    """
    plug = create_device("plug", ieee="00:11:22:33:44:55:66:77")
    await zigbee.join(plug)
    valve = create_device("ts0049", ieee="00:11:22:33:44:55:66:88")
    await zigbee.join(valve)
    await zigbee.network.settle()
    await hass.async_block_till_done()

    entry_diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, pack_setup
    )
    assert set(entry_diagnostics["families"]) == {
        "irrigation",
        "danfoss",
        "metering",
        "esi",
        "link",
    }
    # link numbers are labelled, not named by IEEE: the plug and the valve
    assert [
        device["device"] for device in entry_diagnostics["families"]["link"]["devices"]
    ] == ["device1", "device2"]
    assert entry_diagnostics == snapshot(name="entry", exclude=props("families"))
    assert "00:11:22:33:44:55:66:77" not in str(entry_diagnostics)
    assert "00:11:22:33:44:55:66:88" not in str(entry_diagnostics)
