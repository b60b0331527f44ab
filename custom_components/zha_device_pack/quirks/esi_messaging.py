"""Smart Energy Messaging (0x0703) with HA as the ESI: a display's Messaging client, served.

zigpy hands a device's client -> server commands to its *client* cluster object (the frame's
source cluster), so the ESI's Messaging server lives on the display's Messaging client
instances (``quirks/smart_energy_clients.py`` replaces them with this class). The
client -> server commands are decoded by the codec ``protocol.se_messaging`` (reference §5)
and passed to the listeners:

- ``se_last_message_requested(ZCLHeader)``: GetLastMessage; the listener answers with
  ``send_display_message(..., tsn=hdr.tsn)`` or ``send_not_found(hdr)`` (Default Response
  NOT_FOUND, reference §5);
- ``se_message_confirmed(MessageConfirmation)``: MessageConfirmation, acknowledged with a
  Default Response SUCCESS when the device asks for one;
- ``se_message_cancellation_requested(ZCLHeader, GetMessageCancellation)``: the listener
  answers with ``send_cancel_all_messages(..., tsn=hdr.tsn)`` or ``send_not_found``.

A malformed request is answered with a Default Response MALFORMED_COMMAND. The ESI's
server -> client commands (DisplayMessage, CancelMessage, CancelAllMessages) are sent with a
Default Response requested, so a device that refuses one says so (``send_*`` return the
status).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from zigpy import types as t
from zigpy.zcl import foundation
from zigpy.zcl.foundation import Status

from ..protocol import se_messaging
from .esi_endpoint import EsiEndpointMixin
from .raw_command import raw_command
from .smart_energy_messaging import C2S, SmartEnergyMessaging

_LOGGER = logging.getLogger(__name__)


class EsiMessaging(EsiEndpointMixin, SmartEnergyMessaging):
    """A device's Messaging client, served by HA's Messaging server."""

    class ServerCommandDefs(SmartEnergyMessaging.ServerCommandDefs):
        """Client -> server commands, with the SE 1.2a GetMessageCancellation."""

        get_message_cancellation: Final = raw_command(C2S.GET_MESSAGE_CANCELLATION)

    def handle_cluster_request(
        self,
        hdr: foundation.ZCLHeader,
        args: Any,
        *,
        dst_addressing: Any = None,
    ) -> None:
        """Decode the device's requests to the ESI and pass them to the listeners."""
        if hdr.direction != foundation.Direction.Client_to_Server:
            super().handle_cluster_request(hdr, args, dst_addressing=dst_addressing)
            return
        self.dispatch_client_request(
            hdr,
            args,
            {
                C2S.GET_LAST_MESSAGE: self._get_last_message,
                C2S.MESSAGE_CONFIRMATION: self._message_confirmation,
                C2S.GET_MESSAGE_CANCELLATION: self._get_message_cancellation,
            },
            se_messaging.MessagingError,
        )

    def _get_last_message(self, hdr: foundation.ZCLHeader, _payload: bytes) -> bool:
        self.listener_event("se_last_message_requested", hdr)
        return True

    def _message_confirmation(self, _hdr: foundation.ZCLHeader, payload: bytes) -> bool:
        confirmation = se_messaging.decode_message_confirmation(payload)
        self.listener_event("se_message_confirmed", confirmation)
        return False

    def _get_message_cancellation(
        self, hdr: foundation.ZCLHeader, payload: bytes
    ) -> bool:
        request = se_messaging.decode_get_message_cancellation(payload)
        self.listener_event("se_message_cancellation_requested", hdr, request)
        return True

    async def send_display_message(
        self, message: se_messaging.DisplayMessage, *, tsn: int | None = None
    ) -> Status:
        """Send DisplayMessage; return the device's Default Response status.

        With ``tsn`` it answers a GetLastMessage (no Default Response asked for).
        """
        payload = t.Bytes(se_messaging.encode_display_message(message))
        return await self.send_to_client(
            self.ClientCommandDefs.display_message, payload, tsn
        )

    async def send_cancel_message(self, message_id: int) -> Status:
        """Send CancelMessage (control 0x00, reference §5); return the device's status."""
        payload = se_messaging.encode_cancel_message(
            se_messaging.CancelMessage(message_id)
        )
        return await self.send_to_client(
            self.ClientCommandDefs.cancel_message, t.Bytes(payload), None
        )

    async def send_cancel_all_messages(
        self, implementation_time: int, *, tsn: int | None = None
    ) -> Status:
        """Send CancelAllMessages; with ``tsn`` it answers GetMessageCancellation."""
        payload = se_messaging.encode_cancel_all_messages(
            se_messaging.CancelAllMessages(implementation_time)
        )
        return await self.send_to_client(
            self.ClientCommandDefs.cancel_all_messages, t.Bytes(payload), tsn
        )
