"""The coordinator answers devices' Match_Desc_req, in process (no sockets)."""

from __future__ import annotations

import pytest
import zigpy.zdo.types as zdo_t

from tests.simulator.capture import CaptureFrontend
from tests.simulator.device import SimDevice, ZdoStatusError
from tests.simulator.models import MODELS
from tests.simulator.sample_devices import se_meter, sleepy_thermostat

ZDOCmd = zdo_t.ZDOCmd
TIME = 0x000A
OTA = 0x0019
PRICE = 0x0700
METERING = 0x0702
KEY_ESTABLISHMENT = 0x0800


@pytest.fixture
def host(capture_host: CaptureFrontend) -> CaptureFrontend:
    network = capture_host.network
    frontend = capture_host
    # What a host would register: an HA endpoint with Time and OTA servers, an
    # Energy Service Interface on the Smart Energy profile.
    network.add_coordinator_endpoint(
        1,
        profile_id=0x0104,
        device_type=0x0400,
        in_clusters=[OTA, 0x0000, TIME],
        out_clusters=[0x0006, 0x0003],
    )
    network.add_coordinator_endpoint(
        0x2A,
        profile_id=0x0109,
        device_type=0x0500,
        in_clusters=[PRICE, TIME, KEY_ESTABLISHMENT],
        out_clusters=[METERING],
    )
    return frontend


@pytest.fixture
async def meter(host: CaptureFrontend) -> SimDevice:
    device = se_meter(ieee="00:0d:6f:00:0c:2e:4a:01")
    await host.network.join(device)
    await host.wait_for(cluster_id=ZDOCmd.Device_annce)
    return device


async def test_match_by_input_cluster(host: CaptureFrontend, meter: SimDevice) -> None:
    assert await meter.match_descriptor(0x0109, [PRICE, 0x0703]) == [0x2A]
    (request,) = meter.frames(sent=True, cluster=ZDOCmd.Match_Desc_req)
    tsn = request.tsn
    assert request.data == bytes([tsn]) + bytes.fromhex("0000 0901 02 0007 0307 00")
    (response,) = meter.frames(cluster=ZDOCmd.Match_Desc_rsp)
    assert response.data == bytes([tsn]) + bytes.fromhex("00 0000 01 2a")
    assert (response.src_ep, response.profile_id) == (0, 0)
    assert not host.frames  # the coordinator answered; the host saw nothing


async def test_match_by_output_cluster_and_profile(
    host: CaptureFrontend, meter: SimDevice
) -> None:
    # Metering is a client cluster of the ESI: a server-side request does not match
    assert await meter.match_descriptor(0x0109, [], [METERING]) == [0x2A]
    assert await meter.match_descriptor(0x0109, [METERING], []) == []
    # Time server on both endpoints, but only one has the requested profile
    assert await meter.match_descriptor(0x0104, [TIME]) == [1]
    assert await meter.match_descriptor(0xFFFF, [TIME]) == [1, 0x2A]  # wildcard


async def test_unicast_without_match_is_answered(
    host: CaptureFrontend, meter: SimDevice
) -> None:
    assert await meter.match_descriptor(0x0109, [0x0B04, 0x0006]) == []
    response = meter.frames(cluster=ZDOCmd.Match_Desc_rsp)[-1]
    assert response.payload == bytes.fromhex("00 0000 00")  # SUCCESS, MatchLength 0
    assert await meter.match_descriptor(0xC05E, [TIME]) == []  # another profile


async def test_broadcast_is_answered_only_on_a_match(
    host: CaptureFrontend, meter: SimDevice
) -> None:
    assert await meter.match_descriptor(0x0109, [TIME], dst_nwk=0xFFFD) == [0x2A]
    request = meter.frames(sent=True, cluster=ZDOCmd.Match_Desc_req)[-1]
    assert request.broadcast
    assert request.payload[:2] == bytes.fromhex("fdff")  # NWKAddrOfInterest 0xFFFD
    with pytest.raises(TimeoutError):
        await meter.match_descriptor(0x0109, [0x0B05], dst_nwk=0xFFFF, timeout=0.1)


async def test_other_nwk_addresses_of_interest(
    host: CaptureFrontend, meter: SimDevice
) -> None:
    other = MODELS["light"]()
    await host.network.join(other)
    assert other.nwk is not None
    with pytest.raises(ZdoStatusError) as err:
        await meter.match_descriptor(0x0104, [0x0006], nwk_addr_of_interest=other.nwk)
    assert err.value.status == zdo_t.Status.NO_DESCRIPTOR  # a child: no cached copy
    response = meter.frames(cluster=ZDOCmd.Match_Desc_rsp)[-1]
    assert response.payload == bytes([0x89]) + other.nwk.to_bytes(2, "little") + b"\0"
    with pytest.raises(ZdoStatusError) as err:
        await meter.match_descriptor(0x0104, [0x0006], nwk_addr_of_interest=0x7A31)
    assert err.value.status == zdo_t.Status.DEVICE_NOT_FOUND
    with pytest.raises(ZdoStatusError) as err:
        await meter.match_descriptor(0x0104, [0x0006], nwk_addr_of_interest=0xFFFB)
    assert err.value.status == zdo_t.Status.INV_REQUESTTYPE
    with pytest.raises(ValueError):
        await meter.match_descriptor(0x0104, [0x0006], dst_nwk=other.nwk)


async def test_sleepy_requester_gets_the_answer_while_awake(
    host: CaptureFrontend,
) -> None:
    network = host.network
    trv = sleepy_thermostat(ieee="00:0d:6f:00:0c:2e:4a:02")
    await network.join(trv)
    await network.elapse(60.0)
    assert not trv.awake
    assert await trv.match_descriptor(0x0104, [TIME]) == [1]
    assert not network.indirect_queue(trv)


async def test_passthrough_hands_the_request_to_the_host(
    host: CaptureFrontend, meter: SimDevice
) -> None:
    host.zdo_passthrough = True
    with pytest.raises(TimeoutError):
        await meter.match_descriptor(0x0109, [PRICE], timeout=0.05)
    request = await host.wait_for(cluster_id=ZDOCmd.Match_Desc_req)
    assert (request.src_nwk, request.profile_id, request.dst_ep) == (meter.nwk, 0, 0)
    assert request.data[1:] == bytes.fromhex("0000 0901 01 0007 00")


async def test_host_sees_the_registered_endpoints(host: CaptureFrontend) -> None:
    network = host.network

    async def coordinator_zdo(cluster: int, payload: str) -> bytes:
        assert network.send_from_host(
            dst_ieee=None,
            dst_nwk=0x0000,
            src_ep=0,
            dst_ep=0,
            cluster_id=cluster,
            profile_id=0,
            data=bytes.fromhex(payload),
        ).ok
        return (await host.wait_for(cluster_id=cluster | 0x8000)).data

    assert await coordinator_zdo(0x0005, "21 0000") == bytes.fromhex(
        "21 00 0000 03 e6 01 2a"
    )
    assert await coordinator_zdo(0x0004, "22 0000 2a") == bytes.fromhex(
        "22 00 0000 10 2a 0901 0005 00 03 0007 0a00 0008 01 0207"
    )
    assert await coordinator_zdo(0x0004, "23 0000 e6") == bytes.fromhex(
        "23 00 0000 08 e6 05c1 5000 00 00 00"
    )
    network.remove_coordinator_endpoint(0x2A)
    assert await coordinator_zdo(0x0004, "24 0000 2a") == bytes.fromhex("24 83 0000 00")
    # the host may ask the coordinator too
    assert await coordinator_zdo(0x0006, "25 0000 0401 01 1900 00") == bytes.fromhex(
        "25 00 0000 01 01"
    )
    with pytest.raises(ValueError):
        network.add_coordinator_endpoint(0xF1, profile_id=0x0104)


async def test_other_requests_from_devices(
    host: CaptureFrontend, meter: SimDevice
) -> None:
    """The coordinator answers what it supports, NOT_SUPPORTED otherwise."""
    coordinator = host.network.ieee.serialize()
    assert meter.send_zdo(ZDOCmd.IEEE_addr_req, bytes.fromhex("0000 00 00"), tsn=0x5A)
    rsp = await meter.wait_for_frame(cluster=ZDOCmd.IEEE_addr_rsp, tsn=0x5A)
    assert rsp.payload == b"\x00" + coordinator + b"\x00\x00"
    assert meter.send_zdo(ZDOCmd.Active_EP_req, bytes.fromhex("0000"), tsn=0x5B)
    rsp = await meter.wait_for_frame(cluster=ZDOCmd.Active_EP_rsp, tsn=0x5B)
    assert rsp.payload == bytes.fromhex("00 0000 03 e6 01 2a")
    bind = meter.ieee.serialize() + bytes.fromhex("01 0007 03") + coordinator + b"\x2a"
    assert meter.send_zdo(ZDOCmd.Bind_req, bind, tsn=0x5C)
    rsp = await meter.wait_for_frame(cluster=ZDOCmd.Bind_rsp, tsn=0x5C)
    assert rsp.payload == bytes([zdo_t.Status.NOT_SUPPORTED])
    assert not host.frames
