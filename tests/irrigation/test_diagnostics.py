"""The irrigation family's section of the entry diagnostics."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from tests.irrigation.conftest import call
from tests.simulator import SimDevice


async def test_irrigation_diagnostics(
    hass: HomeAssistant,
    hass_client: object,
    pack_setup: MockConfigEntry,
    valve_device: SimDevice,
    valve: str,
    snapshot: SnapshotAssertion,
) -> None:
    """Every valve with its program lists, IEEE redacted."""
    await call(
        hass,
        "add_scheduled_irrigation",
        valve,
        start_time="06:30",
        duration=20,
        weekdays=["mon", "thu"],
        start_date="2026-11-01",
    )

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, pack_setup)

    # "updated" is the time of the valve's last answer.
    assert diagnostics["families"]["irrigation"] == snapshot(exclude=props("updated"))
    assert str(valve_device.ieee) not in str(diagnostics)
