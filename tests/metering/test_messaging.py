"""Smart Energy Messaging client end to end: the meter's (ESI's) messages in HA.

HA + real ZHA + our quirk against the simulated meter's Messaging server
(``tests/simulator/models/se_messaging.py``, written from the spec independently of the codec).
"""

from __future__ import annotations

import struct
from typing import Any

from homeassistant.components.persistent_notification import (
    _async_get_or_create_notifications,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.metering.conftest import meter_entity
from tests.simulator import SimDevice
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_messaging import MessagingServer
from tests.simulator.models.se_meters import se_electricity_meter

MESSAGING = 0x0703
SE_PROFILE = 0x0109
GET_LAST_MESSAGE = 0x00
MESSAGE_CONFIRMATION = 0x01
# ZCL frame control: cluster-specific, client -> server, default response wanted
FC_CLIENT_TO_SERVER = 0x01
ZCL_EPOCH_OFFSET = 946684800  # 2000-01-01 in Unix seconds
CONFIRMATION_REQUIRED = 0x80
IMPORTANCE_HIGH = 0x08


def server(device: SimDevice) -> MessagingServer:
    messaging = getattr(device, "messaging", None)
    assert isinstance(messaging, MessagingServer)
    return messaging


def event_entity(hass: HomeAssistant, device: SimDevice) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{device.ieee}-se_message"
    )
    assert entity_id is not None
    return entity_id


def notifications(hass: HomeAssistant) -> dict[str, Any]:
    return dict(_async_get_or_create_notifications(hass))


def notification_id(device: SimDevice, message_id: int) -> str:
    return f"{DOMAIN}_se_message_{device.ieee}_{message_id}"


async def wait_event(
    hass: HomeAssistant,
    zigbee: ZigbeeHarness,
    entity_id: str,
    event_type: str,
    message_id: int,
) -> State:
    def fired() -> bool:
        state = hass.states.get(entity_id)
        return (
            state is not None
            and state.attributes.get("event_type") == event_type
            and state.attributes.get("message_id") == message_id
        )

    await zigbee.wait_for(fired, what=f"{event_type} {message_id}")
    state = hass.states.get(entity_id)
    assert state is not None
    return state


async def confirm(hass: HomeAssistant, entity_id: str, message_id: int) -> None:
    await hass.services.async_call(
        DOMAIN,
        "confirm_message",
        {"entity_id": entity_id, "message_id": message_id},
        blocking=True,
    )


async def test_last_message_asked_at_join_and_displayed(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    device = se_electricity_meter(
        resolve_ieee("00:0d:6f:00:0a:00:07:01"), messaging=True
    )
    esi = server(device)
    # the ESI already shows a message (not sent: the meter is not on the network yet)
    assert not esi.display_message(
        0x01020304, "Peak tariff from 17:00", control=IMPORTANCE_HIGH, duration=90
    )
    await zigbee.join(device)
    frame = await device.wait_for_frame(
        cluster=MESSAGING, command=GET_LAST_MESSAGE, general=False
    )
    assert frame.profile_id == SE_PROFILE
    assert frame.data == bytes((FC_CLIENT_TO_SERVER, frame.tsn, GET_LAST_MESSAGE))
    assert len(device.frames(cluster=MESSAGING, general=False)) == 1  # once

    entity_id = event_entity(hass, device)
    state = await wait_event(hass, zigbee, entity_id, "displayed", 0x01020304)
    assert state.attributes["text"] == "Peak tariff from 17:00"
    assert state.attributes["importance"] == "high"
    assert state.attributes["duration"] == 90
    assert state.attributes["confirmation_required"] is False
    start = dt_util.parse_datetime(state.attributes["start"])
    assert start is not None
    assert abs((dt_util.utcnow() - start).total_seconds()) < 30  # StartTime 0: now
    note = notifications(hass)[notification_id(device, 0x01020304)]
    assert "Peak tariff from 17:00" in note["message"]
    assert "16909060" in note["message"]  # its id


async def test_no_last_message_displays_nothing(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    device = se_electricity_meter(
        resolve_ieee("00:0d:6f:00:0a:00:07:02"), messaging=True
    )
    await zigbee.join(device)
    await device.wait_for_frame(cluster=MESSAGING, command=GET_LAST_MESSAGE)
    # the ESI answered NOT_FOUND
    await zigbee.wait_for(
        lambda: bool(device.frames(cluster=MESSAGING, general=True, sent=True)),
        what="NOT_FOUND answer",
    )
    (answer,) = device.frames(cluster=MESSAGING, general=True, sent=True)
    assert answer.payload == bytes((GET_LAST_MESSAGE, 0x8B))
    await hass.async_block_till_done()
    state = hass.states.get(event_entity(hass, device))
    assert state is not None
    assert state.attributes.get("event_type") is None
    assert not [n for n in notifications(hass) if str(device.ieee) in n]

    # a rejoin (Device_annce, same cluster objects): the last message is asked for again
    assert device.announce()
    await zigbee.wait_for(
        lambda: (
            len(
                device.frames(
                    cluster=MESSAGING, command=GET_LAST_MESSAGE, general=False
                )
            )
            == 2
        ),
        what="GetLastMessage after the rejoin",
    )
    await zigbee.network.settle()
    await hass.async_block_till_done()


async def test_display_confirm_cancel(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    device = se_electricity_meter(
        resolve_ieee("00:0d:6f:00:0a:00:07:03"), messaging=True
    )
    esi = server(device)
    await zigbee.join(device)
    await device.wait_for_frame(cluster=MESSAGING, command=GET_LAST_MESSAGE)
    entity_id = event_entity(hass, device)
    summation = meter_entity(hass, device, "summation_delivered")
    assert summation is not None

    assert esi.display_message(
        0xA1B2C3D4,
        "Please confirm the new tariff",
        control=CONFIRMATION_REQUIRED,
        duration=30,
    )
    state = await wait_event(hass, zigbee, entity_id, "displayed", 0xA1B2C3D4)
    assert state.attributes["confirmation_required"] is True
    assert state.attributes["duration"] == 30
    assert state.attributes["importance"] == "low"
    start = dt_util.parse_datetime(state.attributes["start"])
    end = dt_util.parse_datetime(state.attributes["end"])
    assert start is not None and end is not None
    assert (end - start).total_seconds() == 30 * 60
    assert notification_id(device, 0xA1B2C3D4) in notifications(hass)

    assert esi.display_message(7, "Informational only")
    await wait_event(hass, zigbee, entity_id, "displayed", 7)

    # refused, nothing sent: an unknown id, a message that asks for no confirmation
    for message_id, key in (
        (99, "metering_unknown_message"),
        (7, "metering_message_no_confirmation"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await confirm(hass, entity_id, message_id)
        assert err.value.translation_key == key
    assert not device.frames(cluster=MESSAGING, command=MESSAGE_CONFIRMATION)
    assert esi.confirmations == []
    assert hass.states.get(entity_id).attributes["message_id"] == 7  # type: ignore[union-attr]

    # confirmed through any of the meter's entities
    await confirm(hass, summation, 0xA1B2C3D4)
    (frame,) = device.frames(cluster=MESSAGING, command=MESSAGE_CONFIRMATION)
    assert frame.profile_id == SE_PROFILE
    assert frame.data[:7] == bytes(
        (FC_CLIENT_TO_SERVER, frame.tsn, MESSAGE_CONFIRMATION, 0xD4, 0xC3, 0xB2, 0xA1)
    )
    assert len(frame.data) == 3 + 8  # SE 1.0 form: id, time
    (when,) = struct.unpack("<I", frame.data[7:])
    assert abs(when + ZCL_EPOCH_OFFSET - dt_util.utcnow().timestamp()) < 30
    assert [c.message_id for c in esi.confirmations] == [0xA1B2C3D4]
    await wait_event(hass, zigbee, entity_id, "confirmed", 0xA1B2C3D4)

    # CancelMessage: its notification goes, the other stays
    assert esi.cancel_message(0xA1B2C3D4)
    state = await wait_event(hass, zigbee, entity_id, "cancelled", 0xA1B2C3D4)
    assert state.attributes["text"] == "Please confirm the new tariff"
    assert notification_id(device, 0xA1B2C3D4) not in notifications(hass)
    assert notification_id(device, 7) in notifications(hass)
    with pytest.raises(ServiceValidationError) as err:
        await confirm(hass, entity_id, 0xA1B2C3D4)
    assert err.value.translation_key == "metering_unknown_message"

    # CancelAllMessages: every message goes
    assert esi.display_message(8, "Another one")
    await wait_event(hass, zigbee, entity_id, "displayed", 8)
    assert esi.cancel_all(0)

    def all_gone() -> bool:
        return not [n for n in notifications(hass) if str(device.ieee) in n]

    await zigbee.wait_for(all_gone, what="notifications dismissed")
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["event_type"] == "cancelled"
    assert len(device.frames(cluster=MESSAGING, command=MESSAGE_CONFIRMATION)) == 1


async def test_meter_without_messaging_and_malformed_frames(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    plain = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:07:04"))
    await zigbee.join(plain)
    assert meter_entity(hass, plain, "summation_delivered") is not None  # still quirked
    assert (
        er.async_get(hass).async_get_entity_id(
            "event", DOMAIN, f"{plain.ieee}-se_message"
        )
        is None
    )
    assert not plain.frames(cluster=MESSAGING)

    device = se_electricity_meter(
        resolve_ieee("00:0d:6f:00:0a:00:07:05"), messaging=True
    )
    await zigbee.join(device)
    await device.wait_for_frame(cluster=MESSAGING, command=GET_LAST_MESSAGE)
    entity_id = event_entity(hass, device)
    # a DisplayMessage cut short (5 bytes: under the 12-byte minimum) is dropped
    device.send_zcl(1, MESSAGING, 0x00, b"\x05\x00\x00\x00\x00", profile_id=SE_PROFILE)
    assert server(device).display_message(6, "After the bad one")
    await wait_event(hass, zigbee, entity_id, "displayed", 6)
    assert [n for n in notifications(hass) if str(device.ieee) in n] == [
        notification_id(device, 6)
    ]
