"""HA as the ESI: the Price server and the Time server end to end, on a simulated display.

HA + real ZHA + our quirks against the in-home display
(``tests/simulator/models/se_in_home_display.py``, written from the spec independently of the
codec). PublishPrice vectors are built from the field table of the Smart Energy wire
reference §3.2 (fields 1-19, the SE 1.1 frame NXP and the Digi X2 send), UTCTime from §6.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import struct
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.zha_device_pack import zha_bridge
from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.metering.conftest import join_initialized
from tests.simulator.device import RecordedFrame
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_in_home_display import InHomeDisplay, in_home_display

pytestmark = pytest.mark.freeze_time(tick=True)

PRICE = 0x0700
TIME = 0x000A
SE_PROFILE = 0x0109
PUBLISH_PRICE = 0x00
GET_CURRENT_PRICE = 0x00
PRICE_ACKNOWLEDGEMENT = 0x02
DEFAULT_RESPONSE = 0x0B
NOT_FOUND = 0x8B
# ZCL frame control: cluster-specific, server -> client, Default Response wanted (0x09); an
# answer (same TSN) asks for none (0x19); a Default Response: global, server -> client (0x18).
FC_SERVER_TO_CLIENT = 0x09
FC_ANSWER = 0x19
FC_DEFAULT_RESPONSE = 0x18
ZCL_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
EUR = 978
KWH = 0x00
UNTIL_CHANGED = 0xFFFF
ACK_REQUIRED = 0x01


def utc(instant: datetime) -> int:
    return int((instant - ZCL_EPOCH).total_seconds())


def utc_now() -> int:
    return utc(dt_util.utcnow())


def publish_price(
    *,
    provider_id: int,
    label: str,
    issuer_event_id: int,
    current_time: int,
    digits: int,
    tier: int,
    tiers: int,
    start: int,
    duration: int,
    price: int,
    control: int = 0,
    currency: int = EUR,
    unit: int = KWH,
    price_ratio: int = 0xFF,
    generation_price: int = 0xFFFF_FFFF,
    generation_price_ratio: int = 0xFF,
    alternate_cost: int = 0xFFFF_FFFF,
    alternate_cost_unit: int = 0xFF,
    alternate_cost_digits: int = 0,
    block_thresholds: int = 0,
) -> bytes:
    """Return a PublishPrice payload from the reference §3.2 field table (fields 1-19).

    Fields 12-18 default to "not used" (0xFF / 0xFFFFFFFF), 0 digits and 0 thresholds.
    """
    raw = label.encode()
    return (
        struct.pack("<IB", provider_id, len(raw))
        + raw
        + struct.pack("<II", issuer_event_id, current_time)
        + struct.pack("<BH", unit, currency)
        + bytes((digits << 4 | tier, tiers << 4 | tier))  # register tier = tier
        + struct.pack("<IHI", start, duration, price)
        # 12 PriceRatio, 13 GenerationPrice, 14 GenerationPriceRatio, 15
        # AlternateCostDelivered, 16 AlternateCostUnit, 17 its digits (high nibble),
        # 18 NumberOfBlockThresholds, 19 PriceControl
        + struct.pack(
            "<BIBI",
            price_ratio,
            generation_price,
            generation_price_ratio,
            alternate_cost,
        )
        + bytes(
            (alternate_cost_unit, alternate_cost_digits << 4, block_thresholds, control)
        )
    )


async def call(hass: HomeAssistant, data: dict[str, Any]) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "publish_price", data, blocking=True, return_response=True
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


async def join_display(
    hass: HomeAssistant, zigbee: ZigbeeHarness, ieee: str
) -> tuple[InHomeDisplay, str]:
    """Join a display; return it and its "Price acknowledged" sensor."""
    display = in_home_display(resolve_ieee(ieee))
    await join_initialized(hass, zigbee, display)
    registry = er.async_get(hass)

    def sensor() -> str | None:
        return registry.async_get_entity_id(
            "sensor", DOMAIN, f"{display.ieee}-price_acknowledged"
        )

    await zigbee.wait_for(lambda: sensor() is not None, what="ESI attached")
    entity_id = sensor()
    assert entity_id is not None
    return display, entity_id


def published(display: InHomeDisplay, start: int = 0) -> list[RecordedFrame]:
    return display.frames(cluster=PRICE, command=PUBLISH_PRICE, general=False)[start:]


async def answers(
    zigbee: ZigbeeHarness,
    display: InHomeDisplay,
    request: Callable[[], int],
    count: int,
) -> list[RecordedFrame]:
    """Send a request (returning its TSN); return the ``count`` answers with that TSN."""
    start = len(display.received)
    tsn = request()

    def found() -> list[RecordedFrame]:
        return [
            frame
            for frame in display.received[start:]
            if frame.cluster_id == PRICE and frame.tsn == tsn
        ]

    await zigbee.wait_for(lambda: len(found()) >= count, what=f"{count} answers")
    return found()


def calendar_id(hass: HomeAssistant) -> str:
    coordinator = zha_bridge.coordinator_ieee(hass)
    entity_id = er.async_get(hass).async_get_entity_id(
        "calendar", DOMAIN, f"{coordinator}-published_prices"
    )
    assert entity_id is not None
    return entity_id


def last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month, 31 if month in (3, 10) else 30, 1, tzinfo=UTC)
    return day - timedelta(days=(day.weekday() - 6) % 7)


async def test_publish_price_time_and_acknowledgement(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    await hass.config.async_update(time_zone="Europe/Berlin")
    display, ack_sensor = await join_display(hass, zigbee, "00:0d:6f:00:0b:00:02:01")

    # -- start-up: the time from the ESI, then GetCurrentPrice: no price yet ---------
    await display.start_up()
    reading = display.time_reading
    assert reading is not None
    now = utc_now()
    year = dt_util.utcnow().year
    time_value = reading.get(0x0000)
    assert time_value is not None
    assert abs(time_value - now) <= 2
    assert reading.get(0x0001) == 0x05  # Master | MasterZoneDst
    assert reading.get(0x0002) == 3600  # CET, east of UTC
    assert reading.get(0x0003) == utc(last_sunday(year, 3))  # 01:00 UTC
    assert reading.get(0x0004) == utc(last_sunday(year, 10)) - 1
    assert reading.get(0x0005) == 3600
    standard = reading.get(0x0006)
    assert standard is not None
    assert abs(standard - (time_value + 3600)) <= 1
    berlin = dt_util.utcnow().astimezone(ZoneInfo("Europe/Berlin"))
    offset = berlin.utcoffset()
    assert offset is not None
    local_value = reading.get(0x0007)
    assert local_value is not None
    assert abs(local_value - (time_value + int(offset.total_seconds()))) <= 1
    local = display.local_time
    assert local is not None
    assert abs((local - dt_util.now().replace(tzinfo=None)).total_seconds()) <= 2
    (answer,) = display.frames(cluster=PRICE, general=True)
    assert answer.data == bytes(
        (
            FC_DEFAULT_RESPONSE,
            answer.tsn,
            DEFAULT_RESPONSE,
            GET_CURRENT_PRICE,
            NOT_FOUND,
        )
    )
    assert display.screen is None

    # HA's zone changes: the Time server serves the new zone
    await hass.config.async_update(time_zone="America/New_York")
    reading = await display.sync_time()
    assert reading.get(0x0002) == -5 * 3600
    local = display.local_time
    assert local is not None
    assert abs((local - dt_util.now().replace(tzinfo=None)).total_seconds()) <= 2

    # -- publish_price, acknowledgement required ---------------------------------------
    response = await call(
        hass,
        {
            "price": 0.2734,
            "currency": "EUR",
            "trailing_digits": 4,
            "tier": 3,
            "number_of_tiers": 4,
            "rate_label": "Peak €",
            "acknowledgement_required": True,
            "issuer_event_id": 0x01020304,
            "provider_id": 0x0A0B0C0D,
        },
    )
    assert response["issuer_event_id"] == 0x01020304
    (result,) = response["devices"]
    assert result["device_id"] == zha_bridge.zha_device_id(hass, display.ieee)
    assert result["result"] == "sent"
    assert result["acknowledged"] is True
    (frame,) = published(display)
    assert frame.profile_id == SE_PROFILE
    (current_time,) = struct.unpack_from("<I", frame.payload, 4 + 1 + 8 + 4)
    assert abs(current_time - utc_now()) <= 2
    assert frame.data == bytes((FC_SERVER_TO_CLIENT, frame.tsn, PUBLISH_PRICE)) + (
        publish_price(
            provider_id=0x0A0B0C0D,
            label="Peak €",
            issuer_event_id=0x01020304,
            current_time=current_time,
            digits=4,
            tier=3,
            tiers=4,
            start=0,  # now
            duration=UNTIL_CHANGED,
            price=2734,
            control=ACK_REQUIRED,
        )
    )
    # the display shows it and acknowledged it (instead of a Default Response)
    assert display.screen is not None
    assert display.screen.text == "0.2734 EUR/kWh"
    assert (display.screen.rate_label, display.screen.tier) == ("Peak €", 3)
    (ack,) = display.frames(cluster=PRICE, command=PRICE_ACKNOWLEDGEMENT, sent=True)
    assert ack.payload[:8] == struct.pack("<II", 0x0A0B0C0D, 0x01020304)
    assert ack.payload[12] == ACK_REQUIRED
    assert not display.frames(cluster=PRICE, general=True, sent=True)
    state = hass.states.get(ack_sensor)
    assert state is not None
    acked_at = dt_util.parse_datetime(state.state)
    assert acked_at is not None
    assert abs((acked_at - dt_util.utcnow()).total_seconds()) <= 2
    assert state.attributes["issuer_event_id"] == 0x01020304
    # HA acknowledged the acknowledgement (the display asked for a Default Response)
    await zigbee.wait_for(
        lambda: len(display.frames(cluster=PRICE, general=True)) == 2,
        what="Default Response to the acknowledgement",
    )
    reply = display.frames(cluster=PRICE, general=True)[1]
    assert reply.tsn == ack.tsn
    assert reply.payload == bytes((PRICE_ACKNOWLEDGEMENT, 0x00))

    # GetCurrentPrice now: the stored event with its real start, same TSN
    frame = await display.request_current_price()
    assert frame.data[:3] == bytes((FC_ANSWER, frame.tsn, PUBLISH_PRICE))
    start = struct.unpack_from("<I", frame.payload, 4 + 1 + 8 + 8 + 5)[0]
    assert abs(start - utc_now()) <= 3
    diagnostics = pack_setup.runtime_data.families["esi"].diagnostics()
    assert diagnostics["TimeServer"] == {"time_zone": "America/New_York"}
    (acked,) = diagnostics["PriceServer"]["acknowledgements"].values()
    assert acked["issuer_event_id"] == 0x01020304


async def test_scheduled_prices_and_bad_input(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    freezer: FrozenDateTimeFactory,
) -> None:
    display, _ = await join_display(hass, zigbee, "00:0d:6f:00:0b:00:02:02")
    await display.sync_time()
    family = pack_setup.runtime_data.families["esi"]

    # -- bad input: nothing sent, nothing stored ---------------------------------------
    base = {"price": 0.25, "currency": "EUR"}
    for data, key in (
        ({"currency": "XYZ"}, "esi_unknown_currency"),
        ({"price": 0.27345, "trailing_digits": 4}, "esi_price_not_representable"),
        ({"price": 42949673, "trailing_digits": 2}, "esi_price_not_representable"),
        ({"price": -0.1}, "esi_price_negative"),
        ({"generation_price": -1}, "esi_price_negative"),
        ({"tier": 5, "number_of_tiers": 4}, "esi_tier_out_of_range"),
        ({"tier": 49}, "esi_tier_out_of_range"),
        ({"duration": 0}, "esi_duration_out_of_range"),
        ({"duration": 0xFFFF}, "esi_duration_out_of_range"),
        (
            {"start": dt_util.utcnow() - timedelta(hours=1)},
            "esi_start_in_past",
        ),
        ({"rate_label": "Off-peak €€€"}, "esi_rate_label_too_long"),  # 17 bytes
        ({"device_id": ["nope"]}, "esi_not_a_client"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, {**base, **data})
        assert err.value.translation_key == key, data
    assert not published(display)
    assert family.price.events == {}

    # -- a price now and one scheduled in 10 minutes for 30 minutes --------------------
    first = await call(hass, {**base, "price": "0.2000", "tier": 1})
    first_id = first["issuer_event_id"]
    assert abs(first_id - utc_now()) <= 2  # allocated: a UTC stamp
    start = dt_util.utcnow().replace(microsecond=0) + timedelta(minutes=10)
    second = await call(
        hass,
        {
            **base,
            "price": 0.315,
            "trailing_digits": 4,
            "tier": 2,
            "rate_label": "Evening",
            "start": start.isoformat(),
            "duration": 30,
        },
    )
    assert second["devices"][0]["result"] == "sent"
    second_id = second["issuer_event_id"]
    assert second_id > first_id
    # the same issuer event id again is refused
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, {**base, "issuer_event_id": second_id})
    assert err.value.translation_key == "esi_duplicate_issuer_event_id"
    frames = published(display)
    assert len(frames) == 2
    assert frames[1].payload[5 + 7 + 13 :][:6] == struct.pack("<IH", utc(start), 30)
    assert display.screen is not None
    assert display.screen.text == "0.2000 EUR/kWh"

    # GetScheduledPrices: both, earliest first, with the request's TSN
    first_answer, second_answer = await answers(
        zigbee, display, display.request_scheduled_prices, 2
    )
    assert [frame.data[0] for frame in (first_answer, second_answer)] == [FC_ANSWER] * 2
    assert struct.unpack_from("<I", first_answer.payload, 5)[0] == first_id
    assert struct.unpack_from("<I", second_answer.payload, 5 + 7)[0] == second_id
    # those ending at or after a time after the scheduled one's end: only the first,
    # which holds until changed
    (only,) = await answers(
        zigbee,
        display,
        lambda: display.request_scheduled_prices(
            start_time=utc(start + timedelta(minutes=31))
        ),
        1,
    )
    assert struct.unpack_from("<I", only.payload, 5)[0] == first_id

    # -- at its start the display shows the scheduled price by itself; HA agrees -------
    calendar = calendar_id(hass)
    state = hass.states.get(calendar)
    assert state is not None
    assert state.attributes["message"] == "0.2000 EUR/kWh"
    await advance(hass, freezer, zigbee, 605)
    assert display.screen.text == "0.3150 EUR/kWh"
    assert display.screen.rate_label == "Evening"
    frame = await display.request_current_price()
    assert struct.unpack_from("<I", frame.payload, 5 + 7)[0] == second_id
    state = hass.states.get(calendar)
    assert state is not None
    assert state.state == "on"
    assert state.attributes["message"] == "Evening: 0.3150 EUR/kWh"
    # and back to the first one when it ends
    await advance(hass, freezer, zigbee, 30 * 60)
    assert display.screen.text == "0.2000 EUR/kWh"
    # the ended one is dropped
    assert [price.issuer_event_id for price in family.price.stored()] == [first_id]


async def test_follow_price_entity_and_restart(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    display, _ = await join_display(hass, zigbee, "00:0d:6f:00:0b:00:02:03")
    await display.sync_time()
    hass.states.async_set("sensor.tariff", "0.2512", {"unit_of_measurement": "EUR/kWh"})

    # the ESI's option: follow the tariff sensor (the integration's options flow)
    flow = await hass.config_entries.options.async_init(pack_setup.entry_id)
    assert flow["type"] is FlowResultType.MENU
    assert "esi" in flow["menu_options"]
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"next_step_id": "esi"}
    )
    assert flow["type"] is FlowResultType.FORM
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"price_entity": "sensor.tariff"}
    )
    assert flow["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    async def shown(text: str) -> None:
        await zigbee.wait_for(
            lambda: display.screen is not None and display.screen.text == text,
            what=text,
        )

    await shown("0.2512 EUR/kWh")
    hass.states.async_set(
        "sensor.tariff", "0.31", {"unit_of_measurement": "EUR/kWh", "x": 1}
    )
    await shown("0.31 EUR/kWh")
    # an attribute alone changes: nothing is published
    hass.states.async_set(
        "sensor.tariff", "0.31", {"unit_of_measurement": "EUR/kWh", "x": 2}
    )
    # not a price: skipped (a negative price cannot be sent, Price is a uint32)
    hass.states.async_set("sensor.tariff", "-0.02", {"unit_of_measurement": "EUR/kWh"})
    hass.states.async_set("sensor.tariff", "0.19", {"unit_of_measurement": "GBP/m³"})
    await shown("0.19 GBP/m³")
    frames = published(display)
    assert len(frames) == 3
    assert all(frame.payload[4] == 0 for frame in frames)  # no rate label
    assert [
        struct.unpack_from("<IH", frame.payload, 5 + 8 + 3 + 2)[1] for frame in frames
    ] == [UNTIL_CHANGED] * 3
    family = pack_setup.runtime_data.families["esi"]
    (event_id,) = family.price.events  # each new price covers the older ones
    assert display.screen.issuer_event_id == event_id

    # -- restart: the event is kept and answers GetCurrentPrice ------------------------
    assert await hass.config_entries.async_reload(pack_setup.entry_id)
    await hass.async_block_till_done()
    family = pack_setup.runtime_data.families["esi"]
    assert set(family.price.events) == {event_id}
    frame = await display.request_current_price()
    assert frame.command_id == PUBLISH_PRICE and not frame.is_general
    assert struct.unpack_from("<I", frame.payload, 5)[0] == event_id
    price = struct.unpack_from("<I", frame.payload, len(frame.payload) - 14 - 4)[0]
    assert Decimal(price).scaleb(-(frame.payload[5 + 8 + 3] >> 4)) == Decimal("0.19")
    # still following after the restart
    hass.states.async_set("sensor.tariff", "0.2", {"unit_of_measurement": "GBP/m³"})
    await shown("0.2 GBP/m³")


async def test_block_prices_and_optional_fields(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """Block prices from the ESI's Price server attributes; PublishPrice fields 12-18."""
    display, _ = await join_display(hass, zigbee, "00:0d:6f:00:0b:00:02:04")
    await display.sync_time()
    family = pack_setup.runtime_data.families["esi"]
    display.consumption = Decimal("12.5")  # kWh this block period
    base: dict[str, Any] = {
        "price": "0.20",
        "currency": "EUR",
        "tier": 2,
        "number_of_tiers": 3,
        "block_thresholds": [10, "25"],
        "block_prices": ["0.20", 0.30, "0.45"],
    }

    # -- bad input: nothing sent, nothing stored ---------------------------------------
    for data, key in (
        ({"block_thresholds": [25, 10]}, "esi_block_thresholds_not_increasing"),
        ({"block_thresholds": [0, 10]}, "esi_block_thresholds_not_increasing"),
        (
            {"block_thresholds": list(range(1, 17)), "block_prices": [1] * 17},
            "esi_block_thresholds_too_many",
        ),
        ({"block_prices": [0.2, 0.3]}, "esi_block_prices_count"),
        ({"block_thresholds": []}, "esi_block_prices_count"),
        ({"block_thresholds": [10.0005, 25]}, "esi_block_threshold_not_representable"),
        (
            {"block_prices": [0.2, 0.305, 0.45], "trailing_digits": 2},
            "esi_price_not_representable",
        ),
        ({"block_prices": [0.2, -0.3, 0.45]}, "esi_price_negative"),
        ({"tier": 16, "number_of_tiers": 20}, "esi_block_tier_out_of_range"),
        ({"price_ratio": 0}, "esi_ratio_out_of_range"),
        ({"price_ratio": 25.5}, "esi_ratio_out_of_range"),
        ({"generation_price_ratio": 1.25}, "esi_ratio_out_of_range"),
        (
            {"alternate_cost": 0.1855, "alternate_cost_trailing_digits": 3},
            "esi_price_not_representable",
        ),
        ({"alternate_cost": -1}, "esi_price_negative"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, {**base, **data})
        assert err.value.translation_key == key, data
    assert not published(display)
    assert family.price.events == {}
    assert family.price.blocks == {}
    assert display.price_reads == []

    # -- every optional field of the Digi X2's PublishPriceRecord ----------------------
    response = await call(
        hass,
        {
            **base,
            "rate_label": "Block",
            "issuer_event_id": 0x01020305,
            "provider_id": 0x0A0B0C0E,
            "price_ratio": 1.5,
            "generation_price": 0.08,
            "generation_price_ratio": "0.7",
            "alternate_cost": 0.185,
            "alternate_cost_unit": 2,  # Silicon Labs' number for kg CO2: sent as 0x01
        },
    )
    assert response["devices"][0]["result"] == "sent"
    (frame,) = published(display)
    (current_time,) = struct.unpack_from("<I", frame.payload, 4 + 1 + 5 + 4)
    assert frame.data == bytes((FC_SERVER_TO_CLIENT, frame.tsn, PUBLISH_PRICE)) + (
        publish_price(
            provider_id=0x0A0B0C0E,
            label="Block",
            issuer_event_id=0x01020305,
            current_time=current_time,
            digits=2,
            tier=2,
            tiers=3,
            start=0,
            duration=UNTIL_CHANGED,
            price=20,
            price_ratio=15,  # tenths
            generation_price=8,
            generation_price_ratio=7,
            alternate_cost=185,  # 0.185 with 3 digits
            alternate_cost_unit=0x01,  # kg CO2 per kWh (NXP, Exegin, Digi: §8)
            alternate_cost_digits=3,
            block_thresholds=2,  # field 18
        )
    )

    # -- the display reads the blocks from the ESI and shows the price of its block ----
    await zigbee.wait_for(
        lambda: display.shown_text == "0.30 EUR/kWh", what="block 2's price"
    )
    # NumberOfBlockThresholdsInUse (uint8 0x20), ThresholdMultiplier / Divisor (uint24
    # 0x22: 1 / 1000, thresholds in Wh), Block1/2Threshold (uint48 0x25: 10000, 25000)
    thresholds_read, prices_read = display.price_reads
    assert thresholds_read == (
        bytes.fromhex("1206 0202 0302 0001 0101"),
        bytes.fromhex(
            "120600 20 02"
            "020200 22 010000"
            "030200 22 e80300"
            "000100 25 102700000000"
            "010100 25 a86100000000"
        ),
    )
    # Tier2Block1..3Price = 0x0400 + 0x10 x 2 + (block - 1) (uint32 0x23: 20, 30, 45)
    assert prices_read == (
        bytes.fromhex("2004 2104 2204"),
        bytes.fromhex("200400 23 14000000 210400 23 1e000000 220400 23 2d000000"),
    )
    # a Read Attributes Response: global, server -> client, no Default Response
    assert {
        frame.data[0]
        for frame in display.frames(cluster=PRICE, command=0x01, general=True)
    } == {FC_DEFAULT_RESPONSE}
    display.consumption = Decimal(30)
    assert display.shown_text == "0.45 EUR/kWh"
    # the tier labels, the price's units; an attribute not served
    await display.read_price_attributes(
        [0x0000, 0x0001, 0x0611, 0x0613, 0x0615, 0x0616, 0x0617, 0x0620]
    )
    assert display.price_reads[-1][1] == bytes.fromhex(
        "000000 41 06"
        + b"Tier 1".hex()  # Tier1PriceLabel, octet string
        + "010000 41 05"
        + b"Block".hex()  # the price's tier: its rate label
        + "110600 20 03"  # NumberOfPriceTiersInUse
        + "130600 30 01"  # TierBlockMode ActiveBlockPriceTier
        + "150600 30 00"  # UnitOfMeasure kWh
        + "160600 21 d203"  # Currency 978
        + "170600 18 20"  # PriceTrailingDigit: 2, high nibble
        + "200686"  # CO2: UNSUPPORTED_ATTRIBUTE
    )

    # -- HA shows it: calendar description, diagnostics ---------------------------------
    state = hass.states.get(calendar_id(hass))
    assert state is not None
    assert state.attributes["description"] == (
        "Tier 2, until changed, issuer event 16909061; "
        "blocks: 0.20 up to 10 kWh, 0.30 up to 25 kWh, 0.45 above (EUR/kWh); "
        "price ratio 1.5; generation price 0.08 EUR/kWh; generation price ratio 0.7; "
        "alternate cost 0.185 kg CO2/kWh"
    )
    (event,) = family.diagnostics()["PriceServer"]["events"]
    assert event["blocks"] == {
        "thresholds": [10000, 25000],
        "prices": [20, 30, 45],
        "threshold_multiplier": 1,
        "threshold_divisor": 1000,
    }
    assert (event["price_ratio"], event["alternate_cost_unit"]) == (15, 0x01)

    # -- restart: the blocks are kept with their event and served again ----------------
    assert await hass.config_entries.async_reload(pack_setup.entry_id)
    await hass.async_block_till_done()
    assert set(pack_setup.runtime_data.families["esi"].price.blocks) == {0x01020305}
    await display.read_price_attributes([0x0101, 0x0422])
    assert display.price_reads[-1][1] == bytes.fromhex(
        "010100 25 a86100000000 220400 23 2d000000"
    )
