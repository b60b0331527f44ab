"""P2: the cost of one summation report through our meter entity vs stock ZHA's.

Reported, not asserted. The same attribute update (CurrentSummationDelivered, 0x0000) is fed
to two meters in one run: ours (a 0x0109 electricity meter on our Smart Energy quirk: the
value goes through ``protocol.metering``'s formatting rule) and the baseline, an HA-profile
plug whose Metering cluster gets stock ZHA's ``SmartEnergySummation``. Each update runs
zigpy's attribute event, the zha entity's handler and Home Assistant's state write; the
timing covers all of it, per report, median of rounds.
"""

from __future__ import annotations

import statistics
import time

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack import zha_bridge
from tests.conftest import ZigbeeHarness
from tests.simulator import SimDevice
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_meters import se_electricity_meter, se_plug_2781

REPORTS = 500
ROUNDS = 5
CURRENT_SUMMATION_DELIVERED = 0x0000


async def _per_report_seconds(
    hass: HomeAssistant, device: SimDevice, entity_id: str
) -> list[float]:
    zha_device = zha_bridge.zha_device(hass, device.ieee)
    assert zha_device is not None
    cluster = zha_device.device.endpoints[1].in_clusters[0x0702]
    base = int(cluster.get("current_summ_delivered") or 0)
    samples = []
    value = base
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(REPORTS):
            value += 7
            cluster.update_attribute(CURRENT_SUMMATION_DELIVERED, value)
            await hass.async_block_till_done()
        samples.append((time.perf_counter() - start) / REPORTS)
    state = hass.states.get(entity_id)
    assert state is not None and state.state not in ("unknown", "unavailable")
    return samples


@pytest.mark.parametrize("_", [None])
async def test_summation_report_cost(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    capsys: pytest.CaptureFixture[str],
    _: None,
) -> None:
    hass.loop.set_debug(False)
    ours = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:01:01"))
    stock = se_plug_2781(resolve_ieee("00:0d:6f:00:0a:00:01:02"), firmware="new")
    for device in (ours, stock):
        await zigbee.join(device)
    registry = er.async_get(hass)
    ours_entity = registry.async_get_entity_id(
        "sensor", "zha", f"{ours.ieee}-1-summation_delivered"
    )
    stock_entity = registry.async_get_entity_id(
        "sensor", "zha", f"{stock.ieee}-1-1794-summation_delivered"
    )
    assert ours_entity is not None and stock_entity is not None
    ours_s = await _per_report_seconds(hass, ours, ours_entity)
    stock_s = await _per_report_seconds(hass, stock, stock_entity)
    ours_us = statistics.median(ours_s) * 1e6
    stock_us = statistics.median(stock_s) * 1e6
    with capsys.disabled():
        print(  # noqa: T201 - the benchmark report is its output
            f"\nours  (0x0109 meter, our MeterSummation): {ours_us:8.1f} µs/report"
            f"\nstock (HA-profile plug, SmartEnergySummation): {stock_us:8.1f} µs/report"
            f"\nP2 ratio={ours_us / stock_us:.3f} ours_us={ours_us:.1f}"
            f" stock_us={stock_us:.1f}"
        )
