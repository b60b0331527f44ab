"""The "gateway brain" of one Tuya TS0049 valve: its program lists, edits and irrigation runs.

A ``ValveController`` keeps the last program lists the valve reported (persisted by the family,
so the calendar and the actions work across restarts and while the valve sleeps), refreshes
them from the device on demand and after every edit (the valve answers every edit with its
updated list), and serializes the exchanges with one valve.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
import logging
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.util import dt as dt_util
from zha.zigbee.device import Device
from zigpy.types import EUI64

from ..errors import device_error, translated_device_errors, validation_error
from ..protocol import irrigation_program as programs, tuya_dp
from ..quirks.tuya_ts0049 import TuyaIrrigationCluster, switch_valve
from ..schedules import weekdays
from ..schedules.clock import minute_text
from .schedule import ProgramKind

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
    """The program lists last reported by one valve."""

    cycle: CycleList = ()
    scheduled: ScheduledList = ()
    updated: datetime | None = None

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
            cluster.on_event(event, self._handle_attribute)
            for event in ("attribute_updated", "attribute_report")
        ]

        def unsubscribe() -> None:
            for unsub in unsubs:
                unsub()

        self._unsub_cluster = unsubscribe

    @callback
    def detach(self) -> None:
        """Stop following the cluster (the valve left our quirk, or ZHA unloaded)."""
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
        self._on_change()
        for listener in list(self._listeners):
            listener()

    async def _async_exchange[T](
        self, exchange: Callable[[TuyaIrrigationCluster], Awaitable[T]]
    ) -> T:
        """Run one exchange with the valve, one at a time per valve, with translated errors."""
        async with self.lock:
            if (cluster := self._cluster) is None:
                raise device_error("irrigation_not_available")
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
        """Send one DP16/DP17 edit; the stored list changes only with the valve's answer."""
        send, field = _REQUESTS[kind]
        answer = await self._async_exchange(lambda cluster: send(cluster, request))
        self._set_lists(**{field: answer})
        return self.lists

    async def async_start_irrigation(self, seconds: int) -> None:
        """Set the irrigation time, then open; the valve closes itself when it elapses."""

        async def start(cluster: TuyaIrrigationCluster) -> None:
            await cluster.set_irrigation_setting(tuya_dp.IrrigationTimeCommand(seconds))
            await switch_valve(cluster.endpoint.on_off, is_open=True)

        await self._async_exchange(start)
