"""Smart Energy Price client: the ESI's published prices as sensors and a calendar.

Per meter whose quirk has a Price server (``quirks/smart_energy_price.py``) the client keeps
the PublishPrice events it heard (by issuer event id, a "now" start resolved to the receive
time) and shows the one in force now:

- "Current price": monetary, unit currency per unit of measure ("EUR/kWh"), state class
  None, so the Energy dashboard takes it as a price entity;
- "Price tier" (0: no tier), "Rate label";
- "Next price change": the end of the current price, or the start of a later stored price
  if that comes first; None while the price holds until changed;
- "Prices": a calendar of every stored price event.

Which PublishPrice is kept follows Silicon Labs' price client (price-client.c), the only
client source at hand; the reference (§3, §6) has the fields but no client rules:

- an issuer event id already stored is a duplicate: refused (DUPLICATE_EXISTS), whatever its
  other fields say ("pricing information associated with an issuer event id never
  changes"), so a re-send is no new price: nothing changes, nothing is acknowledged;
- a price already over when heard is refused (FAILURE);
- overlapping prices are not kept side by side: a newer issuer event id ("larger = newer",
  §3.2) removes the older prices it overlaps, except that the price in force now ends where
  a later newer one starts; an older id overlapping a stored newer one is refused (FAILURE).

A PublishPrice whose PriceControl asks for it is answered with a PriceAcknowledgement. When a
meter's Price cluster appears (present at start, joined, re-interviewed, ZHA reloaded) and
when the meter rejoins (Device_annce), GetCurrentPrice and then GetScheduledPrices (from
now, all events) are sent; the ESI's answers are handled like any PublishPrice.

The events are kept across restarts in the family's store (section "prices"), so after a
restart the sensors and the calendar show the stored prices before the meter answers.
Expired events are dropped when read back and as they end.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
import logging
from typing import Any, Final

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util
from zha.exceptions import ZHAException
from zha.zigbee.device import Device
from zigpy.exceptions import ZigbeeException
from zigpy.types import EUI64
from zigpy.zcl.foundation import Status

from ..cluster_follower import ClusterFollower
from ..const import DOMAIN
from ..entity import ZhaDeviceLinkedEntity
from ..family import server_cluster
from ..protocol import se_price
from ..protocol.zcl_time import ZCL_EPOCH, zcl_seconds
from ..quirks.smart_energy_price import SmartEnergyPrice
from ..se_store import SectionStore

_LOGGER = logging.getLogger(__name__)

KEY_CURRENT_PRICE: Final = "current_price"
KEY_PRICE_TIER: Final = "price_tier"
KEY_RATE_LABEL: Final = "rate_label"
KEY_NEXT_PRICE_CHANGE: Final = "next_price_change"
KEY_PRICES: Final = "prices"
#: The store section of the price events: {ieee: [{"payload": hex, "end": iso | None}]}.
SECTION: Final = "prices"
#: How far the calendar's state looks ahead for the current or next price.
LOOKAHEAD: Final = timedelta(days=7)
#: GetScheduledPrices from now (0), all events (0): reference §3.2.
SCHEDULED_PRICES_REQUEST: Final = se_price.GetScheduledPrices(
    se_price.START_NOW, se_price.ALL_EVENTS
)


def price_cluster(device: Device) -> SmartEnergyPrice | None:
    """Return the device's first Price server of our quirk."""
    return server_cluster(device, SmartEnergyPrice)


def utc_time(seconds: int) -> datetime:
    """Return a UTCTime (seconds since 2000-01-01 UTC) as a datetime."""
    return ZCL_EPOCH + timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class PriceEvent:
    """A PublishPrice kept, its start resolved (end None: until changed).

    ``price.start_time`` is the real start (a "now" start resolved when heard); ``end`` may
    come before StartTime + Duration when a newer price cut it short.
    """

    price: se_price.PublishPrice
    start: datetime
    end: datetime | None

    def in_force(self, now: datetime) -> bool:
        """Return True when the price applies at ``now``."""
        return self.start <= now and (self.end is None or now < self.end)

    def overlaps(self, other: PriceEvent) -> bool:
        """Return True when the two prices share an instant."""
        return (other.end is None or self.start < other.end) and (
            self.end is None or other.start < self.end
        )

    def stored(self) -> dict[str, Any]:
        """Return the event as stored: the codec's PublishPrice payload and the end."""
        return {
            "payload": se_price.encode_publish_price(self.price).hex(),
            "end": None if self.end is None else self.end.isoformat(),
        }

    @classmethod
    def from_stored(cls, row: dict[str, Any]) -> PriceEvent:
        """Return a stored event (PriceError, ValueError or KeyError: not readable)."""
        price = se_price.decode_publish_price(bytes.fromhex(row["payload"]))
        end = None if row["end"] is None else dt_util.parse_datetime(row["end"])
        if row["end"] is not None and end is None:
            raise ValueError(f"end {row['end']!r} is not a time")
        return cls(price, utc_time(price.start_time), end)

    def calendar_event(self, window_end: datetime) -> CalendarEvent:
        """Return the event for the calendar; "until changed" lasts to ``window_end``."""
        price = self.price
        try:
            unit = se_price.price_unit(price.currency, price.unit_of_measure)
            currency = se_price.currency_alpha_code(price.currency)
        except se_price.PriceError:
            unit = f"currency {price.currency}/{price.unit_of_measure.name}"
            currency = str(price.currency)
        amount = f"{price.price_decimal} {unit}"
        end = "until changed" if self.end is None else self.end.isoformat()
        return CalendarEvent(
            start=dt_util.as_local(self.start),
            end=dt_util.as_local(
                max(window_end, self.start + timedelta(minutes=1))
                if self.end is None
                else self.end
            ),
            summary=f"{price.rate_label}: {amount}" if price.rate_label else amount,
            description="\n".join(
                (
                    f"Tier: {price.effective_price_tier}",
                    f"Price: {amount}",
                    f"Currency: {currency}",
                    f"Start: {self.start.isoformat()}",
                    f"End: {end}",
                    f"Issuer event id: {price.issuer_event_id}",
                )
            ),
            uid=str(price.issuer_event_id),
        )


@dataclass(slots=True)
class _Meter:
    """One meter's Price state."""

    events: dict[int, PriceEvent] = field(default_factory=dict)
    current: PriceEvent | None = None
    next_change: datetime | None = None
    unsub_timer: CALLBACK_TYPE | None = None


class _ClusterListener:
    """zigpy listener of one Price cluster (its ``listener_event`` calls)."""

    def __init__(self, client: PriceClient, ieee: EUI64) -> None:
        self._client = client
        self._ieee = ieee

    def se_price_published(self, price: se_price.PublishPrice) -> Status:
        return self._client.published(self._ieee, price)


def admit(meter: _Meter, event: PriceEvent, now: datetime) -> Status:
    """Keep a heard price in the meter's events as the client rules say; return the status.

    The rules are Silicon Labs' price client (price-client.c), see the module docstring.
    """
    issuer_event_id = event.price.issuer_event_id
    if event.end is not None and event.end <= now:
        return Status.FAILURE
    if issuer_event_id in meter.events:
        return Status.DUPLICATE_EXISTS
    changed: dict[int, PriceEvent | None] = {}
    for stored_id, stored in meter.events.items():
        if not stored.overlaps(event):
            continue
        if stored_id > issuer_event_id:
            return Status.FAILURE
        # the price in force ends where a later newer one starts; the others give way
        changed[stored_id] = (
            dataclasses.replace(stored, end=event.start)
            if stored.in_force(now) and now < event.start
            else None
        )
    for stored_id, stored_or_none in changed.items():
        if stored_or_none is None:
            del meter.events[stored_id]
        else:
            meter.events[stored_id] = stored_or_none
    meter.events[issuer_event_id] = event
    return Status.SUCCESS


class PriceClient(ClusterFollower[SmartEnergyPrice, _Meter]):
    """The Price client of every meter of the family."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Start with no meters and no store (``restore`` gives it)."""
        super().__init__(hass, entry)
        self._store: SectionStore | None = None

    # -- devices ------------------------------------------------------------------------

    def find_cluster(self, device: Device) -> SmartEnergyPrice | None:
        """Return the meter's Price server of our quirk."""
        return price_cluster(device)

    def new_state(self, ieee: EUI64) -> _Meter:
        """Return a meter with no prices."""
        return _Meter()

    def listener(self, ieee: EUI64) -> _ClusterListener:
        """Return the listener passing the meter's PublishPrice on."""
        return _ClusterListener(self, ieee)

    def entities(self, ieee: EUI64, state: _Meter) -> dict[Platform, list[Entity]]:
        """Return the meter's four price sensors and its price calendar."""
        return {
            Platform.SENSOR: [
                CurrentPriceSensor(self, ieee),
                PriceTierSensor(self, ieee),
                RateLabelSensor(self, ieee),
                NextPriceChangeSensor(self, ieee),
            ],
            Platform.CALENDAR: [PriceCalendar(self, ieee)],
        }

    def attached(self, ieee: EUI64, cluster: SmartEnergyPrice, state: _Meter) -> None:
        """Ask for the current and the scheduled prices when the Price cluster appears."""
        self._ask_prices(ieee, cluster)

    def rejoined(self, ieee: EUI64, cluster: SmartEnergyPrice, state: _Meter) -> None:
        """Ask again after a rejoin: the meter may have missed prices while away."""
        self._ask_prices(ieee, cluster)

    def forgotten(self, ieee: EUI64, state: _Meter) -> None:
        """Stop the meter's price-change timer and drop its stored prices."""
        self._cancel_timer(state)
        state.events.clear()
        self._save()

    def restore(self, store: SectionStore) -> None:
        """Take the stored price events; drop those that ended meanwhile."""
        self._store = store
        now = dt_util.utcnow()
        for ieee_text, rows in (store.section(SECTION) or {}).items():
            ieee = EUI64.convert(ieee_text)
            meter = self.state_for(ieee)
            for row in rows:
                try:
                    event = PriceEvent.from_stored(row)
                except (se_price.PriceError, ValueError, KeyError, TypeError) as err:
                    _LOGGER.warning("%s: stored price not readable: %s", ieee, err)
                    continue
                meter.events[event.price.issuer_event_id] = event
            self._update(ieee, meter, now)

    def _ask_prices(self, ieee: EUI64, cluster: SmartEnergyPrice) -> None:
        self.entry.async_create_background_task(
            self.hass,
            self._request_prices(ieee, cluster),
            f"{DOMAIN} GetCurrentPrice {ieee}",
        )

    async def _request_prices(self, ieee: EUI64, cluster: SmartEnergyPrice) -> None:
        errors = (ZHAException, ZigbeeException, TimeoutError, se_price.PriceError)
        try:
            await cluster.request_current_price()
        except errors as err:
            _LOGGER.debug("%s: GetCurrentPrice failed: %s", ieee, err)
        try:
            await cluster.request_scheduled_prices(SCHEDULED_PRICES_REQUEST)
        except errors as err:
            _LOGGER.debug("%s: GetScheduledPrices failed: %s", ieee, err)

    def stop(self) -> None:
        """Stop listening to the clusters and the price-change timers."""
        super().stop()
        for _ieee, meter in self.states():
            self._cancel_timer(meter)

    # -- prices -------------------------------------------------------------------------

    def current(self, ieee: EUI64) -> PriceEvent | None:
        """Return the meter's price in force now."""
        meter = self.state(ieee)
        return None if meter is None else meter.current

    def next_change(self, ieee: EUI64) -> datetime | None:
        """Return when the meter's price changes next (None: until changed)."""
        meter = self.state(ieee)
        return None if meter is None else meter.next_change

    def calendar_events(
        self, ieee: EUI64, start: datetime, end: datetime
    ) -> list[CalendarEvent]:
        """Return the meter's price events in a window, earliest first."""
        meter = self.state(ieee)
        if meter is None:
            return []
        return [
            event.calendar_event(end)
            for event in sorted(meter.events.values(), key=lambda event: event.start)
            if event.start < end and (event.end is None or event.end > start)
        ]

    @callback
    def published(self, ieee: EUI64, price: se_price.PublishPrice) -> Status:
        """Keep a PublishPrice, update the sensors, acknowledge it when asked.

        Return the client's status: SUCCESS, or why the price was refused.
        """
        meter = self.state_for(ieee)
        now = dt_util.utcnow()
        received_at = zcl_seconds(now)
        start = price.starts_at(received_at)
        end = price.ends_at(received_at)
        # the stored event has its real start, as the codec's server rules want
        stored = dataclasses.replace(price, start_time=start)
        event = PriceEvent(
            stored, utc_time(start), None if end is None else utc_time(end)
        )
        status = admit(meter, event, now)
        if status != Status.SUCCESS:
            _LOGGER.debug(
                "%s: PublishPrice %s refused: %s",
                ieee,
                price.issuer_event_id,
                status.name,
            )
            return status
        self._update(ieee, meter, now)
        self._save()
        if price.acknowledgement_required and (cluster := self.cluster(ieee)):
            ack = se_price.acknowledge(price, received_at)
            self.entry.async_create_background_task(
                self.hass,
                self._acknowledge(ieee, cluster, ack),
                f"{DOMAIN} PriceAcknowledgement {ieee}",
            )
        return status

    async def _acknowledge(
        self, ieee: EUI64, cluster: SmartEnergyPrice, ack: se_price.PriceAcknowledgement
    ) -> None:
        try:
            await cluster.acknowledge_price(ack)
        except (ZHAException, ZigbeeException, TimeoutError) as err:
            _LOGGER.debug("%s: PriceAcknowledgement failed: %s", ieee, err)

    def _update(self, ieee: EUI64, meter: _Meter, now: datetime) -> None:
        """Drop ended prices, pick the one in force and the next change, wake up then."""
        ended = [
            event_id
            for event_id, event in meter.events.items()
            if event.end is not None and event.end <= now
        ]
        for event_id in ended:
            del meter.events[event_id]
        if ended:
            self._save()
        in_force = [event for event in meter.events.values() if event.in_force(now)]
        meter.current = max(
            in_force, key=lambda event: event.price.issuer_event_id, default=None
        )
        changes = [event.start for event in meter.events.values() if event.start > now]
        if meter.current is not None and meter.current.end is not None:
            changes.append(meter.current.end)
        meter.next_change = min(changes, default=None)
        ends = [event.end for event in meter.events.values() if event.end is not None]
        self._cancel_timer(meter)
        if (wake := min(changes + ends, default=None)) is not None:

            @callback
            def changed(_now: datetime) -> None:
                meter.unsub_timer = None
                self._update(ieee, meter, dt_util.utcnow())

            meter.unsub_timer = async_track_point_in_utc_time(self.hass, changed, wake)
        self.write_states(ieee)

    def _save(self) -> None:
        if self._store is None:
            return
        rows: dict[str, list[dict[str, Any]]] = {}
        for ieee, meter in self.states():
            kept = []
            for event in meter.events.values():
                try:
                    kept.append(event.stored())
                except se_price.PriceError as err:
                    _LOGGER.warning("%s: price not storable: %s", ieee, err)
            if kept:
                rows[str(ieee)] = kept
        self._store.save(SECTION, rows)

    @staticmethod
    def _cancel_timer(meter: _Meter) -> None:
        if meter.unsub_timer is not None:
            meter.unsub_timer()
            meter.unsub_timer = None

    def diagnostics(self, ieee: EUI64) -> dict[str, object] | None:
        """Return the meter's current price, next change and stored events."""
        meter = self.state(ieee)
        if meter is None or meter.current is None:
            return None
        price = meter.current.price
        return {
            "price": str(price.price_decimal),
            "currency": price.currency,
            "unit_of_measure": int(price.unit_of_measure),
            "tier": price.effective_price_tier,
            "rate_label": price.rate_label,
            "issuer_event_id": price.issuer_event_id,
            "start": meter.current.start.isoformat(),
            "next_change": (
                None if meter.next_change is None else meter.next_change.isoformat()
            ),
            "stored_events": sorted(meter.events),
        }


class PriceSensor(ZhaDeviceLinkedEntity, SensorEntity):
    """A sensor following one meter's current price."""

    _attr_should_poll = False
    _key: str

    def __init__(self, client: PriceClient, ieee: EUI64) -> None:
        """Follow the price of meter ``ieee``."""
        super().__init__(client.hass, ieee, self._key)
        self._client = client
        self._attr_translation_key = self._key

    @property
    def available(self) -> bool:
        """Return True while the meter's Price cluster is attached."""
        return self._client.available(self._ieee)

    def _price(self) -> se_price.PublishPrice | None:
        current = self._client.current(self._ieee)
        return None if current is None else current.price


class CurrentPriceSensor(PriceSensor):
    """The price in force: currency per unit of measure (an Energy dashboard price)."""

    _key = KEY_CURRENT_PRICE
    _attr_device_class = SensorDeviceClass.MONETARY

    @property
    def native_value(self) -> Decimal | None:
        """Return the price in currency units."""
        price = self._price()
        return None if price is None else price.price_decimal

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return currency/unit, e.g. EUR/kWh (None for a currency not known)."""
        if (price := self._price()) is None:
            return None
        try:
            return se_price.price_unit(price.currency, price.unit_of_measure)
        except se_price.PriceError:
            return None

    @property
    def suggested_display_precision(self) -> int | None:
        """Return the price's trailing digits."""
        price = self._price()
        return None if price is None else price.price_trailing_digit


class PriceTierSensor(PriceSensor):
    """The tier of the price in force (0: no tier)."""

    _key = KEY_PRICE_TIER

    @property
    def native_value(self) -> int | None:
        """Return the tier, 0-48."""
        price = self._price()
        return None if price is None else price.effective_price_tier


class RateLabelSensor(PriceSensor):
    """The rate label of the price in force."""

    _key = KEY_RATE_LABEL

    @property
    def native_value(self) -> str | None:
        """Return the label."""
        price = self._price()
        return None if price is None else price.rate_label


class NextPriceChangeSensor(PriceSensor):
    """When the price changes next (unknown while it holds until changed)."""

    _key = KEY_NEXT_PRICE_CHANGE
    _attr_device_class = SensorDeviceClass.TIMESTAMP

    @property
    def native_value(self) -> datetime | None:
        """Return the next change."""
        return self._client.next_change(self._ieee)


class PriceCalendar(ZhaDeviceLinkedEntity, CalendarEntity):
    """The meter's stored price events (current and scheduled)."""

    _attr_should_poll = False
    _attr_translation_key = KEY_PRICES

    def __init__(self, client: PriceClient, ieee: EUI64) -> None:
        """Show the prices of meter ``ieee``."""
        super().__init__(client.hass, ieee, KEY_PRICES)
        self._client = client

    @property
    def available(self) -> bool:
        """Return True while the meter's Price cluster is attached."""
        return self._client.available(self._ieee)

    @property
    def event(self) -> CalendarEvent | None:
        """Return the price in force, or the next one."""
        now = dt_util.utcnow()
        events = self._client.calendar_events(self._ieee, now, now + LOOKAHEAD)
        return events[0] if events else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the price events in a window."""
        return self._client.calendar_events(self._ieee, start_date, end_date)
