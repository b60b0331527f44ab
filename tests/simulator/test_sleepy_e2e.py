"""End to end with the real zigpy-xbee: sleepy devices, Poll Control, Match_Desc, 0x0109."""

from __future__ import annotations

import asyncio

import pytest
import zigpy.device
import zigpy.exceptions
import zigpy.types
from zigpy.zcl import AttributeReportedEvent, foundation
from zigpy.zcl.clusters import smartenergy
import zigpy.zdo.types as zdo_t
from zigpy_xbee.zigbee.application import ControllerApplication

from tests.simulator.device import SimDevice
from tests.simulator.helpers import wait_initialized
from tests.simulator.network import SimNetwork
from tests.simulator.poll_control import PollState, poll_control
from tests.simulator.sample_devices import se_meter, sleepy_thermostat
from tests.simulator.xbee import TX_EXPLICIT, TX_STATUS, XBeeFrontend

Status = foundation.Status
ZDOCmd = zdo_t.ZDOCmd
THERMOSTAT = 0x0201
POLL = 0x0020


class AcceptSmartEnergy:
    """Let zigpy handle profile 0x0109 frames as ZCL, as a quirk can.

    zigpy 2.3 parses ZCL only from HA (0x0104) and ZLL (0xC05E) frames and hands
    any other profile to ``Device.custom_profile_packet_received``, which ignores
    it: without this, a 0x0109 endpoint's answers never reach zigpy's clusters.
    """

    def __init__(self) -> None:
        self.packets: list[zigpy.types.ZigbeePacket] = []

    def device_joined(self, device: zigpy.device.Device) -> None:
        def received(packet: zigpy.types.ZigbeePacket) -> None:
            self.packets.append(packet)
            if packet.profile_id == 0x0109:
                device.packet_received(packet.replace(profile_id=0x0104))

        device.custom_profile_packet_received = received  # type: ignore[method-assign]


async def join(
    app: ControllerApplication, network: SimNetwork, device: SimDevice
) -> zigpy.device.Device:
    zigpy_device = await wait_initialized(app, device, network.join(device))
    await network.settle()
    return zigpy_device


async def wait_queued(network: SimNetwork, device: SimDevice, count: int = 1) -> None:
    """Wait (real time) until the host's frame sits in the indirect queue."""
    for _ in range(1000):
        if len(network.indirect_queue(device)) >= count:
            return
        await asyncio.sleep(0.002)
    raise TimeoutError(f"nothing queued for {device!r}")


def tx_statuses(xbee: XBeeFrontend, nwk: int) -> list[int]:
    """The TX status delivery codes of the host's explicit TX frames to ``nwk``."""
    frame_ids = [
        data[1]
        for direction, data in xbee.trace
        if direction == "rx"
        and data[0] == TX_EXPLICIT
        and int.from_bytes(data[10:12], "big") == nwk
    ]
    statuses = {
        data[1]: data[5]
        for direction, data in xbee.trace
        if direction == "tx" and data[0] == TX_STATUS
    }
    return [statuses[frame_id] for frame_id in frame_ids if frame_id in statuses]


async def test_tx_status_waits_for_the_poll(
    sim_network: SimNetwork, xbee: XBeeFrontend, zigpy_app: ControllerApplication
) -> None:
    trv = sleepy_thermostat(ieee="00:0d:6f:00:0e:40:6c:01")
    zigpy_device = await join(zigpy_app, sim_network, trv)
    assert zigpy_device.node_desc is not None
    assert zigpy_device.node_desc.is_end_device
    assert not zigpy_device.node_desc.is_receiver_on_when_idle
    assert trv.nwk is not None
    answered = len(tx_statuses(xbee, trv.nwk))  # the interview, while it was awake

    await sim_network.elapse(10.0)  # asleep; polls at 7, 14, ...
    thermostat = zigpy_device.endpoints[1].thermostat
    read = asyncio.create_task(thermostat.read_attributes(["local_temperature"]))
    await wait_queued(sim_network, trv)
    await asyncio.sleep(0.05)
    assert not read.done()
    assert len(tx_statuses(xbee, trv.nwk)) == answered  # no TX status yet

    await sim_network.elapse(4.0)
    success, failure = await read
    assert (success, failure) == ({"local_temperature": 2150}, {})
    assert trv.frames(cluster=THERMOSTAT)[-1].sim_time == 14.0
    assert tx_statuses(xbee, trv.nwk)[answered:] == [0x00]


async def test_unpolled_frames_fail_with_indirect_message_unrequested(
    sim_network: SimNetwork, xbee: XBeeFrontend, zigpy_app: ControllerApplication
) -> None:
    trv = sleepy_thermostat(ieee="00:0d:6f:00:0e:40:6c:02")
    zigpy_device = await join(zigpy_app, sim_network, trv)
    assert trv.nwk is not None
    answered = len(tx_statuses(xbee, trv.nwk))
    await sim_network.elapse(5.0)
    trv.set_online(False)  # batteries out: its parent keeps buffering

    identify = asyncio.create_task(zigpy_device.endpoints[1].identify.identify(9))
    for _ in range(3):  # zigpy tries three times
        await wait_queued(sim_network, trv)
        await sim_network.elapse(sim_network.indirect_timeout)
    with pytest.raises(zigpy.exceptions.DeliveryError):
        await identify
    assert tx_statuses(xbee, trv.nwk)[answered:] == [0x75, 0x75, 0x75]
    assert not trv.frames(cluster=0x0003)


async def test_check_in_exchange(
    sim_network: SimNetwork, zigpy_app: ControllerApplication
) -> None:
    """The host (zigpy) answers check-ins: fast poll while it has work, else slow."""
    network = sim_network
    trv = sleepy_thermostat(ieee="00:0d:6f:00:0e:40:6c:03")
    zigpy_device = await join(zigpy_app, network, trv)
    server = poll_control(trv)
    # zigpy's interview binds Poll Control and sets a 30 s fast poll timeout
    assert [(b.src_ep, b.cluster_id, b.dst_ep) for b in trv.bindings] == [(1, POLL, 1)]
    assert trv.cluster(1, POLL).get("fast_poll_timeout") == 120

    await network.elapse(300.0)
    check_in = trv.frames(sent=True, cluster=POLL)[-1]
    assert check_in.sim_time == 300.0
    assert check_in.data == bytes([0x19, check_in.tsn, 0x00])
    response = await trv.wait_for_frame(cluster=POLL, command=0x00, tsn=check_in.tsn)
    # cluster-specific, client->server, no Default Response; start, 120 qs (30 s)
    assert response.data == bytes([0x11, check_in.tsn, 0x00, 0x01, 0x78, 0x00])
    await network.settle()
    assert server.state is PollState.FAST_POLLING
    assert trv.fast_poll_until == 330.0

    await network.elapse(4.0)  # awake no more: the short poll (0.5 s) fetches
    thermostat = zigpy_device.endpoints[1].thermostat
    read = asyncio.create_task(thermostat.read_attributes(["local_temperature"]))
    await wait_queued(network, trv)
    await network.elapse(0.5)
    assert (await read)[0] == {"local_temperature": 2150}
    assert trv.frames(cluster=THERMOSTAT)[-1].sim_time == 304.5

    await network.elapse(3.5)
    stop = asyncio.create_task(zigpy_device.endpoints[1].poll_control.fast_poll_stop())
    await wait_queued(network, trv)
    await network.elapse(0.5)
    assert await stop == foundation.DefaultResponse(
        command_id=0x01, status=Status.SUCCESS
    )
    assert server.state is PollState.IDLE
    assert not trv.fast_polling

    # zigpy leaves its fast poll mode 30 real seconds after the interview: skip that
    assert zigpy_device._fast_polling_reset_task is not None
    zigpy_device._fast_polling_reset_task.cancel()
    zigpy_device._fast_polling = False
    await network.elapse(300.0)
    check_in = trv.frames(sent=True, cluster=POLL)[-1]
    assert check_in.sim_time == 600.0
    response = await trv.wait_for_frame(cluster=POLL, command=0x00, tsn=check_in.tsn)
    assert response.payload == bytes.fromhex("00 0000")  # keep long polling
    await network.settle()
    assert server.state is PollState.IDLE
    assert not trv.fast_polling


async def test_match_descriptor_through_zigpy(
    sim_network: SimNetwork, xbee: XBeeFrontend, zigpy_app: ControllerApplication
) -> None:
    meter = sleepy_thermostat(ieee="00:0d:6f:00:0e:40:6c:04")
    await join(zigpy_app, sim_network, meter)
    await sim_network.elapse(60.0)  # asleep: it wakes to ask, gets the answer awake

    def requests_seen_by_zigpy() -> int:
        return sum(
            1
            for direction, data in xbee.trace
            if direction == "tx"
            and data[0] == 0x91
            and int.from_bytes(data[13:15], "big") == ZDOCmd.Match_Desc_req
        )

    # zigpy-xbee sets AO=3: the XBee passes Match_Desc_req to zigpy, which answers
    # endpoint 1 for the HA profile whatever the clusters, nothing for others.
    assert xbee.params["AO"] == 3
    assert await meter.match_descriptor(0x0104, [0x000A]) == [1]
    assert await meter.match_descriptor(0x0104, [0x0B04, 0x0012]) == [1]
    assert await meter.match_descriptor(0x0109, [0x0700]) == []
    assert requests_seen_by_zigpy() == 3
    responses = meter.frames(cluster=ZDOCmd.Match_Desc_rsp)
    assert len(responses) == 3  # only zigpy answered

    # Without pass-through the XBee answers from the coordinator's own endpoints.
    xbee.params["AO"] = 0x01
    sim_network.add_coordinator_endpoint(
        0x2A, profile_id=0x0109, device_type=0x0500, in_clusters=[0x0700, 0x000A]
    )
    assert await meter.match_descriptor(0x0109, [0x0700]) == [0x2A]
    assert await meter.match_descriptor(0x0104, [0x000A]) == []  # 0xE6 is 0xC105
    assert requests_seen_by_zigpy() == 3


async def test_smart_energy_endpoint_through_zigpy(
    sim_network: SimNetwork, xbee: XBeeFrontend, zigpy_app: ControllerApplication
) -> None:
    quirk = AcceptSmartEnergy()
    zigpy_app.add_listener(quirk)
    meter = se_meter(ieee="00:0d:6f:00:0e:40:6c:05")
    zigpy_device = await join(zigpy_app, sim_network, meter)
    endpoint = zigpy_device.endpoints[1]
    assert (endpoint.profile_id, endpoint.device_type) == (0x0109, 0x0501)
    assert zigpy_device.model == "SimGasMeter"
    metering = endpoint.smartenergy_metering
    meter.clear_frames()

    success, failure = await metering.read_attributes(
        ["current_summ_delivered", "unit_of_measure"]
    )
    assert failure == {}
    assert success["current_summ_delivered"] == 123_456
    assert success["unit_of_measure"] == (
        smartenergy.MeteringUnitofMeasure.Cubic_Meter_and_Cubic_Meter_per_Hour_binary
    )
    (request,) = meter.frames(cluster=0x0702)
    assert request.profile_id == 0x0109
    (response,) = meter.frames(sent=True, cluster=0x0702)
    assert response.profile_id == 0x0109
    # it reached zigpy with its profile: as a "custom profile" packet
    assert quirk.packets[-1].profile_id == 0x0109
    assert quirk.packets[-1].cluster_id == 0x0702

    reports: list[AttributeReportedEvent] = []
    reported = asyncio.Event()

    def on_report(event: AttributeReportedEvent) -> None:
        reports.append(event)
        reported.set()

    metering.on_event("attribute_report", on_report)
    assert await meter.report(1, 0x0702, {"current_summ_delivered": 124_003})
    async with asyncio.timeout(2):
        await reported.wait()
    assert (reports[0].attribute_name, reports[0].value) == (
        "current_summ_delivered",
        124_003,
    )
    explicit_rx = [
        d for direction, d in xbee.trace if direction == "tx" and d[0] == 0x91
    ]
    assert explicit_rx[-1][13:17] == bytes.fromhex("0702 0109")  # cluster, profile


async def test_sleepy_smart_energy_meter_through_zigpy(
    sim_network: SimNetwork, xbee: XBeeFrontend, zigpy_app: ControllerApplication
) -> None:
    zigpy_app.add_listener(AcceptSmartEnergy())
    meter = se_meter(ieee="00:0d:6f:00:0e:40:6c:06", sleepy=True)
    zigpy_device = await join(zigpy_app, sim_network, meter)
    await sim_network.elapse(12.0)
    metering = zigpy_device.endpoints[1].smartenergy_metering
    read = asyncio.create_task(metering.read_attributes(["current_summ_delivered"]))
    await wait_queued(sim_network, meter)
    (entry,) = sim_network.indirect_queue(meter)
    assert entry.aps.profile_id == 0x0109
    assert await meter.poll() == 1  # test code triggers the MAC data request
    assert (await read)[0] == {"current_summ_delivered": 123_456}
    assert meter.frames(sent=True, cluster=0x0702)[-1].profile_id == 0x0109
