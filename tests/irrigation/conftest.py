"""Fixtures and helpers of the irrigation family's tests: a TS0049 valve joined to ZHA."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack.const import DOMAIN
from custom_components.zha_device_pack.irrigation import IrrigationFamily
from tests.conftest import ZigbeeHarness
from tests.simulator import SimDevice
from tests.simulator.models import create_device


def irrigation(entry: ConfigEntry) -> IrrigationFamily:
    """Return the running irrigation family of our config entry."""
    family = entry.runtime_data.families[IrrigationFamily.name]
    assert isinstance(family, IrrigationFamily)
    return family


TUYA = 0xE001
ON_OFF = 0x0006
# DP17 record of the real capture in the seeds README: 08:00, 15 min, every day, 100 %,
# weekly + on, 2022-08-01, n=1.
CAPTURED_SCHEDULED = bytes.fromhex("01e0000f7f640107e6080101")


def entity(hass: HomeAssistant, device: SimDevice, domain: str, suffix: str) -> str:
    """Return the entity id of ``device`` in ``domain`` whose unique id ends with suffix."""
    registry = er.async_get(hass)
    for entry in registry.entities.values():
        if (
            entry.domain == domain
            and entry.unique_id.startswith(str(device.ieee))
            and entry.unique_id.endswith(suffix)
        ):
            return entry.entity_id
    raise AssertionError(f"no {domain} entity ending in {suffix} for {device}")


def tuya_frames(device: SimDevice, command: int) -> list[bytes]:
    """Return the payloads (after the ZCL header) of commands sent to 0xE001."""
    return [
        f.payload for f in device.frames(cluster=TUYA, command=command, general=False)
    ]


async def call(
    hass: HomeAssistant, service: str, valve: str, **data: Any
) -> dict[str, Any]:
    """Call one of our services on one valve and return its response for that valve."""
    response = await hass.services.async_call(
        DOMAIN,
        service,
        {"entity_id": valve, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    result: dict[str, Any] = response[valve]  # type: ignore[assignment]
    return result


async def calendar_events(
    hass: HomeAssistant, calendar: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Return the events ``calendar.get_events`` gives for [start, end)."""
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": calendar, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    events: list[dict[str, Any]] = response[calendar]["events"]  # type: ignore[index,assignment]
    return events


@pytest.fixture
def valve_answer_mode() -> str:
    """How the simulated valve answers program edits (parametrize: "list" or "seed").

    "list": every edit is answered with the whole program list; "seed": add and modify are
    answered with the edited task alone, as seed 004's data-format table words it.
    """
    return "list"


@pytest.fixture
async def valve_device(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    valve_answer_mode: str,
) -> SimDevice:
    """A TS0049 valve joined to ZHA with our quirk; its programs were refreshed on join.

    Its status (the report it sends as it joins) is on its entities already.
    """
    device = create_device("ts0049", answer_mode=valve_answer_mode)
    await zigbee.join(device)
    await zigbee.network.settle()
    await hass.async_block_till_done()
    controllers = irrigation(pack_setup).controllers
    await zigbee.wait_for(
        lambda: (
            device.ieee in controllers
            and controllers[device.ieee].lists.updated is not None
        ),
        what="programs read on join",
    )
    return device


@pytest.fixture
def valve(hass: HomeAssistant, valve_device: SimDevice) -> str:
    """The valve entity id."""
    return entity(hass, valve_device, "valve", "-valve")
