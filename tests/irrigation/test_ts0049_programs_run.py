"""What the valve does with the programs HA gives it, and what HA's calendar says it will do.

The simulated valve runs its stored programs on its own wall clock, interpreting the records
from the seed text independently of the integration's codecs. Each test creates programs
through HA's actions, lets a week pass on the valve, and checks the waterings themselves:
the exact days and times, and that the "Irrigation programs" calendar shows exactly those
runs. A bug made the same way in encoder and decoder (a reversed weekday bitmap, swapped
bytes) makes the valve water at other times than the ones asked for and fails here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from zigpy.exceptions import DeliveryError

from custom_components.zha_device_pack.const import DOMAIN
from custom_components.zha_device_pack.protocol import irrigation_program as programs
from custom_components.zha_device_pack.quirks.tuya_ts0049 import TuyaIrrigationCluster
from tests.conftest import ZigbeeHarness
from tests.irrigation.conftest import calendar_events, call, entity, irrigation
from tests.simulator import SimDevice
from tests.simulator.models.ts0049 import ts0049_valve

# The valve's week: Sunday 2026-12-06 to Sunday 2026-12-13 (after "today" in the tests, so
# every program already exists then).
WEEK_START = datetime(2026, 12, 6)
WEEK_END = datetime(2026, 12, 13)

type Span = tuple[datetime, datetime]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def valve_week(hass: HomeAssistant, device: SimDevice) -> list[Span]:
    """Let the valve live through the week; return when it opened and closed."""
    model = ts0049_valve(device)
    model.set_clock(WEEK_START)
    model.clear_log()
    await model.elapse_until(WEEK_END)
    await hass.async_block_till_done()
    return [
        (watering.opened, watering.closed)
        for watering in model.waterings
        if watering.closed is not None
    ]


async def calendar_week(hass: HomeAssistant, device: SimDevice) -> list[Span]:
    """Return the calendar's runs in the same week, as wall-clock times (HA's zone)."""
    calendar = entity(hass, device, "calendar", "irrigation_programs")
    zone = dt_util.get_default_time_zone()
    events = await calendar_events(
        hass, calendar, WEEK_START.replace(tzinfo=zone), WEEK_END.replace(tzinfo=zone)
    )
    return [
        (
            dt_util.parse_datetime(event["start"]).replace(tzinfo=None),  # type: ignore[union-attr]
            dt_util.parse_datetime(event["end"]).replace(tzinfo=None),  # type: ignore[union-attr]
        )
        for event in events
    ]


@pytest.mark.parametrize("valve_answer_mode", ["list", "seed"])
async def test_weekly_program_waters_monday_and_thursday_only(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """Mon+Thu 06:30 for 20 min: the valve opens Monday and Thursday 06:30, nowhere else."""
    await call(
        hass,
        "add_scheduled_irrigation",
        valve,
        start_time="06:30",
        duration=20,
        recurrence="weekly",
        weekdays=["thu", "mon"],
    )

    waterings = await valve_week(hass, valve_device)

    assert waterings == [
        (at("2026-12-07 06:30"), at("2026-12-07 06:50")),
        (at("2026-12-10 06:30"), at("2026-12-10 06:50")),
    ]
    assert await calendar_week(hass, valve_device) == waterings
    # The valve reported what it did: auto while running, then the watering's length.
    state = hass.states.get(entity(hass, valve_device, "sensor", "once_using_time"))
    assert state is not None
    assert float(state.state) == 1200


async def test_every_n_days_odd_days_and_once(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """Every 3 days from Mon 12-07, odd days at 19:05, once on Wed 12-09 at 05:17."""
    await call(
        hass,
        "add_scheduled_irrigation",
        valve,
        start_time="21:43",
        duration=11,
        recurrence="every_n_days",
        interval_days=3,
        start_date="2026-12-07",
    )
    await call(
        hass,
        "add_scheduled_irrigation",
        valve,
        start_time="19:05",
        duration=7,
        recurrence="odd_days",
    )
    await call(
        hass,
        "add_scheduled_irrigation",
        valve,
        start_time="05:17",
        duration=38,
        recurrence="once",
        start_date="2026-12-09",
    )

    waterings = await valve_week(hass, valve_device)

    assert waterings == [
        (at("2026-12-07 19:05"), at("2026-12-07 19:12")),
        (at("2026-12-07 21:43"), at("2026-12-07 21:54")),
        (at("2026-12-09 05:17"), at("2026-12-09 05:55")),
        (at("2026-12-09 19:05"), at("2026-12-09 19:12")),
        (at("2026-12-10 21:43"), at("2026-12-10 21:54")),
        (at("2026-12-11 19:05"), at("2026-12-11 19:12")),
    ]
    assert await calendar_week(hass, valve_device) == waterings


async def test_cycle_program_waters_in_its_window(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """Tue+Sat 19:05-21:40, 13 min on / 29 off: the valve's runs are the calendar's."""
    await call(
        hass,
        "add_cycle_irrigation",
        valve,
        start_time="19:05",
        end_time="21:40",
        irrigation_duration=13,
        pause_duration=29,
        weekdays=["sat", "tue"],
    )

    waterings = await valve_week(hass, valve_device)

    starts = ["19:05", "19:47", "20:29", "21:11"]
    expected = [
        (at(f"{day} {start}"), at(f"{day} {start}") + timedelta(minutes=13))
        for day in ("2026-12-08", "2026-12-12")
        for start in starts
    ]
    # The last opening is cut at the window's end: 21:11 + 13 min would be 21:24, fine;
    # the next one (21:53) is outside the window.
    assert waterings == expected
    assert await calendar_week(hass, valve_device) == waterings


async def test_overnight_cycle_window_runs_into_the_next_day(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """Friday 22:10 to 01:35, 25 on / 35 off: the valve waters past midnight as shown."""
    await call(
        hass,
        "add_cycle_irrigation",
        valve,
        start_time="22:10",
        end_time="01:35",
        irrigation_duration=25,
        pause_duration=35,
        weekdays=["fri"],
    )

    waterings = await valve_week(hass, valve_device)

    assert waterings == [
        (at("2026-12-11 22:10"), at("2026-12-11 22:35")),
        (at("2026-12-11 23:10"), at("2026-12-11 23:35")),
        (at("2026-12-12 00:10"), at("2026-12-12 00:35")),
        (at("2026-12-12 01:10"), at("2026-12-12 01:35")),
    ]
    assert await calendar_week(hass, valve_device) == waterings


async def test_edit_moves_the_waterings(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """Updating a program changes what the valve does, not only what HA stores."""
    await call(
        hass,
        "add_scheduled_irrigation",
        valve,
        start_time="06:30",
        duration=20,
        weekdays=["mon", "thu"],
    )
    await call(
        hass,
        "update_scheduled_irrigation",
        valve,
        program_id=1,
        start_time="18:47",
        weekdays=["sat", "tue"],
    )

    waterings = await valve_week(hass, valve_device)

    assert waterings == [
        (at("2026-12-08 18:47"), at("2026-12-08 19:07")),
        (at("2026-12-12 18:47"), at("2026-12-12 19:07")),
    ]
    assert await calendar_week(hass, valve_device) == waterings


@pytest.mark.parametrize("valve_answer_mode", ["seed"])
async def test_single_task_answer_is_merged_when_the_list_cannot_be_read(
    hass: HomeAssistant,
    valve_device: SimDevice,
    valve: str,
    zigbee: ZigbeeHarness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The valve answers an edit with the task alone and then falls asleep: nothing lost."""
    await call(hass, "add_scheduled_irrigation", valve, start_time="06:30", duration=20)
    await call(hass, "add_scheduled_irrigation", valve, start_time="18:47", duration=9)
    original = TuyaIrrigationCluster.scheduled_program_request

    async def asleep_for_queries(
        cluster: TuyaIrrigationCluster, request: Any, wait: float | None = None
    ) -> Any:
        if isinstance(request, programs.QueryPrograms):
            raise DeliveryError(
                "Failed to deliver message: <TXStatus.NETWORK_ACK_FAILURE: 33>"
            )
        return await original(cluster, request, wait)

    monkeypatch.setattr(
        TuyaIrrigationCluster, "scheduled_program_request", asleep_for_queries
    )
    response = await call(
        hass, "update_scheduled_irrigation", valve, program_id=1, duration=31
    )

    assert [
        (p["program_id"], p["duration"]) for p in response["scheduled_programs"]
    ] == [
        (1, 31),
        (2, 9),
    ]
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    controller = irrigation(entry).controllers[valve_device.ieee]
    assert [p.program_id for p in controller.lists.scheduled] == [1, 2]
    assert len(ts0049_valve(valve_device).programs(17)) == 2


async def test_calendar_shows_no_run_before_the_program_existed(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """A program made now has no runs last week, though weekdays and times would match."""
    await call(
        hass,
        "add_scheduled_irrigation",
        valve,
        start_time="06:30",
        duration=20,
        weekdays=["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    )
    await call(
        hass,
        "add_cycle_irrigation",
        valve,
        start_time="00:05",
        end_time="23:55",
        irrigation_duration=13,
        pause_duration=29,
        weekdays=["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    )
    calendar = entity(hass, valve_device, "calendar", "irrigation_programs")
    now = dt_util.now()
    events = await calendar_events(
        hass, calendar, now - timedelta(days=7), now + timedelta(days=2)
    )
    starts = [dt_util.parse_datetime(event["start"]) for event in events]
    assert starts
    assert all(
        start is not None and start >= now - timedelta(seconds=1) for start in starts
    )


async def test_valve_entity_says_the_valve_did_not_answer(
    hass: HomeAssistant, valve_device: SimDevice, valve: str
) -> None:
    """Opening a sleeping valve from its entity: a clear message, not a raw radio status."""
    valve_device.set_online(False)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "valve", "open_valve", {"entity_id": valve}, blocking=True
        )
    assert str(err.value) == (
        "The valve did not answer. Battery valves only listen when they wake up; "
        "try again shortly."
    )
    number = entity(hass, valve_device, "number", "irrigation_time")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "number", "set_value", {"entity_id": number, "value": 25}, blocking=True
        )
    assert str(err.value) == (
        "The valve did not answer. Battery valves only listen when they wake up; "
        "try again shortly."
    )
    assert ts0049_valve(valve_device).irrigation_time == 600


async def test_undocumented_bits_survive_an_edit_from_ha(
    hass: HomeAssistant,
    hass_client: object,
    valve_device: SimDevice,
    valve: str,
    pack_setup: MockConfigEntry,
) -> None:
    """A program with bits seed 004 does not name: listed, shown in diagnostics, kept."""
    model = ts0049_valve(valve_device)
    # 06:30, 20 min, Mon+Thu, 75 %, setting 0x0f: weekly, on/off 11, reserved bits 2-3.
    model.store_program(17, bytes.fromhex("0186 0014 12 4b 0f 07ea 0b 07 03"))
    response = await call(hass, "refresh_irrigation_programs", valve)
    assert response["scheduled_programs"][0]["enabled"] is True

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, pack_setup)
    (valve_diagnostics,) = diagnostics["families"]["irrigation"]["valves"]
    assert valve_diagnostics["undocumented_setting_bits"] == [
        {"program_id": 1, "undocumented_setting_bits": 0x0E}
    ]

    await call(hass, "update_scheduled_irrigation", valve, program_id=1, duration=31)
    assert model.programs(17) == {1: bytes.fromhex("0186 001f 12 4b 0f 07ea 0b 07 03")}
    await call(hass, "update_scheduled_irrigation", valve, program_id=1, enabled=False)
    assert model.programs(17) == {1: bytes.fromhex("0186 001f 12 4b 0e 07ea 0b 07 03")}
