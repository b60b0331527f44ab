"""Config flow for ZHA Device Pack."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import callback

from .const import DOMAIN, ZHA_DOMAIN


class ZhaDevicePackConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add ZHA Device Pack on top of a running ZHA (one instance: manifest single_config_entry)."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm adding the integration once ZHA is running."""
        if not any(
            entry.state is ConfigEntryState.LOADED
            for entry in self.hass.config_entries.async_entries(ZHA_DOMAIN)
        ):
            return self.async_abort(reason="zha_not_loaded")
        if user_input is None:
            return self.async_show_form(step_id="user")
        return self.async_create_entry(title="ZHA Device Pack", data={})

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Return the options flow."""
        return ZhaDevicePackOptionsFlow()


class ZhaDevicePackOptionsFlow(OptionsFlow):
    """Options of the device families (none has options yet)."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Tell the user that no installed feature has options yet."""
        return self.async_abort(reason="no_options")
