"""The Danfoss Ally family: TRVs on our Ally quirk, heating rooms, and the hub.

It claims every ZHA device whose thermostat cluster is our ``AllyThermostatCluster`` and keeps
a `TrvLink` per TRV. Rooms are config subentries (``room``); each runs a `RoomController`.
The family also keeps the TRVs' clocks (research §6: written on join, on every announce, daily,
when Home Assistant's time zone changes and when a TRV reports E10), their weekly schedules
(`ScheduleBook`) and a repair issue for a TRV that has not taken a write for a day.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timedelta
import logging
from typing import Any, ClassVar, Final
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigSubentryFlow
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE, Platform
from homeassistant.core import CALLBACK_TYPE, Event, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_time_change,
    async_track_time_interval,
)
from homeassistant.util import dt as dt_util
from zha.zigbee.device import Device
from zigpy.types import EUI64

from .. import zha_bridge
from ..const import DOMAIN
from ..family import AddEntities, DeviceFamily
from ..protocol import zcl_time
from ..quirks.exceptions import CommandRefusedError, NoAnswerError
from ..zha_devices import DeviceEvent, TrackedDeviceEvent
from .config_flow import RoomSubentryFlow
from .entities import hub_entities, room_entities
from .room import FAMILY, RoomConfig, RoomController
from .schedule import ScheduleBook
from .services import SERVICES
from .trv import TrvLink, thermostat_cluster

_LOGGER = logging.getLogger(__name__)

SUBENTRY_ROOM: Final = "room"
#: Daily clock write (research §6: Zigbee2MQTT writes every 24 h); a quiet minute.
DAILY_TIME_WRITE: Final = {"hour": 3, "minute": 17, "second": 0}
#: A TRV clears E10 within ~15 s of a time write (PR #12050): do not write again sooner.
TIME_REWRITE_GUARD: Final = timedelta(minutes=1)
UNREACHABLE_REPAIR_AFTER: Final = timedelta(days=1)
UNREACHABLE_CHECK_INTERVAL: Final = timedelta(hours=1)


def _zone() -> ZoneInfo:
    """Return Home Assistant's configured time zone (not the process's)."""
    zone = dt_util.get_default_time_zone()
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC")


class DanfossFamily(DeviceFamily):
    """All Ally TRVs, their rooms and the integration-level heating hub."""

    name: ClassVar[str] = FAMILY
    platforms = frozenset(
        {Platform.BINARY_SENSOR, Platform.CALENDAR, Platform.CLIMATE, Platform.SENSOR}
    )
    services = SERVICES
    subentry_flows: ClassVar[Mapping[str, type[ConfigSubentryFlow]]] = {
        SUBENTRY_ROOM: RoomSubentryFlow
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Create the schedule book; TRVs appear with the tracker's events."""
        super().__init__(*args, **kwargs)
        self.trvs: dict[EUI64, TrvLink] = {}
        self.rooms: dict[str, RoomController] = {}
        self.schedules = ScheduleBook(self.hass)
        self.time_written_at: dict[EUI64, datetime] = {}
        self.time_pending: set[EUI64] = set()
        self._adders: dict[Platform, AddEntities] = {}
        self._hub_added: set[Platform] = set()
        self._hub_listeners: list[Callable[[], None]] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._time_boundary: CALLBACK_TYPE | None = None

    # -- lifecycle -----------------------------------------------------------------

    def claims(self, device: Device) -> bool:
        """Claim devices on our Ally quirk."""
        return thermostat_cluster(device) is not None

    async def async_start(self) -> None:
        """Load schedules, build the rooms, start the clocks' timers."""
        await self.schedules.async_load()
        self._build_rooms()
        self._unsubs += [
            async_track_time_change(
                self.hass, self._daily_time_write, **DAILY_TIME_WRITE
            ),
            self.hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, self._config_updated),
            async_track_time_interval(
                self.hass, self._check_unreachable, UNREACHABLE_CHECK_INTERVAL
            ),
        ]
        self._arm_time_boundary()

    async def async_stop(self) -> None:
        """Stop the rooms and timers, detach from the TRVs, save."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self._time_boundary is not None:
            self._time_boundary()
            self._time_boundary = None
        for task in list(self._tasks):
            task.cancel()
        for room in self.rooms.values():
            room.async_stop()
        for trv in self.trvs.values():
            trv.detach()
        await self.schedules.async_flush()

    @callback
    def async_entry_updated(self) -> None:
        """Rooms added, edited or deleted: apply them without a restart."""
        self._build_rooms()

    def _room_configs(self) -> dict[str, RoomConfig]:
        return {
            subentry.subentry_id: RoomConfig.from_subentry(
                subentry.subentry_id, subentry.title, subentry.data
            )
            for subentry in self.entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_ROOM
        }

    @callback
    def _build_rooms(self) -> None:
        configs = self._room_configs()
        kept = {ieee for config in configs.values() for ieee in config.trvs}
        for room_id, room in list(self.rooms.items()):
            config = configs.get(room_id)
            if config == room.config:
                continue
            # TRVs that leave every room get the functions we drove switched off
            room.async_stop(released=[i for i in room.config.trvs if i not in kept])
            if config is None:
                del self.rooms[room_id]
                self.schedules.forget_room(room_id)
            else:
                room.reconfigure(config)
                room.async_start()
        for room_id, config in configs.items():
            if room_id not in self.rooms:
                room = self.rooms[room_id] = RoomController(
                    self.hass, config, self._link
                )
                room.async_start()
                self._add_room_entities(room)
        self._update_hub()

    # -- TRVs --------------------------------------------------------------------

    def _link(self, ieee: EUI64) -> TrvLink:
        if (trv := self.trvs.get(ieee)) is None:
            trv = self.trvs[ieee] = TrvLink(self.hass, ieee)
            trv.on_reading = self._trv_reading
            trv.on_announce = self._trv_announced
            trv.on_clock_lost = self._trv_clock_lost
            trv.on_check_in = self._trv_checked_in
            trv.on_written = self._trv_written
        return trv

    def room_of(self, ieee: EUI64) -> RoomController | None:
        """Return the room the TRV belongs to (a TRV is in at most one room)."""
        return next(
            (room for room in self.rooms.values() if ieee in room.config.trvs), None
        )

    @callback
    def async_device_event(self, event: TrackedDeviceEvent) -> None:
        """Attach links to the TRVs' current clusters; write time and check schedules."""
        if event.kind is DeviceEvent.REMOVED:
            if (trv := self.trvs.get(event.ieee)) is not None:
                trv.detach()
            self.schedules.forget_trv(event.ieee)
            self._update_rooms(event.ieee)
            return
        trv = self._link(event.ieee)
        if event.device is None or thermostat_cluster(event.device) is None:
            trv.detach()
            self._update_rooms(event.ieee)
            return
        trv.attach(event.device)
        if event.kind in (
            DeviceEvent.PRESENT,
            DeviceEvent.JOINED,
            DeviceEvent.INITIALIZED,
            DeviceEvent.RERESOLVED,
        ):
            # a (re)joined or newly seen TRV: its clock, its Save=No values, its schedule
            trv.pending.update(trv.desired)
            self.time_pending.add(trv.ieee)
            self.schedules.suspect(trv.ieee)
            self._catch_up(trv)
        self._update_rooms(event.ieee)

    @callback
    def _update_rooms(self, ieee: EUI64) -> None:
        if (room := self.room_of(ieee)) is not None:
            room.async_update()
        self._update_hub()

    @callback
    def _trv_reading(self, trv: TrvLink, name: str) -> None:
        if (room := self.room_of(trv.ieee)) is not None:
            room.trv_reading(trv, name)
        self._update_hub()

    @callback
    def _trv_written(self, trv: TrvLink, batch: dict[str, int]) -> None:
        if (room := self.room_of(trv.ieee)) is not None:
            room.trv_written(trv, batch)

    @callback
    def _trv_announced(self, trv: TrvLink) -> None:
        self.time_pending.add(trv.ieee)
        self.schedules.suspect(trv.ieee)
        if (room := self.room_of(trv.ieee)) is not None:
            room.trv_announced(trv)
        self._catch_up(trv)

    @callback
    def _trv_clock_lost(self, trv: TrvLink) -> None:
        written = self.time_written_at.get(trv.ieee)
        if written is not None and dt_util.utcnow() - written < TIME_REWRITE_GUARD:
            return
        # E10 also follows a battery change, which loses the schedule too (research §4)
        self.time_pending.add(trv.ieee)
        self.schedules.suspect(trv.ieee)
        self._catch_up(trv)

    @callback
    def _trv_checked_in(self, trv: TrvLink) -> None:
        if trv.ieee in self.time_pending or trv.ieee in self.schedules.unchecked:
            self._catch_up(trv)

    @callback
    def _catch_up(self, trv: TrvLink) -> None:
        """Write the clock and check the schedule of ``trv`` in the background."""
        self._background(self._async_catch_up(trv), f"catch up {trv.ieee}")

    async def _async_catch_up(self, trv: TrvLink) -> None:
        if trv.ieee in self.time_pending:
            await self._async_write_time(trv)
        room = self.room_of(trv.ieee)
        await self.schedules.async_check(
            trv, None if room is None else room.config.subentry_id
        )
        if trv.pending:
            await trv.async_sync()

    def _background(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = self.entry.async_create_background_task(
            self.hass, coro, f"{DOMAIN} danfoss {name}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- time (research §6) ------------------------------------------------------------

    async def _async_write_time(self, trv: TrvLink) -> None:
        cluster = trv.time_cluster
        if cluster is None:
            return
        try:
            await cluster.write_time(_zone())
        except (NoAnswerError, CommandRefusedError) as err:
            _LOGGER.debug("%s: time not written: %s", trv.ieee, err)
            trv.unreachable_since = trv.unreachable_since or dt_util.utcnow()
            return
        trv.unreachable_since = None
        self.time_pending.discard(trv.ieee)
        self.time_written_at[trv.ieee] = dt_util.utcnow()

    @callback
    def _write_all_times(self) -> None:
        for trv in self.trvs.values():
            if trv.thermostat is not None:
                self.time_pending.add(trv.ieee)
                self._catch_up(trv)

    @callback
    def _daily_time_write(self, _now: datetime) -> None:
        self._write_all_times()

    @callback
    def _config_updated(self, event: Event[Any]) -> None:
        # the time zone may have changed: new zone offset and DST rules for every TRV
        self._write_all_times()
        self._arm_time_boundary()

    @callback
    def _arm_time_boundary(self) -> None:
        """Write again exactly when the zone's DST attributes change (segment boundary)."""
        if self._time_boundary is not None:
            self._time_boundary()
        at = zcl_time.next_time_write(_zone(), dt_util.utcnow())

        @callback
        def boundary(_now: datetime) -> None:
            self._time_boundary = None
            self._write_all_times()
            self._arm_time_boundary()

        self._time_boundary = async_track_point_in_utc_time(self.hass, boundary, at)

    # -- repairs ----------------------------------------------------------------------

    @callback
    def _check_unreachable(self, _now: datetime | None = None) -> None:
        now = dt_util.utcnow()
        for trv in self.trvs.values():
            issue_id = f"danfoss_unreachable_{trv.ieee}"
            since = trv.unreachable_since
            if since is not None and now - since >= UNREACHABLE_REPAIR_AFTER:
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.WARNING,
                    translation_key="danfoss_unreachable",
                    translation_placeholders={
                        "name": self._trv_name(trv.ieee),
                        "since": since.isoformat(timespec="minutes"),
                    },
                )
            else:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def _trv_name(self, ieee: EUI64) -> str:
        entry = zha_bridge.zha_device_entry(self.hass, ieee)
        if entry is None:
            return str(ieee)
        return entry.name_by_user or entry.name or str(ieee)

    # -- entities ---------------------------------------------------------------------

    @callback
    def async_add_entities(
        self, platform: Platform, add_entities: AddEntities
    ) -> CALLBACK_TYPE:
        """Add the hub's and every room's entities of ``platform``; rooms added later too."""
        self._adders[platform] = add_entities
        if self.rooms:
            self._add_hub_entities(platform)
        for room in self.rooms.values():
            add_entities(
                room_entities(self, room, platform),
                config_subentry_id=room.config.subentry_id,
            )

        def remove() -> None:
            self._adders.pop(platform, None)
            self._hub_added.discard(platform)

        return remove

    @callback
    def _add_hub_entities(self, platform: Platform) -> None:
        # the hub appears with the first room: no "Heating" device without heating
        if platform not in self._hub_added and (adder := self._adders.get(platform)):
            self._hub_added.add(platform)
            adder(hub_entities(self, platform))

    @callback
    def _add_room_entities(self, room: RoomController) -> None:
        for platform, add_entities in self._adders.items():
            self._add_hub_entities(platform)
            add_entities(
                room_entities(self, room, platform),
                config_subentry_id=room.config.subentry_id,
            )

    @callback
    def add_hub_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when any room's state changes."""
        self._hub_listeners.append(listener)
        return lambda: self._hub_listeners.remove(listener)

    @callback
    def _update_hub(self) -> None:
        for listener in list(self._hub_listeners):
            listener()

    @property
    def heat_required(self) -> bool:
        """Return True while any room requests heat."""
        return any(room.heat_required for room in self.rooms.values())

    @property
    def heat_demand(self) -> int | None:
        """Return the highest PI heating demand over all rooms (%)."""
        demands = [d for room in self.rooms.values() for d in room.heat_demands()]
        return max(demands) if demands else None

    def diagnostics(self) -> dict[str, Any]:
        """Return rooms, TRVs and schedules; TRVs named ``trv1``, ``trv2`` … (no IEEE)."""
        labels = {ieee: f"trv{n}" for n, ieee in enumerate(self.trvs, start=1)}

        def label(ieee: Any) -> str:
            return labels.get(EUI64.convert(str(ieee)), "trv?")

        schedules = self.schedules.diagnostics()
        return {
            "rooms": {
                room.config.name: {
                    **room.diagnostics(),
                    "trvs": [label(ieee) for ieee in room.config.trvs],
                }
                for room in self.rooms.values()
            },
            "trvs": {
                labels[trv.ieee]: {**trv.diagnostics(), "ieee": str(trv.ieee)}
                for trv in self.trvs.values()
            },
            "time_pending": sorted(label(ieee) for ieee in self.time_pending),
            "schedules": {
                "rooms": {
                    self.rooms[room_id].config.name
                    if room_id in self.rooms
                    else "?": week
                    for room_id, week in schedules["rooms"].items()
                },
                "trvs": {label(ieee): week for ieee, week in schedules["trvs"].items()},
                "modes": {
                    label(ieee): mode for ieee, mode in schedules["modes"].items()
                },
                "unchecked": sorted(label(ieee) for ieee in schedules["unchecked"]),
            },
        }
