"""HA as the ESI: the DRLC server end to end, on a simulated water-heater load controller.

HA + real ZHA + our quirk against the load controller (``tests/simulator/models/
se_load_controller.py``, written from the spec independently of the codec): the heater's
On/Off is a ZHA switch entity, so the test sees the event's meaning in HA. Byte vectors are
built from the field tables of the Smart Energy wire reference §4.2 (LoadControlEvent,
CancelLoadControlEvent) and the Digi X2 LoadControlEventRecord defaults (seed 002).
"""

from __future__ import annotations

from datetime import timedelta
import math
import struct
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.zha_device_pack import zha_bridge
from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_load_controller import (
    LoadControllerDevice,
    se_load_controller,
)

pytestmark = pytest.mark.freeze_time(tick=True)

DRLC = 0x0701
SE_PROFILE = 0x0109
LOAD_CONTROL_EVENT = 0x00
CANCEL_LOAD_CONTROL_EVENT = 0x01
CANCEL_ALL = 0x02
FC_SERVER_TO_CLIENT = (
    0x09  # cluster-specific, server -> client, Default Response wanted
)
FC_ANSWER = 0x19  # the same, no Default Response (an answer with the request's TSN)
ZCL_EPOCH_OFFSET = 946684800


def utc_now() -> int:
    return int(dt_util.utcnow().timestamp()) - ZCL_EPOCH_OFFSET


async def call(
    hass: HomeAssistant, service: str, data: dict[str, Any]
) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    zigbee: ZigbeeHarness,
    seconds: float,
) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await zigbee.network.elapse(seconds)
    await hass.async_block_till_done()


def esi_events(pack: MockConfigEntry) -> set[int]:
    return set(pack.runtime_data.families["esi"].drlc.events)


async def answer(
    zigbee: ZigbeeHarness, device: LoadControllerDevice, count: int = 1
) -> list[Any]:
    """Send GetScheduledEvents; return the frames answering it (its TSN)."""
    start = len(device.received)
    tsn = device.controller.request_scheduled_events()

    def answers() -> list[Any]:
        return [
            f for f in device.received[start:] if f.cluster_id == DRLC and f.tsn == tsn
        ]

    await zigbee.wait_for(lambda: len(answers()) >= count, what="GetScheduledEvents")
    return answers()


async def test_load_control_events(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    freezer: FrozenDateTimeFactory,
) -> None:
    device = se_load_controller(resolve_ieee("00:0d:6f:00:0b:00:02:01"))
    await zigbee.join(device)
    controller = device.controller
    controller.set_clock(dt_util.utcnow())
    device_id = zha_bridge.zha_device_id(hass, device.ieee)
    (switch,) = zigbee.entity_ids(device, "switch")
    sensor = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{device.ieee}-esi_load_control_status"
    )
    assert sensor is not None
    # captured by a callback: a plain ``list.append`` would run in the executor, late
    statuses = async_capture_events(hass, f"{DOMAIN}_load_control_status")

    def heater() -> str | None:
        state = hass.states.get(switch)
        return None if state is None else state.state

    def status() -> str | None:
        state = hass.states.get(sensor)
        return None if state is None else state.state

    assert heater() == "on"

    # -- bad input: nothing sent, nothing stored -----------------------------------------
    past = dt_util.utcnow() - timedelta(hours=1)
    for data, key in (
        ({"duration": 5, "criticality": 0}, "esi_criticality_invalid"),
        ({"duration": 5, "criticality": 16}, "esi_criticality_invalid"),
        ({"duration": 0}, "esi_event_duration_invalid"),
        ({"duration": 1441}, "esi_event_duration_invalid"),
        ({"duration": 5, "start": past}, "esi_start_in_past"),
        ({"duration": 5, "device_class": 0}, "esi_device_class_invalid"),
        ({"duration": 5, "device_class": 0x1004}, "esi_device_class_invalid"),
        ({"duration": 5, "duty_cycle": 101}, "esi_event_field_invalid"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "create_load_control_event", data)
        assert err.value.translation_key == key, data
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "cancel_load_control_event", {"issuer_event_id": 9})
    assert err.value.translation_key == "esi_unknown_event"
    assert not device.frames(cluster=DRLC)
    assert esi_events(pack_setup) == set()
    # nothing scheduled: GetScheduledEvents is answered NOT_FOUND
    (not_found,) = await answer(zigbee, device)
    assert not_found.is_general
    assert not_found.payload == bytes((0x01, 0x8B))

    # -- an event in 2 minutes for 3 minutes, byte-exact (reference §4.2) ----------------
    # The controller's clock runs on the network's virtual clock, HA's frozen clock ticks
    # with real time: set the controller to HA's time right before the event, so the real
    # time the steps above took (seconds on a loaded machine) does not delay its start.
    controller.set_clock(dt_util.utcnow())
    start = utc_now() + 120
    response = await call(
        hass,
        "create_load_control_event",
        {
            "issuer_event_id": 0x01020304,
            "device_class": 0x0005,  # HVAC + water heater
            "start": dt_util.utc_from_timestamp(start + ZCL_EPOCH_OFFSET),
            "duration": 3,
            "criticality": 3,
            "duty_cycle": 40,
        },
    )
    (result,) = response["devices"]
    assert result["device_id"] == device_id
    assert (result["result"], result["status"]) == ("sent", "received")
    (frame,) = device.frames(cluster=DRLC, command=LOAD_CONTROL_EVENT)
    assert frame.profile_id == SE_PROFILE
    assert frame.data == (
        bytes((FC_SERVER_TO_CLIENT, frame.tsn, LOAD_CONTROL_EVENT))
        + bytes.fromhex(
            "04030201"  # IssuerEventID 0x01020304
            "0500"  # DeviceClass 0x0005
            "00"  # UtilityEnrollmentGroup 0 (Digi default: all groups)
        )
        + struct.pack("<I", start)
        + bytes.fromhex(
            "0300"  # DurationInMinutes 3
            "03"  # CriticalityLevel 3 (level 2)
            "ffff"  # cooling / heating offsets: not used
            "00800080"  # cooling / heating set points: not used (0x8000)
            "80"  # average load adjustment: not used
            "28"  # duty cycle 40 %
            "00"  # EventControl: no randomization
        )
    )
    assert status() == "received"
    assert statuses[-1].data["device_id"] == device_id
    assert statuses[-1].data["issuer_event_id"] == 0x01020304
    assert statuses[-1].data["duty_cycle_applied"] == 40
    assert heater() == "on"
    calendar = er.async_get(hass).async_get_entity_id(
        "calendar",
        DOMAIN,
        f"{zha_bridge.coordinator_ieee(hass)}-esi_load_control_events",
    )
    assert calendar is not None
    state = hass.states.get(calendar)
    assert state is not None
    assert "16909060" in state.attributes["message"]
    # a duplicate issuer event id is refused, nothing sent
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "create_load_control_event",
            {"issuer_event_id": 0x01020304, "duration": 1},
        )
    assert err.value.translation_key == "esi_duplicate_event"
    assert len(device.frames(cluster=DRLC, command=LOAD_CONTROL_EVENT)) == 1

    # -- start: the heater switches OFF (ZHA's switch in HA) and 0x02 is reported --------
    # (HA's frozen clock loses the real time between ticks: margins of seconds)
    await advance(hass, freezer, zigbee, 150)
    await zigbee.wait_for(lambda: heater() == "off", what="heater off")
    await zigbee.wait_for(lambda: status() == "started", what="started")
    # GetScheduledEvents: the running event re-sent with start 0 and the time left
    left = math.ceil((start + 180 - utc_now()) / 60)
    (resent,) = await answer(zigbee, device)
    assert resent.data[:3] == bytes((FC_ANSWER, resent.tsn, LOAD_CONTROL_EVENT))
    assert resent.payload[:7] == bytes((0x04, 0x03, 0x02, 0x01, 0x05, 0x00, 0x00))
    assert struct.unpack_from("<IH", resent.payload, 7) == (0, left)  # now, time left
    assert 0 < left <= 3
    # -- end: heater back ON, 0x03 completed; the event leaves the ESI --------------------
    # (20 s past the end: the controller's clock may lag HA's by the real time since set)
    await advance(hass, freezer, zigbee, 180 + 20)
    await zigbee.wait_for(lambda: heater() == "on", what="heater on")
    await zigbee.wait_for(lambda: status() == "completed", what="completed")
    assert [s for i, s in controller.reports if i == 0x01020304] == [0x01, 0x02, 0x03]
    assert esi_events(pack_setup) == set()

    # -- an event now (Digi defaults), cancelled while running ---------------------------
    response = await call(
        hass,
        "create_load_control_event",
        {"issuer_event_id": 0x0A0B0C0D, "duration": 30},
    )
    frame = device.frames(cluster=DRLC, command=LOAD_CONTROL_EVENT)[-1]
    assert frame.payload[4:11] == bytes(
        (0xFF, 0x0F, 0x00, 0, 0, 0, 0)
    )  # 0x0FFF, 0, now
    assert frame.payload[13] == 0x01  # criticality 1 (green)
    await advance(hass, freezer, zigbee, 1)
    await zigbee.wait_for(lambda: heater() == "off", what="heater off (now)")
    response = await call(
        hass, "cancel_load_control_event", {"issuer_event_id": 0x0A0B0C0D}
    )
    assert (response["devices"][0]["result"], response["devices"][0]["status"]) == (
        "sent",
        "cancelled",
    )
    (cancel,) = device.frames(cluster=DRLC, command=CANCEL_LOAD_CONTROL_EVENT)
    assert cancel.payload == bytes(
        (0x0D, 0x0C, 0x0B, 0x0A, 0xFF, 0x0F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00)
    )  # id, device class 0x0FFF, group 0, end now, effective time 0 (deprecated: now)
    await zigbee.wait_for(lambda: heater() == "on", what="heater on (cancelled)")
    assert status() == "cancelled"

    # -- a controller whose clock is ahead rejects the event as expired (0xFB) -----------
    controller.set_clock(dt_util.utcnow() + timedelta(days=1))
    response = await call(
        hass,
        "create_load_control_event",
        {"duration": 5, "start": dt_util.utcnow() + timedelta(minutes=1)},
    )
    assert response["devices"][0]["result"] == "rejected"
    assert response["devices"][0]["status"] == "rejected_event_expired"
    assert status() == "rejected_event_expired"
    assert heater() == "on"
    controller.set_clock(dt_util.utcnow())
    await call(hass, "cancel_all_load_control_events", {})
    assert device.frames(cluster=DRLC, command=CANCEL_ALL)[-1].payload == b"\x01"

    # -- restart: a later event survives a reload and answers GetScheduledEvents ----------
    later = utc_now() + 3600
    await call(
        hass,
        "create_load_control_event",
        {
            "issuer_event_id": 0x11223344,
            "start": dt_util.utc_from_timestamp(later + ZCL_EPOCH_OFFSET),
            "duration": 60,
        },
    )
    assert await hass.config_entries.async_reload(pack_setup.entry_id)
    await hass.async_block_till_done()
    assert esi_events(pack_setup) == {0x11223344}
    assert hass.states.get(sensor).state == "received"  # type: ignore[union-attr]
    controller.forget_events()  # the controller lost its events (a power cycle)
    (resent,) = await answer(zigbee, device)
    assert resent.payload[:4] == struct.pack("<I", 0x11223344)
    assert struct.unpack_from("<IH", resent.payload, 7) == (later, 60)
    await zigbee.wait_for(lambda: 0x11223344 in controller.events, what="re-held")

    # -- the opt-out button, then an overlapping event supersedes it (0x04, 0x07) ---------
    controller.opt_out(0x11223344)
    await zigbee.wait_for(lambda: status() == "user_opted_out", what="opted out")
    assert statuses[-1].data["issuer_event_id"] == 0x11223344
    response = await call(
        hass,
        "create_load_control_event",
        {
            "issuer_event_id": 0x55667788,
            "start": dt_util.utc_from_timestamp(later + 600 + ZCL_EPOCH_OFFSET),
            "duration": 30,
        },
    )
    assert response["devices"][0]["status"] == "received"
    await zigbee.wait_for(lambda: status() == "superseded", what="superseded")
    assert statuses[-1].data["issuer_event_id"] == 0x11223344
    assert [s for i, s in controller.reports if i == 0x11223344][-2:] == [0x04, 0x07]
