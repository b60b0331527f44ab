"""The Smart Energy quirk: a meter on a 0x0109 endpoint is heard, with the spec's Metering."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack import zha_bridge
from custom_components.zha_device_pack.quirks.smart_energy import (
    SmartEnergyMetering,
    SmartEnergyZigpyDevice,
)
from tests.conftest import ZigbeeHarness
from tests.simulator.models.common import resolve_ieee
from tests.simulator.sample_devices import se_meter

METERING = 0x0702


async def test_smart_energy_endpoint_is_heard(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """Without the quirk zigpy 2.3.0 drops every 0x0109 frame; with it, reads answer."""
    device = se_meter(resolve_ieee("00:0d:6f:00:0a:00:00:01"))
    zigbee.network.add_device(device)
    await zigbee.network.join(device)
    await zigbee.wait_for(
        lambda: (
            zha_bridge.zha_device(hass, device.ieee) is not None
            and zha_bridge.zha_device(hass, device.ieee).device.is_initialized
        ),  # type: ignore[union-attr]
        timeout=15,
        what="meter initialized",
    )
    zha_device = zha_bridge.zha_device(hass, device.ieee)
    assert zha_device is not None
    zigpy_device = zha_device.device
    assert isinstance(zigpy_device, SmartEnergyZigpyDevice)
    cluster = zigpy_device.endpoints[1].in_clusters[METERING]
    assert isinstance(cluster, SmartEnergyMetering)
    result, _ = await cluster.read_attributes(
        ["current_summ_delivered", "unit_of_measure"]
    )
    assert result == {"current_summ_delivered": 123_456, "unit_of_measure": 0x01}
