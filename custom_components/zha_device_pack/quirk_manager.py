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
import zigpy.device
from zigpy.types import EUI64

from . import zha_bridge
from .const import DOMAIN, ZHA_DOMAIN
from .quirk_registry import PackQuirks
from .quirks import load_quirk_builders
from .reresolve import (
    ReresolveError,
    ReresolveMethod,
    applied_entry,
    async_configure_from_device,
    async_reachable,
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
        """Move every device whose matching registry entry changed, one at a time.

        One pass over the devices with a cheap test first (model of one of our entries, or
        resolved with an entry no longer registered); only those are matched against the
        registry. Between two moves the loop runs, so HA adds the moved device's entities
        and nothing else waits for the whole batch. Devices moved onto a quirk they were
        never configured for are bound and configured afterwards, one at a time, in the
        background; devices configured before keep their attribute cache, as at any ZHA start.
        """
        async with self._lock:
            if (gateway := self.gateway) is None:
                return
            pending = self._changed_devices(gateway)
            to_configure: list[tuple[Device, str]] = []
            for index, ieee in enumerate(pending):
                if index:
                    await asyncio.sleep(0)
                device = await self._async_reresolve_one(gateway, ieee)
                if device is not None and (key := self._unconfigured_key(device)):
                    to_configure.append((device, key))
            if to_configure:
                self.entry.async_create_background_task(
                    self.hass,
                    self._async_configure(to_configure),
                    f"{DOMAIN} configure {len(to_configure)} devices",
                )

    def _changed_devices(self, gateway: Gateway) -> list[EUI64]:
        """Return the devices whose quirk would change now, in one pass."""
        models = {
            info
            for entry in self.quirks.entries
            for info in entry.device_match.applies_to
        }
        # entries for any manufacturer and model (the Smart Energy meter quirk) name no
        # model to pre-check: their own signature match decides
        wildcards = [
            entry for entry in self.quirks.entries if not entry.device_match.applies_to
        ]
        registered = {id(entry) for entry in self.registry}

        def candidate(device: zigpy.device.BaseDevice) -> bool:
            if not isinstance(device, zigpy.device.Device):
                return False
            applied = applied_entry(device)
            if applied is not None and id(applied) not in registered:
                return True  # its entry was removed (ours, on unload or removal)
            signature = device.original_signature or {}
            manufacturer = signature.get("manufacturer", device.manufacturer)
            model = signature.get("model", device.model)
            return any(
                info.manufacturer in (None, manufacturer)
                and info.model in (None, model)
                for info in models
            ) or any(entry.device_match.matches(device) for entry in wildcards)

        return [
            ieee
            for ieee, device in gateway.application_controller.devices.items()
            if candidate(device)
            and eligible(gateway, ieee)
            and quirk_would_change(self.registry, device)
        ]

    async def _async_reresolve_one(
        self, gateway: Gateway, ieee: EUI64
    ) -> Device | None:
        """Move one device; return its new zha Device when it was moved in place."""
        start = time.monotonic()
        moved: list[Device] = []

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
                moved.append(device)

        try:
            await async_reresolve(gateway, ieee, on_swapped=swapped)
        except (ReresolveError, TimeoutError, OSError) as err:
            _LOGGER.debug("Could not re-resolve %s: %s", ieee, err)
            self.failures[str(ieee)] = str(err) or type(err).__name__
            self._async_reload_zha_once()
        return moved[0] if moved else None

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

    def _unconfigured_key(self, device: Device) -> str | None:
        """Return our quirk's key when ``device`` was never configured for it, else None."""
        entry = self.quirks.applied_entry(device.device)
        if entry is None or entry.source is None:
            return None
        key = f"{entry.source.module}:{entry.source.label}"
        return None if self._configured.get(str(device.ieee)) == key else key

    async def _async_configure(self, devices: list[tuple[Device, str]]) -> None:
        """Bind, configure reporting and read the new quirk's attributes, one device at a time.

        A device that does not answer now (asleep, offline) is left alone and configured at a
        later move (its values stay cached); the store is written once for the batch.
        """
        for device, key in devices:
            if not await async_reachable(device):
                _LOGGER.debug(
                    "%s does not answer; configured at a later move", device.ieee
                )
                continue
            try:
                await async_configure_from_device(device)
            except Exception as err:  # noqa: BLE001 - a sleepy or offline device
                _LOGGER.debug(
                    "Configuring %s after re-resolve failed: %s", device.ieee, err
                )
                continue
            self._configured[str(device.ieee)] = key
            self._store.async_delay_save(lambda: dict(self._configured), 1)

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
