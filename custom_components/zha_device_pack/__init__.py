"""ZHA Device Pack: extra quirks and gateway logic for ZHA devices."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.zha.helpers import get_zha_data, get_zha_gateway_proxy
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN, ISSUE_QUIRKS_DISABLED
from .irrigation.controller import IrrigationManager
from .quirk_manager import QuirkManager
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS: list[Platform] = [Platform.CALENDAR]


@dataclass
class PackRuntimeData:
    """Runtime objects of the config entry."""

    quirk_manager: QuirkManager
    irrigation: IrrigationManager


type ZhaDevicePackConfigEntry = ConfigEntry[PackRuntimeData]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration: its service actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: ZhaDevicePackConfigEntry
) -> bool:
    """Register our quirks with ZHA and move loaded devices onto them."""
    try:
        get_zha_gateway_proxy(hass)
    except ValueError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="zha_not_ready"
        ) from err

    if get_zha_data(hass).yaml_config.get("enable_quirks", True):
        ir.async_delete_issue(hass, DOMAIN, ISSUE_QUIRKS_DISABLED)
    else:
        ir.async_create_issue(
            hass,
            DOMAIN,
            ISSUE_QUIRKS_DISABLED,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_QUIRKS_DISABLED,
        )

    manager = QuirkManager(hass, entry)
    await manager.async_start()
    irrigation = IrrigationManager(hass)
    await irrigation.async_start()
    entry.runtime_data = PackRuntimeData(quirk_manager=manager, irrigation=irrigation)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: ZhaDevicePackConfigEntry
) -> bool:
    """Remove exactly our quirk entries; devices keep their quirk until ZHA resolves again."""
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    await entry.runtime_data.irrigation.async_stop()
    await entry.runtime_data.quirk_manager.async_stop(restore_devices=False)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Move devices that used our quirks back onto the built-in ones when the user removes us."""
    manager = QuirkManager(hass, entry)
    await manager.async_reresolve_changed()
    ir.async_delete_issue(hass, DOMAIN, ISSUE_QUIRKS_DISABLED)
