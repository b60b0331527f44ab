"""Diagnostics for ZHA Device Pack."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.components.zha.helpers import get_zha_gateway_proxy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from . import ZhaDevicePackConfigEntry
from .const import ZHA_DOMAIN

TO_REDACT = {"ieee", "network_key", "key", "install_code", "identifiers", "connections"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ZhaDevicePackConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for the config entry."""
    manager = entry.runtime_data.quirk_manager
    return async_redact_data(
        {"entry": {"options": dict(entry.options)}, **manager.as_diagnostics()},
        TO_REDACT,
    )


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: ZhaDevicePackConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """Return diagnostics for one ZHA device our integration has entities or a quirk for."""
    manager = entry.runtime_data.quirk_manager
    data: dict[str, Any] = {"device": {"name": device.name, "model": device.model}}
    ieee = next(
        (value for domain, value in device.identifiers if domain == ZHA_DOMAIN), None
    )
    try:
        gateway = get_zha_gateway_proxy(hass).gateway
    except ValueError:
        gateway = None
    zha_device = (
        next((d for d in gateway.devices.values() if str(d.ieee) == ieee), None)
        if gateway is not None and ieee is not None
        else None
    )
    if zha_device is not None:
        data["zha"] = {
            "ieee": str(zha_device.ieee),
            "quirk": manager.quirk_label(zha_device),
            "quirk_is_ours": manager.quirks.applied_entry(zha_device.device)
            is not None,
            "signature": zha_device.device.original_signature,
        }
    return async_redact_data(data, TO_REDACT)
