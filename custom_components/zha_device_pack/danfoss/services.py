"""Weekly schedule actions: set, get and clear, on a room climate or a TRV's own climate entity.

``schedule`` maps weekday keys (``mon`` … ``sun``) to lists of ``{time, temperature}``; each day
given replaces that day (as SetWeeklySchedule does on the TRV), days not given keep theirs.
A room's schedule goes to all its TRVs; a TRV's climate entity (ZHA's) targets that TRV alone,
which must belong to a room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv, entity_registry as er
import voluptuous as vol

from .. import zha_bridge
from ..const import DOMAIN
from ..errors import validation_error
from ..family import FamilyService
from ..protocol import thermostat_schedule as ts
from ..schedules.weekdays import WEEKDAY_KEYS
from .room import RoomController
from .schedule import week_as_response
from .trv import TrvLink, setpoint_limits

if TYPE_CHECKING:
    from .family import DanfossFamily

SERVICE_SET: Final = "set_weekly_schedule"
SERVICE_GET: Final = "get_weekly_schedule"
SERVICE_CLEAR: Final = "clear_weekly_schedule"

TRANSITION: Final = vol.Schema(
    {vol.Required("time"): cv.time, vol.Required("temperature"): vol.Coerce(float)}
)
TARGET: Final = {vol.Required(ATTR_ENTITY_ID): cv.entity_ids}
SCHEMAS: Final = {
    SERVICE_SET: vol.Schema(
        {
            **TARGET,
            vol.Required("schedule"): vol.Schema(
                {
                    vol.Optional(day): vol.All(cv.ensure_list, [TRANSITION])
                    for day in WEEKDAY_KEYS
                }
            ),
        }
    ),
    SERVICE_GET: vol.Schema(TARGET),
    SERVICE_CLEAR: vol.Schema(TARGET),
}


@dataclass(frozen=True, slots=True)
class ScheduleTarget:
    """What an entity id designates: a room, or one TRV of a room."""

    entity_id: str
    room: RoomController
    trvs: list[TrvLink]
    trv_own: bool


def _target(family: DanfossFamily, entity_id: str) -> ScheduleTarget:
    entry = er.async_get(family.hass).async_get(entity_id)
    if entry is None or entry.domain != "climate":
        raise validation_error("danfoss_unknown_entity", entity_id=entity_id)
    if entry.platform == DOMAIN:
        room = next(
            (
                room
                for room in family.rooms.values()
                if entry.unique_id == f"danfoss_room_{room.config.subentry_id}_climate"
            ),
            None,
        )
        if room is None:
            raise validation_error("danfoss_unknown_entity", entity_id=entity_id)
        return ScheduleTarget(entity_id, room, list(room.trvs), trv_own=False)
    ieee = (
        zha_bridge.ieee_of_device_id(family.hass, entry.device_id)
        if entry.platform == "zha" and entry.device_id
        else None
    )
    if ieee is None or ieee not in family.trvs:
        raise validation_error("danfoss_unknown_entity", entity_id=entity_id)
    room = family.room_of(ieee)
    if room is None:
        raise validation_error("danfoss_trv_in_no_room", entity_id=entity_id)
    return ScheduleTarget(entity_id, room, [family.trvs[ieee]], trv_own=True)


def _ready(target: ScheduleTarget) -> list[TrvLink]:
    if any(trv.thermostat is None for trv in target.trvs) or not target.trvs:
        raise validation_error("danfoss_not_available", room=target.room.config.name)
    return target.trvs


def _days(schedule: dict[str, list[dict[str, Any]]]) -> dict[int, ts.DaySchedule]:
    def minutes(value: time) -> int:
        if value.second or value.microsecond:
            raise validation_error("danfoss_schedule_whole_minutes", time=str(value))
        return value.hour * 60 + value.minute

    days: dict[int, ts.DaySchedule] = {}
    for day, items in schedule.items():
        try:
            days[WEEKDAY_KEYS.index(day)] = tuple(
                ts.Transition(minutes(item["time"]), round(item["temperature"] * 100))
                for item in items
            )
        except ts.ScheduleError as err:
            raise validation_error(
                f"danfoss_schedule_{err.reason}", day=day, **err.placeholders
            ) from err
    return days


def _limits(target: ScheduleTarget) -> tuple[int, int]:
    low, high = setpoint_limits(target.trvs)
    return round(low * 100), round(high * 100)


async def _set(family: DanfossFamily, call: ServiceCall) -> ServiceResponse:
    targets = [_target(family, entity_id) for entity_id in call.data[ATTR_ENTITY_ID]]
    days = _days(call.data["schedule"])
    if not days:
        raise validation_error("danfoss_schedule_no_days")
    for target in targets:
        _ready(target)
        low, high = _limits(target)
        family.schedules.validate(days, min_setpoint=low, max_setpoint=high)
    response: dict[str, Any] = {}
    for target in targets:
        week = await family.schedules.async_set(
            target.trvs,
            days,
            room_id=target.room.config.subentry_id,
            trv_own=target.trv_own,
        )
        response[target.entity_id] = {"schedule": week_as_response(week)}
    return response


async def _get(family: DanfossFamily, call: ServiceCall) -> ServiceResponse:
    response: dict[str, Any] = {}
    for entity_id in call.data[ATTR_ENTITY_ID]:
        target = _target(family, entity_id)
        room_id = target.room.config.subentry_id
        week = (
            family.schedules.effective(target.trvs[0].ieee, room_id)
            if target.trv_own
            else family.schedules.rooms.get(room_id, {})
        )
        response[entity_id] = {"schedule": week_as_response(week)}
    return response


async def _clear(family: DanfossFamily, call: ServiceCall) -> ServiceResponse:
    targets = [_target(family, entity_id) for entity_id in call.data[ATTR_ENTITY_ID]]
    for target in targets:
        _ready(target)
    for target in targets:
        await family.schedules.async_clear(
            target.trvs,
            room_id=target.room.config.subentry_id,
            trv_own=target.trv_own,
        )
    return None


SERVICES: Final[dict[str, FamilyService[DanfossFamily]]] = {
    SERVICE_SET: FamilyService(schema=SCHEMAS[SERVICE_SET], handler=_set),
    SERVICE_GET: FamilyService(
        schema=SCHEMAS[SERVICE_GET],
        handler=_get,
        supports_response=SupportsResponse.ONLY,
    ),
    SERVICE_CLEAR: FamilyService(
        schema=SCHEMAS[SERVICE_CLEAR],
        handler=_clear,
        supports_response=SupportsResponse.NONE,
    ),
}
