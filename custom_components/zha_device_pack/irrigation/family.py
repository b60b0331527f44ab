"""The irrigation family: Tuya TS0049 valves on our quirk (seed 004).

It claims every ZHA device whose 0xE001 cluster is our ``TuyaIrrigationCluster``, keeps one
``ValveController`` per valve with its program lists in an HA Store, refreshes the lists when a
valve joins or is first seen, and gives each valve an "Irrigation programs" calendar. While it
runs, the quirk's ``JoinReports`` listens on ZHA's zigpy application, so the status a valve
reports as it joins reaches its entities (zigpy alone drops it: the valve is being interviewed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from typing import Any, ClassVar, Final

from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store
from zha.zigbee.device import Device
from zigpy.types import EUI64

from .. import zha_bridge
from ..const import DOMAIN
from ..family import AddEntities, DeviceFamily
from ..quirks.tuya_ts0049 import JoinReports
from ..zha_devices import DeviceEvent, TrackedDeviceEvent
from .calendar import IrrigationCalendar
from .controller import FAMILY, ProgramLists, ValveController, irrigation_cluster
from .services import SERVICES

_LOGGER = logging.getLogger(__name__)

STORAGE_KEY: Final = f"{DOMAIN}.irrigation_programs"
STORAGE_VERSION: Final = 1


class IrrigationFamily(DeviceFamily):
    """All TS0049 valves: controllers, their stored programs, calendars and actions."""

    name: ClassVar[str] = FAMILY
    platforms = frozenset({Platform.CALENDAR})
    services = SERVICES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Create the store; controllers appear with the tracker's events."""
        super().__init__(*args, **kwargs)
        self.controllers: dict[EUI64, ValveController] = {}
        self._store: Store[dict[str, Any]] = Store(
            self.hass, STORAGE_VERSION, STORAGE_KEY
        )
        self._stored: dict[str, Any] = {}
        self._new_valve_listeners: list[Callable[[ValveController], None]] = []
        self._refreshes: set[asyncio.Task[Any]] = set()
        self._stop_join_reports: CALLBACK_TYPE | None = None

    def claims(self, device: Device) -> bool:
        """Claim devices on our TS0049 quirk."""
        return irrigation_cluster(device) is not None

    async def async_start(self) -> None:
        """Load the stored program lists; keep the reports of joining valves."""
        self._stored = await self._store.async_load() or {}
        self._stop_join_reports = zha_bridge.follow_zigpy_application(
            self.hass, JoinReports()
        )

    async def async_stop(self) -> None:
        """Detach from the valves and save."""
        if self._stop_join_reports is not None:
            self._stop_join_reports()
            self._stop_join_reports = None
        for task in list(self._refreshes):
            task.cancel()
        for controller in self.controllers.values():
            controller.detach()
        await self._store.async_save(self._storage_data())

    @callback
    def async_device_event(self, event: TrackedDeviceEvent) -> None:
        """Attach controllers to the valves' current clusters; forget removed valves."""
        if event.kind is DeviceEvent.REMOVED:
            self._forget(event.ieee)
            return
        if (
            event.device is None
            or (cluster := irrigation_cluster(event.device)) is None
        ):
            if (controller := self.controllers.get(event.ieee)) is not None:
                controller.detach()
            return
        if (controller := self.controllers.get(event.ieee)) is not None:
            controller.attach(cluster)
            return
        stored = self._stored.get(str(event.ieee))
        controller = ValveController(
            event.ieee,
            ProgramLists.from_storage(stored) if stored else ProgramLists(),
            self.async_schedule_save,
        )
        self.controllers[event.ieee] = controller
        controller.attach(cluster)
        for listener in list(self._new_valve_listeners):
            listener(controller)
        if stored is None or event.kind is not DeviceEvent.PRESENT:
            self._schedule_refresh(controller)

    @callback
    def async_add_entities(
        self, platform: Platform, add_entities: AddEntities
    ) -> CALLBACK_TYPE:
        """Add a calendar for every valve, now and when one appears."""

        @callback
        def add(controller: ValveController) -> None:
            add_entities([IrrigationCalendar(self.hass, controller)])

        self._new_valve_listeners.append(add)
        for controller in self.controllers.values():
            add(controller)
        return lambda: self._new_valve_listeners.remove(add)

    def controller_for_device_id(self, device_id: str) -> ValveController | None:
        """Return the controller of the ZHA device with this device-registry id."""
        ieee = zha_bridge.ieee_of_device_id(self.hass, device_id)
        return None if ieee is None else self.controllers.get(ieee)

    def diagnostics(self) -> dict[str, Any]:
        """Return every valve's program lists."""
        return {
            "valves": [
                {
                    "ieee": str(ieee),
                    **controller.lists.as_response(),
                    "undocumented_setting_bits": controller.lists.undocumented_bits(),
                }
                for ieee, controller in self.controllers.items()
            ]
        }

    @callback
    def _forget(self, ieee: EUI64) -> None:
        """Drop a valve removed from ZHA: its controller and its stored programs.

        Its calendar removes itself (HA only removes ZHA's own entities with the device); a
        re-paired valve starts afresh, its programs read again on join.
        """
        if (controller := self.controllers.pop(ieee, None)) is not None:
            controller.async_removed()
        if self._stored.pop(str(ieee), None) is not None or controller is not None:
            self.async_schedule_save()

    def _schedule_refresh(self, controller: ValveController) -> None:
        async def refresh() -> None:
            try:
                await controller.async_refresh()
            except HomeAssistantError as err:
                _LOGGER.debug("%s: programs not refreshed: %s", controller.ieee, err)

        task = self.entry.async_create_background_task(
            self.hass, refresh(), f"{DOMAIN} refresh programs {controller.ieee}"
        )
        self._refreshes.add(task)
        task.add_done_callback(self._refreshes.discard)

    def _storage_data(self) -> dict[str, Any]:
        data = dict(self._stored)
        for ieee, controller in self.controllers.items():
            data[str(ieee)] = controller.lists.as_storage()
        return data

    @callback
    def async_schedule_save(self) -> None:
        """Save the lists soon."""
        self._store.async_delay_save(self._storage_data, 1)
