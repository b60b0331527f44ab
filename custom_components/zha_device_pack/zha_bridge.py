"""Every touch point with Home Assistant's ZHA integration and with zha/zigpy internals.

A new ZHA release is checked here, in one file (README, "Compatibility"):

- HA's ZHA helpers (public, ``homeassistant.components.zha.helpers``): the gateway proxy, the
  device proxies, ZHA's YAML configuration and the ``ZHA_GW_MSG`` dispatcher payloads.
- Private zigpy/zha functions of the versions HA 2026.10 ships (zigpy 2.3.0, zha 2.3.1), used
  only to move a loaded device onto another quirk without radio traffic
  (``reresolve.py``). ``missing_private_apis`` probes every one of them before a move;
  when any is missing the move falls back to ZHA's public re-interview.

Quirk modules never import this module (they stay free of Home Assistant imports); the zha
library internals they need are probed in ``quirks/zha_internals.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
import enum
import inspect
from typing import Any

from homeassistant.components.zha.helpers import (
    ZHADeviceProxy,
    ZHAGatewayProxy,
    get_zha_data,
    get_zha_gateway_proxy,
)
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from zha.application.const import (
    ZHA_GW_MSG,
    ZHA_GW_MSG_DEVICE_FULL_INIT,
    ZHA_GW_MSG_DEVICE_INFO,
    ZHA_GW_MSG_DEVICE_REMOVED,
)
from zha.application.gateway import (
    DeviceFullInitEvent,
    DevicePairingStatus,
    ExtendedDeviceInfoWithPairingStatus,
    Gateway,
)
from zha.zigbee.device import Device
import zigpy.application
import zigpy.device
from zigpy.exceptions import DeliveryError
import zigpy.types
from zigpy.types import EUI64
from zigpy.zcl import Cluster

from .const import ZHA_DOMAIN

# --- HA's ZHA integration ------------------------------------------------------------------------


def gateway_proxy(hass: HomeAssistant) -> ZHAGatewayProxy | None:
    """Return ZHA's gateway proxy while ZHA is loaded."""
    try:
        return get_zha_gateway_proxy(hass)
    except ValueError:  # ZHA raises ValueError while it has no gateway
        return None


def gateway(hass: HomeAssistant) -> Gateway | None:
    """Return ZHA's gateway (the zha library object) while ZHA is loaded."""
    proxy = gateway_proxy(hass)
    return None if proxy is None else proxy.gateway


def coordinator_ieee(hass: HomeAssistant) -> EUI64 | None:
    """Return the coordinator's IEEE address while ZHA is loaded."""
    zha_gateway = gateway(hass)
    if zha_gateway is None or zha_gateway.coordinator_zha_device is None:
        return None
    return zha_gateway.coordinator_zha_device.ieee


def device_proxy(hass: HomeAssistant, ieee: EUI64) -> ZHADeviceProxy | None:
    """Return HA's proxy of the ZHA device ``ieee``."""
    proxy = gateway_proxy(hass)
    return None if proxy is None else proxy.get_device_proxy(ieee)


def zha_device(hass: HomeAssistant, ieee: EUI64) -> Device | None:
    """Return the current zha ``Device`` of ``ieee`` (ZHA replaces it on a quirk change)."""
    proxy = device_proxy(hass, ieee)
    return None if proxy is None else proxy.device


def ieee_of_device_id(hass: HomeAssistant, device_id: str) -> EUI64 | None:
    """Return the IEEE address of the ZHA device with this device-registry id."""
    if (proxy := gateway_proxy(hass)) is None:
        return None
    for ieee, candidate in proxy.device_proxies.items():
        if candidate.device_id == device_id:
            return ieee
    return None


def zha_device_entry(hass: HomeAssistant, ieee: EUI64) -> dr.DeviceEntry | None:
    """Return the device-registry entry ZHA created for ``ieee``, while ZHA is loaded."""
    if (proxy := gateway_proxy(hass)) is None:
        return None
    registry = dr.async_get(hass)
    if (device := proxy.get_device_proxy(ieee)) is not None and isinstance(
        entry := registry.async_get(device.device_id), dr.DeviceEntry
    ):
        return entry
    return registry.async_get_device_by_identifier(
        (ZHA_DOMAIN, str(ieee)), proxy.config_entry.entry_id
    )


def zha_device_id(hass: HomeAssistant, ieee: EUI64) -> str | None:
    """Return the device-registry id of the ZHA device ``ieee``."""
    proxy = device_proxy(hass, ieee)
    return None if proxy is None else proxy.device_id


def loaded_zha_entry(hass: HomeAssistant) -> ConfigEntry | None:
    """Return ZHA's config entry when it is loaded."""
    for entry in hass.config_entries.async_entries(ZHA_DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            return entry
    return None


def quirks_enabled(hass: HomeAssistant) -> bool:
    """Return False when the user set ``zha: enable_quirks: false``."""
    return bool(get_zha_data(hass).yaml_config.get("enable_quirks", True))


class GatewayMessageKind(enum.StrEnum):
    """The ``ZHA_GW_MSG`` payloads the families care about."""

    DEVICE_FULL_INIT = ZHA_GW_MSG_DEVICE_FULL_INIT
    DEVICE_REMOVED = ZHA_GW_MSG_DEVICE_REMOVED


@dataclass(frozen=True, slots=True)
class GatewayMessage:
    """One device message of ZHA's gateway proxy."""

    kind: GatewayMessageKind
    ieee: EUI64


def parse_gateway_message(message: Mapping[str, Any]) -> GatewayMessage | None:
    """Return the device message in a ``ZHA_GW_MSG`` payload, or None for other messages."""
    try:
        kind = GatewayMessageKind(str(message.get("type")))
    except ValueError:
        return None
    info = message.get(ZHA_GW_MSG_DEVICE_INFO) or {}
    if (ieee := info.get("ieee")) is None:
        return None
    return GatewayMessage(kind, EUI64.convert(str(ieee)))


@callback
def connect_gateway_messages(
    hass: HomeAssistant, on_message: Callable[[GatewayMessage], None]
) -> CALLBACK_TYPE:
    """Call ``on_message`` for every device message ZHA's gateway proxy dispatches."""

    @callback
    def handle(message: Mapping[str, Any]) -> None:
        if (parsed := parse_gateway_message(message)) is not None:
            on_message(parsed)

    return async_dispatcher_connect(hass, ZHA_GW_MSG, handle)


def watch_new_zigpy_devices(
    gateway: Gateway, prepare: Callable[[zigpy.device.Device], None]
) -> CALLBACK_TYPE:
    """Call ``prepare`` for every zigpy device now and for each new one before its interview.

    zigpy's public ``device_joined`` listener event comes before the interview starts.
    """
    app = gateway.application_controller

    class _Listener:
        def device_joined(self, device: zigpy.device.Device) -> None:
            prepare(device)

    listener = _Listener()
    for device in list(app.devices.values()):
        if isinstance(device, zigpy.device.Device):
            prepare(device)
    app.add_listener(listener)
    return lambda: app.remove_listener(listener)


@callback
def follow_zigpy_application(hass: HomeAssistant, listener: object) -> CALLBACK_TYPE:
    """Keep ``listener`` on ZHA's zigpy application (its listener events) until called back.

    A reloaded ZHA runs a new application object: the listener moves onto it when ZHA's
    entry is loaded again.
    """
    attached: list[zigpy.application.ControllerApplication] = []

    def detach() -> None:
        while attached:
            attached.pop().remove_listener(listener)

    def attach() -> None:
        zha_gateway = gateway(hass)
        app = None if zha_gateway is None else zha_gateway.application_controller
        if attached and attached[0] is app:
            return
        detach()
        if app is not None:
            app.add_listener(listener)
            attached.append(app)

    @callback
    def entry_changed(change: ConfigEntryChange, entry: ConfigEntry) -> None:
        if (
            entry.domain == ZHA_DOMAIN
            and change is ConfigEntryChange.UPDATED
            and entry.state is ConfigEntryState.LOADED
        ):
            attach()

    attach()
    unsubscribe = async_dispatcher_connect(
        hass, SIGNAL_CONFIG_ENTRY_CHANGED, entry_changed
    )

    def stop() -> None:
        unsubscribe()
        detach()

    return stop


class DeliveryWatcher:
    """Every unicast the radio sends, with its outcome: ``on_result(ieee, delivered, s)``.

    zigpy has no event for a delivery that failed: the radio library's ``send_packet`` (zigpy's
    radio interface, which every ``request`` goes through) raises ``DeliveryError``. The
    watcher wraps the application's ``send_packet`` on the instance (undone by ``remove``),
    and counts only what it can name: unicasts to a known device.
    """

    def __init__(
        self, gateway: Gateway, on_result: Callable[[EUI64, bool, float], None]
    ) -> None:
        """Wrap the radio's ``send_packet`` of ``gateway``."""
        self._app = app = gateway.application_controller
        self._original = original = app.send_packet
        loop = asyncio.get_running_loop()

        async def send_packet(packet: zigpy.types.ZigbeePacket) -> None:
            start = loop.time()
            try:
                await original(packet)
            except DeliveryError:
                self._report(packet, False, loop.time() - start, on_result)
                raise
            self._report(packet, True, loop.time() - start, on_result)

        self._wrapper = send_packet
        app.send_packet = send_packet  # type: ignore[method-assign]

    def _report(
        self,
        packet: zigpy.types.ZigbeePacket,
        delivered: bool,
        seconds: float,
        on_result: Callable[[EUI64, bool, float], None],
    ) -> None:
        dst = packet.dst
        address: Any = None if dst is None else dst.address
        try:
            if isinstance(address, EUI64):
                ieee = address
            elif dst is not None and dst.addr_mode == zigpy.types.AddrMode.NWK:
                ieee = self._app.get_device(nwk=address).ieee
            else:
                return  # groups and broadcasts are not deliveries to one device
        except KeyError:
            return
        on_result(ieee, delivered, seconds)

    def remove(self) -> None:
        """Put the radio's own ``send_packet`` back (unless someone wrapped it after us)."""
        if self._app.send_packet is self._wrapper:
            self._app.send_packet = self._original  # type: ignore[method-assign]


def watch_deliveries(
    gateway: Gateway, on_result: Callable[[EUI64, bool, float], None]
) -> CALLBACK_TYPE | None:
    """Follow every unicast's delivery; None when the radio library has no ``send_packet``."""
    if not callable(getattr(gateway.application_controller, "send_packet", None)):
        return None
    return DeliveryWatcher(gateway, on_result).remove


# --- zigpy / zha internals of the in-place move ---------------------------------------------------


def _probes(gateway: Gateway) -> dict[str, bool]:
    app = gateway.application_controller
    return {
        "zigpy ControllerApplication._finalize_device": callable(
            getattr(app, "_finalize_device", None)
        ),
        "zigpy ControllerApplication._dblistener": hasattr(app, "_dblistener"),
        "zigpy Cluster._attr_cache / _attr_cache_internal": hasattr(
            Cluster, "_attr_cache"
        ),
        "zha Gateway.devices (ZHA's own dict)": isinstance(gateway.devices, dict),
        "zha Device.new": callable(getattr(Device, "new", None)),
        "zha Device.async_teardown(emit_entity_events=)": (
            "emit_entity_events" in inspect.signature(Device.async_teardown).parameters
        ),
        "zha Gateway.emit(DeviceFullInitEvent)": callable(
            getattr(gateway, "emit", None)
        ),
    }


def missing_private_apis(gateway: Gateway) -> list[str]:
    """Return the private zigpy/zha functions of the in-place move this version lacks."""
    return [name for name, present in _probes(gateway).items() if not present]


def in_place_supported(gateway: Gateway) -> bool:
    """Return True when every private function of the in-place move is present."""
    return not missing_private_apis(gateway)


def copy_attribute_cache(source: Cluster, target: Cluster) -> None:
    """Give ``target`` a copy of ``source``'s attribute cache (zigpy keeps it private)."""
    target._attr_cache_internal = source._attr_cache.clone(target)  # noqa: SLF001


def finalize_device(
    app: Any, old: zigpy.device.Device, raw: zigpy.device.Device
) -> zigpy.device.Device:
    """Replace ``old`` by ``raw`` in zigpy: resolve its quirk, store it, re-attach listeners.

    zigpy's re-interview does the same through ``_finalize_device`` once the radio round
    trips are done; the old device is detached from the database listener first, as there.
    """
    if app._dblistener is not None:  # noqa: SLF001
        old.remove_listener(app._dblistener)  # noqa: SLF001
    old.on_remove()
    new: zigpy.device.Device = app._finalize_device(raw)  # noqa: SLF001
    return new


async def teardown_zha_device(device: Device) -> None:
    """Tear a zha device down, telling HA that its entities are gone (HA soft-removes them)."""
    await device.async_teardown(emit_entity_events=True)


def install_zha_device(gateway: Gateway, device: Device) -> None:
    """Put ``device`` in ZHA's device dict in place of the one torn down."""
    gateway.devices[device.ieee] = device  # the property returns ZHA's own dict


@callback
def announce_device_initialized(gateway: Gateway, device: Device) -> None:
    """Emit ZHA's ``DeviceFullInitEvent``: HA's ZHA rebinds its proxy and adds the entities."""
    gateway.emit(
        ZHA_GW_MSG_DEVICE_FULL_INIT,
        DeviceFullInitEvent(
            device_info=ExtendedDeviceInfoWithPairingStatus(
                pairing_status=DevicePairingStatus.CONFIGURED,
                **device.extended_device_info.__dict__,
            ),
        ),
    )


async def wait_for_device_init(gateway: Gateway, ieee: EUI64) -> None:
    """Wait for ZHA's task that rebuilds a re-interviewed device, where it can be seen.

    zha keeps these tasks in a private dict; without it the caller finds the device as it is.
    """
    tasks: Mapping[EUI64, asyncio.Task[None]] = getattr(
        gateway, "_device_init_tasks", {}
    )
    while (task := tasks.get(ieee)) is not None:
        await asyncio.shield(task)
