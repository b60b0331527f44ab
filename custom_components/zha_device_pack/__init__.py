"""ZHA Device Pack: extra quirks and gateway logic for ZHA devices."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.zha.helpers import get_zha_data, get_zha_gateway_proxy
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN, ISSUE_QUIRKS_DISABLED
from .quirk_manager import QuirkManager

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


@dataclass
class PackRuntimeData:
    """Runtime objects of the config entry."""

    quirk_manager: QuirkManager


type ZhaDevicePackConfigEntry = ConfigEntry[PackRuntimeData]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration (services of the device families register here)."""
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
    entry.runtime_data = PackRuntimeData(quirk_manager=manager)
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: ZhaDevicePackConfigEntry
) -> bool:
    """Remove exactly our quirk entries; devices keep their quirk until ZHA resolves again."""
    await entry.runtime_data.quirk_manager.async_stop(restore_devices=False)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Move devices that used our quirks back onto the built-in ones when the user removes us."""
    manager = QuirkManager(hass, entry)
    await manager.async_reresolve_changed()
    ir.async_delete_issue(hass, DOMAIN, ISSUE_QUIRKS_DISABLED)
