"""Smart Energy clients end to end: scheduled prices, the "Prices" calendar, restarts.

HA + real ZHA + our quirk against the simulated meter's Price and Messaging servers
(``tests/simulator/models/se_price.py``, ``se_messaging.py``, written from the spec
independently of the codecs). Time moves with HA's freezer and the network's clock together.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.persistent_notification import (
    _async_get_or_create_notifications,
)
from homeassistant.core import HomeAssistant
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
from tests.simulator.models.se_messaging import MessagingServer
from tests.simulator.models.se_meters import se_electricity_meter
from tests.simulator.models.se_price import DURATION_UNTIL_CHANGED, PriceServer

# tick=True from the real "now": HA's async_fire_time_changed compares the frozen clock with
# the real one, so the frozen clock must start at the real time.
pytestmark = pytest.mark.freeze_time(tick=True)

PRICE = 0x0700
SE_PROFILE = 0x0109
GET_CURRENT_PRICE = 0x00
GET_SCHEDULED_PRICES = 0x01
PRICE_ACKNOWLEDGEMENT = 0x02
DEFAULT_RESPONSE = 0x0B
DUPLICATE_EXISTS = 0x8A
# ZCL frame control: cluster-specific, client -> server, default response wanted
FC_CLIENT_TO_SERVER = 0x01
# ZCL frame control of a Default Response: global, client -> server, no default response
FC_DEFAULT_RESPONSE = 0x10
ZCL_EPOCH = datetime(2000, 1, 1, tzinfo=dt_util.UTC)
STORAGE_KEY = "zha_device_pack.smart_energy_clients"


def utc_time(instant: datetime) -> int:
    return int((instant - ZCL_EPOCH).total_seconds())


def price_server(device: SimDevice) -> PriceServer:
    price = getattr(device, "price", None)
    assert isinstance(price, PriceServer)
    return price


def messaging_server(device: SimDevice) -> MessagingServer:
    messaging = getattr(device, "messaging", None)
    assert isinstance(messaging, MessagingServer)
    return messaging


def event_type(hass: HomeAssistant, entity_id: str) -> Any:
    found = hass.states.get(entity_id)
    return None if found is None else found.attributes.get("event_type")


def entity(hass: HomeAssistant, device: SimDevice, domain: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        domain, DOMAIN, f"{device.ieee}-{key}"
    )
    assert entity_id is not None, key
    return entity_id


def state(hass: HomeAssistant, entity_id: str) -> str:
    found = hass.states.get(entity_id)
    assert found is not None, entity_id
    return found.state


async def settle(hass: HomeAssistant, zigbee: ZigbeeHarness) -> None:
    """Let HA, zigpy and the network finish what is in flight (before the clock jumps)."""
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
    """Let HA's clock and the network's virtual clock jump ``seconds`` together.

    ``move_to`` from now: a ticking freezer's ``tick`` adds to the time of its last move
    and drops the real time run since then.
    """
    freezer.move_to(dt_util.utcnow() + timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    await zigbee.network.elapse(seconds)
    await settle(hass, zigbee)


async def calendar_events(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": entity_id, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    events: list[dict[str, Any]] = response[entity_id]["events"]  # type: ignore[index,assignment]
    return events


def summaries(events: list[dict[str, Any]]) -> list[str]:
    return [event["summary"] for event in events]


async def test_scheduled_prices_calendar_change_duplicate_and_rejoin(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    freezer: FrozenDateTimeFactory,
) -> None:
    device = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:09:01"), price=True)
    esi = price_server(device)
    now = dt_util.utcnow().replace(microsecond=0)
    peak_start = now + timedelta(minutes=30)
    night_start = now + timedelta(minutes=90)
    # in force since 10 min, for 40 min; then a peak for an hour; then night until changed
    esi.set_price(
        2000,
        tier=1,
        rate_label="Day",
        issuer_event_id=0x0A0B0C01,
        start=utc_time(now - timedelta(minutes=10)),
        duration=40,
    )
    esi.schedule_price(
        3575,
        tier=3,
        rate_label="Peak",
        issuer_event_id=0x0A0B0C02,
        start=utc_time(peak_start),
        duration=60,
    )
    esi.schedule_price(
        1250,
        tier=2,
        rate_label="Night",
        issuer_event_id=0x0A0B0C03,
        start=utc_time(night_start),
        duration=DURATION_UNTIL_CHANGED,
    )
    await zigbee.join(device)
    await zigbee.wait_for(lambda: bool(esi.scheduled_requests), what="GetScheduled")
    # GetScheduledPrices after GetCurrentPrice: StartTime 0 (the ESI's now), NumberOfEvents
    # 0 (all) -- reference §3.2 GetScheduledPrices table (5 bytes: UTCTime, uint8), ZCL
    # header: cluster-specific client -> server (0x01), command 0x01 (§3.2 command table)
    asked = device.frames(cluster=PRICE, general=False)
    assert [frame.command_id for frame in asked] == [
        GET_CURRENT_PRICE,
        GET_SCHEDULED_PRICES,
    ]
    scheduled = asked[1]
    assert scheduled.profile_id == SE_PROFILE
    assert scheduled.data == bytes.fromhex(f"01{scheduled.tsn:02x}010000000000")
    assert esi.scheduled_requests == [(0, 0)]

    current = entity(hass, device, "sensor", "current_price")
    next_change = entity(hass, device, "sensor", "next_price_change")
    calendar = entity(hass, device, "calendar", "prices")
    await zigbee.wait_for(lambda: state(hass, current) == "0.2000", what="day price")

    await settle(hass, zigbee)
    # three PublishPrice answers, all with the request's TSN, and all reached the client
    answers = device.frames(cluster=PRICE, sent=True, general=False, tsn=scheduled.tsn)
    assert len(answers) == 3
    events = await calendar_events(hass, calendar, now, now + timedelta(hours=4))
    assert summaries(events) == [
        "Day: 0.2000 EUR/kWh",
        "Peak: 0.3575 EUR/kWh",
        "Night: 0.1250 EUR/kWh",
    ]
    peak = events[1]
    assert dt_util.parse_datetime(peak["start"]) == peak_start
    assert dt_util.parse_datetime(peak["end"]) == peak_start + timedelta(hours=1)
    assert peak["description"].splitlines() == [
        "Tier: 3",
        "Price: 0.3575 EUR/kWh",
        "Currency: EUR",
        f"Start: {peak_start.isoformat()}",
        f"End: {(peak_start + timedelta(hours=1)).isoformat()}",
        f"Issuer event id: {0x0A0B0C02}",
    ]
    # "until changed" lasts to the end of the window shown
    assert dt_util.parse_datetime(events[2]["end"]) == now + timedelta(hours=4)
    assert "End: until changed" in events[2]["description"]
    assert state(hass, calendar) == "on"  # the day price is in force
    assert dt_util.parse_datetime(state(hass, next_change)) == peak_start
    # the ESI sent the day price again among the scheduled ones: the client already has
    # that issuer event id and says so (Silicon Labs price-client.c: DUPLICATE_EXISTS)
    refusals = device.frames(cluster=PRICE, command=DEFAULT_RESPONSE, general=True)
    assert [frame.data for frame in refusals] == [
        bytes(
            (
                FC_DEFAULT_RESPONSE,
                scheduled.tsn,
                DEFAULT_RESPONSE,
                0x00,
                DUPLICATE_EXISTS,
            )
        )
    ]

    # at the peak's start the price changes by itself
    await advance(hass, freezer, zigbee, 30 * 60 + 1)
    assert state(hass, current) == "0.3575"
    assert state(hass, entity(hass, device, "sensor", "price_tier")) == "3"
    assert dt_util.parse_datetime(state(hass, next_change)) == night_start
    # the day price ended: gone from the calendar
    events = await calendar_events(
        hass, calendar, now - timedelta(hours=1), now + timedelta(hours=4)
    )
    assert summaries(events) == ["Peak: 0.3575 EUR/kWh", "Night: 0.1250 EUR/kWh"]

    # the same issuer event id with other content is no new price: refused, nothing changes
    frames_before = len(device.frames(cluster=PRICE))
    assert esi.send_raw(
        esi.set_price(
            9999,
            rate_label="Changed",
            issuer_event_id=0x0A0B0C02,
            start=utc_time(peak_start),
            duration=60,
            control=0x01,  # acknowledgement required: none for a refused price
        )
    )
    await zigbee.wait_for(
        lambda: len(device.frames(cluster=PRICE)) > frames_before, what="refusal"
    )
    (refusal,) = device.frames(cluster=PRICE)[frames_before:]
    sent = device.frames(cluster=PRICE, sent=True)[-1]
    assert refusal.data == bytes(
        (FC_DEFAULT_RESPONSE, sent.tsn, DEFAULT_RESPONSE, 0x00, DUPLICATE_EXISTS)
    )
    assert state(hass, current) == "0.3575"
    assert not device.frames(cluster=PRICE, command=PRICE_ACKNOWLEDGEMENT)

    # a rejoin (Device_annce, same cluster objects): the client asks for the prices again
    assert device.announce()
    await zigbee.wait_for(
        lambda: len(esi.scheduled_requests) == 2, what="asked again after rejoin"
    )
    requests = device.frames(cluster=PRICE, command=GET_CURRENT_PRICE, general=False)
    assert len(requests) == 2
    assert requests[1].data == bytes((FC_CLIENT_TO_SERVER, requests[1].tsn, 0x00, 0x01))
    await settle(hass, zigbee)  # zigpy's group scan after the Device_annce


async def test_prices_and_messages_kept_across_restart_and_expired(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    device = se_electricity_meter(
        resolve_ieee("00:0d:6f:00:0a:00:09:02"), price=True, messaging=True
    )
    esi = price_server(device)
    messages = messaging_server(device)
    now = dt_util.utcnow().replace(microsecond=0)
    esi.set_price(
        1875, trailing_digit=3, tier=2, rate_label="Day", issuer_event_id=0x31
    )
    esi.schedule_price(
        2250,
        trailing_digit=3,
        tier=4,
        rate_label="Peak",
        issuer_event_id=0x32,
        start=utc_time(now + timedelta(minutes=60)),
        duration=30,
    )
    await zigbee.join(device)
    current = entity(hass, device, "sensor", "current_price")
    calendar = entity(hass, device, "calendar", "prices")
    message = entity(hass, device, "event", "se_message")
    await zigbee.wait_for(lambda: state(hass, current) == "1.875", what="day price")
    await zigbee.wait_for(lambda: len(esi.scheduled_requests) == 1, what="scheduled")
    await settle(hass, zigbee)
    assert messages.display_message(0x0A1B2C3D, "Peak at 18:00", duration=45)
    await zigbee.wait_for(
        lambda: event_type(hass, message) == "displayed", what="message shown"
    )
    displayed_at = state(hass, message)
    note_id = f"{DOMAIN}_se_message_{device.ieee}_{0x0A1B2C3D}"
    assert note_id in _async_get_or_create_notifications(hass)

    # the ESI forgets everything; HA restarts our integration
    esi.current = esi.current_event = None
    esi.scheduled.clear()
    messages.last_message = messages.last_message_id = None
    assert await hass.config_entries.async_reload(pack_setup.entry_id)
    await settle(hass, zigbee)
    stored = hass_storage[STORAGE_KEY]["data"]
    assert [len(stored["prices"][str(device.ieee)])] == [2]
    assert [row["message_id"] for row in stored["messages"][str(device.ieee)]] == [
        0x0A1B2C3D
    ]
    # the meter answered NOT_FOUND to everything: what shows is what was stored
    await zigbee.wait_for(lambda: len(esi.scheduled_requests) == 2, what="asked")
    await settle(hass, zigbee)
    assert state(hass, current) == "1.875"
    assert state(hass, entity(hass, device, "sensor", "rate_label")) == "Day"
    assert state(hass, entity(hass, device, "sensor", "price_tier")) == "2"
    events = await calendar_events(hass, calendar, now, now + timedelta(hours=3))
    assert summaries(events) == ["Day: 1.875 EUR/kWh", "Peak: 2.250 EUR/kWh"]
    assert state(hass, message) == displayed_at  # no second "displayed"
    assert note_id in _async_get_or_create_notifications(hass)

    # the ESI sends the running message again (StartTime 0, the remaining 40 min, other
    # text): the same message id, so no new message, no second notification or event
    assert messages.display_message(0x0A1B2C3D, "Peak at 18:00 (again)", duration=40)
    await settle(hass, zigbee)
    assert state(hass, message) == displayed_at
    note = _async_get_or_create_notifications(hass)[note_id]
    assert "(again)" not in note["message"]

    # the message ends after 45 min: dropped, its notification dismissed, "expired" fired
    await advance(hass, freezer, zigbee, 45 * 60 + 1)
    expired = hass.states.get(message)
    assert expired is not None
    assert expired.attributes["event_type"] == "expired"
    assert expired.attributes["message_id"] == 0x0A1B2C3D
    assert note_id not in _async_get_or_create_notifications(hass)
    # the peak takes over at 60 min, and it ends at 90 min: nothing is left
    await advance(hass, freezer, zigbee, 15 * 60)
    assert state(hass, current) == "2.250"
    await advance(hass, freezer, zigbee, 30 * 60)
    assert state(hass, current) == "unknown"
    assert state(hass, calendar) == "off"
    await advance(hass, freezer, zigbee, 2)  # the delayed save
    stored = hass_storage[STORAGE_KEY]["data"]
    assert stored["prices"] == {}
    assert stored["messages"] == {}

    # restarted again (the ESI's message ended too): nothing comes back
    messages.last_message = messages.last_message_id = None
    assert await hass.config_entries.async_reload(pack_setup.entry_id)
    await settle(hass, zigbee)
    assert state(hass, current) == "unknown"
    assert await calendar_events(hass, calendar, now, now + timedelta(hours=4)) == []
    assert note_id not in _async_get_or_create_notifications(hass)
