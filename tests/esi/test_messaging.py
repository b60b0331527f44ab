"""HA as the ESI: the Messaging server end to end, on a simulated in-home display.

HA + real ZHA + our quirk against the display's Messaging client
(``tests/simulator/models/se_messaging_client.py``, written from the spec independently of the
codec). Byte vectors are built from the field tables of the Smart Energy wire reference §5
(DisplayMessage, CancelMessage, CancelAllMessages) and §6 (UTCTime).
"""

from __future__ import annotations

from datetime import timedelta
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
from zigpy.zcl.foundation import Status

from custom_components.zha_device_pack import zha_bridge
from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.metering.conftest import join_initialized
from tests.simulator import SimDevice
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_in_home_display import in_home_display
from tests.simulator.models.se_messaging_client import DisplayMessagingClient

pytestmark = pytest.mark.freeze_time(tick=True)

MESSAGING = 0x0703
SE_PROFILE = 0x0109
DISPLAY_MESSAGE = 0x00
CANCEL_MESSAGE = 0x01
CANCEL_ALL_MESSAGES = 0x03
GET_LAST_MESSAGE = 0x00
MESSAGE_CONFIRMATION = 0x01
# ZCL frame control: cluster-specific, server -> client, Default Response wanted (0x09);
# an answer (same TSN) asks for none (0x19).
FC_SERVER_TO_CLIENT = 0x09
FC_ANSWER = 0x19
ZCL_EPOCH_OFFSET = 946684800  # 2000-01-01 in Unix seconds
TEXT = "Peak tariff from 17:00"


def utc_now() -> int:
    return int(dt_util.utcnow().timestamp()) - ZCL_EPOCH_OFFSET


def sent_to(display: SimDevice, command: int) -> list[Any]:
    return display.frames(cluster=MESSAGING, command=command, general=False)


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


async def answer(zigbee: ZigbeeHarness, display: SimDevice, request: Any) -> Any:
    """Send a request (a callable returning its TSN); return the display's answer to it."""
    start = len(display.received)
    tsn = request()

    def answers() -> list[Any]:
        return [
            f
            for f in display.received[start:]
            if f.cluster_id == MESSAGING and f.tsn == tsn
        ]

    await zigbee.wait_for(lambda: bool(answers()), what=f"answer to TSN {tsn}")
    (frame,) = answers()
    return frame


def stored(pack: MockConfigEntry) -> dict[int, Any]:
    family = pack.runtime_data.families["esi"]
    return dict(family.messaging.messages)


async def test_display_confirm_last_message_cancel(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    freezer: FrozenDateTimeFactory,
) -> None:
    display = in_home_display(
        resolve_ieee("00:0d:6f:00:0b:00:01:01"), messaging=DisplayMessagingClient
    )
    client = display.messaging
    assert isinstance(client, DisplayMessagingClient)
    await join_initialized(hass, zigbee, display)
    client.set_clock(dt_util.utcnow())
    device_id = zha_bridge.zha_device_id(hass, display.ieee)
    assert device_id is not None
    # captured by a callback: a plain ``list.append`` would run in the executor, late
    confirmed = async_capture_events(hass, f"{DOMAIN}_message_confirmed")

    # -- bad input: nothing sent, nothing stored -------------------------------------
    for data, key in (
        ({"text": "x" * 60}, "esi_message_too_long"),
        ({"text": "é" * 30}, "esi_message_too_long"),  # 60 UTF-8 bytes
        ({"text": "hi", "duration": 0}, "esi_message_duration_invalid"),
        ({"text": "hi", "duration": 0x10000}, "esi_message_duration_invalid"),
        (
            {"text": "hi", "start": dt_util.utcnow() - timedelta(hours=1)},
            "esi_start_in_past",
        ),
        ({"text": "hi", "device_id": ["nope"]}, "esi_not_a_client"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "display_message", data)
        assert err.value.translation_key == key
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "cancel_message", {"message_id": 5})
    assert err.value.translation_key == "esi_unknown_message"
    assert not display.frames(cluster=MESSAGING)
    assert stored(pack_setup) == {}

    # -- DisplayMessage, byte-exact (reference §5 field table) -----------------------
    response = await call(
        hass,
        "display_message",
        {
            "message_id": 0x01020304,
            "text": TEXT,
            "importance": "high",
            "duration": 90,
            "confirmation_required": True,
        },
    )
    assert response["message_id"] == 0x01020304
    (device_result,) = response["devices"]
    assert device_result["device_id"] == device_id
    assert device_result["result"] == "sent"
    (frame,) = sent_to(display, DISPLAY_MESSAGE)
    assert frame.profile_id == SE_PROFILE
    assert (
        frame.data
        == bytes((FC_SERVER_TO_CLIENT, frame.tsn, DISPLAY_MESSAGE))
        + bytes.fromhex(
            "04030201"  # MessageID 0x01020304
            "88"  # MessageControl: importance high 0x08, confirmation required 0x80
            "00000000"  # StartTime 0: now
            "5a00"  # DurationInMinutes 90
            "16"  # Message: 22 bytes
        )
        + TEXT.encode()
    )
    (shown,) = client.showing()
    assert (shown.message_id, shown.text, shown.importance) == (0x01020304, TEXT, 2)
    assert shown.confirmation_required
    assert shown.end == shown.start + 90 * 60

    # a duplicate id is refused before sending
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "display_message", {"message_id": 0x01020304, "text": "b"})
    assert err.value.translation_key == "esi_duplicate_message"
    assert len(sent_to(display, DISPLAY_MESSAGE)) == 1

    # the display refuses one (Default Response): reported per device, kept by the ESI
    client.reject_with = Status.INVALID_FIELD
    response = await call(hass, "display_message", {"text": "Refused", "duration": 1})
    allocated = response["message_id"]
    assert abs(allocated - utc_now()) < 30  # a UTC stamp
    assert response["devices"][0]["result"] == "rejected"
    assert response["devices"][0]["status"] == "INVALID_FIELD"
    client.reject_with = None
    assert client.texts() == [TEXT]

    # -- MessageConfirmation -> HA event and the display's event entity --------------
    ack = await answer(
        zigbee,
        display,
        lambda: client.confirm(0x01020304, answer=True, reply="OK boss"),
    )
    # acknowledged with a Default Response SUCCESS (the display asked for one)
    assert ack.is_general
    assert ack.payload == bytes((MESSAGE_CONFIRMATION, 0x00))
    await zigbee.wait_for(lambda: bool(confirmed), what="confirmation event")
    (event,) = confirmed
    assert event.data["device_id"] == device_id
    assert event.data["message_id"] == 0x01020304
    assert event.data["answer"] == "yes"
    assert event.data["reply"] == "OK boss"
    when = dt_util.parse_datetime(event.data["confirmation_time"])
    assert when is not None and abs((when - dt_util.utcnow()).total_seconds()) < 30
    entity_id = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{display.ieee}-esi_message_confirmation"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["event_type"] == "confirmed"
    assert state.attributes["message_id"] == 0x01020304

    # -- GetLastMessage: the last message (the refused one, the newest), real start ---
    last = await answer(zigbee, display, client.request_last_message)
    assert last.data[:3] == bytes((FC_ANSWER, last.tsn, DISPLAY_MESSAGE))
    assert last.payload[:4] == struct.pack("<I", allocated)
    (start,) = struct.unpack_from("<I", last.payload, 5)
    assert abs(start - utc_now()) < 30  # the real start, not 0
    await zigbee.wait_for(
        lambda: sorted(client.texts()) == sorted([TEXT, "Refused"]),
        what="the last message shown",
    )

    # -- expiry: the 1-minute message ends on the display and in the ESI -------------
    await advance(hass, freezer, zigbee, 120)
    assert client.texts() == [TEXT]
    last = await answer(zigbee, display, client.request_last_message)
    assert last.payload[:4] == struct.pack("<I", 0x01020304)
    assert set(stored(pack_setup)) == {0x01020304}

    # -- restart: the stored message answers GetLastMessage after a reload -----------
    assert await hass.config_entries.async_reload(pack_setup.entry_id)
    await hass.async_block_till_done()
    assert set(stored(pack_setup)) == {0x01020304}
    last = await answer(zigbee, display, client.request_last_message)
    assert last.payload[:4] == struct.pack("<I", 0x01020304)

    # -- CancelMessage (control 0x00) and CancelAllMessages ---------------------------
    response = await call(hass, "cancel_message", {"message_id": 0x01020304})
    assert response["devices"][0]["result"] == "sent"
    (frame,) = sent_to(display, CANCEL_MESSAGE)
    assert frame.data == bytes(
        (FC_SERVER_TO_CLIENT, frame.tsn, CANCEL_MESSAGE, 0x04, 0x03, 0x02, 0x01, 0x00)
    )
    assert client.texts() == []
    assert stored(pack_setup) == {}
    not_found = await answer(zigbee, display, client.request_last_message)
    assert not_found.is_general
    assert not_found.payload == bytes((GET_LAST_MESSAGE, 0x8B))

    await call(hass, "display_message", {"message_id": 7, "text": "Two"})
    assert client.texts() == ["Two"]
    response = await call(hass, "cancel_all_messages", {})
    assert response["devices"][0]["result"] == "sent"
    (frame,) = sent_to(display, CANCEL_ALL_MESSAGES)
    (implementation_time,) = struct.unpack("<I", frame.payload)
    assert abs(implementation_time - utc_now()) < 30
    assert client.texts() == []
    assert stored(pack_setup) == {}
    # GetMessageCancellation: the CancelAllMessages at or after the asked time
    cancellation = await answer(
        zigbee,
        display,
        lambda: client.request_message_cancellation(implementation_time - 5),
    )
    assert cancellation.command_id == CANCEL_ALL_MESSAGES
    assert cancellation.payload == struct.pack("<I", implementation_time)
