"""The meter's side of Metering mirroring: a sleepy meter that pushes its data to an ESI mirror.

Written from the STM32WB Smart Energy app note (seed 001 §10.4.5, [AN]) and the wire reference
(``/work/shared/research/smart_energy_reference.md`` §2.1-§2.2 "Mirroring", [REF]); nothing is
imported from the integration.

[AN §10.4.5]: "An ESI with the ability to act as a mirror provides a mirror discovery endpoint.
This endpoint has ... an instance of the Basic Cluster with the PhysicalEnvironment attribute
set to 1 and a (potentially partial) instance of the Metering Server cluster. A sleepy meter
that requires a mirror discovers the ESI, determines that it has mirroring capacity through
the PhysicalEnvironment attribute and sends a RequestMirror command to the Metering Server
cluster on the discovery endpoint. [The ESI] responds to the Request Mirror command with the
endpoint ID of this new endpoint. The application on the mirroring device then pushes the
contents of its Basic Server and Meter Server cluster to the mirror using Attribute Reports."

So `MirrorClient.start_mirroring`:

1. ZDO Match_Desc_req to the coordinator: profile 0x0109, input clusters [Metering 0x0702];
2. for each endpoint matched, Read Attributes of Basic PhysicalEnvironment (0x0011) there;
   the first one answering 1 ("mirror capacity available") is the discovery endpoint;
3. RequestMirror (Metering server -> client 0x01, no payload) to the discovery endpoint; the
   RequestMirrorResponse (client -> server 0x01, EndPointID uint16 LE, the request's sequence
   number) names the mirror endpoint, 0xFFFF: the ESI cannot mirror [REF §2.2];
4. Report Attributes of its Basic server and Metering server clusters to that endpoint.

From then on the meter's Metering and Basic reports go to the mirror endpoint instead of the
bound one (`report_destination`). `remove_mirror` sends RemoveMirror (server -> client 0x02,
no payload) to the mirror endpoint and takes MirrorRemoved (client -> server 0x02,
RemovedEndPointID uint16) back. The mirror endpoint lives in ``device.state["mirror"]``.

The answers to the meter's own requests (Match_Desc_rsp, Read Attributes Response) are
responses: the meter takes them and sends nothing back (`consumes`).
"""

from __future__ import annotations

import struct
from typing import Any, Final

from zigpy.zcl import foundation

from tests.simulator.device import (
    SE_PROFILE,
    CommandContext,
    HandlerResult,
    RecordedFrame,
    SimCluster,
    SimDevice,
)

BASIC: Final = 0x0000
METERING: Final = 0x0702
PHYSICAL_ENVIRONMENT: Final = 0x0011
#: PhysicalEnvironment in the SE profile: 1 = mirror capacity available [AN §10.4.5].
MIRROR_CAPACITY_AVAILABLE: Final = 0x01
ENUM8: Final = 0x30
CMD_REQUEST_MIRROR: Final = 0x01  # server -> client [REF §2.1]
CMD_REMOVE_MIRROR: Final = 0x02
CMD_REQUEST_MIRROR_RESPONSE: Final = 0x01  # client -> server
CMD_MIRROR_REMOVED: Final = 0x02
#: EndPointID: the ESI cannot mirror / removed none [REF §2.2].
NO_MIRROR: Final = 0xFFFF
_ENDPOINT_ID: Final = struct.Struct("<H")
#: The Basic attributes pushed to the mirror (the mirror's Basic is the meter's copy).
BASIC_PUSHED: Final = ("zcl_version", "manufacturer", "model", "power_source")
#: The Metering attributes pushed: the reading and what it needs to be understood.
METERING_PUSHED: Final = (
    "current_summ_delivered",
    "status",
    "unit_of_measure",
    "multiplier",
    "divisor",
    "summation_formatting",
    "metering_device_type",
)
Direction = foundation.Direction


class MirrorClient:
    """The mirroring behaviour of a meter's Metering server endpoint."""

    def __init__(self, device: SimDevice, endpoint_id: int = 1) -> None:
        """Handle RequestMirrorResponse and MirrorRemoved on ``endpoint_id``'s Metering."""
        self.device = device
        self.endpoint_id = endpoint_id
        #: Every EndPointID the ESI answered: (command id, endpoint id).
        self.answers: list[tuple[int, int]] = []
        metering = self.metering
        metering.on(CMD_REQUEST_MIRROR_RESPONSE, self._mirror_answer)
        metering.on(CMD_MIRROR_REMOVED, self._mirror_answer)

    @property
    def metering(self) -> SimCluster:
        """Return the meter's Metering server."""
        return self.device.cluster(self.endpoint_id, METERING)

    @property
    def basic(self) -> SimCluster:
        """Return the meter's Basic server."""
        return self.device.cluster(self.endpoint_id, BASIC)

    @property
    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.device.state.setdefault(
            "mirror", {"discovery_endpoint": None, "endpoint": None}
        )
        return state

    @property
    def discovery_endpoint(self) -> int | None:
        """Return the ESI's mirror discovery endpoint found, None before."""
        value = self._state["discovery_endpoint"]
        return None if value is None else int(value)

    @property
    def endpoint(self) -> int | None:
        """Return the mirror endpoint the ESI gave, None without a mirror."""
        value = self._state["endpoint"]
        return None if value is None else int(value)

    def _set(self, key: str, value: int | None) -> None:
        self._state[key] = value
        self.device.changed()

    # -- discovery ---------------------------------------------------------------------

    async def discover(self) -> int | None:
        """Find the ESI's discovery endpoint (Match_Desc_req, then PhysicalEnvironment)."""
        candidates = await self.device.match_descriptor(SE_PROFILE, [METERING])
        for endpoint in candidates:
            if await self.read_physical_environment(endpoint) == (
                MIRROR_CAPACITY_AVAILABLE
            ):
                self._set("discovery_endpoint", endpoint)
                return endpoint
        return None

    async def read_physical_environment(
        self, endpoint: int, timeout: float = 2.0
    ) -> int | None:
        """Read Basic PhysicalEnvironment on the ESI's ``endpoint``; None if unsupported."""
        tsn = self.device.next_tsn()
        start = len(self.device.received)
        self.device.send_zcl(
            self.endpoint_id,
            BASIC,
            foundation.GeneralCommand.Read_Attributes,
            struct.pack("<H", PHYSICAL_ENVIRONMENT),
            general=True,
            direction=Direction.Client_to_Server,
            tsn=tsn,
            dst_ep=endpoint,
            profile_id=SE_PROFILE,
        )
        frame = await self._answer(
            start,
            timeout,
            cluster=BASIC,
            tsn=tsn,
            general=True,
            command=foundation.GeneralCommand.Read_Attributes_rsp,
        )
        # one record: attribute id, status, [type, value]
        attrid, status = struct.unpack_from("<HB", frame.payload)
        if attrid != PHYSICAL_ENVIRONMENT or status != 0 or len(frame.payload) < 5:
            return None
        if frame.payload[3] != ENUM8:
            return None
        return int(frame.payload[4])

    # -- RequestMirror / RemoveMirror --------------------------------------------------

    async def request_mirror(
        self, destination: int | None = None, timeout: float = 2.0
    ) -> int:
        """Send RequestMirror; return the EndPointID answered.

        To the discovery endpoint found, or ``destination`` (a meter that asks anyway).
        """
        if destination is None:
            destination = self.discovery_endpoint
        if destination is None:
            raise RuntimeError("no mirror discovery endpoint found yet")
        endpoint_id = await self._command(CMD_REQUEST_MIRROR, destination, timeout)
        self._set("endpoint", None if endpoint_id == NO_MIRROR else endpoint_id & 0xFF)
        return endpoint_id

    async def remove_mirror(self, timeout: float = 2.0) -> int:
        """Send RemoveMirror to the mirror (or discovery) endpoint; return the answer."""
        destination = self.endpoint or self.discovery_endpoint
        if destination is None:
            raise RuntimeError("no mirror and no discovery endpoint")
        endpoint_id = await self._command(CMD_REMOVE_MIRROR, destination, timeout)
        self._set("endpoint", None)
        return endpoint_id

    async def _command(self, command_id: int, destination: int, timeout: float) -> int:
        tsn = self.device.next_tsn()
        start = len(self.device.received)
        self.device.send_zcl(
            self.endpoint_id,
            METERING,
            command_id,
            b"",
            direction=Direction.Server_to_Client,
            tsn=tsn,
            dst_ep=destination,
            profile_id=SE_PROFILE,
        )
        frame = await self._answer(
            start, timeout, cluster=METERING, tsn=tsn, general=False, command=command_id
        )
        if len(frame.payload) != _ENDPOINT_ID.size:
            raise ValueError(f"unexpected answer {frame.data.hex()}")
        (endpoint_id,) = _ENDPOINT_ID.unpack(frame.payload)
        return int(endpoint_id)

    def _mirror_answer(self, ctx: CommandContext) -> HandlerResult:
        """Record a RequestMirrorResponse / MirrorRemoved (the requester reads it)."""
        if len(ctx.payload) != _ENDPOINT_ID.size:
            return foundation.Status.MALFORMED_COMMAND
        (endpoint_id,) = _ENDPOINT_ID.unpack(ctx.payload)
        self.answers.append((int(ctx.header.command_id), int(endpoint_id)))
        return None

    async def _answer(
        self, start: int, timeout: float, **filters: Any
    ) -> RecordedFrame:
        self.device.stay_awake()  # a sleepy meter polls for its answer
        return await self.device._wait_received(start, timeout, **filters)

    # -- pushing to the mirror ---------------------------------------------------------

    async def start_mirroring(self) -> int | None:
        """Discover, request a mirror and push Basic and Metering to it; the endpoint."""
        if await self.discover() is None:
            return None
        await self.request_mirror()
        if self.endpoint is not None:
            self.push()
        return self.endpoint

    def push(self) -> bool:
        """Report the Basic and Metering attributes to the mirror endpoint."""
        endpoint = self.endpoint
        if endpoint is None:
            return False
        ok = True
        for cluster, names in (
            (self.basic, BASIC_PUSHED),
            (self.metering, METERING_PUSHED),
        ):
            attrs = [
                attr
                for attr in cluster.attributes.values()
                if attr.name in names and attr.key in cluster.values
            ]
            ok &= self.device.send_report(cluster, attrs, dst_ep=endpoint)
        return ok

    def report_destination(self, cluster: SimCluster) -> int | None:
        """Return the mirror endpoint for the Metering and Basic servers' reports."""
        if (
            cluster.endpoint.id == self.endpoint_id
            and cluster.is_server
            and cluster.cluster_id in (BASIC, METERING)
        ):
            return self.endpoint
        return None

    def consumes(self, frame: RecordedFrame) -> bool:
        """Return True for an answer to the meter's own discovery requests.

        A Read Attributes Response of Basic and a Default Response are not commands to the
        meter's clusters: it takes them and sends no Default Response back.
        """
        header = frame.zcl
        if header is None or not header.frame_control.is_general:
            return False
        return header.direction == Direction.Server_to_Client and (
            header.command_id
            in (
                foundation.GeneralCommand.Read_Attributes_rsp,
                foundation.GeneralCommand.Default_Response,
            )
            and frame.cluster_id == BASIC
        )
