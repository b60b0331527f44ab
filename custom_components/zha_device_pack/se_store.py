"""One HA Store per family, in JSON sections: events and state that outlive a restart.

The Smart Energy clients and servers each keep their events in a section of their family's
store (``{"prices": ..., "load_control": ...}``). A change schedules a delayed save, so a
burst of events costs one write; unload writes what is pending.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 1.0


class SectionStore:
    """A Store holding one JSON object per section name."""

    def __init__(self, hass: HomeAssistant, key: str) -> None:
        """Use the Store ``key`` (``zha_device_pack.<family>_...``)."""
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, key)
        self._data: dict[str, Any] = {}
        self._dirty = False

    async def async_load(self) -> None:
        """Read the stored sections (nothing stored: empty)."""
        self._data = await self._store.async_load() or {}

    def section(self, name: str) -> Any:
        """Return a section's stored value (None when absent)."""
        return self._data.get(name)

    def save(self, name: str, value: Any) -> None:
        """Replace a section and schedule the write."""
        self._data[name] = value
        self._dirty = True
        self._store.async_delay_save(lambda: self._data, SAVE_DELAY)

    async def async_flush(self) -> None:
        """Write now what is pending (unload)."""
        if not self._dirty:
            return
        self._dirty = False
        await self._store.async_save(self._data)
