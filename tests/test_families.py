"""Device families: the shared ZHA device tracker, services, options and subentries.

Two test families watch the simulated SimPlug: one claims every SimPlug, whatever its quirk
(as Danfoss will claim Ally TRVs on ZHA's built-in quirk), the other only SimPlugs on our test
quirk. They record what the tracker tells them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from homeassistant.components.zha.helpers import get_zha_gateway_proxy
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceNotFound
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol
from zha.quirks import QUIRK_REGISTRY_ENTRY_ATTR
from zha.zigbee.device import Device
from zigpy.types import EUI64

from custom_components.zha_device_pack import families as pack_families
from custom_components.zha_device_pack.const import DOMAIN
from custom_components.zha_device_pack.family import DeviceFamily, FamilyService
from custom_components.zha_device_pack.irrigation import IrrigationFamily
from custom_components.zha_device_pack.quirks import QUIRK_MODULES
from custom_components.zha_device_pack.zha_devices import (
    DeviceEvent,
    TrackedDeviceEvent,
)
from tests.conftest import ZigbeeHarness
from tests.simulator.models import create_device

TEST_QUIRKS = ("tests.quirk_fixtures.sim_plug", *QUIRK_MODULES)


async def _ping(family: PlugFamily, call: ServiceCall) -> ServiceResponse:
    family.pings.append(call.data["text"])
    return {"family": family.name, "text": call.data["text"]}


class RoomFlow(ConfigSubentryFlow):
    """A subentry flow as the Danfoss rooms will have one."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for a room name."""
        if user_input is None:
            return self.async_show_form(
                step_id="user", data_schema=vol.Schema({vol.Required("name"): str})
            )
        return self.async_create_entry(title=user_input["name"], data=user_input)


class PlugFamily(DeviceFamily):
    """Claims every SimPlug; has an action, options and a subentry type."""

    name: ClassVar[str] = "plugs"
    services: ClassVar[Mapping[str, FamilyService[Any]]] = {
        "plugs_ping": FamilyService(
            schema=vol.Schema({vol.Required("text"): str}), handler=_ping
        )
    }
    subentry_flows: ClassVar[Mapping[str, type[ConfigSubentryFlow]]] = {
        "room": RoomFlow
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events: list[tuple[DeviceEvent, EUI64, Device | None]] = []
        self.pings: list[str] = []
        self.updates: list[tuple[dict[str, Any], list[str]]] = []

    def claims(self, device: Device) -> bool:
        # ZHA's own model (the quirk may rename it): the zigpy device's.
        return bool(device.device.model == "SimPlug")

    @callback
    def async_device_event(self, event: TrackedDeviceEvent) -> None:
        self.events.append((event.kind, event.ieee, event.device))

    @classmethod
    def options_schema(cls, options: Mapping[str, Any]) -> Any:
        return vol.Schema({vol.Required("poll_minutes", default=5): int})

    @callback
    def async_entry_updated(self) -> None:
        self.updates.append(
            (
                dict(self.entry.options.get(self.name, {})),
                [subentry.title for subentry in self.entry.subentries.values()],
            )
        )

    def kinds(self) -> list[DeviceEvent]:
        return [kind for kind, _, _ in self.events]


class QuirkedPlugFamily(PlugFamily):
    """Claims SimPlugs only while they run on our test quirk."""

    name: ClassVar[str] = "quirked_plugs"
    services: ClassVar[Mapping[str, FamilyService[Any]]] = {}
    subentry_flows: ClassVar[Mapping[str, type[ConfigSubentryFlow]]] = {}

    def claims(self, device: Device) -> bool:
        entry = getattr(device.device, QUIRK_REGISTRY_ENTRY_ATTR, None)
        return bool(
            entry is not None
            and entry.source is not None
            and entry.source.module == "tests.quirk_fixtures.sim_plug"
        )

    @classmethod
    def options_schema(cls, options: Mapping[str, Any]) -> Any:
        return None


@pytest.fixture(autouse=True)
def _test_families(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        pack_families,
        "FAMILIES",
        (IrrigationFamily, PlugFamily, QuirkedPlugFamily),
    )


@pytest.fixture
def pack_quirk_modules() -> tuple[str, ...]:
    """Our shipped quirks plus the test quirk for the simulated SimPlug."""
    return TEST_QUIRKS


def family(entry: MockConfigEntry, name: str) -> PlugFamily:
    instance = entry.runtime_data.families[name]
    assert isinstance(instance, PlugFamily)
    return instance


async def add_pack(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def current_device(hass: HomeAssistant, ieee: EUI64) -> Device:
    return get_zha_gateway_proxy(hass).gateway.devices[ieee]


async def test_tracker_reports_each_device_to_the_families_claiming_it(
    hass: HomeAssistant,
    zha_setup: MockConfigEntry,
    pack_config_entry: MockConfigEntry,
    zigbee: ZigbeeHarness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Present, joined, re-interviewed, ZHA reloaded, moved off our quirk, removed."""
    monkeypatch.setattr(
        "custom_components.zha_device_pack.quirks.QUIRK_MODULES", TEST_QUIRKS
    )
    first = create_device("plug")
    light = create_device("light")
    await zigbee.join(first)
    await zigbee.join(light)
    entry = await add_pack(hass, pack_config_entry)
    plugs, quirked = family(entry, "plugs"), family(entry, "quirked_plugs")
    irrigation = entry.runtime_data.families["irrigation"]

    # Loaded before us: moved onto the test quirk, then seen by both plug families.
    assert plugs.events == [
        (DeviceEvent.PRESENT, first.ieee, current_device(hass, first.ieee))
    ]
    assert quirked.events == plugs.events
    assert isinstance(irrigation, IrrigationFamily)
    assert irrigation.controllers == {}

    second = create_device("plug")
    await zigbee.join(second)
    assert plugs.events[1:] == [
        (DeviceEvent.JOINED, second.ieee, current_device(hass, second.ieee))
    ]
    assert quirked.events[1:] == plugs.events[1:]

    # The user re-interviews a device: a new zha Device object on the same quirk.
    plugs.events.clear()
    quirked.events.clear()
    gateway = get_zha_gateway_proxy(hass).gateway
    await gateway.async_reinterview_device(first.ieee)
    await zigbee.wait_for(lambda: plugs.events != [], what="re-interview event")
    assert plugs.events == [
        (DeviceEvent.INITIALIZED, first.ieee, current_device(hass, first.ieee))
    ]
    assert quirked.events == plugs.events

    # ZHA reloads: every claimed device goes away, then comes back as a new object.
    plugs.events.clear()
    quirked.events.clear()
    assert await hass.config_entries.async_reload(zha_setup.entry_id)
    await hass.async_block_till_done()
    assert zha_setup.state is ConfigEntryState.LOADED
    assert sorted(plugs.kinds()) == sorted(
        [DeviceEvent.ZHA_UNLOADED] * 2 + [DeviceEvent.ZHA_RELOADED] * 2
    )
    reloaded = {ieee: device for kind, ieee, device in plugs.events if device}
    assert reloaded == {
        ieee: current_device(hass, ieee) for ieee in (first.ieee, second.ieee)
    }
    assert quirked.kinds() == plugs.kinds()

    # Our quirks go away (as on removal): the plugs move back onto ZHA's own quirk in
    # place. The family that claims any SimPlug follows; the other one lets them go.
    plugs.events.clear()
    quirked.events.clear()
    manager = entry.runtime_data.quirk_manager
    manager.quirks.unregister()
    await manager.async_reresolve_changed()
    await hass.async_block_till_done()
    assert sorted(plugs.events, key=str) == sorted(
        [
            (DeviceEvent.RERESOLVED, ieee, current_device(hass, ieee))
            for ieee in (first.ieee, second.ieee)
        ],
        key=str,
    )
    assert sorted(quirked.events, key=str) == sorted(
        [(DeviceEvent.RELEASED, ieee, None) for ieee in (first.ieee, second.ieee)],
        key=str,
    )

    # Removed from ZHA: only the families that claim it hear of it.
    plugs.events.clear()
    quirked.events.clear()
    await hass.services.async_call(
        "zha", "remove", {"ieee": str(second.ieee)}, blocking=True
    )
    await hass.async_block_till_done()
    assert plugs.events == [(DeviceEvent.REMOVED, second.ieee, None)]
    assert quirked.events == []
    assert [
        ieee for ieee, _ in entry.runtime_data.tracker.claimed("plugs").items()
    ] == [first.ieee]


async def test_family_actions_run_their_own_handler(
    hass: HomeAssistant, pack_setup: MockConfigEntry
) -> None:
    """Each action is bound to its family's handler; an unknown action does not exist."""
    plugs = family(pack_setup, "plugs")
    registered = set(hass.services.async_services_for_domain(DOMAIN))
    assert registered == {
        name
        for family_class in pack_families.FAMILIES
        for name in family_class.services
    }

    response = await hass.services.async_call(
        DOMAIN, "plugs_ping", {"text": "Mon+Thu"}, blocking=True, return_response=True
    )

    assert response == {"family": "plugs", "text": "Mon+Thu"}
    assert plugs.pings == ["Mon+Thu"]
    with pytest.raises(ServiceNotFound):
        await hass.services.async_call(DOMAIN, "plugs_pong", {}, blocking=True)
    assert plugs.pings == ["Mon+Thu"]


async def test_options_menu_lists_family_steps_and_applies_without_reload(
    hass: HomeAssistant, pack_setup: MockConfigEntry
) -> None:
    """Families with options get a menu entry; saving applies them to the running family."""
    plugs = family(pack_setup, "plugs")
    runtime = pack_setup.runtime_data

    result = await hass.config_entries.options.async_init(pack_setup.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["plugs"]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "plugs"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "plugs"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"poll_minutes": 7}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert pack_setup.options == {"plugs": {"poll_minutes": 7}}
    assert plugs.updates == [({"poll_minutes": 7}, [])]
    assert pack_setup.state is ConfigEntryState.LOADED
    assert pack_setup.runtime_data is runtime


async def test_subentries_come_from_the_families(
    hass: HomeAssistant, pack_setup: MockConfigEntry
) -> None:
    """A family's subentry type can be added to the entry; the family hears of it."""
    plugs = family(pack_setup, "plugs")

    result = await hass.config_entries.subentries.async_init(
        (pack_setup.entry_id, "room"), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Kitchen"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = pack_setup.subentries.values()
    assert (subentry.subentry_type, subentry.title) == ("room", "Kitchen")
    assert plugs.updates == [({}, ["Kitchen"])]
