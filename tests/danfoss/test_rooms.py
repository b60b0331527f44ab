"""Heating rooms end to end: HA + real ZHA + our Ally quirk + simulated eTRVs.

Time moves with HA's freezer and the simulator's virtual clock together (`advance`), so the
TRVs' own timeouts (0x4015 expiry) run against what the integration sends.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
import itertools
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.zha.helpers import get_zha_gateway
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.danfoss.conftest import add_room, danfoss, join_trv, room_entity
from tests.simulator import SimDevice
from tests.simulator.models.danfoss_ally import OFF, danfoss_trv

# tick=True from the real "now": HA's async_fire_time_changed compares the frozen clock with
# the real one, so the frozen clock must start at the real time.
pytestmark = pytest.mark.freeze_time(tick=True)

IEEE_A = "00:15:bc:00:1a:00:00:0a"
IEEE_B = "00:15:bc:00:1a:00:00:0b"
SENSOR = "sensor.living_room_temperature"
WINDOW = "binary_sensor.living_room_window"
BOILER = "switch.boiler"
#: `settle` gives up waiting for a quiet network after this many rounds of traffic, and for
#: HA's writes after this many seconds (one to an awake TRV takes milliseconds).
SETTLE_ROUNDS_MAX = 50
SETTLE_WRITE_TIMEOUT = 0.5


def thermostat(device: SimDevice, name: str) -> Any:
    """Return a thermostat attribute of a simulated TRV."""
    return danfoss_trv(device).thermostat.get(name)


async def advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    zigbee: ZigbeeHarness,
    seconds: float,
    step: float = 60,
) -> None:
    """Let HA's clock and the network's virtual clock run ``seconds`` together."""
    remaining = seconds
    while remaining > 0:
        tick = min(step, remaining)
        freezer.tick(timedelta(seconds=tick))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        await zigbee.network.elapse(tick)
        await settle(hass, zigbee)
        remaining -= tick


def set_temperature(hass: HomeAssistant, value: float | str) -> None:
    hass.states.async_set(
        SENSOR, str(value), {"device_class": "temperature", "unit_of_measurement": "°C"}
    )


def _frames(zigbee: ZigbeeHarness) -> list[tuple[int, int]]:
    """Return how many frames each simulated device has received and sent so far."""
    return [
        (len(device.received), len(device.sent))
        for device in zigbee.network.devices.values()
    ]


def _coordinator_commands_pending(hass: HomeAssistant) -> bool:
    """Return True while zigpy-xbee awaits an answer of the coordinator (an AT command).

    Its timeout runs on the loop's clock, which the tests' time jumps move: a command in
    flight at a jump times out at once, and its late answer then fails in zigpy-xbee
    (``InvalidStateError`` on the cancelled future). zigpy-xbee's ``_awaiting`` (private).
    """
    application = get_zha_gateway(hass).application_controller
    return bool(getattr(getattr(application, "_api", None), "_awaiting", None))


async def settle(hass: HomeAssistant, zigbee: ZigbeeHarness) -> None:
    """Let HA, zigpy and the network finish what is in flight (before the clock jumps).

    Event driven, not a fixed real-time wait. Each round waits for HA's tasks, the background
    ones too (the TRV writes are; not while a frame waits for a sleepy device's poll: only
    virtual time brings that poll), and the simulator's tasks, and turns the loop so the
    frames on the socket between zigpy and the simulated coordinator are read. Done after
    two rounds in which no device received or sent a frame and no command to the coordinator
    waited for its answer.
    """
    network = zigbee.network
    frames = _frames(zigbee)
    quiet = 0
    for _ in range(SETTLE_ROUNDS_MAX):
        await hass.async_block_till_done()
        if not any(
            network.indirect_queue(device) for device in network.devices.values()
        ):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SETTLE_WRITE_TIMEOUT):
                    await hass.async_block_till_done(wait_background_tasks=True)
        await network.settle()
        await asyncio.sleep(0.001)
        now = _frames(zigbee)
        still = now == frames and not _coordinator_commands_pending(hass)
        quiet = quiet + 1 if still else 0
        if quiet == 2:
            break
        frames = now
    await hass.async_block_till_done()


@pytest.fixture
async def trvs(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> tuple[SimDevice, SimDevice]:
    """Two TRVs for the living room."""
    return (await join_trv(zigbee, IEEE_A), await join_trv(zigbee, IEEE_B))


@pytest.fixture
async def living_room(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    trvs: tuple[SimDevice, SimDevice],
) -> str:
    """A room with both TRVs, a room sensor (covered radiators), a window and a boiler."""
    set_temperature(hass, 20.37)
    hass.states.async_set(WINDOW, "off", {"device_class": "window"})
    hass.states.async_set(BOILER, "on")
    room_id = await add_room(
        hass,
        pack_setup,
        "Living room",
        trvs=[IEEE_A, IEEE_B],
        temperature_sensor=SENSOR,
        radiator_covered=True,
        window_sensors=[WINDOW],
        heat_source=BOILER,
        load_balancing=True,
        fast_setpoint=True,
    )
    await settle(hass, zigbee)
    return room_id


async def test_room_applies_its_settings_to_every_trv(
    hass: HomeAssistant,
    zigbee: ZigbeeHarness,
    trvs: tuple[SimDevice, SimDevice],
    living_room: str,
) -> None:
    for device in trvs:
        assert thermostat(device, "external_measured_room_sensor") == 2037
        assert thermostat(device, "radiator_covered") == 1
        assert thermostat(device, "external_open_window_detected") == 0
        assert thermostat(device, "heat_available") == 1
        assert thermostat(device, "load_balancing_enable") == 1
    climate = hass.states.get(room_entity(hass, "climate", living_room, "climate"))
    assert climate is not None
    assert climate.attributes["current_temperature"] == 20.4  # HA shows tenths
    assert climate.state == "heat"
    assert (climate.attributes["min_temp"], climate.attributes["max_temp"]) == (5, 35)
    sent = hass.states.get(
        room_entity(hass, "sensor", living_room, "external_sensor_sent")
    )
    assert sent is not None and dt_util.parse_datetime(sent.state) is not None


async def test_setpoint_goes_to_every_trv_fast_or_not(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    trvs: tuple[SimDevice, SimDevice],
    living_room: str,
) -> None:
    climate = room_entity(hass, "climate", living_room, "climate")
    await hass.services.async_call(
        "climate",
        "set_temperature",
        {"entity_id": climate, "temperature": 22.5},
        blocking=True,
    )
    for device in trvs:
        assert thermostat(device, "occupied_heating_setpoint") == 2250
        assert danfoss_trv(device)._state["last_setpoint_type"] == 1  # fast (default)
    await settle(hass, zigbee)
    assert hass.states.get(climate).attributes["temperature"] == 22.5  # type: ignore[union-attr]

    # outside the TRVs' limits: refused, nothing sent
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "climate",
            "set_temperature",
            {"entity_id": climate, "temperature": 35.5},
            blocking=True,
        )
    for device in trvs:
        assert thermostat(device, "occupied_heating_setpoint") == 2250

    # the room's "fast response" option off: type 0 (follows 0x4020)
    subentry = pack_setup.subentries[living_room]
    hass.config_entries.async_update_subentry(
        pack_setup, subentry, data={**subentry.data, "fast_setpoint": False}
    )
    await settle(hass, zigbee)
    await hass.services.async_call(
        "climate",
        "set_temperature",
        {"entity_id": climate, "temperature": 19.0},
        blocking=True,
    )
    for device in trvs:
        assert thermostat(device, "occupied_heating_setpoint") == 1900
        assert danfoss_trv(device)._state["last_setpoint_type"] == 0


async def test_presets_write_the_programming_mode(
    hass: HomeAssistant,
    zigbee: ZigbeeHarness,
    trvs: tuple[SimDevice, SimDevice],
    living_room: str,
) -> None:
    climate = room_entity(hass, "climate", living_room, "climate")
    await hass.services.async_call(
        "climate",
        "set_preset_mode",
        {"entity_id": climate, "preset_mode": "schedule_with_preheat"},
        blocking=True,
    )
    await settle(hass, zigbee)
    for device in trvs:
        assert thermostat(device, "programing_oper_mode") == 0x03
    assert hass.states.get(climate).attributes["preset_mode"] == "schedule_with_preheat"  # type: ignore[union-attr]


async def test_room_sensor_keeps_the_trvs_from_timing_out(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    zigbee: ZigbeeHarness,
    trvs: tuple[SimDevice, SimDevice],
    living_room: str,
) -> None:
    """Covered radiators: the TRV drops 0x4015 after 35 min; it never gets there."""
    values = [20.41, 20.52, 20.18, 20.9, 21.35, 21.02]
    for value in values * 2:
        set_temperature(hass, value)
        await advance(hass, freezer, zigbee, 20 * 60)
        for device in trvs:
            assert thermostat(device, "external_measured_room_sensor") != OFF
    # a steady room (the sensor reports the same value every 10 minutes): still
    # re-sent at least every 30 minutes, for hours
    for _ in range(18):
        set_temperature(hass, 21.02)
        await advance(hass, freezer, zigbee, 600, step=120)
    for device in trvs:
        assert thermostat(device, "external_measured_room_sensor") != OFF
    writes = [
        f
        for f in trvs[0].frames(cluster=0x0201, command=0x02)
        if b"\x15\x40" in f.payload
    ]
    gaps = [b.sim_time - a.sim_time for a, b in itertools.pairwise(writes)]
    assert max(gaps) <= 30 * 60
    assert min(gaps) >= 5 * 60 - 1

    # sensor unavailable: function off (-8000), not a stale value
    set_temperature(hass, "unavailable")
    await advance(hass, freezer, zigbee, 60)
    for device in trvs:
        assert thermostat(device, "external_measured_room_sensor") == OFF


async def test_windows_follow_the_contact_sensor_and_survive_a_power_cycle(
    hass: HomeAssistant,
    zigbee: ZigbeeHarness,
    trvs: tuple[SimDevice, SimDevice],
    living_room: str,
) -> None:
    hass.states.async_set(WINDOW, "on", {"device_class": "window"})
    await settle(hass, zigbee)
    for device in trvs:
        assert thermostat(device, "external_open_window_detected") == 1
        assert thermostat(device, "open_window_detection") == 4
    await trvs[1].power_cycle()
    await settle(hass, zigbee)
    await zigbee.wait_for(
        lambda: thermostat(trvs[1], "external_open_window_detected") == 1,
        what="window re-asserted after the power cycle",
    )
    # the other Save = No values come back too: room sensor, heat available
    await zigbee.wait_for(
        lambda: thermostat(trvs[1], "external_measured_room_sensor") != OFF,
        what="room sensor sent again after the power cycle",
    )
    assert thermostat(trvs[1], "heat_available") == 1
    # a TRV that drops it by itself (seen on 2026 firmware, z2m#31595) gets it again
    await trvs[0].report(1, 0x0201, {"external_open_window_detected": 0})
    await settle(hass, zigbee)
    await zigbee.wait_for(
        lambda: thermostat(trvs[0], "external_open_window_detected") == 1,
        what="window re-asserted after the TRV reported it dropped",
    )
    hass.states.async_set(WINDOW, "off", {"device_class": "window"})
    await settle(hass, zigbee)
    for device in trvs:
        assert thermostat(device, "external_open_window_detected") == 0


async def test_load_balancing_writes_the_room_mean_every_15_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    zigbee: ZigbeeHarness,
    trvs: tuple[SimDevice, SimDevice],
    living_room: str,
) -> None:
    a, b = (danfoss_trv(device) for device in trvs)
    a.set_load_estimate(137)
    b.set_load_estimate(-600)  # below -500: left out
    a.report_load_estimate()
    b.report_load_estimate()
    await settle(hass, zigbee)
    await advance(hass, freezer, zigbee, 16 * 60)  # the 15-minute interval passed
    for device in trvs:
        assert thermostat(device, "load_room_mean") == 137
    b.set_load_estimate(412)
    b.report_load_estimate()
    await settle(hass, zigbee)
    await advance(hass, freezer, zigbee, 15 * 60)
    for device in trvs:
        assert thermostat(device, "load_room_mean") == round((137 + 412) / 2)
    sensor = hass.states.get(room_entity(hass, "sensor", living_room, "load_room_mean"))
    assert sensor is not None and sensor.state == str(round((137 + 412) / 2))


async def test_single_trv_room_turns_load_balancing_off(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    device = await join_trv(zigbee, IEEE_A)
    assert thermostat(device, "load_balancing_enable") == 1  # the TRV's default
    await add_room(hass, pack_setup, "Study", trvs=[IEEE_A], load_balancing=True)
    await settle(hass, zigbee)
    assert thermostat(device, "load_balancing_enable") == 0
    assert thermostat(device, "load_room_mean") == OFF
    await device.power_cycle()  # Save = No: back to 1, and we set it again
    await settle(hass, zigbee)
    await zigbee.wait_for(
        lambda: thermostat(device, "load_balancing_enable") == 0,
        what="load balancing off again after the power cycle",
    )


async def test_heat_source_and_heat_required(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    trvs: tuple[SimDevice, SimDevice],
    living_room: str,
) -> None:
    hass.states.async_set(BOILER, "off")
    await settle(hass, zigbee)
    for device in trvs:
        assert thermostat(device, "heat_available") == 0
    await trvs[1].report(1, 0x0201, {"pi_heating_demand": 63})
    await trvs[1].report(1, 0x0201, {"heat_required": True})
    await settle(hass, zigbee)
    room_heat = hass.states.get(
        room_entity(hass, "binary_sensor", living_room, "heat_required")
    )
    assert room_heat is not None and room_heat.state == "on"
    hub_heat = hass.states.get("binary_sensor.heating_heat_required")
    assert hub_heat is not None and hub_heat.state == "on"
    demand = hass.states.get("sensor.heating_heat_demand")
    assert demand is not None and demand.state == "63"
    room_max = hass.states.get(
        room_entity(hass, "sensor", living_room, "heat_demand_max")
    )
    room_mean = hass.states.get(
        room_entity(hass, "sensor", living_room, "heat_demand_mean")
    )
    assert room_max is not None and room_max.state == "63"
    assert room_mean is not None and room_mean.state == "31.5"  # 63 and 0
    climate = hass.states.get(room_entity(hass, "climate", living_room, "climate"))
    assert climate is not None and climate.attributes["hvac_action"] == "heating"
    assert danfoss(pack_setup).heat_required


async def test_sleepy_trv_gets_a_failed_write_at_its_next_check_in(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """A write that found the TRV away is retried when it checks in (every 5 minutes)."""
    device = await join_trv(zigbee, IEEE_A, sleepy=True)
    hass.states.async_set(WINDOW, "off", {"device_class": "window"})
    await add_room(hass, pack_setup, "Attic", trvs=[IEEE_A], window_sensors=[WINDOW])
    network = zigbee.network
    for _ in range(5):  # let the room's first writes reach the polling TRV
        await network.elapse(7)
        await settle(hass, zigbee)
    await zigbee.wait_for(
        lambda: thermostat(device, "load_balancing_enable") == 0, what="room applied"
    )
    device.set_online(False)
    hass.states.async_set(WINDOW, "on", {"device_class": "window"})
    trv = danfoss(pack_setup).trvs[device.ieee]
    await zigbee.wait_for(
        lambda: len(network.indirect_queue(device)) > 0, what="write queued"
    )
    for _ in range(10):  # the parent's indirect queue expires each try (7.68 s)
        await network.elapse(8)
        await settle(hass, zigbee)
        if trv.unreachable_since is not None:
            break
    assert trv.unreachable_since is not None
    assert thermostat(device, "external_open_window_detected") == 0
    assert "external_open_window_detected" in trv.pending

    device.set_online(True)
    for _ in range(50):  # up to the next check-in, then the TRV's next polls
        await network.elapse(7)
        await settle(hass, zigbee)
        if thermostat(device, "external_open_window_detected") == 1:
            break
    assert thermostat(device, "external_open_window_detected") == 1
    assert not trv.pending
    assert trv.unreachable_since is None


async def test_repair_issue_for_a_trv_unreachable_for_a_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    device = await join_trv(zigbee, IEEE_A)
    hass.states.async_set(WINDOW, "off", {"device_class": "window"})
    await add_room(hass, pack_setup, "Attic", trvs=[IEEE_A], window_sensors=[WINDOW])
    await settle(hass, zigbee)
    trv = danfoss(pack_setup).trvs[device.ieee]
    device.set_online(False)
    hass.states.async_set(WINDOW, "on", {"device_class": "window"})
    await zigbee.wait_for(
        lambda: trv.unreachable_since is not None, what="write failed"
    )
    issue_id = f"danfoss_unreachable_{device.ieee}"
    registry = ir.async_get(hass)
    for _ in range(23):
        freezer.tick(timedelta(hours=1))
        async_fire_time_changed(hass)
        await settle(hass, zigbee)
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    for _ in range(2):
        freezer.tick(timedelta(hours=1))
        async_fire_time_changed(hass)
        await settle(hass, zigbee)
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None and issue.translation_key == "danfoss_unreachable"

    device.set_online(True)
    await zigbee.network.elapse(300)  # the TRV checks in (Poll Control, every 5 min)
    await zigbee.wait_for(lambda: not trv.pending, what="write landed")
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await settle(hass, zigbee)
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    assert thermostat(device, "external_open_window_detected") == 1
