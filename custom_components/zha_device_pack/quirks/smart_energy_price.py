"""Smart Energy Price (0x0700) on the ESI side: the meter's Price server, heard by HA.

zigpy 2.3.0 defines the Price cluster without commands. Here the ESI's server -> client
PublishPrice carries its raw payload (``zigpy.types.Bytes``: the rest of the frame) and is
decoded by the codec ``protocol.se_price``, which holds the rules; the client -> server
commands (GetCurrentPrice, GetScheduledPrices, PriceAcknowledgement) send codec-encoded
payloads.

Decoded commands reach listeners as zigpy listener events:

- ``se_price_published(PublishPrice) -> Status | None``: an unsolicited PublishPrice, also
  the answers to GetCurrentPrice and GetScheduledPrices. The listener returns how the client
  took it: SUCCESS, or a refusal (DUPLICATE_EXISTS for an issuer event id it already holds,
  FAILURE for an expired or overlapped price: Silicon Labs' price-client.c). A refusal is
  answered with a Default Response carrying it (ZCL: an error status is always reported), a
  success only when the ESI asked for one and no PriceAcknowledgement answers instead.

A frame the codec refuses is logged and dropped.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from zhaquirks.clusters import CustomCluster
from zigpy import types as t
from zigpy.exceptions import DeliveryError
from zigpy.zcl import foundation
from zigpy.zcl.clusters.smartenergy import Price
from zigpy.zcl.foundation import BaseCommandDefs, Status

from ..protocol import se_price
from .exceptions import (
    DEFAULT_RESPONSE,
    CommandRefusedError,
    NoAnswerError,
    raise_if_default_response,
)
from .raw_command import raw_command

_LOGGER = logging.getLogger(__name__)

S2C: Final = se_price.PriceServerToClient
C2S: Final = se_price.PriceClientToServer


class SmartEnergyPrice(CustomCluster, Price):
    """Price (0x0700) with the spec's mandatory commands, payloads through the codec."""

    class ServerCommandDefs(BaseCommandDefs):
        """Client -> server commands (reference §3.2)."""

        get_current_price: Final = raw_command(C2S.GET_CURRENT_PRICE)
        get_scheduled_prices: Final = raw_command(C2S.GET_SCHEDULED_PRICES)
        price_acknowledgement: Final = raw_command(C2S.PRICE_ACKNOWLEDGEMENT)

    class ClientCommandDefs(BaseCommandDefs):
        """Server -> client commands (reference §3.2): the raw payload, for the codec."""

        publish_price: Final = raw_command(S2C.PUBLISH_PRICE)

    def handle_cluster_request(
        self,
        hdr: foundation.ZCLHeader,
        args: Any,
        *,
        dst_addressing: Any = None,
    ) -> None:
        """Decode the ESI's PublishPrice and pass it to the listeners."""
        if (
            hdr.direction != foundation.Direction.Server_to_Client
            or int(hdr.command_id) != S2C.PUBLISH_PRICE
        ):
            super().handle_cluster_request(hdr, args, dst_addressing=dst_addressing)
            return
        payload = bytes(getattr(args, "payload", b""))
        try:
            price = se_price.decode_publish_price(payload)
        except se_price.PriceError as err:
            _LOGGER.warning(
                "%s: PublishPrice refused (%s): %s",
                self.endpoint.device.ieee,
                err,
                payload.hex(),
            )
            return
        statuses = self.listener_event("se_price_published", price)
        status = next((s for s in statuses if s is not None), Status.SUCCESS)
        if status != Status.SUCCESS or not (
            hdr.frame_control.disable_default_response or price.acknowledgement_required
        ):
            self.send_default_rsp(hdr, Status(status))

    async def request_current_price(
        self, *, rx_on_when_idle: bool = True
    ) -> se_price.PublishPrice | None:
        """Send GetCurrentPrice; pass the ESI's PublishPrice on and return it.

        None when the ESI has no price (Default Response NOT_FOUND). The answer carries the
        request's sequence number, so zigpy hands it back here rather than to
        ``handle_cluster_request``.
        """
        options = (
            se_price.GetCurrentPriceOptions.REQUESTOR_RX_ON_WHEN_IDLE
            if rx_on_when_idle
            else se_price.NO_OPTIONS
        )
        payload = se_price.encode_get_current_price(se_price.GetCurrentPrice(options))
        try:
            answer = await self.get_current_price(payload=t.Bytes(payload))
        except (DeliveryError, TimeoutError) as err:
            raise NoAnswerError("the meter did not answer GetCurrentPrice") from err
        if (
            isinstance(answer, DEFAULT_RESPONSE)
            and getattr(answer, "status", None) == Status.NOT_FOUND
        ):
            return None
        raise_if_default_response(answer)
        price = se_price.decode_publish_price(bytes(answer.payload))
        self.listener_event("se_price_published", price)
        return price

    async def request_scheduled_prices(
        self, request: se_price.GetScheduledPrices
    ) -> None:
        """Send GetScheduledPrices; its PublishPrice answers reach the listeners.

        The ESI answers with one PublishPrice per event, each carrying the request's sequence
        number (or a Default Response NOT_FOUND). zigpy 2.3.0 matches an answer to a pending
        request by sequence number (``Device._maybe_match_response``): the first one would
        resolve the request, and every later one arriving before the request's task resumes
        hits the same, already resolved future and is dropped as "probably duplicate
        response". So the request expects no reply: nothing is pending, and every answer
        goes the unsolicited way, through ``handle_cluster_request``, to the listeners.
        """
        payload = se_price.encode_get_scheduled_prices(request)
        try:
            await self.get_scheduled_prices(
                payload=t.Bytes(payload), expect_reply=False
            )
        except (DeliveryError, TimeoutError) as err:
            raise NoAnswerError("the meter did not receive GetScheduledPrices") from err

    async def acknowledge_price(self, ack: se_price.PriceAcknowledgement) -> None:
        """Send PriceAcknowledgement.

        The ESI acknowledges it with a Default Response; an error status there raises
        ``CommandRefusedError``.
        """
        payload = se_price.encode_price_acknowledgement(ack)
        try:
            answer = await self.price_acknowledgement(payload=t.Bytes(payload))
        except (DeliveryError, TimeoutError) as err:
            raise NoAnswerError(
                "the meter did not answer PriceAcknowledgement"
            ) from err
        status = getattr(answer, "status", Status.SUCCESS)
        if isinstance(answer, DEFAULT_RESPONSE) and status != Status.SUCCESS:
            raise CommandRefusedError(Status(status))
