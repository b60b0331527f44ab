"""Endpoints on the Smart Energy profile (0x0109), in process (no sockets)."""

from __future__ import annotations

import pytest
import zigpy.zdo.types as zdo_t

from tests.simulator.capture import CaptureFrontend
from tests.simulator.device import SimDevice
from tests.simulator.poll_control import poll_control
from tests.simulator.sample_devices import se_meter

SE = 0x0109
HA = 0x0104
METERING = 0x0702


@pytest.fixture
async def meter(host: CaptureFrontend) -> SimDevice:
    device = se_meter(ieee="00:0d:6f:00:0d:3f:5b:01")
    await host.network.join(device)
    await host.wait_for(cluster_id=zdo_t.ZDOCmd.Device_annce)
    device.clear_frames()
    return device


async def test_simple_descriptor(host: CaptureFrontend, meter: SimDevice) -> None:
    nwk = meter.nwk
    assert nwk is not None
    rsp = await host.request(
        meter, 0, 0x0004, bytes([0x31]) + nwk.to_bytes(2, "little") + b"\x01"
    )
    assert rsp.data[4:] == bytes.fromhex("10 01 0901 0105 01 03 0000 0207 2000 01 0a00")


async def test_read_answers_with_the_request_profile(
    host: CaptureFrontend, meter: SimDevice
) -> None:
    # current_summ_delivered (0x0000, uint48) and metering_device_type (0x0306, map8)
    rsp = await host.request(meter, 1, METERING, bytes.fromhex("00 32 00 0000 0603"))
    assert rsp.profile_id == SE
    assert rsp.data == bytes.fromhex("18 32 01 0000 00 25 40e201000000 0603 00 18 01")
    (request,) = meter.frames(cluster=METERING)
    assert request.profile_id == SE  # the host default: the endpoint's profile
    assert meter.frames(profile=SE) == [request]
    assert not meter.frames(profile=HA)
    # a frame sent with another profile is still answered, with that profile
    rsp = await host.request(
        meter, 1, METERING, bytes.fromhex("00 33 00 0000"), profile_id=HA
    )
    assert rsp.profile_id == HA
    assert meter.frames(sent=True, profile=HA)[0].tsn == 0x33
    default = await host.request(
        meter, 1, METERING, bytes.fromhex("01 34 77"), profile_id=SE
    )
    assert default.profile_id == SE
    assert default.data == bytes.fromhex("18 34 0b 77 81")  # UNSUP_CLUSTER_COMMAND


async def test_reports_and_check_ins_leave_with_the_endpoint_profile(
    host: CaptureFrontend, meter: SimDevice
) -> None:
    assert await meter.report(1, METERING, {"current_summ_delivered": 123_789})
    report = await host.wait_for(cluster_id=METERING)
    assert report.profile_id == SE
    assert report.data[2:] == bytes.fromhex("0a 0000 25 8de301000000")
    assert poll_control(meter).check_in() == 1
    check_in = await host.wait_for(cluster_id=0x0020)
    assert check_in.profile_id == SE
    sent = meter.frames(sent=True, profile=SE)
    assert [f.cluster_id for f in sent] == [METERING, 0x0020]


async def test_sleepy_meter_keeps_the_profile_through_the_queue(
    host: CaptureFrontend,
) -> None:
    network = host.network
    meter = se_meter(ieee="00:0d:6f:00:0d:3f:5b:02", sleepy=True)
    await network.join(meter)
    assert meter.long_poll_interval == 30.0  # from Poll Control: 120 quarter-seconds
    await network.elapse(10.0)
    delivery = host.send(meter, 1, METERING, bytes.fromhex("00 35 00 0000"))
    assert delivery.queued
    (entry,) = network.indirect_queue(meter)
    assert entry.aps.profile_id == SE
    await network.elapse(7.0)
    assert await meter.poll() == 1  # it polls every 30 s: the frame would expire
    assert (await delivery.wait()).ok
    rsp = await host.wait_for(cluster_id=METERING)
    assert (rsp.profile_id, rsp.data[1]) == (SE, 0x35)
