"""Our quirks reach devices ZHA loaded before us: in place, without reloading ZHA."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
import time
from typing import Any

from homeassistant.components.zha.helpers import get_zha_gateway_proxy
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from zha.quirks import DEVICE_REGISTRY, QUIRK_REGISTRY_ENTRY_ATTR, ModelInfo

from custom_components.zha_device_pack import reresolve, zha_bridge
from custom_components.zha_device_pack.const import DOMAIN, ISSUE_QUIRKS_DISABLED
from custom_components.zha_device_pack.quirk_manager import DATA_ZHA_RELOAD_DONE
from tests.conftest import ZigbeeHarness
from tests.quirk_fixtures import sim_plug
from tests.simulator import SimDevice
from tests.simulator.models import create_device

ON_OFF = 0x0006
ZDO_BIND_REQ = 0x0021
TEST_QUIRKS = ("tests.quirk_fixtures.sim_plug",)


@pytest.fixture
def pack_quirk_modules() -> tuple[str, ...]:
    """Register the test quirk for the simulated SimPlug."""
    return TEST_QUIRKS


@pytest.fixture(autouse=True)
def _use_test_quirks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "custom_components.zha_device_pack.quirks.QUIRK_MODULES", TEST_QUIRKS
    )


def registry_entries(manufacturer: str = "SimCo", model: str = "SimPlug") -> list[Any]:
    """Return ZHA's registry entries for one (manufacturer, model)."""
    return [
        entry
        for entry in DEVICE_REGISTRY
        if ModelInfo(manufacturer, model) in entry.device_match.applies_to
    ]


def applied_entry(hass: HomeAssistant, device: SimDevice) -> Any:
    """Return the registry entry ZHA's zigpy device was resolved with."""
    proxy = get_zha_gateway_proxy(hass).get_device_proxy(device.ieee)
    assert proxy is not None
    return getattr(proxy.device.device, QUIRK_REGISTRY_ENTRY_ATTR, None)


class StateLog:
    """Every state change, with its monotonic time."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.changes: list[tuple[float, str, str | None]] = []
        self._unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, self._record)

    def _record(self, event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        self.changes.append(
            (time.monotonic(), event.data["entity_id"], new and new.state)
        )

    def states_of(self, entity_id: str) -> list[str | None]:
        return [state for _, eid, state in self.changes if eid == entity_id]

    def close(self) -> None:
        self._unsub()


async def add_pack(hass: HomeAssistant) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, title="ZHA Device Pack", data={})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_loaded_device_moves_onto_our_quirk_in_place(
    hass: HomeAssistant, zha_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """A device ZHA loaded first gets our quirk in place; nothing else is touched."""
    plug = create_device("plug")
    light = create_device("light")
    plug_proxy = await zigbee.join(plug)
    await zigbee.join(light)
    device_id = plug_proxy.device_id
    (old_switch,) = zigbee.entity_ids(plug, "switch")
    (light_entity,) = zigbee.entity_ids(light, "light")
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": old_switch}, blocking=True
    )
    gateway = get_zha_gateway_proxy(hass).gateway
    app_before = gateway.application_controller
    plug.clear_frames()
    log = StateLog(hass)

    start = time.monotonic()
    entry = await add_pack(hass)
    log.close()
    manager = entry.runtime_data.quirk_manager

    # The device is on our quirk, with the same HA device, ZHA gateway and radio.
    assert applied_entry(hass, plug) is manager.quirks.entries[0]
    new_proxy = get_zha_gateway_proxy(hass).get_device_proxy(plug.ieee)
    assert new_proxy is not None
    assert new_proxy.device_id == device_id
    assert get_zha_gateway_proxy(hass).gateway is gateway
    assert gateway.application_controller is app_before
    assert zha_setup.state is ConfigEntryState.LOADED
    (swap,) = manager.swaps
    assert swap.method == reresolve.ReresolveMethod.IN_PLACE

    # Entities: the default switch is gone, the quirk's button and sensor exist.
    entity_registry = er.async_get(hass)
    buttons = zigbee.entity_ids(plug, "button")
    toggle = next(e for e in buttons if e.endswith("toggle"))
    assert entity_registry.async_get(old_switch) is None
    assert hass.states.get(old_switch) is None
    assert any(e.endswith("on_time") for e in zigbee.entity_ids(plug, "sensor"))
    assert entity_registry.async_get(toggle).device_id == device_id
    # The attribute cache survived the swap (the plug was switched on before).
    assert new_proxy.device.device.endpoints[1].on_off.get("on_off") == 1

    # Nothing else went unavailable, and the swap itself sent nothing over the air.
    assert STATE_UNAVAILABLE not in log.states_of(light_entity)
    assert hass.states.get(light_entity).state != STATE_UNAVAILABLE
    first_new_state = min(t for t, eid, _ in log.changes if eid == toggle)
    assert first_new_state - start < 5

    # The new entity works.
    plug.clear_frames()
    await hass.services.async_call(
        "button", "press", {"entity_id": toggle}, blocking=True
    )
    (frame,) = plug.frames(cluster=ON_OFF, general=False)
    assert frame.command_id == 0x02

    # Binding/reporting for the new quirk ran once in the background.
    await zigbee.wait_for(
        lambda: bool(plug.frames(zdo=True, command=ZDO_BIND_REQ)), what="bind"
    )


async def test_offline_device_moves_too(
    hass: HomeAssistant, zha_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """The in-place swap needs no radio: an unreachable device gets its quirk at once."""
    plug = create_device("plug")
    await zigbee.join(plug)
    plug.set_online(False)

    entry = await add_pack(hass)

    manager = entry.runtime_data.quirk_manager
    assert applied_entry(hass, plug) is manager.quirks.entries[0]
    (swap,) = manager.swaps
    assert swap.method == reresolve.ReresolveMethod.IN_PLACE
    assert swap.duration_ms < 1000
    assert any(e.endswith("toggle") for e in zigbee.entity_ids(plug, "button"))
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_new_join_resolves_directly(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """A device joining after our setup is resolved with our quirk, no swap needed."""
    plug = create_device("plug")
    await zigbee.join(plug)

    manager = pack_setup.runtime_data.quirk_manager
    assert applied_entry(hass, plug) is manager.quirks.entries[0]
    assert manager.swaps == []
    assert any(e.endswith("toggle") for e in zigbee.entity_ids(plug, "button"))
    assert not zigbee.entity_ids(plug, "switch")


async def test_unload_removes_exactly_our_entries(
    hass: HomeAssistant, zha_setup: MockConfigEntry
) -> None:
    """Setup adds our entries in front; unload removes them; reloads never duplicate them."""
    builtin_before = list(DEVICE_REGISTRY)
    assert registry_entries() == []

    entry = await add_pack(hass)
    ours = list(entry.runtime_data.quirk_manager.quirks.entries)
    assert len(ours) == 1
    assert registry_entries() == ours
    assert sum(1 for _ in DEVICE_REGISTRY) == len(builtin_before) + 1

    for _ in range(2):
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert len(registry_entries()) == 1
        assert sum(1 for _ in DEVICE_REGISTRY) == len(builtin_before) + 1

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert registry_entries() == []
    assert list(DEVICE_REGISTRY) == builtin_before


async def test_zha_reload_keeps_device_on_our_quirk(
    hass: HomeAssistant, zha_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """After the swap, ZHA's database still holds the raw device; a ZHA reload re-applies us."""
    plug = create_device("plug")
    await zigbee.join(plug)
    entry = await add_pack(hass)
    manager = entry.runtime_data.quirk_manager

    assert await hass.config_entries.async_reload(zha_setup.entry_id)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(plug)

    assert applied_entry(hass, plug) is manager.quirks.entries[0]
    assert any(e.endswith("toggle") for e in zigbee.entity_ids(plug, "button"))
    assert len(manager.swaps) == 1


async def test_custom_quirks_path_does_not_purge_our_entries(
    hass: HomeAssistant,
    zha_setup: MockConfigEntry,
    zha_yaml: dict[str, Any],
    zigbee: ZigbeeHarness,
) -> None:
    """ZHA purges entries from files below `custom_quirks_path` at every start; not ours."""
    plug = create_device("plug")
    await zigbee.join(plug)
    entry = await add_pack(hass)
    manager = entry.runtime_data.quirk_manager
    quirk_dir = Path(sim_plug.__file__).parent

    # What ZHA does at its next start when the user's custom quirks folder holds our files.
    DEVICE_REGISTRY.purge_custom_quirks(quirk_dir)
    assert registry_entries() == manager.quirks.entries

    # And the real thing: ZHA reloaded with that folder as custom_quirks_path.
    zha_yaml["custom_quirks_path"] = str(quirk_dir)
    hass.data["zha"].yaml_config = zha_yaml
    assert await hass.config_entries.async_reload(zha_setup.entry_id)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(plug)
    assert registry_entries() == manager.quirks.entries
    assert applied_entry(hass, plug) is manager.quirks.entries[0]


async def test_remove_entry_moves_devices_back(
    hass: HomeAssistant, zha_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """Deleting the integration puts devices back on ZHA's own handling, in place."""
    plug = create_device("plug")
    await zigbee.join(plug)
    entry = await add_pack(hass)
    assert applied_entry(hass, plug) is not None

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(plug)

    assert applied_entry(hass, plug) is None
    assert not any(e.endswith("toggle") for e in zigbee.entity_ids(plug))
    (switch,) = zigbee.entity_ids(plug, "switch")
    assert hass.states.get(switch).state != STATE_UNAVAILABLE
    assert registry_entries() == []


async def test_fallback_reinterview_when_private_api_missing(
    hass: HomeAssistant,
    zha_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without zigpy/zha's private functions, ZHA's public re-interview moves the device."""
    monkeypatch.setattr(zha_bridge, "in_place_supported", lambda gateway: False)
    plug = create_device("plug")
    await zigbee.join(plug)

    entry = await add_pack(hass)
    await zigbee.wait_for_entities(plug)

    manager = entry.runtime_data.quirk_manager
    (swap,) = manager.swaps
    assert swap.method == reresolve.ReresolveMethod.REINTERVIEW
    assert applied_entry(hass, plug) is manager.quirks.entries[0]
    assert any(e.endswith("toggle") for e in zigbee.entity_ids(plug, "button"))
    assert DATA_ZHA_RELOAD_DONE not in hass.data


async def test_last_resort_reload_runs_once(
    hass: HomeAssistant,
    zha_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If the device cannot be moved at all, ZHA is reloaded once per HA start, never again."""
    monkeypatch.setattr(zha_bridge, "in_place_supported", lambda gateway: False)
    plug = create_device("plug")
    await zigbee.join(plug)
    plug.set_online(False)
    reloads: list[str] = []
    original = hass.config_entries.async_schedule_reload

    def counting_reload(entry_id: str) -> None:
        reloads.append(entry_id)
        original(entry_id)

    monkeypatch.setattr(hass.config_entries, "async_schedule_reload", counting_reload)

    entry = await add_pack(hass)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(plug)

    assert reloads == [zha_setup.entry_id]
    manager = entry.runtime_data.quirk_manager
    assert str(plug.ieee) in manager.failures
    # ZHA resolved the device again with our entry in the registry.
    assert applied_entry(hass, plug) is manager.quirks.entries[0]

    # A second failure in the same HA run does not reload ZHA again.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert reloads == [zha_setup.entry_id]


async def test_quirks_disabled_in_zha(
    hass: HomeAssistant,
    zha_config_entry: MockConfigEntry,
    zha_yaml: dict[str, Any],
    zigbee: ZigbeeHarness,
) -> None:
    """`zha: enable_quirks: false` is respected and explained by a repair issue."""
    from homeassistant.setup import async_setup_component

    zha_config_entry.add_to_hass(hass)
    assert await async_setup_component(
        hass, "zha", {"zha": {**zha_yaml, "enable_quirks": False}}
    )
    await hass.async_block_till_done()
    plug = create_device("plug")
    await zigbee.join(plug)

    entry = await add_pack(hass)

    assert entry.runtime_data.quirk_manager.quirks.entries == []
    assert registry_entries() == []
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_QUIRKS_DISABLED) is not None
    assert zigbee.entity_ids(plug, "switch")
    await hass.services.async_call(
        "switch",
        "turn_on",
        {"entity_id": zigbee.entity_ids(plug, "switch")[0]},
        blocking=True,
    )
    assert hass.states.get(zigbee.entity_ids(plug, "switch")[0]).state == STATE_ON
    await hass.config_entries.async_unload(zha_config_entry.entry_id)
    await hass.async_block_till_done()


async def test_configuration_runs_once_per_device_and_quirk(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    zha_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """At the next start the device is moved again, but not re-bound (no Identify blink)."""
    plug = create_device("plug")
    await zigbee.join(plug)
    plug.clear_frames()
    entry = await add_pack(hass)
    await hass.async_block_till_done(wait_background_tasks=True)  # configured
    # the store is written 1 s after the last change: that second passes at once
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
    await zigbee.wait_for(
        lambda: (
            str(plug.ieee)
            in hass_storage.get(f"{DOMAIN}.configured_devices", {}).get("data", {})
        ),
        what="first configuration stored",
    )
    assert plug.frames(zdo=True, command=ZDO_BIND_REQ)

    # "Restart": our entries go, ZHA loads the device with ZHA's own handling, we come back.
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_reload(zha_setup.entry_id)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(plug)
    assert applied_entry(hass, plug) is None
    plug.clear_frames()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    manager = entry.runtime_data.quirk_manager
    assert applied_entry(hass, plug) is manager.quirks.entries[0]
    (swap,) = manager.swaps
    assert swap.method == reresolve.ReresolveMethod.IN_PLACE
    await zigbee.network.settle()
    await hass.async_block_till_done()
    assert plug.frames(zdo=True, command=ZDO_BIND_REQ) == []
    # No Configure Reporting either: a device configured for the quirk before keeps its
    # configuration and attribute cache (issue 13: no radio burst for every moved device).
    assert plug.frames(general=True, command=0x06) == []


async def test_batch_with_offline_sleepy_and_joining_devices(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    zha_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Many devices at once: online, offline, asleep and one still joining.

    Every loaded plug moves in place (no radio needed); the joining one is left to its
    interview and gets our quirk from the registry directly; the bystander light is not
    touched. Configuration reaches the awake plugs only; the others are configured at a
    later move, not marked as done.

    The sleeper's reachability check ends on its real-time timeout (zigpy's next try waits
    in the parent's queue, and the network's clock stands still): 1 s here, not 10.
    """
    monkeypatch.setattr(reresolve, "REACHABLE_TIMEOUT", 1.0)
    online = [create_device("plug") for _ in range(3)]
    offline = create_device("plug")
    asleep = create_device("plug", sleepy=True, long_poll_interval=3600)
    light = create_device("light")
    for device in (*online, offline, asleep, light):
        await zigbee.join(device)
    offline.set_online(False)
    await zigbee.network.elapse(
        4
    )  # past its wake time after joining: the sleeper sleeps
    joining = create_device("plug")
    zigbee.network.add_device(joining)
    join = asyncio.ensure_future(zigbee.network.join(joining))
    (light_entity,) = zigbee.entity_ids(light, "light")
    log = StateLog(hass)

    entry = await add_pack(hass)
    await join
    await zigbee.wait_for_entities(joining)
    log.close()
    # The sleeping plug does not poll: what waits for it expires in its parent's queue.
    await zigbee.wait_for(
        lambda: bool(zigbee.network.indirect_queue(asleep)),
        what="a frame for the sleeper",
    )
    await zigbee.network.elapse(8)

    manager = entry.runtime_data.quirk_manager
    ours = manager.quirks.entries[0]
    for device in (*online, offline, asleep, joining):
        assert applied_entry(hass, device) is ours
        assert [e for e in zigbee.entity_ids(device, "button") if "_toggle" in e]
        assert zigbee.entity_ids(device, "switch") == []
    assert sorted(record.ieee for record in manager.swaps) == sorted(
        str(device.ieee) for device in (*online, offline, asleep)
    )
    assert all(record.method == "in_place" for record in manager.swaps)
    assert manager.failures == {}
    assert log.states_of(light_entity) == []
    await hass.async_block_till_done(wait_background_tasks=True)
    await zigbee.network.settle()
    await hass.async_block_till_done(wait_background_tasks=True)
    configured = hass_storage[f"{DOMAIN}.configured_devices"]["data"]
    assert sorted(configured) == sorted(str(device.ieee) for device in online)
    for device in online:
        assert device.frames(zdo=True, command=ZDO_BIND_REQ)
