"""The "Irrigation programs" calendar of a TS0049 valve (on the valve's ZHA device page)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.calendar.const import CalendarEntityFeature
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from ..entity import ZhaDeviceLinkedEntity
from ..errors import validation_error
from ..protocol import irrigation_program as programs
from ..schedules.rrule import UnrepresentableEventError
from . import schedule
from .controller import ValveController
from .schedule import ProgramKind

# How far ahead the entity's state ("next run") looks.
LOOKAHEAD: Final = timedelta(days=62)


def _parse_uid(uid: str) -> tuple[ProgramKind, int]:
    kind, _, number = uid.partition("-")
    if kind not in tuple(ProgramKind) or not number.isdigit():
        raise validation_error("irrigation_unknown_event", uid=uid)
    return ProgramKind(kind), int(number)


def _unrepresentable(err: UnrepresentableEventError) -> ServiceValidationError:
    return validation_error(f"irrigation_{err.reason}", **err.placeholders)


def _single_run_refused(
    recurrence_id: str | None, recurrence_range: str | None
) -> None:
    if recurrence_id and recurrence_range != "THISANDFUTURE":
        raise validation_error("irrigation_single_run_not_editable")


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
        for kind, stored_programs in (
            (ProgramKind.SCHEDULED, lists.scheduled),
            (ProgramKind.CYCLE, lists.cycle),
        ):
            for stored in stored_programs:
                seen = lists.first_seen.get(
                    schedule.program_uid(kind, stored.program_id)
                )
                runs.extend(
                    schedule.program_runs(stored, start, end, now=now, not_before=seen)
                )
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
        except UnrepresentableEventError as err:
            raise _unrepresentable(err) from err

    async def async_create_event(self, **kwargs: Any) -> None:
        """Add a scheduled program to the valve."""
        program = self._program_from_event(kwargs, None)
        await self._controller.async_program_request(
            ProgramKind.SCHEDULED, programs.AddProgram(program)
        )

    async def async_update_event(
        self,
        uid: str,
        event: dict[str, Any],
        recurrence_id: str | None = None,
        recurrence_range: str | None = None,
    ) -> None:
        """Modify the scheduled program behind ``uid`` (all its runs: programs are series)."""
        _single_run_refused(recurrence_id, recurrence_range)
        kind, program_id = _parse_uid(uid)
        if kind is not ProgramKind.SCHEDULED:
            raise validation_error("irrigation_cycle_not_editable_in_calendar")
        base = self._controller.lists.find(kind, program_id)
        program = self._program_from_event(event, base)
        await self._controller.async_program_request(
            kind, programs.ModifyProgram(program_id, program)
        )

    async def async_delete_event(
        self,
        uid: str,
        recurrence_id: str | None = None,
        recurrence_range: str | None = None,
    ) -> None:
        """Delete the program behind ``uid``."""
        _single_run_refused(recurrence_id, recurrence_range)
        kind, program_id = _parse_uid(uid)
        self._controller.lists.find(kind, program_id)
        await self._controller.async_program_request(
            kind, programs.DeleteProgram(program_id)
        )
