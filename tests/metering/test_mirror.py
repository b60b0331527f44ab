"""Metering mirrors end to end: HA's coordinator mirrors a sleepy gas meter (seed 001 §10.4.5).

HA + real ZHA + our quirks against the simulated sleepy gas meter's mirroring side
(``tests/simulator/models/se_mirror.py``, written from the app note and the wire reference
independently of the integration). Frames (reference §2.1-§2.2 "Mirroring", ZCL header):

- Match_Desc_rsp: status 00, NWKAddrOfInterest 0000, MatchLength 01, the discovery endpoint;
- Read Attributes Response of Basic: ``18 tsn 01`` + ``1100 00 30 01`` (PhysicalEnvironment,
  SUCCESS, enum8, 1 = mirror capacity available; ``00`` once every mirror is taken);
- RequestMirrorResponse: ``11 tsn 01`` + EndPointID uint16 LE (``ffff``: cannot mirror);
- MirrorRemoved: ``11 tsn 02`` + RemovedEndPointID uint16 LE (``ffff``: none removed).

``11``: cluster-specific, client -> server, no Default Response wanted; the answers carry
the request's sequence number and come from the endpoint the meter addressed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import zigpy.types as t
import zigpy.zdo.types as zdo_t

from custom_components.zha_device_pack.const import DOMAIN
from custom_components.zha_device_pack.diagnostics import (
    async_get_config_entry_diagnostics,
)
from custom_components.zha_device_pack.quirks.smart_energy_mirror import MirrorTable
from tests.conftest import ZigbeeHarness
from tests.metering.conftest import meter_entity
from tests.simulator.device import SE_PROFILE, RecordedFrame
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_meters import (
    DEFAULT_WALL_CLOCK,
    SEMeterDevice,
    meter,
    se_gas_meter,
)
from tests.simulator.models.se_mirror import MirrorClient

METERING = 0x0702
BASIC = 0x0000
DISCOVERY = 0x40
FIRST_MIRROR = 0x41
STORE_KEY = "zha_device_pack.smart_energy_clients"
ISSUE = "metering_mirrors_full"


def mirror_of(device: SEMeterDevice) -> MirrorClient:
    assert device.mirror is not None
    return device.mirror


def mirror_sensor(hass: HomeAssistant, device: SEMeterDevice) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{device.ieee}-mirror_endpoint"
    )
    assert entity_id is not None
    return entity_id


def last_answer(device: SEMeterDevice, cluster: int) -> RecordedFrame:
    frame = device.frames(cluster=cluster)[-1]
    assert (frame.profile_id, frame.dst_ep) == (SE_PROFILE, 1)
    return frame


async def wait_state(
    hass: HomeAssistant, zigbee: ZigbeeHarness, entity_id: str, value: str
) -> None:
    def shown() -> bool:
        state = hass.states.get(entity_id)
        return state is not None and state.state == value

    await zigbee.wait_for(shown, what=f"{entity_id} = {value}")


async def push_new_reading(
    hass: HomeAssistant, zigbee: ZigbeeHarness, device: SEMeterDevice, hours: int
) -> None:
    """Let the meter's clock run on, push to the mirror, see the new summation in HA."""
    meter(device).set_clock(DEFAULT_WALL_CLOCK + timedelta(hours=hours))
    raw = int(device.cluster(1, METERING).get("current_summ_delivered"))
    sent = len(device.sent)
    assert mirror_of(device).push()
    reports = [f for f in device.sent[sent:] if f.cluster_id == METERING]
    assert [f.dst_ep for f in reports] == [mirror_of(device).endpoint]
    summation = meter_entity(hass, device, "summation_delivered")
    assert summation is not None
    # raw litres, divisor 1000: m³
    await wait_state(hass, zigbee, summation, str(raw / 1000))


async def test_mirror_discovery_request_and_reports(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    device = se_gas_meter(resolve_ieee("00:0d:6f:00:0a:00:0c:01"), mirror=True)
    await zigbee.join(device)
    client = mirror_of(device)
    sensor = mirror_sensor(hass, device)
    assert hass.states.get(sensor).state == "unknown"

    # discovery: Match_Desc_req (0x0109, Metering in) and PhysicalEnvironment
    assert await client.discover() == DISCOVERY
    (match,) = device.frames(cluster=zdo_t.ZDOCmd.Match_Desc_rsp)
    assert match.payload == bytes.fromhex("00 0000 01 40")
    read = last_answer(device, BASIC)
    assert read.src_ep == DISCOVERY
    assert read.data == bytes((0x18, read.tsn, 0x01)) + bytes.fromhex("1100 00 30 01")

    # RequestMirror: the mirror endpoint, from the discovery endpoint, the request's TSN
    assert await client.request_mirror() == FIRST_MIRROR
    (request,) = device.frames(sent=True, cluster=METERING, command=0x01, general=False)
    assert request.data == bytes((0x19, request.tsn, 0x01))  # no payload
    answer = last_answer(device, METERING)
    assert answer.src_ep == DISCOVERY
    assert answer.data == bytes((0x11, request.tsn, 0x01, 0x41, 0x00))
    await wait_state(hass, zigbee, sensor, str(FIRST_MIRROR))
    state = hass.states.get(sensor)
    assert state.attributes["discovery_endpoint"] == DISCOVERY
    assert state.attributes["refused_requests"] == 0
    diagnostics = (await async_get_config_entry_diagnostics(hass, pack_setup))[
        "families"
    ]["metering"]
    assert diagnostics["mirrors"] == {
        "discovery_endpoint": DISCOVERY,
        "mirror_endpoints": [0x41, 0x50],
        "in_use": [FIRST_MIRROR],
        "installed": True,
    }
    (meter_diagnostics,) = diagnostics["meters"]
    assert meter_diagnostics["mirror"] == {
        "endpoint": FIRST_MIRROR,
        "refused_requests": 0,
    }

    # the meter's reports to its mirror update its summation sensor
    await push_new_reading(hass, zigbee, device, hours=9)
    await push_new_reading(hass, zigbee, device, hours=20)


async def test_mirror_kept_across_restart_then_removed(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    hass_storage: dict[str, Any],
) -> None:
    device = se_gas_meter(resolve_ieee("00:0d:6f:00:0a:00:0c:02"), mirror=True)
    await zigbee.join(device)
    client = mirror_of(device)
    assert await client.start_mirroring() == FIRST_MIRROR
    sensor = mirror_sensor(hass, device)
    await wait_state(hass, zigbee, sensor, str(FIRST_MIRROR))

    # restart: the mirror is stored and answered for again
    assert await hass.config_entries.async_reload(pack_setup.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[STORE_KEY]["data"]["mirrors"] == {
        str(device.ieee): FIRST_MIRROR
    }
    await wait_state(hass, zigbee, sensor, str(FIRST_MIRROR))
    assert await client.read_physical_environment(DISCOVERY) == 1
    assert await client.request_mirror() == FIRST_MIRROR  # the same endpoint
    await push_new_reading(hass, zigbee, device, hours=5)

    # RemoveMirror, sent to the mirror endpoint: MirrorRemoved names it; then none is left
    assert await client.remove_mirror() == FIRST_MIRROR
    remove = device.frames(sent=True, cluster=METERING, command=0x02, general=False)[-1]
    assert (remove.dst_ep, remove.data) == (
        FIRST_MIRROR,
        bytes((0x19, remove.tsn, 0x02)),
    )
    answer = last_answer(device, METERING)
    assert answer.src_ep == FIRST_MIRROR
    assert answer.data == bytes((0x11, remove.tsn, 0x02, 0x41, 0x00))
    await wait_state(hass, zigbee, sensor, "unknown")
    # asked again (now at the discovery endpoint): no mirror to remove
    assert await client.remove_mirror() == 0xFFFF
    answer = last_answer(device, METERING)
    assert answer.src_ep == DISCOVERY
    assert answer.data[2:] == bytes.fromhex("02 ffff")
    await hass.config_entries.async_unload(pack_setup.entry_id)
    assert hass_storage[STORE_KEY]["data"]["mirrors"] == {}


@pytest.fixture
def full_mirror_table(hass_storage: dict[str, Any]) -> dict[str, int]:
    """Sixteen other meters hold every mirror endpoint (stored before the restart)."""
    mirrors = {
        str(resolve_ieee(f"00:0d:6f:00:0b:00:00:{index:02x}")): FIRST_MIRROR + index
        for index in range(16)
    }
    hass_storage[STORE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": STORE_KEY,
        "data": {"mirrors": mirrors},
    }
    return mirrors


async def test_full_table_cannot_mirror(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    full_mirror_table: dict[str, int],
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    device = se_gas_meter(resolve_ieee("00:0d:6f:00:0a:00:0c:03"), mirror=True)
    await zigbee.join(device)
    client = mirror_of(device)
    # the discovery endpoint is found, but shows no capacity: PhysicalEnvironment 0
    assert await client.discover() is None
    read = last_answer(device, BASIC)
    assert read.data == bytes((0x18, read.tsn, 0x01)) + bytes.fromhex("1100 00 30 00")
    assert not device.frames(sent=True, cluster=METERING, command=0x01, general=False)

    # a meter that asks anyway is told 0xFFFF; a repair issue says why
    assert await client.request_mirror(DISCOVERY) == 0xFFFF
    request = device.frames(sent=True, cluster=METERING, command=0x01, general=False)[
        -1
    ]
    answer = last_answer(device, METERING)
    assert answer.data == bytes((0x11, request.tsn, 0x01, 0xFF, 0xFF))
    assert client.endpoint is None
    issue = ir.async_get(hass).async_get_issue(DOMAIN, ISSUE)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["limit"] == "16"
    state = hass.states.get(mirror_sensor(hass, device))
    assert state.state == "unknown"
    assert state.attributes["refused_requests"] == 1
    # the others' mirrors are untouched
    await hass.config_entries.async_unload(pack_setup.entry_id)
    assert hass_storage[STORE_KEY]["data"]["mirrors"] == full_mirror_table


def test_mirror_table_allocation() -> None:
    """The lowest free endpoint; the same one again for the same meter; full: 0xFFFF."""
    changes: list[dict[t.EUI64, int]] = []
    refused: list[t.EUI64] = []
    table = MirrorTable(
        lambda: changes.append(table.mirrors), refused.append, range(5, 8)
    )
    first, second, third, fourth = (
        t.EUI64.convert(f"00:0d:6f:00:0b:00:01:0{index}") for index in range(4)
    )
    # stored: one valid mirror, one outside the range, one taking the same endpoint twice
    table.restore({first: 6, second: 9, third: 6})
    assert table.mirrors == {first: 6}
    assert (table.request(second), table.request(third)) == (5, 7)
    assert table.request(first) == 6
    assert not table.has_capacity
    assert table.request(fourth) == 0xFFFF
    assert refused == [fourth]
    assert (table.remove(second), table.remove(second)) == (5, 0xFFFF)
    assert table.request(fourth) == 5
    assert changes == [
        {first: 6, second: 5},
        {first: 6, second: 5, third: 7},
        {first: 6, third: 7},
        {first: 6, third: 7, fourth: 5},
    ]
    assert table.is_mirror(7) and not table.is_mirror(8)
