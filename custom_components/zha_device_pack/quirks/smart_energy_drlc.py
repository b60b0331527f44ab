"""Smart Energy Demand Response / Load Control (0x0701): the cluster in both directions.

zigpy 2.3.0 defines the DRLC cluster without commands. Here every command carries its raw
payload (``zigpy.types.Bytes``: the rest of the frame) and goes through the codec
``protocol.se_drlc``, which holds the rules:

- server -> client (the ESI's, zigpy's ClientCommandDefs): LoadControlEvent 0x00,
  CancelLoadControlEvent 0x01, CancelAllLoadControlEvents 0x02;
- client -> server (zigpy's ServerCommandDefs): ReportEventStatus 0x00, GetScheduledEvents
  0x01.

On a meter (the ESI) the quirk replaces its DRLC *server*: the ESI's server -> client frames
arrive here and reach listeners as zigpy listener events:

- ``se_load_control_event(LoadControlEvent)``: also each answer to GetScheduledEvents;
- ``se_load_control_cancel(CancelLoadControlEvent)``;
- ``se_load_control_cancel_all(CancelAllLoadControlEvents)``;
- ``se_load_control_rejected(DrlcRejectionError)``: a LoadControlEvent or cancel the client
  must answer with a rejection status (0xFE: start 0xFFFFFFFF, duration over 1440 minutes,
  a control field out of range; 0xF9: cancel effective time 0xFFFFFFFF).

A frame the client must ignore (wrong length, no device class, a reserved criticality level:
reference §4.3 and the Silicon Labs client) is logged and dropped.

GetScheduledEvents is answered by *several* LoadControlEvents carrying the request's
sequence number (reference §4.2). zigpy 2.3.0 resolves a request with the first frame of its
sequence number and swallows later ones as duplicate responses while the request is pending,
so ``request_scheduled_events`` sends without expecting a reply: every answer then arrives in
``handle_cluster_request`` like an unsolicited event, and a Default Response NOT_FOUND (no
events) is a general command zigpy logs and drops.

The ESI role (``quirks/esi_drlc.py``) subclasses this cluster for the client instances of
in-home displays and load controllers.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from zhaquirks.clusters import CustomCluster
from zigpy import types as t
from zigpy.exceptions import DeliveryError
from zigpy.zcl import foundation
from zigpy.zcl.clusters.smartenergy import Drlc
from zigpy.zcl.foundation import BaseCommandDefs, Status

from ..protocol import se_drlc
from .exceptions import DEFAULT_RESPONSE, CommandRefusedError, NoAnswerError
from .raw_command import raw_command

_LOGGER = logging.getLogger(__name__)

S2C: Final = se_drlc.ServerToClientCommand
C2S: Final = se_drlc.ClientToServerCommand


class SmartEnergyDrlc(CustomCluster, Drlc):
    """DRLC (0x0701) with the spec's commands, payloads through the codec."""

    class ServerCommandDefs(BaseCommandDefs):
        """Client -> server commands (reference §4.2)."""

        report_event_status: Final = raw_command(C2S.REPORT_EVENT_STATUS)
        get_scheduled_events: Final = raw_command(C2S.GET_SCHEDULED_EVENTS)

    class ClientCommandDefs(BaseCommandDefs):
        """Server -> client commands (reference §4.2): the raw payload, for the codec."""

        load_control_event: Final = raw_command(S2C.LOAD_CONTROL_EVENT)
        cancel_load_control_event: Final = raw_command(S2C.CANCEL_LOAD_CONTROL_EVENT)
        cancel_all_load_control_events: Final = raw_command(
            S2C.CANCEL_ALL_LOAD_CONTROL_EVENTS
        )

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
        except se_drlc.DrlcRejectionError as err:
            _LOGGER.info(
                "%s: DRLC command 0x%02x rejected (%s): %s",
                self.endpoint.device.ieee,
                hdr.command_id,
                err,
                payload.hex(),
            )
            self.listener_event("se_load_control_rejected", err)
        except se_drlc.DrlcError as err:
            _LOGGER.warning(
                "%s: DRLC command 0x%02x ignored (%s): %s",
                self.endpoint.device.ieee,
                hdr.command_id,
                err,
                payload.hex(),
            )

    def _dispatch(self, command_id: int, payload: bytes) -> None:
        if command_id == S2C.LOAD_CONTROL_EVENT:
            self.listener_event(
                "se_load_control_event", se_drlc.decode_load_control_event(payload)
            )
        elif command_id == S2C.CANCEL_LOAD_CONTROL_EVENT:
            self.listener_event(
                "se_load_control_cancel",
                se_drlc.decode_cancel_load_control_event(payload),
            )
        elif command_id == S2C.CANCEL_ALL_LOAD_CONTROL_EVENTS:
            self.listener_event(
                "se_load_control_cancel_all",
                se_drlc.decode_cancel_all_load_control_events(payload),
            )

    async def report_event_status(self, report: se_drlc.ReportEventStatus) -> None:
        """Send ReportEventStatus (60 bytes: signature type 0 and the dummy signature).

        The ESI acknowledges it with a Default Response; an error status there raises
        ``CommandRefusedError``.
        """
        payload = se_drlc.encode_report_event_status(report)
        try:
            answer = await self.request(
                False,
                C2S.REPORT_EVENT_STATUS,
                self.ServerCommandDefs.report_event_status.schema,
                payload=t.Bytes(payload),
            )
        except (DeliveryError, TimeoutError) as err:
            raise NoAnswerError("the meter did not answer ReportEventStatus") from err
        status = getattr(answer, "status", Status.SUCCESS)
        if isinstance(answer, DEFAULT_RESPONSE) and status != Status.SUCCESS:
            raise CommandRefusedError(Status(status))

    async def request_scheduled_events(
        self, start: int, number: int, issuer_event_id: int | None = None
    ) -> None:
        """Send GetScheduledEvents; the ESI's LoadControlEvents arrive as listener events.

        ``start`` is the minimum end time (0: now), ``number`` the most events wanted
        (0: all). Sent without waiting for an answer, see the module docstring.
        """
        payload = se_drlc.encode_get_scheduled_events(
            se_drlc.GetScheduledEvents(
                start_time=start,
                number_of_events=number,
                issuer_event_id=issuer_event_id,
            )
        )
        try:
            await self.request(
                False,
                C2S.GET_SCHEDULED_EVENTS,
                self.ServerCommandDefs.get_scheduled_events.schema,
                payload=t.Bytes(payload),
                expect_reply=False,
            )
        except DeliveryError as err:
            raise NoAnswerError("the meter did not take GetScheduledEvents") from err
