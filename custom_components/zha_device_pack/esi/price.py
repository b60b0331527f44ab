"""The ESI's Price server: HA publishes prices to the home's in-home displays and thermostats.

Per device with a Price client on our quirk (``quirks/esi_price.py``) HA is the Price server
(reference §3.2 "ESI server behaviour"):

- ``publish_price`` stores a price event and sends PublishPrice to every targeted client
  (unicast, asking for a Default Response, so the response says per device ``sent``,
  ``rejected`` with the device's status, or ``no_answer``). A price starting now goes out
  with StartTime 0 ("now", reference §6) and is stored with its real start.
- GetCurrentPrice is answered with the stored event in force (of overlapping ones the
  largest issuer event id, ``se_price.current_price``), GetScheduledPrices with every
  qualifying event (``se_price.scheduled_prices``), each as a PublishPrice with the
  request's sequence number; none: Default Response NOT_FOUND. An answered event keeps its
  original start and full duration (ZSS's rule for re-sent events).
- Block prices (SE 1.1): PublishPrice carries only their number (field 18); the thresholds
  and the price of each block are the Price *server's* attributes (reference §3.1). A
  display's Read Attributes of them reaches the device's Price client on our quirk, which
  answers from ``server_attributes``: the price in force, its blocks (thresholds in
  thousandths of the unit of measure: ThresholdMultiplier 1, ThresholdDivisor 1000;
  NoTierBlock*N*Price for a price without a tier, Tier*T*Block*N*Price of its tier
  otherwise), the tier labels ("Tier N", the rate label for its own tier), currency, unit
  and trailing digit.
- A PriceAcknowledgement is recorded per device: the device's "Price acknowledged"
  timestamp sensor (what a user automates on: it changes on every acknowledgement and shows
  on the device's page) and the diagnostics.
- Following an HA price entity (the ESI's option ``price_entity``, set in the integration's
  options: a setting that lasts, edited in the UI, rather than an action to call again after
  a restart): every new price of that sensor, whose unit is "<ISO 4217 code>/<unit>" like
  "EUR/kWh", is published to every Price client as a new event starting now, until changed.
  Its trailing digits are the decimals of the state (fewer when the price would not fit a
  uint32). A negative price cannot be sent (Price is a uint32) and is skipped with a
  warning, as are states without a number or a unit of that form.

Issuer event ids are allocated by HA: the UTCTime of the event's creation, or the last id
+ 1 when that is not larger ("larger = newer, often a UTC stamp", reference §3.2), so they
stay increasing across restarts. A given id that is already stored is refused (SE's
"duplicate exists"). The events live in the ESI store's section "prices"; an event whose
end has passed is dropped, as is one a newer event covers from now on to its end. The
"Published prices" calendar on the coordinator shows which price is in force when (an
until-changed price reaches to the end of the range shown).

Every field is checked before anything is stored or sent; a refused field raises a
translated ``ServiceValidationError`` (``esi_*`` keys).
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
import logging
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    State,
    callback,
)
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import voluptuous as vol
from zha.exceptions import ZHAException
from zha.zigbee.device import Device
from zigpy.exceptions import ZigbeeException
from zigpy.types import EUI64
from zigpy.zcl import foundation
from zigpy.zcl.foundation import Status

from ..cluster_follower import ClusterFollower
from ..const import DOMAIN
from ..entity import ZhaDeviceLinkedEntity
from ..errors import validation_error
from ..family import FamilyService, client_cluster
from ..protocol import se_price
from ..protocol.metering import UnitOfMeasure
from ..protocol.zcl_time import ZCL_EPOCH, zcl_seconds
from ..quirks.esi_price import EsiPrice
from ..quirks.exceptions import NoAnswerError
from .services import (
    RESULT_NO_ANSWER,
    RESULT_REJECTED,
    RESULT_SENT,
    TARGET_SCHEMA,
    ieee_name,
    send_to_clients,
    target_clients,
)

if TYPE_CHECKING:
    from ..se_store import SectionStore
    from .family import EsiFamily

_LOGGER = logging.getLogger(__name__)

SECTION: Final = "prices"
#: The ESI's option: the HA sensor whose price is published.
OPTION_PRICE_ENTITY: Final = "price_entity"
SERVICE_PUBLISH_PRICE: Final = "publish_price"
KEY_PRICE_ACKNOWLEDGED: Final = "price_acknowledged"
KEY_PUBLISHED_PRICES: Final = "published_prices"

ATTR_PRICE: Final = "price"
ATTR_CURRENCY: Final = "currency"
ATTR_TRAILING_DIGITS: Final = "trailing_digits"
ATTR_UNIT_OF_MEASURE: Final = "unit_of_measure"
ATTR_TIER: Final = "tier"
ATTR_NUMBER_OF_TIERS: Final = "number_of_tiers"
ATTR_RATE_LABEL: Final = "rate_label"
ATTR_START: Final = "start"
ATTR_DURATION: Final = "duration"
ATTR_GENERATION_PRICE: Final = "generation_price"
ATTR_BLOCK_THRESHOLDS: Final = "block_thresholds"
ATTR_BLOCK_PRICES: Final = "block_prices"
ATTR_PRICE_RATIO: Final = "price_ratio"
ATTR_GENERATION_PRICE_RATIO: Final = "generation_price_ratio"
ATTR_ALTERNATE_COST: Final = "alternate_cost"
ATTR_ALTERNATE_COST_UNIT: Final = "alternate_cost_unit"
ATTR_ALTERNATE_COST_TRAILING_DIGITS: Final = "alternate_cost_trailing_digits"
ATTR_ACKNOWLEDGEMENT_REQUIRED: Final = "acknowledgement_required"
ATTR_ISSUER_EVENT_ID: Final = "issuer_event_id"
ATTR_PROVIDER_ID: Final = "provider_id"

#: AlternateCostUnit: its one value, kg CO2 per unit of measure, sent as 0x01 (NXP, Exegin,
#: Digi); 0x02 (Silicon Labs' number for it) and 0x01 are taken as it too (reference §8).
ALTERNATE_COST_KG_CO2: Final = "kg_co2"
_ALTERNATE_COST_UNITS: Final = vol.Any(
    ALTERNATE_COST_KG_CO2, vol.All(vol.Coerce(int), vol.In([0x01, 0x02]))
)
#: PriceRatio and GenerationPriceRatio: tenths, 0.1 to 25.4 (reference §3.2 field 12).
_RATIO_MIN: Final = Decimal("0.1")
_RATIO_MAX: Final = Decimal("25.4")

#: ProviderID when none is given: the reference names no default (Digi: none either).
DEFAULT_PROVIDER_ID: Final = 0
#: A start this close before now is "now" (the UI's date-time picker has whole minutes).
START_NOW_TOLERANCE: Final = timedelta(minutes=1)
_MINUTE: Final = timedelta(minutes=1)
_CALENDAR_OPEN_END: Final = timedelta(days=1)


def _unit_symbols() -> dict[str, UnitOfMeasure]:
    """Return HA's unit symbol ("kWh") -> UnitOfMeasure, from the codec's price units."""
    symbols: dict[str, UnitOfMeasure] = {}
    for unit in UnitOfMeasure:
        _, _, symbol = se_price.price_unit(978, unit).partition("/")
        if symbol:
            symbols.setdefault(symbol, unit)
    return symbols


#: Units a price can be per (UNITLESS has no symbol; kPa is the gauge pressure).
UNIT_SYMBOLS: Final = _unit_symbols()


def _decimal(value: Any) -> Decimal:
    """Coerce a number from the UI (float), YAML or a template (str) to an exact Decimal."""
    if isinstance(value, bool):
        raise vol.Invalid("not a number")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as err:
        raise vol.Invalid(f"{value!r} is not a number") from err
    if not number.is_finite():
        raise vol.Invalid(f"{value!r} is not a finite number")
    return number


_PUBLISH_PRICE_FIELDS: Final[dict[Any, Any]] = {
    **TARGET_SCHEMA,
    vol.Required(ATTR_PRICE): _decimal,
    vol.Optional(ATTR_CURRENCY): cv.string,
    vol.Optional(ATTR_TRAILING_DIGITS): vol.All(
        vol.Coerce(int), vol.Range(min=0, max=se_price.MAX_TRAILING_DIGIT)
    ),
    vol.Optional(ATTR_UNIT_OF_MEASURE, default="kWh"): vol.In(list(UNIT_SYMBOLS)),
    vol.Optional(ATTR_TIER, default=0): vol.Coerce(int),
    vol.Optional(ATTR_NUMBER_OF_TIERS): vol.Coerce(int),
    vol.Optional(ATTR_RATE_LABEL, default=""): cv.string,
    vol.Optional(ATTR_START): cv.datetime,
    vol.Optional(ATTR_DURATION): vol.Coerce(int),
    vol.Optional(ATTR_GENERATION_PRICE): _decimal,
    vol.Optional(ATTR_BLOCK_THRESHOLDS): vol.All(cv.ensure_list, [_decimal]),
    vol.Optional(ATTR_BLOCK_PRICES): vol.All(cv.ensure_list, [_decimal]),
    vol.Optional(ATTR_PRICE_RATIO): _decimal,
    vol.Optional(ATTR_GENERATION_PRICE_RATIO): _decimal,
    vol.Optional(ATTR_ALTERNATE_COST): _decimal,
    vol.Optional(
        ATTR_ALTERNATE_COST_UNIT, default=ALTERNATE_COST_KG_CO2
    ): _ALTERNATE_COST_UNITS,
    vol.Optional(ATTR_ALTERNATE_COST_TRAILING_DIGITS): vol.All(
        vol.Coerce(int), vol.Range(min=0, max=se_price.MAX_TRAILING_DIGIT)
    ),
    vol.Optional(ATTR_ACKNOWLEDGEMENT_REQUIRED, default=False): cv.boolean,
    vol.Optional(ATTR_ISSUER_EVENT_ID): vol.All(
        vol.Coerce(int), vol.Range(min=0, max=se_price.UINT32_MAX)
    ),
    vol.Optional(ATTR_PROVIDER_ID, default=DEFAULT_PROVIDER_ID): vol.All(
        vol.Coerce(int), vol.Range(min=0, max=se_price.UINT32_MAX)
    ),
}
PUBLISH_PRICE_SCHEMA: Final = vol.Schema(_PUBLISH_PRICE_FIELDS)


def options_schema(options: Mapping[str, Any]) -> vol.Schema:
    """Return the ESI's options: the HA price sensor to follow (none: not followed)."""
    return vol.Schema(
        {
            vol.Optional(OPTION_PRICE_ENTITY): selector.EntitySelector(
                selector.EntitySelectorConfig(domain="sensor")
            )
        }
    )


def followed_entity(options: Mapping[str, Any]) -> str | None:
    """Return the price sensor the ESI's options name (None: none)."""
    entity_id = options.get(OPTION_PRICE_ENTITY)
    return entity_id if isinstance(entity_id, str) and entity_id else None


def utc_time(seconds: int) -> datetime:
    """Return a UTCTime as an aware datetime."""
    return ZCL_EPOCH + timedelta(seconds=seconds)


# --- stored events -------------------------------------------------------------------------


def price_to_json(price: se_price.PublishPrice) -> dict[str, Any]:
    """Return a stored price as JSON (enums as their numbers)."""
    data: dict[str, Any] = {}
    for field in dataclasses.fields(price):
        value = getattr(price, field.name)
        data[field.name] = (
            value if value is None or isinstance(value, str) else int(value)
        )
    return data


def price_from_json(data: Mapping[str, Any]) -> se_price.PublishPrice:
    """Return a stored price from ``price_to_json`` (the codec checks every field)."""
    values = dict(data)
    values["unit_of_measure"] = UnitOfMeasure(values["unit_of_measure"])
    values["price_tier"] = se_price.PriceTier(values["price_tier"])
    values["price_control"] = se_price.PriceControl(values["price_control"])
    if values.get("alternate_cost_unit") is not None:
        values["alternate_cost_unit"] = se_price.AlternateCostUnit(
            values["alternate_cost_unit"]
        )
    return se_price.PublishPrice(**values)


def blocks_to_json(blocks: se_price.BlockPrices) -> dict[str, Any]:
    """Return an event's block prices as JSON (the raw attribute values)."""
    return {
        "thresholds": list(blocks.thresholds),
        "prices": list(blocks.prices),
        "threshold_multiplier": blocks.threshold_multiplier,
        "threshold_divisor": blocks.threshold_divisor,
    }


def blocks_from_json(data: Mapping[str, Any]) -> se_price.BlockPrices:
    """Return stored block prices (the codec checks them)."""
    return se_price.BlockPrices(
        thresholds=tuple(int(value) for value in data["thresholds"]),
        prices=tuple(int(value) for value in data["prices"]),
        threshold_multiplier=int(data["threshold_multiplier"]),
        threshold_divisor=int(data["threshold_divisor"]),
    )


def _end(price: se_price.PublishPrice) -> int | None:
    return price.ends_at(price.start_time)


def _covers(
    newer: se_price.PublishPrice, older: se_price.PublishPrice, now: int
) -> bool:
    """Return True when ``newer`` wins over ``older`` for all of its remaining time."""
    if newer.issuer_event_id <= older.issuer_event_id:
        return False
    newer_end, older_end = _end(newer), _end(older)
    from_ = max(older.start_time, now)
    return newer.start_time <= from_ and (
        newer_end is None or (older_end is not None and older_end <= newer_end)
    )


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """The last PriceAcknowledgement of a device, and when HA received it."""

    ack: se_price.PriceAcknowledgement
    received: datetime

    def as_json(self) -> dict[str, Any]:
        """Return the acknowledgement as JSON."""
        return {
            "provider_id": self.ack.provider_id,
            "issuer_event_id": self.ack.issuer_event_id,
            "price_ack_time": self.ack.price_ack_time,
            "control": int(self.ack.control),
            "received": self.received.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Acknowledgement | None:
        """Return a stored acknowledgement (None when unreadable)."""
        received = dt_util.parse_datetime(str(data.get("received")))
        if received is None:
            return None
        ack = se_price.PriceAcknowledgement(
            int(data["provider_id"]),
            int(data["issuer_event_id"]),
            int(data["price_ack_time"]),
            se_price.PriceControl(int(data["control"])),
        )
        return cls(ack, received)


@dataclass(slots=True)
class _Client:
    """One Price client device: its last acknowledgement."""

    last_ack: Acknowledgement | None = None


class _ClusterListener:
    """zigpy listener of one device's Price client cluster."""

    def __init__(self, server: PriceServer, ieee: EUI64) -> None:
        self._server = server
        self._ieee = ieee

    def se_get_current_price(
        self, hdr: foundation.ZCLHeader, request: se_price.GetCurrentPrice
    ) -> None:
        self._server.current_price_requested(self._ieee, hdr)

    def se_get_scheduled_prices(
        self, hdr: foundation.ZCLHeader, request: se_price.GetScheduledPrices
    ) -> None:
        self._server.scheduled_prices_requested(self._ieee, hdr, request)

    def se_price_acknowledged(self, ack: se_price.PriceAcknowledgement) -> None:
        self._server.acknowledged(self._ieee, ack)

    def se_price_server_attributes(self) -> dict[int, se_price.AttributeValue]:
        return self._server.server_attributes()


class PriceServer(ClusterFollower[EsiPrice, _Client]):
    """HA's Price server for every device with a Price client."""

    def __init__(self, family: EsiFamily) -> None:
        """Start with no events; they come from the store (``restore``)."""
        super().__init__(family.hass, family.entry)
        self._store = family.store
        #: Stored price events by issuer event id, each with its real start.
        self.events: dict[int, se_price.PublishPrice] = {}
        #: The block prices of the events that have them, by issuer event id.
        self.blocks: dict[int, se_price.BlockPrices] = {}
        self._last_event_id = 0
        self._calendars: list[PublishedPricesCalendar] = []
        self._following: str | None = None
        self._unsub_follow: CALLBACK_TYPE | None = None
        family.add_esi_entities(Platform.CALENDAR, self._make_calendar)

    # -- devices ------------------------------------------------------------------------

    def find_cluster(self, device: Device) -> EsiPrice | None:
        """Return the device's Price client of our quirk."""
        return client_cluster(device, EsiPrice)

    def new_state(self, ieee: EUI64) -> _Client:
        """Return a client without acknowledgements."""
        return _Client()

    def listener(self, ieee: EUI64) -> _ClusterListener:
        """Return the listener of the device's requests."""
        return _ClusterListener(self, ieee)

    def entities(self, ieee: EUI64, state: _Client) -> dict[Platform, list[Any]]:
        """Return the device's "Price acknowledged" sensor."""
        return {Platform.SENSOR: [PriceAcknowledgedSensor(self, ieee)]}

    def _make_calendar(self, coordinator: EUI64) -> list[Any]:
        calendar = PublishedPricesCalendar(self, coordinator)
        self._calendars.append(calendar)
        return [calendar]

    # -- storage ------------------------------------------------------------------------

    def restore(self, store: SectionStore) -> None:
        """Take the stored events and acknowledgements; drop the expired events."""
        section = store.section(SECTION) or {}
        self._last_event_id = int(section.get("last_issuer_event_id", 0))
        for data in section.get("events", []):
            try:
                values = dict(data)
                blocks_data = values.pop("blocks", None)
                price = price_from_json(values)
                blocks = None if blocks_data is None else blocks_from_json(blocks_data)
            except (se_price.PriceError, KeyError, TypeError, ValueError) as err:
                _LOGGER.warning("Stored price event dropped (%s): %s", err, data)
                continue
            self.events[price.issuer_event_id] = price
            if blocks is not None:
                self.blocks[price.issuer_event_id] = blocks
        for ieee, data in section.get("acknowledgements", {}).items():
            try:
                ack = Acknowledgement.from_json(data)
            except se_price.PriceError, KeyError, TypeError, ValueError:
                ack = None
            if ack is not None:
                self.state_for(EUI64.convert(ieee)).last_ack = ack
        if self._prune(zcl_seconds(dt_util.utcnow())):
            self._save()

    def _save(self) -> None:
        self._store.save(
            SECTION,
            {
                "last_issuer_event_id": self._last_event_id,
                "events": [self.event_json(price) for price in self.events.values()],
                "acknowledgements": {
                    str(ieee): client.last_ack.as_json()
                    for ieee, client in self.states()
                    if client.last_ack is not None
                },
            },
        )

    def _prune(self, now: int) -> bool:
        """Drop ended events and those a newer event covers; return True if any went."""
        kept = {
            event_id: price
            for event_id, price in self.events.items()
            if ((end := _end(price)) is None or end > now)
            and not any(_covers(other, price, now) for other in self.events.values())
        }
        changed = len(kept) != len(self.events)
        self.events = kept
        self.blocks = {
            event_id: blocks
            for event_id, blocks in self.blocks.items()
            if event_id in kept
        }
        return changed

    def event_json(self, price: se_price.PublishPrice) -> dict[str, Any]:
        """Return a stored event as JSON: its fields, and its block prices if it has any."""
        data = price_to_json(price)
        if (blocks := self.blocks.get(price.issuer_event_id)) is not None:
            data["blocks"] = blocks_to_json(blocks)
        return data

    def _changed(self) -> None:
        self._save()
        for calendar in self._calendars:
            if calendar.hass is not None:
                calendar.async_write_ha_state()

    def stop(self) -> None:
        """Stop following the price entity and the clusters."""
        super().stop()
        self.follow(None)

    # -- events -------------------------------------------------------------------------

    def now(self) -> int:
        """Return UTCTime now."""
        return zcl_seconds(dt_util.utcnow())

    def stored(self) -> list[se_price.PublishPrice]:
        """Return the events still stored (expired ones dropped), by start."""
        if self._prune(self.now()):
            self._changed()
        return sorted(
            self.events.values(),
            key=lambda price: (price.start_time, price.issuer_event_id),
        )

    def new_event_id(self) -> int:
        """Return a new issuer event id: UTCTime now, or larger than every one so far."""
        return max(self.now(), self._last_event_id + 1, *self.events, 0)

    def add_event(
        self,
        price: se_price.PublishPrice,
        blocks: se_price.BlockPrices | None = None,
    ) -> se_price.PublishPrice:
        """Store an event (its "now" start resolved); refuse a duplicate issuer event id."""
        now = self.now()
        if price.issuer_event_id in self.events:
            raise validation_error(
                "esi_duplicate_issuer_event_id", issuer_event_id=price.issuer_event_id
            )
        stored = dataclasses.replace(price, start_time=price.starts_at(now))
        self.events[stored.issuer_event_id] = stored
        if blocks is not None:
            self.blocks[stored.issuer_event_id] = blocks
        self._last_event_id = max(self._last_event_id, stored.issuer_event_id)
        self._prune(now)
        self._changed()
        return stored

    def current(self) -> se_price.PublishPrice | None:
        """Return the price in force now."""
        return se_price.current_price(self.stored(), self.now())

    def blocks_of(self, price: se_price.PublishPrice) -> se_price.BlockPrices | None:
        """Return the block prices of a stored event (None: it has none)."""
        return self.blocks.get(price.issuer_event_id)

    def server_attributes(self) -> dict[int, se_price.AttributeValue]:
        """Return the Price server attributes of the price in force, for a client's read."""
        current = self.current()
        blocks = None if current is None else self.blocks_of(current)
        try:
            return se_price.price_server_attributes(current, blocks)
        except se_price.PriceError as err:
            # a stored event whose blocks do not match it (edited storage): serve no price
            _LOGGER.warning(
                "Price attributes of the price in force not served: %s", err
            )
            return se_price.price_server_attributes(None)

    def _for_sending(self, price: se_price.PublishPrice) -> se_price.PublishPrice:
        return dataclasses.replace(price, current_time=self.now())

    # -- requests from the clients ------------------------------------------------------

    @callback
    def current_price_requested(self, ieee: EUI64, hdr: foundation.ZCLHeader) -> None:
        """Answer GetCurrentPrice with the price in force, or NOT_FOUND."""
        current = self.current()
        self._answer(ieee, hdr, [] if current is None else [current])

    @callback
    def scheduled_prices_requested(
        self,
        ieee: EUI64,
        hdr: foundation.ZCLHeader,
        request: se_price.GetScheduledPrices,
    ) -> None:
        """Answer GetScheduledPrices with every qualifying event, or NOT_FOUND."""
        prices = se_price.scheduled_prices(self.stored(), request, self.now())
        self._answer(ieee, hdr, list(prices))

    def _answer(
        self,
        ieee: EUI64,
        hdr: foundation.ZCLHeader,
        prices: list[se_price.PublishPrice],
    ) -> None:
        if (cluster := self.cluster(ieee)) is None:
            return
        self.entry.async_create_background_task(
            self.hass,
            self._send_answer(ieee, cluster, hdr, prices),
            f"{DOMAIN} Price answer {ieee}",
        )

    async def _send_answer(
        self,
        ieee: EUI64,
        cluster: EsiPrice,
        hdr: foundation.ZCLHeader,
        prices: list[se_price.PublishPrice],
    ) -> None:
        try:
            await cluster.answer_prices(
                hdr, [self._for_sending(price) for price in prices]
            )
        except (ZHAException, ZigbeeException, TimeoutError) as err:
            _LOGGER.debug("%s: Price answer not sent: %s", ieee, err)

    @callback
    def acknowledged(self, ieee: EUI64, ack: se_price.PriceAcknowledgement) -> None:
        """Record a device's PriceAcknowledgement."""
        self.state_for(ieee).last_ack = Acknowledgement(ack, dt_util.utcnow())
        self._save()
        self.write_states(ieee)

    def last_acknowledgement(self, ieee: EUI64) -> Acknowledgement | None:
        """Return the device's last PriceAcknowledgement."""
        client = self.state(ieee)
        return None if client is None else client.last_ack

    # -- publishing ---------------------------------------------------------------------

    async def publish(
        self,
        price: se_price.PublishPrice,
        clients: Mapping[EUI64, EsiPrice],
        blocks: se_price.BlockPrices | None = None,
    ) -> dict[str, Any]:
        """Store ``price`` and send it to ``clients``; return the per-device results.

        Stored first: a client that reads the block prices on receipt reads this price's.
        """
        stored = self.add_event(price, blocks)
        # a "now" price goes out with StartTime 0; answers later carry its real start
        outgoing = self._for_sending(price)

        async def send(ieee: EUI64, cluster: EsiPrice) -> dict[str, Any]:
            try:
                status, ack = await cluster.send_price(outgoing)
            except NoAnswerError as err:
                return {"result": RESULT_NO_ANSWER, "error": str(err)}
            except (ZHAException, ZigbeeException) as err:
                return {
                    "result": RESULT_NO_ANSWER,
                    "error": str(err) or type(err).__name__,
                }
            if status is not Status.SUCCESS:
                return {"result": RESULT_REJECTED, "status": status.name}
            if ack is not None:
                return {"result": RESULT_SENT, "acknowledged": True}
            return {"result": RESULT_SENT}

        results = await send_to_clients(self.hass, clients, send)
        return {"issuer_event_id": stored.issuer_event_id, **results}

    # -- following an HA price entity ---------------------------------------------------

    @callback
    def follow(self, entity_id: str | None) -> None:
        """Publish every new price of ``entity_id`` (None: stop following)."""
        if entity_id == self._following:
            return
        if self._unsub_follow is not None:
            self._unsub_follow()
            self._unsub_follow = None
        self._following = entity_id
        if entity_id is None:
            return
        self._unsub_follow = async_track_state_change_event(
            self.hass, entity_id, self._followed_changed
        )
        if (state := self.hass.states.get(entity_id)) is not None:
            self._publish_state(state)

    @callback
    def _followed_changed(self, event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None:
            self._publish_state(state)

    def _publish_state(self, state: State) -> None:
        price = self.price_of_state(state)
        if price is None:
            return
        current = self.current()
        if current is not None and (
            current.price,
            current.price_trailing_digit,
            current.currency,
            current.unit_of_measure,
            current.duration_minutes,
        ) == (
            price.price,
            price.price_trailing_digit,
            price.currency,
            price.unit_of_measure,
            price.duration_minutes,
        ):
            return  # an attribute changed, not the price
        clients = dict(self.attached_clusters())
        self.entry.async_create_background_task(
            self.hass, self._publish_followed(price, clients), f"{DOMAIN} follow price"
        )
        # stored at once, so a quick next state compares with this one
        self.add_event(price)

    async def _publish_followed(
        self, price: se_price.PublishPrice, clients: Mapping[EUI64, EsiPrice]
    ) -> None:
        outgoing = self._for_sending(price)
        for ieee, cluster in clients.items():
            try:
                status, _ = await cluster.send_price(outgoing)
            except (ZHAException, ZigbeeException, TimeoutError) as err:
                _LOGGER.debug("%s: followed price not sent: %s", ieee, err)
                continue
            if status is not Status.SUCCESS:
                _LOGGER.warning(
                    "%s refused the price %s: %s",
                    ieee_name(self.hass, ieee),
                    price.price_decimal,
                    status.name,
                )

    def price_of_state(self, state: State) -> se_price.PublishPrice | None:
        """Return the PublishPrice of a price sensor's state (None: not publishable)."""
        if state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            return None
        unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
        currency_code, _, symbol = str(unit).partition("/")
        try:
            currency = se_price.currency_numeric_code(currency_code)
            unit_of_measure = UNIT_SYMBOLS[symbol]
            value = Decimal(state.state)
        except se_price.PriceError, KeyError, InvalidOperation:
            _LOGGER.warning(
                "%s: %s %s is not a price per unit in an ISO 4217 currency",
                state.entity_id,
                state.state,
                unit,
            )
            return None
        if not value.is_finite() or value < 0:
            _LOGGER.warning(
                "%s: price %s cannot be published (Smart Energy prices are 0 or more)",
                state.entity_id,
                state.state,
            )
            return None
        digits = min(
            se_price.MAX_TRAILING_DIGIT, max(0, -int(value.as_tuple().exponent))
        )
        while digits >= 0:
            rounded = value.quantize(Decimal(1).scaleb(-digits))
            try:
                wire = se_price.price_from_decimal(rounded, digits)
            except se_price.PriceError:
                digits -= 1
                continue
            return se_price.PublishPrice(
                provider_id=DEFAULT_PROVIDER_ID,
                rate_label="",
                issuer_event_id=self.new_event_id(),
                current_time=self.now(),
                unit_of_measure=unit_of_measure,
                currency=currency,
                price_trailing_digit=digits,
                price_tier=se_price.PriceTier.NO_TIER,
                number_of_price_tiers=0,
                register_tier=0,
                start_time=se_price.START_NOW,
                duration_minutes=se_price.DURATION_UNTIL_CHANGED,
                price=wire,
            )
        _LOGGER.warning("%s: price %s is too large", state.entity_id, state.state)
        return None

    # -- what the UI shows --------------------------------------------------------------

    def timeline(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime, se_price.PublishPrice]]:
        """Return (from, to, price) of the price in force, between ``start`` and ``end``.

        The same rule as GetCurrentPrice at every instant; an until-changed price with
        nothing after it reaches to ``end``.
        """
        prices = self.stored()
        points = sorted(
            {price.start_time for price in prices}
            | {end_ for price in prices if (end_ := _end(price)) is not None}
        )
        segments: list[tuple[datetime, datetime, se_price.PublishPrice]] = []
        for index, point in enumerate(points):
            winner = se_price.current_price(prices, point)
            if winner is None:
                continue
            seg_start = utc_time(point)
            seg_end = (
                utc_time(points[index + 1])
                if index + 1 < len(points)
                else max(end, seg_start + _MINUTE)
            )
            if segments and segments[-1][2] is winner and segments[-1][1] == seg_start:
                segments[-1] = (segments[-1][0], seg_end, winner)
            else:
                segments.append((seg_start, seg_end, winner))
        return [
            segment for segment in segments if segment[1] > start and segment[0] < end
        ]

    def summary(self) -> dict[str, Any]:
        """Return the stored events, the followed entity and the acknowledgements."""
        return {
            "following": self._following,
            "events": [self.event_json(price) for price in self.stored()],
            "acknowledgements": {
                ieee_name(self.hass, ieee): client.last_ack.as_json()
                for ieee, client in self.states()
                if client.last_ack is not None
            },
        }


def _price_unit(price: se_price.PublishPrice) -> str | None:
    try:
        return se_price.price_unit(price.currency, price.unit_of_measure)
    except se_price.PriceError:
        return None


def _amount(value: Decimal, unit: str | None) -> str:
    return str(value) if unit is None else f"{value} {unit}"


def price_text(price: se_price.PublishPrice) -> str:
    """Return "0.2734 EUR/kWh" (the number alone for a currency not known)."""
    return _amount(price.price_decimal, _price_unit(price))


def price_details(
    price: se_price.PublishPrice, blocks: se_price.BlockPrices | None
) -> list[str]:
    """Return the optional fields of a price as text, for the calendar's description.

    "blocks: 0.20 up to 10 kWh, 0.30 up to 25 kWh, 0.45 above (EUR/kWh)", "price ratio
    1.5", "generation price 0.08 EUR/kWh", "generation price ratio 0.8", "alternate cost
    0.185 kg CO2/kWh".
    """
    unit = _price_unit(price)
    _, _, symbol = (unit or "").partition("/")
    per = f"/{symbol}" if symbol else ""
    details: list[str] = []
    if blocks is not None:
        thresholds = blocks.threshold_decimals()
        prices = blocks.price_decimals(price.price_trailing_digit)
        parts = [
            f"{value} up to {threshold}{f' {symbol}' if symbol else ''}"
            for value, threshold in zip(prices, thresholds, strict=False)
        ]
        parts.append(f"{prices[-1]} above")
        details.append(
            f"blocks: {', '.join(parts)}" + (f" ({unit})" if unit is not None else "")
        )
    if price.price_ratio is not None:
        details.append(f"price ratio {Decimal(price.price_ratio).scaleb(-1)}")
    if (generation := price.generation_price_decimal) is not None:
        details.append(f"generation price {_amount(generation, unit)}")
    if price.generation_price_ratio is not None:
        details.append(
            f"generation price ratio {Decimal(price.generation_price_ratio).scaleb(-1)}"
        )
    if price.alternate_cost_delivered is not None:
        cost = se_price.price_to_decimal(
            price.alternate_cost_delivered, price.alternate_cost_trailing_digit
        )
        details.append(f"alternate cost {cost} kg CO2{per}")
    return details


# --- the action ------------------------------------------------------------------------------


def _wire_price(
    name: str, value: Decimal, digits: int, maximum: int = se_price.UINT32_MAX
) -> int:
    """Return a price (or cost) on the wire; ``maximum`` below 0xFFFFFFFF ("not used")."""
    if value < 0:
        raise validation_error("esi_price_negative", field=name, price=value)
    try:
        wire = se_price.price_from_decimal(value, digits)
    except se_price.PriceError:
        wire = maximum + 1
    if wire > maximum:
        raise validation_error(
            "esi_price_not_representable", field=name, price=value, digits=digits
        )
    return wire


def _ratio(name: str, value: Decimal | None) -> int | None:
    """Return a PriceRatio / GenerationPriceRatio in tenths (None: not used)."""
    if value is None:
        return None
    tenths = value.scaleb(1)
    if tenths != tenths.to_integral_value() or not _RATIO_MIN <= value <= _RATIO_MAX:
        raise validation_error(
            "esi_ratio_out_of_range",
            field=name,
            ratio=value,
            min=_RATIO_MIN,
            max=_RATIO_MAX,
        )
    return int(tenths)


def _blocks_from_call(
    data: Mapping[str, Any], digits: int, tier: int
) -> se_price.BlockPrices | None:
    """Return the call's block prices (None: none); refuse what the attributes cannot carry."""
    thresholds: list[Decimal] = data.get(ATTR_BLOCK_THRESHOLDS) or []
    prices: list[Decimal] = data.get(ATTR_BLOCK_PRICES) or []
    if not thresholds and not prices:
        return None
    if len(thresholds) > se_price.MAX_BLOCK_THRESHOLDS:
        raise validation_error(
            "esi_block_thresholds_too_many",
            count=len(thresholds),
            max=se_price.MAX_BLOCK_THRESHOLDS,
        )
    if not thresholds or len(prices) != len(thresholds) + 1:
        raise validation_error(
            "esi_block_prices_count",
            prices=len(prices),
            thresholds=len(thresholds),
        )
    previous = Decimal(0)
    for threshold in thresholds:
        if threshold <= previous:
            raise validation_error(
                "esi_block_thresholds_not_increasing",
                thresholds=", ".join(str(value) for value in thresholds),
            )
        previous = threshold
    unit: str = data[ATTR_UNIT_OF_MEASURE]
    wire_thresholds: list[int] = []
    for threshold in thresholds:
        try:
            wire_thresholds.append(se_price.threshold_to_wire(threshold))
        except se_price.PriceError:
            raise validation_error(
                "esi_block_threshold_not_representable",
                threshold=threshold,
                unit=unit,
                step=Decimal(se_price.DEFAULT_THRESHOLD_MULTIPLIER)
                / se_price.DEFAULT_THRESHOLD_DIVISOR,
            ) from None
    if tier > se_price.MAX_NIBBLE_TIER:
        raise validation_error(
            "esi_block_tier_out_of_range", tier=tier, max=se_price.MAX_NIBBLE_TIER
        )
    return se_price.BlockPrices(
        thresholds=tuple(wire_thresholds),
        prices=tuple(_wire_price(ATTR_BLOCK_PRICES, price, digits) for price in prices),
    )


def _decimals(value: Decimal) -> int:
    return max(0, -int(value.as_tuple().exponent))


def price_from_call(
    hass: HomeAssistant, server: PriceServer, data: Mapping[str, Any]
) -> tuple[se_price.PublishPrice, se_price.BlockPrices | None]:
    """Return the PublishPrice of a ``publish_price`` call and its block prices.

    Refuse what the spec does not allow.
    """
    now = dt_util.utcnow()
    currency_code = data.get(ATTR_CURRENCY) or hass.config.currency
    try:
        currency = se_price.currency_numeric_code(currency_code)
    except se_price.PriceError:
        raise validation_error("esi_unknown_currency", currency=currency_code) from None
    price_value: Decimal = data[ATTR_PRICE]
    digits: int = data.get(ATTR_TRAILING_DIGITS, -1)
    generation: Decimal | None = data.get(ATTR_GENERATION_PRICE)
    if digits < 0:
        # the digits of the most precise of the prices (block prices share them, §3.1)
        priced = [price_value, *data.get(ATTR_BLOCK_PRICES, [])]
        if generation is not None:
            priced.append(generation)
        digits = min(
            max(_decimals(value) for value in priced), se_price.MAX_TRAILING_DIGIT
        )
    wire_price = _wire_price(ATTR_PRICE, price_value, digits)
    wire_generation = (
        None
        if generation is None
        else _wire_price(
            ATTR_GENERATION_PRICE, generation, digits, se_price.UINT32_MAX - 1
        )
    )
    price_ratio = _ratio(ATTR_PRICE_RATIO, data.get(ATTR_PRICE_RATIO))
    generation_ratio = _ratio(
        ATTR_GENERATION_PRICE_RATIO, data.get(ATTR_GENERATION_PRICE_RATIO)
    )
    alternate_cost: Decimal | None = data.get(ATTR_ALTERNATE_COST)
    wire_alternate_cost: int | None = None
    alternate_digits = 0
    alternate_unit: se_price.AlternateCostUnit | None = None
    if alternate_cost is not None:
        alternate_digits = data.get(
            ATTR_ALTERNATE_COST_TRAILING_DIGITS,
            min(_decimals(alternate_cost), se_price.MAX_TRAILING_DIGIT),
        )
        wire_alternate_cost = _wire_price(
            ATTR_ALTERNATE_COST,
            alternate_cost,
            alternate_digits,
            se_price.UINT32_MAX - 1,
        )
        # kg CO2 per unit, the one unit: given as "kg_co2", 0x01 or 0x02 (§8), sent 0x01
        alternate_unit = se_price.AlternateCostUnit.KG_CO2_PER_UNIT_OF_MEASURE
    tier: int = data[ATTR_TIER]
    tiers: int = data.get(ATTR_NUMBER_OF_TIERS, tier)
    if not 0 <= tier <= se_price.MAX_TIER or not tier <= tiers <= se_price.MAX_TIER:
        raise validation_error(
            "esi_tier_out_of_range", tier=tier, tiers=tiers, max=se_price.MAX_TIER
        )
    label: str = data[ATTR_RATE_LABEL]
    if len(label.encode("utf-8")) > se_price.MAX_RATE_LABEL_BYTES:
        raise validation_error(
            "esi_rate_label_too_long",
            label=label,
            max=se_price.MAX_RATE_LABEL_BYTES,
        )
    start_time = se_price.START_NOW
    if (start := data.get(ATTR_START)) is not None:
        start = dt_util.as_utc(
            start
            if start.tzinfo
            else start.replace(tzinfo=dt_util.get_default_time_zone())
        )
        if start < now - START_NOW_TOLERANCE:
            raise validation_error("esi_start_in_past", start=start.isoformat())
        if start > now:
            start_time = zcl_seconds(start)
    duration_minutes = se_price.DURATION_UNTIL_CHANGED
    if (duration := data.get(ATTR_DURATION)) is not None:
        if not 1 <= duration <= se_price.MAX_DURATION_MINUTES:
            raise validation_error(
                "esi_duration_out_of_range",
                duration=duration,
                max=se_price.MAX_DURATION_MINUTES,
            )
        duration_minutes = duration
    blocks = _blocks_from_call(data, digits, tier)
    control = se_price.NO_PRICE_CONTROL
    if data[ATTR_ACKNOWLEDGEMENT_REQUIRED]:
        control |= se_price.PriceControl.ACKNOWLEDGEMENT_REQUIRED
    if tiers > se_price.MAX_NIBBLE_TIER:
        control |= se_price.PriceControl.TOTAL_TIERS_EXCEED_15
    tier_nibble, extended_tier = se_price.tier_fields(tier)
    tiers_nibble, extended_tiers = se_price.tier_fields(tiers)
    event_id: int = data.get(ATTR_ISSUER_EVENT_ID, server.new_event_id())
    if event_id in server.events:
        raise validation_error(
            "esi_duplicate_issuer_event_id", issuer_event_id=event_id
        )
    extended = bool(extended_tier or extended_tiers)
    try:
        price = se_price.PublishPrice(
            provider_id=data[ATTR_PROVIDER_ID],
            rate_label=label,
            issuer_event_id=event_id,
            current_time=zcl_seconds(now),
            unit_of_measure=UNIT_SYMBOLS[data[ATTR_UNIT_OF_MEASURE]],
            currency=currency,
            price_trailing_digit=digits,
            price_tier=se_price.PriceTier(tier_nibble),
            number_of_price_tiers=tiers_nibble,
            # the consumption at this price counts into the tier's register
            register_tier=tier_nibble,
            start_time=start_time,
            duration_minutes=duration_minutes,
            price=wire_price,
            price_ratio=price_ratio,
            generation_price=wire_generation,
            generation_price_ratio=generation_ratio,
            alternate_cost_delivered=wire_alternate_cost,
            alternate_cost_unit=alternate_unit,
            alternate_cost_trailing_digit=alternate_digits,
            number_of_block_thresholds=0 if blocks is None else len(blocks.thresholds),
            price_control=control,
            extended_number_of_price_tiers=extended_tiers,
            extended_price_tier=extended_tier,
            extended_register_tier=extended_tier,
            # SE 1.1's 19 fields (Digi, NXP); tiers above 15 need SE 1.2a's 24
            field_count=se_price.SE12A_FIELD_COUNT
            if extended
            else se_price.SE11_FIELD_COUNT,
        )
    except se_price.PriceError as err:
        raise validation_error("esi_invalid_price", error=str(err)) from err
    return price, blocks


async def _publish_price(family: EsiFamily, call: ServiceCall) -> ServiceResponse:
    server = family.price
    clients: dict[EUI64, EsiPrice] = target_clients(family.hass, call, server)
    price, blocks = price_from_call(family.hass, server, call.data)
    return await server.publish(price, clients, blocks)


#: The actions of this server (``EsiFamily.services``).
SERVICES: Final[dict[str, FamilyService[Any]]] = {
    SERVICE_PUBLISH_PRICE: FamilyService(PUBLISH_PRICE_SCHEMA, _publish_price)
}


# --- entities ------------------------------------------------------------------------------


class PriceAcknowledgedSensor(ZhaDeviceLinkedEntity, SensorEntity):
    """When the device last acknowledged a price (PriceAcknowledgement)."""

    _attr_should_poll = False
    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_translation_key = KEY_PRICE_ACKNOWLEDGED

    def __init__(self, server: PriceServer, ieee: EUI64) -> None:
        """Follow the acknowledgements of device ``ieee``."""
        super().__init__(server.hass, ieee, KEY_PRICE_ACKNOWLEDGED)
        self._server = server

    @property
    def available(self) -> bool:
        """Return True while the device's Price client is attached."""
        return self._server.available(self._ieee)

    @property
    def native_value(self) -> datetime | None:
        """Return when HA received the last acknowledgement."""
        ack = self._server.last_acknowledgement(self._ieee)
        return None if ack is None else ack.received

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return which price was acknowledged."""
        ack = self._server.last_acknowledgement(self._ieee)
        if ack is None:
            return None
        return {
            ATTR_ISSUER_EVENT_ID: ack.ack.issuer_event_id,
            ATTR_PROVIDER_ID: ack.ack.provider_id,
        }


class PublishedPricesCalendar(ZhaDeviceLinkedEntity, CalendarEntity):
    """The prices the ESI publishes: which one is in force when."""

    _attr_should_poll = False
    _attr_translation_key = KEY_PUBLISHED_PRICES

    def __init__(self, server: PriceServer, coordinator: EUI64) -> None:
        """Show ``server``'s events on the coordinator's page."""
        super().__init__(server.hass, coordinator, KEY_PUBLISHED_PRICES)
        self._server = server

    def _event(
        self, start: datetime, end: datetime, price: se_price.PublishPrice
    ) -> CalendarEvent:
        summary = price_text(price)
        if price.rate_label:
            summary = f"{price.rate_label}: {summary}"
        until = (
            "until changed"
            if price.duration_minutes == se_price.DURATION_UNTIL_CHANGED
            else f"{price.duration_minutes} min"
        )
        description = "; ".join(
            [
                (
                    f"Tier {price.effective_price_tier}, {until}, "
                    f"issuer event {price.issuer_event_id}"
                ),
                *price_details(price, self._server.blocks_of(price)),
            ]
        )
        return CalendarEvent(
            start=start, end=end, summary=summary, description=description
        )

    @property
    def event(self) -> CalendarEvent | None:
        """Return the price in force now, or the next one."""
        now = dt_util.utcnow()
        for start, end, price in self._server.timeline(now, now + _CALENDAR_OPEN_END):
            return self._event(start, end, price)
        return None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the prices in force between ``start_date`` and ``end_date``."""
        return [
            self._event(start, end, price)
            for start, end, price in self._server.timeline(start_date, end_date)
        ]
