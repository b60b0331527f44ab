"""Entities of the heating rooms (one device per room) and of the heating hub."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.climate import ClimateEntity
from homeassistant.components.climate.const import (
    ClimateEntityFeature,
    HVACAction,
    HVACMode,
)
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.const import (
    ATTR_TEMPERATURE,
    PERCENTAGE,
    EntityCategory,
    Platform,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from .room import PRESET_MODES, RoomController

if TYPE_CHECKING:
    from .family import DanfossFamily

HUB_IDENTIFIER: Final = "danfoss_heating"


class RoomEntity(Entity):
    """An entity of a heating room's device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, family: DanfossFamily, room: RoomController, key: str) -> None:
        """Attach to ``room`` (the controller object lives as long as the subentry)."""
        self.family = family
        self.room = room
        room_id = room.config.subentry_id
        self._attr_unique_id = f"danfoss_room_{room_id}_{key}"
        self._attr_translation_key = f"room_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"room_{room_id}")},
            name=room.config.name,
            manufacturer="ZHA Device Pack",
            model="Heating room",
        )

    async def async_added_to_hass(self) -> None:
        """Follow the room."""
        self.async_on_remove(self.room.add_listener(self.async_write_ha_state))

    @property
    def available(self) -> bool:
        """Return True while at least one TRV of the room is on our quirk."""
        return any(trv.available for trv in self.room.trvs)


class RoomClimate(RoomEntity, ClimateEntity):
    """The room thermostat: one setpoint and programming mode for all its TRVs."""

    _attr_name = None
    _attr_hvac_modes = [HVACMode.HEAT]  # noqa: RUF012 - HA declares it an instance variable
    _attr_hvac_mode = HVACMode.HEAT
    _attr_preset_modes = list(PRESET_MODES)  # noqa: RUF012 - as above
    _attr_supported_features = (
        ClimateEntityFeature.TARGET_TEMPERATURE | ClimateEntityFeature.PRESET_MODE
    )
    _attr_target_temperature_step = 0.5
    _attr_temperature_unit = UnitOfTemperature.CELSIUS

    def __init__(self, family: DanfossFamily, room: RoomController) -> None:
        """Create the room's climate entity."""
        super().__init__(family, room, "climate")
        self._attr_translation_key = "room"

    async def async_added_to_hass(self) -> None:
        """Follow the room; put the room device in its area (set in the room's settings)."""
        await super().async_added_to_hass()
        area_id = self.room.config.area_id
        if area_id and self.registry_entry and self.registry_entry.device_id:
            registry = dr.async_get(self.hass)
            device = registry.async_get(self.registry_entry.device_id)
            if device is not None and device.area_id != area_id:
                registry.async_update_device(device.id, area_id=area_id)

    @property
    def current_temperature(self) -> float | None:
        """Return the room sensor's temperature (else the TRVs' mean)."""
        return self.room.room_temperature

    @property
    def target_temperature(self) -> float | None:
        """Return the TRVs' setpoint."""
        return self.room.target_temperature

    @property
    def min_temp(self) -> float:
        """Return the highest lower limit of the room's TRVs."""
        return self.room.min_temperature

    @property
    def max_temp(self) -> float:
        """Return the lowest upper limit of the room's TRVs."""
        return self.room.max_temperature

    @property
    def hvac_action(self) -> HVACAction:
        """Return heating while any TRV of the room requests heat."""
        return HVACAction.HEATING if self.room.heat_required else HVACAction.IDLE

    @property
    def preset_mode(self) -> str | None:
        """Return the TRVs' programming mode as a preset."""
        return self.room.preset_mode

    async def async_set_temperature(self, **kwargs: Any) -> None:
        """Send the setpoint to every TRV of the room."""
        await self.room.async_set_temperature(float(kwargs[ATTR_TEMPERATURE]))

    async def async_set_hvac_mode(self, hvac_mode: HVACMode) -> None:
        """Only heat exists: Danfoss refuses every other system mode (spec p.5)."""

    async def async_set_preset_mode(self, preset_mode: str) -> None:
        """Set the programming mode of every TRV of the room."""
        await self.room.async_set_preset(preset_mode)
        self.family.schedules.remember_mode(self.room.trvs, PRESET_MODES[preset_mode])


@dataclass(frozen=True, kw_only=True, slots=True)
class RoomSensorDescription:
    """A room sensor: its key and how it reads the room."""

    key: str
    value_fn: Callable[[RoomController], Any]
    unit: str | None = None
    device_class: SensorDeviceClass | None = None
    state_class: SensorStateClass | None = None
    diagnostic: bool = False


def _max_demand(room: RoomController) -> int | None:
    demands = room.heat_demands()
    return max(demands) if demands else None


def _mean_demand(room: RoomController) -> float | None:
    demands = room.heat_demands()
    return round(sum(demands) / len(demands), 1) if demands else None


ROOM_SENSORS: Final = (
    RoomSensorDescription(
        key="heat_demand_max",
        value_fn=_max_demand,
        unit=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    RoomSensorDescription(
        key="heat_demand_mean",
        value_fn=_mean_demand,
        unit=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
    ),
    RoomSensorDescription(
        key="external_sensor_sent",
        value_fn=lambda room: room.sensor_sent_at,
        device_class=SensorDeviceClass.TIMESTAMP,
        diagnostic=True,
    ),
    RoomSensorDescription(
        key="load_room_mean",
        value_fn=lambda room: room.load_room_mean,
        state_class=SensorStateClass.MEASUREMENT,
        diagnostic=True,
    ),
)


class RoomSensor(RoomEntity, SensorEntity):
    """A reading of a room."""

    def __init__(
        self,
        family: DanfossFamily,
        room: RoomController,
        description: RoomSensorDescription,
    ) -> None:
        """Create the sensor of ``description``."""
        super().__init__(family, room, description.key)
        self._description = description
        self._attr_native_unit_of_measurement = description.unit
        self._attr_device_class = description.device_class
        self._attr_state_class = description.state_class
        if description.diagnostic:
            self._attr_entity_category = EntityCategory.DIAGNOSTIC

    @property
    def native_value(self) -> Any:
        """Return the room's value."""
        return self._description.value_fn(self.room)


class RoomHeatRequired(RoomEntity, BinarySensorEntity):
    """On while any TRV of the room requests heat (0x4031)."""

    _attr_device_class = BinarySensorDeviceClass.HEAT

    def __init__(self, family: DanfossFamily, room: RoomController) -> None:
        """Create the room's heat request."""
        super().__init__(family, room, "heat_required")

    @property
    def is_on(self) -> bool:
        """Return True while heat is requested."""
        return self.room.heat_required


class RoomScheduleCalendar(RoomEntity, CalendarEntity):
    """The room's weekly schedule: one event per period, named after its setpoint."""

    def __init__(self, family: DanfossFamily, room: RoomController) -> None:
        """Create the room's schedule calendar."""
        super().__init__(family, room, "schedule")

    async def async_added_to_hass(self) -> None:
        """Follow the room and the stored schedules."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.family.schedules.add_listener(self.async_write_ha_state)
        )

    def _week(self) -> dict[int, Any]:
        return self.family.schedules.rooms.get(self.room.config.subentry_id, {})

    def _transitions(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, int]]:
        """Return the transition instants in [start - 7 days, end + 7 days] in HA's zone."""
        week = self._week()
        zone = dt_util.get_default_time_zone()
        day = (start.astimezone(zone) - timedelta(days=7)).date()
        last = (end.astimezone(zone) + timedelta(days=7)).date()
        found: list[tuple[datetime, int]] = []
        while day <= last:
            for transition in week.get(day.isoweekday() % 7, ()):
                at = datetime(
                    day.year,
                    day.month,
                    day.day,
                    transition.minutes // 60,
                    transition.minutes % 60,
                    tzinfo=zone,
                )
                found.append((at, transition.setpoint))
            day += timedelta(days=1)
        return found

    def _events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        transitions = self._transitions(start, end)
        events = []
        for (begin, setpoint), (until, _next) in pairwise(transitions):
            if until > start and begin < end:
                events.append(
                    CalendarEvent(
                        start=begin,
                        end=until,
                        summary=f"{setpoint / 100:.1f} °C",
                        description=self.room.config.name,
                    )
                )
        return events

    @property
    def event(self) -> CalendarEvent | None:
        """Return the period in force now."""
        now = dt_util.now()
        events = self._events(now, now + timedelta(seconds=1))
        return events[0] if events else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the periods in [start_date, end_date)."""
        return self._events(start_date, end_date)


class HubEntity(Entity):
    """An entity of the integration-level heating hub."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, family: DanfossFamily, key: str) -> None:
        """Attach to the family's rooms."""
        self.family = family
        self._attr_unique_id = f"danfoss_hub_{key}"
        self._attr_translation_key = f"hub_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, HUB_IDENTIFIER)},
            name="Heating",
            manufacturer="ZHA Device Pack",
            model="Heating hub",
        )

    async def async_added_to_hass(self) -> None:
        """Follow every room."""
        self.async_on_remove(self.family.add_hub_listener(self.async_write_ha_state))


class HubHeatRequired(HubEntity, BinarySensorEntity):
    """On while any room requests heat: the boiler's switch."""

    _attr_device_class = BinarySensorDeviceClass.HEAT

    def __init__(self, family: DanfossFamily) -> None:
        """Create the hub's heat request."""
        super().__init__(family, "heat_required")

    @property
    def is_on(self) -> bool:
        """Return True while any room requests heat."""
        return self.family.heat_required


class HubHeatDemand(HubEntity, SensorEntity):
    """The highest PI heating demand of all rooms (%)."""

    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, family: DanfossFamily) -> None:
        """Create the hub's heat demand."""
        super().__init__(family, "heat_demand")

    @property
    def native_value(self) -> int | None:
        """Return the highest demand."""
        return self.family.heat_demand


# What each platform shows for a room and for the hub.
_ROOM_ENTITIES: Final[
    dict[Platform, Callable[[DanfossFamily, RoomController], list[Entity]]]
] = {
    Platform.CLIMATE: lambda family, room: [RoomClimate(family, room)],
    Platform.SENSOR: lambda family, room: [
        RoomSensor(family, room, description) for description in ROOM_SENSORS
    ],
    Platform.BINARY_SENSOR: lambda family, room: [RoomHeatRequired(family, room)],
    Platform.CALENDAR: lambda family, room: [RoomScheduleCalendar(family, room)],
}
_HUB_ENTITIES: Final[dict[Platform, Callable[[DanfossFamily], list[Entity]]]] = {
    Platform.SENSOR: lambda family: [HubHeatDemand(family)],
    Platform.BINARY_SENSOR: lambda family: [HubHeatRequired(family)],
}


@callback
def room_entities(
    family: DanfossFamily, room: RoomController, platform: Platform
) -> list[Entity]:
    """Return the entities of ``room`` on ``platform``."""
    build = _ROOM_ENTITIES.get(platform)
    return [] if build is None else build(family, room)


@callback
def hub_entities(family: DanfossFamily, platform: Platform) -> list[Entity]:
    """Return the hub's entities on ``platform``."""
    build = _HUB_ENTITIES.get(platform)
    return [] if build is None else build(family)
