"""The device families of ZHA Device Pack and the entry's runtime data.

Adding a family: a new package with a ``DeviceFamily`` subclass, and one line in ``FAMILIES``
(plus its quirk module in ``quirks.QUIRK_MODULES`` when it ships a quirk).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .danfoss import DanfossFamily
from .errors import validation_error
from .esi import EsiFamily
from .family import DeviceFamily
from .irrigation import IrrigationFamily
from .link import LinkFamily
from .metering import MeteringFamily
from .quirk_manager import QuirkManager
from .zha_devices import ZhaDeviceTracker

FAMILIES: Final[tuple[type[DeviceFamily], ...]] = (
    IrrigationFamily,
    DanfossFamily,
    MeteringFamily,
    EsiFamily,
    LinkFamily,
)


def platforms(families: Iterable[DeviceFamily]) -> list[Platform]:
    """Return every platform one of ``families`` has entities on, in a stable order."""
    return sorted({platform for family in families for platform in family.platforms})


@dataclass
class PackRuntimeData:
    """Runtime objects of the config entry."""

    quirk_manager: QuirkManager
    tracker: ZhaDeviceTracker
    families: dict[str, DeviceFamily]


type ZhaDevicePackConfigEntry = ConfigEntry[PackRuntimeData]


def loaded_family[F: DeviceFamily](hass: HomeAssistant, family: type[F]) -> F:
    """Return the running instance of ``family``; a translated error when not loaded."""
    entries: list[ZhaDevicePackConfigEntry] = hass.config_entries.async_loaded_entries(
        DOMAIN
    )
    if not entries:
        raise validation_error("integration_not_loaded")
    instance = entries[0].runtime_data.families[family.name]
    if not isinstance(instance, family):
        raise TypeError(f"{family.name} is a {type(instance).__name__}")
    return instance


@callback
def async_setup_platform_entities(
    entry: ZhaDevicePackConfigEntry,
    platform: Platform,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Let every family add its entities of ``platform`` (now and as devices appear)."""
    for family in entry.runtime_data.families.values():
        if platform in family.platforms:
            entry.async_on_unload(
                family.async_add_entities(platform, async_add_entities)
            )
