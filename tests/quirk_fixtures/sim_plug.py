"""A v2 quirk for the simulated SimCo SimPlug: swaps the default switch for a button + sensor.

It changes the entity set visibly, which is what the registration and re-resolve tests look for.
"""

from __future__ import annotations

from typing import Any

from zha.application import Platform
from zhaquirks.builder import QuirkBuilder
from zigpy.zcl.clusters.general import OnOff


def _is_default_switch(entity: Any) -> bool:
    return bool(entity.PLATFORM == Platform.SWITCH)


def quirks() -> list[QuirkBuilder]:
    """Return the quirk chains of this module."""
    return [
        QuirkBuilder("SimCo", "SimPlug")
        .friendly_name(manufacturer="SimCo", model="SimPlug (Device Pack)")
        .prevent_default_entity_creation(
            endpoint_id=1, cluster_id=OnOff.cluster_id, function=_is_default_switch
        )
        .command_button(
            OnOff.ServerCommandDefs.toggle.name,
            OnOff.cluster_id,
            translation_key="toggle",
            fallback_name="Toggle",
        )
        .sensor(
            OnOff.AttributeDefs.on_time.name,
            OnOff.cluster_id,
            translation_key="on_time",
            fallback_name="On time",
        )
    ]
