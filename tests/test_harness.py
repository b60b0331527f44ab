"""The simulated network under real Home Assistant + ZHA: join, commands, reports, offline."""

from __future__ import annotations

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import ZigbeeHarness
from tests.simulator.models import create_device

ON_OFF = 0x0006


async def test_plug_joins_and_gets_entities(
    hass: HomeAssistant, zha_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """A plug joins, ZHA interviews it and HA gets its device and entities."""
    plug = create_device("plug")
    proxy = await zigbee.join(plug)

    device = dr.async_get(hass).async_get(proxy.device_id)
    assert device is not None
    assert (device.manufacturer, device.model) == ("SimCo", "SimPlug")
    switches = zigbee.entity_ids(plug, "switch")
    sensors = zigbee.entity_ids(plug, "sensor")
    assert len(switches) == 1
    assert any("power" in entity_id for entity_id in sensors)
    assert hass.states.get(switches[0]).state == STATE_OFF


async def test_switch_call_sends_the_expected_frame(
    hass: HomeAssistant, zha_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """switch.turn_on sends exactly ZCL OnOff 'on' to endpoint 1 and the state follows."""
    plug = create_device("plug")
    await zigbee.join(plug)
    (switch,) = zigbee.entity_ids(plug, "switch")
    plug.clear_frames()

    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": switch}, blocking=True
    )

    (frame,) = plug.frames(cluster=ON_OFF, general=False)
    # frame control 0x01: cluster-specific, client->server, default response enabled
    assert frame.data == bytes([0x01, frame.tsn, 0x01])
    assert (frame.src_ep, frame.dst_ep, frame.profile_id) == (1, 1, 0x0104)
    assert plug.cluster(1, ON_OFF).get("on_off") == 1
    assert hass.states.get(switch).state == STATE_ON


async def test_attribute_report_changes_state(
    hass: HomeAssistant, zha_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """A report from the device (button pressed on the plug) changes the HA state."""
    plug = create_device("plug")
    await zigbee.join(plug)
    (switch,) = zigbee.entity_ids(plug, "switch")

    assert await plug.report(1, ON_OFF, {"on_off": True})
    await zigbee.wait_for(
        lambda: hass.states.get(switch).state == STATE_ON, what="report"
    )

    assert await plug.report(1, ON_OFF, {"on_off": False})
    await zigbee.wait_for(
        lambda: hass.states.get(switch).state == STATE_OFF, what="report"
    )


async def test_offline_device_raises(
    hass: HomeAssistant, zha_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """A command to an unreachable device fails with HomeAssistantError, state unchanged."""
    plug = create_device("plug")
    await zigbee.join(plug)
    (switch,) = zigbee.entity_ids(plug, "switch")
    plug.set_online(False)

    with pytest.raises(HomeAssistantError, match="Failed to send request"):
        await hass.services.async_call(
            "switch", "turn_on", {"entity_id": switch}, blocking=True
        )
    assert plug.cluster(1, ON_OFF).get("on_off") == 0
    assert hass.states.get(switch).state in (STATE_OFF, STATE_UNAVAILABLE)
