"""Calendar of a TS0049 valve's irrigation programs (shown on the valve's ZHA device page)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.calendar.const import CalendarEntityFeature
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from . import ZhaDevicePackConfigEntry
from .const import DOMAIN
from .entity import ZhaDeviceLinkedEntity
from .irrigation import schedule
from .irrigation.controller import ValveController
from .protocol import irrigation_program as programs

PARALLEL_UPDATES = 0
# How far ahead the entity's state ("next run") looks.
LOOKAHEAD = timedelta(days=62)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ZhaDevicePackConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a calendar for every TS0049 valve, now and when one appears."""

    @callback
    def add(controller: ValveController) -> None:
        async_add_entities([IrrigationCalendar(hass, controller)])

    entry.async_on_unload(entry.runtime_data.irrigation.add_new_valve_listener(add))


def _parse_uid(uid: str) -> tuple[str, int]:
    kind, _, number = uid.partition("-")
    if kind not in ("scheduled", "cycle") or not number.isdigit():
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_event",
            translation_placeholders={"uid": uid},
        )
    return kind, int(number)


def _unrepresentable(err: schedule.UnrepresentableEventError) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=err.translation_key,
        translation_placeholders=err.placeholders,
    )


class IrrigationCalendar(ZhaDeviceLinkedEntity, CalendarEntity):
    """Upcoming runs of every program; events map to the valve's scheduled programs."""

    _attr_translation_key = "irrigation_programs"
    _attr_supported_features = (
        CalendarEntityFeature.CREATE_EVENT
        | CalendarEntityFeature.UPDATE_EVENT
        | CalendarEntityFeature.DELETE_EVENT
    )

    def __init__(self, hass: HomeAssistant, controller: ValveController) -> None:
        """Link to the valve's ZHA device."""
        super().__init__(hass, controller.ieee, "irrigation_programs")
        self._controller = controller

    async def async_added_to_hass(self) -> None:
        """Follow program list changes."""
        await super().async_added_to_hass()
        self.async_on_remove(self._controller.add_listener(self.async_write_ha_state))
        self.async_on_remove(self._controller.add_removed_listener(self._valve_removed))

    @callback
    def _valve_removed(self) -> None:
        """Remove this calendar with its valve."""
        er.async_get(self.hass).async_remove(self.entity_id)

    def _events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        lists = self._controller.lists
        now = dt_util.now()
        runs: list[schedule.IrrigationRun] = []
        for scheduled in lists.scheduled:
            runs.extend(schedule.program_runs(scheduled, start, end, now=now))
        for cycle in lists.cycle:
            runs.extend(schedule.program_runs(cycle, start, end, now=now))
        runs.sort(key=lambda run: run.start)
        return schedule.runs_to_events(runs, (*lists.scheduled, *lists.cycle))

    @property
    def event(self) -> CalendarEvent | None:
        """Return the current or next run."""
        now = dt_util.now()
        events = self._events(now, now + LOOKAHEAD)
        return events[0] if events else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the runs in a window."""
        return self._events(dt_util.as_local(start_date), dt_util.as_local(end_date))

    def _program_from_event(
        self, event: dict[str, Any], base: programs.ScheduledIrrigationProgram | None
    ) -> programs.ScheduledIrrigationProgram:
        try:
            return schedule.scheduled_program_from_event(
                event["dtstart"],
                event["dtend"],
                event.get("rrule"),
                water_flow_percent=base.water_flow_percent if base else 100,
                enabled=base.enabled if base else True,
            )
        except schedule.UnrepresentableEventError as err:
            raise _unrepresentable(err) from err

    async def async_create_event(self, **kwargs: Any) -> None:
        """Add a scheduled program to the valve."""
        program = self._program_from_event(kwargs, None)
        await self._controller.async_scheduled_request(programs.AddProgram(program))

    def _stored_scheduled(self, uid: str) -> programs.ScheduledIrrigationProgram:
        kind, program_id = _parse_uid(uid)
        if kind != "scheduled":
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="cycle_not_editable_in_calendar",
            )
        for stored in self._controller.lists.scheduled:
            if stored.program_id == program_id:
                return stored.program
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_program",
            translation_placeholders={"program_id": str(program_id)},
        )

    async def async_update_event(
        self,
        uid: str,
        event: dict[str, Any],
        recurrence_id: str | None = None,
        recurrence_range: str | None = None,
    ) -> None:
        """Modify the scheduled program behind ``uid`` (all its runs: programs are series)."""
        if recurrence_id and recurrence_range != "THISANDFUTURE":
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="single_run_not_editable"
            )
        base = self._stored_scheduled(uid)
        program = self._program_from_event(event, base)
        _, program_id = _parse_uid(uid)
        await self._controller.async_scheduled_request(
            programs.ModifyProgram(program_id, program)
        )

    async def async_delete_event(
        self,
        uid: str,
        recurrence_id: str | None = None,
        recurrence_range: str | None = None,
    ) -> None:
        """Delete the program behind ``uid``."""
        if recurrence_id and recurrence_range != "THISANDFUTURE":
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="single_run_not_editable"
            )
        kind, program_id = _parse_uid(uid)
        lists = self._controller.lists
        stored = lists.scheduled if kind == "scheduled" else lists.cycle
        if all(item.program_id != program_id for item in stored):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_program",
                translation_placeholders={"program_id": str(program_id)},
            )
        if kind == "scheduled":
            await self._controller.async_scheduled_request(
                programs.DeleteProgram(program_id)
            )
        else:
            await self._controller.async_cycle_request(
                programs.DeleteProgram(program_id)
            )
