"""Weekly schedules end to end: services, what the TRVs store and do, calendar, re-push.

The simulated TRV keeps its schedule as ZCL transitions and applies them on its own wall clock
(set by our Time write), written from the spec independently of our codec: a reversed day
bitmap or swapped bytes would make it heat on other days than asked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.danfoss.conftest import add_room, danfoss, join_trv, room_entity
from tests.simulator import SimDevice
from tests.simulator.models.danfoss_ally import danfoss_trv

IEEE_A = "00:15:bc:00:1a:00:00:0a"
IEEE_B = "00:15:bc:00:1a:00:00:0b"
IEEE_C = "00:15:bc:00:1a:00:00:0c"
# ZCL day bits: Sunday 0, Monday 1 … Saturday 6.
MON, THU, SAT = 1, 4, 6
WORKDAY = [
    {"time": "06:00", "temperature": 21},
    {"time": "08:30", "temperature": 17.5},
    {"time": "17:15", "temperature": 20.5},
]
WORKDAY_ZCL = [(360, 2100), (510, 1750), (1035, 2050)]
SATURDAY = [
    {"time": "09:00", "temperature": 22},
    {"time": "23:00", "temperature": 16.5},
]
SATURDAY_ZCL = [(540, 2200), (1380, 1650)]


async def settle(hass: HomeAssistant, zigbee: ZigbeeHarness) -> None:
    for _ in range(3):
        await hass.async_block_till_done()
        await zigbee.network.settle()
    await hass.async_block_till_done()


@pytest.fixture
async def room(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> tuple[str, SimDevice, SimDevice]:
    """A room with two TRVs; a third TRV (C) is in no room."""
    a = await join_trv(zigbee, IEEE_A)
    b = await join_trv(zigbee, IEEE_B)
    await join_trv(zigbee, IEEE_C)
    room_id = await add_room(hass, pack_setup, "Bedroom", trvs=[IEEE_A, IEEE_B])
    await settle(hass, zigbee)
    return room_id, a, b


def climate_of(hass: HomeAssistant, ieee: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("climate", "zha", f"{ieee}-1")
    assert entity_id is not None
    return entity_id


async def call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        return_response=service != "clear_weekly_schedule",
    )


def set_frames(device: SimDevice) -> list[bytes]:
    return [f.payload for f in device.frames(cluster=0x0201, command=0x01)]


async def test_room_schedule_pushed_verified_and_shown(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    room: tuple[str, SimDevice, SimDevice],
) -> None:
    room_id, a, b = room
    climate = room_entity(hass, "climate", room_id, "climate")
    response = await call(
        hass,
        "set_weekly_schedule",
        entity_id=climate,
        schedule={"mon": WORKDAY, "thu": WORKDAY, "sat": SATURDAY},
    )
    expected = {MON: WORKDAY_ZCL, THU: WORKDAY_ZCL, SAT: SATURDAY_ZCL}
    for device in (a, b):
        assert danfoss_trv(device).schedule == expected
        # one frame per distinct day pattern: Mon+Thu (0x12), Sat (0x40)
        assert set_frames(device) == [
            bytes.fromhex("03120168013408fe01d6060b040208"),
            bytes.fromhex("0240011c02980864057206"),
        ]
        # and read back day by day
        assert len(device.frames(cluster=0x0201, command=0x02)) >= 3
    assert response[climate]["schedule"]["mon"] == [
        {"time": "06:00", "temperature": 21.0},
        {"time": "08:30", "temperature": 17.5},
        {"time": "17:15", "temperature": 20.5},
    ]
    got = await call(hass, "get_weekly_schedule", entity_id=climate)
    assert got[climate]["schedule"] == response[climate]["schedule"]
    assert set(got[climate]["schedule"]) == {"mon", "thu", "sat"}

    # the calendar: next Monday's periods
    calendar = room_entity(hass, "calendar", room_id, "schedule")
    zone = dt_util.get_default_time_zone()
    today = dt_util.now().date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    events = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": calendar,
            "start_date_time": start,
            "end_date_time": start + timedelta(days=1),
        },
        blocking=True,
        return_response=True,
    )
    periods = [
        (e["start"][11:16], e["end"][11:16], e["summary"])
        for e in events[calendar]["events"]  # type: ignore[index]
    ]
    # Saturday 23:00's 16.5 °C holds until Monday 06:00 (Sunday has no transition);
    # Monday 17:15's 20.5 °C until Thursday 06:00
    assert periods == [
        ("23:00", "06:00", "16.5 °C"),
        ("06:00", "08:30", "21.0 °C"),
        ("08:30", "17:15", "17.5 °C"),
        ("17:15", "06:00", "20.5 °C"),
    ]

    await call(hass, "clear_weekly_schedule", entity_id=climate)
    for device in (a, b):
        assert danfoss_trv(device).schedule == {}
    got = await call(hass, "get_weekly_schedule", entity_id=climate)
    assert got[climate]["schedule"] == {}


async def test_trv_follows_the_schedule_on_its_clock(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """Mon+Thu: the TRV's setpoint changes on Monday and Thursday, nowhere else.

    A room of one TRV: the simulated week carries every check-in (5 min) and report of each
    joined TRV through zigpy and HA, and only this TRV's schedule is checked.
    """
    a = await join_trv(zigbee, IEEE_A)
    room_id = await add_room(hass, pack_setup, "Bedroom", trvs=[IEEE_A])
    await settle(hass, zigbee)
    climate = room_entity(hass, "climate", room_id, "climate")
    await call(
        hass,
        "set_weekly_schedule",
        entity_id=climate,
        schedule={"mon": WORKDAY, "thu": WORKDAY},
    )
    await hass.services.async_call(
        "climate",
        "set_preset_mode",
        {"entity_id": climate, "preset_mode": "schedule"},
        blocking=True,
    )
    model = danfoss_trv(a)
    assert model.clock_valid
    local_now = dt_util.now().replace(tzinfo=None)
    assert abs((model.wall_clock - local_now).total_seconds()) < 120
    model.transitions_applied.clear()
    await zigbee.network.elapse(7 * 86400)
    applied = [
        (at.strftime("%a %H:%M"), setpoint)
        for _t, at, setpoint in model.transitions_applied
    ]
    assert sorted(applied) == sorted(
        [
            ("Mon 06:00", 2100),
            ("Mon 08:30", 1750),
            ("Mon 17:15", 2050),
            ("Thu 06:00", 2100),
            ("Thu 08:30", 1750),
            ("Thu 17:15", 2050),
        ]
    )


async def test_schedule_repushed_after_power_cycle(
    hass: HomeAssistant,
    zigbee: ZigbeeHarness,
    room: tuple[str, SimDevice, SimDevice],
) -> None:
    room_id, a, b = room
    climate = room_entity(hass, "climate", room_id, "climate")
    await call(
        hass, "set_weekly_schedule", entity_id=climate, schedule={"sat": SATURDAY}
    )
    await hass.services.async_call(
        "climate",
        "set_preset_mode",
        {"entity_id": climate, "preset_mode": "schedule"},
        blocking=True,
    )
    pushes_b = len(set_frames(b))
    await a.power_cycle()
    assert danfoss_trv(a).schedule == {}
    await zigbee.wait_for(
        lambda: danfoss_trv(a).schedule == {SAT: SATURDAY_ZCL},
        what="schedule pushed again after the power cycle",
    )
    await zigbee.wait_for(
        lambda: danfoss_trv(a).thermostat.get("programing_oper_mode") == 1,
        what="schedule mode restored",
    )
    await settle(hass, zigbee)
    assert len(set_frames(b)) == pushes_b  # the other TRV kept its schedule: no push


async def test_trv_own_schedule_and_refusals(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    room: tuple[str, SimDevice, SimDevice],
) -> None:
    room_id, a, b = room
    room_climate = room_entity(hass, "climate", room_id, "climate")
    await call(
        hass, "set_weekly_schedule", entity_id=room_climate, schedule={"mon": WORKDAY}
    )
    trv_climate = climate_of(hass, IEEE_B)
    await call(
        hass, "set_weekly_schedule", entity_id=trv_climate, schedule={"sat": SATURDAY}
    )
    assert danfoss_trv(b).schedule == {MON: WORKDAY_ZCL, SAT: SATURDAY_ZCL}
    assert danfoss_trv(a).schedule == {MON: WORKDAY_ZCL}
    stored = dict(danfoss(pack_setup).schedules.trvs)

    bad: list[tuple[str, dict[str, Any], str]] = [
        (
            trv_climate,
            {"tue": [{"time": f"0{h}:00", "temperature": 20} for h in range(7)]},
            "danfoss_schedule_too_many_transitions",
        ),
        (
            trv_climate,
            {
                "tue": [
                    {"time": "09:00", "temperature": 20},
                    {"time": "07:00", "temperature": 18},
                ]
            },
            "danfoss_schedule_unsorted_times",
        ),
        (
            trv_climate,
            {
                "tue": [
                    {"time": "09:00", "temperature": 20},
                    {"time": "09:00", "temperature": 18},
                ]
            },
            "danfoss_schedule_duplicate_time",
        ),
        (
            room_climate,
            {"tue": [{"time": "09:00", "temperature": 36}]},
            "danfoss_schedule_setpoint_out_of_range",
        ),
        (
            climate_of(hass, IEEE_C),
            {"tue": [{"time": "09:00", "temperature": 20}]},
            "danfoss_trv_in_no_room",
        ),
        (
            "climate.nothing_here",
            {"tue": [{"time": "09:00", "temperature": 20}]},
            "danfoss_unknown_entity",
        ),
    ]
    for entity_id, schedule, key in bad:
        frames = (len(set_frames(a)), len(set_frames(b)))
        with pytest.raises(ServiceValidationError) as err:
            await call(
                hass, "set_weekly_schedule", entity_id=entity_id, schedule=schedule
            )
        assert err.value.translation_key == key
        assert (len(set_frames(a)), len(set_frames(b))) == frames  # nothing sent
    assert danfoss_trv(b).schedule == {MON: WORKDAY_ZCL, SAT: SATURDAY_ZCL}
    assert danfoss(pack_setup).schedules.trvs == stored

    # the TRV refuses (its limit changed behind our back): an error, the store unchanged
    danfoss_trv(b).thermostat.set("max_heat_setpoint_limit", 2000, report=False)
    with pytest.raises(HomeAssistantError) as refused:
        await call(
            hass,
            "set_weekly_schedule",
            entity_id=trv_climate,
            schedule={"sun": [{"time": "10:00", "temperature": 21}]},
        )
    assert refused.value.translation_key == "danfoss_refused"
    assert danfoss(pack_setup).schedules.trvs == stored
    got = await call(hass, "get_weekly_schedule", entity_id=trv_climate)
    assert set(got[trv_climate]["schedule"]) == {"mon", "sat"}


@pytest.mark.freeze_time(tick=True)
async def test_e10_without_announce_rewrites_time_and_schedule(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    zigbee: ZigbeeHarness,
    room: tuple[str, SimDevice, SimDevice],
) -> None:
    """A TRV that lost power but did not announce itself still reports E10 (bit 9)."""
    room_id, a, _b = room
    climate = room_entity(hass, "climate", room_id, "climate")
    await call(
        hass, "set_weekly_schedule", entity_id=climate, schedule={"thu": WORKDAY}
    )
    model = danfoss_trv(a)
    freezer.tick(timedelta(minutes=2))  # E10 right after our own write is ignored
    model.power_lost()
    assert not model.clock_valid
    assert model.schedule == {}
    await a.report(1, 0x0B05, {"sw_error_code": 0x0200})
    await zigbee.wait_for(lambda: model.clock_valid, what="time written after E10")
    await zigbee.wait_for(
        lambda: model.schedule == {THU: WORKDAY_ZCL}, what="schedule pushed after E10"
    )
