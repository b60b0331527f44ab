"""A Smart Energy Messaging server (0x0703) for the simulated meters (the ESI side).

Written from the Smart Energy wire reference (``/work/shared/research/smart_energy_reference.md``
§5 Messaging, §6 UTCTime), independently of the integration's codec (nothing is imported from
``custom_components``). Every integer little-endian.

Server -> client (sent by the test hooks, unicast to the coordinator's endpoint 1, profile
0x0109, cluster-specific, server -> client, default response disabled):

- DisplayMessage 0x00: MessageID uint32, MessageControl map8, StartTime UTCTime uint32,
  DurationInMinutes uint16, Message ZCL string (length byte + UTF-8).
- CancelMessage 0x01: MessageID uint32, MessageControl map8 (deprecated: 0x00).
- CancelAllMessages 0x03: ImplementationDateTime UTCTime uint32.

Client -> server (handled):

- GetLastMessage 0x00 (no payload): answered with the last DisplayMessage (same sequence
  number), or a Default Response NOT_FOUND when there is none (none sent yet, or it was
  cancelled).
- MessageConfirmation 0x01: MessageID uint32, ConfirmationTime UTCTime uint32 (SE 1.2a tail:
  control map8 and response string, optional): recorded in ``confirmations``; a Default
  Response SUCCESS when asked for. Malformed (under 8 bytes): MALFORMED_COMMAND.
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Final

from zigpy.zcl import foundation

from tests.simulator.device import (
    SE_PROFILE,
    ClusterResponse,
    CommandContext,
    HandlerResult,
    SimCluster,
    SimEndpoint,
)

MESSAGING: Final = 0x0703
CMD_DISPLAY_MESSAGE: Final = 0x00
CMD_CANCEL_MESSAGE: Final = 0x01
CMD_CANCEL_ALL_MESSAGES: Final = 0x03
CMD_GET_LAST_MESSAGE: Final = 0x00
CMD_MESSAGE_CONFIRMATION: Final = 0x01
#: MessageControl bit 7: the user must confirm the message.
CONTROL_CONFIRMATION_REQUIRED: Final = 0x80
#: DurationInMinutes "until changed".
DURATION_UNTIL_CHANGED: Final = 0xFFFF


@dataclasses.dataclass(frozen=True)
class Confirmation:
    """A MessageConfirmation the server received."""

    message_id: int
    confirmation_time: int
    payload: bytes


def display_message_payload(
    message_id: int, text: str, control: int, start: int, duration: int
) -> bytes:
    """Return a DisplayMessage payload (reference §5 field table)."""
    raw = text.encode("utf-8")
    return (
        struct.pack("<IBIH", message_id, control, start, duration)
        + bytes((len(raw),))
        + raw
    )


class MessagingServer:
    """The Messaging server of one meter endpoint, with test hooks."""

    def __init__(self, endpoint: SimEndpoint) -> None:
        """Add the cluster to ``endpoint`` (a 0x0109 endpoint)."""
        self.endpoint = endpoint
        self.cluster: SimCluster = endpoint.add_cluster(
            MESSAGING, standard_handlers=False
        )
        self.cluster.on(CMD_GET_LAST_MESSAGE, self._get_last_message)
        self.cluster.on(CMD_MESSAGE_CONFIRMATION, self._message_confirmation)
        #: The payload of the last DisplayMessage still in force (None: none).
        self.last_message: bytes | None = None
        self.last_message_id: int | None = None
        self.confirmations: list[Confirmation] = []

    def _send(self, command_id: int, payload: bytes) -> bool:
        return self.endpoint.device.send_zcl(
            self.endpoint.id,
            MESSAGING,
            command_id,
            payload,
            direction=foundation.Direction.Server_to_Client,
            dst_ep=1,
            profile_id=SE_PROFILE,
        )

    def display_message(
        self,
        message_id: int,
        text: str,
        control: int = 0,
        start: int = 0,
        duration: int = DURATION_UNTIL_CHANGED,
    ) -> bool:
        """Send DisplayMessage to the coordinator; it becomes the last message."""
        payload = display_message_payload(message_id, text, control, start, duration)
        self.last_message = payload
        self.last_message_id = message_id
        return self._send(CMD_DISPLAY_MESSAGE, payload)

    def cancel_message(self, message_id: int) -> bool:
        """Send CancelMessage (control 0x00); a cancelled last message is no longer sent."""
        if message_id == self.last_message_id:
            self.last_message = self.last_message_id = None
        return self._send(CMD_CANCEL_MESSAGE, struct.pack("<IB", message_id, 0))

    def cancel_all(self, implementation_time: int = 0) -> bool:
        """Send CancelAllMessages; no last message afterwards."""
        self.last_message = self.last_message_id = None
        return self._send(
            CMD_CANCEL_ALL_MESSAGES, struct.pack("<I", implementation_time)
        )

    def _get_last_message(self, ctx: CommandContext) -> HandlerResult:
        if self.last_message is None:
            return foundation.Status.NOT_FOUND
        return ClusterResponse(CMD_DISPLAY_MESSAGE, self.last_message)

    def _message_confirmation(self, ctx: CommandContext) -> HandlerResult:
        if len(ctx.payload) < 8:
            return foundation.Status.MALFORMED_COMMAND
        message_id, when = struct.unpack_from("<II", ctx.payload)
        self.confirmations.append(Confirmation(message_id, when, bytes(ctx.payload)))
        return None
