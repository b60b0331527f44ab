"""Diagnostics for ZHA Device Pack.

Home Assistant (2026.8+) serves device diagnostics only for devices owned by the config entry,
and every device we handle belongs to ZHA; the per-device details therefore live in the entry
diagnostics (and ZHA's own device diagnostics show the applied quirk).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from . import ZhaDevicePackConfigEntry

TO_REDACT = {"ieee", "network_key", "key", "install_code"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ZhaDevicePackConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for the config entry."""
    manager = entry.runtime_data.quirk_manager
    irrigation = entry.runtime_data.irrigation
    return async_redact_data(
        {
            "entry": {"options": dict(entry.options)},
            **manager.as_diagnostics(),
            "ts0049_valves": [
                {"ieee": str(ieee), **controller.lists.as_response()}
                for ieee, controller in irrigation.controllers.items()
            ],
        },
        TO_REDACT,
    )
