"""A Smart Energy in-home display (IHD): the ESI's Price, Messaging and Time client.

Written from the Smart Energy wire reference (``/work/shared/research/smart_energy_reference.md``
§3 Price, §6 UTCTime), seed 001 §9.1 (time from the ESI's Time cluster) and the Digi X2
manual's in-premise display sample (seed 002: "Price, Messaging and Simple Metering client
clusters on a new endpoint ... The sample will display the price from any price servers on
the network"), independently of the integration (nothing is imported from
``custom_components``). Every integer little-endian.

One endpoint (1, profile 0x0109, device type 0x0502 In-Premise Display) with Basic and
Identify servers and the clients Price 0x0700, Messaging 0x0703, Metering 0x0702 and Time
0x000A. The Messaging client's behaviour is a separate model: ``messaging`` is called with
the endpoint to add it (without one the cluster is there and refuses commands).

What it does, as a display does (``se_esi_client``: it finds the ESI's endpoint with a
Match_Desc_req for the Time, Price and Messaging servers, sends its requests there and, once
it knows it, drops Time, Price and Messaging frames from any other endpoint):

- Time (``sync_time``): reads Time, TimeStatus, TimeZone, DstStart, DstEnd, DstShift,
  StandardTime and LocalTime from the coordinator (Read Attributes, client -> server) and
  keeps its clock from then on on the network's virtual clock: UTC = the Time read + the
  virtual seconds since. Its local time is UTC + TimeZone, + DstShift while
  DstStart <= UTC <= DstEnd (ZCL Time cluster formula). Before a Time read it takes its clock
  from a PublishPrice's CurrentTime (the ESI's clock).
- Price: GetCurrentPrice 0x00 (CommandOptions map8: bit 0 rx on when idle) and
  GetScheduledPrices 0x01 (StartTime UTCTime, NumberOfEvents uint8) on demand; ``start_up``
  (what it does once joined) finds the ESI, syncs the time, then asks GetCurrentPrice. Every PublishPrice
  0x00 received (answers and unsolicited alike) is parsed from the §3.2 field table
  (fields 1-11 mandatory, the optional tail read while bytes remain), kept by issuer event
  id with its start resolved ("0 = now": the receive time, §6), and ``screen`` shows the
  price in force on the display's clock (of overlapping prices the larger issuer event id,
  "larger = newer"); a scheduled price is put on the screen by a timer at its start, and
  taken off at its end. PriceControl bit 0 set: it answers with PriceAcknowledgement 0x02
  (ProviderID, IssuerEventID, PriceAckTime = its UTC clock, Control = the PriceControl)
  instead of a Default Response, as Silicon Labs' price client does.
  A frame that ends inside a field, or has a rate label over 12 bytes: Default Response
  MALFORMED_COMMAND (when the sender asked for a response, SUCCESS otherwise).
- Block prices (SE 1.1, reference §3.1 and §3.2 field 18): when a price whose
  NumberOfBlockThresholds is above 0 comes on the screen, the display reads from the ESI
  (Read Attributes, client -> server, Price cluster) NumberOfBlockThresholdsInUse 0x0612,
  ThresholdMultiplier 0x0202 and ThresholdDivisor 0x0203 (uint24) and Block1..N Threshold
  0x0100+ (uint48), then the N + 1 block prices (uint32): NoTierBlock1..Price 0x0400+ for a
  price without a tier, Tier*T*Block1..Price 0x0400 + 0x10 x T + (block - 1) otherwise
  (0x0410-0x04FF). A threshold in the unit of measure is the attribute x multiplier /
  divisor (0 counts as 1). ``consumption`` is the block period's consumption so far in the
  price's unit (what its Metering client would read; a test sets it); ``shown_text`` is the
  screen: the price of the block that consumption is in (block N: above threshold N - 1 up
  to threshold N), with the price's trailing digits, or the PublishPrice's price while no
  blocks are known. Each read is one frame (the model does not split long reads).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import struct
from typing import Any, Final

from zigpy.zcl import foundation
from zigpy.zcl.clusters import general, smartenergy

from tests.simulator.clock import ClockTimer
from tests.simulator.device import (
    NO_RESPONSE,
    SE_PROFILE,
    CommandContext,
    HandlerResult,
    RecordedFrame,
    SimEndpoint,
)

from .common import add_basic, resolve_ieee
from .se_esi_client import EsiClientDevice
from .se_messaging_client import DisplayMessagingClient

PRICE: Final = 0x0700
MESSAGING: Final = 0x0703
TIME: Final = 0x000A
DEVICE_TYPE_IN_PREMISE_DISPLAY: Final = 0x0502
CMD_PUBLISH_PRICE: Final = 0x00
CMD_GET_CURRENT_PRICE: Final = 0x00
CMD_GET_SCHEDULED_PRICES: Final = 0x01
CMD_PRICE_ACKNOWLEDGEMENT: Final = 0x02
READ_ATTRIBUTES: Final = 0x00
READ_ATTRIBUTES_RESPONSE: Final = 0x01
DEFAULT_RESPONSE: Final = 0x0B
RX_ON_WHEN_IDLE: Final = 0x01
CONTROL_ACK_REQUIRED: Final = 0x01
DURATION_UNTIL_CHANGED: Final = 0xFFFF
UTC_INVALID: Final = 0xFFFF_FFFF
ZIGBEE_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
#: Time attributes 0x0000-0x0007 (ZCL Time cluster): Time, TimeStatus, TimeZone, DstStart,
#: DstEnd, DstShift, StandardTime, LocalTime.
TIME_ATTRIBUTES: Final = tuple(range(8))
#: ZCL data type ids the Time attributes come in, and their sizes.
_TYPE_SIZES: Final = {
    0x18: 1,  # map8
    0x20: 1,  # uint8
    0x21: 2,  # uint16
    0x22: 3,  # uint24
    0x23: 4,  # uint32
    0x25: 6,  # uint48
    0x2B: 4,  # int32
    0x30: 1,  # enum8
    0xE2: 4,  # UTC
}
#: Price server attributes of block pricing (reference §3.1).
ATTR_BLOCK1_THRESHOLD: Final = 0x0100
ATTR_THRESHOLD_MULTIPLIER: Final = 0x0202
ATTR_THRESHOLD_DIVISOR: Final = 0x0203
ATTR_NO_TIER_BLOCK1_PRICE: Final = 0x0400
ATTR_NUMBER_OF_BLOCK_THRESHOLDS_IN_USE: Final = 0x0612
_SIGNED: Final = frozenset({0x2B})
_STRING_TYPES: Final = frozenset({0x41, 0x42})  # octet string, character string
_MANDATORY: Final = struct.Struct("<IIBHBBIHI")
# Fields 12-24 in wire order: (name, size).
_TAIL: Final = (
    ("price_ratio", 1),
    ("generation_price", 4),
    ("generation_price_ratio", 1),
    ("alternate_cost_delivered", 4),
    ("alternate_cost_unit", 1),
    ("alternate_cost_trailing_digit", 1),
    ("number_of_block_thresholds", 1),
    ("price_control", 1),
    ("number_of_generation_tiers", 1),
    ("generation_tier", 1),
    ("extended_number_of_price_tiers", 1),
    ("extended_price_tier", 1),
    ("extended_register_tier", 1),
)
_CURRENCIES: Final = {978: "EUR", 826: "GBP", 840: "USD", 756: "CHF", 752: "SEK"}
_UNITS: Final = {0x00: "kWh", 0x01: "m³", 0x02: "ft³", 0x07: "L", 0x0B: ""}


@dataclasses.dataclass(frozen=True)
class ReceivedPrice:
    """A PublishPrice the display received (reference §3.2 field table)."""

    provider_id: int
    rate_label: str
    issuer_event_id: int
    current_time: int
    unit_of_measure: int
    currency: int
    trailing_digit: int
    tier: int
    number_of_tiers: int
    register_tier: int
    start_time: int
    duration: int
    price: int
    tail: dict[str, int]
    payload: bytes
    #: The start on the display's clock ("now" resolved to the receive time).
    start: int = 0

    @property
    def value(self) -> Decimal:
        """Return the price in currency units: Price / 10**trailing digits."""
        return Decimal(self.price).scaleb(-self.trailing_digit)

    @property
    def unit(self) -> str:
        """Return what the display writes after the price: "EUR/kWh"."""
        currency = _CURRENCIES.get(self.currency, str(self.currency))
        unit = _UNITS.get(self.unit_of_measure, f"unit {self.unit_of_measure}")
        return f"{currency}/{unit}" if unit else currency

    @property
    def text(self) -> str:
        """Return the screen's text: "0.2734 EUR/kWh"."""
        return f"{self.value} {self.unit}"

    @property
    def price_control(self) -> int:
        """Return PriceControl (0 when the frame ends before field 19)."""
        return self.tail.get("price_control", 0)

    @property
    def end(self) -> int | None:
        """Return the end on the display's clock (None: until changed)."""
        if self.duration == DURATION_UNTIL_CHANGED:
            return None
        return self.start + self.duration * 60


def parse_publish_price(payload: bytes) -> ReceivedPrice:
    """Parse a PublishPrice payload; ValueError for a malformed one."""
    if len(payload) < 5:
        raise ValueError("PublishPrice ends before its rate label")
    (provider_id,) = struct.unpack_from("<I", payload)
    label_length = payload[4]
    if label_length > 12:
        raise ValueError(f"rate label of {label_length} bytes")
    offset = 5 + label_length
    if len(payload) < offset + _MANDATORY.size:
        raise ValueError("PublishPrice ends inside its mandatory fields")
    label = payload[5:offset].decode("utf-8")
    (
        issuer_event_id,
        current_time,
        unit_of_measure,
        currency,
        digit_and_tier,
        tiers_and_register,
        start_time,
        duration,
        price,
    ) = _MANDATORY.unpack_from(payload, offset)
    offset += _MANDATORY.size
    tail: dict[str, int] = {}
    for name, size in _TAIL:
        if offset == len(payload):
            break
        if offset + size > len(payload):
            raise ValueError(f"PublishPrice ends inside {name}")
        tail[name] = int.from_bytes(payload[offset : offset + size], "little")
        offset += size
    if offset != len(payload):
        raise ValueError("bytes after field 24")
    return ReceivedPrice(
        provider_id=provider_id,
        rate_label=label,
        issuer_event_id=issuer_event_id,
        current_time=current_time,
        unit_of_measure=unit_of_measure,
        currency=currency,
        trailing_digit=digit_and_tier >> 4,
        tier=digit_and_tier & 0x0F,
        number_of_tiers=tiers_and_register >> 4,
        register_tier=tiers_and_register & 0x0F,
        start_time=start_time,
        duration=duration,
        price=price,
        tail=tail,
        payload=bytes(payload),
    )


@dataclasses.dataclass(frozen=True)
class BlockTable:
    """The block prices of one price, as read from the ESI (units of measure, currency)."""

    thresholds: tuple[Decimal, ...]
    prices: tuple[Decimal, ...]

    def price_at(self, consumption: Decimal) -> Decimal:
        """Return the price of the block ``consumption`` is in."""
        block = sum(1 for threshold in self.thresholds if consumption > threshold)
        return self.prices[block]


@dataclasses.dataclass(frozen=True)
class TimeReading:
    """The Time attributes read from the ESI (None: not returned)."""

    values: dict[int, int | bytes | None]

    def get(self, attribute: int) -> int | None:
        """Return one attribute's value."""
        value = self.values.get(attribute)
        return value if isinstance(value, int) else None


def _parse_read_attributes_response(payload: bytes) -> dict[int, int | bytes | None]:
    values: dict[int, int | bytes | None] = {}
    offset = 0
    while offset < len(payload):
        attribute, status = struct.unpack_from("<HB", payload, offset)
        offset += 3
        if status != 0x00:
            values[attribute] = None
            continue
        data_type = payload[offset]
        if data_type in _STRING_TYPES:  # a length byte, then the string's bytes
            length = payload[offset + 1]
            values[attribute] = payload[offset + 2 : offset + 2 + length]
            offset += 2 + length
            continue
        size = _TYPE_SIZES[data_type]
        raw = payload[offset + 1 : offset + 1 + size]
        values[attribute] = int.from_bytes(raw, "little", signed=data_type in _SIGNED)
        offset += 1 + size
    return values


class InHomeDisplay(EsiClientDevice):
    """An in-home display: shows the ESI's price on its clock, synchronised by the ESI."""

    esi_servers = (TIME, PRICE, MESSAGING)

    def setup(self, endpoint: SimEndpoint) -> None:
        """Add the client clusters' behaviour to ``endpoint``."""
        self.se_endpoint = endpoint
        self.price_cluster = endpoint.add_output_cluster(
            smartenergy.Price, standard_handlers=False
        )
        self.price_cluster.on(CMD_PUBLISH_PRICE, self._publish_price)
        endpoint.add_output_cluster(smartenergy.Metering)
        endpoint.add_output_cluster(general.Time)
        #: Every price received, by issuer event id (start resolved).
        self.prices: dict[int, ReceivedPrice] = {}
        #: What the screen shows now (None: no price).
        self.screen: ReceivedPrice | None = None
        #: Every screen change: (display UTC, text or None).
        self.screen_log: list[tuple[int | None, str | None]] = []
        #: PriceAcknowledgement payloads sent.
        self.acknowledgements: list[bytes] = []
        #: The last Time read (None: never synchronised).
        self.time_reading: TimeReading | None = None
        self.messaging: object | None = None
        #: The block period's consumption so far, in the price's unit of measure.
        self.consumption = Decimal(0)
        #: Block prices read from the ESI, by issuer event id.
        self.block_tables: dict[int, BlockTable] = {}
        #: Every Read Attributes of the Price server: (request payload, response payload).
        self.price_reads: list[tuple[bytes, bytes]] = []
        self._utc_base: float | None = None
        self._utc_set_at = 0.0
        self._timer: ClockTimer | None = None

    # -- clock --------------------------------------------------------------------

    def _set_clock(self, utc: int) -> None:
        self._utc_base = float(utc)
        self._utc_set_at = self.now

    @property
    def utc(self) -> int | None:
        """Return the display's UTC clock (UTCTime), None before it has one."""
        if self._utc_base is None:
            return None
        return int(self._utc_base + (self.now - self._utc_set_at) + 1e-6)

    def _value(self, attribute: int) -> int:
        assert self.time_reading is not None
        value = self.time_reading.get(attribute)
        return 0 if value is None else value

    @property
    def local_time(self) -> datetime | None:
        """Return the display's local wall clock (naive), None before a Time read."""
        utc = self.utc
        if utc is None or self.time_reading is None:
            return None
        local = utc + self._value(0x0002)
        if self._value(0x0003) <= utc <= self._value(0x0004):
            local += self._value(0x0005)
        return (ZIGBEE_EPOCH + timedelta(seconds=local)).replace(tzinfo=None)

    # -- requests -----------------------------------------------------------------

    def _request(
        self, cluster: int, command: int, payload: bytes, *, general: bool = False
    ) -> tuple[int, int]:
        tsn = self.next_tsn()
        start = len(self.received)
        sent = self.send_zcl(
            self.se_endpoint.id,
            cluster,
            command,
            payload,
            general=general,
            direction=foundation.Direction.Client_to_Server,
            disable_default_response=general,
            tsn=tsn,
            dst_ep=self.esi_destination,
            profile_id=SE_PROFILE,
        )
        if not sent:
            raise RuntimeError(f"{self!r} is not on the air")
        return tsn, start

    async def sync_time(self, timeout: float = 2.0) -> TimeReading:
        """Read the Time attributes from the ESI and set the clock from them."""
        payload = b"".join(struct.pack("<H", attr) for attr in TIME_ATTRIBUTES)
        tsn, start = self._request(TIME, READ_ATTRIBUTES, payload, general=True)
        frame = await self._wait_received(
            start, timeout, cluster=TIME, tsn=tsn, general=True
        )
        assert frame.command_id == READ_ATTRIBUTES_RESPONSE, frame
        self.time_reading = TimeReading(_parse_read_attributes_response(frame.payload))
        if (utc := self.time_reading.get(0x0000)) is not None and utc != UTC_INVALID:
            self._set_clock(utc)
        self._refresh()
        return self.time_reading

    async def request_current_price(self, timeout: float = 2.0) -> RecordedFrame:
        """Send GetCurrentPrice; return the answer (PublishPrice or Default Response)."""
        tsn, start = self._request(
            PRICE, CMD_GET_CURRENT_PRICE, bytes((RX_ON_WHEN_IDLE,))
        )
        return await self._wait_received(start, timeout, cluster=PRICE, tsn=tsn)

    def request_scheduled_prices(self, start_time: int = 0, events: int = 0) -> int:
        """Send GetScheduledPrices; return its TSN (the answers come with it)."""
        tsn, _ = self._request(
            PRICE, CMD_GET_SCHEDULED_PRICES, struct.pack("<IB", start_time, events)
        )
        return tsn

    async def read_price_attributes(
        self, attributes: list[int], timeout: float = 2.0
    ) -> dict[int, int | bytes | None]:
        """Read Price server attributes from the ESI (None: not returned)."""
        payload = b"".join(struct.pack("<H", attr) for attr in attributes)
        tsn, start = self._request(PRICE, READ_ATTRIBUTES, payload, general=True)
        frame = await self._wait_received(
            start, timeout, cluster=PRICE, tsn=tsn, general=True
        )
        assert frame.command_id == READ_ATTRIBUTES_RESPONSE, frame
        self.price_reads.append((payload, frame.payload))
        return _parse_read_attributes_response(frame.payload)

    async def read_block_prices(self, price: ReceivedPrice) -> BlockTable | None:
        """Read the thresholds and block prices of ``price`` (in force) from the ESI."""
        count = price.tail.get("number_of_block_thresholds", 0)
        thresholds = [ATTR_BLOCK1_THRESHOLD + index for index in range(count)]
        values = await self.read_price_attributes(
            [
                ATTR_NUMBER_OF_BLOCK_THRESHOLDS_IN_USE,
                ATTR_THRESHOLD_MULTIPLIER,
                ATTR_THRESHOLD_DIVISOR,
                *thresholds,
            ]
        )
        first_price = ATTR_NO_TIER_BLOCK1_PRICE + 0x10 * price.tier
        prices = await self.read_price_attributes(
            [first_price + index for index in range(count + 1)]
        )
        raw_thresholds = [values.get(attr) for attr in thresholds]
        raw_prices = list(prices.values())
        multiplier = values.get(ATTR_THRESHOLD_MULTIPLIER)
        divisor = values.get(ATTR_THRESHOLD_DIVISOR)
        if (
            values.get(ATTR_NUMBER_OF_BLOCK_THRESHOLDS_IN_USE) != count
            or not all(isinstance(raw, int) for raw in raw_thresholds + raw_prices)
            or not isinstance(multiplier, int)
            or not isinstance(divisor, int)
        ):
            return None  # the ESI's blocks are not this price's: show its price
        table = BlockTable(
            thresholds=tuple(
                Decimal(raw) * (multiplier or 1) / (divisor or 1)
                for raw in raw_thresholds
                if isinstance(raw, int)
            ),
            prices=tuple(
                Decimal(raw).scaleb(-price.trailing_digit)
                for raw in raw_prices
                if isinstance(raw, int)
            ),
        )
        self.block_tables[price.issuer_event_id] = table
        return table

    @property
    def shown_price(self) -> Decimal | None:
        """Return the price on the screen: its block's price for the consumption so far."""
        if self.screen is None:
            return None
        table = self.block_tables.get(self.screen.issuer_event_id)
        if table is None:
            return self.screen.value
        return table.price_at(self.consumption)

    @property
    def shown_text(self) -> str | None:
        """Return the screen's price text: "0.30 EUR/kWh"."""
        if self.screen is None or (value := self.shown_price) is None:
            return None
        return f"{value} {self.screen.unit}"

    async def start_up(self) -> None:
        """What the display does once joined: find the ESI, take the time, ask the price."""
        await self.discover_esi()
        await self.sync_time()
        await self.request_current_price()

    # -- frames from the ESI ----------------------------------------------------------

    async def handle_frame(self, frame: RecordedFrame) -> None:
        """Take the Time read's answer (a client's own response, not a command)."""
        if (
            frame.zcl is not None
            and frame.cluster_id in (TIME, PRICE)
            and frame.is_general
            and frame.command_id == READ_ATTRIBUTES_RESPONSE
        ):
            return  # read by ``sync_time`` / ``read_price_attributes``
        await super().handle_frame(frame)

    def _publish_price(self, ctx: CommandContext) -> HandlerResult:
        try:
            price = parse_publish_price(ctx.payload)
        except ValueError, UnicodeDecodeError:
            return foundation.Status.MALFORMED_COMMAND
        if self.utc is None and price.current_time != UTC_INVALID:
            self._set_clock(price.current_time)
        now = self.utc
        start = price.start_time or (now if now is not None else 0)
        price = dataclasses.replace(price, start=start)
        self.prices[price.issuer_event_id] = price
        self._refresh()
        if not price.price_control & CONTROL_ACK_REQUIRED:
            return None
        # "If the acknowledgement is required, send it immediately. Otherwise, a default
        # response is sufficient" (Silicon Labs price-client.c): the acknowledgement, with a
        # sequence number of its own, answers instead of a Default Response
        ack = struct.pack(
            "<IIIB",
            price.provider_id,
            price.issuer_event_id,
            UTC_INVALID if now is None else now,
            price.price_control,
        )
        self.acknowledgements.append(ack)
        self._request(PRICE, CMD_PRICE_ACKNOWLEDGEMENT, ack)
        return NO_RESPONSE

    def _in_force(self, utc: int) -> ReceivedPrice | None:
        in_force = [
            price
            for price in self.prices.values()
            if price.start <= utc and (price.end is None or utc < price.end)
        ]
        return max(in_force, key=lambda price: price.issuer_event_id, default=None)

    def _refresh(self) -> None:
        """Show the price in force; wake up at the next start or end."""
        utc = self.utc
        if utc is None:
            return
        shown = self._in_force(utc)
        if shown is not self.screen:
            self.screen = shown
            self.screen_log.append((utc, None if shown is None else shown.text))
            if (
                shown is not None
                and shown.tail.get("number_of_block_thresholds", 0)
                and shown.issuer_event_id not in self.block_tables
                and self.network is not None
            ):
                self.network.spawn(self.read_block_prices(shown))
        changes = [price.start for price in self.prices.values() if price.start > utc]
        changes += [
            end
            for price in self.prices.values()
            if (end := price.end) is not None and end > utc
        ]
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if changes and self.network is not None:
            self._timer = self.network.clock.call_at(
                self.now + (min(changes) - utc), self._refresh
            )


def in_home_display(
    ieee: str | Any | None = None,
    *,
    messaging: Callable[[SimEndpoint], object] | None = None,
    **kwargs: Any,
) -> InHomeDisplay:
    """An in-home display (mains, rx-on) with Price, Messaging, Metering and Time clients.

    ``messaging`` adds the Messaging client's behaviour (called with the endpoint; its
    result is ``device.messaging``); without it the endpoint has a bare Messaging client.
    """
    device = InHomeDisplay(
        ieee=resolve_ieee(ieee),
        manufacturer="SimCo",
        model="SimInHomeDisplay",
        model_key="se_in_home_display",
        **kwargs,
    )
    endpoint = device.add_endpoint(
        1, profile_id=SE_PROFILE, device_type=DEVICE_TYPE_IN_PREMISE_DISPLAY
    )
    add_basic(endpoint, device)
    endpoint.add_cluster(
        general.Identify, {"identify_time": 0}, volatile=["identify_time"]
    )
    device.setup(endpoint)
    if messaging is not None:
        device.messaging = messaging(endpoint)
    else:
        endpoint.add_output_cluster(smartenergy.Messaging, standard_handlers=False)
    return device


class DisplayStartUp:
    """A display that starts up by itself once joined, in a network on wall time.

    In the dev server (a scaled clock: the network's ``wall_clock`` is set) the display does
    what a real one does after it joined: find the ESI, take the time, ask the current
    price (`InHomeDisplay.start_up`), again every ``retry`` seconds while no ESI answers
    (the host may add its ESI after the join). On a manual clock (the tests) it does
    nothing: tests call ``start_up`` when their scenario wants it.
    """

    #: Real seconds after the join (the host interviews the display first).
    delay = 5.0
    #: Real seconds between attempts while the ESI does not answer.
    retry = 60.0

    def __init__(self, device: InHomeDisplay) -> None:
        """Belong to ``device``."""
        self.device = device
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Joined or powered up: start up soon (wall-time networks only)."""
        self.stop()
        network = self.device.network
        if network is None or network.wall_clock is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # restored outside the event loop: the next join starts it
        self._task = loop.create_task(self._run())

    def stop(self) -> None:
        """Left, powered down or the network stopped."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        await asyncio.sleep(self.delay)
        while True:
            # no answer, or off the air: try again later
            with contextlib.suppress(TimeoutError, RuntimeError):
                await self.device.start_up()
                if self.device.esi_endpoint is not None:
                    return
            await asyncio.sleep(self.retry)


def se_in_home_display(ieee: str | Any | None = None, **kwargs: Any) -> InHomeDisplay:
    """The `MODELS` entry: an in-home display with its Messaging client's behaviour.

    `in_home_display` with ``messaging=DisplayMessagingClient``: it shows the messages the
    ESI sends. In a network whose clock follows wall time the Messaging client's clock is
    set from it (the display's price clock still comes from the ESI). What the display
    received (prices, messages, its Time read) is not persisted: rebuilt from a state
    file it starts empty, as a display after a power cycle. In such a network it also
    starts up by itself once joined (`DisplayStartUp`).
    """
    device = in_home_display(ieee, messaging=DisplayMessagingClient, **kwargs)
    client = device.messaging
    assert isinstance(client, DisplayMessagingClient)
    device.wall_clock_hooks.append(client.set_clock)
    device.services.append(DisplayStartUp(device))
    return device
