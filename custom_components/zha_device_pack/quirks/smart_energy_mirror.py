"""Metering mirrors: the coordinator as the ESI that mirrors sleepy meters (seed 001 §10.4.5).

A sleepy (battery) gas or water meter is rarely awake, so it pushes its readings to a *mirror*
on the ESI instead of being read. The ESI offers a **mirror discovery endpoint**: a Basic server
whose PhysicalEnvironment (0x0011) is 1 while mirror capacity is available, and a Metering
server. The meter finds it with ZDO Match_Desc_req (profile 0x0109, Metering in its input
clusters), reads PhysicalEnvironment there, and sends RequestMirror (Metering server -> client
0x01, no payload). The ESI answers RequestMirrorResponse (client -> server 0x01) with the
EndPointID of a new mirror endpoint, 0xFFFF when it cannot mirror; the meter then sends its
Basic and Metering attribute reports to that endpoint. RemoveMirror (server -> client 0x02) is
answered with MirrorRemoved (client -> server 0x02, the endpoint removed, 0xFFFF: none).
Payloads: ``protocol.metering`` (reference §2.2 "Mirroring").

zigpy dispatches a received frame by its *source* device, and zigpy 2.3.0 answers every
Match_Desc_req of another profile than 0x0104 with an empty list. So the coordinator's side of
the exchange is answered from the meter's device object (``SmartEnergyZigpyDevice`` calls
``answer_mirror_frame`` before zigpy's own handling): the meter's reads of the discovery
endpoint's Basic cluster, and RequestMirror / RemoveMirror addressed to the discovery or a
mirror endpoint, here; its Match_Desc_req in ``esi_endpoint`` (one answer for every
coordinator Smart Energy endpoint that matches: this discovery endpoint, the ESI's). The meter's reports to its mirror go on to zigpy, which hands
them to the meter's own Metering cluster: the meter's entities show them.

The allocation (meter -> mirror endpoint) is a ``MirrorTable`` the integration owns, keeps
across restarts and installs here (``install``); without one nothing is answered here.

Endpoints: the discovery endpoint is 0x40, mirrors take 0x41-0x50 (16, in the spirit of Silicon
Labs' meter-mirror plugin, a fixed block from a start endpoint). zigpy registers 1 (HA) and 2
(ZLL) on every radio and uses 242 for Green Power; the XBee has 0xE6 and 0xE8; 0xF1-0xFE are
reserved. Nothing on the coordinator uses 0x40-0x50.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
import logging
from typing import TYPE_CHECKING, Final

from zigpy import types as t
from zigpy.exceptions import DeliveryError
from zigpy.zcl import foundation

from ..protocol import metering

if TYPE_CHECKING:
    import zigpy.device

_LOGGER = logging.getLogger(__name__)

SMART_ENERGY_PROFILE: Final = 0x0109
BASIC: Final = 0x0000
METERING: Final = 0x0702
#: Basic PhysicalEnvironment in the Smart Energy profile: 1 mirror capacity available, 0 not.
PHYSICAL_ENVIRONMENT: Final = 0x0011
MIRROR_CAPACITY_AVAILABLE: Final = 0x01
NO_MIRROR_CAPACITY: Final = 0x00
#: Metering server -> client commands of the mirror (reference §2.1).
REQUEST_MIRROR: Final = 0x01
REMOVE_MIRROR: Final = 0x02
#: Their answers, client -> server.
REQUEST_MIRROR_RESPONSE: Final = 0x01
MIRROR_REMOVED: Final = 0x02

DISCOVERY_ENDPOINT: Final = 0x40
MIRROR_ENDPOINTS: Final = range(0x41, 0x51)


class MirrorTable:
    """The coordinator's mirrors: meter IEEE -> mirror endpoint.

    A meter that asks again keeps its endpoint (its reports may still be on the way to it);
    a new one gets the lowest free endpoint of ``MIRROR_ENDPOINTS``. ``on_change`` is called
    after every change, ``on_refused`` when a RequestMirror finds no free endpoint.
    """

    def __init__(
        self,
        on_change: Callable[[], None],
        on_refused: Callable[[t.EUI64], None],
        endpoints: range = MIRROR_ENDPOINTS,
    ) -> None:
        """Start with no mirror."""
        self._on_change = on_change
        self._on_refused = on_refused
        self.endpoints = endpoints
        self._mirrors: dict[t.EUI64, int] = {}

    def restore(self, mirrors: Mapping[t.EUI64, int]) -> None:
        """Take stored mirrors (endpoints outside the range or taken twice are dropped)."""
        self._mirrors = {}
        for ieee, endpoint in mirrors.items():
            if endpoint in self.endpoints and endpoint not in self._mirrors.values():
                self._mirrors[ieee] = endpoint

    @property
    def mirrors(self) -> dict[t.EUI64, int]:
        """Return the mirrors (a copy)."""
        return dict(self._mirrors)

    def endpoint_of(self, ieee: t.EUI64) -> int | None:
        """Return the meter's mirror endpoint, None without a mirror."""
        return self._mirrors.get(ieee)

    def is_mirror(self, endpoint: int) -> bool:
        """Return True for an endpoint that mirrors a meter now."""
        return endpoint in self._mirrors.values()

    @property
    def has_capacity(self) -> bool:
        """Return True while a new meter can get a mirror."""
        return len(self._mirrors) < len(self.endpoints)

    def request(self, ieee: t.EUI64) -> int:
        """Return the meter's mirror endpoint, made if needed; MIRROR_NOT_POSSIBLE if full."""
        if (endpoint := self._mirrors.get(ieee)) is not None:
            return endpoint
        used = set(self._mirrors.values())
        free = next((ep for ep in self.endpoints if ep not in used), None)
        if free is None:
            self._on_refused(ieee)
            return metering.MIRROR_NOT_POSSIBLE
        self._mirrors[ieee] = free
        self._on_change()
        return free

    def remove(self, ieee: t.EUI64) -> int:
        """Remove the meter's mirror; return its endpoint, MIRROR_NOT_POSSIBLE if none."""
        endpoint = self._mirrors.pop(ieee, None)
        if endpoint is None:
            return metering.MIRROR_NOT_POSSIBLE
        self._on_change()
        return endpoint


_installed: list[MirrorTable] = []


def install(table: MirrorTable) -> None:
    """Make ``table`` the coordinator's mirrors (the integration's start)."""
    _installed[:] = [table]


def uninstall(table: MirrorTable) -> None:
    """Stop answering for ``table`` (the integration's unload); another one stays."""
    if table in _installed:
        _installed.remove(table)


def installed() -> MirrorTable | None:
    """Return the table in use, None while the integration is not running."""
    return _installed[0] if _installed else None


def answer_mirror_frame(device: zigpy.device.Device, packet: t.ZigbeePacket) -> bool:
    """Answer a meter's frame for the coordinator's mirror endpoints; True when handled.

    Called with every frame a meter sends (Smart Energy frames already relabelled 0x0104 by
    ``SmartEnergyZigpyDevice``). Returns False for everything zigpy should handle as usual,
    including the meter's reports to its mirror, and for ZDO frames (its Match_Desc_req is
    ``esi_endpoint.answer_coordinator_zdo``'s).
    """
    table = installed()
    if table is None or (packet.src_ep == 0 and packet.dst_ep == 0):
        return False
    dst_ep = packet.dst_ep
    if dst_ep is None or (dst_ep != DISCOVERY_ENDPOINT and not table.is_mirror(dst_ep)):
        return False
    try:
        hdr, payload = foundation.ZCLHeader.deserialize(packet.data.serialize())
    except ValueError:
        return False
    if packet.cluster_id == BASIC and dst_ep == DISCOVERY_ENDPOINT:
        return _read_physical_environment(device, table, packet, hdr, payload)
    if (
        packet.cluster_id == METERING
        and hdr.frame_control.is_cluster
        and hdr.direction == foundation.Direction.Server_to_Client
        and hdr.command_id in _MIRROR_COMMANDS
    ):
        _mirror_command(device, table, packet, hdr, payload)
        return True
    return False


def _read_physical_environment(
    device: zigpy.device.Device,
    table: MirrorTable,
    packet: t.ZigbeePacket,
    hdr: foundation.ZCLHeader,
    payload: bytes,
) -> bool:
    """Answer Read Attributes of the discovery endpoint's Basic: PhysicalEnvironment only."""
    if not (
        hdr.frame_control.is_general
        and hdr.command_id == foundation.GeneralCommand.Read_Attributes
        and hdr.direction == foundation.Direction.Client_to_Server
    ):
        return False
    try:
        attribute_ids, _ = t.List[t.uint16_t].deserialize(payload)
    except ValueError:
        return False
    capacity = MIRROR_CAPACITY_AVAILABLE if table.has_capacity else NO_MIRROR_CAPACITY
    records = [
        foundation.ReadAttributeRecord(
            attrid=attrid,
            status=foundation.Status.SUCCESS,
            value=foundation.TypeValue(
                type=foundation.DataTypeId.enum8, value=t.enum8(capacity)
            ),
        )
        if attrid == PHYSICAL_ENVIRONMENT
        else foundation.ReadAttributeRecord(
            attrid=attrid, status=foundation.Status.UNSUPPORTED_ATTRIBUTE
        )
        for attrid in attribute_ids
    ]
    answer = foundation.GENERAL_COMMANDS[
        foundation.GeneralCommand.Read_Attributes_rsp
    ].schema(status_records=records)
    _reply(
        device,
        packet,
        foundation.ZCLHeader.general(
            hdr.tsn,
            foundation.GeneralCommand.Read_Attributes_rsp,
            direction=foundation.Direction.Server_to_Client,
        ),
        answer.serialize(),
    )
    return True


_MIRROR_COMMANDS: Final[dict[int, tuple[int, Callable[[bytes], None], str]]] = {
    REQUEST_MIRROR: (
        REQUEST_MIRROR_RESPONSE,
        metering.decode_request_mirror,
        "RequestMirror",
    ),
    REMOVE_MIRROR: (MIRROR_REMOVED, metering.decode_remove_mirror, "RemoveMirror"),
}


def _mirror_command(
    device: zigpy.device.Device,
    table: MirrorTable,
    packet: t.ZigbeePacket,
    hdr: foundation.ZCLHeader,
    payload: bytes,
) -> None:
    answer_id, decode, name = _MIRROR_COMMANDS[int(hdr.command_id)]
    try:
        decode(payload)
    except metering.MeteringError as err:
        _LOGGER.warning("%s: %s refused: %s", device.ieee, name, err)
        return
    if answer_id == REQUEST_MIRROR_RESPONSE:
        endpoint = table.request(device.ieee)
        data = metering.encode_request_mirror_response(endpoint)
    else:
        endpoint = table.remove(device.ieee)
        data = metering.encode_mirror_removed(endpoint)
    _LOGGER.debug("%s: %s -> endpoint 0x%04x", device.ieee, name, endpoint)
    answer = foundation.ZCLHeader(
        frame_control=foundation.FrameControl(
            frame_type=foundation.FrameType.CLUSTER_COMMAND,
            is_manufacturer_specific=False,
            direction=foundation.Direction.Client_to_Server,
            # an answer: no Default Response wanted (as zigpy's replies)
            disable_default_response=True,
            reserved=0,
        ),
        tsn=hdr.tsn,
        command_id=answer_id,
    )
    _reply(device, packet, answer, data)


def _reply(
    device: zigpy.device.Device,
    packet: t.ZigbeePacket,
    hdr: foundation.ZCLHeader,
    payload: bytes,
) -> None:
    """Send a ZCL answer from the endpoint the meter addressed, on the Smart Energy profile."""
    device.create_task(
        _send(
            device,
            device.request(
                profile=SMART_ENERGY_PROFILE,
                cluster=packet.cluster_id,
                src_ep=packet.dst_ep,
                dst_ep=packet.src_ep,
                sequence=hdr.tsn,
                data=hdr.serialize() + payload,
                expect_reply=False,
            ),
        ),
        name=f"mirror answer {device.ieee}",
    )


async def _send(device: zigpy.device.Device, sending: Awaitable[object]) -> None:
    try:
        await sending
    except (DeliveryError, TimeoutError) as err:
        _LOGGER.debug("%s: mirror answer not delivered: %s", device.ieee, err)
