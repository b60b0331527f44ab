"""Diagnostics for ZHA Device Pack.

Home Assistant (2026.8+) serves device diagnostics only for devices owned by the config entry,
and every device we handle belongs to ZHA; the per-device details therefore live in the entry
diagnostics (and ZHA's own device diagnostics show the applied quirk), one section per family.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .families import ZhaDevicePackConfigEntry

TO_REDACT = {"ieee", "network_key", "key", "install_code"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ZhaDevicePackConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for the config entry."""
    runtime = entry.runtime_data
    return async_redact_data(
        {
            "entry": {
                "options": dict(entry.options),
                "subentries": [
                    {"type": subentry.subentry_type, "title": subentry.title}
                    for subentry in entry.subentries.values()
                ],
            },
            **runtime.quirk_manager.as_diagnostics(),
            **runtime.tracker.as_diagnostics(),
            "families": {
                name: family.diagnostics() for name, family in runtime.families.items()
            },
        },
        TO_REDACT,
    )
