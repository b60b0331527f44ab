"""HA as the ESI on its own Smart Energy endpoint: discovery, and every frame from there.

HA + real ZHA + our quirks against an in-home display and a load controller that find the
ESI as Smart Energy clients do (``tests/simulator/models/se_esi_client.py``: Match_Desc_req
for the ESI's servers, requests to the endpoint found, frames from other endpoints dropped).

ZDO vectors from the Zigbee specification's layouts (R22 §2.4.3.1.7 / §2.4.4.2.7
Match_Desc_req / _rsp, §2.4.4.2.5 Simple_Desc_rsp with the simple descriptor of §2.3.2.5),
every integer little-endian:

- Match_Desc_req: NWKAddrOfInterest ``0000``, ProfileID ``0901``, NumInClusters, InClusterList,
  NumOutClusters ``00``;
- Match_Desc_rsp: Status ``00``, NWKAddrOfInterest ``0000``, MatchLength ``01``, MatchList
  ``5e`` (the ESI endpoint, the Digi X2's standard SE endpoint, seed 002);
- Simple_Desc_rsp: Status ``00``, NWKAddrOfInterest ``0000``, Length ``12``, Endpoint ``5e``,
  ProfileID ``0901``, DeviceID ``0005`` (ESI 0x0500), version ``00``, 5 input clusters
  (Basic, Time, Price, DRLC, Messaging), 0 output clusters.
"""

from __future__ import annotations

import struct

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import zigpy.zdo.types as zdo_t

from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.metering.conftest import join_initialized
from tests.simulator.device import RecordedFrame
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_esi_client import EsiClientDevice
from tests.simulator.models.se_in_home_display import in_home_display
from tests.simulator.models.se_load_controller import se_load_controller
from tests.simulator.models.se_messaging_client import DisplayMessagingClient

pytestmark = pytest.mark.freeze_time(tick=True)

ZDOCmd = zdo_t.ZDOCmd
SE_PROFILE = 0x0109
ESI_ENDPOINT = 0x5E
TIME = 0x000A
PRICE = 0x0700
DRLC = 0x0701
MESSAGING = 0x0703
KEY_ESTABLISHMENT = 0x0800
ESI_CLUSTERS = (TIME, PRICE, DRLC, MESSAGING)


async def wait_sensor(
    hass: HomeAssistant, zigbee: ZigbeeHarness, device: EsiClientDevice, key: str
) -> None:
    """Wait until HA serves ``device`` as the ESI (its ESI sensor exists)."""
    registry = er.async_get(hass)
    await zigbee.wait_for(
        lambda: (
            registry.async_get_entity_id("sensor", DOMAIN, f"{device.ieee}-{key}")
            is not None
        ),
        what="ESI attached",
    )


def esi_frames(device: EsiClientDevice, *, sent: bool = False) -> list[RecordedFrame]:
    """Return the frames of the ESI's clusters the device received (or sent)."""
    frames = device.sent if sent else device.received
    return [frame for frame in frames if frame.cluster_id in ESI_CLUSTERS]


async def simple_descriptor(device: EsiClientDevice, endpoint: int) -> bytes:
    """Send Simple_Desc_req for the coordinator's ``endpoint``; return the answer."""
    tsn = device.next_tsn()
    assert device.send_zdo(
        ZDOCmd.Simple_Desc_req, bytes((0x00, 0x00, endpoint)), tsn=tsn
    )
    frame = await device.wait_for_frame(cluster=ZDOCmd.Simple_Desc_rsp, tsn=tsn)
    return frame.payload


async def test_clients_find_the_esi_endpoint_and_hear_only_it(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    display = in_home_display(
        resolve_ieee("00:0d:6f:00:0b:00:05:01"), messaging=DisplayMessagingClient
    )
    messages = display.messaging
    assert isinstance(messages, DisplayMessagingClient)
    await join_initialized(hass, zigbee, display)
    await wait_sensor(hass, zigbee, display, "price_acknowledged")
    controller = se_load_controller(resolve_ieee("00:0d:6f:00:0b:00:05:02"))
    await zigbee.join(controller)
    await wait_sensor(hass, zigbee, controller, "esi_load_control_status")
    controller.controller.set_clock(dt_util.utcnow())

    # -- discovery: Match_Desc_req for the ESI's servers, one answer naming 0x5E ------
    await display.start_up()  # finds the ESI, reads its time, asks the current price
    assert display.esi_endpoint == ESI_ENDPOINT
    (request,) = display.frames(sent=True, cluster=ZDOCmd.Match_Desc_req, zdo=True)
    # InClusterList: Time 0x000A, Price 0x0700, Messaging 0x0703
    assert request.payload == bytes.fromhex("0000 0901 03 0a00 0007 0307 00")
    assert controller.esi_endpoint is None
    assert await controller.discover_esi() == ESI_ENDPOINT
    (request,) = controller.frames(sent=True, cluster=ZDOCmd.Match_Desc_req, zdo=True)
    assert request.payload == bytes.fromhex("0000 0901 01 0107 00")  # DRLC 0x0701
    # Key Establishment is not hosted (CBKE is out of scope): zigpy's empty answer
    assert await display.match_descriptor(SE_PROFILE, [KEY_ESTABLISHMENT]) == []
    assert await display.match_descriptor(0xFFFF, [MESSAGING]) == [ESI_ENDPOINT]
    assert await simple_descriptor(display, ESI_ENDPOINT) == bytes.fromhex(
        "00 0000 12 5e 0901 0005 00 05 0000 0a00 0007 0107 0307 00"
    )

    # -- traffic of every ESI server, both ways --------------------------------------
    await hass.services.async_call(
        DOMAIN,
        "publish_price",
        {"price": 0.2734, "currency": "EUR", "trailing_digits": 4},
        blocking=True,
        return_response=True,
    )
    await hass.services.async_call(
        DOMAIN,
        "display_message",
        {"message_id": 0x01020304, "text": "Peak", "confirmation_required": True},
        blocking=True,
        return_response=True,
    )
    messages.set_clock(dt_util.utcnow())
    tsn = messages.confirm(0x01020304)
    await zigbee.wait_for(
        lambda: bool(display.frames(cluster=MESSAGING, general=True, tsn=tsn)),
        what="confirmation acknowledged",
    )
    await hass.services.async_call(
        DOMAIN,
        "create_load_control_event",
        {"issuer_event_id": 0x0A0B0C0D, "duration": 5, "device_class": 0x0004},
        blocking=True,
        return_response=True,
    )
    tsn = controller.controller.request_scheduled_events()
    await zigbee.wait_for(
        lambda: bool(controller.frames(cluster=DRLC, tsn=tsn)),
        what="GetScheduledEvents answered",
    )
    assert display.screen is not None
    assert display.screen.text == "0.2734 EUR/kWh"
    assert messages.texts() == ["Peak"]
    assert controller.controller.events.keys() == {0x0A0B0C0D}

    # one Match_Desc_rsp per request: zigpy's empty answer was suppressed
    answers = display.frames(cluster=ZDOCmd.Match_Desc_rsp, zdo=True)
    assert [frame.payload for frame in answers] == [
        bytes.fromhex("00 0000 01 5e"),
        bytes.fromhex("00 0000 00"),  # Key Establishment
        bytes.fromhex("00 0000 01 5e"),
    ]
    (answer,) = controller.frames(cluster=ZDOCmd.Match_Desc_rsp, zdo=True)
    assert answer.payload == bytes.fromhex("00 0000 01 5e")
    # every frame of the ESI's servers came from the ESI endpoint and went to it
    for device, clusters in ((display, {TIME, PRICE, MESSAGING}), (controller, {DRLC})):
        received = esi_frames(device)
        assert {frame.cluster_id for frame in received} == clusters
        assert {(f.src_ep, f.profile_id) for f in received} == {
            (ESI_ENDPOINT, SE_PROFILE)
        }
        assert {frame.dst_ep for frame in esi_frames(device, sent=True)} == {
            ESI_ENDPOINT
        }
        assert device.dropped == []
    # the answers carried the requests' sequence numbers (zigpy matched them)
    (price_request,) = display.frames(sent=True, cluster=PRICE, command=0x00)
    (not_found,) = display.frames(cluster=PRICE, general=True)
    assert not_found.data == bytes((0x18, price_request.tsn, 0x0B, 0x00, 0x8B))
    time_answer = display.frames(cluster=TIME)[-1]
    assert time_answer.payload[:3] == struct.pack("<HB", 0x0000, 0x00)
