"""ZDO requests answered by simulated devices."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

import zigpy.types as t
import zigpy.zdo.types as zdo_t

from .device import Binding, RecordedFrame, SimDevice

_LOGGER = logging.getLogger(__name__)

ZDOCmd = zdo_t.ZDOCmd
ZDOStatus = zdo_t.Status


def parse_zdo(cluster_id: int, payload: bytes) -> list[Any] | None:
    """Parse a ZDO payload (without TSN) with zigpy's schema; None if unknown/bad."""
    try:
        _, types = zdo_t.CLUSTERS[ZDOCmd(cluster_id)]
        args, _ = t.deserialize(payload, types)
    except KeyError, ValueError, IndexError:
        return None
    return list(args)


def serialize_zdo(cluster_id: int, *args: Any) -> bytes:
    """Serialise a ZDO payload (without TSN) with zigpy's schema."""
    _, types = zdo_t.CLUSTERS[ZDOCmd(cluster_id)]
    return t.serialize(args, types[: len(args)])


def _reply(
    device: SimDevice, frame: RecordedFrame, cluster_id: int, payload: bytes
) -> None:
    tsn = frame.tsn or 0
    device.send_zdo(cluster_id, payload, tsn=tsn)


def _status_only(device: SimDevice, frame: RecordedFrame, status: ZDOStatus) -> None:
    _reply(device, frame, frame.cluster_id | 0x8000, status.serialize())


def _addr_rsp(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    assert device.nwk is not None
    request_type = args[1]
    rsp = (
        ZDOCmd.NWK_addr_rsp
        if frame.cluster_id == ZDOCmd.NWK_addr_req
        else ZDOCmd.IEEE_addr_rsp
    )
    payload = (
        ZDOStatus.SUCCESS.serialize()
        + device.ieee.serialize()
        + t.NWK(device.nwk).serialize()
    )
    if request_type == zdo_t.AddrRequestType.Extended:
        payload += bytes([0, 0])  # no associated devices, start index 0
    _reply(device, frame, rsp, payload)


def _simple_desc(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    nwk = t.NWK(device.nwk or 0)
    endpoint = device.endpoints.get(int(args[1]))
    if endpoint is None:
        payload = ZDOStatus.NOT_ACTIVE.serialize() + nwk.serialize() + b"\x00"
    else:
        descriptor = zdo_t.SizePrefixedSimpleDescriptor(
            *endpoint.simple_descriptor().as_tuple()
        )
        payload = (
            ZDOStatus.SUCCESS.serialize() + nwk.serialize() + descriptor.serialize()
        )
    _reply(device, frame, ZDOCmd.Simple_Desc_rsp, payload)


def _bind(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    src_ieee, src_ep, cluster_id, dst = args
    if src_ieee != device.ieee or int(src_ep) not in device.endpoints:
        _status_only(device, frame, ZDOStatus.NOT_SUPPORTED)
        return
    binding = Binding.from_zdo(int(src_ep), int(cluster_id), dst)
    status = ZDOStatus.SUCCESS
    if frame.cluster_id == ZDOCmd.Bind_req:
        if binding not in device.bindings:
            device.bindings.append(binding)
    elif binding in device.bindings:
        device.bindings.remove(binding)
    else:
        status = ZDOStatus.NO_ENTRY
    device.changed()
    _status_only(device, frame, status)


def _mgmt_lqi(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    if not device.supports_mgmt_lqi or device.network is None:
        _status_only(device, frame, ZDOStatus.NOT_SUPPORTED)
        return
    network = device.network
    neighbor = zdo_t.Neighbor(
        extended_pan_id=network.extended_pan_id,
        ieee=network.ieee,
        nwk=0x0000,
        device_type=zdo_t.Neighbor.DeviceType.Coordinator,
        rx_on_when_idle=zdo_t.Neighbor.RxOnWhenIdle.On,
        relationship=zdo_t.Neighbor.Relationship.Parent,
        reserved1=0,
        permit_joining=zdo_t.Neighbor.PermitJoins.Unknown,
        reserved2=0,
        depth=0,
        lqi=device.lqi,
    )
    start = int(args[0])
    table = [neighbor][start:]
    neighbors = zdo_t.Neighbors(Entries=1, StartIndex=start, NeighborTableList=table)
    _reply(
        device,
        frame,
        ZDOCmd.Mgmt_Lqi_rsp,
        ZDOStatus.SUCCESS.serialize() + neighbors.serialize(),
    )


def _mgmt_rtg(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    if not device.supports_mgmt_rtg:
        _status_only(device, frame, ZDOStatus.NOT_SUPPORTED)
        return
    table = []
    if not device.is_end_device and device.link.hops == 1:
        # A router next to the coordinator routes to it directly (zigpy-xbee reads
        # the XBee's DB for such routers in its topology scan: their RSSI).
        table.append(
            zdo_t.Route(
                DstNWK=0x0000,
                RouteStatus=zdo_t.RouteStatus.Active,
                MemoryConstrained=0,
                ManyToOne=0,
                RouteRecordRequired=0,
                Reserved=0,
                NextHop=0x0000,
            )
        )
    start = int(args[0])
    routes = zdo_t.Routes(
        Entries=len(table), StartIndex=start, RoutingTableList=table[start:]
    )
    _reply(
        device,
        frame,
        ZDOCmd.Mgmt_Rtg_rsp,
        ZDOStatus.SUCCESS.serialize() + routes.serialize(),
    )


def _mgmt_bind(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    start = int(args[0])
    entries = [b.to_zdo(device.ieee) for b in device.bindings]
    payload = serialize_zdo(
        ZDOCmd.Mgmt_Bind_rsp, ZDOStatus.SUCCESS, len(entries), start, entries[start:]
    )
    _reply(device, frame, ZDOCmd.Mgmt_Bind_rsp, payload)


def _mgmt_leave(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    target, options = args
    if not device.supports_mgmt_leave:
        _status_only(device, frame, ZDOStatus.NOT_SUPPORTED)
        return
    if target not in (device.ieee, t.EUI64.convert("00:00:00:00:00:00:00:00")):
        _status_only(device, frame, ZDOStatus.NOT_SUPPORTED)
        return
    _status_only(device, frame, ZDOStatus.SUCCESS)
    rejoin = bool(int(options) & 0x80)
    if device.network is not None:
        device.network.device_left(device, rejoin=rejoin)


def _node_desc(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    payload = (
        ZDOStatus.SUCCESS.serialize()
        + t.NWK(device.nwk or 0).serialize()
        + device.node_descriptor().serialize()
    )
    _reply(device, frame, ZDOCmd.Node_Desc_rsp, payload)


def _power_desc(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    payload = (
        ZDOStatus.SUCCESS.serialize()
        + t.NWK(device.nwk or 0).serialize()
        + device.power_descriptor().serialize()
    )
    _reply(device, frame, ZDOCmd.Power_Desc_rsp, payload)


def _active_ep(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    payload = (
        ZDOStatus.SUCCESS.serialize()
        + t.NWK(device.nwk or 0).serialize()
        + t.LVList[t.uint8_t, t.uint8_t](device.endpoints).serialize()
    )
    _reply(device, frame, ZDOCmd.Active_EP_rsp, payload)


def _match_desc(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    _, profile, in_clusters, out_clusters = args
    matches = [
        ep.id
        for ep in device.endpoints.values()
        if ep.profile_id == profile
        and (
            set(in_clusters) & set(ep.in_clusters)
            or set(out_clusters) & set(ep.out_clusters)
        )
    ]
    if frame.broadcast and not matches:
        return
    payload = (
        ZDOStatus.SUCCESS.serialize()
        + t.NWK(device.nwk or 0).serialize()
        + t.LVList[t.uint8_t, t.uint8_t](matches).serialize()
    )
    _reply(device, frame, ZDOCmd.Match_Desc_rsp, payload)


def _permit_joining(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    if not frame.broadcast:
        _status_only(device, frame, ZDOStatus.SUCCESS)


def _nwk_update(device: SimDevice, frame: RecordedFrame, args: list[Any]) -> None:
    if not frame.broadcast:
        _status_only(device, frame, ZDOStatus.NOT_SUPPORTED)


def handle_zdo(device: SimDevice, frame: RecordedFrame) -> None:
    """Answer a ZDO request received by ``device``."""
    cluster_id = frame.cluster_id
    if cluster_id & 0x8000:
        return  # a response, nothing to do
    args = parse_zdo(cluster_id, frame.payload)
    nwk_of_interest = {
        ZDOCmd.IEEE_addr_req,
        ZDOCmd.Node_Desc_req,
        ZDOCmd.Power_Desc_req,
        ZDOCmd.Simple_Desc_req,
        ZDOCmd.Active_EP_req,
    }
    if cluster_id == ZDOCmd.NWK_addr_req:
        if args is not None and args[0] == device.ieee:
            _addr_rsp(device, frame, args)
        return
    if cluster_id in nwk_of_interest and args is not None and args[0] != device.nwk:
        if not frame.broadcast:
            _status_only(device, frame, ZDOStatus.DEVICE_NOT_FOUND)
        return
    handler = _HANDLERS.get(cluster_id)
    if handler is None or args is None:
        _LOGGER.debug("%r: unsupported ZDO request 0x%04X", device, cluster_id)
        if not frame.broadcast:
            _status_only(device, frame, ZDOStatus.NOT_SUPPORTED)
        return
    handler(device, frame, args)


_HANDLERS: dict[int, Callable[[SimDevice, RecordedFrame, list[Any]], None]] = {
    ZDOCmd.IEEE_addr_req: _addr_rsp,
    ZDOCmd.Node_Desc_req: _node_desc,
    ZDOCmd.Power_Desc_req: _power_desc,
    ZDOCmd.Simple_Desc_req: _simple_desc,
    ZDOCmd.Active_EP_req: _active_ep,
    ZDOCmd.Match_Desc_req: _match_desc,
    ZDOCmd.Bind_req: _bind,
    ZDOCmd.Unbind_req: _bind,
    ZDOCmd.Mgmt_Lqi_req: _mgmt_lqi,
    ZDOCmd.Mgmt_Rtg_req: _mgmt_rtg,
    ZDOCmd.Mgmt_Bind_req: _mgmt_bind,
    ZDOCmd.Mgmt_Leave_req: _mgmt_leave,
    ZDOCmd.Mgmt_Permit_Joining_req: _permit_joining,
    ZDOCmd.Mgmt_NWK_Update_req: _nwk_update,
}
