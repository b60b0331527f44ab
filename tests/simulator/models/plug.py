"""SimCo SimPlug: an on/off smart plug with a Smart Energy meter."""

from __future__ import annotations

from typing import Any

import zigpy.types as t
from zigpy.zcl.clusters import general, homeautomation, smartenergy

from tests.simulator.device import Attr, SimCluster, SimDevice

from .common import add_basic, add_identify_groups_scenes, add_ota_client, resolve_ieee

MANUFACTURER = "SimCo"
MODEL = "SimPlug"
DEVICE_TYPE_SMART_PLUG = 0x0051

#: Metering: unit_of_measure 0 = kWh; divisor 1000 -> values are in Wh / W.
METERING_DIVISOR = 1000


def plug(
    ieee: str | t.EUI64 | None = None,
    *,
    load_watts: int = 60,
    electrical_measurement: bool = True,
    **kwargs: Any,
) -> SimDevice:
    """Create a SimPlug.

    Endpoint 1 (HA profile, smart plug): Basic, Identify, Groups, Scenes, OnOff,
    Metering and (optional) ElectricalMeasurement; out: OTA.  Switching it on
    draws ``load_watts`` (instantaneous_demand / active_power follow on_off).
    """
    device = SimDevice(
        ieee=resolve_ieee(ieee),
        manufacturer=MANUFACTURER,
        model=MODEL,
        model_key="plug",
        **kwargs,
    )
    ep = device.add_endpoint(1, profile_id=0x0104, device_type=DEVICE_TYPE_SMART_PLUG)
    add_basic(ep, device)
    add_identify_groups_scenes(ep)
    on_off = ep.add_cluster(
        general.OnOff,
        {"on_off": False, "start_up_on_off": general.OnOff.StartUpOnOff.Off},
        volatile=["on_off"],
    )
    ep.add_cluster(
        smartenergy.Metering,
        {
            "current_summ_delivered": 0,
            "status": 0,
            "unit_of_measure": 0x00,  # kWh
            "multiplier": 1,
            "divisor": METERING_DIVISOR,
            # 5 digits left, 3 right of the decimal point, suppress leading zeros
            "summation_formatting": 0b1_0101_011,
            "demand_formatting": 0b1_0101_011,
            "metering_device_type": 0x00,  # electric metering
            "instantaneous_demand": 0,
        },
        volatile=["instantaneous_demand"],
    )
    if electrical_measurement:
        ep.add_cluster(
            homeautomation.ElectricalMeasurement,
            {
                "measurement_type": 0x00000009,  # active measurement, AC phase A
                "rms_voltage": 230,
                "rms_current": 0,
                "active_power": 0,
                "ac_voltage_multiplier": 1,
                "ac_voltage_divisor": 1,
                "ac_current_multiplier": 1,
                "ac_current_divisor": 1000,
                "ac_power_multiplier": 1,
                "ac_power_divisor": 1,
            },
            volatile=["rms_current", "active_power"],
        )
    device.state.setdefault("load_watts", load_watts)

    def follow_on_off(cluster: SimCluster, attr: Attr, old: Any, new: Any) -> None:
        if attr.name == "on_off":
            update_load(device)

    on_off.add_listener(follow_on_off)
    add_ota_client(ep)
    return device


def update_load(device: SimDevice, load_watts: int | None = None) -> None:
    """Set the plugged-in load (``device.state["load_watts"]``) and refresh the meter."""
    if load_watts is not None:
        device.state["load_watts"] = load_watts
        device.changed()
    ep = device.endpoint(1)
    on = bool(ep.cluster(general.OnOff).get("on_off"))
    watts = int(device.state["load_watts"]) if on else 0
    ep.cluster(smartenergy.Metering).set("instantaneous_demand", watts)
    if homeautomation.ElectricalMeasurement.cluster_id in ep.in_clusters:
        electrical = ep.cluster(homeautomation.ElectricalMeasurement)
        electrical.set("active_power", watts)
        electrical.set("rms_current", watts * 1000 // 230)
