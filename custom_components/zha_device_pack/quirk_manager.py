"""Keep ZHA devices on our quirks: register them, move loaded devices onto them, undo on unload."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import logging
import time
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.storage import Store
from zha.application.gateway import Gateway
from zha.quirks import DEVICE_REGISTRY, DeviceRegistry
from zha.zigbee.device import Device
from zigpy.types import EUI64

from . import zha_bridge
from .const import DOMAIN, ZHA_DOMAIN
from .quirk_registry import PackQuirks
from .quirks import load_quirk_builders
from .reresolve import (
    ReresolveError,
    ReresolveMethod,
    async_refresh_from_device,
    async_reresolve,
    eligible,
    quirk_would_change,
)

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION: Final = 1
MAX_SWAP_RECORDS: Final = 50
# Set once per Home Assistant process: the last-resort ZHA reload never runs twice.
DATA_ZHA_RELOAD_DONE: Final = f"{DOMAIN}_zha_reload_done"


def _jsonable(value: Any) -> Any:
    """Return ``value`` (a zigpy signature) with dict keys and enums as plain values."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) or value is None:
        return value
    return str(value)


@dataclass(slots=True)
class SwapRecord:
    """One device moved onto another quirk, for diagnostics."""

    ieee: str
    method: str
    duration_ms: float
    quirk: str | None


@dataclass
class QuirkManager:
    """Our quirk entries in ZHA's registry and the devices that use them."""

    hass: HomeAssistant
    entry: ConfigEntry
    registry: DeviceRegistry = DEVICE_REGISTRY
    quirks: PackQuirks = field(init=False)
    swaps: list[SwapRecord] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    _store: Store[dict[str, str]] = field(init=False)
    _configured: dict[str, str] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        """Create the registry wrapper and the store of configured devices."""
        self.quirks = PackQuirks(self.registry)
        # Which device was bound/configured for which of our quirks: re-resolving at every
        # start must not re-run configuration (and the Identify blink that comes with it).
        self._store = Store(self.hass, STORAGE_VERSION, f"{DOMAIN}.configured_devices")

    async def async_start(self, *, register: bool) -> None:
        """Register our quirks and move every loaded device whose quirk changes.

        ``register`` is False when the user turned quirks off in ZHA: we respect it (the
        caller raises a repair issue).
        """
        self._configured = await self._store.async_load() or {}
        if not register:
            return
        builders = await self.hass.async_add_executor_job(load_quirk_builders)
        await self.hass.async_add_executor_job(self.quirks.register, builders)
        await self.async_reresolve_changed()

    async def async_stop(self, *, restore_devices: bool) -> None:
        """Remove our registry entries; with ``restore_devices`` move devices back too."""
        self.quirks.unregister()
        if restore_devices:
            await self.async_reresolve_changed()

    @property
    def gateway(self) -> Gateway | None:
        """Return ZHA's gateway while ZHA is loaded."""
        return zha_bridge.gateway(self.hass)

    def devices_on_our_quirks(self) -> list[Device]:
        """Return the ZHA devices currently resolved with one of our quirks."""
        if (gateway := self.gateway) is None:
            return []
        return [
            device
            for device in gateway.devices.values()
            if self.quirks.applied_entry(device.device) is not None
        ]

    async def async_reresolve_changed(self) -> None:
        """Move every device whose matching registry entry changed, one at a time."""
        async with self._lock:
            if (gateway := self.gateway) is None:
                return
            app = gateway.application_controller
            pending = [
                ieee
                for ieee, device in app.devices.items()
                if eligible(gateway, ieee) and quirk_would_change(self.registry, device)
            ]
            for ieee in pending:
                await self._async_reresolve_one(gateway, ieee)

    async def _async_reresolve_one(self, gateway: Gateway, ieee: EUI64) -> None:
        start = time.monotonic()

        @callback
        def swapped(device: Device, method: ReresolveMethod) -> None:
            self.swaps.append(
                SwapRecord(
                    str(ieee),
                    method,
                    (time.monotonic() - start) * 1000,
                    self.quirk_label(device),
                )
            )
            del self.swaps[:-MAX_SWAP_RECORDS]
            self.failures.pop(str(ieee), None)
            self._remove_replaced_entities(device)
            if method is ReresolveMethod.IN_PLACE:
                self.entry.async_create_background_task(
                    self.hass,
                    self._async_refresh(device),
                    f"{DOMAIN} refresh {ieee}",
                )

        try:
            await async_reresolve(gateway, ieee, on_swapped=swapped)
        except (ReresolveError, TimeoutError, OSError) as err:
            _LOGGER.debug("Could not re-resolve %s: %s", ieee, err)
            self.failures[str(ieee)] = str(err) or type(err).__name__
            self._async_reload_zha_once()

    @callback
    def _remove_replaced_entities(self, device: Device) -> None:
        """Drop ZHA's registry entries for entities the new quirk no longer has.

        ZHA soft-removes them (they would stay "unavailable" next to their replacement, e.g.
        the stock switch next to the TS0049 valve); only entries of this device whose
        entity no longer exists in ZHA are removed.
        """
        if (device_id := zha_bridge.zha_device_id(self.hass, device.ieee)) is None:
            return
        live = {entity.unique_id for entity in device.platform_entities.values()}
        registry = er.async_get(self.hass)
        for entry in er.async_entries_for_device(
            registry, device_id, include_disabled_entities=True
        ):
            if entry.platform == ZHA_DOMAIN and entry.unique_id not in live:
                registry.async_remove(entry.entity_id)

    async def _async_refresh(self, device: Device) -> None:
        """Read the new quirk's attributes; bind and configure once per device and quirk."""
        entry = self.quirks.applied_entry(device.device)
        key = (
            f"{entry.source.module}:{entry.source.label}"
            if entry and entry.source
            else ""
        )
        ieee = str(device.ieee)
        configure = bool(key) and self._configured.get(ieee) != key
        try:
            await async_refresh_from_device(device, configure=configure)
        except Exception as err:  # noqa: BLE001 - a sleepy or offline device; values stay cached
            _LOGGER.debug("Refreshing %s after re-resolve failed: %s", ieee, err)
            return
        if configure:
            self._configured[ieee] = key
            await self._store.async_save(dict(self._configured))

    @callback
    def _async_reload_zha_once(self) -> None:
        """Last resort: reload ZHA so it resolves devices with our entries, once per start."""
        if self.hass.data.get(DATA_ZHA_RELOAD_DONE):
            return
        if (zha_entry := zha_bridge.loaded_zha_entry(self.hass)) is None:
            return
        self.hass.data[DATA_ZHA_RELOAD_DONE] = True
        _LOGGER.warning(
            "Reloading ZHA once so that devices use the ZHA Device Pack quirks;"
            " moving them in place was not possible with this ZHA version"
        )
        self.hass.config_entries.async_schedule_reload(zha_entry.entry_id)

    def quirk_label(self, device: Device) -> str | None:
        """Return the label of our quirk applied to ``device``."""
        entry = self.quirks.applied_entry(device.device)
        return entry.source.label if entry is not None and entry.source else None

    def as_diagnostics(self) -> dict[str, Any]:
        """Return what we registered and what we moved."""
        gateway = self.gateway
        return {
            "quirk_entries": [
                {
                    "module": entry.source.module if entry.source else None,
                    "label": entry.source.label if entry.source else None,
                    "applies_to": [
                        list(info) for info in entry.device_match.applies_to
                    ],
                }
                for entry in self.quirks.entries
            ],
            "devices_on_our_quirks": [
                {
                    "ieee": str(device.ieee),
                    "manufacturer": device.manufacturer,
                    "model": device.model,
                    "quirk": self.quirk_label(device),
                    "available": device.available,
                    "signature": _jsonable(device.device.original_signature),
                }
                for device in self.devices_on_our_quirks()
            ],
            "swaps": [
                {
                    "ieee": record.ieee,
                    "method": record.method,
                    "duration_ms": round(record.duration_ms, 1),
                    "quirk": record.quirk,
                }
                for record in self.swaps
            ],
            "failures": [
                {"ieee": ieee, "error": error} for ieee, error in self.failures.items()
            ],
            "zha_reload_done": bool(self.hass.data.get(DATA_ZHA_RELOAD_DONE)),
            "missing_private_apis": (
                None if gateway is None else zha_bridge.missing_private_apis(gateway)
            ),
        }
