"""Config flow for ZHA Device Pack: one entry; options and subentries come from the families."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.core import callback

from . import families as pack_families, zha_bridge
from .const import DOMAIN
from .family import DeviceFamily


class ZhaDevicePackConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add ZHA Device Pack on top of a running ZHA (one instance: manifest single_config_entry)."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm adding the integration once ZHA is running."""
        if zha_bridge.loaded_zha_entry(self.hass) is None:
            return self.async_abort(reason="zha_not_loaded")
        if user_input is None:
            return self.async_show_form(step_id="user")
        return self.async_create_entry(title="ZHA Device Pack", data={})

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Return the options flow."""
        return ZhaDevicePackOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the families' subentry flows (rooms, meters …)."""
        return {
            subentry_type: flow
            for family in pack_families.FAMILIES
            for subentry_type, flow in family.subentry_flows.items()
        }


class ZhaDevicePackOptionsFlow(OptionsFlow):
    """A menu with one step per family that has options; each step edits that family's part.

    A family's options are stored under its name in the entry options; the entry's update
    listener hands changes to the running families, no restart needed.
    """

    def _families_with_options(self) -> dict[str, type[DeviceFamily]]:
        options = self.config_entry.options
        return {
            family.name: family
            for family in pack_families.FAMILIES
            if family.options_schema(options.get(family.name, {})) is not None
        }

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the families that have options (abort when none has)."""
        if not (families := self._families_with_options()):
            return self.async_abort(reason="no_options")
        return self.async_show_menu(step_id="init", menu_options=list(families))

    def __getattr__(
        self, name: str
    ) -> Callable[[dict[str, Any] | None], Coroutine[Any, Any, ConfigFlowResult]]:
        """Resolve ``async_step_<family>`` (HA calls a menu option's step by name)."""
        family_name = name.removeprefix("async_step_")
        if family_name != name and family_name in (
            family.name for family in pack_families.FAMILIES
        ):

            async def step(
                user_input: dict[str, Any] | None = None,
            ) -> ConfigFlowResult:
                return await self._async_step_family(family_name, user_input)

            return step
        raise AttributeError(name)

    async def _async_step_family(
        self, family_name: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        family = self._families_with_options()[family_name]
        current = self.config_entry.options.get(family_name, {})
        schema: Any = family.options_schema(current)
        if user_input is None:
            return self.async_show_form(
                step_id=family_name,
                data_schema=self.add_suggested_values_to_schema(schema, current),
            )
        return self.async_create_entry(
            data={**self.config_entry.options, family_name: user_input}
        )
