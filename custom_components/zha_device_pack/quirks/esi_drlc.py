"""Smart Energy DRLC (0x0701) with HA as the ESI: a load controller's DRLC client, served.

zigpy hands a device's client -> server commands to its *client* cluster object, so the
ESI's DRLC server lives on the load controller's DRLC client instances
(``quirks/smart_energy_clients.py`` replaces them with this class). The client -> server
commands (reference §4.2) are decoded by the codec ``protocol.se_drlc`` and passed on:

- ``se_event_status_reported(ReportEventStatus)``: acknowledged with a Default Response
  SUCCESS when the device asks for one;
- ``se_scheduled_events_requested(ZCLHeader, GetScheduledEvents)``: the listener answers with
  ``send_load_control_event(..., tsn=hdr.tsn)`` per event, or ``send_not_found(hdr)``
  (Default Response NOT_FOUND when there are none, seed 001 §10.1.1).

A malformed request is answered with MALFORMED_COMMAND. The ESI's server -> client commands
are sent with a Default Response requested; ``send_*`` return the device's status.
"""

from __future__ import annotations

import logging
from typing import Any

from zigpy import types as t
from zigpy.zcl import foundation
from zigpy.zcl.foundation import Status

from ..protocol import se_drlc
from .esi_endpoint import EsiEndpointMixin
from .smart_energy_drlc import C2S, SmartEnergyDrlc

_LOGGER = logging.getLogger(__name__)


class EsiDrlc(EsiEndpointMixin, SmartEnergyDrlc):
    """A load controller's DRLC client, served by HA's DRLC server."""

    def handle_cluster_request(
        self,
        hdr: foundation.ZCLHeader,
        args: Any,
        *,
        dst_addressing: Any = None,
    ) -> None:
        """Decode the device's reports and requests and pass them to the listeners."""
        if hdr.direction != foundation.Direction.Client_to_Server:
            super().handle_cluster_request(hdr, args, dst_addressing=dst_addressing)
            return
        self.dispatch_client_request(
            hdr,
            args,
            {
                C2S.REPORT_EVENT_STATUS: self._report_event_status,
                C2S.GET_SCHEDULED_EVENTS: self._get_scheduled_events,
            },
            se_drlc.DrlcError,
        )

    def _report_event_status(self, _hdr: foundation.ZCLHeader, payload: bytes) -> bool:
        report = se_drlc.decode_report_event_status(payload)
        self.listener_event("se_event_status_reported", report)
        return False

    def _get_scheduled_events(self, hdr: foundation.ZCLHeader, payload: bytes) -> bool:
        request = se_drlc.decode_get_scheduled_events(payload)
        self.listener_event("se_scheduled_events_requested", hdr, request)
        return True

    async def send_load_control_event(
        self, event: se_drlc.LoadControlEvent, *, tsn: int | None = None
    ) -> Status:
        """Send LoadControlEvent; with ``tsn`` it answers GetScheduledEvents."""
        payload = t.Bytes(se_drlc.encode_load_control_event(event))
        return await self.send_to_client(
            self.ClientCommandDefs.load_control_event, payload, tsn
        )

    async def send_cancel_load_control_event(
        self, cancel: se_drlc.CancelLoadControlEvent
    ) -> Status:
        """Send CancelLoadControlEvent; return the device's status."""
        payload = t.Bytes(se_drlc.encode_cancel_load_control_event(cancel))
        return await self.send_to_client(
            self.ClientCommandDefs.cancel_load_control_event, payload, None
        )

    async def send_cancel_all_load_control_events(
        self, cancel: se_drlc.CancelAllLoadControlEvents
    ) -> Status:
        """Send CancelAllLoadControlEvents; return the device's status."""
        payload = t.Bytes(se_drlc.encode_cancel_all_load_control_events(cancel))
        return await self.send_to_client(
            self.ClientCommandDefs.cancel_all_load_control_events, payload, None
        )
