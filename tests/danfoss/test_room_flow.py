"""The heating room subentry flow in Settings → Devices & services."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import area_registry as ar, device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack import zha_bridge
from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.danfoss.conftest import danfoss, join_trv
from tests.simulator.models import create_device

IEEE_A = "00:15:bc:00:1a:00:00:0a"
IEEE_B = "00:15:bc:00:1a:00:00:0b"
SENSOR = "sensor.office_temperature"


def device_id(hass: HomeAssistant, ieee: str) -> str:
    from zigpy.types import EUI64

    found = zha_bridge.zha_device_id(hass, EUI64.convert(ieee))
    assert found is not None
    return found


async def start(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "room"), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result["flow_id"]


async def test_create_and_edit_a_room(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    await join_trv(zigbee, IEEE_A)
    await join_trv(zigbee, IEEE_B)
    plug = create_device("plug")
    await zigbee.join(plug)
    hass.states.async_set(
        SENSOR, "21.4", {"device_class": "temperature", "unit_of_measurement": "°C"}
    )
    hass.states.async_set(
        "sensor.humidity",
        "40",
        {"device_class": "humidity", "unit_of_measurement": "%"},
    )
    hass.states.async_set("binary_sensor.motion", "off", {"device_class": "motion"})
    hass.states.async_set(
        "binary_sensor.office_window", "off", {"device_class": "window"}
    )

    flow_id = await start(hass, pack_setup)
    # a plug is not an Ally TRV; a humidity sensor is no room sensor; motion is no window
    result = await hass.config_entries.subentries.async_configure(
        flow_id,
        {
            "name": "Office",
            "trvs": [device_id(hass, IEEE_A), device_id(hass, str(plug.ieee))],
            "temperature_sensor": "sensor.humidity",
            "window_sensors": ["binary_sensor.motion"],
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {
        "trvs": "not_ally_trv",
        "temperature_sensor": "not_temperature_sensor",
        "window_sensors": "not_window_sensor",
    }
    assert not pack_setup.subentries

    area = ar.async_get(hass).async_create("Office")
    result = await hass.config_entries.subentries.async_configure(
        flow_id,
        {
            "name": "Office",
            "area_id": area.id,
            "trvs": [device_id(hass, IEEE_A), device_id(hass, IEEE_B)],
            "temperature_sensor": SENSOR,
            "window_sensors": ["binary_sensor.office_window"],
            "radiator_covered": True,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Office"
    (subentry,) = pack_setup.subentries.values()
    assert subentry.data["trvs"] == [IEEE_A, IEEE_B]
    assert subentry.data["load_balancing"] is True  # default with two TRVs
    assert subentry.data["fast_setpoint"] is True
    await hass.async_block_till_done()
    family = danfoss(pack_setup)
    assert family.rooms[subentry.subentry_id].config.radiator_covered
    room_device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"room_{subentry.subentry_id}"), pack_setup.entry_id
    )
    assert room_device is not None
    assert room_device.name == "Office"
    assert room_device.area_id == area.id
    assert room_device.config_subentry_id == subentry.subentry_id

    # a TRV belongs to one room only
    flow_id = await start(hass, pack_setup)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"name": "Hall", "trvs": [device_id(hass, IEEE_B)]}
    )
    assert result["errors"] == {"trvs": "trv_in_other_room"}
    assert result["description_placeholders"]["room"] == "Office"

    # edit: take TRV B out, load balancing goes with it (one TRV left)
    result = await hass.config_entries.subentries.async_init(
        (pack_setup.entry_id, "room"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Office",
            "trvs": [device_id(hass, IEEE_A)],
            "temperature_sensor": SENSOR,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    room = family.rooms[subentry.subentry_id]
    assert [str(trv.ieee) for trv in room.trvs] == [IEEE_A]
    assert not room.config.balancing
    assert room.config.window_sensors == ()
