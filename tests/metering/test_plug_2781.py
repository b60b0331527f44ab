"""zha-device-handlers#2781: the Innr SP 240 summation, per firmware, as HA shows it.

Stock ZHA shows a kWh summation as raw x multiplier / divisor and ignores the
SummationFormatting (research zha_anchors §C).  The old SP 240 firmware has no Multiplier
/ Divisor and counts 0.01 kWh, so stock ZHA would show 100x the energy; the new firmware
gives 1 / 1000 (Wh counts).  zha-quirks 2.3.0 (``zhaquirks/innr/innr_sp240_plug.py``)
picks a constant 1/100 or 1/1000 by the OTA CurrentFileVersion (cut-off 0x191B3685).

zigpy 2.3.0 reads that version in the interview, before the quirk is matched
(``zigpy/device.py`` ``_discover``), persists it, and puts it back in the cache before
matching at start-up (``zigpy/appdb.py`` ``load``, first pass); ZHA 2.3.1 also caches the
version of every Query Next Image (``OtaCurrentFileVersionCache``).  A real plug answers
that read (see the model), so both firmwares read the true energy through zha-quirks:
the pack adds no correction and must not take the plug (an HA-profile endpoint) away
from zha-quirks' quirk.

The truth: ``meter(device).summation(0)`` raw counts / ``kind.raw_wh`` (counts per Wh).
"""

from __future__ import annotations

import sqlite3

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from zha.quirks import QUIRK_REGISTRY_ENTRY_ATTR
from zhaquirks.innr import MeteringClusterInnrNew, MeteringClusterInnrOld
import zigpy.device
from zigpy.zcl import ClusterType
from zigpy.zcl.clusters.general import Ota

from custom_components.zha_device_pack import zha_bridge
from custom_components.zha_device_pack.quirks.smart_energy import (
    SmartEnergyMetering,
    SmartEnergyZigpyDevice,
)
from tests.conftest import ZigbeeHarness
from tests.simulator import SimDevice
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_meters import (
    SP240_FILE_VERSION,
    meter,
    plug_query_next_image,
    se_plug_2781,
    zha_stock_kwh,
)

METERING = 0x0702
INNR_CLUSTER = 0xE001
#: zha-quirks' cut-off between its two SP 240 entries (max exclusive / min inclusive).
CUT_OFF = 0x191B3685
#: The unique id suffix of stock ZHA's summation sensor (Metering 0x0702 = 1794).
SUMMATION_KEY = "1794-summation_delivered"


def true_kwh(device: SimDevice) -> float:
    """The plug's energy: raw counts / (counts per Wh) / 1000."""
    model = meter(device)
    return model.summation(0) / model.kind.raw_wh / 1000


def summation_state(hass: HomeAssistant, device: SimDevice) -> tuple[float, str]:
    """Return the (value, unit) HA shows for the plug's summation sensor."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", "zha", f"{device.ieee}-1-{SUMMATION_KEY}"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["device_class"] == "energy"
    assert state.attributes["state_class"] == "total_increasing"
    return float(state.state), state.attributes["unit_of_measurement"]


def zigpy_device_of(hass: HomeAssistant, device: SimDevice) -> zigpy.device.Device:
    """The zigpy device ZHA has for ``device`` (quirked or not)."""
    zha_device = zha_bridge.zha_device(hass, device.ieee)
    assert zha_device is not None
    return zha_device.device


def assert_on_zha_quirks(
    hass: HomeAssistant, device: SimDevice, cluster_class: type
) -> None:
    """The plug is on zha-quirks' SP 240 entry with ``cluster_class``, not on ours."""
    zigpy_device = zigpy_device_of(hass, device)
    entry = getattr(zigpy_device, QUIRK_REGISTRY_ENTRY_ATTR)
    assert entry.source is not None
    assert entry.source.module == "zhaquirks.innr.innr_sp240_plug"
    assert not isinstance(zigpy_device, SmartEnergyZigpyDevice)
    metering = zigpy_device.endpoints[1].in_clusters[METERING]
    assert type(metering) is cluster_class
    assert not isinstance(metering, SmartEnergyMetering)
    # everything else the entry gives: Innr's 0xE001 cluster
    assert INNR_CLUSTER in zigpy_device.endpoints[1].in_clusters


async def test_old_firmware_reads_true_kwh(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """Old firmware (version known at join): zha-quirks' divisor 100, the true kWh."""
    device = se_plug_2781(resolve_ieee("00:0d:6f:00:0a:27:81:01"), firmware="old")
    await zigbee.join(device)
    zigpy_device = zigpy_device_of(hass, device)
    ota = zigpy_device.find_cluster(
        cluster_id=Ota.cluster_id, cluster_type=ClusterType.Client
    )
    assert (
        ota.get(Ota.AttributeDefs.current_file_version.id) == SP240_FILE_VERSION["old"]
    )
    assert SP240_FILE_VERSION["old"] < CUT_OFF
    assert_on_zha_quirks(hass, device, MeteringClusterInnrOld)
    value, unit = summation_state(hass, device)
    assert unit == "kWh"
    truth = true_kwh(device)
    assert truth > 1
    assert value == pytest.approx(truth, abs=0.01)
    # without the quirk, stock ZHA would show 100x
    assert zha_stock_kwh(device) == pytest.approx(100 * truth)


async def test_new_firmware_reads_true_kwh(
    hass: HomeAssistant, pack_setup: MockConfigEntry, zigbee: ZigbeeHarness
) -> None:
    """New firmware (multiplier 1 / divisor 1000, Wh counts): zha-quirks' 1/1000."""
    device = se_plug_2781(resolve_ieee("00:0d:6f:00:0a:27:81:02"), firmware="new")
    await zigbee.join(device)
    assert SP240_FILE_VERSION["new"] >= CUT_OFF
    assert_on_zha_quirks(hass, device, MeteringClusterInnrNew)
    value, unit = summation_state(hass, device)
    assert unit == "kWh"
    truth = true_kwh(device)
    assert truth > 1
    assert value == pytest.approx(truth, abs=0.01)
    assert zha_stock_kwh(device) == pytest.approx(truth)


async def test_old_firmware_after_zha_restart(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zha_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
) -> None:
    """At start-up the version comes from zigpy's database before matching: still 1/100."""
    device = se_plug_2781(resolve_ieee("00:0d:6f:00:0a:27:81:03"), firmware="old")
    await zigbee.join(device)
    assert await hass.config_entries.async_reload(zha_setup.entry_id)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(device)
    assert_on_zha_quirks(hass, device, MeteringClusterInnrOld)
    value, _ = summation_state(hass, device)
    assert value == pytest.approx(true_kwh(device), abs=0.01)


async def test_old_firmware_version_missing_from_the_database(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zha_setup: MockConfigEntry,
    zha_yaml: dict[str, object],
    zigbee: ZigbeeHarness,
) -> None:
    """The only way the version is unknown at match time: a database without it.

    (A plug interviewed before zigpy read the version and never heard querying since.)
    zha-quirks' "new" entry allows a missing version, so the old plug reads 10x too low
    until it sends a Query Next Image (ZHA caches that version) and ZHA starts again.
    """
    device = se_plug_2781(resolve_ieee("00:0d:6f:00:0a:27:81:04"), firmware="old")
    await zigbee.join(device)
    assert await hass.config_entries.async_unload(zha_setup.entry_id)
    await hass.async_block_till_done()
    with sqlite3.connect(str(zha_yaml["database_path"])) as db:
        deleted = db.execute(
            "DELETE FROM attributes_cache_v15 WHERE ieee = ? AND cluster_id = ?"
            " AND cluster_type = ? AND attr_id = ?",
            (
                str(device.ieee),
                Ota.cluster_id,
                int(ClusterType.Client),
                Ota.AttributeDefs.current_file_version.id,
            ),
        ).rowcount
    assert deleted == 1
    assert await hass.config_entries.async_setup(zha_setup.entry_id)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(device)
    assert_on_zha_quirks(hass, device, MeteringClusterInnrNew)
    value, unit = summation_state(hass, device)
    assert unit == "kWh"
    truth = true_kwh(device)
    assert value == pytest.approx(truth / 10, abs=0.01)
    # The plug queries for an image; ZHA caches its version (and zigpy persists it) ...
    assert plug_query_next_image(device)
    await zigbee.network.settle()

    def cached() -> bool:
        ota = zigpy_device_of(hass, device).find_cluster(
            cluster_id=Ota.cluster_id, cluster_type=ClusterType.Client
        )
        return bool(
            ota.get(Ota.AttributeDefs.current_file_version.id)
            == SP240_FILE_VERSION["old"]
        )

    await zigbee.wait_for(cached, what="version cached from Query Next Image")
    # ... so the next start of ZHA matches the old entry again.
    assert await hass.config_entries.async_reload(zha_setup.entry_id)
    await hass.async_block_till_done()
    await zigbee.wait_for_entities(device)
    assert_on_zha_quirks(hass, device, MeteringClusterInnrOld)
    value, _ = summation_state(hass, device)
    assert value == pytest.approx(true_kwh(device), abs=0.01)
