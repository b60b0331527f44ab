"""Sleepy end devices and the coordinator's indirect queue, in process (no sockets)."""

from __future__ import annotations

import asyncio

import pytest
from zigpy.zcl.clusters import general
import zigpy.zdo.types as zdo_t

from tests.simulator.capture import CaptureFrontend
from tests.simulator.device import SimDevice
from tests.simulator.models import MODELS
from tests.simulator.models.common import add_basic
from tests.simulator.network import DeliveryStatus, SimNetwork

#: Read Attributes of Basic manufacturer (0x0004) and model (0x0005).
READ_BASIC = bytes.fromhex("00 31 00 0400 0500")


def sleepy_sensor(ieee: str = "00:0d:6f:00:0a:0b:0c:01", **kwargs: object) -> SimDevice:
    """A bare sleepy end device: Basic and OnOff on endpoint 1."""
    options: dict[str, object] = {
        "sleepy": True,
        "long_poll_interval": 7.0,
        "short_poll_interval": 0.75,
        "wake_time": 2.5,
    }
    options.update(kwargs)
    device = SimDevice(ieee=ieee, manufacturer="Acme", model="Nap", **options)  # type: ignore[arg-type]
    ep = device.add_endpoint(1, device_type=0x0402)
    add_basic(ep, device)
    ep.add_cluster(general.OnOff, {"on_off": False})
    return device


async def joined_asleep(host: CaptureFrontend, **kwargs: object) -> SimDevice:
    """Join a sleepy sensor and let its wake time after the announcement pass."""
    device = sleepy_sensor(**kwargs)
    await host.network.join(device)
    await host.wait_for(cluster_id=zdo_t.ZDOCmd.Device_annce)
    await host.network.elapse(device.wake_time + 0.5)
    assert not device.awake
    device.clear_frames()
    return device


async def test_sleepy_device_descriptors() -> None:
    device = sleepy_sensor()
    assert device.is_end_device
    assert not device.rx_on_when_idle
    assert not device.mains_powered
    assert device.capability == zdo_t.MACCapabilityFlags.AllocateAddress
    assert device.node_descriptor().is_end_device
    with pytest.raises(ValueError, match="end device"):
        sleepy_sensor(logical_type=zdo_t.LogicalType.Router)
    with pytest.raises(ValueError, match="rx-on-when-idle"):
        sleepy_sensor(rx_on_when_idle=True)
    with pytest.raises(ValueError, match="positive"):
        sleepy_sensor(short_poll_interval=0)


async def test_frame_waits_for_the_next_long_poll(host: CaptureFrontend) -> None:
    network = host.network
    device = await joined_asleep(host)  # now = 3.0, polls every 7 s from 0.0
    assert device.next_poll == 7.0

    delivery = host.send(device, 1, 0x0000, READ_BASIC)
    assert delivery.status is DeliveryStatus.QUEUED
    assert not delivery.ok
    (entry,) = network.indirect_queue(device)
    assert (entry.queued_at, entry.expires_at) == (3.0, pytest.approx(10.68))
    assert not device.frames()

    await network.elapse(3.75)  # 6.75: still asleep
    assert not device.frames()
    await network.elapse(0.5)  # the poll at 7.0 fetches it
    (frame,) = device.frames(cluster=0x0000)
    assert frame.sim_time == 7.0
    assert frame.data == READ_BASIC
    assert (await delivery.wait()).status is DeliveryStatus.SUCCESS
    rsp = await host.wait_for(cluster_id=0x0000)
    assert rsp.data[:3] == bytes.fromhex("18 31 01")
    assert not network.indirect_queue(device)
    assert device.polls == 1
    assert device.next_poll == 14.0


async def test_poll_now_delivers_at_once(host: CaptureFrontend) -> None:
    device = await joined_asleep(host)
    first = host.send(device, 1, 0x0006, bytes.fromhex("01 41 01"))  # on
    second = host.send(device, 1, 0x0006, bytes.fromhex("01 42 00"))  # off
    assert first.queued and second.queued
    assert await device.poll() == 2
    assert [f.tsn for f in device.frames(cluster=0x0006)] == [0x41, 0x42]
    assert not device.cluster(1, general.OnOff).get("on_off")
    assert [(await d.wait()).status for d in (first, second)] == [
        DeliveryStatus.SUCCESS,
        DeliveryStatus.SUCCESS,
    ]
    assert await device.poll() == 0
    assert device.polls == 2


async def test_unpolled_frame_expires(host: CaptureFrontend) -> None:
    network = host.network
    network.indirect_timeout = 4.5
    device = await joined_asleep(host, long_poll_interval=30.0)
    delivery = host.send(device, 1, 0x0000, READ_BASIC)
    await network.elapse(4.25)
    assert network.indirect_queue(device)
    await network.elapse(0.5)
    assert not network.indirect_queue(device)
    final = await delivery.wait()
    assert final.status is DeliveryStatus.EXPIRED
    assert final.nwk == device.nwk
    await network.elapse(30.0)  # the next poll finds nothing
    assert not device.frames()


async def test_awake_after_sending_then_asleep_again(host: CaptureFrontend) -> None:
    network = host.network
    device = await joined_asleep(host)
    assert await device.report(1, 0x0006, {"on_off": True})
    assert device.awake
    assert host.send(device, 1, 0x0000, READ_BASIC).ok  # no queueing while awake
    await network.settle()
    assert device.frames(cluster=0x0000)

    await network.elapse(device.wake_time)
    assert not device.awake
    assert host.send(device, 1, 0x0000, READ_BASIC).queued


async def test_sending_fetches_what_was_queued(host: CaptureFrontend) -> None:
    device = await joined_asleep(host)
    delivery = host.send(device, 1, 0x0006, bytes.fromhex("01 51 01"))
    assert delivery.queued
    await device.report(1, 0x0000, {"zcl_version": 8})  # it wakes to transmit
    assert (await delivery.wait()).ok
    await host.network.settle()
    assert device.cluster(1, general.OnOff).get("on_off")


async def test_fast_poll_drains_at_the_short_interval(host: CaptureFrontend) -> None:
    network = host.network
    device = await joined_asleep(host)  # now 3.0
    device.start_fast_poll(4.0)
    assert device.fast_polling
    assert device.next_poll == 3.75
    delivery = host.send(device, 1, 0x0000, READ_BASIC)
    await network.elapse(0.5)
    assert delivery.queued and not device.frames()
    await network.elapse(0.25)
    assert device.frames(cluster=0x0000)[0].sim_time == 3.75
    await network.elapse(4.0)  # fast poll over at 7.0: back to 7 s polls
    assert not device.fast_polling
    assert device.next_poll is not None
    assert device.next_poll > network.now + 5


async def test_poll_rate(host: CaptureFrontend) -> None:
    network = host.network
    device = await joined_asleep(host)  # at 3.0, nothing polled yet
    await network.elapse(32.0)  # polls at 7, 14, 21, 28, 35
    assert device.polls == 5
    device.set_poll_intervals(long=13.0)
    await network.elapse(13.0)  # the 48.0 poll
    assert device.polls == 6
    assert device.next_poll == 61.0


async def test_broadcasts_and_groups(host: CaptureFrontend) -> None:
    network = host.network
    device = await joined_asleep(host)
    device.endpoint(1).groups[0x0C0F] = "sleepers"

    def broadcast(address: int, tsn: int) -> None:
        assert network.send_from_host(
            dst_ieee=None,
            dst_nwk=None,
            src_ep=1,
            dst_ep=0xFF,
            cluster_id=0x0006,
            profile_id=0x0104,
            data=bytes([0x01, tsn, 0x02]),
            broadcast=address,
        ).ok

    broadcast(0xFFFD, 0x61)  # rx-on-when-idle devices only
    broadcast(0xFFFC, 0x62)  # routers only
    broadcast(0xFFFF, 0x63)  # everyone: the parent holds it
    assert network.send_from_host(
        dst_ieee=None,
        dst_nwk=None,
        src_ep=1,
        dst_ep=0xFF,
        cluster_id=0x0006,
        profile_id=0x0104,
        data=bytes.fromhex("01 64 02"),
        group=0x0C0F,
    ).ok  # a group frame is a 0xFFFD broadcast: not for sleepy devices
    (entry,) = network.indirect_queue(device)
    assert entry.broadcast
    assert entry.result is None
    assert await device.poll() == 1
    (frame,) = device.frames(cluster=0x0006)
    assert (frame.tsn, frame.broadcast) == (0x63, True)
    assert device.cluster(1, general.OnOff).get("on_off")  # toggled


async def test_offline_sleepy_device_frames_expire(host: CaptureFrontend) -> None:
    network = host.network
    device = await joined_asleep(host)
    device.set_online(False)
    delivery = host.send(device, 1, 0x0000, READ_BASIC)
    assert delivery.queued  # its parent cannot know it is gone
    await network.elapse(network.indirect_timeout)
    assert device.polls == 0
    assert (await delivery.wait()).status is DeliveryStatus.EXPIRED
    assert await device.poll() == 0


async def test_polling_stops_when_the_device_leaves(host: CaptureFrontend) -> None:
    network = host.network
    device = await joined_asleep(host)
    network.device_left(device)
    assert device.next_poll is None
    await network.elapse(20.0)
    assert device.polls == 0
    await network.join(device)
    assert device.next_poll == network.now + 7.0


async def test_power_cycle_restarts_polling(host: CaptureFrontend) -> None:
    network = host.network
    device = await joined_asleep(host)
    await network.elapse(5.0)  # 8.0; last poll at 7.0
    device.start_fast_poll(60.0)
    await device.power_cycle()
    assert not device.fast_polling
    assert device.awake  # it announced itself
    assert device.next_poll == network.now + 7.0


async def test_existing_end_devices_still_answer_at_once(host: CaptureFrontend) -> None:
    """Only ``sleepy=True`` queues: the TS0049 (an rx-off end device) does not."""
    valve = MODELS["ts0049"]()
    assert valve.is_end_device and not valve.rx_on_when_idle and not valve.sleepy
    await host.network.join(valve)
    await host.network.elapse(3600.0)
    assert valve.awake
    delivery = host.send(valve, 1, 0x0000, READ_BASIC)
    assert delivery.ok
    assert valve.polls == 0


async def test_scaled_clock_polls_in_real_time() -> None:
    network = SimNetwork(reply_delay=0, time_scale=400.0)
    host = CaptureFrontend(network)
    network.form(channel=15)
    try:
        device = sleepy_sensor(long_poll_interval=6.0)
        await network.join(device)
        await network.elapse(device.wake_time)
        delivery = host.send(device, 1, 0x0000, READ_BASIC)
        assert delivery.queued
        async with asyncio.timeout(1.0):  # 6 s of virtual time: 15 ms
            assert (await delivery.wait()).ok
        assert (await host.wait_for(cluster_id=0x0000)).data[1] == 0x31
        assert device.polls >= 1
    finally:
        await network.stop()


async def test_restored_sleepy_device_polls_again(host: CaptureFrontend) -> None:
    device = await joined_asleep(host)
    data = host.network.to_dict()
    loaded = SimNetwork.from_dict(data, models={"Nap": sleepy_sensor})
    try:
        copy = loaded.device(device.ieee)
        assert copy.joined
        assert copy.sleepy
        assert copy.next_poll == loaded.now + 7.0
        assert copy.to_dict() == device.to_dict()
    finally:
        await loaded.stop()
