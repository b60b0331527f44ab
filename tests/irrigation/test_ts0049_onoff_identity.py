"""On/off of the TS0049 is byte-identical to what stock ZHA sends for the unquirked valve.

Upstream users saw the valve stop actuating once a quirk replaced its private cluster
(zha-device-handlers #3316). Whatever the cause, our quirk must not change anything on the
OnOff path: the same binding and reporting configuration at join, the same on/off frames.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.simulator import SimDevice
from tests.simulator.models import create_device

ZDO_BIND_REQ = 0x0021
CONFIGURE_REPORTING = 0x06
ON_OFF = 0x0006


def join_configuration(device: SimDevice) -> list[tuple[int, bytes]]:
    """Return the bind requests and Configure Reporting frames the device received.

    TSNs are dropped and the device's own IEEE address (bind source) is blanked, so two
    different valves can be compared.
    """
    result: list[tuple[int, bytes]] = []
    for frame in device.received:
        if frame.is_zdo and frame.cluster_id == ZDO_BIND_REQ:
            payload = frame.data[1:]
            assert payload[:8] == device.ieee.serialize()
            result.append((ZDO_BIND_REQ, bytes(8) + payload[8:]))
        elif (
            frame.zcl is not None
            and frame.is_general
            and frame.command_id == CONFIGURE_REPORTING
        ):
            result.append((frame.cluster_id, frame.data[:1] + frame.data[2:]))
    return sorted(result)


def on_off_frames(device: SimDevice) -> list[bytes]:
    """Return the OnOff commands received, without TSN."""
    return [
        f.data[:1] + f.data[2:] for f in device.frames(cluster=ON_OFF, general=False)
    ]


async def test_onoff_path_is_identical_to_stock_zha(
    hass: HomeAssistant, zha_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """Compare the recorded frames of the unquirked valve and of the quirked one."""
    # Stock ZHA: no ZHA Device Pack, the valve gets ZHA's default switch.
    stock = create_device("ts0049", ieee="5c:c7:c1:ff:fe:00:10:01")
    await zigbee.join(stock)
    await zigbee.network.settle()
    await hass.async_block_till_done()
    (switch,) = zigbee.entity_ids(stock, "switch")
    stock_join = join_configuration(stock)
    stock.clear_frames()
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": switch}, blocking=True
    )
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": switch}, blocking=True
    )
    stock_on_off = on_off_frames(stock)

    # With our quirk: a second valve joins after ZHA Device Pack is set up.
    entry = MockConfigEntry(domain=DOMAIN, data={})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    ours = create_device("ts0049", ieee="5c:c7:c1:ff:fe:00:10:02")
    await zigbee.join(ours)
    await zigbee.network.settle()
    await hass.async_block_till_done()
    assert zigbee.entity_ids(ours, "switch") == []
    (valve,) = zigbee.entity_ids(ours, "valve")
    ours_join = join_configuration(ours)
    # Nothing on the private cluster is read, bound or configured at join.
    assert ours.frames(cluster=0xE001, general=True) == []
    ours.clear_frames()
    await hass.services.async_call(
        "valve", "open_valve", {"entity_id": valve}, blocking=True
    )
    await hass.services.async_call(
        "valve", "close_valve", {"entity_id": valve}, blocking=True
    )
    ours_on_off = on_off_frames(ours)

    # ZHA bound OnOff and configured its reporting for the stock valve ...
    assert any(k == ZDO_BIND_REQ and p[9:11] == b"\x06\x00" for k, p in stock_join)
    assert any(k == ON_OFF for k, _ in stock_join)
    # ... and does exactly the same, byte for byte, with our quirk.
    assert ours_join == stock_join
    assert stock_on_off == [bytes([0x01, 0x01]), bytes([0x01, 0x00])]
    assert ours_on_off == stock_on_off
    assert await hass.config_entries.async_unload(entry.entry_id)
