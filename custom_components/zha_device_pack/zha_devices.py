"""One tracker of ZHA's devices for every family: who claims which device, and what happened.

A family claims devices (our quirk's cluster, a built-in quirk's id, an exposed feature …) and
is told, per device it claims or claimed:

- ``PRESENT``: the device was loaded in ZHA when the family started;
- ``JOINED``: a device ZHA had not loaded before finished joining;
- ``INITIALIZED``: ZHA rebuilt a known device on the same quirk (a re-interview: the zha
  ``Device`` may stay, its zigpy device and clusters are new);
- ``RERESOLVED``: the device moved onto another quirk the family claims;
- ``ZHA_RELOADED``: ZHA was reloaded, the device is a new object on a new gateway;
- ``RELEASED``: the device moved onto a quirk the family does not claim;
- ``ZHA_UNLOADED``: ZHA was unloaded; the device comes back with ``ZHA_RELOADED``;
- ``REMOVED``: the device was removed from ZHA.

The first five carry the current zha ``Device``: a family must drop references to an older one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import enum
import logging
from typing import Any, Protocol

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from zha.application.gateway import Gateway
from zha.zigbee.device import Device
import zigpy.device
from zigpy.types import EUI64

from . import zha_bridge
from .const import ZHA_DOMAIN
from .reresolve import applied_entry

_LOGGER = logging.getLogger(__name__)


class DeviceEvent(enum.StrEnum):
    """What happened to a device a family claims (or claimed)."""

    PRESENT = "present"
    JOINED = "joined"
    INITIALIZED = "initialized"
    RERESOLVED = "reresolved"
    ZHA_RELOADED = "zha_reloaded"
    RELEASED = "released"
    ZHA_UNLOADED = "zha_unloaded"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class TrackedDeviceEvent:
    """One event for one family; ``device`` is the current zha Device for attach events."""

    kind: DeviceEvent
    ieee: EUI64
    device: Device | None


class DeviceClaimer(Protocol):
    """What the tracker needs of a family."""

    @property
    def name(self) -> str:
        """Return the family's name."""

    def claims(self, device: Device) -> bool:
        """Return True when the family handles ``device``."""

    def async_device_event(self, event: TrackedDeviceEvent) -> None:
        """Handle one event of a device the family claims or claimed."""


class ZhaDeviceTracker:
    """Follows ZHA's devices and tells each family about the ones it claims."""

    def __init__(self, hass: HomeAssistant, families: Iterable[DeviceClaimer]) -> None:
        """Track for ``families`` (in this order)."""
        self.hass = hass
        self.families = list(families)
        self._claims: dict[EUI64, set[str]] = {}
        self._devices: dict[EUI64, Device] = {}
        # The zigpy device under each zha Device: a re-interview swaps only this one.
        self._zigpy_devices: dict[EUI64, zigpy.device.BaseDevice] = {}
        self._gateway: Gateway | None = None
        self._unsubs: list[CALLBACK_TYPE] = []

    @callback
    def async_start(self) -> None:
        """Tell every family about the devices it claims now, then follow ZHA."""
        self._unsubs.append(
            zha_bridge.connect_gateway_messages(self.hass, self._handle_message)
        )
        self._unsubs.append(
            async_dispatcher_connect(
                self.hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._handle_entry_changed
            )
        )
        self._scan(DeviceEvent.PRESENT)

    @callback
    def async_stop(self) -> None:
        """Stop following ZHA."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()

    def claimed(self, family: str) -> dict[EUI64, Device]:
        """Return the devices ``family`` claims now."""
        return {
            ieee: self._devices[ieee]
            for ieee, names in self._claims.items()
            if family in names and ieee in self._devices
        }

    # -- ZHA's messages ---------------------------------------------------------------------------

    @callback
    def _handle_message(self, message: zha_bridge.GatewayMessage) -> None:
        if zha_bridge.gateway(self.hass) is not self._gateway:
            # ZHA (re)loaded and initializes its devices before its entry is LOADED.
            self._scan(DeviceEvent.ZHA_RELOADED)
        elif message.kind is zha_bridge.GatewayMessageKind.DEVICE_REMOVED:
            self._forget(message.ieee)
        elif (device := zha_bridge.zha_device(self.hass, message.ieee)) is not None:
            self._update(device)

    @callback
    def _handle_entry_changed(
        self, change: ConfigEntryChange, entry: ConfigEntry
    ) -> None:
        if entry.domain != ZHA_DOMAIN or change is not ConfigEntryChange.UPDATED:
            return
        if entry.state is ConfigEntryState.LOADED:
            if zha_bridge.gateway(self.hass) is not self._gateway:
                self._scan(DeviceEvent.ZHA_RELOADED)
        elif self._gateway is not None and entry.state in (
            ConfigEntryState.UNLOAD_IN_PROGRESS,
            ConfigEntryState.NOT_LOADED,
            ConfigEntryState.SETUP_RETRY,
            ConfigEntryState.SETUP_ERROR,
            ConfigEntryState.FAILED_UNLOAD,
        ):
            self._gateway = None
            self._devices.clear()
            self._zigpy_devices.clear()
            for ieee, names in self._claims.items():
                self._deliver(names, DeviceEvent.ZHA_UNLOADED, ieee, None)

    # -- bookkeeping ------------------------------------------------------------------------------

    def _scan(self, kind: DeviceEvent) -> None:
        """Look at every device of the (possibly new) gateway."""
        self._gateway = gateway = zha_bridge.gateway(self.hass)
        if gateway is None:
            return
        current = dict(gateway.devices)
        for ieee in [ieee for ieee in self._claims if ieee not in current]:
            self._deliver(self._claims.pop(ieee), DeviceEvent.RELEASED, ieee, None)
        for ieee, device in current.items():
            claimers = self._claimers(device)
            before = self._claims.get(ieee, set())
            self._devices[ieee] = device
            self._zigpy_devices[ieee] = device.device
            self._set_claims(ieee, claimers)
            self._deliver(before - claimers, DeviceEvent.RELEASED, ieee, None)
            self._deliver(
                claimers,
                kind,
                ieee,
                device,
                fresh=DeviceEvent.PRESENT,
                known=before,
            )

    def _update(self, device: Device) -> None:
        """Handle a device ZHA (re)initialized: new join, new object, maybe a new quirk."""
        ieee = device.ieee
        previous = self._devices.get(ieee)
        if previous is device and self._zigpy_devices.get(ieee) is device.device:
            # ZHA announces a joining device more than once (joined, then configured).
            return
        previous_zigpy = self._zigpy_devices.get(ieee)
        before = self._claims.get(ieee, set())
        claimers = self._claimers(device)
        self._devices[ieee] = device
        self._zigpy_devices[ieee] = device.device
        self._set_claims(ieee, claimers)
        if previous is None:
            kind = DeviceEvent.JOINED
        elif previous_zigpy is None or applied_entry(
            previous_zigpy
        ) is not applied_entry(device.device):
            kind = DeviceEvent.RERESOLVED
        else:
            kind = DeviceEvent.INITIALIZED
        self._deliver(before - claimers, DeviceEvent.RELEASED, ieee, None)
        # A family that did not claim a known device before meets it through its new quirk.
        self._deliver(
            claimers,
            kind,
            ieee,
            device,
            fresh=DeviceEvent.RERESOLVED if previous is not None else kind,
            known=before,
        )

    def _forget(self, ieee: EUI64) -> None:
        self._devices.pop(ieee, None)
        self._zigpy_devices.pop(ieee, None)
        self._deliver(self._claims.pop(ieee, set()), DeviceEvent.REMOVED, ieee, None)

    def _claimers(self, device: Device) -> set[str]:
        names: set[str] = set()
        for family in self.families:
            try:
                if family.claims(device):
                    names.add(family.name)
            except Exception:
                _LOGGER.exception("%s: claiming %s failed", family.name, device.ieee)
        return names

    def _set_claims(self, ieee: EUI64, names: set[str]) -> None:
        if names:
            self._claims[ieee] = names
        else:
            self._claims.pop(ieee, None)

    def _deliver(
        self,
        names: set[str],
        kind: DeviceEvent,
        ieee: EUI64,
        device: Device | None,
        *,
        fresh: DeviceEvent | None = None,
        known: set[str] | None = None,
    ) -> None:
        """Send ``kind`` to the families in ``names`` (``fresh`` to those not in ``known``)."""
        for family in self.families:
            if family.name not in names:
                continue
            event = kind
            if fresh is not None and known is not None and family.name not in known:
                event = fresh
            try:
                family.async_device_event(TrackedDeviceEvent(event, ieee, device))
            except Exception:
                _LOGGER.exception(
                    "%s: handling %s of %s failed", family.name, event, ieee
                )

    def as_diagnostics(self) -> dict[str, Any]:
        """Return which family claims which device (IEEE redacted by the caller)."""
        return {
            "claims": [
                {"ieee": str(ieee), "families": sorted(names)}
                for ieee, names in self._claims.items()
            ]
        }
