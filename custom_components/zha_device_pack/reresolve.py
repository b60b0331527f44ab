"""Move already-loaded ZHA devices onto the quirk the registry matches now, without a ZHA reload.

ZHA sets up before us at every start and resolves every device with the registry as it is then,
i.e. without our quirks. Reloading ZHA to fix that takes the whole Zigbee network offline
(every entity unavailable for more than a second even on a simulator). Instead each affected
device is swapped in place, the way zigpy's re-interview and ZHA's handler for it swap one
device (see ``shared/research/reresolve_in_place.md``):

1. zigpy: rebuild the raw (un-quirked) device from its original signature with the attribute
   cache, detach it from the database listener and groups, and finalize the raw device, which
   resolves it with the current registry, stores the raw signature and re-attaches listeners.
2. ZHA: tear the old ``zha`` ``Device`` down (entity-removed events make HA soft-remove the old
   entities), create the new one with ``Device.new``, initialize it from the cache and emit
   ``DeviceFullInitEvent``; HA's ZHA rebinds its device proxy and adds the new entities.

No radio traffic is on that path, so it takes milliseconds whether or not the device is awake.
Steps 1 and 2 use private zigpy/zha functions of the versions HA 2026.10 ships; they are checked
before use. Without them the public ``Gateway.async_reinterview_device`` is used (it needs the
device to answer) and the caller falls back, once per Home Assistant start, to a ZHA reload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import enum
import logging
import time
from typing import Any, Final

from zha.application.gateway import Gateway
from zha.quirks import QUIRK_REGISTRY_ENTRY_ATTR, DeviceRegistry, QuirkRegistryEntry
from zha.zigbee.device import Device
import zigpy.device
from zigpy.endpoint import Status as EndpointStatus
from zigpy.exceptions import ZigbeeException
from zigpy.types import EUI64
from zigpy.zcl.clusters.general import Basic

from . import zha_bridge

_LOGGER = logging.getLogger(__name__)


class ReresolveMethod(enum.StrEnum):
    """How a device was moved onto its new quirk."""

    IN_PLACE = "in_place"
    REINTERVIEW = "reinterview"


class ReresolveError(Exception):
    """The device could not be moved onto its new quirk."""


def rebuild_raw_device(device: zigpy.device.Device) -> zigpy.device.Device:
    """Return a fresh, un-quirked copy of ``device`` built from its original signature.

    ``original_signature`` must stay ``None`` on the copy: zigpy refuses to store a device
    that carries one. ``ZigbeeDevice.clone()`` copies it, hence this function.
    """
    signature = device.original_signature or device.get_signature()
    raw = zigpy.device.Device(device.application, device.ieee, device.nwk)
    raw.lqi = device.lqi
    raw.rssi = device.rssi
    raw.last_seen = device.last_seen
    raw.relays = device.relays
    raw.status = device.status
    raw.node_desc = device.node_desc
    raw.manufacturer = signature.get("manufacturer", device.manufacturer)
    raw.model = signature.get("model", device.model)
    for endpoint_id, ep_signature in signature.get("endpoints", {}).items():
        endpoint = raw.add_endpoint(int(endpoint_id))
        endpoint.status = EndpointStatus.ZDO_INIT
        endpoint.profile_id = ep_signature["profile_id"]
        endpoint.device_type = ep_signature["device_type"]
        old_endpoint = device.endpoints.get(int(endpoint_id))
        for cluster_id in ep_signature["input_clusters"]:
            cluster = endpoint.add_input_cluster(cluster_id)
            if old_endpoint is not None and cluster_id in old_endpoint.in_clusters:
                zha_bridge.copy_attribute_cache(
                    old_endpoint.in_clusters[cluster_id], cluster
                )
        for cluster_id in ep_signature["output_clusters"]:
            cluster = endpoint.add_output_cluster(cluster_id)
            if old_endpoint is not None and cluster_id in old_endpoint.out_clusters:
                zha_bridge.copy_attribute_cache(
                    old_endpoint.out_clusters[cluster_id], cluster
                )
    return raw


def applied_entry(device: zigpy.device.BaseDevice) -> QuirkRegistryEntry | None:
    """Return the registry entry ``device`` was resolved with."""
    return getattr(device, QUIRK_REGISTRY_ENTRY_ATTR, None)


def quirk_would_change(
    registry: DeviceRegistry, device: zigpy.device.BaseDevice
) -> bool:
    """Return True when resolving ``device`` now would pick another registry entry."""
    if not isinstance(device, zigpy.device.Device):
        return False
    return registry.match_entry(rebuild_raw_device(device)) is not applied_entry(device)


def eligible(gateway: Gateway, ieee: EUI64) -> bool:
    """Return True when the device can be swapped now (not the coordinator, not busy)."""
    zha_device = gateway.devices.get(ieee)
    zigpy_device = gateway.application_controller.devices.get(ieee)
    if zha_device is None or not isinstance(zigpy_device, zigpy.device.Device):
        return False
    return not (
        zha_device.is_active_coordinator
        or zigpy_device.reinterviewing
        or zigpy_device.initializing
    )


async def async_reresolve_in_place(gateway: Gateway, ieee: EUI64) -> Device:
    """Swap one device onto the quirk the registry matches now (private APIs, no radio)."""
    app: Any = gateway.application_controller
    old = app.devices[ieee]
    old_zha = gateway.devices[ieee]
    raw = rebuild_raw_device(old)

    # zigpy part: synchronous, so no frame can reach a half-swapped device.
    memberships: dict[int, set[int]] = {}
    for endpoint in old.non_zdo_endpoints:
        if endpoint.member_of:
            memberships[endpoint.endpoint_id] = set(endpoint.member_of)
            for group in list(endpoint.member_of.values()):
                group.remove_member(endpoint, suppress_event=True)
    new = zha_bridge.finalize_device(app, old, raw)
    for endpoint_id, group_ids in memberships.items():
        if endpoint_id in new.endpoints:
            for group_id in group_ids:
                if (group := app.groups.get(group_id)) is not None:
                    group.add_member(new.endpoints[endpoint_id])

    # ZHA part: the same steps as Gateway._async_device_reinterviewed, minus the radio.
    available, on_network = old_zha.available, old_zha.on_network
    await zha_bridge.teardown_zha_device(old_zha)
    new_zha = Device.new(new, gateway)
    zha_bridge.install_zha_device(gateway, new_zha)
    new_zha.available = available
    new_zha.on_network = on_network
    await new_zha.async_initialize(from_cache=True)
    for group in gateway.groups.values():
        group.update_entity_subscriptions()
    zha_bridge.announce_device_initialized(gateway, new_zha)
    return new_zha


# Longer than a parent holds a frame for a sleeping child (macTransactionPersistenceTime,
# 7.68 s): a sleepy device that polls within it is reached.
REACHABLE_TIMEOUT: Final = 10.0


async def async_reachable(device: Device) -> bool:
    """Return whether the device answers now (a read of Basic's ZCL version)."""
    for endpoint_id, endpoint in device.device.endpoints.items():
        if endpoint_id and (basic := endpoint.in_clusters.get(Basic.cluster_id)):
            try:
                async with asyncio.timeout(REACHABLE_TIMEOUT):
                    await basic.read_attributes(
                        [Basic.AttributeDefs.zcl_version.id], allow_cache=False
                    )
            except ZigbeeException, TimeoutError:
                return False
            return True
    return False


async def async_configure_from_device(device: Device) -> None:
    """Bind and configure reporting for the new quirk, then read its attributes.

    ZHA's configuration does not fail for a device that does not answer (each bind and
    report configuration is tried and logged); the caller checks reachability first.
    """
    await device.async_configure()
    await device.async_initialize(from_cache=False)


async def async_reresolve(
    gateway: Gateway,
    ieee: EUI64,
    *,
    on_swapped: Callable[[Device, ReresolveMethod], None] | None = None,
) -> ReresolveMethod:
    """Move one device onto the quirk the registry matches now.

    Raises ``ReresolveError`` when neither the in-place swap nor a re-interview succeeded.
    """
    start = time.monotonic()
    if zha_bridge.in_place_supported(gateway):
        new_device = await async_reresolve_in_place(gateway, ieee)
        method = ReresolveMethod.IN_PLACE
    else:
        # Public API: needs the device to answer; zigpy keeps the old device on failure.
        old = gateway.application_controller.devices[ieee]
        await gateway.async_reinterview_device(ieee)
        await asyncio.sleep(0)
        current = gateway.application_controller.devices.get(ieee)
        if current is old or current is None:
            raise ReresolveError(f"re-interview of {ieee} did not complete")
        # ZHA rebuilds the zha Device in a task started by zigpy's device_reinterviewed event;
        # wait for it when this zha version still keeps its tasks where we can see them.
        await zha_bridge.wait_for_device_init(gateway, ieee)
        new_device = gateway.devices[ieee]
        method = ReresolveMethod.REINTERVIEW
    _LOGGER.debug(
        "Re-resolved %s (%s) in %.1f ms",
        ieee,
        method,
        (time.monotonic() - start) * 1000,
    )
    if on_swapped is not None:
        on_swapped(new_device, method)
    return method
