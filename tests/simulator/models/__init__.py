"""Simulated device models.

A model is a factory ``(ieee=None, **options) -> SimDevice`` that declares the
device's endpoints, clusters, attributes and handlers; `MODELS` maps the model
key (stored in the simulator state file) to the factory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.simulator.device import SimDevice

from .common import auto_ieee
from .danfoss_ally import danfoss_ally
from .light import light
from .plug import plug
from .se_in_home_display import se_in_home_display
from .se_meters import se_electricity_meter, se_gas_meter, se_plug_2781, se_water_meter
from .temperature_sensor import temperature_sensor
from .ts0049 import ts0049

MODELS: dict[str, Callable[..., SimDevice]] = {
    "plug": plug,
    "light": light,
    "temperature_sensor": temperature_sensor,
    "ts0049": ts0049,
    "danfoss_ally": danfoss_ally,
    "se_electricity_meter": se_electricity_meter,
    "se_gas_meter": se_gas_meter,
    "se_water_meter": se_water_meter,
    "se_plug_2781": se_plug_2781,
    "se_in_home_display": se_in_home_display,
}


def create_device(model: str, **kwargs: Any) -> SimDevice:
    """Create a device of model ``model`` (a key of `MODELS`)."""
    try:
        factory = MODELS[model]
    except KeyError:
        raise KeyError(
            f"Unknown model {model!r}; known: {', '.join(sorted(MODELS))}"
        ) from None
    return factory(**kwargs)


__all__ = ["MODELS", "auto_ieee", "create_device"]
