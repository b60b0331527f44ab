"""Helpers of the metering tests: meters joined to ZHA and their entities."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from zha.zigbee.device import Device

from custom_components.zha_device_pack import zha_bridge
from tests.conftest import ZigbeeHarness
from tests.simulator import SimDevice


async def join_initialized(
    hass: HomeAssistant, zigbee: ZigbeeHarness, device: SimDevice
) -> Device:
    """Join ``device`` and wait for zigpy's interview (for meters ZHA gives no entities)."""
    zigbee.network.add_device(device)
    await zigbee.network.join(device)

    def initialized() -> bool:
        zha_device = zha_bridge.zha_device(hass, device.ieee)
        return zha_device is not None and zha_device.device.is_initialized

    await zigbee.wait_for(initialized, timeout=15, what="meter initialized")
    zha_device = zha_bridge.zha_device(hass, device.ieee)
    assert zha_device is not None
    return zha_device


def meter_entity(
    hass: HomeAssistant, device: SimDevice, key: str, domain: str = "sensor"
) -> str | None:
    """Return the entity id of the meter entity ``key`` on endpoint 1, if there is one."""
    return er.async_get(hass).async_get_entity_id(
        domain, "zha", f"{device.ieee}-1-{key}"
    )
