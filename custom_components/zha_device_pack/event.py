"""Event platform: the families' event entities (Smart Energy messages)."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .families import ZhaDevicePackConfigEntry, async_setup_platform_entities

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ZhaDevicePackConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add every family's event entities."""
    async_setup_platform_entities(entry, Platform.EVENT, async_add_entities)
