"""Config and options flow."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack.const import DOMAIN


async def test_user_flow_aborts_without_zha(hass: HomeAssistant) -> None:
    """Without a loaded ZHA there is nothing to extend."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "zha_not_loaded"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_user_flow_creates_entry(
    hass: HomeAssistant, zha_setup: MockConfigEntry
) -> None:
    """With ZHA running the flow asks for confirmation, creates the entry and sets it up."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "ZHA Device Pack"
    assert result["data"] == {}
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert entry.state is ConfigEntryState.LOADED


async def test_single_instance(
    hass: HomeAssistant, pack_setup: MockConfigEntry
) -> None:
    """A second flow aborts: the integration is single instance."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_options_flow_menu(
    hass: HomeAssistant, pack_setup: MockConfigEntry
) -> None:
    """The options flow offers one step per family with options (the ESI's price entity).

    Choosing the ESI's step and submitting nothing keeps the options empty; the ESI's
    option itself is tested end to end in ``tests/esi/test_price.py``.
    """
    result = await hass.config_entries.options.async_init(pack_setup.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["esi"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "esi"}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert pack_setup.options == {"esi": {}}
