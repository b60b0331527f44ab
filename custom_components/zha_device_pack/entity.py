"""Base class for our entities that belong to a device ZHA created."""

from __future__ import annotations

from homeassistant.components.zha.helpers import get_zha_gateway_proxy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity import Entity
from zigpy.types import EUI64

from .const import ZHA_DOMAIN


def zha_device_entry(hass: HomeAssistant, ieee: EUI64) -> dr.DeviceEntry | None:
    """Return the device-registry entry ZHA created for ``ieee``, while ZHA is loaded."""
    try:
        gateway_proxy = get_zha_gateway_proxy(hass)
    except ValueError:
        return None
    registry = dr.async_get(hass)
    if (proxy := gateway_proxy.get_device_proxy(ieee)) is not None and isinstance(
        entry := registry.async_get(proxy.device_id), dr.DeviceEntry
    ):
        return entry
    return registry.async_get_device_by_identifier(
        (ZHA_DOMAIN, str(ieee)), gateway_proxy.config_entry.entry_id
    )


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
