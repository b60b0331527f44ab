"""ZHA Device Pack: extra quirks and gateway logic for ZHA devices."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.typing import ConfigType

from . import families as pack_families, zha_bridge
from .const import DOMAIN, ISSUE_QUIRKS_DISABLED
from .families import PackRuntimeData, ZhaDevicePackConfigEntry, platforms
from .quirk_manager import QuirkManager
from .quirks.smart_energy import hear_smart_energy_frames
from .services import async_setup_services
from .zha_devices import ZhaDeviceTracker

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

__all__ = ["ZhaDevicePackConfigEntry"]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration: the families' service actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: ZhaDevicePackConfigEntry
) -> bool:
    """Register our quirks with ZHA, move loaded devices onto them, start the families."""
    if zha_bridge.gateway(hass) is None:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="zha_not_ready"
        )

    quirks_enabled = zha_bridge.quirks_enabled(hass)
    if quirks_enabled:
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

    if (zha_gateway := zha_bridge.gateway(hass)) is not None:
        # meters that only speak on a Smart Energy endpoint must be heard at interview
        entry.async_on_unload(
            zha_bridge.watch_new_zigpy_devices(zha_gateway, hear_smart_energy_frames)
        )
    manager = QuirkManager(hass, entry)
    await manager.async_start(register=quirks_enabled)
    families = {family.name: family(hass, entry) for family in pack_families.FAMILIES}
    for family in families.values():
        await family.async_start()
    tracker = ZhaDeviceTracker(hass, families.values())
    entry.runtime_data = PackRuntimeData(
        quirk_manager=manager, tracker=tracker, families=families
    )
    tracker.async_start()
    entry.async_on_unload(tracker.async_stop)
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    await hass.config_entries.async_forward_entry_setups(
        entry, platforms(families.values())
    )
    return True


async def _async_entry_updated(
    hass: HomeAssistant, entry: ZhaDevicePackConfigEntry
) -> None:
    """Apply changed options and subentries without a restart."""
    for family in entry.runtime_data.families.values():
        family.async_entry_updated()


async def async_unload_entry(
    hass: HomeAssistant, entry: ZhaDevicePackConfigEntry
) -> bool:
    """Remove exactly our quirk entries; devices keep their quirk until ZHA resolves again."""
    if not await hass.config_entries.async_unload_platforms(
        entry, platforms(entry.runtime_data.families.values())
    ):
        return False
    entry.runtime_data.tracker.async_stop()
    for family in entry.runtime_data.families.values():
        await family.async_stop()
    await entry.runtime_data.quirk_manager.async_stop(restore_devices=False)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Move devices that used our quirks back onto the built-in ones when the user removes us."""
    if (zha_gateway := zha_bridge.gateway(hass)) is not None:
        # meters that only speak on a Smart Energy endpoint must be heard at interview
        entry.async_on_unload(
            zha_bridge.watch_new_zigpy_devices(zha_gateway, hear_smart_energy_frames)
        )
    manager = QuirkManager(hass, entry)
    await manager.async_reresolve_changed()
    ir.async_delete_issue(hass, DOMAIN, ISSUE_QUIRKS_DISABLED)
