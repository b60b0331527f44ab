"""Quirk registration at ZHA level, without Home Assistant: zha Gateway on the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from zha.application import Platform
from zha.application.gateway import Gateway
from zha.application.helpers import (
    CoordinatorConfiguration,
    QuirksConfiguration,
    ZHAConfiguration,
    ZHAData,
)
from zha.quirks import (
    DEVICE_REGISTRY,
    DeviceMatch,
    DeviceRegistry,
    ModelInfo,
    QuirkRegistryEntry,
)
from zha.zigbee.device import Device, DeviceStatus
import zhaquirks
from zigpy import types as t

from custom_components.zha_device_pack.quirk_registry import PackQuirks
from custom_components.zha_device_pack.quirks import load_quirk_builders
from custom_components.zha_device_pack.reresolve import (
    ReresolveMethod,
    async_reresolve,
    quirk_would_change,
)
from tests.simulator import SimNetwork, XBeeFrontend
from tests.simulator.models import create_device

TEST_QUIRKS = ("tests.quirk_fixtures.sim_plug",)


@pytest.fixture
async def gateway(
    socket_enabled: None, tmp_path: Path
) -> AsyncIterator[tuple[Gateway, SimNetwork]]:
    """A zha Gateway (no Home Assistant) with zhaquirks, on the simulated XBee."""
    network = SimNetwork()
    network.form(channel=20)
    frontend = await XBeeFrontend.start(network)
    data = ZHAData(
        config=ZHAConfiguration(
            coordinator_configuration=CoordinatorConfiguration(
                path=f"socket://127.0.0.1:{frontend.port}", radio_type="xbee"
            ),
            quirks_configuration=QuirksConfiguration(setup_function=zhaquirks.setup),
        ),
        zigpy_config={
            "database_path": str(tmp_path / "zigbee.db"),
            "ota": {"enabled": False},
            "topology_scan_enabled": False,
        },
    )
    gateway = await Gateway.async_from_config(data)
    await gateway.async_initialize()
    await gateway.async_initialize_devices_and_entities()
    yield gateway, network
    await gateway.shutdown()
    await frontend.stop()
    await network.stop()


async def join(gateway: Gateway, network: SimNetwork, model: str) -> Device:
    device = create_device(model)
    network.add_device(device)
    await network.join(device)
    for _ in range(500):
        zha_device = gateway.devices.get(device.ieee)
        if zha_device is not None and zha_device.status is DeviceStatus.INITIALIZED:
            return zha_device
        await asyncio.sleep(0.01)
    raise TimeoutError(f"{device} did not initialize")


class BuiltinStub:
    """A built-in-like registry entry for the SimPlug (what a zhaquirks quirk would add)."""

    @staticmethod
    def entry() -> QuirkRegistryEntry:
        return QuirkRegistryEntry(
            device_match=DeviceMatch(applies_to=(ModelInfo("SimCo", "SimPlug"),))
        )


def test_registered_first_and_removed_exactly() -> None:
    """Our entry goes in front of an existing quirk for the same model and leaves exactly."""
    registry = DeviceRegistry()
    builtin = BuiltinStub.entry()
    registry.register(builtin)
    pack = PackQuirks(registry)

    (ours,) = pack.register(load_quirk_builders(TEST_QUIRKS))

    assert registry._registry[ModelInfo("SimCo", "SimPlug")] == [ours, builtin]
    assert ours.source is not None and ours.source.file is None
    assert ours.source.module == "tests.quirk_fixtures.sim_plug"
    # ZHA's purge of a custom quirks folder holding our file leaves our entry in place.
    registry.purge_custom_quirks(Path(__file__).parent / "quirk_fixtures")
    assert list(registry) == [ours, builtin]
    pack.unregister()
    assert list(registry) == [builtin]
    assert pack.entries == []


async def test_v2_quirk_resolves_simulated_device(
    gateway: tuple[Gateway, SimNetwork],
) -> None:
    """A device joining after registration is resolved with our v2 quirk and its entities."""
    zha_gateway, network = gateway
    pack = PackQuirks(DEVICE_REGISTRY)
    pack.register(load_quirk_builders(TEST_QUIRKS))
    try:
        device = await join(zha_gateway, network, "plug")

        assert pack.applied_entry(device.device) is pack.entries[0]
        platforms = {platform for platform, _ in device.platform_entities}
        suffixes = {uid.rsplit("-", 1)[-1] for _, uid in device.platform_entities}
        assert Platform.SWITCH not in platforms
        assert {"toggle", "on_time"} <= suffixes
        assert device.model == "SimPlug (Device Pack)"
    finally:
        pack.unregister()


async def test_loaded_device_reresolved_at_gateway_level(
    gateway: tuple[Gateway, SimNetwork],
) -> None:
    """A device resolved before registration moves onto our quirk in place."""
    zha_gateway, network = gateway
    device = await join(zha_gateway, network, "plug")
    assert (Platform.SWITCH, f"{device.ieee}-1") in device.platform_entities
    pack = PackQuirks(DEVICE_REGISTRY)
    pack.register(load_quirk_builders(TEST_QUIRKS))
    try:
        assert quirk_would_change(DEVICE_REGISTRY, device.device)

        method = await async_reresolve(zha_gateway, device.ieee)

        new_device = zha_gateway.devices[device.ieee]
        assert method is ReresolveMethod.IN_PLACE
        assert new_device is not device
        assert pack.applied_entry(new_device.device) is pack.entries[0]
        assert (Platform.SWITCH, f"{device.ieee}-1") not in new_device.platform_entities
        assert not quirk_would_change(DEVICE_REGISTRY, new_device.device)
    finally:
        pack.unregister()


@pytest.mark.parametrize(
    ("manufacturer", "in_clusters", "matches"),
    [
        ("_TZ3000_kz1anoi8", [0x0000, 0x0001, 0x0006, 0xE001], True),
        ("_TZ3000_gjpgagal", [0x0000, 0x0001, 0x0006, 0xE001], True),
        # Family A name but no private cluster: not ours.
        ("_TZ3000_kz1anoi8", [0x0000, 0x0001, 0x0006], False),
        # The "Rain Seer" family speaks 0xEF00 and stays with zha-quirks.
        ("_TZ3210_0jxeoadc", [0x0000, 0xEF00], False),
    ],
)
def test_ts0049_quirk_matches_family_a_only(
    manufacturer: str, in_clusters: list[int], matches: bool
) -> None:
    """The TS0049 quirk matches TS0049s with the 0xE001 in-cluster only."""
    from unittest.mock import MagicMock

    import zigpy.device

    registry = DeviceRegistry()
    pack = PackQuirks(registry)
    (entry,) = pack.register(load_quirk_builders(("tuya_ts0049",)))
    device = zigpy.device.Device(
        MagicMock(), t.EUI64.convert("00:11:22:33:44:55:66:77"), 1
    )
    device.manufacturer = manufacturer
    device.model = "TS0049"
    endpoint = device.add_endpoint(1)
    endpoint.profile_id = 0x0104
    for cluster_id in in_clusters:
        endpoint.add_input_cluster(cluster_id)

    assert (registry.match_entry(device) is entry) is matches
