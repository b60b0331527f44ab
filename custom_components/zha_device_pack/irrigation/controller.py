"""The "gateway brain" of Tuya TS0049 valves: program lists, edits, irrigation runs.

One ``ValveController`` per valve on our quirk. It keeps the last program lists the valve
reported in an HA Store (so the calendar and the services work across restarts and while the
valve sleeps), refreshes them from the device on join, on demand and after every edit (the
valve answers every edit with its updated list), and serializes edits to one valve.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
import logging
from typing import Any, Final

from homeassistant.components.zha.helpers import get_zha_gateway_proxy
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from zha.application.const import (
    ZHA_GW_MSG,
    ZHA_GW_MSG_DEVICE_FULL_INIT,
    ZHA_GW_MSG_DEVICE_INFO,
    ZHA_GW_MSG_DEVICE_REMOVED,
)
from zha.exceptions import ZHAException
from zha.zigbee.device import Device
from zigpy import types as t
from zigpy.exceptions import ZigbeeException
from zigpy.types import EUI64
from zigpy.zcl.clusters.general import OnOff
from zigpy.zcl.foundation import Status

from ..const import DOMAIN
from ..protocol import irrigation_program as programs, tuya_dp
from ..quirks.tuya_ts0049 import TuyaIrrigationCluster

_LOGGER = logging.getLogger(__name__)

STORAGE_KEY: Final = f"{DOMAIN}.irrigation_programs"
STORAGE_VERSION: Final = 1

type CycleList = tuple[programs.StoredProgram[programs.CycleIrrigationProgram], ...]
type ScheduledList = tuple[
    programs.StoredProgram[programs.ScheduledIrrigationProgram], ...
]


def irrigation_cluster(device: Device) -> TuyaIrrigationCluster | None:
    """Return the TS0049 cluster of a ZHA device on our quirk, if it has one."""
    endpoint = device.device.endpoints.get(1)
    cluster = None if endpoint is None else endpoint.in_clusters.get(0xE001)
    return cluster if isinstance(cluster, TuyaIrrigationCluster) else None


@dataclass
class ProgramLists:
    """The program lists last reported by one valve."""

    cycle: CycleList = ()
    scheduled: ScheduledList = ()
    updated: datetime | None = None

    def as_storage(self) -> dict[str, Any]:
        """Serialize as the device's own answer bytes (hex)."""
        return {
            "cycle": programs.encode_cycle_answer(self.cycle).hex(),
            "scheduled": programs.encode_scheduled_answer(self.scheduled).hex(),
            "updated": self.updated.isoformat() if self.updated else None,
        }

    @classmethod
    def from_storage(cls, data: dict[str, Any]) -> ProgramLists:
        """Deserialize what ``as_storage`` wrote."""
        updated = data.get("updated")
        return cls(
            cycle=programs.decode_cycle_answer(bytes.fromhex(data["cycle"])),
            scheduled=programs.decode_scheduled_answer(
                bytes.fromhex(data["scheduled"])
            ),
            updated=dt_util.parse_datetime(updated) if updated else None,
        )

    def as_response(self) -> dict[str, Any]:
        """Return the lists as service response data."""
        return {
            "scheduled_programs": [
                _scheduled_as_dict(stored) for stored in self.scheduled
            ],
            "cycle_programs": [_cycle_as_dict(stored) for stored in self.cycle],
            "updated": self.updated.isoformat() if self.updated else None,
        }


WEEKDAY_KEYS: Final = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def weekdays_to_keys(days: programs.Weekday) -> list[str]:
    """Return the weekday keys (``mon`` …) of a weekday bitmap."""
    return [key for bit, key in enumerate(WEEKDAY_KEYS) if int(days) & (1 << bit)]


def keys_to_weekdays(keys: list[str]) -> programs.Weekday:
    """Return the weekday bitmap of weekday keys."""
    value = 0
    for key in keys:
        value |= 1 << WEEKDAY_KEYS.index(key)
    return programs.Weekday(value)


def _minutes_to_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _scheduled_as_dict(
    stored: programs.StoredProgram[programs.ScheduledIrrigationProgram],
) -> dict[str, Any]:
    program = stored.program
    return {
        "program_id": stored.program_id,
        "enabled": program.enabled,
        "start_time": _minutes_to_time(program.start_minute),
        "duration": program.duration_minutes,
        "recurrence": program.recurrence.name.lower(),
        "weekdays": weekdays_to_keys(program.days),
        "start_date": program.start_date.isoformat(),
        "interval_days": program.interval_days,
        "water_flow": program.water_flow_percent,
    }


def _cycle_as_dict(
    stored: programs.StoredProgram[programs.CycleIrrigationProgram],
) -> dict[str, Any]:
    program = stored.program
    return {
        "program_id": stored.program_id,
        "enabled": program.enabled,
        "start_time": _minutes_to_time(program.start_minute),
        "end_time": _minutes_to_time(program.end_minute),
        "irrigation_duration": program.on_minutes,
        "pause_duration": program.off_minutes,
        "weekdays": weekdays_to_keys(program.days),
        "water_flow": program.water_flow_percent,
    }


def device_error(err: Exception) -> HomeAssistantError:
    """Translate a failed exchange with the valve."""
    if isinstance(err, TimeoutError):
        return HomeAssistantError(
            translation_domain=DOMAIN, translation_key="valve_timeout"
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="valve_command_failed",
        translation_placeholders={"error": str(err) or type(err).__name__},
    )


class ValveController:
    """Program lists and edits of one TS0049 valve."""

    def __init__(
        self, manager: IrrigationManager, ieee: EUI64, lists: ProgramLists
    ) -> None:
        """Initialize with the stored lists."""
        self.manager = manager
        self.ieee = ieee
        self.lists = lists
        self.lock = asyncio.Lock()
        self._listeners: list[Callable[[], None]] = []
        self._removed_listeners: list[Callable[[], None]] = []
        self._unsub_cluster: Callable[[], None] | None = None
        self._cluster: TuyaIrrigationCluster | None = None

    @property
    def hass(self) -> HomeAssistant:
        """Return Home Assistant."""
        return self.manager.hass

    @callback
    def add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when the program lists change."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def add_removed_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when the valve is removed from ZHA."""
        self._removed_listeners.append(listener)
        return lambda: self._removed_listeners.remove(listener)

    @callback
    def async_removed(self) -> None:
        """Tell the entities of this valve that it is gone."""
        self.detach()
        for listener in list(self._removed_listeners):
            listener()

    def cluster(self) -> TuyaIrrigationCluster:
        """Return the valve's current cluster (ZHA may rebuild the device object)."""
        try:
            proxy = get_zha_gateway_proxy(self.hass).get_device_proxy(self.ieee)
        except ValueError:
            proxy = None
        cluster = None if proxy is None else irrigation_cluster(proxy.device)
        if cluster is None:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="valve_not_available"
            )
        # After a ZHA reload the valve is a new object: follow its reports from now on.
        self.attach(cluster)
        return cluster

    @callback
    def attach(self, cluster: TuyaIrrigationCluster) -> None:
        """Follow the program-list reports of ``cluster``."""
        if cluster is self._cluster:
            return
        self.detach()
        self._cluster = cluster
        unsubs = [
            cluster.on_event(event, self._handle_attribute)
            for event in ("attribute_updated", "attribute_report")
        ]

        def unsubscribe() -> None:
            for unsub in unsubs:
                unsub()

        self._unsub_cluster = unsubscribe

    @callback
    def detach(self) -> None:
        """Stop following the cluster."""
        if self._unsub_cluster is not None:
            self._unsub_cluster()
        self._unsub_cluster = None
        self._cluster = None

    def _handle_attribute(self, event: Any) -> None:
        name = getattr(event, "attribute_name", None)
        cluster = self._cluster
        if cluster is None or name not in ("cycle_irrigation", "scheduled_irrigation"):
            return
        try:
            if name == "cycle_irrigation":
                if (cycle := cluster.cycle_programs) != self.lists.cycle:
                    self._set_lists(cycle=cycle)
            elif (scheduled := cluster.scheduled_programs) != self.lists.scheduled:
                self._set_lists(scheduled=scheduled)
        except programs.IrrigationProgramError as err:
            _LOGGER.warning(
                "%s: ignoring an undecodable program list: %s", self.ieee, err
            )

    @callback
    def _set_lists(
        self, *, cycle: CycleList | None = None, scheduled: ScheduledList | None = None
    ) -> None:
        self.lists = ProgramLists(
            cycle=self.lists.cycle if cycle is None else cycle,
            scheduled=self.lists.scheduled if scheduled is None else scheduled,
            updated=dt_util.utcnow(),
        )
        self.manager.async_schedule_save()
        for listener in list(self._listeners):
            listener()

    async def _async_exchange[T](
        self, exchange: Callable[[TuyaIrrigationCluster], Awaitable[T]]
    ) -> T:
        """Run one exchange with the valve, one at a time per valve, with translated errors."""
        async with self.lock:
            cluster = self.cluster()
            try:
                return await exchange(cluster)
            except (ZHAException, ZigbeeException, TimeoutError) as err:
                raise device_error(err) from err

    async def async_refresh(self) -> ProgramLists:
        """Query both program lists from the valve."""

        async def query(
            cluster: TuyaIrrigationCluster,
        ) -> tuple[CycleList, ScheduledList]:
            cycle = await cluster.cycle_program_request(programs.QueryPrograms())
            return cycle, await cluster.scheduled_program_request(
                programs.QueryPrograms()
            )

        cycle, scheduled = await self._async_exchange(query)
        self._set_lists(cycle=cycle, scheduled=scheduled)
        return self.lists

    async def async_scheduled_request(
        self, request: programs.ScheduledIrrigationRequest
    ) -> ProgramLists:
        """Send one DP17 edit; the stored list changes only with the valve's answer."""
        scheduled = await self._async_exchange(
            lambda cluster: cluster.scheduled_program_request(request)
        )
        self._set_lists(scheduled=scheduled)
        return self.lists

    async def async_cycle_request(
        self, request: programs.CycleIrrigationRequest
    ) -> ProgramLists:
        """Send one DP16 edit; the stored list changes only with the valve's answer."""
        cycle = await self._async_exchange(
            lambda cluster: cluster.cycle_program_request(request)
        )
        self._set_lists(cycle=cycle)
        return self.lists

    async def async_start_irrigation(self, seconds: int) -> None:
        """Set the irrigation time, then open; the valve closes itself when it elapses."""

        async def start(cluster: TuyaIrrigationCluster) -> None:
            await cluster.set_irrigation_setting(tuya_dp.IrrigationTimeCommand(seconds))
            on_off = cluster.endpoint.on_off
            result = await on_off.on()
            if result[1] != Status.SUCCESS:
                raise ZHAException(f"OnOff 'on' refused: {result[1]}")
            on_off.update_attribute(OnOff.AttributeDefs.on_off.id, t.Bool.true)

        await self._async_exchange(start)


@dataclass
class IrrigationManager:
    """All TS0049 valves: controllers, their store, and new valves appearing."""

    hass: HomeAssistant
    controllers: dict[EUI64, ValveController] = field(default_factory=dict)
    _store: Store[dict[str, Any]] = field(init=False)
    _stored: dict[str, Any] = field(default_factory=dict)
    _new_valve_listeners: list[Callable[[ValveController], None]] = field(
        default_factory=list
    )
    _unsubs: list[CALLBACK_TYPE] = field(default_factory=list)
    _refreshes: set[asyncio.Task[Any]] = field(default_factory=set)

    def __post_init__(self) -> None:
        """Create the store."""
        self._store = Store(self.hass, STORAGE_VERSION, STORAGE_KEY)

    async def async_start(self) -> None:
        """Load the stored lists and attach to the valves ZHA has now."""
        self._stored = await self._store.async_load() or {}
        self._unsubs.append(
            async_dispatcher_connect(self.hass, ZHA_GW_MSG, self._handle_zha_message)
        )
        self.async_scan()

    async def async_stop(self) -> None:
        """Detach from the valves and save."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        for task in list(self._refreshes):
            task.cancel()
        for controller in self.controllers.values():
            controller.detach()
        await self._store.async_save(self._storage_data())

    @callback
    def add_new_valve_listener(
        self, listener: Callable[[ValveController], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` for every valve that appears (and for the present ones now)."""
        self._new_valve_listeners.append(listener)
        for controller in self.controllers.values():
            listener(controller)
        return lambda: self._new_valve_listeners.remove(listener)

    def controller_for_device_id(self, device_id: str) -> ValveController | None:
        """Return the controller of the ZHA device with this device-registry id."""
        try:
            gateway_proxy = get_zha_gateway_proxy(self.hass)
        except ValueError:
            return None
        for ieee, proxy in gateway_proxy.device_proxies.items():
            if proxy.device_id == device_id:
                return self.controllers.get(ieee)
        return None

    @callback
    def _handle_zha_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == ZHA_GW_MSG_DEVICE_FULL_INIT:
            self.async_scan(joined=True)
        elif kind == ZHA_GW_MSG_DEVICE_REMOVED:
            info = message.get(ZHA_GW_MSG_DEVICE_INFO) or {}
            if (ieee := info.get("ieee")) is not None:
                self._forget(EUI64.convert(str(ieee)))

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

    @callback
    def async_scan(self, *, joined: bool = False) -> None:
        """Attach to every ZHA device on the TS0049 quirk (new devices get a controller)."""
        try:
            gateway = get_zha_gateway_proxy(self.hass).gateway
        except ValueError:
            return
        for ieee, device in gateway.devices.items():
            cluster = irrigation_cluster(device)
            controller = self.controllers.get(ieee)
            if cluster is None:
                if controller is not None:
                    controller.detach()
                continue
            if controller is None:
                stored = self._stored.get(str(ieee))
                lists = ProgramLists.from_storage(stored) if stored else ProgramLists()
                controller = ValveController(self, ieee, lists)
                self.controllers[ieee] = controller
                controller.attach(cluster)
                for listener in list(self._new_valve_listeners):
                    listener(controller)
                if stored is None or joined:
                    self._schedule_refresh(controller)
            else:
                controller.attach(cluster)

    def _schedule_refresh(self, controller: ValveController) -> None:
        async def refresh() -> None:
            try:
                await controller.async_refresh()
            except HomeAssistantError as err:
                _LOGGER.debug("%s: programs not refreshed: %s", controller.ieee, err)

        task = self.hass.async_create_background_task(
            refresh(), f"{DOMAIN} refresh programs {controller.ieee}"
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
