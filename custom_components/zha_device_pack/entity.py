"""Base class for our entities that belong to a device ZHA created."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import Entity
from zigpy.types import EUI64

from .zha_bridge import zha_device_entry


class ZhaDeviceLinkedEntity(Entity):
    """An entity of ours shown on the page of the ZHA device it belongs to.

    Since HA 2026.8 a device belongs to one config entry, so we do not copy ZHA's identifiers
    into ``device_info``; like HA's helper integrations we attach the entity to the existing
    device entry instead.
    """

    _attr_has_entity_name = True

    def __init__(self, hass: HomeAssistant, ieee: EUI64, key: str) -> None:
        """Link to the ZHA device ``ieee``; ``key`` makes the unique id."""
        self._ieee = ieee
        self._attr_unique_id = f"{ieee}-{key}"
        self.device_entry = zha_device_entry(hass, ieee)
