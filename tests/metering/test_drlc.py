"""Smart Energy DRLC client end to end: the meter's (ESI's) load control events in HA.

HA + real ZHA + our quirk against the simulated meter's DRLC server
(``tests/simulator/models/se_drlc.py``, written from reference §4 independently of the codec).
No source holds a captured DRLC frame: the expected bytes are built here from the reference's
§4.2 field tables (ReportEventStatus: 18 bytes + 42-byte signature; SLD sends signature type
0x00 and 42 x 0xFF) and its §4.3 status codes.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
import random
import struct
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.simulator import SimDevice
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_drlc import (
    RANDOMIZE_START,
    DrlcServer,
    load_control_event_payload,
)
from tests.simulator.models.se_meters import se_electricity_meter

# tick=True from the real "now": async_fire_time_changed compares the frozen clock with the
# real one (tests/danfoss/test_rooms.py)
pytestmark = pytest.mark.freeze_time(tick=True)

DRLC = 0x0701
SE_PROFILE = 0x0109
REPORT_EVENT_STATUS = 0x00
GET_SCHEDULED_EVENTS = 0x01
LOAD_CONTROL_EVENT = 0x00
# ZCL frame control: cluster-specific, client -> server, default response wanted
FC_CLIENT_TO_SERVER = 0x01
ZCL_EPOCH = datetime(2000, 1, 1, tzinfo=dt_util.UTC)
DUMMY_SIGNATURE = b"\x00" + b"\xff" * 42
# device classes water heater + strip heaters, not 0x0FFF
DEVICE_CLASS = 0x0006
EVENT_ID = 0x01020304


def utc_time(instant: datetime) -> int:
    return int((instant - ZCL_EPOCH).total_seconds())


def esi_of(device: SimDevice) -> DrlcServer:
    drlc = getattr(device, "drlc", None)
    assert isinstance(drlc, DrlcServer)
    return drlc


def entity(hass: HomeAssistant, device: SimDevice, domain: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        domain, DOMAIN, f"{device.ieee}-{key}"
    )
    assert entity_id is not None, key
    return entity_id


def state(hass: HomeAssistant, entity_id: str) -> State:
    found = hass.states.get(entity_id)
    assert found is not None, entity_id
    return found


async def settle(hass: HomeAssistant, zigbee: ZigbeeHarness) -> None:
    for _ in range(3):
        await hass.async_block_till_done()
        await zigbee.network.settle()
        await asyncio.sleep(0.02)
    await hass.async_block_till_done()


async def advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    zigbee: ZigbeeHarness,
    seconds: float,
) -> None:
    """Let HA's clock and the network's run ``seconds`` together, in 5-minute steps."""
    await settle(hass, zigbee)  # frames in flight answered before the clock jumps
    remaining = seconds
    while remaining > 0:
        tick = min(300, remaining)
        # move_to, not tick: with tick=True freezegun's tick() drops the real time that
        # ran since the last move, landing short of the target
        freezer.move_to(dt_util.utcnow() + timedelta(seconds=tick))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        await zigbee.network.elapse(tick)
        # the reports in flight get their Default Response before the clock jumps again
        await settle(hass, zigbee)
        remaining -= tick


def reports(device: SimDevice) -> list[bytes]:
    """Return the ReportEventStatus payloads HA sent, oldest first."""
    return [
        frame.data[3:]
        for frame in device.frames(
            cluster=DRLC, command=REPORT_EVENT_STATUS, general=False
        )
    ]


def statuses(device: SimDevice) -> list[tuple[int, int]]:
    """Return (issuer event id, status) of every report HA sent, oldest first."""
    return [struct.unpack_from("<IB", payload) for payload in reports(device)]


async def wait_reports(zigbee: ZigbeeHarness, device: SimDevice, count: int) -> None:
    await zigbee.wait_for(
        lambda: len(statuses(device)) >= count, what=f"{count} status reports"
    )


async def joined_meter(
    hass: HomeAssistant, zigbee: ZigbeeHarness, ieee: str
) -> tuple[SimDevice, DrlcServer]:
    device = se_electricity_meter(resolve_ieee(ieee), drlc=True)
    await zigbee.join(device)
    await device.wait_for_frame(cluster=DRLC, command=GET_SCHEDULED_EVENTS)
    await settle(hass, zigbee)
    return device, esi_of(device)


def drlc_client(entry: MockConfigEntry) -> Any:
    return entry.runtime_data.families["metering"].drlc


async def opt(hass: HomeAssistant, service: str, entity_id: str, event_id: int) -> None:
    await hass.services.async_call(
        DOMAIN,
        service,
        {"entity_id": entity_id, "issuer_event_id": event_id},
        blocking=True,
    )


async def test_event_received_started_completed(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    freezer: FrozenDateTimeFactory,
) -> None:
    device, esi = await joined_meter(hass, zigbee, "00:0d:6f:00:0a:00:09:01")
    # GetScheduledEvents at join: start 0 (now), all events; the ESI has none: NOT_FOUND
    (request,) = device.frames(
        cluster=DRLC, command=GET_SCHEDULED_EVENTS, general=False
    )
    assert request.profile_id == SE_PROFILE
    assert request.data == bytes(
        (FC_CLIENT_TO_SERVER, request.tsn, GET_SCHEDULED_EVENTS, 0, 0, 0, 0, 0)
    )
    assert esi.requests == [(0, 0, None)]
    (answer,) = device.frames(cluster=DRLC, general=True, sent=True)
    assert answer.payload == bytes((GET_SCHEDULED_EVENTS, 0x8B))

    calendar = entity(hass, device, "calendar", "load_control_events")
    event_entity = entity(hass, device, "event", "load_control")
    active = entity(hass, device, "binary_sensor", "load_control_active")
    assert state(hass, calendar).state == "off"
    assert state(hass, active).state == "off"

    start = dt_util.utcnow().replace(microsecond=0) + timedelta(minutes=2)
    esi.send_event(
        EVENT_ID,
        device_class=DEVICE_CLASS,
        start=utc_time(start),
        duration=30,
        criticality=0x03,  # level 2
        cooling_offset=0x14,  # 2.0 °C
        cooling_set_point=2650,  # 26.50 °C
        load_adjustment=-25,
        duty_cycle=60,
    )
    await wait_reports(zigbee, device, 1)
    received = utc_time(dt_util.utcnow())
    (frame,) = device.frames(cluster=DRLC, command=REPORT_EVENT_STATUS, general=False)
    assert frame.profile_id == SE_PROFILE
    # reference §4.2: id, status 0x01, time, criticality applied 0x03, cooling set point
    # applied 0x0A5A, heating not used 0x8000, load adjustment 0xE7 (-25), duty cycle 0x3C,
    # event control 0x00, signature type 0x00 + 42 x 0xFF
    (status_time,) = struct.unpack_from("<I", frame.data, 8)
    assert abs(status_time - received) <= 2
    assert frame.data == (
        bytes((FC_CLIENT_TO_SERVER, frame.tsn, REPORT_EVENT_STATUS))
        + bytes.fromhex("0403020101")
        + struct.pack("<I", status_time)
        + bytes.fromhex("035a0a0080e73c00")
        + DUMMY_SIGNATURE
    )
    assert len(frame.data) == 3 + 60
    await zigbee.wait_for(lambda: esi.status.get(EVENT_ID) == 0x01, what="recorded")

    fired = state(hass, event_entity)
    assert fired.attributes["event_type"] == "received"
    assert fired.attributes["issuer_event_id"] == EVENT_ID
    assert fired.attributes["criticality"] == "level_2"
    assert fired.attributes["duration"] == 30
    assert fired.attributes["device_class"] == DEVICE_CLASS
    assert fired.attributes["cooling_temperature_offset"] == 2.0
    assert fired.attributes["cooling_temperature_set_point"] == 26.5
    assert fired.attributes["heating_temperature_set_point"] is None
    assert fired.attributes["average_load_adjustment"] == -25
    assert fired.attributes["duty_cycle"] == 60
    assert dt_util.parse_datetime(fired.attributes["start"]) == start
    assert dt_util.parse_datetime(fired.attributes["randomized_start"]) == start
    shown = state(hass, calendar)
    assert shown.state == "off"  # scheduled, not running yet
    assert shown.attributes["message"] == "Load control (level_2)"
    assert "Cooling set point: 26.5 °C" in shown.attributes["description"]
    assert "Duty cycle: 60 %" in shown.attributes["description"]
    assert dt_util.parse_datetime(shown.attributes["start_time"]) is not None

    await advance(hass, freezer, zigbee, 120)
    await wait_reports(zigbee, device, 2)
    assert statuses(device)[1] == (EVENT_ID, 0x02)
    assert state(hass, active).state == "on"
    assert state(hass, calendar).state == "on"
    assert state(hass, event_entity).attributes["event_type"] == "started"

    await advance(hass, freezer, zigbee, 30 * 60)
    await wait_reports(zigbee, device, 3)
    assert statuses(device) == [(EVENT_ID, 0x01), (EVENT_ID, 0x02), (EVENT_ID, 0x03)]
    assert state(hass, active).state == "off"
    assert state(hass, calendar).state == "off"
    completed = state(hass, event_entity)
    assert completed.attributes["event_type"] == "completed"
    assert completed.attributes["status"] == "completed"
    assert drlc_client(pack_setup).events(device.ieee) == []


async def test_randomisation_supersession_cancel_opt_out(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    freezer: FrozenDateTimeFactory,
) -> None:
    device, esi = await joined_meter(hass, zigbee, "00:0d:6f:00:0a:00:09:02")

    class TwoThirds(random.Random):
        def randrange(self, *args: int, **_kwargs: object) -> int:  # type: ignore[override]
            return args[0] * 2 // 3

    drlc_client(pack_setup).rng = TwoThirds()
    event_entity = entity(hass, device, "event", "load_control")
    active = entity(hass, device, "binary_sensor", "load_control_active")
    now = dt_util.utcnow().replace(microsecond=0)

    # randomised start: StartRandomizationMinutes 30 -> a delay in [0, 1800) s, here 1200
    start = now + timedelta(hours=2)
    esi.send_event(
        0x0A0B0C01,
        device_class=DEVICE_CLASS,
        start=utc_time(start),
        duration=60,
        event_control=RANDOMIZE_START,
    )
    await wait_reports(zigbee, device, 1)
    fired = state(hass, event_entity).attributes
    randomized = dt_util.parse_datetime(fired["randomized_start"])
    assert randomized is not None
    assert start <= randomized < start + timedelta(minutes=30)
    assert randomized == start + timedelta(seconds=1200)
    assert dt_util.parse_datetime(fired["randomized_end"]) == randomized + timedelta(
        minutes=60
    )
    assert reports(device)[0][16] == RANDOMIZE_START  # the event control applied

    # an overlapping newer event for a shared device class supersedes it (0x07)
    esi.send_event(
        0x0A0B0C02,
        device_class=0x0004,
        start=utc_time(start + timedelta(minutes=30)),
        duration=20,
    )
    await wait_reports(zigbee, device, 3)
    assert statuses(device)[1:] == [(0x0A0B0C02, 0x01), (0x0A0B0C01, 0x07)]
    # the ESI cancels it (0x06); a cancel of an event HA never had: 0xFD
    esi.cancel_event(0x0A0B0C02, device_class=0x0004)
    esi.cancel_event(0x0BADBEEF)
    await wait_reports(zigbee, device, 5)
    assert statuses(device)[3:] == [(0x0A0B0C02, 0x06), (0x0BADBEEF, 0xFD)]
    assert reports(device)[4][9:17] == bytes.fromhex("000080008080ff00")
    assert drlc_client(pack_setup).events(device.ieee) == []

    # an event starting now runs; the user opts out of it: 0x04, then 0x08 at its end
    esi.send_event(0x0A0B0C03, device_class=DEVICE_CLASS, duration=10)
    await wait_reports(zigbee, device, 7)
    assert statuses(device)[5:] == [(0x0A0B0C03, 0x01), (0x0A0B0C03, 0x02)]
    assert state(hass, active).state == "on"
    await opt(hass, "opt_out_of_load_control_event", active, 0x0A0B0C03)
    await wait_reports(zigbee, device, 8)
    assert statuses(device)[7] == (0x0A0B0C03, 0x04)
    assert state(hass, active).state == "off"
    assert state(hass, event_entity).attributes["event_type"] == "opted_out"
    await advance(hass, freezer, zigbee, 10 * 60)
    await wait_reports(zigbee, device, 9)
    assert statuses(device)[8] == (0x0A0B0C03, 0x08)
    assert state(hass, event_entity).attributes["status"] == (
        "partially_completed_with_user_opt_out"
    )
    assert esi.status[0x0A0B0C03] == 0x08


async def test_rejections_and_bad_service_input(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    device, esi = await joined_meter(hass, zigbee, "00:0d:6f:00:0a:00:09:03")
    event_entity = entity(hass, device, "event", "load_control")
    now = dt_util.utcnow().replace(microsecond=0)
    later = utc_time(now + timedelta(hours=1))
    # criticality 0x10 is reserved: ignored without a report (reference §4.3, SLD)
    esi.send_raw(
        LOAD_CONTROL_EVENT,
        load_control_event_payload(
            issuer_event_id=0x0C000001, start=later, duration=30, criticality=0x10
        ),
    )
    # duration 1441 and start 0xFFFFFFFF: rejected 0xFE; ended 30 min ago: 0xFB
    esi.send_raw(
        LOAD_CONTROL_EVENT,
        load_control_event_payload(
            issuer_event_id=0x0C000002, start=later, duration=1441
        ),
    )
    esi.send_raw(
        LOAD_CONTROL_EVENT,
        load_control_event_payload(
            issuer_event_id=0x0C000003, start=0xFFFFFFFF, duration=30
        ),
    )
    esi.send_event(0x0C000004, start=utc_time(now - timedelta(hours=1)), duration=30)
    # a valid event, then its id again with other fields: a duplicate, ignored
    esi.send_event(0x0C000005, device_class=DEVICE_CLASS, start=later, duration=30)
    esi.send_event(0x0C000005, device_class=DEVICE_CLASS, start=later, duration=45)
    await wait_reports(zigbee, device, 4)
    await settle(hass, zigbee)
    assert statuses(device) == [
        (0x0C000002, 0xFE),
        (0x0C000003, 0xFE),
        (0x0C000004, 0xFB),
        (0x0C000005, 0x01),
    ]
    assert state(hass, event_entity).attributes["event_type"] == "received"
    (held,) = drlc_client(pack_setup).events(device.ieee)
    assert held.event.duration_minutes == 30

    # bad service input: refused, nothing sent, nothing changed
    before = (len(device.frames(cluster=DRLC)), state(hass, event_entity).state)
    with pytest.raises(ServiceValidationError) as unknown:
        await opt(hass, "opt_out_of_load_control_event", event_entity, 0x0C000002)
    assert unknown.value.translation_key == "metering_load_control_unknown_out"
    with pytest.raises(ServiceValidationError) as already:
        await opt(hass, "opt_in_to_load_control_event", event_entity, 0x0C000005)
    assert already.value.translation_key == "metering_load_control_already_in"
    await settle(hass, zigbee)
    assert (len(device.frames(cluster=DRLC)), state(hass, event_entity).state) == before
    assert held.opted_in


async def test_events_survive_a_restart(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    freezer: FrozenDateTimeFactory,
) -> None:
    device, esi = await joined_meter(hass, zigbee, "00:0d:6f:00:0a:00:09:04")
    start = dt_util.utcnow().replace(microsecond=0) + timedelta(minutes=5)
    esi.send_event(
        0x0D0E0F01, device_class=DEVICE_CLASS, start=utc_time(start), duration=15
    )
    await wait_reports(zigbee, device, 1)
    active = entity(hass, device, "binary_sensor", "load_control_active")
    await opt(hass, "opt_out_of_load_control_event", active, 0x0D0E0F01)
    await opt(hass, "opt_in_to_load_control_event", active, 0x0D0E0F01)
    await wait_reports(zigbee, device, 3)

    assert await hass.config_entries.async_reload(pack_setup.entry_id)
    await settle(hass, zigbee)
    # asked again; the ESI re-sends its event with the request's TSN: a duplicate, ignored
    requests = device.frames(cluster=DRLC, command=GET_SCHEDULED_EVENTS, general=False)
    assert len(requests) == 2
    resent = device.frames(cluster=DRLC, command=LOAD_CONTROL_EVENT, sent=True)
    assert resent[-1].tsn == requests[-1].tsn
    (held,) = drlc_client(pack_setup).events(device.ieee)
    assert held.issuer_event_id == 0x0D0E0F01
    calendar = state(hass, entity(hass, device, "calendar", "load_control_events"))
    assert dt_util.parse_datetime(calendar.attributes["start_time"]) is not None
    assert len(statuses(device)) == 3

    # the restored timer still fires
    await advance(hass, freezer, zigbee, 5 * 60)
    await wait_reports(zigbee, device, 4)
    assert statuses(device)[3] == (0x0D0E0F01, 0x02)
    assert state(hass, active).state == "on"
    await advance(hass, freezer, zigbee, 15 * 60)
    await wait_reports(zigbee, device, 5)
    # opted out and back in before the start: a full participation, 0x03
    assert statuses(device)[4] == (0x0D0E0F01, 0x03)

    # a rejoin (Device_annce, same cluster objects): the scheduled events are asked again
    assert device.announce()
    await zigbee.wait_for(
        lambda: (
            len(
                device.frames(cluster=DRLC, command=GET_SCHEDULED_EVENTS, general=False)
            )
            == 3
        ),
        what="GetScheduledEvents after the rejoin",
    )
    await settle(hass, zigbee)
