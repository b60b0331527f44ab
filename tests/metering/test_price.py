"""Smart Energy Price client end to end: the meter's (ESI's) prices as HA sensors.

HA + real ZHA + our quirk against the simulated meter's Price server
(``tests/simulator/models/se_price.py``, written from the spec independently of the codec).
"""

from __future__ import annotations

from datetime import datetime, timedelta
import struct

from homeassistant.components.energy.validate import (
    ENERGY_PRICE_UNIT_ERROR,
    ENERGY_PRICE_UNITS,
    ValidationIssues,
    _async_validate_price_entity,
)
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.metering.conftest import meter_entity
from tests.simulator import SimDevice
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_meters import se_electricity_meter
from tests.simulator.models.se_price import PriceServer

PRICE = 0x0700
SE_PROFILE = 0x0109
GET_CURRENT_PRICE = 0x00
PRICE_ACKNOWLEDGEMENT = 0x02
# ZCL frame control: cluster-specific, client -> server, default response wanted
FC_CLIENT_TO_SERVER = 0x01
RX_ON_WHEN_IDLE = 0x01
ACK_REQUIRED = 0x01
ZCL_EPOCH = datetime(2000, 1, 1, tzinfo=dt_util.UTC)
KEYS = ("current_price", "price_tier", "rate_label", "next_price_change")


def server(device: SimDevice) -> PriceServer:
    price = getattr(device, "price", None)
    assert isinstance(price, PriceServer)
    return price


def utc_time(instant: datetime) -> int:
    return int((instant - ZCL_EPOCH).total_seconds())


def price_entity(hass: HomeAssistant, device: SimDevice, key: str) -> str | None:
    return er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{device.ieee}-{key}"
    )


def states(hass: HomeAssistant, device: SimDevice) -> dict[str, State]:
    found = {}
    for key in KEYS:
        entity_id = price_entity(hass, device, key)
        assert entity_id is not None, key
        state = hass.states.get(entity_id)
        assert state is not None, key
        found[key] = state
    return found


async def wait_price(
    hass: HomeAssistant, zigbee: ZigbeeHarness, device: SimDevice, value: str
) -> dict[str, State]:
    def shown() -> bool:
        entity_id = price_entity(hass, device, "current_price")
        state = None if entity_id is None else hass.states.get(entity_id)
        return state is not None and state.state == value

    await zigbee.wait_for(shown, what=f"current price {value}")
    return states(hass, device)


async def test_current_price_asked_at_join(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    device = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:08:01"), price=True)
    esi = server(device)
    now = dt_util.utcnow().replace(microsecond=0)
    start = now - timedelta(minutes=10)
    # the ESI's price: 0.2734 EUR/kWh, tier 3, for 70 min from 10 min ago
    esi.set_price(
        2734,
        trailing_digit=4,
        tier=3,
        rate_label="Peak €",
        issuer_event_id=0x10203040,
        start=utc_time(start),
        duration=70,
    )
    await zigbee.join(device)
    frame = await device.wait_for_frame(
        cluster=PRICE, command=GET_CURRENT_PRICE, general=False
    )
    assert frame.profile_id == SE_PROFILE
    assert frame.data == bytes(
        (FC_CLIENT_TO_SERVER, frame.tsn, GET_CURRENT_PRICE, RX_ON_WHEN_IDLE)
    )
    await zigbee.wait_for(lambda: bool(esi.requests), what="GetCurrentPrice handled")
    assert esi.requests == [RX_ON_WHEN_IDLE]

    found = await wait_price(hass, zigbee, device, "0.2734")
    current = found["current_price"]
    assert current.attributes["unit_of_measurement"] == "EUR/kWh"
    assert current.attributes["device_class"] == "monetary"
    assert "state_class" not in current.attributes
    assert found["price_tier"].state == "3"
    assert found["rate_label"].state == "Peak €"
    assert found["next_price_change"].attributes["device_class"] == "timestamp"
    change = dt_util.parse_datetime(found["next_price_change"].state)
    assert change == start + timedelta(minutes=70)
    # no acknowledgement asked for: none sent; GetCurrentPrice sent once
    assert not device.frames(cluster=PRICE, command=PRICE_ACKNOWLEDGEMENT)
    assert (
        len(device.frames(cluster=PRICE, command=GET_CURRENT_PRICE, general=False)) == 1
    )
    # the Energy dashboard takes it as an electricity price entity
    issues = ValidationIssues()
    _async_validate_price_entity(
        hass,
        current.entity_id,
        issues,
        ENERGY_PRICE_UNITS,
        ENERGY_PRICE_UNIT_ERROR,
    )
    assert issues.issues == {}


async def test_published_price_acknowledged(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    device = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:08:02"), price=True)
    esi = server(device)
    await zigbee.join(device)
    await device.wait_for_frame(cluster=PRICE, command=GET_CURRENT_PRICE)
    # no price yet: the ESI answered NOT_FOUND, the sensors are unknown
    await zigbee.wait_for(
        lambda: bool(device.frames(cluster=PRICE, general=True, sent=True)),
        what="NOT_FOUND answer",
    )
    # the first NOT_FOUND answers GetCurrentPrice (the next one GetScheduledPrices)
    answer = device.frames(cluster=PRICE, general=True, sent=True)[0]
    assert answer.payload == bytes((GET_CURRENT_PRICE, 0x8B))
    await hass.async_block_till_done()
    assert {
        key: state.state for key, state in states(hass, device).items()
    } == dict.fromkeys(KEYS, "unknown")

    # unsolicited, starting now, until changed, in GBP per m³, acknowledgement required
    assert esi.publish_price(
        18995,
        trailing_digit=3,
        tier=5,
        rate_label="Off-peak",
        issuer_event_id=0x0A0B0C0D,
        provider_id=0x11223344,
        currency=826,
        unit_of_measure=0x01,
        control=ACK_REQUIRED,
    )
    found = await wait_price(hass, zigbee, device, "18.995")
    assert found["current_price"].attributes["unit_of_measurement"] == "GBP/m³"
    assert found["price_tier"].state == "5"
    assert found["rate_label"].state == "Off-peak"
    assert found["next_price_change"].state == "unknown"  # until changed

    frame = await device.wait_for_frame(
        cluster=PRICE, command=PRICE_ACKNOWLEDGEMENT, general=False
    )
    assert frame.profile_id == SE_PROFILE
    assert frame.data[:11] == bytes(
        (FC_CLIENT_TO_SERVER, frame.tsn, PRICE_ACKNOWLEDGEMENT)
    ) + struct.pack("<II", 0x11223344, 0x0A0B0C0D)
    assert len(frame.data) == 3 + 13
    (when,) = struct.unpack("<I", frame.data[11:15])
    assert abs(when - utc_time(dt_util.utcnow())) < 30
    assert frame.data[15] == ACK_REQUIRED  # the PriceControl echoed
    await zigbee.wait_for(lambda: bool(esi.acknowledgements), what="ack recorded")
    assert [(a.provider_id, a.issuer_event_id) for a in esi.acknowledgements] == [
        (0x11223344, 0x0A0B0C0D)
    ]

    # a newer price for 30 min from now replaces it; no acknowledgement asked this time
    assert esi.publish_price(
        2734, tier=3, rate_label="Peak", issuer_event_id=0x0A0B0C0E, duration=30
    )
    found = await wait_price(hass, zigbee, device, "0.2734")
    change = dt_util.parse_datetime(found["next_price_change"].state)
    assert change is not None
    assert abs((change - dt_util.utcnow()).total_seconds() - 30 * 60) < 30
    assert len(device.frames(cluster=PRICE, command=PRICE_ACKNOWLEDGEMENT)) == 1


async def test_meter_without_price_and_malformed_frames(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    plain = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:08:03"))
    await zigbee.join(plain)
    assert meter_entity(hass, plain, "summation_delivered") is not None  # still quirked
    assert [key for key in KEYS if price_entity(hass, plain, key)] == []
    assert not plain.frames(cluster=PRICE)

    device = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:08:04"), price=True)
    esi = server(device)
    esi.set_price(1000, trailing_digit=2, tier=1, rate_label="Base")
    await zigbee.join(device)
    await wait_price(hass, zigbee, device, "10.00")
    current = price_entity(hass, device, "current_price")
    seen: list[str] = []

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None:
            seen.append(state.state)

    unsub = async_track_state_change_event(hass, [current], changed)
    # cut short (under the 28-byte minimum), a 13-byte rate label, an unknown unit: dropped
    good = esi.set_price(2000, trailing_digit=2, issuer_event_id=2, rate_label="Bad")
    assert esi.send_raw(good[:20])
    assert esi.send_raw(good[:4] + b"\x0d" + b"x" * 13 + good[8:])
    # UnitOfMeasure is byte 16 with a 3-byte label (4 + 1 + 3 + 4 + 4)
    assert esi.send_raw(good[:16] + b"\x7f" + good[17:])
    assert esi.publish_price(
        3000, trailing_digit=2, issuer_event_id=3, rate_label="After"
    )
    found = await wait_price(hass, zigbee, device, "30.00")
    assert found["rate_label"].state == "After"
    unsub()
    # no state in between: the bad frames never showed
    assert seen == ["30.00"]
    assert not device.frames(cluster=PRICE, command=PRICE_ACKNOWLEDGEMENT)


async def test_current_price_asked_again_after_zha_reload(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zha_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    device = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:08:05"), price=True)
    esi = server(device)
    esi.set_price(1500, trailing_digit=2, tier=2, rate_label="Day")
    await zigbee.join(device)
    await wait_price(hass, zigbee, device, "15.00")
    # the price changed while ZHA was away: the new cluster asks for it again
    esi.set_price(1234, trailing_digit=3, tier=4, rate_label="Night", issuer_event_id=9)
    assert await hass.config_entries.async_reload(zha_setup.entry_id)
    await hass.async_block_till_done()
    found = await wait_price(hass, zigbee, device, "1.234")
    assert found["price_tier"].state == "4"
    assert found["rate_label"].state == "Night"
    requests = device.frames(cluster=PRICE, command=GET_CURRENT_PRICE, general=False)
    assert len(requests) == 2
    assert all(
        frame.data == bytes((FC_CLIENT_TO_SERVER, frame.tsn, 0x00, RX_ON_WHEN_IDLE))
        for frame in requests
    )
