"""The Poll Control server (ZCL 7 §3.16), command by command, in process (no sockets)."""

from __future__ import annotations

import struct

import pytest
from zigpy.zcl import foundation
from zigpy.zcl.clusters.general import PollControl
import zigpy.zdo.types as zdo_t

from tests.simulator.capture import CaptureFrontend
from tests.simulator.device import SimDevice
from tests.simulator.models.common import add_poll_control
from tests.simulator.network import HostFrame, SimNetwork
from tests.simulator.poll_control import PollState, poll_control
from tests.simulator.sample_devices import sleepy_thermostat

Status = foundation.Status
POLL = 0x0020
#: Cluster-specific, server->client, no Default Response: Check-in.
CHECK_IN = "19 {tsn:02x} 00"


@pytest.fixture
async def trv(host: CaptureFrontend) -> SimDevice:
    """The sleepy thermostat, joined; its announcement's wake time is over (t = 3.5)."""
    device = sleepy_thermostat(ieee="00:0d:6f:00:0b:1c:2d:01")
    await host.network.join(device)
    await host.wait_for(cluster_id=zdo_t.ZDOCmd.Device_annce)
    await host.network.elapse(3.5)
    host.frames.clear()
    device.clear_frames()
    return device


def command(tsn: int, command_id: int, payload: str = "", *, ddr: bool = True) -> bytes:
    """A client->server Poll Control command."""
    frame_control = 0x11 if ddr else 0x01
    return bytes([frame_control, tsn, command_id]) + bytes.fromhex(payload)


def checkin_response(tsn: int, start: bool, timeout_qs: int) -> bytes:
    return command(tsn, 0x00, struct.pack("<?H", start, timeout_qs).hex())


async def answer(
    host: CaptureFrontend, device: SimDevice, data: bytes
) -> HostFrame | None:
    """Send ``data`` to the awake device; return its Default Response, if any."""
    assert host.send(device, 1, POLL, data).ok
    await host.network.settle()
    replies = [f for f in host.frames if f.cluster_id == POLL]
    host.frames.clear()
    assert len(replies) <= 1
    return replies[0] if replies else None


def default_rsp(frame: HostFrame | None, tsn: int, command_id: int) -> Status:
    assert frame is not None
    assert frame.data[:4] == bytes([0x18, tsn, 0x0B, command_id])
    return Status(frame.data[4])


async def check_in(host: CaptureFrontend, device: SimDevice) -> HostFrame:
    assert poll_control(device).check_in() == 1
    frame = await host.wait_for(cluster_id=POLL)
    assert frame.data[0] == 0x19 and frame.data[2] == 0x00
    return frame


async def test_attributes_and_device_intervals(trv: SimDevice) -> None:
    cluster = trv.cluster(1, PollControl)
    assert {a.name: cluster.get(a) for a in cluster.attributes.values()} == {
        "checkin_interval": 1200,
        "long_poll_interval": 28,
        "short_poll_interval": 2,
        "fast_poll_timeout": 0x30,
        "checkin_interval_min": 0,
        "long_poll_interval_min": 0,
        "fast_poll_timeout_max": 0x0F00,
    }
    assert cluster.attr("long_poll_interval").zcl_type == 0x23  # uint32
    assert cluster.attr("short_poll_interval").zcl_type == 0x21  # uint16
    assert (trv.long_poll_interval, trv.short_poll_interval) == (7.0, 0.5)
    assert trv.next_poll == 7.0


async def test_periodic_check_in(host: CaptureFrontend, trv: SimDevice) -> None:
    network = host.network
    server = poll_control(trv)
    await network.elapse(296.0)  # t = 299.5
    assert not [f for f in host.frames if f.cluster_id == POLL]
    await network.elapse(1.0)
    (frame,) = [f for f in host.frames if f.cluster_id == POLL]
    assert frame.data == bytes.fromhex(CHECK_IN.format(tsn=frame.data[1]))
    assert (frame.src_ep, frame.dst_ep, frame.profile_id) == (1, 1, 0x0104)
    sent = trv.frames(sent=True, cluster=POLL)[0]
    assert sent.sim_time == 300.0
    assert server.state is PollState.WAITING
    assert trv.fast_polling  # temporary fast poll while waiting for the response
    await network.elapse(7.0)  # t = 307.5
    assert server.state is PollState.WAITING
    await network.elapse(0.25)  # 7.68 s after the check-in: back to long polls
    assert server.state is PollState.IDLE
    assert not trv.fast_polling
    await network.elapse(300.0)
    assert server.check_ins == 2


async def test_check_in_goes_to_the_bound_endpoint(
    host: CaptureFrontend, trv: SimDevice
) -> None:
    coordinator = host.network.ieee.serialize().hex()
    ieee = trv.ieee.serialize().hex()
    trv.stay_awake()
    rsp = await host.request(
        trv,
        0,
        0x0021,
        bytes.fromhex(f"71 {ieee} 01 2000 03 {coordinator} 0b"),
        profile_id=0,
        src_ep=0,
    )
    assert rsp.data == bytes.fromhex("71 00")
    frame = await check_in(host, trv)
    assert frame.dst_ep == 0x0B


async def test_bound_only_checks_in_with_bound_clients_only(
    host: CaptureFrontend, trv: SimDevice
) -> None:
    server = poll_control(trv)
    server.bound_only = True
    assert server.check_in() == 0
    assert server.state is PollState.IDLE
    trv.stay_awake()
    # a client without a binding may not command it
    rsp = await answer(host, trv, command(0x72, 0x01, ddr=False))
    assert default_rsp(rsp, 0x72, 0x01) == Status.ACTION_DENIED
    rsp = await answer(host, trv, checkin_response(0x73, True, 0))
    assert default_rsp(rsp, 0x73, 0x00) == Status.ACTION_DENIED


async def test_check_in_response_starts_fast_poll(
    host: CaptureFrontend, trv: SimDevice
) -> None:
    network = host.network
    server = poll_control(trv)
    await check_in(host, trv)
    # 0x50 quarter-seconds = 20 s; DDR set: no Default Response on success
    assert await answer(host, trv, checkin_response(0x74, True, 0x50)) is None
    assert server.state is PollState.FAST_POLLING
    assert trv.fast_poll_until == network.now + 20.0
    await network.elapse(19.75)
    assert server.state is PollState.FAST_POLLING
    await network.elapse(0.5)
    assert server.state is PollState.IDLE
    assert not trv.fast_polling


async def test_check_in_response_zero_timeout_uses_the_attribute(
    host: CaptureFrontend, trv: SimDevice
) -> None:
    await check_in(host, trv)
    rsp = await answer(host, trv, checkin_response(0x75, True, 0))
    assert rsp is None
    # FastPollTimeout 0x30 quarter-seconds = 12 s
    assert trv.fast_poll_until == host.network.now + 12.0


async def test_check_in_response_without_fast_poll(
    host: CaptureFrontend, trv: SimDevice
) -> None:
    await check_in(host, trv)
    data = command(0x76, 0x00, "00 0000", ddr=False)
    assert default_rsp(await answer(host, trv, data), 0x76, 0x00) == Status.SUCCESS
    assert poll_control(trv).state is PollState.IDLE
    assert not trv.fast_polling


async def test_check_in_response_errors(host: CaptureFrontend, trv: SimDevice) -> None:
    network = host.network
    server = poll_control(trv)
    trv.stay_awake()
    # no check-in outstanding: TIMEOUT
    rsp = await answer(host, trv, checkin_response(0x77, True, 0x20))
    assert default_rsp(rsp, 0x77, 0x00) == Status.TIMEOUT
    # above FastPollTimeoutMax (0x0F00): INVALID_VALUE, and no fast poll
    await check_in(host, trv)
    rsp = await answer(host, trv, checkin_response(0x78, True, 0x0F01))
    assert default_rsp(rsp, 0x78, 0x00) == Status.INVALID_VALUE
    assert server.state is PollState.IDLE
    assert not trv.fast_polling
    # after the 7.68 s wait: TIMEOUT
    await check_in(host, trv)
    await network.elapse(7.75)
    trv.stay_awake()
    rsp = await answer(host, trv, checkin_response(0x79, True, 0x20))
    assert default_rsp(rsp, 0x79, 0x00) == Status.TIMEOUT
    # a truncated payload
    rsp = await answer(host, trv, command(0x7A, 0x00, "01"))
    assert default_rsp(rsp, 0x7A, 0x00) == Status.MALFORMED_COMMAND


async def test_fast_poll_stop(host: CaptureFrontend, trv: SimDevice) -> None:
    network = host.network
    server = poll_control(trv)
    trv.stay_awake()
    rsp = await answer(host, trv, command(0x7B, 0x01))
    assert default_rsp(rsp, 0x7B, 0x01) == Status.ACTION_DENIED  # not fast polling
    await check_in(host, trv)
    rsp = await answer(host, trv, command(0x7C, 0x01))  # temporary fast poll only
    assert default_rsp(rsp, 0x7C, 0x01) == Status.ACTION_DENIED
    assert await answer(host, trv, checkin_response(0x7D, True, 0x0F00)) is None
    await network.elapse(5.0)  # awake no more, fast polling (every 0.5 s)
    delivery = host.send(trv, 1, POLL, command(0x7E, 0x01, ddr=False))
    assert delivery.queued
    await network.elapse(0.5)
    assert (await delivery.wait()).ok
    rsp = await host.wait_for(cluster_id=POLL)
    assert default_rsp(rsp, 0x7E, 0x01) == Status.SUCCESS
    assert server.state is PollState.IDLE
    assert not trv.fast_polling


async def test_set_long_poll_interval(host: CaptureFrontend, trv: SimDevice) -> None:
    cluster = trv.cluster(1, PollControl)
    trv.stay_awake()
    rsp = await answer(host, trv, command(0x81, 0x02, "2d000000", ddr=False))
    assert default_rsp(rsp, 0x81, 0x02) == Status.SUCCESS
    assert cluster.get("long_poll_interval") == 45
    assert trv.long_poll_interval == 11.25
    for tsn, value in (
        (0x82, 1),  # below ShortPollInterval (2)
        (0x83, 3),  # below the range (0x04)
        (0x84, 1201),  # above CheckinInterval (1200)
        (0x85, 0x6E0001),  # above the range
    ):
        rsp = await answer(
            host, trv, command(tsn, 0x02, struct.pack("<I", value).hex())
        )
        assert default_rsp(rsp, tsn, 0x02) == Status.INVALID_VALUE, value
    assert cluster.get("long_poll_interval") == 45
    cluster.set("long_poll_interval_min", 40)
    rsp = await answer(host, trv, command(0x86, 0x02, "27000000"))  # 39 < min
    assert default_rsp(rsp, 0x86, 0x02) == Status.INVALID_VALUE
    assert await answer(host, trv, command(0x87, 0x02, "b0040000")) is None  # 1200
    assert trv.long_poll_interval == 300.0


async def test_set_short_poll_interval(host: CaptureFrontend, trv: SimDevice) -> None:
    cluster = trv.cluster(1, PollControl)
    trv.stay_awake()
    assert await answer(host, trv, command(0x91, 0x03, "0300")) is None
    assert cluster.get("short_poll_interval") == 3
    assert trv.short_poll_interval == 0.75
    for tsn, value in ((0x92, 0), (0x93, 29)):  # out of range / above long poll 28
        rsp = await answer(
            host, trv, command(tsn, 0x03, struct.pack("<H", value).hex())
        )
        assert default_rsp(rsp, tsn, 0x03) == Status.INVALID_VALUE
    assert cluster.get("short_poll_interval") == 3


async def test_attribute_writes(host: CaptureFrontend, trv: SimDevice) -> None:
    cluster = trv.cluster(1, PollControl)
    trv.stay_awake()

    async def write(tsn: int, attr_id: int, type_id: int, value: bytes) -> bytes:
        payload = struct.pack("<HB", attr_id, type_id) + value
        rsp = await host.request(trv, 1, POLL, bytes([0x00, tsn, 0x02]) + payload)
        return rsp.data[3:]

    # CheckinInterval below LongPollInterval (28): refused
    assert await write(0xA1, 0x0000, 0x23, struct.pack("<I", 27)) == bytes.fromhex(
        "87 0000"
    )
    assert await write(0xA2, 0x0000, 0x23, struct.pack("<I", 2400)) == b"\x00"
    assert cluster.get("checkin_interval") == 2400
    # FastPollTimeout above FastPollTimeoutMax (0x0F00): refused
    assert await write(0xA3, 0x0003, 0x21, struct.pack("<H", 0x0F01)) == bytes.fromhex(
        "87 0300"
    )
    # LongPollInterval is read-only: Set Long Poll Interval changes it
    assert await write(0xA4, 0x0001, 0x23, struct.pack("<I", 40)) == bytes.fromhex(
        "88 0100"
    )


async def test_check_in_interval_zero_turns_check_ins_off(
    host: CaptureFrontend, trv: SimDevice
) -> None:
    network = host.network
    server = poll_control(trv)
    trv.cluster(1, PollControl).set("checkin_interval", 0)
    await network.elapse(7200.0)
    assert server.check_ins == 0
    trv.cluster(1, PollControl).set("checkin_interval", 480)  # 2 minutes from now
    await network.elapse(119.0)
    assert server.check_ins == 0
    await network.elapse(1.0)
    assert server.check_ins == 1


async def test_power_cycle_and_leave_stop_check_ins(
    host: CaptureFrontend, trv: SimDevice
) -> None:
    network = host.network
    server = poll_control(trv)
    await check_in(host, trv)
    await trv.power_cycle()
    assert server.state is PollState.IDLE
    await network.elapse(299.0)
    assert server.check_ins == 1  # restarted: the next one is 300 s after power-up
    await network.elapse(1.0)
    assert server.check_ins == 2
    network.device_left(trv)
    await network.elapse(900.0)
    assert server.check_ins == 2


async def test_add_poll_control_checks_the_relationships(
    host: CaptureFrontend,
) -> None:
    device = SimDevice(ieee="00:0d:6f:00:0b:1c:2d:02", manufacturer="A", model="B")
    ep = device.add_endpoint(1)
    with pytest.raises(ValueError, match="long_poll_interval, short_poll_interval"):
        add_poll_control(
            ep, check_in_interval=40, long_poll_interval=60, short_poll_interval=70
        )
    assert not ep.in_clusters
    assert not device.services
    server = add_poll_control(ep, long_poll_interval=36, short_poll_interval=3)
    assert (device.long_poll_interval, device.short_poll_interval) == (9.0, 0.75)
    assert server.cluster is device.cluster(1, PollControl)


async def test_poll_control_attributes_persist(
    host: CaptureFrontend, trv: SimDevice
) -> None:
    trv.stay_awake()
    assert await answer(host, trv, command(0xB1, 0x02, "2d000000")) is None  # 45 qs
    data = host.network.to_dict()
    loaded = SimNetwork.from_dict(data, models={"sample_thermostat": sleepy_thermostat})
    try:
        copy = loaded.device(trv.ieee)
        assert copy.cluster(1, PollControl).get("long_poll_interval") == 45
        assert copy.long_poll_interval == 11.25
        assert copy.next_poll == loaded.now + 11.25
        server = poll_control(copy)
        await loaded.elapse(300.0)
        assert server.check_ins == 1
    finally:
        await loaded.stop()
