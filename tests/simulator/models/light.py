"""SimCo SimLight: a simple on/off light."""

from __future__ import annotations

from typing import Any

import zigpy.types as t
from zigpy.zcl.clusters import general

from tests.simulator.device import SimDevice

from .common import add_basic, add_identify_groups_scenes, add_ota_client, resolve_ieee

MANUFACTURER = "SimCo"
MODEL = "SimLight"
DEVICE_TYPE_ON_OFF_LIGHT = 0x0100


def light(ieee: str | t.EUI64 | None = None, **kwargs: Any) -> SimDevice:
    """Create a SimLight: endpoint 1 with Basic, Identify, Groups, Scenes, OnOff; out: OTA."""
    device = SimDevice(
        ieee=resolve_ieee(ieee),
        manufacturer=MANUFACTURER,
        model=MODEL,
        model_key="light",
        **kwargs,
    )
    ep = device.add_endpoint(1, profile_id=0x0104, device_type=DEVICE_TYPE_ON_OFF_LIGHT)
    add_basic(ep, device)
    add_identify_groups_scenes(ep)
    ep.add_cluster(
        general.OnOff,
        {"on_off": False, "start_up_on_off": general.OnOff.StartUpOnOff.Off},
        volatile=["on_off"],
    )
    add_ota_client(ep)
    return device
