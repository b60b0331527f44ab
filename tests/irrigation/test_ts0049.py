"""Tuya TS0049 water valve end to end: HA services/entities → ZHA → our quirk → simulated valve."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from typing import Any, cast

from homeassistant.components.zha.helpers import get_zha_gateway_proxy
from homeassistant.const import STATE_CLOSED, STATE_ON, STATE_OPEN, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import zigpy.device

from custom_components.zha_device_pack.const import DOMAIN
from custom_components.zha_device_pack.quirks.tuya_ts0049 import (
    JoinReports,
    TuyaIrrigationCluster,
)
from tests.conftest import ZigbeeHarness
from tests.irrigation.conftest import (
    CAPTURED_SCHEDULED,
    ON_OFF,
    TUYA,
    calendar_events,
    call,
    entity,
    irrigation,
    tuya_frames,
)
from tests.simulator import SimDevice
from tests.simulator.models import create_device
from tests.simulator.models.ts0049 import ts0049_valve

# The valve answering edits with the whole list, or with the edited task alone (seed 004).
BOTH_ANSWER_MODES = pytest.mark.parametrize("valve_answer_mode", ["list", "seed"])


async def test_entities_replace_the_switch(
    hass: HomeAssistant, valve_device: SimDevice, zigbee: ZigbeeHarness
) -> None:
    """The valve gets a valve, settings, sensors and a calendar; no switch."""
    assert zigbee.entity_ids(valve_device, "switch") == []
    valve_entity = entity(hass, valve_device, "valve", "-valve")
    state = hass.states.get(valve_entity)
    assert state.state == STATE_CLOSED
    assert state.attributes["device_class"] == "water"
    assert (
        hass.states.get(entity(hass, valve_device, "number", "irrigation_time")).state
        == "10.0"
    )
    assert hass.states.get(
        entity(hass, valve_device, "select", "weather_delay")
    ).state == ("Disabled")
    assert (
        hass.states.get(entity(hass, valve_device, "sensor", "work_state")).state
        == "Idle"
    )
    assert entity(hass, valve_device, "sensor", "once_using_time")
    assert hass.states.get(entity(hass, valve_device, "sensor", "fault")).state == "0"
    assert hass.states.get(
        entity(hass, valve_device, "binary_sensor", "fault_problem")
    ).state == ("off")
    assert (
        hass.states.get(entity(hass, valve_device, "sensor", "-1-1")).attributes[
            "device_class"
        ]
        == "battery"
    )
    calendar = entity(hass, valve_device, "calendar", "irrigation_programs")
    registry = er.async_get(hass)
    assert (
        registry.async_get(calendar).device_id
        == registry.async_get(valve_entity).device_id
    )
    # Programs were read on join: one query per list.
    assert tuya_frames(valve_device, 0xFD) == [bytes.fromhex("0001")]
    assert tuya_frames(valve_device, 0xFC) == [bytes.fromhex("0001")]


async def test_open_close_and_auto_off(
    hass: HomeAssistant, valve_device: SimDevice, valve: str, zigbee: ZigbeeHarness
) -> None:
    """valve.open sends OnOff 'on'; the valve closes itself and reports how long it watered."""
    model = ts0049_valve(valve_device)
    valve_device.clear_frames()

    await hass.services.async_call(
        "valve", "open_valve", {"entity_id": valve}, blocking=True
    )
    (frame,) = valve_device.frames(cluster=ON_OFF, general=False)
    assert frame.data == bytes([0x01, frame.tsn, 0x01])
    assert hass.states.get(valve).state == STATE_OPEN
    assert model.is_open
    work_state = entity(hass, valve_device, "sensor", "work_state")
    await zigbee.wait_for(
        lambda: hass.states.get(work_state).state == "Manual", what="DP12"
    )

    await model.elapse(600)
    await zigbee.wait_for(
        lambda: hass.states.get(valve).state == STATE_CLOSED, what="auto-off"
    )
    duration = entity(hass, valve_device, "sensor", "once_using_time")
    await zigbee.wait_for(lambda: hass.states.get(duration).state == "600", what="DP15")


async def test_settings_are_sent_as_0xfe(
    hass: HomeAssistant, valve_device: SimDevice, zigbee: ZigbeeHarness
) -> None:
    """Irrigation time and weather delay go out as command 0xFE with the seed's payload."""
    model = ts0049_valve(valve_device)
    number = entity(hass, valve_device, "number", "irrigation_time")
    select = entity(hass, valve_device, "select", "weather_delay")
    valve_device.clear_frames()

    await hass.services.async_call(
        "number", "set_value", {"entity_id": number, "value": 20}, blocking=True
    )
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": select, "option": "Delayed 48h"},
        blocking=True,
    )

    assert tuya_frames(valve_device, 0xFE) == [
        bytes.fromhex("0b000004b0"),
        bytes.fromhex("0a02"),
    ]
    (frame, _) = valve_device.frames(cluster=TUYA, command=0xFE)
    assert frame.data[0] == 0x11  # cluster-specific, no default response on success
    assert model.irrigation_time == 1200
    assert model.weather_delay == 2
    assert hass.states.get(number).state == "20.0"
    assert hass.states.get(select).state == "Delayed 48h"


async def test_start_irrigation(
    hass: HomeAssistant, valve_device: SimDevice, valve: str, zigbee: ZigbeeHarness
) -> None:
    """start_irrigation sets the irrigation time, then opens; the valve closes itself."""
    model = ts0049_valve(valve_device)
    valve_device.clear_frames()

    await hass.services.async_call(
        DOMAIN,
        "start_irrigation",
        {"entity_id": valve, "duration": {"minutes": 20}},
        blocking=True,
    )

    assert tuya_frames(valve_device, 0xFE) == [bytes.fromhex("0b000004b0")]
    (on,) = valve_device.frames(cluster=ON_OFF, general=False)
    assert on.command_id == 0x01
    assert on.timestamp > valve_device.frames(cluster=TUYA, command=0xFE)[0].timestamp
    assert model.is_open
    assert hass.states.get(valve).state == STATE_OPEN
    await model.elapse(1199)
    assert model.is_open
    await model.elapse(1)
    await zigbee.wait_for(
        lambda: hass.states.get(valve).state == STATE_CLOSED, what="closed"
    )
    # The user's own auto-off (10 min, 0x258 s) is set back once the run is over.
    await zigbee.wait_for(lambda: model.irrigation_time == 600, what="restored")
    assert tuya_frames(valve_device, 0xFE) == [
        bytes.fromhex("0b000004b0"),
        bytes.fromhex("0b00000258"),
    ]
    irrigation_time = entity(hass, valve_device, "number", "irrigation_time")
    await zigbee.wait_for(
        lambda: hass.states.get(irrigation_time).state == "10.0", what="number"
    )


async def test_start_irrigation_restores_after_a_manual_close_and_a_sleepy_valve(
    hass: HomeAssistant, valve_device: SimDevice, valve: str, zigbee: ZigbeeHarness
) -> None:
    """Closed early from HA: restored at once; valve asleep then: at its next report."""
    model = ts0049_valve(valve_device)
    await call(hass, "start_irrigation", valve, duration="00:03:07")
    assert model.irrigation_time == 187
    valve_device.set_online(False)
    model.switch(False)  # the user closes it at the valve while HA cannot reach it
    model.flush()
    await zigbee.network.settle()
    await hass.async_block_till_done()
    assert model.irrigation_time == 187
    valve_device.set_online(True)
    model.report_status()
    await zigbee.wait_for(lambda: model.irrigation_time == 600, what="restored")


@BOTH_ANSWER_MODES
async def test_scheduled_program_lifecycle(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """Add, update and delete a scheduled program; each answer is the device's list."""
    model = ts0049_valve(valve_device)
    valve_device.clear_frames()

    added = await call(
        hass,
        "add_scheduled_irrigation",
        valve,
        start_time="08:00",
        duration=15,
        recurrence="weekly",
        weekdays=["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
        start_date="2022-08-01",
        water_flow=100,
    )
    # Seed DP17 "add": version 00, command 03, then the record (the captured one); then the
    # list is asked for (01) before the stored one is replaced.
    assert tuya_frames(valve_device, 0xFC) == [
        bytes.fromhex("0003") + CAPTURED_SCHEDULED,
        bytes.fromhex("0001"),
    ]
    (program,) = added["scheduled_programs"]
    assert program == {
        "program_id": 1,
        "enabled": True,
        "start_time": "08:00",
        "duration": 15,
        "recurrence": "weekly",
        "weekdays": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
        "start_date": "2022-08-01",
        "interval_days": 1,
        "water_flow": 100,
    }
    assert model.programs(17) == {1: CAPTURED_SCHEDULED}

    valve_device.clear_frames()
    updated = await call(
        hass,
        "update_scheduled_irrigation",
        valve,
        program_id=1,
        start_time="06:30",
        duration=30,
        weekdays=["thu", "mon"],
        water_flow=80,
    )
    # 06:30 = 0x0186, 30 min, Mon+Thu = 0x12 (reversed bits would be Tue+Fri 0x24), 80 %.
    assert tuya_frames(valve_device, 0xFC) == [
        bytes.fromhex("000201") + bytes.fromhex("0186001e12500107e6080101"),
        bytes.fromhex("0001"),
    ]
    assert updated["scheduled_programs"] == [
        {
            "program_id": 1,
            "enabled": True,
            "start_time": "06:30",
            "duration": 30,
            "recurrence": "weekly",
            "weekdays": ["mon", "thu"],
            "start_date": "2022-08-01",
            "interval_days": 1,
            "water_flow": 80,
        }
    ]

    valve_device.clear_frames()
    deleted = await call(
        hass, "delete_irrigation_program", valve, program_type="scheduled", program_id=1
    )
    assert tuya_frames(valve_device, 0xFC) == [bytes.fromhex("000401")]
    assert deleted["scheduled_programs"] == []
    assert model.programs(17) == {}


@BOTH_ANSWER_MODES
async def test_cycle_program_lifecycle(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """Add and update a cycle program (DP16), refresh reads both lists."""
    model = ts0049_valve(valve_device)
    valve_device.clear_frames()

    added = await call(
        hass,
        "add_cycle_irrigation",
        valve,
        start_time="08:00",
        end_time="20:00",
        irrigation_duration=15,
        pause_duration=60,
        weekdays=["mon", "wed"],
        water_flow=100,
    )
    # state/channel 0x03 (on, channel 1), days 0x0a (Mon, Wed), 480, 1200, 15, 60, 100
    record = bytes.fromhex("030a01e004b0000f003c64")
    assert tuya_frames(valve_device, 0xFD) == [
        bytes.fromhex("0003") + record,
        bytes.fromhex("0001"),
    ]
    assert added["cycle_programs"][0]["program_id"] == 1
    assert added["cycle_programs"][0]["weekdays"] == ["mon", "wed"]
    assert model.programs(16) == {1: record}

    updated = await call(
        hass, "update_cycle_irrigation", valve, program_id=1, enabled=False
    )
    assert updated["cycle_programs"][0]["enabled"] is False

    valve_device.clear_frames()
    refreshed = await call(hass, "refresh_irrigation_programs", valve)
    assert tuya_frames(valve_device, 0xFD) == [bytes.fromhex("0001")]
    assert tuya_frames(valve_device, 0xFC) == [bytes.fromhex("0001")]
    assert refreshed["cycle_programs"] == updated["cycle_programs"]

    valve_device.clear_frames()
    deleted = await call(
        hass, "delete_irrigation_program", valve, program_type="cycle", program_id=1
    )
    assert tuya_frames(valve_device, 0xFD) == [bytes.fromhex("000401")]
    assert deleted["cycle_programs"] == []
    assert model.programs(16) == {}


SCHEDULED_OK = {"start_time": "06:30", "duration": 20, "weekdays": ["mon", "thu"]}
CYCLE_OK = {
    "start_time": "19:05",
    "end_time": "21:40",
    "irrigation_duration": 13,
    "pause_duration": 29,
}


def minutes(field: str, value: int, minimum: int = 1) -> dict[str, str]:
    return {
        "field": field,
        "value": str(value),
        "minimum": str(minimum),
        "maximum": "1439",
    }


# (action, data, translation key, placeholders): every field of every action. Existing
# programs: scheduled 1 and cycle 1 (see the test); unknown ids are 7.
BAD_INPUT: list[tuple[str, dict[str, Any], str, dict[str, str]]] = [
    # start_irrigation
    (
        "start_irrigation",
        {"duration": {"hours": 25}},
        "irrigation_duration_out_of_range",
        {"field": "Duration", "value": "25:00:00"},
    ),
    (
        "start_irrigation",
        {"duration": {"hours": 24, "seconds": 1}},
        "irrigation_duration_out_of_range",
        {"field": "Duration", "value": "24:00:01"},
    ),
    (
        "start_irrigation",
        {"duration": 0},
        "irrigation_duration_out_of_range",
        {"field": "Duration", "value": "0:00:00"},
    ),
    (
        "start_irrigation",
        {"duration": {"seconds": 1, "milliseconds": 500}},
        "irrigation_duration_whole_seconds",
        {},
    ),
    # add_scheduled_irrigation
    (
        "add_scheduled_irrigation",
        {"duration": 20},
        "irrigation_missing_field",
        {"field": "Start time"},
    ),
    (
        "add_scheduled_irrigation",
        {"start_time": "06:30"},
        "irrigation_missing_field",
        {"field": "Duration"},
    ),
    (
        "add_scheduled_irrigation",
        {**SCHEDULED_OK, "start_time": "06:30:15"},
        "irrigation_time_not_whole_minute",
        {"field": "Start time", "value": "06:30:15"},
    ),
    (
        "add_scheduled_irrigation",
        {**SCHEDULED_OK, "duration": 0},
        "irrigation_minutes_out_of_range",
        minutes("Duration", 0),
    ),
    (
        "add_scheduled_irrigation",
        {**SCHEDULED_OK, "duration": 1440},
        "irrigation_minutes_out_of_range",
        minutes("Duration", 1440),
    ),
    (
        "add_scheduled_irrigation",
        {**SCHEDULED_OK, "water_flow": 101},
        "irrigation_percent_out_of_range",
        {"field": "Water flow", "value": "101", "minimum": "0", "maximum": "100"},
    ),
    (
        "add_scheduled_irrigation",
        {**SCHEDULED_OK, "water_flow": -1},
        "irrigation_percent_out_of_range",
        {"field": "Water flow", "value": "-1", "minimum": "0", "maximum": "100"},
    ),
    (
        "add_scheduled_irrigation",
        {**SCHEDULED_OK, "recurrence": "every_n_days", "interval_days": 32},
        "irrigation_days_out_of_range",
        {"field": "Every n days", "value": "32", "minimum": "1", "maximum": "31"},
    ),
    (
        "add_scheduled_irrigation",
        {**SCHEDULED_OK, "recurrence": "every_n_days", "interval_days": 0},
        "irrigation_days_out_of_range",
        {"field": "Every n days", "value": "0", "minimum": "1", "maximum": "31"},
    ),
    (
        "add_scheduled_irrigation",
        {**SCHEDULED_OK, "recurrence": "every_n_days"},
        "irrigation_missing_field",
        {"field": "Every n days"},
    ),
    (
        "add_scheduled_irrigation",
        {**SCHEDULED_OK, "recurrence": "weekly", "weekdays": []},
        "irrigation_weekdays_required",
        {},
    ),
    # update_scheduled_irrigation
    (
        "update_scheduled_irrigation",
        {"program_id": 7, "duration": 10},
        "irrigation_unknown_program",
        {"program_id": "7"},
    ),
    (
        "update_scheduled_irrigation",
        {"program_id": 1, "duration": 1440},
        "irrigation_minutes_out_of_range",
        minutes("Duration", 1440),
    ),
    (
        "update_scheduled_irrigation",
        {"program_id": 1, "start_time": "05:59:59"},
        "irrigation_time_not_whole_minute",
        {"field": "Start time", "value": "05:59:59"},
    ),
    (
        "update_scheduled_irrigation",
        {"program_id": 1, "water_flow": 150},
        "irrigation_percent_out_of_range",
        {"field": "Water flow", "value": "150", "minimum": "0", "maximum": "100"},
    ),
    (
        "update_scheduled_irrigation",
        {"program_id": 1, "interval_days": 45},
        "irrigation_days_out_of_range",
        {"field": "Every n days", "value": "45", "minimum": "1", "maximum": "31"},
    ),
    (
        "update_scheduled_irrigation",
        {"program_id": 1, "weekdays": []},
        "irrigation_weekdays_required",
        {},
    ),
    # add_cycle_irrigation
    *(
        (
            "add_cycle_irrigation",
            {key: value for key, value in CYCLE_OK.items() if key != missing},
            "irrigation_missing_field",
            {"field": name},
        )
        for missing, name in (
            ("start_time", "Start time"),
            ("end_time", "End time"),
            ("irrigation_duration", "Watering time"),
            ("pause_duration", "Pause"),
        )
    ),
    (
        "add_cycle_irrigation",
        {**CYCLE_OK, "end_time": "21:40:30"},
        "irrigation_time_not_whole_minute",
        {"field": "End time", "value": "21:40:30"},
    ),
    (
        "add_cycle_irrigation",
        {**CYCLE_OK, "end_time": "19:05"},
        "irrigation_empty_window",
        {"time": "19:05"},
    ),
    (
        "add_cycle_irrigation",
        {**CYCLE_OK, "irrigation_duration": 0},
        "irrigation_minutes_out_of_range",
        minutes("Watering time", 0),
    ),
    (
        "add_cycle_irrigation",
        {**CYCLE_OK, "irrigation_duration": 1500},
        "irrigation_minutes_out_of_range",
        minutes("Watering time", 1500),
    ),
    (
        "add_cycle_irrigation",
        {**CYCLE_OK, "pause_duration": 1440},
        "irrigation_minutes_out_of_range",
        minutes("Pause", 1440, minimum=0),
    ),
    (
        "add_cycle_irrigation",
        {**CYCLE_OK, "water_flow": 101},
        "irrigation_percent_out_of_range",
        {"field": "Water flow", "value": "101", "minimum": "0", "maximum": "100"},
    ),
    # update_cycle_irrigation
    (
        "update_cycle_irrigation",
        {"program_id": 7, "enabled": False},
        "irrigation_unknown_program",
        {"program_id": "7"},
    ),
    (
        "update_cycle_irrigation",
        {"program_id": 1, "water_flow": 101},
        "irrigation_percent_out_of_range",
        {"field": "Water flow", "value": "101", "minimum": "0", "maximum": "100"},
    ),
    (
        "update_cycle_irrigation",
        {"program_id": 1, "pause_duration": -1},
        "irrigation_minutes_out_of_range",
        minutes("Pause", -1, minimum=0),
    ),
    (
        "update_cycle_irrigation",
        {"program_id": 1, "start_time": "21:40"},
        "irrigation_empty_window",
        {"time": "21:40"},
    ),
    # delete_irrigation_program
    (
        "delete_irrigation_program",
        {"program_id": 7, "program_type": "scheduled"},
        "irrigation_unknown_program",
        {"program_id": "7"},
    ),
    (
        "delete_irrigation_program",
        {"program_id": 7, "program_type": "cycle"},
        "irrigation_unknown_program",
        {"program_id": "7"},
    ),
]


@pytest.mark.parametrize(("service", "data", "key", "placeholders"), BAD_INPUT)
async def test_bad_input_is_refused_and_nothing_is_sent(
    hass: HomeAssistant,
    valve_device: SimDevice,
    valve: str,
    service: str,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    """Invalid values raise a translated ServiceValidationError before any frame is sent."""
    await call(hass, "add_scheduled_irrigation", valve, **SCHEDULED_OK)
    await call(hass, "add_cycle_irrigation", valve, **CYCLE_OK)
    model = ts0049_valve(valve_device)
    before = model.snapshot()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    lists_before = irrigation(entry).controllers[valve_device.ieee].lists
    valve_device.clear_frames()

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, service, {"entity_id": valve, **data}, blocking=True
        )

    assert (err.value.translation_key, err.value.translation_placeholders) == (
        key,
        placeholders,
    )
    assert err.value.translation_domain == DOMAIN
    assert valve_device.frames(general=False) == []
    assert model.snapshot() == before
    assert irrigation(entry).controllers[valve_device.ieee].lists is lists_before


async def test_error_messages_name_fields_and_units_as_typed(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """The message a user reads: the field as the UI names it, in the unit they typed."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "start_irrigation", valve, duration="25:00:00")
    assert str(err.value) == (
        # (HA drops the final full stop of translated messages.)
        "Duration must be at least 1 second and at most 24 h; you entered 25:00:00"
    )
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, "add_cycle_irrigation", valve, **{**CYCLE_OK, "water_flow": 120}
        )
    assert str(err.value) == "Water flow must be from 0 % to 100 %; you entered 120 %"


async def test_overnight_cycle_window(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """A window ending before it starts ends the next day: stored, shown and editable."""
    added = await call(
        hass,
        "add_cycle_irrigation",
        valve,
        start_time="22:10",
        end_time="01:35",
        irrigation_duration=25,
        pause_duration=35,
        weekdays=["tue", "sat"],
    )
    # 22:10 = 0x0532, 01:35 = 0x005f, Tue+Sat = 0x44.
    (record,) = ts0049_valve(valve_device).programs(16).values()
    assert record == bytes.fromhex("0344 0532 005f 0019 0023 64".replace(" ", ""))
    assert added["cycle_programs"][0]["end_time"] == "01:35"
    updated = await call(
        hass, "update_cycle_irrigation", valve, program_id=1, end_time="02:05"
    )
    assert updated["cycle_programs"][0]["end_time"] == "02:05"


async def test_offline_valve_fails_and_keeps_the_stored_list(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """A valve that cannot be reached gives HomeAssistantError; the stored list stays."""
    await call(
        hass,
        "add_scheduled_irrigation",
        valve,
        start_time="06:00",
        duration=10,
        weekdays=["sat"],
    )
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    controller = irrigation(entry).controllers[valve_device.ieee]
    before = controller.lists
    valve_device.set_online(False)

    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, "add_scheduled_irrigation", valve, start_time="07:00", duration=5
        )
    assert not isinstance(err.value, ServiceValidationError)
    # The radio could not deliver it (TXStatus NETWORK_ACK_FAILURE): "did not answer".
    assert err.value.translation_key == "irrigation_no_answer"
    assert err.value.translation_placeholders == {}
    assert controller.lists is before
    assert len(ts0049_valve(valve_device).programs(17)) == 1


async def test_device_refusal_is_reported(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """The valve holds 4 programs; the fifth is refused by the device and nothing changes."""
    for hour in range(4):
        await call(
            hass,
            "add_scheduled_irrigation",
            valve,
            start_time=f"0{hour}:00",
            duration=5,
            weekdays=["mon"],
        )
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    controller = irrigation(entry).controllers[valve_device.ieee]
    before = controller.lists

    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass,
            "add_scheduled_irrigation",
            valve,
            start_time="05:00",
            duration=5,
            weekdays=["mon"],
        )
    assert err.value.translation_key == "irrigation_refused"
    assert err.value.translation_placeholders == {"status": "INSUFFICIENT_SPACE"}
    assert controller.lists is before
    assert len(ts0049_valve(valve_device).programs(17)) == 4


@BOTH_ANSWER_MODES
async def test_concurrent_edits_are_serialized(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """Two edits at once reach the valve one after the other and both land."""
    valve_device.clear_frames()
    first, second = await asyncio.gather(
        call(
            hass,
            "add_scheduled_irrigation",
            valve,
            start_time="06:00",
            duration=5,
            weekdays=["mon"],
        ),
        call(
            hass,
            "add_scheduled_irrigation",
            valve,
            start_time="07:00",
            duration=5,
            weekdays=["tue"],
        ),
    )
    # add, its confirming query, then the second add and its query: never interleaved.
    assert [frame[:2] for frame in tuya_frames(valve_device, 0xFC)] == [
        b"\x00\x03",
        b"\x00\x01",
        b"\x00\x03",
        b"\x00\x01",
    ]
    assert [p["program_id"] for p in first["scheduled_programs"]] == [1]
    assert [p["program_id"] for p in second["scheduled_programs"]] == [1, 2]
    assert len(ts0049_valve(valve_device).programs(17)) == 2
    # The second request left only after the valve answered the first one's query.
    sent = valve_device.frames(cluster=TUYA, command=0xFC)
    answers = [f for f in valve_device.sent if f.cluster_id == TUYA]
    # Each request got its answer (add: the list or the task, query: the list).
    assert len(answers) == 4
    assert answers[1].timestamp < sent[2].timestamp


async def test_programs_survive_a_restart_while_the_valve_sleeps(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    valve_device: SimDevice,
    valve: str,
    pack_setup: MockConfigEntry,
) -> None:
    """The stored list serves the calendar and services after a restart with the valve asleep."""
    await call(
        hass,
        "add_scheduled_irrigation",
        valve,
        start_time="06:00",
        duration=10,
        weekdays=["sat"],
    )
    assert await hass.config_entries.async_unload(pack_setup.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.irrigation_programs" in hass_storage
    valve_device.set_online(False)

    assert await hass.config_entries.async_setup(pack_setup.entry_id)
    await hass.async_block_till_done()

    controller = irrigation(pack_setup).controllers[valve_device.ieee]
    (stored,) = controller.lists.scheduled
    assert stored.program.start_minute == 360
    calendar = entity(hass, valve_device, "calendar", "irrigation_programs")
    start = dt_util.now()
    events = await calendar_events(hass, calendar, start, start + timedelta(days=8))
    # Saturdays 06:00-06:10 overlapping the 8 days, not before the program was first seen.
    seen = controller.lists.first_seen["scheduled-1"]
    expected = []
    for offset in range(-1, 9):
        run = datetime.combine(
            start.date() + timedelta(days=offset), time(6, 0), tzinfo=start.tzinfo
        )
        if (
            run.weekday() == 5
            and run >= seen
            and run + timedelta(minutes=10) > start
            and run < start + timedelta(days=8)
        ):
            expected.append(run)
    assert [dt_util.parse_datetime(event["start"]) for event in events] == expected
    assert expected
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "refresh_irrigation_programs", valve)
    assert err.value.translation_key == "irrigation_no_answer"
    assert controller.lists.scheduled == (stored,)


async def test_not_a_ts0049_valve(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """Targeting another entity is refused with a translated error."""
    plug = create_device("plug")
    await zigbee.join(plug)
    (switch,) = zigbee.entity_ids(plug, "switch")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "refresh_irrigation_programs", {"entity_id": switch}, blocking=True
        )
    assert err.value.translation_key == "irrigation_not_a_ts0049_valve"


async def test_fault_report(
    hass: HomeAssistant, valve_device: SimDevice, zigbee: ZigbeeHarness
) -> None:
    """DP4 fault shows as a raw value and a problem binary sensor."""
    ts0049_valve(valve_device).set_fault(5)
    fault = entity(hass, valve_device, "sensor", "fault")
    problem = entity(hass, valve_device, "binary_sensor", "fault_problem")
    await zigbee.wait_for(lambda: hass.states.get(fault).state == "5", what="fault")
    assert hass.states.get(problem).state == "on"


@BOTH_ANSWER_MODES
async def test_calendar_create_update_delete(
    hass: HomeAssistant,
    hass_ws_client: Any,
    valve_device: SimDevice,
    valve: str,
) -> None:
    """Calendar events map to scheduled programs; unrepresentable events are refused."""
    calendar = entity(hass, valve_device, "calendar", "irrigation_programs")
    model = ts0049_valve(valve_device)
    start = dt_util.now().replace(
        hour=6, minute=0, second=0, microsecond=0
    ) + timedelta(days=1)

    await hass.services.async_call(
        "calendar",
        "create_event",
        {
            "entity_id": calendar,
            "summary": "Water the lawn",
            "start_date_time": start,
            "end_date_time": start + timedelta(minutes=20),
        },
        blocking=True,
    )
    (record,) = model.programs(17).values()
    assert record[:4] == bytes.fromhex("0168 0014".replace(" ", ""))  # 06:00, 20 min
    events = await calendar_events(
        hass, calendar, start - timedelta(hours=1), start + timedelta(hours=1)
    )
    assert [(event["start"], event["end"], event["summary"]) for event in events] == [
        (
            start.isoformat(),
            (start + timedelta(minutes=20)).isoformat(),
            "Irrigation (program 1)",
        )
    ]

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "calendar",
            "create_event",
            {
                "entity_id": calendar,
                "summary": "Too long",
                "start_date_time": start,
                "end_date_time": start + timedelta(hours=25),
            },
            blocking=True,
        )
    assert err.value.translation_key == "irrigation_event_too_long"
    assert err.value.translation_placeholders == {
        "minutes": "1500",
        "max_minutes": "1439",
    }
    assert len(model.programs(17)) == 1

    # Update the series through the calendar's websocket API: weekly on Mon/Wed, 30 minutes.
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "calendar/event/update",
            "entity_id": calendar,
            "uid": "scheduled-1",
            "event": {
                "summary": "Water the lawn",
                "dtstart": start.isoformat(),
                "dtend": (start + timedelta(minutes=30)).isoformat(),
                "rrule": "FREQ=WEEKLY;BYDAY="
                + (
                    "MO"
                    if start.weekday() == 0
                    else "MO,"
                    + ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[start.weekday()]
                ),
            },
        }
    )
    result = await client.receive_json()
    assert result["success"], result
    (record,) = model.programs(17).values()
    assert record[2:4] == (30).to_bytes(2, "big")
    assert record[6] >> 4 == 0  # weekly

    # A single occurrence cannot be edited: the valve stores series.
    await client.send_json_auto_id(
        {
            "type": "calendar/event/delete",
            "entity_id": calendar,
            "uid": "scheduled-1",
            "recurrence_id": "20300101T060000Z",
        }
    )
    result = await client.receive_json()
    assert not result["success"]
    assert result["error"]["message"] == (
        "The valve stores programs, not single runs: edit or delete the whole series"
    )
    assert len(model.programs(17)) == 1

    await client.send_json_auto_id(
        {"type": "calendar/event/delete", "entity_id": calendar, "uid": "scheduled-1"}
    )
    result = await client.receive_json()
    assert result["success"], result
    assert model.programs(17) == {}


async def test_valve_timeout_keeps_the_stored_list(
    hass: HomeAssistant,
    valve_device: SimDevice,
    valve: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No answer in time → translated HomeAssistantError; the stored list is unchanged."""
    monkeypatch.setattr(TuyaIrrigationCluster, "answer_timeout", 0.2)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    controller = irrigation(entry).controllers[valve_device.ieee]
    before = controller.lists
    valve_device.reply_delay = 1.0  # the valve is slow to wake up and answer

    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, "add_scheduled_irrigation", valve, start_time="07:00", duration=5
        )
    assert err.value.translation_key == "irrigation_no_answer"
    assert controller.lists is before
    assert controller.lists.scheduled == ()
    await valve_device.network.settle(timeout=3)
    await hass.async_block_till_done()


async def test_valve_paired_before_the_integration(
    hass: HomeAssistant, zha_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """A valve ZHA knew before us is moved in place: valve and calendar, no leftover switch."""
    device = create_device("ts0049")
    await zigbee.join(device)
    (switch,) = zigbee.entity_ids(device, "switch")
    entry = MockConfigEntry(domain=DOMAIN, data={})
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(device)

    assert zigbee.entity_ids(device, "switch") == []
    assert hass.states.get(switch) is None
    assert len(zigbee.entity_ids(device, "valve")) == 1
    # Its join report went to ZHA's plain 0xE001 cluster: no fault value, and no made-up OK.
    problem = entity(hass, device, "binary_sensor", "fault_problem")
    assert hass.states.get(problem).state == STATE_UNKNOWN
    assert entity(hass, device, "calendar", "irrigation_programs")
    assert device.ieee in irrigation(entry).controllers
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_removed_valve_is_forgotten_and_can_rejoin(
    hass: HomeAssistant,
    valve_device: SimDevice,
    valve: str,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """Removing the valve in ZHA drops its calendar and stored programs; re-pairing works."""
    await call(hass, "add_scheduled_irrigation", valve, start_time="06:00", duration=5)
    calendar = entity(hass, valve_device, "calendar", "irrigation_programs")
    manager = irrigation(pack_setup)

    await hass.services.async_call(
        "zha", "remove", {"ieee": str(valve_device.ieee)}, blocking=True
    )

    assert valve_device.ieee not in manager.controllers
    assert str(valve_device.ieee) not in manager._storage_data()
    await hass.async_block_till_done()
    assert er.async_get(hass).async_get(calendar) is None

    # Paired again: a new controller and calendar; the programs are read from the valve.
    app = get_zha_gateway_proxy(hass).gateway.application_controller
    await zigbee.wait_for(
        lambda: valve_device.ieee not in app.devices, what="zigpy removal"
    )
    await zigbee.join(valve_device)
    await zigbee.wait_for(
        lambda: valve_device.ieee in manager.controllers, what="re-paired"
    )
    await zigbee.wait_for(lambda: not manager._refreshes, what="programs read")
    assert entity(hass, valve_device, "calendar", "irrigation_programs")
    assert len(manager.controllers[valve_device.ieee].lists.scheduled) == 1


async def test_valve_follows_zha_reload_and_reinterview(
    hass: HomeAssistant,
    valve_device: SimDevice,
    valve: str,
    pack_setup: MockConfigEntry,
    zha_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """After ZHA reloads or re-interviews the valve, edits and its reports still arrive."""
    model = ts0049_valve(valve_device)
    controller = irrigation(pack_setup).controllers[valve_device.ieee]
    calendar = entity(hass, valve_device, "calendar", "irrigation_programs")

    assert await hass.config_entries.async_reload(zha_setup.entry_id)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(valve_device)
    response = await call(
        hass,
        "add_scheduled_irrigation",
        valve,
        start_time="06:30",
        duration=20,
        weekdays=["mon", "thu"],
    )
    assert [p["weekdays"] for p in response["scheduled_programs"]] == [["mon", "thu"]]
    assert len(model.programs(17)) == 1

    gateway = get_zha_gateway_proxy(hass).gateway
    await gateway.async_reinterview_device(valve_device.ieee)
    await zigbee.wait_for_entities(valve_device)
    await hass.async_block_till_done()
    # A list the valve reports by itself reaches the new cluster and the calendar.
    model.store_program(17, CAPTURED_SCHEDULED)
    model.report_dp(17)
    await zigbee.wait_for(
        lambda: len(controller.lists.scheduled) == 2, what="reported list"
    )
    assert hass.states.get(calendar) is not None
    response = await call(hass, "refresh_irrigation_programs", valve)
    assert len(response["scheduled_programs"]) == 2


async def test_status_known_at_join_and_persists(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zha_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """Right after a fresh join the valve's own values show, and survive a restart.

    The valve reports its status as it joins, while zigpy still interviews it; the values
    (set on the valve before it joined, none of them a default) reach the entities anyway.
    After a Home Assistant restart with the valve silent (ZHA and our entry unloaded, which
    flushes zigpy's database, then set up again in HA's start order: ZHA loads the valve
    from its database before our quirk is registered, then our entry moves it onto the
    quirk) and after a reload of ZHA alone (our quirk registered while zigpy loads), the
    last reported values are shown again, not "unknown" and not a made-up "OK"; a valve
    joining the reloaded ZHA shows its values too.
    """
    device = create_device("ts0049", irrigation_time=17 * 60)
    device.state.update(weather_delay=2, last_once_using_time=3 * 60 + 40, fault=5)
    await zigbee.join(device)
    status = {
        "irrigation_time": entity(hass, device, "number", "irrigation_time"),
        "weather_delay": entity(hass, device, "select", "weather_delay"),
        "work_state": entity(hass, device, "sensor", "work_state"),
        "last_duration": entity(hass, device, "sensor", "once_using_time"),
        "fault_code": entity(hass, device, "sensor", "fault"),
        "problem": entity(hass, device, "binary_sensor", "fault_problem"),
    }
    expected = {
        "irrigation_time": "17.0",
        "weather_delay": "Delayed 48h",
        "work_state": "Idle",
        "last_duration": "220",
        "fault_code": "5",
        "problem": STATE_ON,
    }
    assert {k: hass.states.get(e).state for k, e in status.items()} == expected
    # The values are the valve's own report: nothing was read or written on 0xE001.
    assert device.frames(cluster=TUYA, general=True) == []
    assert tuya_frames(device, 0xFE) == []

    device.set_online(False)
    for entry in (pack_setup, zha_setup):
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    for entry in (zha_setup, pack_setup):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    await zigbee.wait_for_entities(device)
    assert {k: hass.states.get(e).state for k, e in status.items()} == expected

    assert await hass.config_entries.async_reload(zha_setup.entry_id)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(device)
    assert {k: hass.states.get(e).state for k, e in status.items()} == expected

    second = create_device("ts0049", irrigation_time=90)
    second.state.update(weather_delay=3)
    await zigbee.join(second)
    assert [
        hass.states.get(entity(hass, second, domain, suffix)).state
        for domain, suffix in (
            ("number", "irrigation_time"),
            ("select", "weather_delay"),
            ("sensor", "once_using_time"),
            ("binary_sensor", "fault_problem"),
        )
    ] == ["1.5", "Delayed 72h", "0", "off"]

    # Of what zigpy hands over before the interview ends, only 0xE001 reports on the HA
    # profile count: no other cluster or profile, no other command, no garbage, and
    # nothing of a device that left meanwhile.
    proxy = get_zha_gateway_proxy(hass).get_device_proxy(second.ieee)
    assert proxy is not None
    interviewed = cast(
        "zigpy.device.Device", SimpleNamespace(ieee=second.ieee, is_initialized=False)
    )
    reports = JoinReports()

    def report_fault(fault: int) -> bytes:
        return bytes.fromhex(f"18 01 0a 40d0 41 02 04 {fault:02x}")

    for profile, cluster, endpoint, frame in (
        (0x0104, TUYA, 1, report_fault(9)),
        (0x0104, TUYA, 1, b"\x18"),
        (0x0104, TUYA, 1, bytes.fromhex("18 02 01 40d0 00 41 02 04 07")),
        (0x0109, TUYA, 1, report_fault(6)),
        (0x0104, ON_OFF, 1, report_fault(6)),
        (0x0104, TUYA, 2, report_fault(6)),
    ):
        reports.handle_message(interviewed, profile, cluster, endpoint, 1, frame)
    reports.device_initialized(proxy.device.device)
    reports.handle_message(interviewed, 0x0104, TUYA, 1, 1, report_fault(3))
    reports.device_left(interviewed)
    reports.device_initialized(proxy.device.device)
    await hass.async_block_till_done()
    assert hass.states.get(entity(hass, second, "sensor", "fault")).state == "9"


async def test_codec_refusal_behind_a_dropped_check_is_still_translated(
    hass: HomeAssistant,
    valve_device: SimDevice,
    valve: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever the action's own checks miss, the codec refuses with a translated error."""
    monkeypatch.setattr(
        "custom_components.zha_device_pack.irrigation.services._check_range",
        lambda field, value, minimum, maximum, *, unit: value,
    )
    valve_device.clear_frames()
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, "add_cycle_irrigation", valve, **{**CYCLE_OK, "water_flow": 101}
        )
    assert err.value.translation_key == "irrigation_invalid_program"
    assert err.value.translation_placeholders == {
        "error": "water_flow_percent 101 is outside 0..100"
    }
    assert valve_device.frames(general=False) == []
