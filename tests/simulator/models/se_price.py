"""A Smart Energy Price server (0x0700) for the simulated meters (the ESI side).

Written from the Smart Energy wire reference (``/work/shared/research/smart_energy_reference.md``
§3 Price, §6 UTCTime), independently of the integration's codec (nothing is imported from
``custom_components``). Every integer little-endian.

Server -> client:

- PublishPrice 0x00 (fields 1-19, the SE 1.1 form): ProviderID uint32, RateLabel octet string
  (length byte + UTF-8, at most 12 bytes), IssuerEventID uint32, CurrentTime UTCTime,
  UnitOfMeasure enum8, Currency uint16, PriceTrailingDigit (high nibble) & PriceTier (low
  nibble) map8, NumberOfPriceTiers (high) & RegisterTier (low) map8, StartTime UTCTime (0 =
  now), DurationInMinutes uint16 (0xFFFF = until changed), Price uint32, PriceRatio uint8,
  GenerationPrice uint32, GenerationPriceRatio uint8, AlternateCostDelivered uint32,
  AlternateCostUnit enum8, AlternateCostTrailingDigit map8, NumberOfBlockThresholds uint8,
  PriceControl map8 (bit 0: acknowledgement required). Unused optional fields carry their
  "not used" values (0xFF / 0xFFFFFFFF). Sent unsolicited by ``publish_price`` (unicast to the
  coordinator's endpoint 1, profile 0x0109, default response disabled).

Client -> server (handled):

- GetCurrentPrice 0x00: CommandOptions map8 (1 byte). Answered with the current
  PublishPrice (same sequence number), or a Default Response NOT_FOUND when there is none;
  recorded in ``requests``. Any other length: MALFORMED_COMMAND.
- GetScheduledPrices 0x01: StartTime UTCTime (0: the server's current time), NumberOfEvents
  uint8 (0: all), 5 bytes. The stored events (the current price and the scheduled ones,
  ``schedule_price``) whose end (StartTime + Duration; "until changed" never ends) is at or
  after StartTime, earliest start first, at most NumberOfEvents: each sent as its own
  PublishPrice carrying the request's sequence number, back to back. None: a Default
  Response NOT_FOUND (§3.2 "ESI server behaviour"). Recorded in ``scheduled_requests``. Any
  other length: MALFORMED_COMMAND.
- PriceAcknowledgement 0x02: ProviderID uint32, IssuerEventID uint32, PriceAckTime UTCTime,
  Control map8 (13 bytes): recorded in ``acknowledgements``; a Default Response SUCCESS when
  asked for. Any other length: MALFORMED_COMMAND.
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
from datetime import UTC, datetime
import struct
from typing import Final

from zigpy.zcl import foundation

from tests.simulator.device import (
    NO_RESPONSE,
    SE_PROFILE,
    ClusterResponse,
    CommandContext,
    HandlerResult,
    SimCluster,
    SimEndpoint,
)

PRICE: Final = 0x0700
CMD_PUBLISH_PRICE: Final = 0x00
CMD_GET_CURRENT_PRICE: Final = 0x00
CMD_GET_SCHEDULED_PRICES: Final = 0x01
CMD_PRICE_ACKNOWLEDGEMENT: Final = 0x02
#: PriceControl bit 0: the client must send PriceAcknowledgement.
CONTROL_ACK_REQUIRED: Final = 0x01
DURATION_UNTIL_CHANGED: Final = 0xFFFF
CURRENCY_EUR: Final = 978
UNIT_KWH: Final = 0x00
_NOT_USED_8: Final = 0xFF
_NOT_USED_32: Final = 0xFFFF_FFFF
#: UTCTime counts seconds from 2000-01-01 00:00 UTC (reference §6).
_ZCL_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)


def wall_clock_utc_time() -> int:
    """Return the UTCTime of the wall clock (the ESI's time)."""
    return int((datetime.now(UTC) - _ZCL_EPOCH).total_seconds())


@dataclasses.dataclass(frozen=True)
class StoredPrice:
    """A price event the server holds: when it applies and its PublishPrice payload."""

    issuer_event_id: int
    start: int
    duration: int
    payload: bytes

    def start_at(self, now: int) -> int:
        """Return the real start (StartTime 0: now)."""
        return self.start or now

    def ends_at_or_after(self, instant: int, now: int) -> bool:
        """Return True when the event has not ended before ``instant``."""
        if self.duration == DURATION_UNTIL_CHANGED:
            return True
        return self.start_at(now) + self.duration * 60 >= instant


@dataclasses.dataclass(frozen=True)
class Acknowledgement:
    """A PriceAcknowledgement the server received."""

    provider_id: int
    issuer_event_id: int
    ack_time: int
    control: int
    payload: bytes


def publish_price_payload(
    *,
    provider_id: int,
    rate_label: str,
    issuer_event_id: int,
    current_time: int,
    unit_of_measure: int,
    currency: int,
    trailing_digit: int,
    tier: int,
    number_of_tiers: int,
    register_tier: int,
    start: int,
    duration: int,
    price: int,
    control: int,
) -> bytes:
    """Return a PublishPrice payload of fields 1-19 (reference §3.2 field table)."""
    label = rate_label.encode("utf-8")
    assert len(label) <= 12
    return (
        struct.pack("<IB", provider_id, len(label))
        + label
        + struct.pack(
            "<IIBHBBIHI",
            issuer_event_id,
            current_time,
            unit_of_measure,
            currency,
            (trailing_digit << 4) | tier,
            (number_of_tiers << 4) | register_tier,
            start,
            duration,
            price,
        )
        # fields 12-19: ratio, generation price, generation ratio, alternate cost, its unit,
        # its trailing digit, block thresholds, PriceControl
        + struct.pack(
            "<BIBIBBBB",
            _NOT_USED_8,
            _NOT_USED_32,
            _NOT_USED_8,
            _NOT_USED_32,
            _NOT_USED_8,
            0x00,
            0,
            control,
        )
    )


class PriceServer:
    """The Price server of one meter endpoint, with test hooks."""

    def __init__(
        self,
        endpoint: SimEndpoint,
        utc_now: Callable[[], int] = wall_clock_utc_time,
    ) -> None:
        """Add the cluster to ``endpoint`` (a 0x0109 endpoint)."""
        self.endpoint = endpoint
        self.utc_now = utc_now
        self.cluster: SimCluster = endpoint.add_cluster(PRICE, standard_handlers=False)
        self.cluster.on(CMD_GET_CURRENT_PRICE, self._get_current_price)
        self.cluster.on(CMD_GET_SCHEDULED_PRICES, self._get_scheduled_prices)
        self.cluster.on(CMD_PRICE_ACKNOWLEDGEMENT, self._price_acknowledgement)
        #: The payload of the current PublishPrice (None: no price).
        self.current: bytes | None = None
        #: The current price as a stored event (None: no price).
        self.current_event: StoredPrice | None = None
        #: Later price events (``schedule_price``).
        self.scheduled: list[StoredPrice] = []
        #: GetCurrentPrice CommandOptions received.
        self.requests: list[int] = []
        #: GetScheduledPrices (StartTime, NumberOfEvents) received.
        self.scheduled_requests: list[tuple[int, int]] = []
        self.acknowledgements: list[Acknowledgement] = []

    def set_price(
        self,
        price: int,
        *,
        trailing_digit: int = 4,
        tier: int = 1,
        rate_label: str = "",
        issuer_event_id: int = 1,
        provider_id: int = 0x00A1B2C3,
        currency: int = CURRENCY_EUR,
        unit_of_measure: int = UNIT_KWH,
        start: int = 0,
        duration: int = DURATION_UNTIL_CHANGED,
        number_of_tiers: int = 4,
        register_tier: int | None = None,
        current_time: int = 0,
        control: int = 0,
    ) -> bytes:
        """Make a PublishPrice the current price (nothing sent); return its payload."""
        self.current = self._payload(
            price,
            trailing_digit=trailing_digit,
            tier=tier,
            rate_label=rate_label,
            issuer_event_id=issuer_event_id,
            provider_id=provider_id,
            currency=currency,
            unit_of_measure=unit_of_measure,
            start=start,
            duration=duration,
            number_of_tiers=number_of_tiers,
            register_tier=register_tier,
            current_time=current_time,
            control=control,
        )
        self.current_event = StoredPrice(issuer_event_id, start, duration, self.current)
        return self.current

    def schedule_price(
        self, price: int, *, start: int, duration: int, **fields: int | str
    ) -> bytes:
        """Store a later price event (nothing sent); return its payload.

        ``start`` is a UTCTime; the other fields as ``set_price``.
        """
        payload = self._payload(price, start=start, duration=duration, **fields)  # type: ignore[arg-type]
        issuer_event_id = int(fields.get("issuer_event_id", 1))
        self.scheduled.append(StoredPrice(issuer_event_id, start, duration, payload))
        return payload

    @staticmethod
    def _payload(
        price: int,
        *,
        trailing_digit: int = 4,
        tier: int = 1,
        rate_label: str = "",
        issuer_event_id: int = 1,
        provider_id: int = 0x00A1B2C3,
        currency: int = CURRENCY_EUR,
        unit_of_measure: int = UNIT_KWH,
        start: int = 0,
        duration: int = DURATION_UNTIL_CHANGED,
        number_of_tiers: int = 4,
        register_tier: int | None = None,
        current_time: int = 0,
        control: int = 0,
    ) -> bytes:
        return publish_price_payload(
            provider_id=provider_id,
            rate_label=rate_label,
            issuer_event_id=issuer_event_id,
            current_time=current_time,
            unit_of_measure=unit_of_measure,
            currency=currency,
            trailing_digit=trailing_digit,
            tier=tier,
            number_of_tiers=number_of_tiers,
            register_tier=tier if register_tier is None else register_tier,
            start=start,
            duration=duration,
            price=price,
            control=control,
        )

    def publish_price(self, price: int, **fields: int | str) -> bool:
        """Make a price current and send it unsolicited (see ``set_price``)."""
        payload = self.set_price(price, **fields)  # type: ignore[arg-type]
        return self.send_raw(payload)

    def send_raw(self, payload: bytes) -> bool:
        """Send a PublishPrice frame carrying ``payload`` as it is."""
        return self.endpoint.device.send_zcl(
            self.endpoint.id,
            PRICE,
            CMD_PUBLISH_PRICE,
            payload,
            direction=foundation.Direction.Server_to_Client,
            dst_ep=1,
            profile_id=SE_PROFILE,
        )

    def _get_current_price(self, ctx: CommandContext) -> HandlerResult:
        if len(ctx.payload) != 1:
            return foundation.Status.MALFORMED_COMMAND
        self.requests.append(ctx.payload[0])
        if self.current is None:
            return foundation.Status.NOT_FOUND
        return ClusterResponse(CMD_PUBLISH_PRICE, self.current)

    def _get_scheduled_prices(self, ctx: CommandContext) -> HandlerResult:
        if len(ctx.payload) != 5:
            return foundation.Status.MALFORMED_COMMAND
        start_time, number_of_events = struct.unpack("<IB", ctx.payload)
        self.scheduled_requests.append((start_time, number_of_events))
        now = self.utc_now()
        since = start_time or now
        stored = [
            *([self.current_event] if self.current_event else []),
            *self.scheduled,
        ]
        answers = sorted(
            (event for event in stored if event.ends_at_or_after(since, now)),
            key=lambda event: (event.start_at(now), event.issuer_event_id),
        )
        if number_of_events:
            answers = answers[:number_of_events]
        if not answers:
            return foundation.Status.NOT_FOUND
        for event in answers:
            ctx.device.reply(ctx, CMD_PUBLISH_PRICE, event.payload, general=False)
        return NO_RESPONSE

    def _price_acknowledgement(self, ctx: CommandContext) -> HandlerResult:
        if len(ctx.payload) != 13:
            return foundation.Status.MALFORMED_COMMAND
        provider_id, event_id, when, control = struct.unpack("<IIIB", ctx.payload)
        self.acknowledgements.append(
            Acknowledgement(provider_id, event_id, when, control, bytes(ctx.payload))
        )
        return None
