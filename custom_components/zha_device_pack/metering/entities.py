"""The meters' history-import sensors, on each meter's ZHA device page (diagnostic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from zigpy.types import EUI64

from ..entity import ZhaDeviceLinkedEntity
from .importer import MeterHistory


class _HistoryEntity(ZhaDeviceLinkedEntity, SensorEntity):
    """A sensor that follows one meter's history import."""

    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_should_poll = False

    def __init__(
        self, hass: HomeAssistant, history: MeterHistory, ieee: EUI64, key: str
    ) -> None:
        super().__init__(hass, ieee, key)
        self._history = history
        self._attr_translation_key = key

    async def async_added_to_hass(self) -> None:
        """Follow the import's progress."""
        self.async_on_remove(
            self._history.add_listener(self._ieee, self.async_write_ha_state)
        )


class HistoryImportSensor(_HistoryEntity):
    """Percent done of the running import (100 once one has finished), with its summary."""

    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_suggested_display_precision = 0

    def __init__(self, hass: HomeAssistant, history: MeterHistory, ieee: EUI64) -> None:
        """Create the progress sensor of meter ``ieee``."""
        super().__init__(hass, history, ieee, "history_import")

    @property
    def native_value(self) -> float | None:
        """Return the percent done."""
        return self._history.progress_of(self._ieee).percent

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return what is running and what the last import did."""
        progress = self._history.progress_of(self._ieee)
        attributes: dict[str, Any] = {
            "running": progress.running,
            "channel": progress.channel,
            "hours_done": progress.hours_done,
            "hours_total": progress.hours_total,
        }
        if (summary := progress.last_summary) is not None:
            attributes["last_imported"] = summary["imported"]
            attributes["last_hours_imported"] = summary["hours_imported"]
            attributes["last_requests"] = summary["requests"]
            attributes["last_gaps"] = len(summary["gaps"])
        return attributes


class LastHistoryImportSensor(_HistoryEntity):
    """When the meter's last import finished."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP

    def __init__(self, hass: HomeAssistant, history: MeterHistory, ieee: EUI64) -> None:
        """Create the last-import sensor of meter ``ieee``."""
        super().__init__(hass, history, ieee, "last_history_import")

    @property
    def native_value(self) -> datetime | None:
        """Return the end of the last import."""
        return self._history.progress_of(self._ieee).last_import
