"""Moving a loaded device onto our quirk in place vs the baseline: a full ZHA reload.

Reported, not asserted: time until the moved device's new entities are live, and how long the
other devices' entities are unavailable. Baseline: reloading the ZHA config entry, measured in
the same run on the same simulated network.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack.const import DOMAIN
from tests.benchmarks.measure import Unavailability
from tests.conftest import ZigbeeHarness
from tests.simulator import SimDevice
from tests.simulator.models import create_device

ROUNDS = 5
TEST_QUIRKS = ("tests.quirk_fixtures.sim_plug",)


def toggle_live(hass: HomeAssistant, zigbee: ZigbeeHarness, plug: SimDevice) -> bool:
    """Return True once the quirk's toggle button exists and is available."""
    toggles = [e for e in zigbee.entity_ids(plug, "button") if e.endswith("toggle")]
    return bool(toggles) and hass.states.get(toggles[0]).state != STATE_UNAVAILABLE


def report(name: str, samples: list[float]) -> str:
    return f"{name:<44} median {statistics.median(samples) * 1000:8.1f} ms  (n={len(samples)})"


@pytest.mark.parametrize("_", [None])
async def test_reresolve_vs_zha_reload(
    hass: HomeAssistant,
    zha_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    _: None,
) -> None:
    monkeypatch.setattr(
        "custom_components.zha_device_pack.quirks.QUIRK_MODULES", TEST_QUIRKS
    )
    # The test harness runs the loop in asyncio debug mode, which records a stack trace for
    # every task and future; Home Assistant does not. Measure both sides without it.
    asyncio.get_running_loop().set_debug(False)
    plug = create_device("plug")
    light = create_device("light")
    await zigbee.join(plug)
    await zigbee.join(light)
    (light_entity,) = zigbee.entity_ids(light, "light")

    swap_live: list[float] = []
    swap_other_unavailable: list[float] = []
    for _round in range(ROUNDS):
        entry = MockConfigEntry(domain=DOMAIN, data={})
        entry.add_to_hass(hass)
        watch = Unavailability(hass, [light_entity])
        start = time.monotonic()
        assert await hass.config_entries.async_setup(entry.entry_id)
        await zigbee.wait_for(
            lambda: toggle_live(hass, zigbee, plug), what="new entities"
        )
        swap_live.append(time.monotonic() - start)
        swap_other_unavailable.append(watch.close())
        assert await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
        await zigbee.wait_for_entities(plug)

    reload_total: list[float] = []
    reload_other_unavailable: list[float] = []
    for _round in range(ROUNDS):
        watch = Unavailability(hass, [light_entity])
        start = time.monotonic()
        assert await hass.config_entries.async_reload(zha_setup.entry_id)
        await zigbee.wait_for(
            lambda: (
                hass.states.get(light_entity) is not None
                and hass.states.get(light_entity).state != STATE_UNAVAILABLE
            ),
            what="light back",
        )
        await zigbee.wait_for_entities(light)
        reload_total.append(time.monotonic() - start)
        reload_other_unavailable.append(watch.close())

    ratio = statistics.median(reload_total) / statistics.median(swap_live)
    lines = [
        "",
        "Re-resolve in place vs baseline 'ZHA reload' (same run, simulated XBee network)",
        report("in place: new entities live after", swap_live),
        report("in place: other device unavailable for", swap_other_unavailable),
        report("baseline ZHA reload: network back after", reload_total),
        report(
            "baseline ZHA reload: other device unavailable", reload_other_unavailable
        ),
        f"{'ratio reload / in place (time to working)':<44} {ratio:8.1f}x",
    ]
    with capsys.disabled():
        print("\n".join(lines))  # noqa: T201 - the benchmark report is its output
