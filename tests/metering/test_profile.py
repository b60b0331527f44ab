"""GetProfile on the wire: what the meters' profiles say, through our cluster and codec."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.zha_device_pack import zha_bridge
from custom_components.zha_device_pack.protocol.metering import ProfileStatus
from custom_components.zha_device_pack.quirks.smart_energy import SmartEnergyMetering
from tests.conftest import ZigbeeHarness
from tests.simulator import SimDevice
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_meters import meter, se_electricity_meter, se_gas_meter


async def joined_cluster(
    hass: HomeAssistant, zigbee: ZigbeeHarness, device: SimDevice
) -> SmartEnergyMetering:
    await zigbee.join(device)
    zha_device = zha_bridge.zha_device(hass, device.ieee)
    assert zha_device is not None
    cluster = zha_device.device.endpoints[1].in_clusters[0x0702]
    assert isinstance(cluster, SmartEnergyMetering)
    return cluster


async def test_profile_newest_first_with_the_invalid_interval(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    device = se_electricity_meter(resolve_ieee("00:0d:6f:00:0a:00:00:0a"))
    cluster = await joined_cluster(hass, zigbee, device)
    model = meter(device)
    truth = model.intervals(0)
    response = await cluster.read_profile(0, 0, 24)
    assert response.status is ProfileStatus.SUCCESS
    assert response.interval_seconds == 3600
    assert response.end_time == truth[-1].end
    assert response.intervals == tuple(i.value for i in reversed(truth[-24:]))
    assert None in response.intervals  # the meter's outage interval, sent as 0xFFFFFF
    # received (export) channel: a different curve
    exported = await cluster.read_profile(1, 0, 5)
    assert exported.intervals == tuple(
        i.value for i in reversed(model.intervals(1)[-5:])
    )
    # an end time in the future: status, no intervals
    future = await cluster.read_profile(0, truth[-1].end + 7 * 86400, 3)
    assert future.status is ProfileStatus.INVALID_END_TIME
    assert future.intervals == ()


async def test_fewer_intervals_than_announced_are_taken(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """The sleepy gas meter announces one interval more than it sends."""
    device = se_gas_meter(resolve_ieee("00:0d:6f:00:0a:00:00:0b"))
    cluster = await joined_cluster(hass, zigbee, device)
    model = meter(device)
    device.stay_awake(60)  # answer the test's request at once (it polls every 7 s)
    response = await cluster.read_profile(0, 0, 12)
    sent = len(response.intervals)
    assert sent == 11
    assert response.number_of_periods_announced == sent + 1
    assert response.intervals == tuple(
        i.value for i in reversed(model.intervals(0)[-sent:])
    )
