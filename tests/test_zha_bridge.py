"""The one module that touches ZHA's internals: its probe and its message parsing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from homeassistant.components.zha.helpers import get_zha_gateway_proxy
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from zigpy.types import EUI64

from custom_components.zha_device_pack import zha_bridge
from custom_components.zha_device_pack.zha_bridge import (
    GatewayMessage,
    GatewayMessageKind,
    parse_gateway_message,
)

IEEE = "5c:c7:c1:ff:fe:00:00:1a"


async def test_pinned_zha_has_every_private_function(
    hass: HomeAssistant, zha_setup: MockConfigEntry
) -> None:
    """With zha 2.3.1 / zigpy 2.3.0 nothing the in-place move needs is missing."""
    gateway = get_zha_gateway_proxy(hass).gateway
    assert zha_bridge.missing_private_apis(gateway) == []
    assert zha_bridge.in_place_supported(gateway)


def test_probe_names_what_a_release_dropped() -> None:
    """A zigpy without _finalize_device and a zha whose devices are no dict are named."""

    class App:
        _dblistener = None

    gateway: Any = SimpleNamespace(
        application_controller=App(), devices=SimpleNamespace(), emit=print
    )
    assert zha_bridge.missing_private_apis(gateway) == [
        "zigpy ControllerApplication._finalize_device",
        "zha Gateway.devices (ZHA's own dict)",
    ]
    assert not zha_bridge.in_place_supported(gateway)


def test_gateway_messages() -> None:
    """Device messages are parsed; others (groups, logs, raw init) are not ours."""
    info = {"ieee": IEEE, "nwk": 0x1A2B}
    assert parse_gateway_message(
        {"type": "device_fully_initialized", "device_info": info}
    ) == GatewayMessage(GatewayMessageKind.DEVICE_FULL_INIT, EUI64.convert(IEEE))
    assert parse_gateway_message(
        {"type": "device_removed", "device_info": info}
    ) == GatewayMessage(GatewayMessageKind.DEVICE_REMOVED, EUI64.convert(IEEE))
    assert (
        parse_gateway_message({"type": "raw_device_initialized", "device_info": info})
        is None
    )
    assert parse_gateway_message({"type": "group_added", "group_info": {}}) is None
    assert parse_gateway_message({"type": "device_removed"}) is None
