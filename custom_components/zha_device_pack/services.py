"""Service actions of ZHA Device Pack.

The TS0049 actions target the valve entity (ZHA's ``valve`` entity of a TS0049 on our quirk)
and answer with the valve's program list. Every value is checked here, with a translated
error, before anything is sent; the stored lists only change with the valve's answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, time
from typing import Any, Final

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN
from .irrigation.controller import (
    WEEKDAY_KEYS,
    ProgramLists,
    ValveController,
    keys_to_weekdays,
)
from .protocol import irrigation_program as programs, tuya_dp

SERVICE_START_IRRIGATION: Final = "start_irrigation"
SERVICE_ADD_SCHEDULED: Final = "add_scheduled_irrigation"
SERVICE_UPDATE_SCHEDULED: Final = "update_scheduled_irrigation"
SERVICE_ADD_CYCLE: Final = "add_cycle_irrigation"
SERVICE_UPDATE_CYCLE: Final = "update_cycle_irrigation"
SERVICE_DELETE_PROGRAM: Final = "delete_irrigation_program"
SERVICE_REFRESH_PROGRAMS: Final = "refresh_irrigation_programs"

RECURRENCES: Final = {
    "weekly": programs.Recurrence.WEEKLY,
    "odd_days": programs.Recurrence.ODD_DAYS,
    "even_days": programs.Recurrence.EVEN_DAYS,
    "every_n_days": programs.Recurrence.EVERY_N_DAYS,
    "once": programs.Recurrence.WEEKLY,  # one-time: weekly with an empty weekday set
}

WEEKDAYS = vol.All(cv.ensure_list, [vol.In(WEEKDAY_KEYS)])
# Types only: ranges are checked in the handlers so that every violation gets a translated
# ServiceValidationError naming the field (a schema error would not be translated).
SCHEDULED_FIELDS: Final = {
    vol.Optional("start_time"): cv.time,
    vol.Optional("duration"): vol.Coerce(int),
    vol.Optional("recurrence"): vol.In(RECURRENCES),
    vol.Optional("weekdays"): WEEKDAYS,
    vol.Optional("interval_days"): vol.Coerce(int),
    vol.Optional("start_date"): cv.date,
    vol.Optional("water_flow"): vol.Coerce(int),
    vol.Optional("enabled"): cv.boolean,
}
CYCLE_FIELDS: Final = {
    vol.Optional("start_time"): cv.time,
    vol.Optional("end_time"): cv.time,
    vol.Optional("irrigation_duration"): vol.Coerce(int),
    vol.Optional("pause_duration"): vol.Coerce(int),
    vol.Optional("weekdays"): WEEKDAYS,
    vol.Optional("water_flow"): vol.Coerce(int),
    vol.Optional("enabled"): cv.boolean,
}
PROGRAM_ID: Final = {vol.Required("program_id"): vol.Coerce(int)}

SCHEMAS: Final[dict[str, Any]] = {
    SERVICE_START_IRRIGATION: cv.make_entity_service_schema(
        {vol.Required("duration"): cv.time_period}
    ),
    SERVICE_ADD_SCHEDULED: cv.make_entity_service_schema(SCHEDULED_FIELDS),
    SERVICE_UPDATE_SCHEDULED: cv.make_entity_service_schema(
        {**PROGRAM_ID, **SCHEDULED_FIELDS}
    ),
    SERVICE_ADD_CYCLE: cv.make_entity_service_schema(CYCLE_FIELDS),
    SERVICE_UPDATE_CYCLE: cv.make_entity_service_schema({**PROGRAM_ID, **CYCLE_FIELDS}),
    SERVICE_DELETE_PROGRAM: cv.make_entity_service_schema(
        {**PROGRAM_ID, vol.Required("program_type"): vol.In(["scheduled", "cycle"])}
    ),
    SERVICE_REFRESH_PROGRAMS: cv.make_entity_service_schema({}),
}


def invalid(key: str, **placeholders: Any) -> ServiceValidationError:
    """Return a translated validation error."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={k: str(v) for k, v in placeholders.items()},
    )


def _check_range(field: str, value: int, minimum: int, maximum: int) -> int:
    if not minimum <= value <= maximum:
        raise invalid(
            "value_out_of_range",
            field=field,
            value=value,
            minimum=minimum,
            maximum=maximum,
        )
    return value


def _minute_of_day(field: str, value: time) -> int:
    if value.second or value.microsecond:
        raise invalid("time_not_whole_minute", field=field, value=value.isoformat())
    return value.hour * 60 + value.minute


def _controllers(hass: HomeAssistant, call: ServiceCall) -> dict[str, ValveController]:
    """Return the controller of every targeted valve entity."""
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        raise invalid("integration_not_loaded")
    manager = entries[0].runtime_data.irrigation
    registry = er.async_get(hass)
    result: dict[str, ValveController] = {}
    for entity_id in call.data.get(ATTR_ENTITY_ID, []):
        entry = registry.async_get(entity_id)
        controller = (
            manager.controller_for_device_id(entry.device_id)
            if entry is not None and entry.device_id and entry.domain == "valve"
            else None
        )
        if controller is None:
            raise invalid("not_a_ts0049_valve", entity_id=entity_id)
        result[entity_id] = controller
    if not result:
        raise invalid("no_valve_targeted")
    return result


def build_scheduled(
    data: dict[str, Any], base: programs.ScheduledIrrigationProgram | None
) -> programs.ScheduledIrrigationProgram:
    """Build a DP17 program from service fields (``base`` supplies missing ones)."""
    creating = base is None
    if base is None:
        missing = [name for name in ("start_time", "duration") if name not in data]
        if missing:
            raise invalid("missing_field", field=missing[0])
        base = programs.ScheduledIrrigationProgram(
            enabled=True,
            start_minute=0,
            duration_minutes=1,
            days=programs.Weekday(0),
            water_flow_percent=100,
            recurrence=programs.Recurrence.WEEKLY,
            start_date=dt_util.now().date(),
            interval_days=1,
        )
    changes: dict[str, Any] = {}
    if "start_time" in data:
        changes["start_minute"] = _minute_of_day("start_time", data["start_time"])
    if "duration" in data:
        changes["duration_minutes"] = _check_range(
            "duration", data["duration"], 1, programs.MAX_PROGRAM_MINUTES
        )
    if "water_flow" in data:
        changes["water_flow_percent"] = _check_range(
            "water_flow", data["water_flow"], 0, programs.MAX_WATER_FLOW_PERCENT
        )
    if "enabled" in data:
        changes["enabled"] = data["enabled"]
    if "start_date" in data:
        start_date: date = data["start_date"]
        changes["start_date"] = start_date
    if "interval_days" in data:
        changes["interval_days"] = _check_range(
            "interval_days",
            data["interval_days"],
            programs.MIN_INTERVAL_DAYS,
            programs.MAX_INTERVAL_DAYS,
        )
    recurrence_key = data.get("recurrence")
    if recurrence_key is not None:
        changes["recurrence"] = RECURRENCES[recurrence_key]
    if "weekdays" in data:
        changes["days"] = keys_to_weekdays(data["weekdays"])
    if recurrence_key == "once":
        changes["days"] = programs.Weekday(0)
    program = replace(base, **changes)
    if (
        recurrence_key == "weekly" or (recurrence_key is None and "weekdays" in data)
    ) and not program.days:
        raise invalid("weekdays_required")
    if recurrence_key == "every_n_days" and "interval_days" not in data and creating:
        raise invalid("missing_field", field="interval_days")
    _validated(program)
    return program


def build_cycle(
    data: dict[str, Any], base: programs.CycleIrrigationProgram | None
) -> programs.CycleIrrigationProgram:
    """Build a DP16 program from service fields (``base`` supplies missing ones)."""
    if base is None:
        for name in ("start_time", "end_time", "irrigation_duration", "pause_duration"):
            if name not in data:
                raise invalid("missing_field", field=name)
        base = programs.CycleIrrigationProgram(
            enabled=True,
            channel=1,
            days=programs.Weekday(0),
            start_minute=0,
            end_minute=1,
            on_minutes=1,
            off_minutes=0,
            water_flow_percent=100,
        )
    changes: dict[str, Any] = {}
    for field, attr in (("start_time", "start_minute"), ("end_time", "end_minute")):
        if field in data:
            changes[attr] = _minute_of_day(field, data[field])
    for field, attr, minimum in (
        ("irrigation_duration", "on_minutes", 1),
        ("pause_duration", "off_minutes", 0),
    ):
        if field in data:
            changes[attr] = _check_range(
                field, data[field], minimum, programs.MAX_PROGRAM_MINUTES
            )
    if "water_flow" in data:
        changes["water_flow_percent"] = _check_range(
            "water_flow", data["water_flow"], 0, programs.MAX_WATER_FLOW_PERCENT
        )
    if "weekdays" in data:
        changes["days"] = keys_to_weekdays(data["weekdays"])
    if "enabled" in data:
        changes["enabled"] = data["enabled"]
    program = replace(base, **changes)
    if program.end_minute <= program.start_minute:
        raise invalid("end_before_start")
    _validated(program)
    return program


def _validated[
    P: (programs.CycleIrrigationProgram, programs.ScheduledIrrigationProgram)
](
    program: P,
) -> P:
    """Last line: whatever the codec still refuses is refused before anything is sent."""
    try:
        if isinstance(program, programs.CycleIrrigationProgram):
            programs.encode_cycle_request(programs.AddProgram(program))
        else:
            programs.encode_scheduled_request(programs.AddProgram(program))
    except programs.IrrigationProgramError as err:
        raise invalid("invalid_program", error=str(err)) from err
    return program


def _existing(stored: tuple[programs.StoredProgram[Any], ...], program_id: int) -> Any:
    for item in stored:
        if item.program_id == program_id:
            return item.program
    raise invalid("unknown_program", program_id=program_id)


async def _handle(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    controllers = _controllers(hass, call)
    data = dict(call.data)
    responses: dict[str, Any] = {}
    # Validate everything for every target before anything is sent to any valve.
    plans = {
        entity_id: _plan(call.service, data, c) for entity_id, c in controllers.items()
    }
    for entity_id, controller in controllers.items():
        lists = await plans[entity_id](controller)
        responses[entity_id] = (lists or controller.lists).as_response()
    return responses if call.return_response else None


type Plan = Callable[[ValveController], Awaitable[ProgramLists | None]]


def _plan(service: str, data: dict[str, Any], controller: ValveController) -> Plan:
    """Validate ``data`` for one valve and return the coroutine function that applies it."""
    lists = controller.lists
    if service == SERVICE_START_IRRIGATION:
        seconds = data["duration"].total_seconds()
        if seconds != int(seconds):
            raise invalid("duration_whole_seconds")
        seconds = _check_range(
            "duration", int(seconds), 1, tuya_dp.MAX_DURATION_SECONDS
        )

        async def start(c: ValveController) -> None:
            await c.async_start_irrigation(seconds)

        return start
    if service == SERVICE_ADD_SCHEDULED:
        program = build_scheduled(data, None)
        return lambda c: c.async_scheduled_request(programs.AddProgram(program))
    if service == SERVICE_UPDATE_SCHEDULED:
        program_id = data["program_id"]
        updated = build_scheduled(data, _existing(lists.scheduled, program_id))
        return lambda c: c.async_scheduled_request(
            programs.ModifyProgram(program_id, updated)
        )
    if service == SERVICE_ADD_CYCLE:
        cycle = build_cycle(data, None)
        return lambda c: c.async_cycle_request(programs.AddProgram(cycle))
    if service == SERVICE_UPDATE_CYCLE:
        program_id = data["program_id"]
        cycle_updated = build_cycle(data, _existing(lists.cycle, program_id))
        return lambda c: c.async_cycle_request(
            programs.ModifyProgram(program_id, cycle_updated)
        )
    if service == SERVICE_DELETE_PROGRAM:
        program_id = data["program_id"]
        if data["program_type"] == "scheduled":
            _existing(lists.scheduled, program_id)
            return lambda c: c.async_scheduled_request(
                programs.DeleteProgram(program_id)
            )
        _existing(lists.cycle, program_id)
        return lambda c: c.async_cycle_request(programs.DeleteProgram(program_id))
    return lambda c: c.async_refresh()


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the service actions."""

    async def handle(call: ServiceCall) -> ServiceResponse:
        return await _handle(hass, call)

    for service, schema in SCHEMAS.items():
        hass.services.async_register(
            DOMAIN,
            service,
            handle,
            schema=schema,
            supports_response=SupportsResponse.OPTIONAL,
        )
