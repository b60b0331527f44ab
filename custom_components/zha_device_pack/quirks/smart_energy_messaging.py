"""Smart Energy Messaging (0x0703) on the ESI side: the meter's Messaging server, heard by HA.

zigpy 2.3.0 defines the Messaging cluster without commands. Here the ESI's server -> client
commands (DisplayMessage, CancelMessage, DisplayProtectedMessage, CancelAllMessages) carry
their raw payload (``zigpy.types.Bytes``: the rest of the frame) and are decoded by the
codec ``protocol.se_messaging``, which holds the rules; the client -> server commands
(GetLastMessage, MessageConfirmation) send codec-encoded payloads.

Decoded commands reach listeners as zigpy listener events:

- ``se_message_received(DisplayMessage)``: a DisplayMessage or DisplayProtectedMessage, also
  the answer to GetLastMessage;
- ``se_message_cancelled(CancelMessage)``;
- ``se_messages_cancelled_all(CancelAllMessages)``.

A frame the codec refuses is logged and dropped.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from zhaquirks.clusters import CustomCluster
from zigpy import types as t
from zigpy.exceptions import DeliveryError
from zigpy.zcl import foundation
from zigpy.zcl.clusters.smartenergy import Messaging
from zigpy.zcl.foundation import BaseCommandDefs, Status, ZCLCommandDef

from ..protocol import se_messaging
from .exceptions import (
    DEFAULT_RESPONSE,
    CommandRefusedError,
    NoAnswerError,
    raise_if_default_response,
)
from .raw_command import raw_command

_LOGGER = logging.getLogger(__name__)

S2C: Final = se_messaging.ServerToClientCommand
C2S: Final = se_messaging.ClientToServerCommand


class SmartEnergyMessaging(CustomCluster, Messaging):
    """Messaging (0x0703) with the spec's commands, payloads decoded by the codec."""

    class ServerCommandDefs(BaseCommandDefs):
        """Client -> server commands (reference §5)."""

        get_last_message: Final = ZCLCommandDef(
            id=t.uint8_t(C2S.GET_LAST_MESSAGE),  # type: ignore-next
            schema={},  # type: ignore[arg-type]
        )
        message_confirmation: Final = raw_command(C2S.MESSAGE_CONFIRMATION)

    class ClientCommandDefs(BaseCommandDefs):
        """Server -> client commands (reference §5): the raw payload, for the codec."""

        display_message: Final = raw_command(S2C.DISPLAY_MESSAGE)
        cancel_message: Final = raw_command(S2C.CANCEL_MESSAGE)
        display_protected_message: Final = raw_command(S2C.DISPLAY_PROTECTED_MESSAGE)
        cancel_all_messages: Final = raw_command(S2C.CANCEL_ALL_MESSAGES)

    def handle_cluster_request(
        self,
        hdr: foundation.ZCLHeader,
        args: Any,
        *,
        dst_addressing: Any = None,
    ) -> None:
        """Decode the ESI's commands and pass them to the listeners."""
        if hdr.direction != foundation.Direction.Server_to_Client:
            super().handle_cluster_request(hdr, args, dst_addressing=dst_addressing)
            return
        payload = bytes(getattr(args, "payload", b""))
        try:
            self._dispatch(int(hdr.command_id), payload)
        except se_messaging.MessagingError as err:
            _LOGGER.warning(
                "%s: Messaging command 0x%02x refused (%s): %s",
                self.endpoint.device.ieee,
                hdr.command_id,
                err,
                payload.hex(),
            )

    def _dispatch(self, command_id: int, payload: bytes) -> None:
        if command_id in (S2C.DISPLAY_MESSAGE, S2C.DISPLAY_PROTECTED_MESSAGE):
            self.listener_event(
                "se_message_received", se_messaging.decode_display_message(payload)
            )
        elif command_id == S2C.CANCEL_MESSAGE:
            self.listener_event(
                "se_message_cancelled", se_messaging.decode_cancel_message(payload)
            )
        elif command_id == S2C.CANCEL_ALL_MESSAGES:
            self.listener_event(
                "se_messages_cancelled_all",
                se_messaging.decode_cancel_all_messages(payload),
            )

    async def request_last_message(self) -> se_messaging.DisplayMessage | None:
        """Send GetLastMessage; pass the ESI's DisplayMessage on and return it.

        None when the ESI has no message (Default Response NOT_FOUND). The answer carries
        the request's sequence number, so zigpy hands it back here rather than to
        ``handle_cluster_request``.
        """
        try:
            answer = await self.get_last_message()
        except (DeliveryError, TimeoutError) as err:
            raise NoAnswerError("the meter did not answer GetLastMessage") from err
        if (
            isinstance(answer, DEFAULT_RESPONSE)
            and getattr(answer, "status", None) == Status.NOT_FOUND
        ):
            return None
        raise_if_default_response(answer)
        message = se_messaging.decode_display_message(bytes(answer.payload))
        self.listener_event("se_message_received", message)
        return message

    async def confirm_message(self, message_id: int, confirmation_time: int) -> None:
        """Send MessageConfirmation (the SE 1.0 form: message id and time).

        The ESI acknowledges it with a Default Response; an error status there raises
        ``CommandRefusedError``.
        """
        payload = se_messaging.encode_message_confirmation(
            se_messaging.MessageConfirmation(message_id, confirmation_time)
        )
        try:
            answer = await self.message_confirmation(payload=t.Bytes(payload))
        except (DeliveryError, TimeoutError) as err:
            raise NoAnswerError("the meter did not answer MessageConfirmation") from err
        status = getattr(answer, "status", Status.SUCCESS)
        if isinstance(answer, DEFAULT_RESPONSE) and status != Status.SUCCESS:
            raise CommandRefusedError(Status(status))
