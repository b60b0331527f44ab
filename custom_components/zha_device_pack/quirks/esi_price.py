"""Smart Energy Price (0x0700) with HA as the ESI: a device's Price *client*, served by HA.

An in-home display or a thermostat has a Price client; zigpy hands its client -> server
commands to that client cluster object (dispatch by source endpoint), so HA serves the
device here. The payloads go through the codec ``protocol.se_price`` (which holds the
rules); the command definitions are ``SmartEnergyPrice``'s, which has both directions.

Decoded requests reach listeners as zigpy listener events, with the request's ZCL header
so the answer carries its sequence number:

- ``se_get_current_price(hdr, GetCurrentPrice)``: answer with ``answer_prices`` (the current
  price, or Default Response NOT_FOUND);
- ``se_get_scheduled_prices(hdr, GetScheduledPrices)``: likewise, one PublishPrice per event
  with the request's sequence number (reference §3.2 "ESI server behaviour");
- ``se_price_acknowledged(PriceAcknowledgement)``: already acknowledged here with a Default
  Response SUCCESS when the device asked for one.

A request the codec refuses is answered with Default Response MALFORMED_COMMAND; a Price
command HA does not serve (GetBlockPeriods and the SE 1.2a requests) with
UNSUP_CLUSTER_COMMAND, as the ZCL requires of a server without that command.

A Read Attributes of the Price *server* attributes (a display reading the block thresholds
and block prices, reference §3.1) also arrives here. The values come from the listener
event ``se_price_server_attributes() -> {attribute id: (ZclType, value)}`` (the integration
returns ``se_price.price_server_attributes`` of the price in force); an attribute not in
that map is answered UNSUPPORTED_ATTRIBUTE, as is every one without a listener.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
import logging
from typing import Any, Final

from zigpy import types as t
from zigpy.exceptions import DeliveryError
from zigpy.zcl import foundation
from zigpy.zcl.foundation import Status

from ..protocol import se_price
from .esi_endpoint import EsiEndpointMixin
from .exceptions import DEFAULT_RESPONSE, NoAnswerError
from .smart_energy_price import SmartEnergyPrice

_LOGGER = logging.getLogger(__name__)

C2S: Final = se_price.PriceClientToServer

#: zigpy types that serialize each attribute type the Price server answers with.
_ATTRIBUTE_TYPES: Final[dict[se_price.ZclType, Callable[[Any], Any]]] = {
    se_price.ZclType.MAP8: t.uint8_t,
    se_price.ZclType.UINT8: t.uint8_t,
    se_price.ZclType.UINT16: t.uint16_t,
    se_price.ZclType.UINT24: t.uint24_t,
    se_price.ZclType.UINT32: t.uint32_t,
    se_price.ZclType.UINT48: t.uint48_t,
    se_price.ZclType.ENUM8: t.uint8_t,
    se_price.ZclType.OCTET_STRING: t.LVBytes,
}


class EsiPrice(EsiEndpointMixin, SmartEnergyPrice):
    """A device's Price client cluster: HA answers it as the home's ESI."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Start with nobody waiting for an acknowledgement."""
        super().__init__(*args, **kwargs)
        self._ack_waiters: dict[
            tuple[int, int], list[asyncio.Future[se_price.PriceAcknowledgement]]
        ] = {}

    def handle_cluster_request(
        self,
        hdr: foundation.ZCLHeader,
        args: Any,
        *,
        dst_addressing: Any = None,
    ) -> None:
        """Decode the device's request and pass it to the listeners."""
        if hdr.direction != foundation.Direction.Client_to_Server:
            super().handle_cluster_request(hdr, args, dst_addressing=dst_addressing)
            return
        self.dispatch_client_request(
            hdr,
            args,
            {
                C2S.PRICE_ACKNOWLEDGEMENT: self._price_acknowledgement,
                C2S.GET_CURRENT_PRICE: self._get_current_price,
                C2S.GET_SCHEDULED_PRICES: self._get_scheduled_prices,
            },
            se_price.PriceError,
        )

    def _price_acknowledgement(
        self, _hdr: foundation.ZCLHeader, payload: bytes
    ) -> bool:
        self._acknowledged(se_price.decode_price_acknowledgement(payload))
        return False

    def _get_current_price(self, hdr: foundation.ZCLHeader, payload: bytes) -> bool:
        request = se_price.decode_get_current_price(payload)
        self.listener_event("se_get_current_price", hdr, request)
        return True

    def _get_scheduled_prices(self, hdr: foundation.ZCLHeader, payload: bytes) -> bool:
        request = se_price.decode_get_scheduled_prices(payload)
        self.listener_event("se_get_scheduled_prices", hdr, request)
        return True

    def handle_cluster_general_request(
        self,
        hdr: foundation.ZCLHeader,
        args: Any,
        *,
        dst_addressing: Any = None,
    ) -> None:
        """Answer the device's Read Attributes of the Price server attributes."""
        if (
            hdr.command_id != foundation.GeneralCommand.Read_Attributes
            or hdr.direction != foundation.Direction.Client_to_Server
        ):
            super().handle_cluster_general_request(
                hdr, args, dst_addressing=dst_addressing
            )
            return
        served: Mapping[int, se_price.AttributeValue] = next(
            (
                values
                for values in self.listener_event("se_price_server_attributes")
                if values is not None
            ),
            {},
        )
        records = []
        for attrid in args.attribute_ids:
            record = foundation.ReadAttributeRecord(attrid=attrid)
            if (found := served.get(int(attrid))) is None:
                record.status = Status.UNSUPPORTED_ATTRIBUTE
            else:
                zcl_type, value = found
                record.status = Status.SUCCESS
                record.value = foundation.TypeValue(
                    type=t.uint8_t(zcl_type), value=_ATTRIBUTE_TYPES[zcl_type](value)
                )
            records.append(record)
        # a Read Attributes Response answers, never a Default Response
        self.create_catching_task(self.read_attributes_rsp(records, tsn=hdr.tsn))

    async def answer_prices(
        self, hdr: foundation.ZCLHeader, prices: Sequence[se_price.PublishPrice]
    ) -> None:
        """Answer a request with PublishPrice per price (same TSN); none: NOT_FOUND."""
        if not prices:
            await self.general_command(
                foundation.GeneralCommand.Default_Response,
                hdr.command_id,
                Status.NOT_FOUND,
                tsn=hdr.tsn,
            )
            return
        for price in prices:
            await self.publish_price(
                payload=t.Bytes(se_price.encode_publish_price(price)), tsn=hdr.tsn
            )

    async def send_price(
        self, price: se_price.PublishPrice
    ) -> tuple[Status, se_price.PriceAcknowledgement | None]:
        """Send an unsolicited PublishPrice; return how the device took it.

        The frame asks for a Default Response, so HA learns per device whether the price
        arrived and was taken (SUCCESS) or refused (e.g. MALFORMED_COMMAND). When the price
        asks for an acknowledgement the PriceAcknowledgement is the answer instead: Silicon
        Labs' price client sends it "immediately. Otherwise, a default response is
        sufficient" (price-client.c), with a sequence number of its own. So the first of a
        Default Response and that device's PriceAcknowledgement of this event answers:
        (SUCCESS, the acknowledgement) for the latter.
        """
        payload = t.Bytes(se_price.encode_publish_price(price))
        request = asyncio.ensure_future(
            self.publish_price(
                payload=payload, expect_reply=True, disable_default_response=False
            )
        )
        if not price.acknowledgement_required:
            return await self._status(request), None
        key = (price.provider_id, price.issuer_event_id)
        acked: asyncio.Future[se_price.PriceAcknowledgement] = (
            asyncio.get_running_loop().create_future()
        )
        self._ack_waiters.setdefault(key, []).append(acked)
        try:
            await asyncio.wait((request, acked), return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiters = self._ack_waiters.get(key, [])
            if acked in waiters:
                waiters.remove(acked)
            if not waiters:
                self._ack_waiters.pop(key, None)
        if acked.done():
            request.cancel()
            return Status.SUCCESS, acked.result()
        return await self._status(request), None

    async def _status(self, request: asyncio.Future[Any]) -> Status:
        try:
            answer = await request
        except (DeliveryError, TimeoutError) as err:
            raise NoAnswerError("the device did not answer PublishPrice") from err
        if isinstance(answer, DEFAULT_RESPONSE):
            return Status(getattr(answer, "status", Status.FAILURE))
        if (ack := self._as_acknowledgement(answer)) is not None:
            # a device that acknowledges with the PublishPrice's own sequence number: zigpy
            # took it for the answer, so it never reached handle_cluster_request
            self._acknowledged(ack)
        return Status.SUCCESS

    @staticmethod
    def _as_acknowledgement(answer: Any) -> se_price.PriceAcknowledgement | None:
        payload = getattr(answer, "payload", None)
        if payload is None:
            return None
        try:
            return se_price.decode_price_acknowledgement(bytes(payload))
        except se_price.PriceError:
            return None

    def _acknowledged(self, ack: se_price.PriceAcknowledgement) -> None:
        self.listener_event("se_price_acknowledged", ack)
        for waiter in self._ack_waiters.pop((ack.provider_id, ack.issuer_event_id), []):
            if not waiter.done():
                waiter.set_result(ack)
