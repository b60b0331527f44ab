"""Adding a meter to Home Assistant's Energy preferences (what the Energy dashboard shows).

The meter's own summation sensors are the sources (their long-term statistics, compiled by
the recorder from ``TOTAL_INCREASING``): an electricity meter is a grid source (delivered =
import, received = export, demand = power), a generation meter a solar source, a gas or water
meter a gas or water source, an EV charger or heating element a device. Existing preferences
are kept; a meter already there is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from homeassistant.components.energy.data import (
    GAS_SOURCE_SCHEMA,
    GRID_SOURCE_SCHEMA,
    SOLAR_SOURCE_SCHEMA,
    WATER_SOURCE_SCHEMA,
    async_get_manager,
)
from homeassistant.core import HomeAssistant

from ..errors import validation_error
from ..protocol.metering import MeteringDeviceType as Type


def _grid(ids: Mapping[str, str | None]) -> dict[str, Any]:
    source: dict[str, Any] = GRID_SOURCE_SCHEMA(
        {
            "type": "grid",
            "stat_energy_from": ids["summation_delivered"],
            "stat_energy_to": ids.get("summation_received"),
            "cost_adjustment_day": 0.0,
        }
    )
    if (demand := ids.get("instantaneous_demand")) is not None:
        source["stat_rate"] = demand
    return source


def _flow(
    kind: str, schema: Callable[[Any], Any]
) -> Callable[[Mapping[str, str | None]], dict[str, Any]]:
    def build(ids: Mapping[str, str | None]) -> dict[str, Any]:
        source: dict[str, Any] = schema(
            {
                "type": kind,
                "stat_energy_from": ids["summation_delivered"],
                "stat_cost": None,
                "entity_energy_price": None,
                "number_energy_price": None,
            }
        )
        return source

    return build


def _solar(ids: Mapping[str, str | None]) -> dict[str, Any]:
    source: dict[str, Any] = SOLAR_SOURCE_SCHEMA(
        {
            "type": "solar",
            "stat_energy_from": ids["summation_delivered"],
            "config_entry_solar_forecast": None,
        }
    )
    return source


# Energy source builders by meter type (MeteringDeviceType, mirrors included).
_SOURCES: Final[dict[Type, Callable[[Mapping[str, str | None]], dict[str, Any]]]] = {
    Type.ELECTRIC: _grid,
    Type.GAS: _flow("gas", GAS_SOURCE_SCHEMA),
    Type.WATER: _flow("water", WATER_SOURCE_SCHEMA),
    Type.PV_GENERATION: _solar,
    Type.WIND_TURBINE_GENERATION: _solar,
    Type.WATER_TURBINE_GENERATION: _solar,
    Type.MICRO_GENERATION: _solar,
}
_DEVICES: Final = frozenset(
    {
        Type.EV_CHARGING,
        Type.ELECTRIC_ELEMENT_1,
        Type.ELECTRIC_ELEMENT_2,
        Type.ELECTRIC_ELEMENT_3,
    }
)


async def async_add_meter(
    hass: HomeAssistant,
    meter_type: Type | None,
    ids: Mapping[str, str | None],
    name: str,
) -> dict[str, Any]:
    """Add the meter's statistics to the Energy preferences; return what is there for it."""
    delivered = ids.get("summation_delivered")
    if delivered is None:
        raise validation_error("metering_no_summation", meter=name)
    manager = await async_get_manager(hass)
    prefs = manager.data or manager.default_preferences()
    if meter_type in _DEVICES:
        devices = list(prefs["device_consumption"])
        for device in devices:
            if device["stat_consumption"] == delivered:
                return {"added": False, "device_consumption": dict(device)}
        new_device: dict[str, Any] = {"stat_consumption": delivered, "name": name}
        await manager.async_update({"device_consumption": [*devices, new_device]})  # type: ignore[typeddict-item]
        return {"added": True, "device_consumption": new_device}
    if meter_type is None or (build := _SOURCES.get(meter_type)) is None:
        raise validation_error("metering_no_energy_source", meter=name)
    sources = list(prefs["energy_sources"])
    for source in sources:
        if source.get("stat_energy_from") == delivered:
            return {"added": False, "source": dict(source)}
    new_source = build(ids)
    await manager.async_update({"energy_sources": [*sources, new_source]})  # type: ignore[typeddict-item]
    return {"added": True, "source": new_source}
