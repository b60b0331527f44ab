"""Helpers shared by the device models."""

from __future__ import annotations

import itertools
from typing import Any

import zigpy.types as t
from zigpy.zcl.clusters import general

from tests.simulator.device import SimCluster, SimDevice, SimEndpoint, to_eui64
from tests.simulator.poll_control import (
    DEFAULT_CHECK_IN_INTERVAL,
    DEFAULT_FAST_POLL_TIMEOUT,
    DEFAULT_LONG_POLL_INTERVAL,
    DEFAULT_SHORT_POLL_INTERVAL,
    PollControlServer,
    poll_control,
)

_ieee_counter = itertools.count(1)

#: Basic cluster power_source values.
POWER_MAINS = 0x01
POWER_BATTERY = 0x03


def auto_ieee() -> t.EUI64:
    """Return a fresh IEEE address (5c:c7:c1:ff:fe:xx:xx:xx) for a device created without one."""
    raw = bytes.fromhex("5cc7c1fffe") + next(_ieee_counter).to_bytes(3, "big")
    return to_eui64(":".join(f"{b:02x}" for b in raw))


def resolve_ieee(ieee: str | t.EUI64 | None) -> t.EUI64:
    """Return ``ieee`` as an EUI64, or a fresh one."""
    return auto_ieee() if ieee is None else to_eui64(ieee)


def add_basic(
    endpoint: SimEndpoint,
    device: SimDevice,
    *,
    power_source: int = POWER_MAINS,
    sw_build_id: str = "1.0.0",
    date_code: str = "20250101",
    **extra: Any,
) -> SimCluster:
    """Add a Basic cluster reporting the device's manufacturer and model."""
    values: dict[int | str, Any] = {
        "zcl_version": 8,
        "app_version": 1,
        "stack_version": 2,
        "hw_version": 1,
        "manufacturer": device.manufacturer,
        "model": device.model,
        "date_code": date_code,
        "power_source": power_source,
        "sw_build_id": sw_build_id,
    }
    values.update(extra)
    return endpoint.add_cluster(general.Basic, values)


def add_identify_groups_scenes(endpoint: SimEndpoint) -> None:
    """Add Identify, Groups and Scenes server clusters with their standard behaviour."""
    endpoint.add_cluster(
        general.Identify, {"identify_time": 0}, volatile=["identify_time"]
    )
    endpoint.add_cluster(general.Groups, {"name_support": 0})
    endpoint.add_cluster(
        general.Scenes,
        {
            "count": 0,
            "current_scene": 0,
            "current_group": 0,
            "scene_valid": False,
            "name_support": 0,
        },
    )


def add_ota_client(
    endpoint: SimEndpoint, *, file_version: int = 0x00000001
) -> SimCluster:
    """Add an OTA client (out) cluster."""
    return endpoint.add_output_cluster(
        general.Ota, {"current_file_version": file_version}
    )


def add_poll_control(
    endpoint: SimEndpoint,
    *,
    check_in_interval: int = DEFAULT_CHECK_IN_INTERVAL,
    long_poll_interval: int = DEFAULT_LONG_POLL_INTERVAL,
    short_poll_interval: int = DEFAULT_SHORT_POLL_INTERVAL,
    fast_poll_timeout: int = DEFAULT_FAST_POLL_TIMEOUT,
    check_in_interval_min: int = 0,
    long_poll_interval_min: int = 0,
    fast_poll_timeout_max: int = 0xFFFF,
    bound_only: bool = False,
) -> PollControlServer:
    """Add a Poll Control server (ZCL 7 §3.16) with all seven attributes.

    Values are quarter-seconds, as on the wire (check-in every 5 minutes: 1200; long
    poll 7 s: 28).  Defaults are the ZCL defaults, except FastPollTimeoutMax (ZCL: 0,
    which would refuse every fast poll timeout): 0xFFFF, no limit.  The device's
    poll intervals follow the attributes; make the device ``sleepy=True`` for them
    to matter.  ``bound_only``: check in with bound clients only (see
    `PollControlServer`).
    """
    cluster = endpoint.add_cluster(
        general.PollControl,
        {
            "checkin_interval": check_in_interval,
            "long_poll_interval": long_poll_interval,
            "short_poll_interval": short_poll_interval,
            "fast_poll_timeout": fast_poll_timeout,
            "checkin_interval_min": check_in_interval_min,
            "long_poll_interval_min": long_poll_interval_min,
            "fast_poll_timeout_max": fast_poll_timeout_max,
        },
    )
    server = poll_control(endpoint.device, endpoint.id)
    server.bound_only = bound_only
    problems = [
        name
        for name, ok in (
            ("checkin_interval", server.check_in_interval_ok(check_in_interval)),
            ("long_poll_interval", server.long_poll_interval_ok(long_poll_interval)),
            ("short_poll_interval", server.short_poll_interval_ok(short_poll_interval)),
            ("fast_poll_timeout", server.fast_poll_timeout_ok(fast_poll_timeout)),
        )
        if not ok
    ]
    if problems:
        endpoint.in_clusters.pop(cluster.cluster_id)
        endpoint.device.services.remove(server)
        raise ValueError(f"inconsistent Poll Control attributes: {', '.join(problems)}")
    return server
