"""End to end: the real, unmodified zigpy-xbee against the simulator."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import zigpy.device
import zigpy.exceptions
import zigpy.topology
from zigpy.zcl import AttributeReportedEvent, foundation
from zigpy.zcl.clusters import general
import zigpy.zdo.types as zdo_t
from zigpy_xbee.zigbee.application import ControllerApplication

from tests.simulator.control import ControlServer, request
from tests.simulator.device import SimDevice
from tests.simulator.helpers import start_app, wait_initialized, zigpy_config
from tests.simulator.models import MODELS
from tests.simulator.network import SimNetwork
from tests.simulator.xbee import XBeeFrontend, encode_frame

Plug = tuple[SimDevice, zigpy.device.Device]


class ReportCollector:
    """Collects zigpy's ``attribute_report`` events."""

    def __init__(self) -> None:
        self.events: list[AttributeReportedEvent] = []
        self._event = asyncio.Event()

    def __call__(self, event: AttributeReportedEvent) -> None:
        self.events.append(event)
        self._event.set()

    async def wait(self) -> None:
        async with asyncio.timeout(2):
            await self._event.wait()


def _at_commands(frontend: XBeeFrontend) -> list[str]:
    """AT command names the host sent (in order)."""
    return [
        data[2:4].decode()
        for direction, data in frontend.trace
        if direction == "rx" and data[0] in (0x08, 0x09)
    ]


async def test_form_startup_permit_join(
    sim_network: SimNetwork, xbee: XBeeFrontend
) -> None:
    """Factory-new sim: form (like ZHA's config flow), start, permit, auto-join."""
    assert not sim_network.formed
    app = ControllerApplication(zigpy_config(xbee))
    await app.connect()
    await app.form_network()
    await app.shutdown()
    assert sim_network.formed
    assert "WR" in _at_commands(xbee)
    assert "ED" in _at_commands(xbee)  # zigpy's energy scan picked the channel

    app = await start_app(xbee, auto_form=True)
    try:
        info = app.state.network_info
        assert info.extended_pan_id == sim_network.extended_pan_id
        assert info.pan_id == sim_network.pan_id
        assert (
            info.channel == sim_network.channel == 25
        )  # the quietest in DEFAULT_ENERGY
        assert app.state.node_info.ieee == sim_network.ieee
        assert app.state.node_info.nwk == 0x0000

        device = sim_network.add_device(MODELS["plug"](), auto_join=True)
        zigpy_device = await wait_initialized(app, device, app.permit(60))
        assert sim_network.permit_join_active
        assert device.joined
        assert zigpy_device.nwk == device.nwk
        assert zigpy_device.manufacturer == "SimCo"
        assert zigpy_device.model == "SimPlug"
        assert zigpy_device.node_desc.manufacturer_code == 0x1234
        assert zigpy_device.node_desc.is_mains_powered
        endpoint = zigpy_device.endpoints[1]
        assert endpoint.profile_id == 0x0104
        assert endpoint.device_type == 0x0051
        assert set(endpoint.in_clusters) == {
            0x0000,
            0x0003,
            0x0004,
            0x0005,
            0x0006,
            0x0702,
            0x0B04,
        }
        assert set(endpoint.out_clusters) == {0x0019}
        # zigpy's interview, as the device saw it
        zdo_requests = [
            f.cluster_id for f in device.frames(zdo=True) if not f.broadcast
        ]
        assert zdo_requests[:3] == [
            zdo_t.ZDOCmd.Node_Desc_req,
            zdo_t.ZDOCmd.Active_EP_req,
            zdo_t.ZDOCmd.Simple_Desc_req,
        ]
    finally:
        await app.shutdown()


async def test_on_command_bytes_state_and_report(
    plug: Plug, sim_network: SimNetwork
) -> None:
    device, zigpy_device = plug
    on_off = zigpy_device.endpoints[1].on_off

    assert (await on_off.bind())[0] == zdo_t.Status.SUCCESS
    assert device.bindings[0].cluster_id == 0x0006
    result = await on_off.configure_reporting("on_off", 0, 300, 1)
    assert list(result.values()) == [foundation.Status.SUCCESS]
    assert device.cluster(1, general.OnOff).reporting

    reports = ReportCollector()
    on_off.on_event("attribute_report", reports)
    device.clear_frames()

    rsp = await on_off.on()
    assert rsp == foundation.DefaultResponse(
        command_id=0x01, status=foundation.Status.SUCCESS
    )

    (frame,) = device.frames(cluster=0x0006)
    tsn = frame.tsn
    assert tsn is not None
    # frame control 0x01: cluster-specific, client->server, default response wanted
    assert frame.data == bytes([0x01, tsn, 0x01])
    assert frame.src_ep == 1
    assert frame.dst_ep == 1
    assert frame.profile_id == 0x0104
    assert device.cluster(1, general.OnOff).get("on_off")

    # the device answered with a Default Response, then reported the change
    default_rsp, report = device.frames(cluster=0x0006, sent=True)
    assert default_rsp.data == bytes([0x18, tsn, 0x0B, 0x01, 0x00])
    assert report.data[0] == 0x18  # global, server->client, no default response
    assert report.data[2:] == bytes.fromhex("0a 0000 10 01")
    await reports.wait()
    assert reports.events[0].attribute_name == "on_off"
    assert reports.events[0].value == general.OnOff.AttributeDefs.on_off.type.true
    assert on_off.get("on_off")

    # the plug draws power when on: the meter follows
    assert device.cluster(1, 0x0702).get("instantaneous_demand") == 60


async def test_read_unknown_attribute(plug: Plug) -> None:
    _, zigpy_device = plug
    on_off = zigpy_device.endpoints[1].on_off
    rsp = await on_off.read_attributes_raw([0x0000, 0x1234])
    assert [r.status for r in rsp.status_records] == [
        foundation.Status.SUCCESS,
        foundation.Status.UNSUPPORTED_ATTRIBUTE,
    ]
    success, failure = await zigpy_device.endpoints[1].basic.read_attributes(
        ["manufacturer", "model", "product_url"]
    )
    assert success == {"manufacturer": "SimCo", "model": "SimPlug"}
    assert failure == {"product_url": foundation.Status.UNSUPPORTED_ATTRIBUTE}


async def test_write_attributes(plug: Plug) -> None:
    device, zigpy_device = plug
    endpoint = zigpy_device.endpoints[1]
    rsp = await endpoint.basic.write_attributes({"manufacturer": "Other"})
    assert rsp[0][0].status == foundation.Status.READ_ONLY
    assert device.cluster(1, 0).get("manufacturer") == "SimCo"

    rsp = await endpoint.on_off.write_attributes({"start_up_on_off": 0x01})
    assert rsp[0][0].status == foundation.Status.SUCCESS
    assert device.cluster(1, general.OnOff).get("start_up_on_off") == 0x01


async def test_offline_device_raises_delivery_error(plug: Plug) -> None:
    device, zigpy_device = plug
    device.set_online(False)
    with pytest.raises(zigpy.exceptions.DeliveryError):
        await zigpy_device.endpoints[1].on_off.on()
    assert not device.frames(cluster=0x0006)  # nothing reached the device
    device.set_online(True)
    await zigpy_device.endpoints[1].on_off.on()
    assert device.cluster(1, general.OnOff).get("on_off")


async def test_power_cycle_resets_and_reannounces(
    plug: Plug, sim_network: SimNetwork
) -> None:
    device, zigpy_device = plug
    await zigpy_device.endpoints[1].on_off.on()
    await zigpy_device.endpoints[1].on_off.write_attributes({"start_up_on_off": 0x01})
    device.clear_frames()

    await device.power_cycle()

    on_off = device.cluster(1, general.OnOff)
    assert not on_off.get("on_off")  # volatile
    assert on_off.get("start_up_on_off") == 0x01  # kept
    (annce,) = device.frames(sent=True, cluster=zdo_t.ZDOCmd.Device_annce)
    assert annce.payload[:2] == device.nwk.to_bytes(2, "little")  # type: ignore[union-attr]
    assert annce.payload[2:10] == device.ieee.serialize()
    # zigpy processed the announcement: it rescans the group membership
    await device.wait_for_frame(cluster=0x0004, command=0x02)


async def test_reconnect_keeps_network_state(
    sim_network: SimNetwork, xbee: XBeeFrontend, tmp_path: Path
) -> None:
    sim_network.form(channel=20)
    database = str(tmp_path / "zigbee.db")
    app = await start_app(xbee, database)
    device = MODELS["light"]()
    try:
        await wait_initialized(app, device, sim_network.join(device))
        network_info = app.state.network_info
    finally:
        await app.shutdown()

    # a new host connection (a restarted Home Assistant) sees the same network
    app = await start_app(xbee, database)
    try:
        assert app.state.network_info.extended_pan_id == network_info.extended_pan_id
        assert app.state.network_info.pan_id == network_info.pan_id
        assert app.state.network_info.channel == 20
        zigpy_device = app.get_device(ieee=device.ieee)
        await zigpy_device.endpoints[1].on_off.on()
        assert device.cluster(1, general.OnOff).get("on_off")
    finally:
        await app.shutdown()


async def test_persistence_round_trip(
    sim_network: SimNetwork, xbee: XBeeFrontend, tmp_path: Path
) -> None:
    sim_network.form(channel=15)
    app = await start_app(xbee)
    try:
        device = MODELS["plug"]()
        zigpy_device = await wait_initialized(app, device, sim_network.join(device))
        await zigpy_device.endpoints[1].on_off.bind()
        await zigpy_device.endpoints[1].on_off.configure_reporting("on_off", 0, 600, 1)
        await zigpy_device.endpoints[1].groups.add(0x1234, "kitchen")
        await zigpy_device.endpoints[1].on_off.write_attributes(
            {"start_up_on_off": 0x02}
        )
    finally:
        await app.shutdown()

    path = tmp_path / "state.json"
    sim_network.save(path)
    loaded = SimNetwork.load(path)
    assert loaded.to_dict() == sim_network.to_dict()
    copy = loaded.device(device.ieee)
    assert copy.joined
    assert copy.nwk == device.nwk
    assert copy.cluster(1, general.OnOff).get("start_up_on_off") == 0x02
    assert (
        copy.cluster(1, general.OnOff).reporting
        == device.cluster(1, general.OnOff).reporting
    )
    assert copy.bindings == device.bindings
    assert copy.endpoint(1).groups == {0x1234: "kitchen"}

    # the loaded network serves zigpy like the original one
    frontend = await XBeeFrontend.start(loaded)
    app = await start_app(frontend)
    try:
        assert app.state.network_info.extended_pan_id == sim_network.extended_pan_id
        assert app.state.network_info.pan_id == sim_network.pan_id
    finally:
        await app.shutdown()
        await frontend.stop()
        await loaded.stop()


async def test_group_command(plug: Plug, zigpy_app: ControllerApplication) -> None:
    device, zigpy_device = plug
    await zigpy_device.endpoints[1].add_to_group(0x0042, "group")
    assert device.endpoint(1).groups == {0x0042: "group"}
    group = zigpy_app.groups[0x0042]
    await group.endpoint.on_off.on()
    frame = await device.wait_for_frame(cluster=0x0006, command=0x01)
    assert frame.group == 0x0042
    await asyncio.sleep(0.02)
    assert device.cluster(1, general.OnOff).get("on_off")
    # no Default Response to a group-addressed command
    assert not device.frames(sent=True, cluster=0x0006, general=True)


async def test_coordinator_zdo(
    zigpy_app: ControllerApplication, plug: Plug, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ZDO requests to the coordinator itself (NWK 0x0000) are answered."""
    monkeypatch.setattr(zigpy.topology, "REQUEST_DELAY", (0, 0))
    device, _ = plug
    coordinator = zigpy_app._device
    status, neighbors = await coordinator.zdo.Mgmt_Lqi_req(0)
    assert status == zdo_t.Status.SUCCESS
    assert [n.ieee for n in neighbors.NeighborTableList] == [device.ieee]
    status, _ = await coordinator.zdo.Mgmt_Rtg_req(0)
    assert status == zdo_t.Status.SUCCESS
    await zigpy_app.topology.scan()  # coordinator + plug, must not hang


async def test_garbage_before_connect(
    sim_network: SimNetwork, xbee: XBeeFrontend
) -> None:
    """Other radio libraries probe the port first: the server must survive garbage."""
    reader, writer = await asyncio.open_connection("127.0.0.1", xbee.port)
    writer.write(
        bytes.fromhex("1ac038bc7e") + b"\x7e\x00\x10garbage" + bytes(range(256))
    )
    await writer.drain()
    await asyncio.sleep(0.02)
    assert not reader.at_eof()
    # a valid AT frame on the same connection is still answered
    writer.write(bytes.fromhex("7e00040801415065"))
    await writer.drain()
    expected = encode_frame(bytes.fromhex("88 01 4150 00 02"))  # AP = 2
    async with asyncio.timeout(1):
        answer = await reader.readexactly(len(expected))
    assert answer == expected
    writer.close()
    await writer.wait_closed()

    sim_network.form()
    app = await start_app(xbee)
    await app.shutdown()


async def test_control_server(sim_network: SimNetwork, xbee: XBeeFrontend) -> None:
    sim_network.form(channel=15)
    control = await ControlServer.start(sim_network)
    app = await start_app(xbee)
    try:
        ieee = "00:0d:6f:00:00:00:00:42"
        added = await request(
            control.port, "add", {"model": "plug", "ieee": ieee, "join": True}
        )
        assert added["ok"], added
        assert added["result"]["joined"]
        device = sim_network.device(ieee)
        zigpy_device = app.get_device(ieee=device.ieee)
        await wait_initialized(app, device)

        reports = ReportCollector()
        on_off = zigpy_device.endpoints[1].on_off
        on_off.on_event("attribute_report", reports)
        response = await request(
            control.port,
            "report",
            {
                "ieee": ieee,
                "endpoint": 1,
                "cluster": "on_off",
                "attributes": {"on_off": True},
            },
        )
        assert response == {"ok": True, "result": {"sent": True}}
        await reports.wait()
        assert on_off.get("on_off")

        listing = await request(control.port, "list")
        assert [d["ieee"] for d in listing["result"]["devices"]] == [ieee]

        assert (await request(control.port, "offline", {"ieee": ieee}))["ok"]
        with pytest.raises(zigpy.exceptions.DeliveryError):
            await on_off.off()
        assert (await request(control.port, "online", {"ieee": ieee}))["ok"]
        await on_off.off()

        frames = await request(
            control.port, "frames", {"ieee": ieee, "cluster": "0x0006"}
        )
        assert frames["result"][-1]["data"].startswith(
            "01"
        )  # cluster command, client->server
        bad = await request(control.port, "add", {"model": "toaster"})
        assert not bad["ok"]
        assert "unknown model" in bad["error"]
    finally:
        await app.shutdown()
        await control.stop()
