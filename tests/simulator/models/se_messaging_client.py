"""A Smart Energy Messaging client (0x0703) for a simulated in-home display (the ESI serves it).

Written from the Smart Energy wire reference (``/work/shared/research/smart_energy_reference.md``
§5 Messaging, §6 UTCTime) and seed 002 (Digi X2 ``received_message_event``: status success,
invalid field 0x85 or duplicate exists 0x8A), independently of the integration's codec
(nothing is imported from ``custom_components``). Every integer little-endian.

Server -> client (handled, on the display's *client* cluster):

- DisplayMessage 0x00 / DisplayProtectedMessage 0x02: MessageID uint32, MessageControl map8,
  StartTime UTCTime (0 = now: the receive time), DurationInMinutes uint16 (0xFFFF = until
  changed), Message ZCL string, optional ExtendedMessageControl map8. The message shows from
  its start until its end on the display's clock; one that has ended on receipt is not shown.
  Under 12 bytes, a string longer than the frame or invalid UTF-8: MALFORMED_COMMAND (the
  Digi's 0x85 "invalid field" where the frame parses). An unsolicited DisplayMessage whose
  id is already shown: DUPLICATE_EXISTS (0x8A). ``reject_with`` forces a status (test hook).
- CancelMessage 0x01: MessageID uint32 + MessageControl map8 (5 bytes): the message goes.
- CancelAllMessages 0x03: ImplementationDateTime UTCTime (4 bytes): every message goes.

Client -> server (test hooks, unicast to the display's ESI endpoint, profile 0x0109; the
display finds it and drops Messaging frames from other endpoints, ``se_esi_client``):

- ``request_last_message()``: GetLastMessage 0x00, no payload. The answer (DisplayMessage
  with the same sequence number, or a Default Response NOT_FOUND) lands in the handlers.
- ``confirm(message_id, answer=None, reply=None)``: MessageConfirmation 0x01: MessageID,
  ConfirmationTime (the display's clock); with an answer the SE 1.2a tail: control map8 (bit 0
  NO, bit 1 YES) and response octet string (at most 20 bytes). Default Response requested.
- ``request_message_cancellation(earliest)``: GetMessageCancellation 0x02, UTCTime.

The display keeps a UTC clock on the network's virtual clock (``set_clock``); in a real
network it takes it from the ESI's Time server. Give the class to the in-home display model
(``in_home_display(messaging=DisplayMessagingClient)``) for its Messaging client.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
import struct
from typing import Final

from zigpy.zcl import foundation

from tests.simulator.clock import ClockTimer
from tests.simulator.device import (
    SE_PROFILE,
    CommandContext,
    HandlerResult,
    SimCluster,
    SimDevice,
    SimEndpoint,
)

from .se_esi_client import esi_destination

Status = foundation.Status

MESSAGING: Final = 0x0703
CMD_DISPLAY_MESSAGE: Final = 0x00
CMD_CANCEL_MESSAGE: Final = 0x01
CMD_DISPLAY_PROTECTED_MESSAGE: Final = 0x02
CMD_CANCEL_ALL_MESSAGES: Final = 0x03
CMD_GET_LAST_MESSAGE: Final = 0x00
CMD_MESSAGE_CONFIRMATION: Final = 0x01
CMD_GET_MESSAGE_CANCELLATION: Final = 0x02
DURATION_UNTIL_CHANGED: Final = 0xFFFF
CONFIRM_NO: Final = 0x01
CONFIRM_YES: Final = 0x02
MAX_RESPONSE_BYTES: Final = 20
ZCL_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
_HEAD: Final = struct.Struct("<IBIH")


@dataclasses.dataclass
class ShownMessage:
    """A message on the display: when it shows (UTCTime; end None = until changed)."""

    message_id: int
    text: str
    control: int
    start: int
    end: int | None
    protected: bool = False
    timer: ClockTimer | None = None

    @property
    def importance(self) -> int:
        """Return MessageControl bits 2-3."""
        return (self.control >> 2) & 0x03

    @property
    def confirmation_required(self) -> bool:
        """Return MessageControl bit 7."""
        return bool(self.control & 0x80)


class DisplayMessagingClient:
    """The Messaging client of a display endpoint, with test hooks."""

    def __init__(self, endpoint: SimEndpoint, *, clock: datetime | None = None) -> None:
        """Add the client cluster to ``endpoint`` (a 0x0109 endpoint)."""
        self.endpoint = endpoint
        self.cluster: SimCluster = endpoint.add_output_cluster(
            MESSAGING, standard_handlers=False
        )
        self.cluster.on(CMD_DISPLAY_MESSAGE, self._display)
        self.cluster.on(CMD_DISPLAY_PROTECTED_MESSAGE, self._display)
        self.cluster.on(CMD_CANCEL_MESSAGE, self._cancel)
        self.cluster.on(CMD_CANCEL_ALL_MESSAGES, self._cancel_all)
        self.messages: dict[int, ShownMessage] = {}
        #: Every DisplayMessage payload received (also the rejected ones).
        self.received: list[bytes] = []
        #: Status to answer the next DisplayMessages with (test hook; None: as the spec says).
        self.reject_with: Status | None = None
        self._utc_base = _utc(clock or datetime.now(UTC))
        self._utc_set_at = 0.0
        self._pending_last_message: set[int] = set()

    # -- clock ----------------------------------------------------------------------

    @property
    def device(self) -> SimDevice:
        """Return the display."""
        return self.endpoint.device

    @property
    def utc(self) -> int:
        """Return the display's UTC clock (UTCTime seconds)."""
        return int(self._utc_base + (self.device.now - self._utc_set_at))

    def set_clock(self, when: datetime) -> None:
        """Set the display's UTC clock (from the ESI's Time server in a real network)."""
        self._utc_base = _utc(when)
        self._utc_set_at = self.device.now
        for message in list(self.messages.values()):
            self._arm(message)

    def showing(self) -> list[ShownMessage]:
        """Return the messages on screen now (started, not ended), by start."""
        now = self.utc
        return sorted(
            (
                m
                for m in self.messages.values()
                if m.start <= now and (m.end is None or now < m.end)
            ),
            key=lambda m: (m.start, m.message_id),
        )

    def texts(self) -> list[str]:
        """Return the texts on screen now."""
        return [m.text for m in self.showing()]

    # -- server -> client -----------------------------------------------------------

    def _display(self, ctx: CommandContext) -> HandlerResult:
        data = ctx.payload
        self.received.append(bytes(data))
        answer = int(ctx.header.tsn) in self._pending_last_message
        self._pending_last_message.discard(int(ctx.header.tsn))
        if self.reject_with is not None and not answer:
            return self.reject_with
        if len(data) < _HEAD.size + 1:
            return Status.MALFORMED_COMMAND
        message_id, control, start, duration = _HEAD.unpack_from(data)
        length = data[_HEAD.size]
        text_bytes = data[_HEAD.size + 1 : _HEAD.size + 1 + length]
        if length == 0xFF or len(text_bytes) != length:
            return Status.MALFORMED_COMMAND
        if len(data) > _HEAD.size + 1 + length + 1:
            return Status.MALFORMED_COMMAND
        try:
            text = text_bytes.decode("utf-8")
        except UnicodeDecodeError:
            return Status.MALFORMED_COMMAND
        if message_id in self.messages and not answer:
            return Status.DUPLICATE_EXISTS
        now = self.utc
        real_start = now if start == 0 else start
        end = None if duration == DURATION_UNTIL_CHANGED else real_start + duration * 60
        if end is not None and end <= now:
            return None  # over before it arrived: nothing to show
        self._drop(message_id)
        message = ShownMessage(
            message_id,
            text,
            control,
            real_start,
            end,
            protected=int(ctx.header.command_id) == CMD_DISPLAY_PROTECTED_MESSAGE,
        )
        self.messages[message_id] = message
        self._arm(message)
        return None

    def _cancel(self, ctx: CommandContext) -> HandlerResult:
        if len(ctx.payload) != 5:
            return Status.MALFORMED_COMMAND
        message_id, _control = struct.unpack("<IB", ctx.payload)
        self._drop(message_id)
        return None

    def _cancel_all(self, ctx: CommandContext) -> HandlerResult:
        if len(ctx.payload) != 4:
            return Status.MALFORMED_COMMAND
        for message_id in list(self.messages):
            self._drop(message_id)
        return None

    def _drop(self, message_id: int) -> None:
        message = self.messages.pop(message_id, None)
        if message is not None and message.timer is not None:
            message.timer.cancel()

    def _arm(self, message: ShownMessage) -> None:
        if message.timer is not None:
            message.timer.cancel()
            message.timer = None
        if message.end is None or self.device.network is None:
            return
        delay = message.end - self.utc
        message_id = message.message_id

        def ended() -> None:
            if self.messages.get(message_id) is message:
                del self.messages[message_id]

        message.timer = self.device.network.clock.call_later(delay, ended)

    # -- client -> server -----------------------------------------------------------

    def _send(
        self, command_id: int, payload: bytes, *, default_response: bool = False
    ) -> int:
        tsn = self.device.next_tsn()
        sent = self.device.send_zcl(
            self.endpoint.id,
            MESSAGING,
            command_id,
            payload,
            direction=foundation.Direction.Client_to_Server,
            disable_default_response=not default_response,
            tsn=tsn,
            dst_ep=esi_destination(self.device),
            profile_id=SE_PROFILE,
        )
        if not sent:
            raise RuntimeError(f"{self.device!r} is not on the air")
        return tsn

    def request_last_message(self) -> int:
        """Send GetLastMessage; return its sequence number."""
        tsn = self._send(CMD_GET_LAST_MESSAGE, b"")
        self._pending_last_message.add(tsn)
        return tsn

    def confirm(
        self, message_id: int, answer: bool | None = None, reply: str | None = None
    ) -> int:
        """Send MessageConfirmation (SE 1.2a tail with an answer or a reply)."""
        payload = struct.pack("<II", message_id, self.utc)
        if answer is not None or reply is not None:
            control = 0 if answer is None else (CONFIRM_YES if answer else CONFIRM_NO)
            raw = (reply or "").encode("utf-8")[:MAX_RESPONSE_BYTES]
            payload += bytes((control, len(raw))) + raw
        return self._send(CMD_MESSAGE_CONFIRMATION, payload, default_response=True)

    def request_message_cancellation(self, earliest: int) -> int:
        """Send GetMessageCancellation; return its sequence number."""
        return self._send(CMD_GET_MESSAGE_CANCELLATION, struct.pack("<I", earliest))


def _utc(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int((when - ZCL_EPOCH) // timedelta(seconds=1))
