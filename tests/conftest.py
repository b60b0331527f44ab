"""Fixtures: Home Assistant + real ZHA + our integration on the simulated Zigbee network."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import logging
from pathlib import Path
import time
from typing import Any

from homeassistant.components.zha.helpers import ZHADeviceProxy, get_zha_gateway_proxy
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from zha.application import Platform
from zha.application.platforms import PlatformEntity
from zha.zigbee.device import DeviceStatus

from custom_components.zha_device_pack.const import DOMAIN
from tests.simulator import SimDevice, SimNetwork, XBeeFrontend

JOIN_TIMEOUT = 15.0

# pytest-homeassistant-custom-component logs every SQL statement of the recorder at INFO (HA
# itself does not); the recorder tests' output is the recorder's rows, not its SQL.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load custom_components/zha_device_pack.

    Our manifest depends on the recorder (meters import statistics). A test that requests
    ``recorder_mock`` gets a real in-memory recorder, set up before ``hass`` as it must be;
    the others mark the recorder as loaded instead of starting a database.
    """
    if "hass" not in request.fixturenames:
        return
    if "recorder_mock" in request.fixturenames:
        request.getfixturevalue("recorder_mock")
    request.getfixturevalue("enable_custom_integrations")
    if "recorder_mock" not in request.fixturenames:
        request.getfixturevalue("hass").config.components.add("recorder")


@pytest.fixture(autouse=True)
def no_zha_connect_delay(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No 1 s pause after each short-lived radio connection of ZHA.

    ZHA sleeps ``CONNECT_DELAY_S`` after closing a temporary zigpy app (its setup reads the
    database through one, its config flow probes the radio) to let a serial port settle; the
    simulated XBee is a TCP server. HA's own ZHA tests set it to 0 as well.
    """
    if "hass" in request.fixturenames:
        monkeypatch.setattr(
            "homeassistant.components.zha.radio_manager.CONNECT_DELAY_S", 0
        )


@pytest.fixture(autouse=True)
async def cancel_fast_poll_resets() -> AsyncIterator[None]:
    """Cancel zigpy's fast-poll reset timers at teardown.

    zigpy asks every Poll Control device to fast-poll at interview and starts a real-time
    sleep to reset its flag, which it never cancels.
    """
    yield
    for task in asyncio.all_tasks():
        if task.get_name() == "reset_fast_polling":
            task.cancel()


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Give every test its own config dir (phcc's default sits inside the installed package)."""
    return hass_tmp_config_dir


@pytest.fixture
async def sim_network(socket_enabled: None) -> AsyncIterator[SimNetwork]:
    """A formed simulated network (like an XBee that auto-formed, CE=1)."""
    network = SimNetwork()
    network.form(channel=15)
    yield network
    await network.stop()


@pytest.fixture
async def sim_frontend(sim_network: SimNetwork) -> AsyncIterator[XBeeFrontend]:
    """The simulated XBee coordinator on an ephemeral loopback port."""
    frontend = await XBeeFrontend.start(sim_network, host="127.0.0.1", port=0)
    yield frontend
    await frontend.stop()


@pytest.fixture
def zha_yaml(hass_config_dir: str) -> dict[str, Any]:
    """ZHA's YAML configuration for the tests (own database per test, no internet use)."""
    return {
        "database_path": str(Path(hass_config_dir) / "zigbee.db"),
        "zigpy_config": {"ota": {"enabled": False}, "topology_scan_enabled": False},
    }


@pytest.fixture
def zha_config_entry(
    sim_network: SimNetwork, sim_frontend: XBeeFrontend
) -> MockConfigEntry:
    """ZHA's config entry, as its config flow creates it for a network-attached XBee."""
    port = sim_frontend.port
    return MockConfigEntry(
        domain="zha",
        data={
            "device": {
                "path": f"socket://127.0.0.1:{port}",
                "baudrate": 115200,
                "flow_control": None,
            },
            "radio_type": "xbee",
        },
        unique_id=f"epid={sim_network.extended_pan_id}".lower(),
        version=5,
        minor_version=2,
    )


@pytest.fixture
async def zha_setup(
    hass: HomeAssistant, zha_config_entry: MockConfigEntry, zha_yaml: dict[str, Any]
) -> AsyncIterator[MockConfigEntry]:
    """Set up the real ZHA integration on the simulated coordinator."""
    zha_config_entry.add_to_hass(hass)
    assert await async_setup_component(hass, "zha", {"zha": zha_yaml})
    await hass.async_block_till_done()
    assert zha_config_entry.state is ConfigEntryState.LOADED
    yield zha_config_entry
    if zha_config_entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(zha_config_entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
def pack_config_entry() -> MockConfigEntry:
    """Our config entry."""
    return MockConfigEntry(domain=DOMAIN, title="ZHA Device Pack", data={})


@pytest.fixture
def pack_quirk_modules() -> tuple[str, ...]:
    """The quirk modules our integration registers in a test (the shipped ones by default)."""
    from custom_components.zha_device_pack.quirks import QUIRK_MODULES

    return QUIRK_MODULES


@pytest.fixture
async def pack_setup(
    hass: HomeAssistant,
    zha_setup: MockConfigEntry,
    pack_config_entry: MockConfigEntry,
    pack_quirk_modules: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[MockConfigEntry]:
    """Set up our integration on top of ZHA."""
    monkeypatch.setattr(
        "custom_components.zha_device_pack.quirks.QUIRK_MODULES", pack_quirk_modules
    )
    pack_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(pack_config_entry.entry_id)
    await hass.async_block_till_done()
    yield pack_config_entry
    if pack_config_entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(pack_config_entry.entry_id)
        await hass.async_block_till_done()


class ZigbeeHarness:
    """Join simulated devices to the running ZHA and find their Home Assistant entities."""

    def __init__(self, hass: HomeAssistant, network: SimNetwork) -> None:
        self.hass = hass
        self.network = network

    async def join(
        self, device: SimDevice, timeout: float = JOIN_TIMEOUT
    ) -> ZHADeviceProxy:
        """Add ``device`` to the network, announce it and wait for ZHA's entities in HA."""
        if device.network is None:
            self.network.add_device(device)
        await self.network.join(device)
        return await self.wait_for_entities(device, timeout)

    async def wait_for_entities(
        self, device: SimDevice, timeout: float = JOIN_TIMEOUT
    ) -> ZHADeviceProxy:
        """Wait until ZHA initialized ``device`` and HA registered every one of its entities."""
        deadline = time.monotonic() + timeout
        while True:
            await self.hass.async_block_till_done()
            proxy = get_zha_gateway_proxy(self.hass).get_device_proxy(device.ieee)
            if (
                proxy is not None
                and proxy.device.status is DeviceStatus.INITIALIZED
                and proxy.device.platform_entities
                and all(
                    self.entity_id_of(entity) is not None
                    for entity in proxy.device.platform_entities.values()
                    if entity.PLATFORM is not Platform.VIRTUAL
                )
            ):
                return proxy
            if time.monotonic() > deadline:
                raise TimeoutError(f"ZHA did not finish initializing {device}")
            await asyncio.sleep(0.02)

    def entity_id_of(self, entity: PlatformEntity) -> str | None:
        """Return the HA entity id of a zha platform entity."""
        return er.async_get(self.hass).async_get_entity_id(
            str(entity.PLATFORM), "zha", entity.unique_id
        )

    def entity_ids(self, device: SimDevice, platform: str | None = None) -> list[str]:
        """Return the HA entity ids ZHA created for ``device`` (optionally of one platform)."""
        proxy = get_zha_gateway_proxy(self.hass).get_device_proxy(device.ieee)
        assert proxy is not None
        entries = er.async_entries_for_device(
            er.async_get(self.hass), proxy.device_id, include_disabled_entities=True
        )
        return sorted(
            entry.entity_id
            for entry in entries
            if platform is None or entry.domain == platform
        )

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,
        what: str = "condition",
    ) -> None:
        """Let HA and the simulator run until ``predicate()`` holds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            await self.hass.async_block_till_done()
            await asyncio.sleep(0.01)


@pytest.fixture
def zigbee(hass: HomeAssistant, sim_network: SimNetwork) -> ZigbeeHarness:
    """The harness for the running ZHA on the simulated network."""
    return ZigbeeHarness(hass, sim_network)
