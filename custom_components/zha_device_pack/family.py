"""A device family: everything of one kind of device on the Home Assistant side.

A family (``irrigation/``, and the ones to come) says which ZHA devices it claims, reacts to the
tracker's events for them, owns its storage, service actions, entities, diagnostics and options.
``families.py`` lists the families; the platform modules and the service registration loop
over that list.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from homeassistant.config_entries import ConfigEntry, ConfigSubentryFlow
from homeassistant.const import Platform
from homeassistant.core import (
    CALLBACK_TYPE,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from zha.zigbee.device import Device

from .zha_devices import TrackedDeviceEvent

type AddEntities = AddConfigEntryEntitiesCallback


def server_cluster[C](device: Device, cluster_type: type[C]) -> C | None:
    """Return the device's first server cluster of ``cluster_type`` (our quirk's class).

    Every family finds its device's cluster this way: a device on another quirk has the
    cluster id but not our class, and is not ours.
    """
    for endpoint_id, endpoint in device.device.endpoints.items():
        if endpoint_id == 0:
            continue
        cluster_id = getattr(cluster_type, "cluster_id", None)
        cluster = endpoint.in_clusters.get(cluster_id)
        if isinstance(cluster, cluster_type):
            return cluster
    return None


def client_cluster[C](device: Device, cluster_type: type[C]) -> C | None:
    """Return the device's first client cluster of ``cluster_type`` (our quirk's class).

    HA is the server of a device's client cluster (the ESI role): zigpy hands the device's
    client -> server commands to this cluster object.
    """
    for endpoint_id, endpoint in device.device.endpoints.items():
        if endpoint_id == 0:
            continue
        cluster_id = getattr(cluster_type, "cluster_id", None)
        cluster = endpoint.out_clusters.get(cluster_id)
        if isinstance(cluster, cluster_type):
            return cluster
    return None


@dataclass(frozen=True, slots=True)
class FamilyService[F: "DeviceFamily"]:
    """One service action of a family: its schema and the handler that runs it."""

    schema: Any  # a voluptuous schema (HA 2026.10 serves voluptuous through its shim)
    handler: Callable[[F, ServiceCall], Awaitable[ServiceResponse]]
    supports_response: SupportsResponse = SupportsResponse.OPTIONAL
    #: Administrators only (like HA's ``async_register_admin_service``).
    admin: bool = False


class DeviceFamily(ABC):
    """Base class of a device family; one instance per loaded config entry."""

    #: Prefix of the family's translation keys and its key in runtime data and diagnostics.
    name: ClassVar[str]
    #: Platforms the family has entities on.
    platforms: ClassVar[frozenset[Platform]] = frozenset()
    #: Service actions by name (registered in ``async_setup``, before any entry loads).
    services: ClassVar[Mapping[str, FamilyService[Any]]] = {}
    #: Config subentry flows by subentry type (rooms, meters …).
    subentry_flows: ClassVar[Mapping[str, type[ConfigSubentryFlow]]] = {}

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Initialize for the config entry."""
        self.hass = hass
        self.entry = entry

    @abstractmethod
    def claims(self, device: Device) -> bool:
        """Return True when this family handles ``device``."""

    @abstractmethod
    @callback
    def async_device_event(self, event: TrackedDeviceEvent) -> None:
        """Handle an event of a device this family claims (or claimed)."""

    async def async_start(self) -> None:  # noqa: B027 - optional hook
        """Load storage; called before the tracker reports devices."""

    async def async_stop(self) -> None:  # noqa: B027 - optional hook
        """Detach from devices and save; called on unload."""

    @callback
    def async_add_entities(
        self, platform: Platform, add_entities: AddEntities
    ) -> CALLBACK_TYPE:
        """Add the family's entities of ``platform``, now and as devices appear."""
        return lambda: None

    @callback  # noqa: B027 - optional hook
    def async_entry_updated(self) -> None:
        """Apply changed options or subentries of the entry (no restart)."""

    @classmethod
    def options_schema(cls, options: Mapping[str, Any]) -> Any | None:
        """Return the voluptuous schema of the family's options step (None: no options)."""
        return None

    def diagnostics(self) -> dict[str, Any]:
        """Return the family's section of the entry diagnostics."""
        return {}
