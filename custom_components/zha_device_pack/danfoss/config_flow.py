"""The heating room subentry flow: create and edit a room in Settings → Devices & services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_NAME, UnitOfTemperature
from homeassistant.helpers import entity_registry as er, selector
import voluptuous as vol
from zigpy.types import EUI64

from .. import zha_bridge
from ..quirks.danfoss_ally import MODELS
from .room import (
    CONF_AREA,
    CONF_FAST_SETPOINT,
    CONF_HEAT_SOURCE,
    CONF_LOAD_BALANCING,
    CONF_RADIATOR_COVERED,
    CONF_TEMPERATURE_SENSOR,
    CONF_TRVS,
    CONF_WINDOW_SENSORS,
)
from .trv import thermostat_cluster

WINDOW_DEVICE_CLASSES: Final = ("window", "door", "opening", "garage_door")
TEMPERATURE_UNITS: Final = (UnitOfTemperature.CELSIUS, UnitOfTemperature.FAHRENHEIT)
HEAT_SOURCE_DOMAINS: Final = ("switch", "climate", "input_boolean")


def _schema() -> Any:  # voluptuous through HA's probatio shim
    return vol.Schema(
        {
            vol.Required(CONF_NAME): selector.TextSelector(),
            vol.Optional(CONF_AREA): selector.AreaSelector(),
            vol.Required(CONF_TRVS): selector.DeviceSelector(
                selector.DeviceSelectorConfig(
                    multiple=True,
                    filter=[
                        selector.DeviceFilterSelectorConfig(
                            integration="zha", manufacturer=manufacturer, model=model
                        )
                        for manufacturer, model in MODELS
                    ],
                )
            ),
            vol.Optional(CONF_TEMPERATURE_SENSOR): selector.EntitySelector(
                selector.EntitySelectorConfig(
                    domain="sensor", device_class="temperature"
                )
            ),
            vol.Optional(CONF_RADIATOR_COVERED, default=False): bool,
            vol.Optional(CONF_WINDOW_SENSORS): selector.EntitySelector(
                selector.EntitySelectorConfig(
                    domain="binary_sensor",
                    device_class=list(WINDOW_DEVICE_CLASSES),
                    multiple=True,
                )
            ),
            vol.Optional(CONF_HEAT_SOURCE): selector.EntitySelector(
                selector.EntitySelectorConfig(domain=list(HEAT_SOURCE_DOMAINS))
            ),
            vol.Optional(CONF_LOAD_BALANCING): bool,
            vol.Optional(CONF_FAST_SETPOINT, default=True): bool,
        }
    )


class RoomSubentryFlow(ConfigSubentryFlow):
    """Create or edit a heating room: its TRVs, sensors, heat source and options."""

    def __init__(self) -> None:
        """Start with no form placeholders."""
        super().__init__()
        self._placeholders: dict[str, str] = {"room": ""}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Create a room."""
        return await self._async_step_room("user", user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Edit a room."""
        subentry = self._get_reconfigure_subentry()
        return await self._async_step_room(
            "reconfigure", user_input, subentry.subentry_id
        )

    async def _async_step_room(
        self, step_id: str, user_input: dict[str, Any] | None, own_id: str | None
    ) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._validate(user_input, own_id)
            if not errors:
                title = user_input[CONF_NAME].strip()
                if own_id is None:
                    return self.async_create_entry(title=title, data=data)
                return self.async_update_and_abort(
                    self._get_entry(),
                    self._get_reconfigure_subentry(),
                    title=title,
                    data=data,
                )
        suggested = user_input
        if suggested is None and own_id is not None:
            subentry = self._get_reconfigure_subentry()
            suggested = self._form_values(subentry.title, subentry.data)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(_schema(), suggested or {}),
            errors=errors,
            description_placeholders=self._placeholders,
        )

    def _form_values(self, title: str, data: Mapping[str, Any]) -> dict[str, Any]:
        values = {key: value for key, value in data.items() if value is not None}
        values[CONF_NAME] = title
        values[CONF_TRVS] = [
            device_id
            for ieee in data.get(CONF_TRVS, ())
            if (device_id := zha_bridge.zha_device_id(self.hass, EUI64.convert(ieee)))
        ]
        return values

    def _validate(
        self, user_input: dict[str, Any], own_id: str | None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Return the subentry data and the form errors (field -> translation key)."""
        errors: dict[str, str] = {}
        if not user_input.get(CONF_NAME, "").strip():
            errors[CONF_NAME] = "name_required"
        trvs: list[str] = []
        for device_id in user_input.get(CONF_TRVS, []):
            ieee = zha_bridge.ieee_of_device_id(self.hass, device_id)
            device = None if ieee is None else zha_bridge.zha_device(self.hass, ieee)
            if device is None or thermostat_cluster(device) is None:
                errors[CONF_TRVS] = "not_ally_trv"
                break
            trvs.append(str(ieee))
        if not trvs and CONF_TRVS not in errors:
            errors[CONF_TRVS] = "no_trvs"
        if CONF_TRVS not in errors and (other := self._room_holding(trvs, own_id)):
            errors[CONF_TRVS] = "trv_in_other_room"
            self._placeholders["room"] = other
        sensor = user_input.get(CONF_TEMPERATURE_SENSOR)
        if sensor and not self._is_temperature_sensor(sensor):
            errors[CONF_TEMPERATURE_SENSOR] = "not_temperature_sensor"
        windows = user_input.get(CONF_WINDOW_SENSORS) or []
        if any(not self._is_window_sensor(entity_id) for entity_id in windows):
            errors[CONF_WINDOW_SENSORS] = "not_window_sensor"
        heat_source = user_input.get(CONF_HEAT_SOURCE)
        if heat_source and heat_source.split(".")[0] not in HEAT_SOURCE_DOMAINS:
            errors[CONF_HEAT_SOURCE] = "not_heat_source"
        data = {
            CONF_AREA: user_input.get(CONF_AREA),
            CONF_TRVS: trvs,
            CONF_TEMPERATURE_SENSOR: sensor or None,
            CONF_RADIATOR_COVERED: bool(user_input.get(CONF_RADIATOR_COVERED, False)),
            CONF_WINDOW_SENSORS: list(windows),
            CONF_HEAT_SOURCE: heat_source or None,
            # default on when the room has at least two TRVs (research §1)
            CONF_LOAD_BALANCING: bool(
                user_input.get(CONF_LOAD_BALANCING, len(trvs) >= 2)
            ),
            CONF_FAST_SETPOINT: bool(user_input.get(CONF_FAST_SETPOINT, True)),
        }
        return data, errors

    def _room_holding(self, trvs: list[str], own_id: str | None) -> str | None:
        for subentry in self._get_entry().subentries.values():
            if subentry.subentry_id == own_id or subentry.subentry_type != "room":
                continue
            if set(trvs) & set(subentry.data.get(CONF_TRVS, ())):
                return subentry.title
        return None

    def _entity_property(self, entity_id: str, name: str) -> Any:
        state = self.hass.states.get(entity_id)
        if state is not None and name in state.attributes:
            return state.attributes[name]
        entry = er.async_get(self.hass).async_get(entity_id)
        if entry is None:
            return None
        if name == "device_class":
            return entry.device_class or entry.original_device_class
        if name == "unit_of_measurement":
            return entry.unit_of_measurement
        return None

    def _is_temperature_sensor(self, entity_id: str) -> bool:
        return (
            entity_id.startswith("sensor.")
            and self._entity_property(entity_id, "device_class") == "temperature"
            and self._entity_property(entity_id, "unit_of_measurement")
            in TEMPERATURE_UNITS
        )

    def _is_window_sensor(self, entity_id: str) -> bool:
        return (
            entity_id.startswith("binary_sensor.")
            and self._entity_property(entity_id, "device_class")
            in WINDOW_DEVICE_CLASSES
        )
