"""Device framework, ZCL and ZDO behaviour, byte for byte, without sockets or zigpy apps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import zigpy.types as t
from zigpy.zcl import foundation
from zigpy.zcl.clusters import general
import zigpy.zdo.types as zdo_t

from tests.simulator.capture import CaptureFrontend
from tests.simulator.device import (
    NO_RESPONSE,
    Attr,
    ClusterResponse,
    CommandContext,
    HandlerResult,
    SimDevice,
)
from tests.simulator.models import MODELS
from tests.simulator.network import DeliveryStatus, SimNetwork

MANUFACTURER_CODE = 0x1246
Status = foundation.Status


def custom_device() -> SimDevice:
    """A device with a manufacturer cluster and a manufacturer attribute on Basic."""
    device = SimDevice(
        ieee="00:11:22:33:44:55:66:77",
        manufacturer="Acme",
        model="Custom",
        manufacturer_code=MANUFACTURER_CODE,
    )
    ep = device.add_endpoint(1, device_type=0x0301)
    basic = ep.add_cluster(general.Basic, {"manufacturer": "Acme", "model": "Custom"})
    basic.add_attribute(
        Attr(
            0x4000,
            "acme_mode",
            t.uint8_t,
            3,
            access="rw",
            manufacturer_code=MANUFACTURER_CODE,
        )
    )

    def boost(ctx: CommandContext) -> HandlerResult:
        ctx.cluster.set("level", ctx.payload[0])
        return ClusterResponse(0x01, bytes([0x00, ctx.payload[0]]))

    def silent(ctx: CommandContext) -> HandlerResult:
        return NO_RESPONSE

    ep.add_cluster(
        0xFC00,
        attributes=[
            Attr(
                0x0000,
                "level",
                t.uint8_t,
                10,
                access="rwp",
                validator=lambda v: v <= 100,
            ),
            Attr(0x0001, "serial", t.CharacterString, "abc", access="r"),
            Attr(0x0002, "secret", t.uint16_t, 7, access="w"),
        ],
        handlers={0x00: boost, 0x02: silent},
    )
    return device


@pytest.fixture
async def device(host: CaptureFrontend) -> SimDevice:
    device = custom_device()
    await host.network.join(device)
    annce = await host.wait_for(cluster_id=zdo_t.ZDOCmd.Device_annce)
    assert annce.broadcast
    nwk = device.nwk
    assert nwk is not None
    assert (
        annce.data[1:]
        == nwk.to_bytes(2, "little") + bytes.fromhex("7766554433221100") + b"\x8e"
    )
    return device


def zcl(
    frame_control: int,
    tsn: int,
    command: int,
    payload: str = "",
    manufacturer: int | None = None,
) -> bytes:
    header = bytes([frame_control])
    if manufacturer is not None:
        header += manufacturer.to_bytes(2, "little")
    return header + bytes([tsn, command]) + bytes.fromhex(payload)


async def test_read_attributes_manufacturer_specific(
    host: CaptureFrontend, device: SimDevice
) -> None:
    # without a manufacturer code the manufacturer attribute does not exist
    rsp = await host.request(device, 1, 0x0000, zcl(0x00, 0x10, 0x00, "0040 0400"))
    assert rsp.data == bytes.fromhex("18 10 01 0040 86 0400 00 42 04") + b"Acme"
    # with it, it does
    rsp = await host.request(
        device, 1, 0x0000, zcl(0x04, 0x11, 0x00, "0040", MANUFACTURER_CODE)
    )
    assert rsp.data == bytes.fromhex("1c 4612 11 01 0040 00 20 03")
    # a manufacturer cluster accepts the device's code for attributes without one
    rsp = await host.request(
        device, 1, 0xFC00, zcl(0x04, 0x12, 0x00, "0000 0200", MANUFACTURER_CODE)
    )
    assert rsp.data == bytes.fromhex(
        "1c 4612 12 01 0000 00 20 0a 0200 8f"
    )  # 0x8F WRITE_ONLY


async def test_write_attributes_statuses(
    host: CaptureFrontend, device: SimDevice
) -> None:
    cluster = device.cluster(1, 0xFC00)
    # level (0x0000) ok, serial (0x0001) read-only, 0x0009 unknown, level 200 invalid
    rsp = await host.request(
        device, 1, 0xFC00, zcl(0x00, 0x20, 0x02, "0000 20 05 0100 42 0178 0900 20 01")
    )
    assert rsp.data == bytes.fromhex("18 20 04 88 0100 86 0900")
    assert cluster.get("level") == 5
    rsp = await host.request(device, 1, 0xFC00, zcl(0x00, 0x21, 0x02, "0000 20 c8"))
    assert rsp.data == bytes.fromhex("18 21 04 87 0000")
    # wrong data type
    rsp = await host.request(device, 1, 0xFC00, zcl(0x00, 0x22, 0x02, "0000 21 0500"))
    assert rsp.data == bytes.fromhex("18 22 04 8d 0000")
    # all good -> a single SUCCESS status
    rsp = await host.request(
        device, 1, 0xFC00, zcl(0x00, 0x23, 0x02, "0000 20 06 0200 21 0900")
    )
    assert rsp.data == bytes.fromhex("18 23 04 00")
    assert cluster.get("secret") == 9


async def test_write_undivided_and_no_response(
    host: CaptureFrontend, device: SimDevice
) -> None:
    cluster = device.cluster(1, 0xFC00)
    rsp = await host.request(
        device, 1, 0xFC00, zcl(0x00, 0x30, 0x03, "0000 20 07 0100 42 0178")
    )
    assert rsp.data == bytes.fromhex("18 30 04 88 0100")
    assert cluster.get("level") == 10  # undivided: nothing written
    assert host.send(device, 1, 0xFC00, zcl(0x00, 0x31, 0x05, "0000 20 08")).ok
    await host.network.settle()
    assert cluster.get("level") == 8
    assert not host.frames  # Write Attributes No Response: no answer at all


async def test_configure_and_read_reporting(
    host: CaptureFrontend, device: SimDevice
) -> None:
    # level: reportable; serial: not reportable; 0x0009 unknown
    payload = "00 0000 20 0100 2c01 01  00 0100 42 0100 2c01  00 0900 20 0100 2c01 01"
    rsp = await host.request(device, 1, 0xFC00, zcl(0x00, 0x40, 0x06, payload))
    assert rsp.data == bytes.fromhex("18 40 07 8c 00 0100 86 00 0900")
    cluster = device.cluster(1, 0xFC00)
    assert cluster.reporting[(0, None)].max_interval == 300

    rsp = await host.request(
        device, 1, 0xFC00, zcl(0x00, 0x41, 0x08, "00 0000 00 0100")
    )
    assert rsp.data == bytes.fromhex("18 41 09 00 00 0000 20 0100 2c01 01 8c 00 0100")

    # a change of a configured attribute is reported automatically
    cluster.set("level", 42)
    report = await host.wait_for(cluster_id=0xFC00)
    assert report.data[0] == 0x18
    assert report.data[2:] == bytes.fromhex("0a 0000 20 2a")

    # max interval 0xFFFF stops reporting
    rsp = await host.request(
        device, 1, 0xFC00, zcl(0x00, 0x42, 0x06, "00 0000 20 0100 ffff 01")
    )
    assert rsp.data == bytes.fromhex("18 42 07 00")
    cluster.set("level", 43)
    await host.network.settle()
    assert not host.frames


async def test_discover_attributes(host: CaptureFrontend, device: SimDevice) -> None:
    rsp = await host.request(device, 1, 0xFC00, zcl(0x00, 0x50, 0x0C, "0000 02"))
    assert rsp.data == bytes.fromhex("18 50 0d 00 0000 20 0100 42")
    rsp = await host.request(device, 1, 0xFC00, zcl(0x00, 0x51, 0x15, "0100 10"))
    # extended: access control read=1 write=2 report=4
    assert rsp.data == bytes.fromhex("18 51 16 01 0100 42 01 0200 21 02")


async def test_cluster_commands(host: CaptureFrontend, device: SimDevice) -> None:
    # handler with a cluster-specific response, manufacturer code echoed
    rsp = await host.request(
        device, 1, 0xFC00, zcl(0x05, 0x60, 0x00, "21", MANUFACTURER_CODE)
    )
    assert rsp.data == bytes.fromhex(
        "1d 4612 60 01 00 21"
    )  # cluster, server->client, no default rsp
    assert device.cluster(1, 0xFC00).get("level") == 0x21
    # unknown command in a manufacturer-specific frame
    rsp = await host.request(
        device, 1, 0xFC00, zcl(0x05, 0x61, 0x07, "", MANUFACTURER_CODE)
    )
    assert rsp.data == bytes.fromhex("1c 4612 61 0b 07 83")
    # unknown standard command
    rsp = await host.request(device, 1, 0x0000, zcl(0x01, 0x62, 0x07))
    assert rsp.data == bytes.fromhex("18 62 0b 07 81")
    # unknown general command
    rsp = await host.request(device, 1, 0x0000, zcl(0x00, 0x63, 0x1F))
    assert rsp.data == bytes.fromhex("18 63 0b 1f 82")
    # a cluster the endpoint does not have
    rsp = await host.request(device, 1, 0x0006, zcl(0x01, 0x64, 0x01))
    assert rsp.data == bytes.fromhex("18 64 0b 01 c3")
    # NO_RESPONSE handler
    host.send(device, 1, 0xFC00, zcl(0x01, 0x65, 0x02))
    await host.network.settle()
    assert not host.frames
    received = device.frames(cluster=0xFC00, command=0x02)
    assert received[0].data == bytes.fromhex("01 65 02")
    assert received[0].tsn == 0x65


async def test_default_response_only_when_wanted(host: CaptureFrontend) -> None:
    plug = MODELS["plug"]()
    await host.network.join(plug)
    await host.wait_for()
    rsp = await host.request(plug, 1, 0x0006, zcl(0x01, 0x70, 0x01))  # on
    assert rsp.data == bytes.fromhex("18 70 0b 01 00")
    host.send(
        plug, 1, 0x0006, zcl(0x11, 0x71, 0x02)
    )  # toggle, default response disabled
    await host.network.settle()
    assert not host.frames
    assert not plug.cluster(1, general.OnOff).get("on_off")
    # errors are answered even when the default response is disabled
    rsp = await host.request(plug, 1, 0x0006, zcl(0x11, 0x72, 0x33))
    assert rsp.data == bytes.fromhex("18 72 0b 33 81")


async def test_groups_and_identify(host: CaptureFrontend) -> None:
    light = MODELS["light"]()
    await host.network.join(light)
    await host.wait_for()
    rsp = await host.request(
        light, 1, 0x0004, zcl(0x01, 0x01, 0x00, "3412 05") + b"group"
    )
    assert rsp.data == bytes.fromhex("19 01 00 00 3412")
    rsp = await host.request(light, 1, 0x0004, zcl(0x01, 0x02, 0x02, "00"))
    assert rsp.data == bytes.fromhex("19 02 02 0f 01 3412")
    rsp = await host.request(light, 1, 0x0003, zcl(0x01, 0x03, 0x00, "0a00"))
    assert rsp.data == bytes.fromhex("18 03 0b 00 00")
    assert light.cluster(1, general.Identify).get("identify_time") == 10
    rsp = await host.request(light, 1, 0x0003, zcl(0x01, 0x04, 0x01))
    assert rsp.data == bytes.fromhex("19 04 00 0a00")
    # group-addressed frame: delivered to the member endpoint, no default response
    delivery = host.network.send_from_host(
        dst_ieee=None,
        dst_nwk=None,
        src_ep=1,
        dst_ep=0xFF,
        cluster_id=0x0006,
        profile_id=0x0104,
        data=zcl(0x01, 0x05, 0x01),
        group=0x1234,
    )
    assert delivery.ok
    await host.network.settle()
    assert light.cluster(1, general.OnOff).get("on_off")
    assert not host.frames


async def test_zdo(host: CaptureFrontend, device: SimDevice) -> None:
    nwk = device.nwk
    assert nwk is not None
    nwk_le = nwk.to_bytes(2, "little").hex()

    async def zdo(cluster: int, payload: str) -> bytes:
        rsp = await host.request(
            device, 0, cluster, bytes.fromhex(payload), profile_id=0, src_ep=0
        )
        return rsp.data

    assert await zdo(0x0002, f"42 {nwk_le}") == bytes.fromhex(
        f"42 00 {nwk_le} 01 40 8e 4612 52 5200 002c 5200 00"
    )
    assert await zdo(0x0005, f"43 {nwk_le}") == bytes.fromhex(f"43 00 {nwk_le} 01 01")
    assert await zdo(0x0004, f"44 {nwk_le} 01") == bytes.fromhex(
        f"44 00 {nwk_le} 0c 01 0401 0103 01 02 0000 00fc 00"
    )
    assert await zdo(0x0004, f"45 {nwk_le} 07") == bytes.fromhex(f"45 83 {nwk_le} 00")
    assert await zdo(0x0001, f"46 {nwk_le} 00 00") == bytes.fromhex(
        f"46 00 7766554433221100 {nwk_le}"
    )
    # Bind_req: src ieee, src ep 1, cluster 0xFC00, dst ieee (coordinator) ep 1
    coordinator = host.network.ieee.serialize().hex()
    bind = f"7766554433221100 01 00fc 03 {coordinator} 01"
    assert await zdo(0x0021, f"47 {bind}") == bytes.fromhex("47 00")
    assert len(device.bindings) == 1
    assert await zdo(0x0022, f"48 {bind}") == bytes.fromhex("48 00")
    assert await zdo(0x0022, f"49 {bind}") == bytes.fromhex("49 88")  # NO_ENTRY
    # Mgmt_Rtg: a router one hop away routes to the coordinator directly
    # (DstNWK 0x0000, status Active, NextHop 0x0000)
    assert await zdo(0x0032, "4a 00") == bytes.fromhex("4a 00 01 00 01 0000 00 0000")
    assert await zdo(0x0033, "4b 00") == bytes.fromhex(
        "4b 00 00 00 00"
    )  # Mgmt_Bind: empty
    lqi = await zdo(0x0031, "4c 00")
    assert lqi[:5] == bytes.fromhex("4c 00 01 00 01")
    assert await zdo(0x0015, "4d 0000") == bytes.fromhex("4d 84")  # NOT_SUPPORTED
    device.supports_mgmt_lqi = False
    assert await zdo(0x0031, "4e 00") == bytes.fromhex("4e 84")
    # Mgmt_Leave: success, then the device is gone
    assert await zdo(0x0034, "4f 0000000000000000 00") == bytes.fromhex("4f 00")
    assert not device.joined
    assert host.send(device, 1, 0x0000, zcl(0x00, 0x01, 0x00, "0000")).status is (
        DeliveryStatus.ADDRESS_NOT_FOUND
    )


async def test_broadcast_permit_is_ignored_by_devices(
    host: CaptureFrontend, device: SimDevice
) -> None:
    delivery = host.network.send_from_host(
        dst_ieee=None,
        dst_nwk=None,
        src_ep=0,
        dst_ep=0,
        cluster_id=0x0036,
        profile_id=0,
        data=bytes.fromhex("01 3c 00"),
        broadcast=0xFFFC,
    )
    assert delivery.ok
    await host.network.settle()
    assert not host.frames
    assert device.frames(cluster=0x0036)[0].broadcast
    assert host.network.permit_join_active  # the coordinator opened its join window


async def test_auto_join_on_permit(host: CaptureFrontend) -> None:
    network = host.network
    network.join_delay = 0.01
    plug = network.add_device(MODELS["plug"](), auto_join=True)
    await network.settle()
    assert not plug.joined  # joins are not permitted
    network.permit_join(60)
    await network.settle()
    assert plug.joined
    assert (await host.wait_for()).cluster_id == zdo_t.ZDOCmd.Device_annce


async def test_offline_and_unknown_delivery(
    host: CaptureFrontend, device: SimDevice
) -> None:
    device.set_online(False)
    assert (
        host.send(device, 1, 0x0000, zcl(0x00, 0x01, 0x00, "0000")).status
        is DeliveryStatus.NO_ACK
    )
    assert not device.frames(cluster=0x0000)
    assert not device.send_zcl(1, 0x0000, 0x0A)  # an offline device cannot send either
    device.set_online(True)
    delivery = host.network.send_from_host(
        dst_ieee=None,
        dst_nwk=0x4444,
        src_ep=1,
        dst_ep=1,
        cluster_id=0,
        profile_id=0x0104,
        data=b"\x00\x01\x00",
    )
    assert delivery.status is DeliveryStatus.ADDRESS_NOT_FOUND


async def test_report_on_demand(host: CaptureFrontend, device: SimDevice) -> None:
    assert await device.report(1, 0x0000, {"manufacturer": "Acme", "acme_mode": 9})
    standard = await host.wait_for()
    manufacturer = await host.wait_for()
    assert standard.data[0] == 0x18
    assert standard.data[2:] == bytes.fromhex("0a 0400 42 04") + b"Acme"
    assert manufacturer.data[:3] == bytes.fromhex("1c 4612")
    assert manufacturer.data[4:] == bytes.fromhex("0a 0040 20 09")
    assert device.cluster(1, 0).get("acme_mode") == 9


async def test_power_cycle(host: CaptureFrontend) -> None:
    plug = MODELS["plug"]()
    await host.network.join(plug)
    await host.wait_for()
    on_off = plug.cluster(1, general.OnOff)
    on_off.set("on_off", True)
    on_off.set("start_up_on_off", 1)
    hooks: list[SimDevice] = []
    plug.power_cycle_hooks.append(hooks.append)
    await plug.power_cycle()
    assert hooks == [plug]
    assert not on_off.get("on_off")
    assert on_off.get("start_up_on_off") == 1
    assert (await host.wait_for()).cluster_id == zdo_t.ZDOCmd.Device_annce


async def test_persistence(
    tmp_path: Path, host: CaptureFrontend, device: SimDevice
) -> None:
    models = {"Custom": lambda ieee: custom_device()}
    device.cluster(1, 0xFC00).set("serial", "xyz")
    device.cluster(1, 0).set("acme_mode", 5)
    device.endpoint(1).groups[7] = "seven"
    device.state["anything"] = [1, 2]
    path = tmp_path / "state.json"
    host.network.save(path)
    data = json.loads(path.read_text())
    assert data["coordinator"]["formed"] is True
    assert data["devices"][0]["attributes"]["1/in/0xfc00/0x0001"] == "xyz"
    assert data["devices"][0]["attributes"]["1/in/0x0000/0x4000@0x1246"] == 5

    loaded = SimNetwork.load(path, models=models)
    try:
        assert loaded.to_dict() == host.network.to_dict()
        copy = loaded.device(device.ieee)
        assert copy.cluster(1, 0xFC00).get("serial") == "xyz"
        assert copy.endpoint(1).groups == {7: "seven"}
        assert copy.state["anything"] == [1, 2]
    finally:
        await loaded.stop()


async def test_lookup_helpers(device: SimDevice) -> None:
    endpoint = device.endpoint(1)
    assert (
        endpoint.cluster("basic")
        is endpoint.cluster(general.Basic)
        is endpoint.cluster("0x0000")
    )
    assert endpoint.cluster("Basic") is device.cluster(1, 0)
    with pytest.raises(KeyError):
        endpoint.cluster("on_off")
    cluster = device.cluster(1, 0xFC00)
    assert cluster.attr("level") is cluster.attr(0) is cluster.attr("0x0000")
    assert repr(device).startswith("<SimDevice Custom 00:11:22:33:44:55:66:77")
