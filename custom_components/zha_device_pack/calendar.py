"""Calendar platform: the families' calendars (TS0049 irrigation programs, room schedules)."""

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
    """Add every family's calendars."""
    async_setup_platform_entities(entry, Platform.CALENDAR, async_add_entities)
