"""The "gateway brain" of one Tuya TS0049 valve: its program lists, edits and irrigation runs.

A ``ValveController`` keeps the last program lists the valve reported (persisted by the family,
so the calendar and the actions work across restarts and while the valve sleeps), refreshes
them from the device on demand and after every edit (the valve answers every edit with its
updated list), and serializes the exchanges with one valve.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
import logging
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from zha.zigbee.device import Device
from zigpy.types import EUI64

from ..errors import device_error, translated_device_errors, validation_error
from ..protocol import irrigation_program as programs, tuya_dp
from ..quirks.tuya_ts0049 import TuyaIrrigationCluster, switch_valve
from ..schedules import weekdays
from ..schedules.clock import minute_text
from .schedule import ProgramKind, program_uid

_LOGGER = logging.getLogger(__name__)

FAMILY: Final = "irrigation"

type CycleList = tuple[programs.StoredProgram[programs.CycleIrrigationProgram], ...]
type ScheduledList = tuple[
    programs.StoredProgram[programs.ScheduledIrrigationProgram], ...
]


def irrigation_cluster(device: Device) -> TuyaIrrigationCluster | None:
    """Return the TS0049 cluster of a ZHA device on our quirk, if it has one."""
    endpoint = device.device.endpoints.get(1)
    cluster = None if endpoint is None else endpoint.in_clusters.get(0xE001)
    return cluster if isinstance(cluster, TuyaIrrigationCluster) else None


@dataclass(frozen=True, slots=True)
class ProgramLists:
    """The program lists last reported by one valve.

    ``first_seen`` is when Home Assistant first saw each program (by calendar uid): the
    calendar shows no run before it, since the valve does not say when a program was made
    (DP16 carries no date at all; see schedule.program_runs).
    """

    cycle: CycleList = ()
    scheduled: ScheduledList = ()
    updated: datetime | None = None
    first_seen: Mapping[str, datetime] = field(default_factory=dict)

    def replaced(
        self,
        *,
        cycle: CycleList | None = None,
        scheduled: ScheduledList | None = None,
        now: datetime,
    ) -> ProgramLists:
        """Return these lists with ``cycle`` / ``scheduled`` replaced, seen at ``now``."""
        cycle = self.cycle if cycle is None else cycle
        scheduled = self.scheduled if scheduled is None else scheduled
        uids = [program_uid(ProgramKind.CYCLE, p.program_id) for p in cycle] + [
            program_uid(ProgramKind.SCHEDULED, p.program_id) for p in scheduled
        ]
        return ProgramLists(
            cycle=cycle,
            scheduled=scheduled,
            updated=now,
            first_seen={uid: self.first_seen.get(uid, now) for uid in uids},
        )

    def programs_of(self, kind: ProgramKind) -> CycleList | ScheduledList:
        """Return the list of ``kind``."""
        return self.cycle if kind is ProgramKind.CYCLE else self.scheduled

    def find(self, kind: ProgramKind, program_id: int) -> Any:
        """Return program ``program_id`` of ``kind``; a translated error if there is none."""
        for stored in self.programs_of(kind):
            if stored.program_id == program_id:
                return stored.program
        raise validation_error("irrigation_unknown_program", program_id=program_id)

    def as_storage(self) -> dict[str, Any]:
        """Serialize as the device's own answer bytes (hex)."""
        return {
            "cycle": programs.encode_cycle_answer(self.cycle).hex(),
            "scheduled": programs.encode_scheduled_answer(self.scheduled).hex(),
            "updated": self.updated.isoformat() if self.updated else None,
            "first_seen": {
                uid: seen.isoformat() for uid, seen in self.first_seen.items()
            },
        }

    @classmethod
    def from_storage(cls, data: dict[str, Any]) -> ProgramLists:
        """Deserialize what ``as_storage`` wrote."""
        updated = (
            dt_util.parse_datetime(data["updated"]) if data.get("updated") else None
        )
        lists = cls(
            cycle=programs.decode_cycle_answer(bytes.fromhex(data["cycle"])),
            scheduled=programs.decode_scheduled_answer(
                bytes.fromhex(data["scheduled"])
            ),
            updated=updated,
            first_seen={
                uid: seen
                for uid, text in data.get("first_seen", {}).items()
                if (seen := dt_util.parse_datetime(text)) is not None
            },
        )
        if "first_seen" in data or updated is None:
            return lists
        # Stored before first_seen existed: the programs were there at the last update.
        return lists.replaced(now=updated)

    def undocumented_bits(self) -> list[dict[str, Any]]:
        """Return the programs carrying setting bits seed 004 does not document."""
        return [
            {
                "program_id": stored.program_id,
                "undocumented_setting_bits": stored.program.undocumented_setting_bits,
            }
            for stored in self.scheduled
            if stored.program.undocumented_setting_bits
        ]

    def as_response(self) -> dict[str, Any]:
        """Return the lists as service response data."""
        return {
            "scheduled_programs": [
                _scheduled_as_dict(stored) for stored in self.scheduled
            ],
            "cycle_programs": [_cycle_as_dict(stored) for stored in self.cycle],
            "updated": self.updated.isoformat() if self.updated else None,
        }


def _scheduled_as_dict(
    stored: programs.StoredProgram[programs.ScheduledIrrigationProgram],
) -> dict[str, Any]:
    program = stored.program
    return {
        "program_id": stored.program_id,
        "enabled": program.enabled,
        "start_time": minute_text(program.start_minute),
        "duration": program.duration_minutes,
        "recurrence": program.recurrence.name.lower(),
        "weekdays": weekdays.keys_of_bits(program.days),
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
        "start_time": minute_text(program.start_minute),
        "end_time": minute_text(program.end_minute),
        "irrigation_duration": program.on_minutes,
        "pause_duration": program.off_minutes,
        "weekdays": weekdays.keys_of_bits(program.days),
        "water_flow": program.water_flow_percent,
    }


# The cluster request and the list field of each program kind.
_REQUESTS: Final[dict[ProgramKind, tuple[Callable[..., Awaitable[Any]], str]]] = {
    ProgramKind.CYCLE: (TuyaIrrigationCluster.cycle_program_request, "cycle"),
    ProgramKind.SCHEDULED: (
        TuyaIrrigationCluster.scheduled_program_request,
        "scheduled",
    ),
}


class ValveController:
    """Program lists and edits of one TS0049 valve."""

    def __init__(
        self, ieee: EUI64, lists: ProgramLists, on_change: Callable[[], None]
    ) -> None:
        """Initialize with the stored lists; ``on_change`` is called when they change."""
        self.ieee = ieee
        self.lists = lists
        self.lock = asyncio.Lock()
        self._on_change = on_change
        self._listeners: list[Callable[[], None]] = []
        self._removed_listeners: list[Callable[[], None]] = []
        self._unsub_cluster: Callable[[], None] | None = None
        self._cluster: TuyaIrrigationCluster | None = None
        # The user's irrigation time (auto-off), to set back once a start_irrigation run ends.
        self._restore_irrigation_time: int | None = None
        self._restoring: asyncio.Task[None] | None = None

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

    @callback
    def attach(self, cluster: TuyaIrrigationCluster) -> None:
        """Follow the program-list reports of ``cluster`` (ZHA's current object)."""
        if cluster is self._cluster:
            return
        self.detach()
        self._cluster = cluster
        unsubs = [
            source.on_event(event, self._handle_attribute)
            for source in (cluster, cluster.endpoint.on_off)
            for event in ("attribute_updated", "attribute_report")
        ]

        def unsubscribe() -> None:
            for unsub in unsubs:
                unsub()

        self._unsub_cluster = unsubscribe

    @callback
    def detach(self) -> None:
        """Stop following the cluster (the valve left our quirk, or ZHA unloaded)."""
        if self._restoring is not None:
            self._restoring.cancel()
            self._restoring = None
        if self._unsub_cluster is not None:
            self._unsub_cluster()
        self._unsub_cluster = None
        self._cluster = None

    def _handle_attribute(self, event: Any) -> None:
        name = getattr(event, "attribute_name", None)
        cluster = self._cluster
        if cluster is None:
            return
        if self._restore_irrigation_time is not None and _run_ended(event):
            self._schedule_restore()
        if (
            name not in ("cycle_irrigation", "scheduled_irrigation")
            or self.lock.locked()
        ):
            # While an exchange runs, the valve's answers are handled by the exchange: a
            # valve that answers an edit with the edited program alone (seed 004's wording)
            # must not replace the list.
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
        self.lists = self.lists.replaced(
            cycle=cycle, scheduled=scheduled, now=dt_util.utcnow()
        )
        self._on_change()
        for listener in list(self._listeners):
            listener()

    def _current_cluster(self) -> TuyaIrrigationCluster:
        if (cluster := self._cluster) is None:
            raise device_error("irrigation_not_available")
        return cluster

    async def _async_exchange[T](
        self, exchange: Callable[[TuyaIrrigationCluster], Awaitable[T]]
    ) -> T:
        """Run one exchange with the valve, one at a time per valve, with translated errors."""
        async with self.lock:
            cluster = self._current_cluster()
            async with translated_device_errors(FAMILY):
                return await exchange(cluster)

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

    async def async_program_request(
        self,
        kind: ProgramKind,
        request: programs.CycleIrrigationRequest | programs.ScheduledIrrigationRequest,
    ) -> ProgramLists:
        """Send one DP16/DP17 edit; the stored list changes only with the valve's answers.

        Seed 004 says add answers with "the task with the ID of the added schedule", modify
        with "scheduled task" and delete with the list. A valve may send the whole list or
        just the task, so after an add or a modify the list is asked for (command 0x01) and
        only that answer replaces the stored one. If the valve does not answer the query,
        the edited task is merged into the stored list.
        """
        send, field_name = _REQUESTS[kind]
        async with self.lock:
            cluster = self._current_cluster()
            async with translated_device_errors(FAMILY):
                answer = await send(cluster, request)
            if isinstance(request, programs.AddProgram | programs.ModifyProgram):
                try:
                    async with translated_device_errors(FAMILY):
                        answer = await send(cluster, programs.QueryPrograms())
                except HomeAssistantError as err:
                    _LOGGER.debug("%s: list not confirmed: %s", self.ieee, err)
                    answer = _merged(self.lists.programs_of(kind), answer)
            self._set_lists(**{field_name: answer})
        return self.lists

    async def async_start_irrigation(self, seconds: int) -> None:
        """Water for ``seconds``: set the irrigation time, open; the valve closes itself.

        The irrigation time is the user's auto-off setting, so the one it replaced is set
        back once the valve has closed (when the valve reported one).
        """

        async def start(cluster: TuyaIrrigationCluster) -> int | None:
            previous = cluster.get(cluster.AttributeDefs.irrigation_time.name)
            await cluster.set_irrigation_setting(tuya_dp.IrrigationTimeCommand(seconds))
            await switch_valve(cluster.endpoint.on_off, is_open=True)
            return None if previous is None else int(previous)

        previous = await self._async_exchange(start)
        if previous is not None and previous != seconds:
            self._restore_irrigation_time = previous

    @callback
    def _schedule_restore(self) -> None:
        if self._restoring is None or self._restoring.done():
            self._restoring = asyncio.get_running_loop().create_task(
                self._async_restore(), name=f"restore irrigation time {self.ieee}"
            )

    async def _async_restore(self) -> None:
        """Set the user's irrigation time back (the valve is awake: it just reported)."""
        if (seconds := self._restore_irrigation_time) is None:
            return
        try:
            await self._async_exchange(
                lambda cluster: cluster.set_irrigation_setting(
                    tuya_dp.IrrigationTimeCommand(seconds)
                )
            )
        except HomeAssistantError as err:
            # Tried again at the valve's next report.
            _LOGGER.debug("%s: irrigation time not restored yet: %s", self.ieee, err)
            return
        if self._restore_irrigation_time == seconds:
            self._restore_irrigation_time = None


def _run_ended(event: Any) -> bool:
    """Return whether a report says the valve stopped watering (closed, idle, or done)."""
    name = getattr(event, "attribute_name", None)
    value = getattr(event, "value", None)
    if name == "on_off":
        return not value
    if name == "work_state":
        return value is not None and int(value) == tuya_dp.WorkState.Idle
    return name == "once_using_time"


def _merged(
    stored: CycleList | ScheduledList, answer: CycleList | ScheduledList
) -> Any:
    """Return ``stored`` with the programs of ``answer`` put in by id (ids ascending)."""
    by_id: dict[int, Any] = {item.program_id: item for item in stored}
    by_id.update((item.program_id, item) for item in answer)
    return tuple(by_id[program_id] for program_id in sorted(by_id))
