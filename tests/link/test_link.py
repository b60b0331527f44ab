"""Link diagnostics end to end: test_link, scan_channels, the link sensors and the repair.

HA + real ZHA + our integration on the simulated network, whose links have the latency,
loss and signal each test sets (`device.link`), and whose XBee answers the energy scan with
the channel energies the test sets (`sim_frontend.channel_energy`).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.zha_device_pack import zha_bridge
from custom_components.zha_device_pack.const import DOMAIN
from custom_components.zha_device_pack.families import loaded_family
from custom_components.zha_device_pack.link import LinkFamily
from tests.conftest import ZigbeeHarness
from tests.simulator import SimDevice, XBeeFrontend, create_device
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_meters import se_electricity_meter, se_gas_meter

BASIC = 0x0000
READ_ATTRIBUTES = 0x00


async def call(hass: HomeAssistant, service: str, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert response is not None
    return response  # type: ignore[return-value]


def device_id(hass: HomeAssistant, device: SimDevice) -> str:
    found = zha_bridge.zha_device_id(hass, device.ieee)
    assert found is not None
    return found


def basic_reads(device: SimDevice) -> list[Any]:
    return device.frames(cluster=BASIC, command=READ_ATTRIBUTES, general=True)


def link_entity(hass: HomeAssistant, device: SimDevice, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{device.ieee}-{key}"
    )
    assert entity_id is not None
    return entity_id


async def test_link_test_measures_latency_and_losses(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two hops of 40 ms: round trips of about 160 ms; two lost frames, one retried."""
    # zigpy's topology scan paces a real network: 1-1.5 s after each of its requests
    monkeypatch.setattr("zigpy.topology.REQUEST_DELAY", (0.0, 0.0))
    plug = create_device("plug", ieee=resolve_ieee("00:0d:6f:00:0b:00:00:01"))
    await zigbee.join(plug)
    plug.link.hops = 2
    plug.link.hop_latency_ms = 40
    before = len(basic_reads(plug))
    # captured by a callback: a plain ``list.append`` would run in the executor, late
    progress = async_capture_events(hass, f"{DOMAIN}_link_test_progress")

    result = await call(
        hass, "test_link", device_id=device_id(hass, plug), count=5, interval=0
    )
    assert result["method"] == "basic_read"
    assert result["requests"] == 5
    assert result["answered"] == 5
    assert result["lost"] == 0
    assert result["sleepy"] is False
    latency = result["latency_ms"]
    assert 160 <= latency["min"] <= latency["median"] <= latency["max"] < 600
    # on the wire: Read Attributes of Basic ZCLVersion (0x0000), nothing else
    reads = basic_reads(plug)[before:]
    assert len(reads) == 5
    assert {read.payload for read in reads} == {bytes.fromhex("0000")}
    await hass.async_block_till_done()
    assert [event.data["done"] for event in progress] == [1, 2, 3, 4, 5]

    # the next two deliveries fail: the first request is retried, then lost after its retry
    plug.link.hops = 1
    plug.link.hop_latency_ms = 0
    plug.link.fail_next = 3
    result = await call(
        hass, "test_link", device_id=device_id(hass, plug), count=3, interval=0
    )
    assert result["lost"] == 1  # attempts 1 and 2 fail
    assert result["retries"] == 2  # the first request's retry, the second's retry
    assert result["answered"] == 2
    assert result["requests"] == 5
    # the last hop's LQI / RSSI as zigpy learns them (its topology scan: Mgmt_Lqi, AT DB)
    plug.link.lqi = 123
    plug.link.rssi = -71
    gateway = zha_bridge.gateway(hass)
    assert gateway is not None
    await gateway.application_controller.topology.scan()
    result = await call(
        hass, "test_link", device_id=device_id(hass, plug), count=1, interval=0
    )
    assert result["last_hop_lqi"] == 123
    assert result["last_hop_rssi"] == -71

    # a plain plug's sensors are disabled by default; the family counts all the same
    stats = loaded_family(hass, LinkFamily).stats[plug.ieee]
    assert stats.failed >= 3


async def test_link_test_refuses_bad_input(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    plug = create_device("plug", ieee=resolve_ieee("00:0d:6f:00:0b:00:00:02"))
    await zigbee.join(plug)
    before = len(basic_reads(plug))

    async def refused(key: str, **data: Any) -> None:
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "test_link", **data)
        assert err.value.translation_key == key
        assert len(basic_reads(plug)) == before

    await refused("link_count_out_of_range", device_id=device_id(hass, plug), count=0)
    await refused("link_count_out_of_range", device_id=device_id(hass, plug), count=101)
    await refused("link_unknown_device", device_id="not-a-device")
    gateway = zha_bridge.gateway(hass)
    assert gateway is not None
    coordinator = zha_bridge.zha_device_id(hass, gateway.coordinator_zha_device.ieee)
    await refused("link_coordinator", device_id=coordinator)


async def test_sleepy_device_is_tested_at_its_poll(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """A battery meter answers when it polls: the response says so and how long it took."""
    gas = se_gas_meter(resolve_ieee("00:0d:6f:00:0b:00:00:03"))
    await zigbee.join(gas)
    task = hass.async_create_task(
        call(hass, "test_link", device_id=device_id(hass, gas), count=2, interval=0)
    )
    for _ in range(30):  # its parent holds the request until the meter polls (7 s)
        await zigbee.network.elapse(1)
        await hass.async_block_till_done()
        if task.done():
            break
    result = await task
    assert result["sleepy"] is True
    assert result["answered"] == 2
    assert result["waited_for_poll_s"] is not None


async def test_scan_channels(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    sim_frontend: XBeeFrontend,
) -> None:
    """Per-channel energy, the quietest channels, Wi-Fi overlaps, the hub's sensors."""
    # -dBm per channel: 20 the quietest, 13 next, Wi-Fi-like noise on 16-19
    sim_frontend.channel_energy = dict.fromkeys(range(11, 27), 60) | {
        20: 95,
        13: 92,
        16: 40,
        17: 38,
        18: 41,
        19: 45,
        25: 91,
    }
    result = await call(hass, "scan_channels")
    assert sim_frontend.energy_scans[-1] == bytes([4])  # AT ED 04 on the wire
    energy = {int(ch): value for ch, value in result["energy"].items()}
    assert set(energy) == set(range(11, 27))
    assert energy[20] < energy[13] < energy[11] < energy[17]
    assert result["quietest"] == [20, 13, 25]
    assert result["recommended"] == 20  # between Wi-Fi 6 and 11
    assert result["wifi_overlaps"]["13"] == [1, 2, 3]
    assert result["wifi_overlaps"]["20"] == [7, 8, 9, 10]
    recommended = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, "zigbee_network_recommended_channel"
    )
    assert recommended is not None
    await hass.async_block_till_done()
    state = hass.states.get(recommended)
    assert state is not None
    assert state.state == "20"
    assert state.attributes["quietest"] == [20, 13, 25]
    energy_20 = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, "zigbee_network_channel_20_energy"
    )
    assert energy_20 is not None
    assert float(hass.states.get(energy_20).state) == energy[20]  # type: ignore[union-attr]

    # a subset, and bad channels refused
    result = await call(hass, "scan_channels", channels=[15, 25])
    assert set(result["energy"]) == {"15", "25"}
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "scan_channels", channels=[10, 27])
    assert err.value.translation_key == "link_bad_channels"

    # a radio that cannot scan
    sim_frontend.energy_scan_supported = False
    with pytest.raises(HomeAssistantError) as err2:
        await call(hass, "scan_channels")
    assert err2.value.translation_key == "link_scan_unsupported"


@pytest.mark.freeze_time(tick=True)
async def test_link_sensors_probes_and_repair(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """Link sensors, automatic probes and the repair issue.

    Our family's meter has the sensors enabled (a plain plug disabled); probes are rare; a day
    of failures raises a repair that names the device and goes away on success.
    """
    meter = se_electricity_meter(resolve_ieee("00:0d:6f:00:0b:00:00:04"))
    plug = create_device("plug", ieee=resolve_ieee("00:0d:6f:00:0b:00:00:05"))
    meter.link.hop_latency_ms = 30
    reads = len(basic_reads(meter))
    await zigbee.join(meter)
    await zigbee.join(plug)
    await zigbee.network.settle()
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    plug_latency = registry.async_get(link_entity(hass, plug, "link_latency"))
    assert plug_latency is not None
    assert plug_latency.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    latency_id = link_entity(hass, meter, "link_latency")
    assert registry.async_get(latency_id).disabled_by is None  # type: ignore[union-attr]

    # the first automatic probe when the sensor appears (a fresh pairing shows its
    # latency, not Unknown), then none for 6 hours
    state = hass.states.get(latency_id)
    assert state is not None
    assert 60 <= float(state.state) < 400
    interview_reads = len(basic_reads(meter)) - reads
    for _ in range(12):
        freezer.tick(timedelta(minutes=10))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        await zigbee.network.settle()
        await hass.async_block_till_done()
    assert len(basic_reads(meter)) - reads == interview_reads  # 2 hours: no probe
    state = hass.states.get(latency_id)
    assert state is not None
    assert 60 <= float(state.state) < 400

    # every delivery fails for a day: a repair issue names the meter
    meter.link.loss = 1.0
    name = zha_bridge.zha_device_entry(hass, meter.ieee).name  # type: ignore[union-attr]
    issue_id = f"link_failing_{str(meter.ieee).replace(':', '')}"
    for _ in range(5):
        freezer.tick(timedelta(hours=6))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        await asyncio.sleep(
            0.2
        )  # the lost probe's TX status comes after its round trip
        await zigbee.network.settle()
        await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders["name"] == name  # type: ignore[index]
    missed = hass.states.get(link_entity(hass, meter, "missed_messages"))
    assert missed is not None
    assert int(missed.state) >= 3

    # one message gets through: the issue goes
    meter.link.loss = 0.0
    await call(hass, "test_link", device_id=device_id(hass, meter), count=1)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert dt_util.utcnow()  # time moved with the freezer throughout


@pytest.mark.freeze_time(tick=True)
async def test_sleepy_device_is_probed_when_heard(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """A battery meter is never woken for a probe: it goes out when the meter is heard."""
    gas = se_gas_meter(resolve_ieee("00:0d:6f:00:0b:00:00:06"))
    await zigbee.join(gas)
    reads = len(basic_reads(gas))
    for _ in range(2):  # the 10-minute check
        freezer.tick(timedelta(minutes=10))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    await zigbee.network.settle()
    assert len(basic_reads(gas)) == reads  # due, but not sent to a sleeping meter
    # the meter reports (it is awake): the probe goes out and is answered at its poll
    for _ in range(40):
        await zigbee.network.elapse(60)
        await hass.async_block_till_done()
        if len(basic_reads(gas)) > reads:
            break
    for _ in range(10):
        await zigbee.network.elapse(1)
        await hass.async_block_till_done()
    assert len(basic_reads(gas)) == reads + 1
    state = hass.states.get(link_entity(hass, gas, "link_latency"))
    assert state is not None
    assert state.state != "unknown"
