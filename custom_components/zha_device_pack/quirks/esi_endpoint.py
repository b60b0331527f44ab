"""The ESI's own Smart Energy endpoint: where the home's Smart Energy clients find HA's ESI.

An in-home display or a load controller looks for its ESI with ZDO service discovery: a
Match_Desc_req to the coordinator (profile 0x0109 or the wildcard 0xFFFF, the server
clusters it needs as input clusters), then it talks to the endpoint in the answer and takes
the ESI's commands from there (seed 001 §9.1: devices "query the ESI"; §10.1-§10.5: the ESI
hosts the Time, DRLC, Messaging and Price servers). zigpy 2.3.0 answers every Match_Desc_req
of another profile than 0x0104 with an empty list (``zigpy.zdo.ZDO.handle_match_desc_req``),
answers no Simple_Desc_req at all (the ZDO has no handler for it: only a
``zdo_simple_desc_req`` listener event), and sends every frame of a device's cluster from the
coordinator endpoint numbered like the device's endpoint (``zigpy.endpoint.Endpoint.request``
and ``.reply`` pass ``src_ep=dst_ep=`` the device's endpoint id to ``Device.request``).

So, here, for the devices on ``SmartEnergyZigpyDevice`` (``smart_energy.py``, whose
``packet_received`` calls ``answer_coordinator_zdo`` before zigpy's own handling, and whose
``request`` asks ``esi_source`` which endpoint a frame leaves from):

- **Match_Desc_req** (NWKAddrOfInterest the coordinator or a broadcast) is answered once, with
  every coordinator Smart Energy endpoint that matches as the Zigbee spec says (the profile or
  the wildcard, a requested input cluster among the endpoint's servers): the ESI endpoint for
  a device HA serves as the ESI (Time 0x000A, Price 0x0700, DRLC 0x0701, Messaging 0x0703;
  Key Establishment 0x0800 is not hosted: CBKE is out of scope), the mirror discovery
  endpoint (``smart_energy_mirror``) for a meter. Nothing matched: zigpy answers as before.
- **Simple_Desc_req** for the ESI endpoint: profile 0x0109, device id ESI 0x0500, version 0,
  input clusters Basic, Time, Price, DRLC, Messaging, no output clusters. Match_Desc does not
  match Basic alone: every endpoint has one, and a Basic match is what a meter's mirror
  discovery asks for (answered with the discovery endpoint, whose Basic carries
  PhysicalEnvironment).
- Every frame an ESI cluster (``EsiEndpointMixin``: ``EsiPrice``, ``EsiMessaging``, ``EsiDrlc``,
  ``EsiTime``) sends to a device's Smart Energy endpoint (answers, Default Responses, Read
  Attributes Responses and unsolicited commands alike) leaves from the ESI endpoint, profile
  0x0109: a client that addresses the ESI there takes its answers from there.

The endpoint is 0x5E, the Digi ConnectPort X2's "standard SE endpoint" (seed 002: every
Price, DRLC and Messaging RPC "defaults to the standard SE endpoint (0x5E)"), so a client made
against that ESI finds it where it expects it. It clashes with nothing on the coordinator:
zigpy registers 1 (HA) and 2 (ZLL) on every radio and uses 242 for Green Power, the XBee has
0xE6 and 0xE8, the mirrors take 0x40-0x50, 0xF1-0xFE are reserved.

How frames leave from it (zigpy 2.3.0 code paths, checked by ``tests/esi/test_discovery.py``):
``Cluster.request`` / ``Cluster.reply`` (which every command, Default Response and Read
Attributes Response of a cluster goes through) call ``Endpoint.request`` / ``.reply``, which call
``Device.request`` (``Device.reply`` calls it too) with the endpoint's profile and
``src_ep=dst_ep=`` the endpoint id. ``EsiEndpointMixin`` marks the sending cluster in a context
variable around zigpy's own ``request`` / ``reply`` (the send runs in the same asyncio task, and
a task started elsewhere has its own context), and ``SmartEnergyZigpyDevice.request`` replaces
``src_ep`` with the ESI endpoint for that cluster's frame only. No zigpy code is copied.

The answers depend on the integration: the ESI family installs itself (``install``) while it
runs; without it no discovery is answered here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
import logging
from typing import TYPE_CHECKING, Any, Final

from zigpy import types as t
from zigpy.exceptions import DeliveryError
from zigpy.zcl import Cluster, foundation
from zigpy.zcl.foundation import Status, ZCLCommandDef
import zigpy.zdo.types as zdo_t

from . import smart_energy_mirror
from .exceptions import DEFAULT_RESPONSE
from .smart_energy_mirror import BASIC, SMART_ENERGY_PROFILE

if TYPE_CHECKING:
    import zigpy.device

_LOGGER = logging.getLogger(__name__)

WILDCARD_PROFILE: Final = 0xFFFF
#: The ESI endpoint on the coordinator (the Digi X2's standard SE endpoint, seed 002).
ESI_ENDPOINT: Final = 0x5E
#: Smart Energy device id of an Energy Service Interface.
DEVICE_ID_ESI: Final = 0x0500
TIME: Final = 0x000A
PRICE: Final = 0x0700
DRLC: Final = 0x0701
MESSAGING: Final = 0x0703
#: The servers the ESI hosts, what a client's Match_Desc_req asks for.
ESI_SERVERS: Final = frozenset({TIME, PRICE, DRLC, MESSAGING})
#: The ESI endpoint's input (server) clusters in its simple descriptor, ascending.
ESI_IN_CLUSTERS: Final = (BASIC, TIME, PRICE, DRLC, MESSAGING)
#: NWKAddrOfInterest naming the coordinator in a Match_Desc_req: itself and the broadcasts.
_COORDINATOR_NWK: Final = 0x0000
_BROADCASTS: Final = frozenset({0xFFFF, 0xFFFD, 0xFFFC})
#: What the mirror discovery endpoint hosts (input = server clusters).
_DISCOVERY_IN_CLUSTERS: Final = frozenset(
    {smart_energy_mirror.BASIC, smart_energy_mirror.METERING}
)

_installed: list[object] = []


def install(owner: object) -> None:
    """Answer discovery for the ESI endpoint (the ESI family's start)."""
    _installed[:] = [owner]


def uninstall(owner: object) -> None:
    """Stop answering discovery for ``owner`` (the ESI family's stop)."""
    if owner in _installed:
        _installed.remove(owner)


def installed() -> bool:
    """Return True while an ESI runs."""
    return bool(_installed)


# --- frames from the ESI endpoint ----------------------------------------------------------

#: The ESI cluster whose ``request`` / ``reply`` is running in this task (None: none).
_sending: ContextVar[Cluster | None] = ContextVar(
    "zha_device_pack_esi_sending", default=None
)

if TYPE_CHECKING:
    _ClusterBase = Cluster
else:
    _ClusterBase = object


class EsiEndpointMixin(_ClusterBase):
    """A device's client cluster served by the ESI: its frames leave from the ESI endpoint.

    Put it first in the bases of a zigpy cluster class. The frame itself is zigpy's; only
    the source endpoint changes (``esi_source``), and only on a device whose class asks.
    """

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        """Send through zigpy's ``Cluster.request``, from the ESI endpoint."""
        token = _sending.set(self)
        try:
            return await super().request(*args, **kwargs)
        finally:
            _sending.reset(token)

    async def reply(self, *args: Any, **kwargs: Any) -> Any:
        """Send through zigpy's ``Cluster.reply``, from the ESI endpoint.

        zigpy annotates it ``-> None`` but returns the answer of a reply sent with
        ``expect_reply=True`` (a command with a Default Response wanted): passed on.
        """
        token = _sending.set(self)
        try:
            return await super().reply(*args, **kwargs)
        finally:
            _sending.reset(token)

    def dispatch_client_request(
        self,
        hdr: foundation.ZCLHeader,
        args: Any,
        handlers: Mapping[int, Callable[[foundation.ZCLHeader, bytes], bool]],
        error: type[Exception],
    ) -> None:
        """Decode a device's client -> server request with its handler and answer it.

        A handler decodes the payload through the codec and passes it on; it returns True
        when the request gets its own answer (a command with the request's sequence number,
        or NOT_FOUND), else a Default Response SUCCESS follows unless the device disabled
        it. No handler: UNSUP_CLUSTER_COMMAND; a payload the codec refuses: MALFORMED_COMMAND.
        """
        command_id = int(hdr.command_id)
        payload = bytes(getattr(args, "payload", b""))
        if (handler := handlers.get(command_id)) is None:
            self.send_default_rsp(hdr, Status.UNSUP_CLUSTER_COMMAND)
            return
        try:
            answered = handler(hdr, payload)
        except error as err:
            _LOGGER.warning(
                "%s: %s request 0x%02x refused (%s): %s",
                self.endpoint.device.ieee,
                self.name,
                command_id,
                err,
                payload.hex(),
            )
            self.send_default_rsp(hdr, Status.MALFORMED_COMMAND)
            return
        if not answered and not hdr.frame_control.disable_default_response:
            self.send_default_rsp(hdr, Status.SUCCESS)

    def send_not_found(self, hdr: foundation.ZCLHeader) -> None:
        """Answer a request with a Default Response NOT_FOUND (nothing to send)."""
        self.send_default_rsp(hdr, Status.NOT_FOUND)

    async def send_to_client(
        self, command: ZCLCommandDef, payload: t.Bytes, tsn: int | None
    ) -> Status:
        """Send a server -> client command; return the device's Default Response status.

        With ``tsn`` it answers the device's request: the request's sequence number, no
        Default Response asked for (SUCCESS is returned). Without, a Default Response is
        asked for, so the device says whether it took the command.
        """
        if tsn is not None:
            await self.client_command(
                command.id, payload=payload, tsn=tsn, disable_default_response=True
            )
            return Status.SUCCESS
        answer = await self.client_command(
            command.id,
            payload=payload,
            expect_reply=True,
            disable_default_response=False,
        )
        if isinstance(answer, DEFAULT_RESPONSE):
            return Status(getattr(answer, "status", Status.SUCCESS))
        return Status.SUCCESS


def esi_source(device: zigpy.device.Device, cluster_id: int, src_ep: int) -> bool:
    """Return True when the frame ``device.request`` sends now is an ESI cluster's.

    That is: an ``EsiEndpointMixin`` cluster of this device is sending, the frame is of its
    cluster from its endpoint (what ``Endpoint.request`` passes), and the endpoint is a
    Smart Energy one (a Time client on a Home Automation endpoint keeps zigpy's addressing:
    such a device reads the time from endpoint 1).
    """
    sender = _sending.get()
    if sender is None:
        return False
    endpoint = sender.endpoint
    return (
        endpoint.device is device
        and sender.cluster_id == cluster_id
        and endpoint.endpoint_id == src_ep
        and endpoint.profile_id == SMART_ENERGY_PROFILE
    )


def serves(device: zigpy.device.Device) -> bool:
    """Return True for a device with an ESI cluster on a Smart Energy endpoint."""
    return any(
        isinstance(cluster, EsiEndpointMixin)
        for endpoint_id, endpoint in device.endpoints.items()
        if endpoint_id != 0 and endpoint.profile_id == SMART_ENERGY_PROFILE
        for cluster in endpoint.out_clusters.values()
    )


# --- ZDO: Match_Desc_req and Simple_Desc_req -----------------------------------------------


def answer_coordinator_zdo(
    device: zigpy.device.Device, packet: t.ZigbeePacket, *, meter: bool
) -> bool:
    """Answer a device's service discovery of the coordinator's SE endpoints; True if done.

    ``meter``: the device is a Smart Energy meter (it may look for the mirror discovery
    endpoint). False: zigpy handles the frame as usual.
    """
    if packet.src_ep != 0 or packet.dst_ep != 0:
        return False
    if packet.cluster_id == zdo_t.ZDOCmd.Match_Desc_req:
        return _match_desc(device, packet, meter=meter)
    if packet.cluster_id == zdo_t.ZDOCmd.Simple_Desc_req:
        return _simple_desc(device, packet)
    return False


def _endpoints(
    device: zigpy.device.Device, *, meter: bool
) -> list[tuple[int, frozenset[int]]]:
    """Return the coordinator's SE endpoints for ``device``: (endpoint, servers matched)."""
    endpoints: list[tuple[int, frozenset[int]]] = []
    if meter and smart_energy_mirror.installed() is not None:
        endpoints.append(
            (smart_energy_mirror.DISCOVERY_ENDPOINT, _DISCOVERY_IN_CLUSTERS)
        )
    if installed() and serves(device):
        endpoints.append((ESI_ENDPOINT, ESI_SERVERS))
    return endpoints


def _match_desc(
    device: zigpy.device.Device, packet: t.ZigbeePacket, *, meter: bool
) -> bool:
    try:
        hdr, (nwk, profile, in_clusters, _out_clusters) = device.zdo.deserialize(
            packet.cluster_id, packet.data.serialize()
        )
    except ValueError, KeyError:
        return False
    if int(profile) not in (SMART_ENERGY_PROFILE, WILDCARD_PROFILE) or (
        int(nwk) != _COORDINATOR_NWK and int(nwk) not in _BROADCASTS
    ):
        return False
    wanted = {int(cluster) for cluster in in_clusters}
    matches = [
        endpoint
        for endpoint, servers in _endpoints(device, meter=meter)
        if not servers.isdisjoint(wanted)
    ]
    if not matches:
        return False
    _LOGGER.debug("%s: Match_Desc_req answered with %s", device.ieee, matches)
    _send(
        device,
        device.zdo.Match_Desc_rsp(
            zdo_t.Status.SUCCESS,
            device.application.state.node_info.nwk,
            [t.uint8_t(endpoint) for endpoint in matches],
            tsn=hdr.tsn,
        ),
    )
    return True


def _simple_desc(device: zigpy.device.Device, packet: t.ZigbeePacket) -> bool:
    try:
        hdr, (nwk, endpoint) = device.zdo.deserialize(
            packet.cluster_id, packet.data.serialize()
        )
    except ValueError, KeyError:
        return False
    coordinator = device.application.state.node_info.nwk
    if (
        int(endpoint) != ESI_ENDPOINT
        or int(nwk) != int(coordinator)
        or not (installed() and serves(device))
    ):
        return False
    descriptor = zdo_t.SizePrefixedSimpleDescriptor(
        endpoint=ESI_ENDPOINT,
        profile=SMART_ENERGY_PROFILE,
        device_type=DEVICE_ID_ESI,
        device_version=0,
        input_clusters=list(ESI_IN_CLUSTERS),
        output_clusters=[],
    )
    _send(
        device,
        device.zdo.Simple_Desc_rsp(
            zdo_t.Status.SUCCESS, coordinator, descriptor, tsn=hdr.tsn
        ),
    )
    return True


def _send(device: zigpy.device.Device, sending: Awaitable[object]) -> None:
    async def send() -> None:
        try:
            await sending
        except (DeliveryError, TimeoutError) as err:
            _LOGGER.debug(
                "%s: ESI discovery answer not delivered: %s", device.ieee, err
            )

    device.create_task(send(), name=f"ESI discovery answer {device.ieee}")
