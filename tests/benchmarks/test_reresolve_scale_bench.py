"""Moving many loaded devices onto our quirk at once vs the baseline, a full ZHA reload.

`scripts/bench reresolve-scale`. For N = 1, 10, 40 simulated plugs (moved onto a test quirk)
and one light (the bystander), in the same run: how long until every moved plug's new entities
are live after our setup starts, how long the light is unavailable, the longest event-loop
stall (a ticker task that should wake every 5 ms), how long the moved plugs' own entities are
unavailable during the move, and the same network brought back by a ZHA reload. Reported,
never asserted; the last line is the one the issue names (`P5 n=40 …`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
import time

from homeassistant.components.zha.helpers import get_zha_gateway_proxy
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack.const import DOMAIN
from tests.benchmarks.measure import StallMeter, Unavailability
from tests.conftest import ZigbeeHarness
from tests.simulator import SimDevice
from tests.simulator.models import create_device

SIZES = (1, 10, 40)
TEST_QUIRKS = ("tests.quirk_fixtures.sim_plug",)


class LiveWatcher:
    """When the last of some devices got its quirk toggle button, available (state events).

    Event-driven, so that measuring does not poll the registries while the move runs.
    """

    def __init__(self, hass: HomeAssistant, device_ids: Iterable[str]) -> None:
        self.hass = hass
        self.waiting = set(device_ids)
        self.done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, self._record)

    def _record(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        new = event.data["new_state"]
        if (
            not entity_id.startswith("button.")
            or "_toggle" not in entity_id
            or new is None
            or new.state == STATE_UNAVAILABLE
        ):
            return
        entry = er.async_get(self.hass).async_get(entity_id)
        if entry is not None and entry.device_id in self.waiting:
            self.waiting.discard(entry.device_id)
            if not self.waiting and not self.done.done():
                self.done.set_result(time.monotonic())

    async def wait(self, timeout: float) -> float:
        try:
            async with asyncio.timeout(timeout):
                return await self.done
        finally:
            self._unsub()


def all_live(
    hass: HomeAssistant, zigbee: ZigbeeHarness, plugs: list[SimDevice]
) -> bool:
    """Return True once every plug's quirk toggle button exists and is available."""
    for plug in plugs:
        # button.simco_simplug_device_pack_toggle, …_toggle_2 for the second plug, …
        toggles = [e for e in zigbee.entity_ids(plug, "button") if "_toggle" in e]
        if not toggles or hass.states.get(toggles[0]).state == STATE_UNAVAILABLE:
            return False
    return True


def device_id(hass: HomeAssistant, device: SimDevice) -> str:
    proxy = get_zha_gateway_proxy(hass).get_device_proxy(device.ieee)
    assert proxy is not None
    return proxy.device_id


def plug_entities(zigbee: ZigbeeHarness, plugs: list[SimDevice]) -> list[str]:
    """The moved plugs' entities that exist both before and after the move."""
    return [
        entity_id
        for plug in plugs
        for entity_id in zigbee.entity_ids(plug)
        if entity_id.startswith("sensor.")
    ]


async def settle(hass: HomeAssistant, zigbee: ZigbeeHarness) -> None:
    """Let joins, configuration and reloads finish: each measurement starts from quiet."""
    await hass.async_block_till_done(wait_background_tasks=True)
    await zigbee.network.settle()
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize("_", [None])
async def test_reresolve_scale(
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
    light = create_device("light")
    await zigbee.join(light)
    (light_entity,) = zigbee.entity_ids(light, "light")
    plugs: list[SimDevice] = []
    rows: list[dict[str, float]] = []

    for size in SIZES:
        while len(plugs) < size:
            plug = create_device("plug")
            await zigbee.join(plug)
            plugs.append(plug)
        await settle(hass, zigbee)

        # In place: our setup registers the quirk and moves every plug.
        entry = MockConfigEntry(domain=DOMAIN, data={})
        entry.add_to_hass(hass)
        other = Unavailability(hass, [light_entity])
        moved = Unavailability(hass, plug_entities(zigbee, plugs))
        live = LiveWatcher(hass, [device_id(hass, plug) for plug in plugs])
        stall = StallMeter()
        start = time.monotonic()
        assert await hass.config_entries.async_setup(entry.entry_id)
        in_place = await live.wait(timeout=60) - start
        assert all_live(hass, zigbee, plugs)
        in_place_stall = await stall.close()
        row = {
            "n": size,
            "in_place": in_place,
            "other": other.close(),
            "stall": in_place_stall,
            "moved_unavailable": moved.close(),
        }
        # Background work after the move (binding, reading) finishes before the baseline.
        await settle(hass, zigbee)
        assert await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
        for plug in plugs:
            await zigbee.wait_for_entities(plug)
        await settle(hass, zigbee)

        # Baseline: a ZHA reload brings the same network back.
        other = Unavailability(hass, [light_entity])
        stall = StallMeter()
        start = time.monotonic()
        assert await hass.config_entries.async_reload(zha_setup.entry_id)
        await zigbee.wait_for(
            lambda: (
                (state := hass.states.get(light_entity)) is not None
                and state.state != STATE_UNAVAILABLE
            ),
            timeout=60,
            what="light back",
        )
        for device in (light, *plugs):
            await zigbee.wait_for_entities(device, timeout=60)
        row["reload"] = time.monotonic() - start
        row["reload_other"] = other.close()
        row["reload_stall"] = await stall.close()
        rows.append(row)

    def ms(value: float) -> str:
        return f"{value * 1000:.0f} ms"

    lines = [
        "",
        "Re-resolve at scale: N plugs moved in place vs baseline 'ZHA reload' (same run)",
        (
            "| N devices moved | in place: all live | other device unavailable "
            "| longest event-loop stall | moved devices' entities unavailable "
            "| ZHA reload: back | ratio |"
        ),
        "|---|---|---|---|---|---|---|",
        *(
            f"| {row['n']:.0f} | {ms(row['in_place'])} | {ms(row['other'])} "
            f"| {ms(row['stall'])} | {ms(row['moved_unavailable'])} "
            f"| {ms(row['reload'])} | {row['reload'] / row['in_place']:.1f}x |"
            for row in rows
        ),
        "(ZHA reload: other device unavailable "
        + ", ".join(f"n={r['n']:.0f}: {ms(r['reload_other'])}" for r in rows)
        + "; longest stall "
        + ", ".join(f"n={r['n']:.0f}: {ms(r['reload_stall'])}" for r in rows)
        + ")",
    ]
    last = rows[-1]
    lines.append(
        f"P5 n={last['n']:.0f} in_place_ms={last['in_place'] * 1000:.0f} "
        f"reload_ms={last['reload'] * 1000:.0f} max_stall_ms={last['stall'] * 1000:.0f} "
        f"other_unavailable_ms={last['other'] * 1000:.0f}"
    )
    with capsys.disabled():
        print("\n".join(lines))  # noqa: T201 - the benchmark report is its output
