"""Sample devices for the simulator's own tests (not models: they are not in MODELS).

They show the building blocks a sleepy thermostat (long poll 7 s, check-in every
5 minutes) and a sleepy Smart Energy meter (profile 0x0109) are made of.
"""

from __future__ import annotations

from typing import Any

import zigpy.types as t
from zigpy.zcl.clusters import general, hvac, smartenergy

from .device import SE_PROFILE, SimDevice
from .models.common import (
    POWER_BATTERY,
    add_basic,
    add_ota_client,
    add_poll_control,
    resolve_ieee,
)

DEVICE_TYPE_THERMOSTAT = 0x0301
#: Smart Energy device type "Metering Device".
DEVICE_TYPE_METERING = 0x0501
METERING_GAS = 0x01  # metering_device_type: Gas Metering
#: Check-in every 5 minutes, long poll 7 s, as quarter-seconds.
THERMOSTAT_CHECK_IN = 1200
THERMOSTAT_LONG_POLL = 28


def sleepy_thermostat(ieee: str | t.EUI64 | None = None, **kwargs: Any) -> SimDevice:
    """A sleepy radiator thermostat: long poll 7 s, check-in every 5 minutes.

    Endpoint 1 (HA profile): Basic, PowerConfiguration, Identify, Poll Control,
    Thermostat; out: Time, OTA.
    """
    kwargs.setdefault("sleepy", True)
    device = SimDevice(
        ieee=resolve_ieee(ieee),
        manufacturer="SimCo",
        model="SleepyTRV",
        model_key="sample_thermostat",
        manufacturer_code=0x1246,
        **kwargs,
    )
    ep = device.add_endpoint(1, device_type=DEVICE_TYPE_THERMOSTAT)
    add_basic(ep, device, power_source=POWER_BATTERY)
    ep.add_cluster(general.PowerConfiguration, {"battery_percentage_remaining": 170})
    ep.add_cluster(general.Identify, {"identify_time": 0})
    add_poll_control(
        ep,
        check_in_interval=THERMOSTAT_CHECK_IN,
        long_poll_interval=THERMOSTAT_LONG_POLL,
        fast_poll_timeout=0x30,
        fast_poll_timeout_max=0x0F00,
    )
    ep.add_cluster(
        hvac.Thermostat,
        {
            "local_temperature": 2150,
            "occupied_heating_setpoint": 2000,
            "min_heat_setpoint_limit": 500,
            "max_heat_setpoint_limit": 3500,
        },
        writable=["occupied_heating_setpoint"],
    )
    ep.add_output_cluster(general.Time)
    add_ota_client(ep)
    return device


def se_meter(ieee: str | t.EUI64 | None = None, **kwargs: Any) -> SimDevice:
    """A Smart Energy gas meter endpoint (profile 0x0109); sleepy with ``sleepy=True``.

    Endpoint 1 (SE profile, Metering Device): Basic, Metering, Poll Control
    (check-in every 2 hours); out: Time.
    """
    device = SimDevice(
        ieee=resolve_ieee(ieee),
        manufacturer="SimCo",
        model="SimGasMeter",
        model_key="sample_meter",
        **kwargs,
    )
    ep = device.add_endpoint(1, profile_id=SE_PROFILE, device_type=DEVICE_TYPE_METERING)
    add_basic(ep, device, power_source=POWER_BATTERY)
    ep.add_cluster(
        smartenergy.Metering,
        {
            "current_summ_delivered": 123_456,
            "status": 0,
            "unit_of_measure": 0x01,  # m³
            "multiplier": 1,
            "divisor": 1000,
            "summation_formatting": 0b0_0110_011,
            "metering_device_type": METERING_GAS,
        },
    )
    add_poll_control(ep, check_in_interval=28_800, long_poll_interval=120)
    ep.add_output_cluster(general.Time)
    return device
