"""Service actions of the irrigation family (TS0049 valves).

The actions target the valve entity (ZHA's ``valve`` entity of a TS0049 on our quirk) and
answer with the valve's program lists. Every value is checked here, with a translated error,
for every targeted valve before anything is sent; the stored lists only change with the
valve's answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, time, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ..const import DOMAIN
from ..errors import validation_error
from ..family import FamilyService
from ..protocol import irrigation_program as programs, tuya_dp
from ..schedules import weekdays
from ..schedules.clock import minute_of_time, minute_text
from .controller import ProgramLists, ValveController
from .schedule import ProgramKind

if TYPE_CHECKING:
    from .family import IrrigationFamily

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

WEEKDAYS = vol.All(cv.ensure_list, [vol.In(weekdays.WEEKDAY_KEYS)])
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
        {**PROGRAM_ID, vol.Required("program_type"): vol.In(list(ProgramKind))}
    ),
    SERVICE_REFRESH_PROGRAMS: cv.make_entity_service_schema({}),
}


class FieldValueError(ValueError):
    """A service field's value is refused; the handler names the field as the UI does."""

    def __init__(self, key: str, field: str, **placeholders: Any) -> None:
        """Keep the translation key, the field key and the other placeholders."""
        super().__init__(f"{key}: {field} {placeholders}")
        self.key = key
        self.field = field
        self.placeholders = placeholders


def _check_range(
    field: str, value: int, minimum: int, maximum: int, *, unit: str
) -> int:
    """Return ``value`` when in range; ``unit`` picks the message (minutes, percent, days)."""
    if not minimum <= value <= maximum:
        raise FieldValueError(
            f"irrigation_{unit}_out_of_range",
            field,
            value=value,
            minimum=minimum,
            maximum=maximum,
        )
    return value


def _minute_of_day(field: str, value: time) -> int:
    if value.second or value.microsecond:
        raise FieldValueError(
            "irrigation_time_not_whole_minute", field, value=value.isoformat()
        )
    return minute_of_time(value)


def _shared_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Return the program changes of the fields both program kinds have."""
    changes: dict[str, Any] = {}
    if "water_flow" in data:
        changes["water_flow_percent"] = _check_range(
            "water_flow",
            data["water_flow"],
            0,
            programs.MAX_WATER_FLOW_PERCENT,
            unit="percent",
        )
    if "weekdays" in data:
        changes["days"] = programs.Weekday(weekdays.bits_of_keys(data["weekdays"]))
    if "enabled" in data:
        changes["enabled"] = data["enabled"]
    return changes


def _require(data: dict[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        if name not in data:
            raise FieldValueError("irrigation_missing_field", name)


def _program[P: (programs.CycleIrrigationProgram, programs.ScheduledIrrigationProgram)](
    base: P, changes: dict[str, Any]
) -> P:
    """Apply ``changes``; whatever the codec still refuses is refused before sending."""
    try:
        program = replace(base, **changes)
        if isinstance(program, programs.CycleIrrigationProgram):
            programs.encode_cycle_request(programs.AddProgram(program))
        else:
            programs.encode_scheduled_request(programs.AddProgram(program))
    except programs.IrrigationProgramError as err:
        raise validation_error("irrigation_invalid_program", error=str(err)) from err
    return program


def build_scheduled(
    data: dict[str, Any], base: programs.ScheduledIrrigationProgram | None
) -> programs.ScheduledIrrigationProgram:
    """Build a DP17 program from service fields (``base`` supplies missing ones)."""
    creating = base is None
    if base is None:
        _require(data, ("start_time", "duration"))
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
            "duration",
            data["duration"],
            1,
            programs.MAX_PROGRAM_MINUTES,
            unit="minutes",
        )
    if "start_date" in data:
        start_date: date = data["start_date"]
        changes["start_date"] = start_date
    if "interval_days" in data:
        changes["interval_days"] = _check_range(
            "interval_days",
            data["interval_days"],
            programs.MIN_INTERVAL_DAYS,
            programs.MAX_INTERVAL_DAYS,
            unit="days",
        )
    recurrence_key = data.get("recurrence")
    if recurrence_key is not None:
        changes["recurrence"] = RECURRENCES[recurrence_key]
    changes.update(_shared_fields(data))
    if recurrence_key == "once":
        changes["days"] = programs.Weekday(0)
    if recurrence_key == "every_n_days" and "interval_days" not in data and creating:
        raise FieldValueError("irrigation_missing_field", "interval_days")
    program = _program(base, changes)
    if (
        recurrence_key == "weekly" or (recurrence_key is None and "weekdays" in data)
    ) and not program.days:
        raise validation_error("irrigation_weekdays_required")
    return program


def build_cycle(
    data: dict[str, Any], base: programs.CycleIrrigationProgram | None
) -> programs.CycleIrrigationProgram:
    """Build a DP16 program from service fields (``base`` supplies missing ones)."""
    if base is None:
        _require(
            data, ("start_time", "end_time", "irrigation_duration", "pause_duration")
        )
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
                field,
                data[field],
                minimum,
                programs.MAX_PROGRAM_MINUTES,
                unit="minutes",
            )
    changes.update(_shared_fields(data))
    program = _program(base, changes)
    # An end before the start is an overnight window (it ends the next day), as the valve and
    # the calendar read it; the same minute twice is a window without any watering.
    if program.end_minute == program.start_minute:
        raise validation_error(
            "irrigation_empty_window", time=minute_text(program.start_minute)
        )
    return program


def _valves(family: IrrigationFamily, call: ServiceCall) -> dict[str, ValveController]:
    """Return the controller of every targeted valve entity."""
    registry = er.async_get(family.hass)
    result: dict[str, ValveController] = {}
    for entity_id in call.data.get(ATTR_ENTITY_ID, []):
        entry = registry.async_get(entity_id)
        controller = (
            family.controller_for_device_id(entry.device_id)
            if entry is not None and entry.device_id and entry.domain == "valve"
            else None
        )
        if controller is None:
            raise validation_error("irrigation_not_a_ts0049_valve", entity_id=entity_id)
        result[entity_id] = controller
    if not result:
        raise validation_error("irrigation_no_valve_targeted")
    return result


type Apply = Callable[[ValveController], Awaitable[ProgramLists | None]]
type Planner = Callable[[dict[str, Any], ProgramLists], Apply]


def _period_text(period: timedelta) -> str:
    """Return a duration as the user typed it in the UI: hours:minutes:seconds."""
    total = int(period.total_seconds())
    sign, total = ("-", -total) if total < 0 else ("", total)
    return f"{sign}{total // 3600}:{total // 60 % 60:02d}:{total % 60:02d}"


async def _field_names(hass: HomeAssistant, service: str) -> dict[str, str]:
    """Return the service's field names as the UI shows them, in the user's language."""
    translations = await async_get_translations(
        hass, hass.config.language, "services", {DOMAIN}
    )
    prefix = f"component.{DOMAIN}.services.{service}.fields."
    return {
        key.removeprefix(prefix).removesuffix(".name"): name
        for key, name in translations.items()
        if key.startswith(prefix) and key.endswith(".name")
    }


async def _run(
    planner: Planner, family: IrrigationFamily, call: ServiceCall
) -> ServiceResponse:
    """Validate the call for every targeted valve, then apply it to each in turn."""
    controllers = _valves(family, call)
    data = dict(call.data)
    try:
        plans = {
            entity_id: planner(data, controller.lists)
            for entity_id, controller in controllers.items()
        }
    except FieldValueError as err:
        names = await _field_names(call.hass, call.service)
        raise validation_error(
            err.key, field=names.get(err.field, err.field), **err.placeholders
        ) from err
    responses: dict[str, Any] = {}
    for entity_id, controller in controllers.items():
        lists = await plans[entity_id](controller)
        responses[entity_id] = (lists or controller.lists).as_response()
    return responses if call.return_response else None


def _plan_start(data: dict[str, Any], lists: ProgramLists) -> Apply:
    period: timedelta = data["duration"]
    seconds = period.total_seconds()
    if seconds != int(seconds):
        raise validation_error("irrigation_duration_whole_seconds")
    if not 1 <= seconds <= tuya_dp.MAX_DURATION_SECONDS:
        raise FieldValueError(
            "irrigation_duration_out_of_range", "duration", value=_period_text(period)
        )
    checked = int(seconds)

    async def start(controller: ValveController) -> None:
        await controller.async_start_irrigation(checked)

    return start


# The program builder of each kind: service fields (+ the stored program) -> program.
_BUILDERS: Final[dict[ProgramKind, Callable[[dict[str, Any], Any], Any]]] = {
    ProgramKind.SCHEDULED: build_scheduled,
    ProgramKind.CYCLE: build_cycle,
}


def _plan_add(kind: ProgramKind, data: dict[str, Any], lists: ProgramLists) -> Apply:
    request = programs.AddProgram(_BUILDERS[kind](data, None))
    return lambda c: c.async_program_request(kind, request)


def _plan_update(kind: ProgramKind, data: dict[str, Any], lists: ProgramLists) -> Apply:
    program_id = data["program_id"]
    base = lists.find(kind, program_id)
    request = programs.ModifyProgram(program_id, _BUILDERS[kind](data, base))
    return lambda c: c.async_program_request(kind, request)


def _plan_delete(data: dict[str, Any], lists: ProgramLists) -> Apply:
    kind = ProgramKind(data["program_type"])
    program_id = data["program_id"]
    lists.find(kind, program_id)
    request = programs.DeleteProgram(program_id)
    return lambda c: c.async_program_request(kind, request)


def _plan_refresh(data: dict[str, Any], lists: ProgramLists) -> Apply:
    return lambda c: c.async_refresh()


_PLANNERS: Final[dict[str, Planner]] = {
    SERVICE_START_IRRIGATION: _plan_start,
    SERVICE_ADD_SCHEDULED: partial(_plan_add, ProgramKind.SCHEDULED),
    SERVICE_UPDATE_SCHEDULED: partial(_plan_update, ProgramKind.SCHEDULED),
    SERVICE_ADD_CYCLE: partial(_plan_add, ProgramKind.CYCLE),
    SERVICE_UPDATE_CYCLE: partial(_plan_update, ProgramKind.CYCLE),
    SERVICE_DELETE_PROGRAM: _plan_delete,
    SERVICE_REFRESH_PROGRAMS: _plan_refresh,
}

SERVICES: Final[dict[str, FamilyService[IrrigationFamily]]] = {
    service: FamilyService(schema=SCHEMAS[service], handler=partial(_run, planner))
    for service, planner in _PLANNERS.items()
}
