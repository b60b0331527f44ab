"""Smart Energy Price client: the ESI's published prices as sensors on the meter's page.

Per meter whose quirk has a Price server (``quirks/smart_energy_price.py``) the client keeps
the PublishPrice events it heard (by issuer event id, a "now" start resolved to the receive
time) and shows the one in force now (of overlapping ones the newest issuer event id wins,
as the server's rule in ``protocol.se_price.current_price``):

- "Current price": monetary, unit currency per unit of measure ("EUR/kWh"), state class
  None, so the Energy dashboard takes it as a price entity;
- "Price tier" (0: no tier), "Rate label";
- "Next price change": the end of the current price, or the start of a later stored price
  if that comes first; None while the price holds until changed.

A PublishPrice whose PriceControl asks for it is answered with a PriceAcknowledgement. When a
meter's Price cluster appears (present at start, joined, re-interviewed, ZHA reloaded)
GetCurrentPrice is sent once, and the ESI's answer is handled like any PublishPrice.

Not done yet: GetScheduledPrices and a calendar of the scheduled prices; nothing is persisted
(after a restart the price comes back through GetCurrentPrice).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
import logging
from typing import Final

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util
from zha.exceptions import ZHAException
from zha.zigbee.device import Device
from zigpy.exceptions import ZigbeeException
from zigpy.types import EUI64

from ..cluster_follower import ClusterFollower
from ..const import DOMAIN
from ..entity import ZhaDeviceLinkedEntity
from ..family import server_cluster
from ..protocol import se_price
from ..protocol.zcl_time import ZCL_EPOCH, zcl_seconds
from ..quirks.smart_energy_price import SmartEnergyPrice

_LOGGER = logging.getLogger(__name__)

KEY_CURRENT_PRICE: Final = "current_price"
KEY_PRICE_TIER: Final = "price_tier"
KEY_RATE_LABEL: Final = "rate_label"
KEY_NEXT_PRICE_CHANGE: Final = "next_price_change"


def price_cluster(device: Device) -> SmartEnergyPrice | None:
    """Return the device's first Price server of our quirk."""
    return server_cluster(device, SmartEnergyPrice)


def utc_time(seconds: int) -> datetime:
    """Return a UTCTime (seconds since 2000-01-01 UTC) as a datetime."""
    return ZCL_EPOCH + timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class PriceEvent:
    """A PublishPrice heard, with its start resolved (end None: until changed)."""

    price: se_price.PublishPrice
    start: datetime
    end: datetime | None

    def in_force(self, now: datetime) -> bool:
        """Return True when the price applies at ``now``."""
        return self.start <= now and (self.end is None or now < self.end)


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

    def se_price_published(self, price: se_price.PublishPrice) -> None:
        self._client.published(self._ieee, price)


class PriceClient(ClusterFollower[SmartEnergyPrice, _Meter]):
    """The Price client of every meter of the family."""

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

    def entities(self, ieee: EUI64, state: _Meter) -> dict[Platform, list[PriceSensor]]:
        """Return the meter's four price sensors."""
        return {
            Platform.SENSOR: [
                CurrentPriceSensor(self, ieee),
                PriceTierSensor(self, ieee),
                RateLabelSensor(self, ieee),
                NextPriceChangeSensor(self, ieee),
            ]
        }

    def attached(self, ieee: EUI64, cluster: SmartEnergyPrice, state: _Meter) -> None:
        """Ask for the current price whenever the meter's Price cluster appears."""
        self.entry.async_create_background_task(
            self.hass,
            self._request_current_price(ieee, cluster),
            f"{DOMAIN} GetCurrentPrice {ieee}",
        )

    def forgotten(self, ieee: EUI64, state: _Meter) -> None:
        """Stop the meter's price-change timer."""
        self._cancel_timer(state)

    async def _request_current_price(
        self, ieee: EUI64, cluster: SmartEnergyPrice
    ) -> None:
        try:
            await cluster.request_current_price()
        except (
            ZHAException,
            ZigbeeException,
            TimeoutError,
            se_price.PriceError,
        ) as err:
            _LOGGER.debug("%s: GetCurrentPrice failed: %s", ieee, err)

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

    @callback
    def published(self, ieee: EUI64, price: se_price.PublishPrice) -> None:
        """Keep a PublishPrice, update the sensors, acknowledge it when asked."""
        meter = self.state_for(ieee)
        now = dt_util.utcnow()
        received_at = zcl_seconds(now)
        start = price.starts_at(received_at)
        end = price.ends_at(received_at)
        # the stored event has its real start, as the codec's server rules want
        stored = dataclasses.replace(price, start_time=start)
        meter.events[price.issuer_event_id] = PriceEvent(
            stored, utc_time(start), None if end is None else utc_time(end)
        )
        self._update(ieee, meter, now)
        if price.acknowledgement_required and (cluster := self.cluster(ieee)):
            ack = se_price.acknowledge(price, received_at)
            self.entry.async_create_background_task(
                self.hass,
                self._acknowledge(ieee, cluster, ack),
                f"{DOMAIN} PriceAcknowledgement {ieee}",
            )

    async def _acknowledge(
        self, ieee: EUI64, cluster: SmartEnergyPrice, ack: se_price.PriceAcknowledgement
    ) -> None:
        try:
            await cluster.acknowledge_price(ack)
        except (ZHAException, ZigbeeException, TimeoutError) as err:
            _LOGGER.debug("%s: PriceAcknowledgement failed: %s", ieee, err)

    def _update(self, ieee: EUI64, meter: _Meter, now: datetime) -> None:
        """Pick the price in force, the next change, and wake up at that change."""
        meter.events = {
            event_id: event
            for event_id, event in meter.events.items()
            if event.end is None or event.end > now
        }
        in_force = [event for event in meter.events.values() if event.in_force(now)]
        meter.current = max(
            in_force, key=lambda event: event.price.issuer_event_id, default=None
        )
        changes = [event.start for event in meter.events.values() if event.start > now]
        if meter.current is not None and meter.current.end is not None:
            changes.append(meter.current.end)
        meter.next_change = min(changes, default=None)
        self._cancel_timer(meter)
        if (wake := min(changes, default=None)) is not None:

            @callback
            def changed(_now: datetime) -> None:
                meter.unsub_timer = None
                self._update(ieee, meter, dt_util.utcnow())

            meter.unsub_timer = async_track_point_in_utc_time(self.hass, changed, wake)
        self.write_states(ieee)

    @staticmethod
    def _cancel_timer(meter: _Meter) -> None:
        if meter.unsub_timer is not None:
            meter.unsub_timer()
            meter.unsub_timer = None

    def diagnostics(self, ieee: EUI64) -> dict[str, object] | None:
        """Return the meter's current price and next change."""
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
