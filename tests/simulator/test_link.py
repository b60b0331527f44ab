"""Link diagnostics: per-device latency, loss, LQI / RSSI and the XBee energy scan.

Through the real zigpy-xbee where the host matters (round trips, DeliveryError,
``ED`` / ``DB`` on the wire), in process where only the network does.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time

import pytest
import zigpy.device
import zigpy.exceptions
import zigpy.topology
import zigpy.types as t
import zigpy.zdo.types as zdo_t
from zigpy_xbee.zigbee.application import ControllerApplication

from tests.simulator import Link
from tests.simulator.capture import CaptureFrontend
from tests.simulator.control import ControlServer, request
from tests.simulator.device import SimDevice
from tests.simulator.helpers import wait_initialized
from tests.simulator.models import MODELS
from tests.simulator.network import DeliveryStatus, SimNetwork
from tests.simulator.test_sleepy import READ_BASIC, joined_asleep
from tests.simulator.xbee import DEFAULT_ENERGY, XBeeFrontend

Plug = tuple[SimDevice, zigpy.device.Device]

TX_EXPLICIT = 0x11
TX_STATUS = 0x8B
AT_COMMAND = 0x08
AT_RESPONSE = 0x88


@pytest.fixture
def fresh(plug: Plug, xbee: XBeeFrontend) -> Plug:
    """The initialized plug, with the interview's traffic forgotten."""
    plug[0].link.reset_counters()
    xbee.trace.clear()
    return plug


def _sent_by_host(frontend: XBeeFrontend, frame_type: int) -> list[bytes]:
    return [
        d for direction, d in frontend.trace if direction == "rx" and d[0] == frame_type
    ]


def _sent_to_host(frontend: XBeeFrontend, frame_type: int) -> list[bytes]:
    return [
        d for direction, d in frontend.trace if direction == "tx" and d[0] == frame_type
    ]


def _zcl_to(frontend: XBeeFrontend, cluster: int) -> list[bytes]:
    """The APS payloads of explicit TX frames the host sent to ``cluster``."""
    return [
        frame[20:]
        for frame in _sent_by_host(frontend, TX_EXPLICIT)
        if int.from_bytes(frame[14:16], "big") == cluster
    ]


async def _read_manufacturer(
    zigpy_device: zigpy.device.Device, **kwargs: object
) -> float:
    """Read Basic manufacturer; return the round trip (event loop seconds)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    success, _ = await zigpy_device.endpoints[1].basic.read_attributes(
        ["manufacturer"], **kwargs
    )
    assert success == {"manufacturer": "SimCo"}
    return loop.time() - start


# -- the model ----------------------------------------------------------------------


def test_link_defaults_and_checks() -> None:
    device = MODELS["plug"](ieee="00:0d:6f:00:00:00:00:01")
    link = device.link
    assert (link.hops, link.hop_latency_ms, link.loss, link.fail_next) == (
        1,
        0.0,
        0.0,
        0,
    )
    assert (link.rssi, link.lqi, link.sent, link.lost) == (-60, 200, 0, 0)
    assert link.latency == 0.0
    device.lqi = 123  # one value: the device's LQI is the link's
    assert link.lqi == 123
    link.lqi = 77
    assert device.lqi == 77
    link.hops, link.hop_latency_ms = 3, 25
    assert link.latency == pytest.approx(0.075)
    assert link.round_trip == pytest.approx(0.15)
    for name, value in [
        ("hops", 0),
        ("hop_latency_ms", -1),
        ("loss", 1.5),
        ("fail_next", -1),
        ("rssi", 3),
        ("lqi", 256),
    ]:
        with pytest.raises(ValueError, match=name):
            setattr(link, name, value)
    assert Link(lqi=10).lqi == 10


# -- latency ------------------------------------------------------------------------


async def test_latency_round_trip_basic_read(fresh: Plug, xbee: XBeeFrontend) -> None:
    """2 hops x 40 ms: the read arrives after 80 ms, ack and answer 80 ms later."""
    device, zigpy_device = fresh
    device.link.hops = 2
    device.link.hop_latency_ms = 40
    sent_at = time.time()
    round_trip = await _read_manufacturer(zigpy_device, retries=0)
    assert 0.160 <= round_trip < 0.4

    (frame,) = device.frames(cluster=0x0000)
    assert frame.timestamp - sent_at >= 0.079  # the device got it one way later
    tsn = frame.tsn
    assert tsn is not None
    # byte-exact: Read Attributes (0x00) of 0x0004 on the wire, and in the device
    assert _zcl_to(xbee, 0x0000) == [bytes([0x00, tsn, 0x00, 0x04, 0x00])]
    assert frame.data == bytes([0x00, tsn, 0x00, 0x04, 0x00])
    (answer,) = device.frames(cluster=0x0000, sent=True)
    assert answer.data[:4] == bytes([0x18, tsn, 0x01, 0x04])  # Read Attributes Response
    # TX status: delivered (0x00)
    (status,) = _sent_to_host(xbee, TX_STATUS)
    assert status[4:6] == b"\x00\x00"
    assert (device.link.sent, device.link.lost) == (1, 0)


async def test_latency_applies_to_zdo_requests(plug: Plug) -> None:
    """The request of `test_link` for devices without Basic: a ZDO unicast."""
    device, zigpy_device = plug
    device.link.hop_latency_ms = 60
    loop = asyncio.get_running_loop()
    start = loop.time()
    status, _, descriptor = await zigpy_device.zdo.Node_Desc_req(device.nwk, retries=0)
    assert 0.120 <= loop.time() - start < 0.4
    assert status == zdo_t.Status.SUCCESS
    assert descriptor.manufacturer_code == 0x1234


async def test_zero_latency_adds_no_delay(host: CaptureFrontend) -> None:
    """0 latency: the frame is in the device at once and the status is final."""
    network = host.network
    device = network.add_device(MODELS["plug"](ieee="00:0d:6f:00:00:00:00:07"))
    await network.join(device)
    await network.settle()
    delivery = host.send(device, 1, 0x0000, READ_BASIC)
    assert delivery.status is DeliveryStatus.SUCCESS and delivery.result is None
    assert device.frames(cluster=0x0000)  # recorded synchronously
    await host.wait_for(cluster_id=0x0000)

    device.link.hop_latency_ms = 30
    delivery = host.send(device, 1, 0x0000, READ_BASIC)
    assert delivery.status is DeliveryStatus.IN_FLIGHT and delivery.pending
    assert len(device.frames(cluster=0x0000)) == 1  # not there yet
    assert (await delivery.wait()).status is DeliveryStatus.SUCCESS


async def test_zero_latency_round_trip_e2e(plug: Plug) -> None:
    device, zigpy_device = plug
    assert device.link.latency == 0
    round_trips = [await _read_manufacturer(zigpy_device) for _ in range(3)]
    assert min(round_trips) < 0.1


async def test_device_frames_travel_the_link_in_order(host: CaptureFrontend) -> None:
    network = host.network
    device = network.add_device(MODELS["plug"](ieee="00:0d:6f:00:00:00:00:08"))
    await network.join(device)
    await host.wait_for(cluster_id=zdo_t.ZDOCmd.Device_annce)
    device.link.hop_latency_ms = 50
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await device.report(1, 0x0006, {"on_off": True})
    assert await device.report(1, 0x0006, {"on_off": False})
    assert not host.frames  # still on its way
    first = await host.wait_for(cluster_id=0x0006)
    assert loop.time() - start >= 0.049
    second = await host.wait_for(cluster_id=0x0006)
    assert first.data[-1:] == b"\x01" and second.data[-1:] == b"\x00"
    assert first.rssi == -60 and first.lqi == 200


async def test_broadcasts_ignore_the_link(host: CaptureFrontend) -> None:
    network = host.network
    device = network.add_device(MODELS["plug"](ieee="00:0d:6f:00:00:00:00:09"))
    await network.join(device)
    await network.settle()
    device.clear_frames()
    device.link.hop_latency_ms = 500
    device.link.fail_next = 3
    delivery = network.send_from_host(
        dst_ieee=None,
        dst_nwk=None,
        broadcast=0xFFFF,
        src_ep=1,
        dst_ep=1,
        cluster_id=0x0006,
        profile_id=0x0104,
        data=bytes.fromhex("01 22 01"),
    )
    assert delivery.ok
    assert device.frames(cluster=0x0006)  # at once
    assert (device.link.fail_next, device.link.sent) == (3, 0)


# -- loss ---------------------------------------------------------------------------


async def test_fail_next_gives_delivery_errors_then_success(
    fresh: Plug, xbee: XBeeFrontend
) -> None:
    device, zigpy_device = fresh
    device.link.fail_next = 2
    for _ in range(2):
        # zigpy-xbee: DeliveryError(f"{TXStatus}") from the TX status, no .status
        with pytest.raises(zigpy.exceptions.DeliveryError) as error:
            await _read_manufacturer(zigpy_device, retries=0)
        assert str(error.value) == "TXStatus.NETWORK_ACK_FAILURE"
    await _read_manufacturer(zigpy_device, retries=0)
    assert (device.link.sent, device.link.lost, device.link.fail_next) == (3, 2, 0)
    assert len(device.frames(cluster=0x0000)) == 1  # lost frames never reached it
    # TX status: 8B <frame id> <nwk> 00 <delivery status> 00
    statuses = [frame[5] for frame in _sent_to_host(xbee, TX_STATUS)]
    assert statuses == [0x21, 0x21, 0x00]
    assert all(
        frame[2:4] == device.nwk.to_bytes(2, "big")
        for frame in _sent_to_host(xbee, TX_STATUS)
    )


async def test_zigpy_retries_lost_requests(fresh: Plug, xbee: XBeeFrontend) -> None:
    """Zigpy's Device.request retries a DeliveryError twice by default."""
    device, zigpy_device = fresh
    device.link.fail_next = 2
    await _read_manufacturer(zigpy_device)
    assert (device.link.sent, device.link.lost) == (3, 2)
    payloads = _zcl_to(xbee, 0x0000)
    assert len(payloads) == 3 and len(set(payloads)) == 1  # the same frame, same TSN


async def test_lost_frame_fails_after_the_round_trip(plug: Plug) -> None:
    device, zigpy_device = plug
    device.link.hop_latency_ms = 50
    device.link.fail_next = 1
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(zigpy.exceptions.DeliveryError):
        await _read_manufacturer(zigpy_device, retries=0)
    assert 0.1 <= loop.time() - start < 0.4
    assert not device.frames(cluster=0x0000)


async def test_random_loss_is_deterministic(fresh: Plug) -> None:
    device, zigpy_device = fresh
    device.link.loss = 0.5

    async def attempts(n: int) -> list[bool]:
        outcome = []
        for _ in range(n):
            try:
                await _read_manufacturer(zigpy_device, retries=0)
            except zigpy.exceptions.DeliveryError:
                outcome.append(False)
            else:
                outcome.append(True)
        return outcome

    device.link.seed(1234)
    first = await attempts(20)
    draws = random.Random(1234)  # noqa: S311
    expected = [draws.random() >= 0.5 for _ in range(20)]
    assert first == expected
    assert 0 < first.count(False) < 20
    assert (device.link.sent, device.link.lost) == (20, first.count(False))
    assert len(device.frames(cluster=0x0000)) == first.count(True)

    device.link.seed(1234)
    device.link.reset_counters()
    assert await attempts(20) == first


async def test_default_seed_is_the_ieee(host: CaptureFrontend) -> None:
    network = host.network
    ieee = "00:0d:6f:00:00:00:00:0a"
    device = network.add_device(MODELS["plug"](ieee=ieee))
    await network.join(device)
    device.link.loss = 0.3
    outcomes = [host.send(device, 1, 0x0000, READ_BASIC).ok for _ in range(30)]
    draws = random.Random(str(device.ieee))  # noqa: S311
    assert outcomes == [draws.random() >= 0.3 for _ in range(30)]
    assert device.link.lost == outcomes.count(False)


async def test_offline_device_is_not_counted(host: CaptureFrontend) -> None:
    network = host.network
    device = network.add_device(MODELS["plug"](ieee="00:0d:6f:00:00:00:00:0b"))
    await network.join(device)
    device.set_online(False)
    assert host.send(device, 1, 0x0000, READ_BASIC).status is DeliveryStatus.NO_ACK
    device.link.hop_latency_ms = 20
    delivery = host.send(device, 1, 0x0000, READ_BASIC)
    assert delivery.status is DeliveryStatus.IN_FLIGHT
    assert (await delivery.wait()).status is DeliveryStatus.NO_ACK
    assert (device.link.sent, device.link.lost) == (0, 0)


async def test_sleepy_device_loses_at_the_poll(host: CaptureFrontend) -> None:
    """The loss is drawn when the parent hands the frame over at the poll."""
    network = host.network
    device = await joined_asleep(host)
    device.link.fail_next = 1
    lost = host.send(device, 1, 0x0000, READ_BASIC)
    kept = host.send(device, 1, 0x0000, READ_BASIC)
    assert lost.queued and kept.queued
    assert device.link.sent == 0  # still in the indirect queue
    assert await device.poll() == 1
    assert (await lost.wait()).status is DeliveryStatus.NO_ACK
    assert (await kept.wait()).status is DeliveryStatus.SUCCESS
    assert (device.link.sent, device.link.lost) == (2, 1)
    assert len(device.frames(cluster=0x0000)) == 1
    assert not network.indirect_queue(device)


async def test_sleepy_device_latency_after_the_poll(host: CaptureFrontend) -> None:
    device = await joined_asleep(host)
    device.link.hop_latency_ms = 40
    delivery = host.send(device, 1, 0x0000, READ_BASIC)
    assert delivery.queued
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await device.poll() == 1  # returns once the device handled it
    assert loop.time() - start >= 0.039
    assert (await delivery.wait()).status is DeliveryStatus.SUCCESS
    assert loop.time() - start >= 0.079


# -- LQI / RSSI -----------------------------------------------------------------------


async def test_at_db_answers_the_last_senders_rssi(
    zigpy_app: ControllerApplication, sim_network: SimNetwork, xbee: XBeeFrontend
) -> None:
    assert sim_network.last_rssi is None
    assert await zigpy_app._api._at_command("DB") == 0x28  # nothing received yet
    near = sim_network.add_device(MODELS["plug"](ieee="00:0d:6f:00:00:00:00:11"))
    far = sim_network.add_device(MODELS["light"](ieee="00:0d:6f:00:00:00:00:12"))
    near.link.rssi, far.link.rssi = -48, -83
    await wait_initialized(zigpy_app, near, sim_network.join(near))
    await wait_initialized(zigpy_app, far, sim_network.join(far))
    await sim_network.settle()
    assert await near.report(1, 0x0006, {"on_off": True})
    await asyncio.sleep(0.05)
    assert sim_network.last_rssi == -48
    assert await zigpy_app._api._at_command("DB") == 48
    assert await far.report(1, 0x0006, {"on_off": True})
    await asyncio.sleep(0.05)
    assert await zigpy_app._api._at_command("DB") == 83
    # on the wire: 08 <id> 'DB' -> 88 <id> 'DB' 00 53
    request = _sent_by_host(xbee, AT_COMMAND)[-1]
    assert request[2:] == b"DB"
    response = _sent_to_host(xbee, AT_RESPONSE)[-1]
    assert response == bytes([AT_RESPONSE, request[1]]) + b"DB" + bytes([0x00, 83])


async def test_topology_scan_learns_lqi_and_rssi(
    zigpy_app: ControllerApplication,
    plug: Plug,
    sim_network: SimNetwork,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """zigpy-xbee: LQI from Mgmt_Lqi_rsp, RSSI from DB for adjacent routers."""
    monkeypatch.setattr(zigpy.topology, "REQUEST_DELAY", (0, 0))
    device, zigpy_device = plug
    device.link.lqi = 123
    device.link.rssi = -67
    await zigpy_app.topology.scan()
    async with asyncio.timeout(2):  # zigpy-xbee reads DB in a task of its own
        while zigpy_device.rssi is None:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    assert zigpy_device.lqi == 123
    assert zigpy_device.rssi == -67
    (routes,) = zigpy_app.topology.routes[device.ieee]
    assert (routes.DstNWK, routes.NextHop) == (0x0000, 0x0000)

    # two hops away: no direct route to the coordinator, zigpy-xbee reads no DB
    device.link.hops = 2
    device.link.lqi = 90
    device.link.rssi = -90
    await zigpy_app.topology.scan()
    await asyncio.sleep(0.05)
    assert zigpy_device.lqi == 90
    assert zigpy_device.rssi == -67
    assert zigpy_app.topology.routes[device.ieee] == []


# -- energy scan ----------------------------------------------------------------------


def _zigpy_xbee_energy(minus_dbm: int) -> float:
    """zigpy-xbee's RSSI -> energy mapping (logistic, written out independently)."""
    rssi = -minus_dbm
    midpoint = -92 + 0.45 * (-5 - -92)
    return 255 / (1 + math.exp(-0.13 * (rssi - midpoint)))


async def test_energy_scan_values(
    zigpy_app: ControllerApplication, xbee: XBeeFrontend
) -> None:
    assert xbee.channel_energy == dict(zip(range(11, 27), DEFAULT_ENERGY, strict=True))
    xbee.channel_energy = {11: 30, 15: 95, 20: 53, 25: 10}
    expected = dict(zip(range(11, 27), DEFAULT_ENERGY, strict=True)) | {
        11: 30,
        15: 95,
        20: 53,
        25: 10,
    }
    assert xbee.energy == list(expected.values())
    xbee.energy_scans.clear()
    before = len(xbee.trace)

    result = await zigpy_app.energy_scan(
        t.Channels.from_channel_list([11, 15, 20, 25, 26]), duration_exp=2, count=1
    )
    assert set(result) == {11, 15, 20, 25, 26}
    for channel, energy in result.items():
        assert energy == pytest.approx(_zigpy_xbee_energy(expected[channel]))
    assert result[11] > result[20] > result[15]  # louder channel, more energy
    assert xbee.energy_scans == [b"\x02"]
    # byte-exact: 08 <id> 'ED' 02 -> 88 <id> 'ED' 00 <16 x -dBm>
    ((_, request), (_, response)) = [
        item for item in list(xbee.trace)[before:] if item[1][0] in (0x08, 0x88)
    ]
    assert request == bytes([AT_COMMAND, request[1]]) + b"ED\x02"
    assert response == bytes([AT_RESPONSE, request[1]]) + b"ED\x00" + bytes(
        expected.values()
    )

    xbee.energy = [80] * 16
    result = await zigpy_app.energy_scan(
        t.Channels.ALL_CHANNELS, duration_exp=4, count=2
    )
    assert set(result) == set(range(11, 27))
    assert all(v == pytest.approx(_zigpy_xbee_energy(80)) for v in result.values())
    assert xbee.energy_scans == [b"\x02", b"\x04", b"\x04"]
    with pytest.raises(ValueError, match="channel"):
        xbee.channel_energy = {27: 10}
    with pytest.raises(ValueError, match="energy"):
        xbee.channel_energy = {11: 256}


async def test_energy_scan_unsupported(
    zigpy_app: ControllerApplication,
    xbee: XBeeFrontend,
    caplog: pytest.LogCaptureFixture,
) -> None:
    xbee.energy_scan_supported = False
    xbee.energy_scans.clear()
    with caplog.at_level(logging.WARNING):
        result = await zigpy_app.energy_scan(
            t.Channels.from_channel_list([15, 20, 25]), duration_exp=3, count=3
        )
    assert result == {15: 0, 20: 0, 25: 0}
    assert "Coordinator does not support energy scanning" in caplog.text
    assert xbee.energy_scans == [b"\x03"]  # zigpy-xbee gives up after the first
    response = _sent_to_host(xbee, AT_RESPONSE)[-1]
    assert response[2:] == b"ED\x02"  # status 2: invalid command


# -- control server -------------------------------------------------------------------


async def test_control_link_command(
    sim_network: SimNetwork, socket_enabled: None
) -> None:
    sim_network.form(channel=15)
    control = await ControlServer.start(sim_network)
    try:
        device = sim_network.add_device(MODELS["plug"](ieee="00:0d:6f:00:00:00:00:21"))
        ieee = str(device.ieee)
        answer = await request(
            control.port,
            "link",
            {
                "ieee": ieee,
                "hops": 3,
                "hop_latency_ms": 12.5,
                "loss": 0.25,
                "rssi": -77,
            },
        )
        assert answer == {
            "ok": True,
            "result": {
                "hops": 3,
                "hop_latency_ms": 12.5,
                "loss": 0.25,
                "fail_next": 0,
                "rssi": -77,
                "lqi": 200,
                "sent": 0,
                "lost": 0,
            },
        }
        assert device.link.latency == pytest.approx(0.0375)
        bad = await request(control.port, "link", {"ieee": ieee, "hops": 1, "loss": 2})
        assert not bad["ok"] and "loss" in bad["error"]
        assert device.link.hops == 3  # nothing applied
    finally:
        await control.stop()
