"""A Smart Energy client finds its ESI by Match_Desc_req and takes the ESI's frames from there only."""

from __future__ import annotations

import asyncio
import struct

from tests.simulator.capture import CaptureFrontend
from tests.simulator.models import MODELS
from tests.simulator.models.se_in_home_display import DisplayStartUp
from tests.simulator.models.se_load_controller import (
    DRLC,
    LoadControllerDevice,
    se_load_controller,
)
from tests.simulator.network import SimNetwork

SE_PROFILE = 0x0109
ESI = 0x5E
# LoadControlEvent (reference §4.2): id 0x0A0B0C0D, water heater 0x0004, group 0, start now,
# 5 minutes, criticality 1, offsets and set points / adjustment / duty cycle not used
EVENT = struct.pack(
    "<IHBIHBBBhhbBB",
    0x0A0B0C0D,
    0x0004,
    0,
    0,
    5,
    1,
    0xFF,
    0xFF,
    -0x8000,
    -0x8000,
    -0x80,
    0xFF,
    0,
)


def send_event(
    host: CaptureFrontend, device: LoadControllerDevice, src_ep: int, tsn: int
) -> None:
    """LoadControlEvent from the coordinator's ``src_ep`` (FC 0x09: server -> client)."""
    assert host.network.send_from_host(
        dst_ieee=device.ieee,
        dst_nwk=None,
        src_ep=src_ep,
        dst_ep=2,
        cluster_id=DRLC,
        profile_id=SE_PROFILE,
        data=bytes((0x09, tsn, 0x00)) + EVENT,
    ).ok


async def test_discovery_and_strict_source(capture_host: CaptureFrontend) -> None:
    network = capture_host.network
    network.add_coordinator_endpoint(
        ESI,
        profile_id=SE_PROFILE,
        device_type=0x0500,
        in_clusters=[0x0000, 0x000A, 0x0700, DRLC, 0x0703],
    )
    device = se_load_controller("00:0d:6f:00:0b:00:06:01")
    network.add_device(device)
    await network.join(device)
    assert device.esi_destination == 1  # nothing known yet

    assert await device.discover_esi() == ESI
    request = device.frames(sent=True, cluster=0x0006, zdo=True)[-1]
    assert request.payload == bytes.fromhex("0000 0901 01 0107 00")
    assert device.esi_endpoint == ESI

    # from another endpoint: dropped, no report, no Default Response
    sent = len(device.sent)
    send_event(capture_host, device, 1, 0x21)
    await network.elapse(0)
    assert [frame.src_ep for frame in device.dropped] == [1]
    assert device.controller.events == {}
    assert device.sent[sent:] == []

    # from the ESI: taken, and the report goes to the ESI endpoint
    send_event(capture_host, device, ESI, 0x22)
    await network.elapse(0)
    assert set(device.controller.events) == {0x0A0B0C0D}
    assert device.controller.reports[0] == (0x0A0B0C0D, 0x01)  # received
    reports = [frame for frame in device.sent[sent:] if frame.cluster_id == DRLC]
    assert reports
    assert {(frame.dst_ep, frame.profile_id) for frame in reports} == {
        (ESI, SE_PROFILE)
    }
    assert len(device.dropped) == 1


async def test_display_starts_up_by_itself_on_wall_time() -> None:
    """In the dev server a joined display finds the ESI and asks for the time and price.

    On the tests' manual clock it does nothing by itself (the scenarios drive it).
    """
    for time_scale in (None, 60.0):
        network = SimNetwork(reply_delay=0, time_scale=time_scale)
        CaptureFrontend(network)
        network.form(channel=15)
        network.add_coordinator_endpoint(
            ESI,
            profile_id=SE_PROFILE,
            device_type=0x0500,
            in_clusters=[0x0000, 0x000A, 0x0700, DRLC, 0x0703],
        )
        display = MODELS["se_in_home_display"]("00:0d:6f:00:0b:00:06:02")
        (start_up,) = [s for s in display.services if isinstance(s, DisplayStartUp)]
        start_up.delay = 0
        start_up.retry = 0.05
        network.add_device(display)
        await network.join(display)
        await asyncio.sleep(0.3)
        sent = {(frame.cluster_id, frame.profile_id) for frame in display.sent}
        if time_scale is None:
            assert display.esi_endpoint is None
            assert (0x0006, 0) not in sent
        else:
            assert display.esi_endpoint == ESI
            assert {(0x0006, 0), (0x000A, SE_PROFILE)} <= sent  # Match_Desc, Time read
        await network.stop()
