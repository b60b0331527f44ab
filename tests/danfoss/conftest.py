"""Fixtures of the Danfoss family's tests: Ally TRVs joined to ZHA, heating rooms."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack.danfoss import DanfossFamily
from tests.conftest import ZigbeeHarness
from tests.simulator import SimDevice
from tests.simulator.models.danfoss_ally import danfoss_ally

THERMOSTAT = 0x0201
DANFOSS = 0x1246


def danfoss(entry: ConfigEntry) -> DanfossFamily:
    """Return the running Danfoss family of our config entry."""
    family = entry.runtime_data.families[DanfossFamily.name]
    assert isinstance(family, DanfossFamily)
    return family


def entity(hass: HomeAssistant, platform: str, domain: str, unique_id: str) -> str:
    """Return the entity id of ``platform``'s entity with ``unique_id``."""
    entity_id = er.async_get(hass).async_get_entity_id(domain, platform, unique_id)
    assert entity_id is not None, f"no {domain} entity {unique_id} of {platform}"
    return entity_id


def room_entity(hass: HomeAssistant, domain: str, room_id: str, key: str) -> str:
    """Return the entity id of a room entity."""
    return entity(hass, "zha_device_pack", domain, f"danfoss_room_{room_id}_{key}")


async def join_trv(zigbee: ZigbeeHarness, ieee: str, **kwargs: Any) -> SimDevice:
    """Join an Ally TRV (rx-on unless ``sleepy=True``: writes land without polls)."""
    kwargs.setdefault("sleepy", False)
    device = danfoss_ally(ieee, **kwargs)
    await zigbee.join(device)
    await zigbee.network.settle()
    return device


async def add_room(
    hass: HomeAssistant, entry: MockConfigEntry, title: str, **data: Any
) -> str:
    """Add a room subentry directly (the flow has its own tests); return its id."""
    data.setdefault("trvs", [])
    data["trvs"] = [str(ieee) for ieee in data["trvs"]]
    subentry = ConfigSubentry(
        data=MappingProxyType(data), subentry_type="room", title=title, unique_id=None
    )
    hass.config_entries.async_add_subentry(entry, subentry)
    await hass.async_block_till_done()
    return next(s.subentry_id for s in entry.subentries.values() if s.title == title)


@pytest.fixture
async def trv(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> SimDevice:
    """One Ally TRV joined to ZHA on our quirk."""
    return await join_trv(zigbee, "00:15:bc:00:1a:00:00:01")
