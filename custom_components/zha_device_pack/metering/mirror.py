"""Metering mirrors: HA's coordinator mirrors the home's sleepy meters (seed 001 §10.4.5).

The exchange on the air is the quirk's (``quirks/smart_energy_mirror.py``: discovery endpoint,
RequestMirror / RemoveMirror and their answers); this module owns the allocation, a
``MirrorTable`` it installs there at start:

- kept across restarts in the metering family's store (section "mirrors", IEEE -> endpoint)
  and installed again at start, so a meter that asks again after a restart gets the same
  endpoint and its reports keep arriving where it sends them;
- a diagnostic sensor "Mirror endpoint" on each meter's page (no mirror: unknown), with the
  discovery endpoint as an attribute;
- a repair issue when a RequestMirror finds every mirror endpoint taken (answered 0xFFFF),
  removed when a mirror is freed;
- a meter removed from ZHA frees its mirror.

The meter's reports to its mirror reach its own Metering cluster (zigpy dispatches by source),
so they show in the meter's existing metering sensors.
"""

from __future__ import annotations

from dataclasses import dataclass
import logging
from typing import Any, Final

from homeassistant.components.sensor import SensorEntity
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir
from zha.zigbee.device import Device
from zigpy.types import EUI64

from .. import zha_bridge
from ..cluster_follower import ClusterFollower
from ..const import DOMAIN
from ..entity import ZhaDeviceLinkedEntity
from ..family import server_cluster
from ..quirks import smart_energy_mirror
from ..quirks.smart_energy import SmartEnergyMetering
from ..se_store import SectionStore

_LOGGER = logging.getLogger(__name__)

SECTION: Final = "mirrors"
ENTITY_KEY: Final = "mirror_endpoint"
ISSUE_MIRRORS_FULL: Final = "metering_mirrors_full"


@dataclass(slots=True)
class _Meter:
    """One meter's mirror requests that found no free endpoint."""

    refused: int = 0


class _NoClusterEvents:
    """The mirror needs no Metering cluster events: the quirk's device handles its frames."""


class MeterMirrors(ClusterFollower[SmartEnergyMetering, _Meter]):
    """The coordinator's mirrors of the family's meters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Start with an empty table; ``restore`` fills and installs it."""
        super().__init__(*args, **kwargs)
        self.table = smart_energy_mirror.MirrorTable(self._changed, self._refused)
        self._store: SectionStore | None = None

    # -- devices ------------------------------------------------------------------------

    def find_cluster(self, device: Device) -> SmartEnergyMetering | None:
        """Return the meter's Metering cluster of our quirk."""
        return server_cluster(device, SmartEnergyMetering)

    def new_state(self, ieee: EUI64) -> _Meter:
        """Return a meter with no refused request."""
        return _Meter()

    def listener(self, ieee: EUI64) -> _NoClusterEvents:
        """Return a listener with no events."""
        return _NoClusterEvents()

    def entities(
        self, ieee: EUI64, state: _Meter
    ) -> dict[Platform, list[MirrorEndpointSensor]]:
        """Return the meter's Mirror endpoint sensor."""
        return {Platform.SENSOR: [MirrorEndpointSensor(self, ieee)]}

    def forgotten(self, ieee: EUI64, state: _Meter) -> None:
        """Free the mirror of a meter removed from ZHA."""
        self.table.remove(ieee)

    # -- table and storage --------------------------------------------------------------

    def restore(self, store: SectionStore) -> None:
        """Take the stored mirrors and answer for them from now on."""
        self._store = store
        stored = store.section(SECTION) or {}
        self.table.restore(
            {EUI64.convert(ieee): int(endpoint) for ieee, endpoint in stored.items()}
        )
        smart_energy_mirror.install(self.table)

    def stop(self) -> None:
        """Stop answering for the mirrors (unload)."""
        smart_energy_mirror.uninstall(self.table)
        super().stop()

    @callback
    def _changed(self) -> None:
        mirrors = self.table.mirrors
        if self._store is not None:
            self._store.save(
                SECTION, {str(ieee): endpoint for ieee, endpoint in mirrors.items()}
            )
        if self.table.has_capacity:
            ir.async_delete_issue(self.hass, DOMAIN, ISSUE_MIRRORS_FULL)
        for ieee, _state in self.states():
            self.write_states(ieee)

    @callback
    def _refused(self, ieee: EUI64) -> None:
        self.state_for(ieee).refused += 1
        name = _device_name(self, ieee)
        _LOGGER.warning(
            "%s asked for a metering mirror, but all %d are taken",
            name,
            len(self.table.endpoints),
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            ISSUE_MIRRORS_FULL,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_MIRRORS_FULL,
            translation_placeholders={
                "name": name,
                "limit": str(len(self.table.endpoints)),
            },
        )
        self.write_states(ieee)

    # -- diagnostics --------------------------------------------------------------------

    def diagnostics(self, ieee: EUI64) -> dict[str, Any]:
        """Return the meter's mirror endpoint and refused requests."""
        state = self.state(ieee)
        return {
            "endpoint": self.table.endpoint_of(ieee),
            "refused_requests": 0 if state is None else state.refused,
        }

    def summary(self) -> dict[str, Any]:
        """Return the discovery endpoint, the range and how many mirrors are in use."""
        endpoints = self.table.endpoints
        return {
            "discovery_endpoint": smart_energy_mirror.DISCOVERY_ENDPOINT,
            "mirror_endpoints": [endpoints.start, endpoints.stop - 1],
            "in_use": sorted(self.table.mirrors.values()),
            "installed": smart_energy_mirror.installed() is self.table,
        }


def _device_name(mirrors: MeterMirrors, ieee: EUI64) -> str:
    entry = zha_bridge.zha_device_entry(mirrors.hass, ieee)
    if entry is not None:
        return entry.name_by_user or entry.name or str(ieee)
    return str(ieee)


class MirrorEndpointSensor(ZhaDeviceLinkedEntity, SensorEntity):
    """The coordinator endpoint that mirrors this meter (unknown: none)."""

    _attr_translation_key = ENTITY_KEY
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_should_poll = False

    def __init__(self, mirrors: MeterMirrors, ieee: EUI64) -> None:
        """Create the sensor of meter ``ieee``."""
        super().__init__(mirrors.hass, ieee, ENTITY_KEY)
        self._mirrors = mirrors

    @property
    def native_value(self) -> int | None:
        """Return the mirror endpoint."""
        return self._mirrors.table.endpoint_of(self._ieee)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the discovery endpoint and the requests refused for lack of space."""
        return {
            "discovery_endpoint": smart_energy_mirror.DISCOVERY_ENDPOINT,
            "refused_requests": self._mirrors.diagnostics(self._ieee)[
                "refused_requests"
            ],
        }
