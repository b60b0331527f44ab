"""Follow one of our quirk's clusters per device, through ZHA's device events.

The Smart Energy clients (Price, DRLC, Messaging of a meter) and the ESI's servers (of an
in-home display's or a load controller's client clusters) all need the same bookkeeping: the
device's current cluster object (a re-interview, a re-resolve or a ZHA reload makes a new
one), a zigpy listener on it, per-device state that outlives the cluster object, and
per-device entities added once on every platform. ``ClusterFollower`` does it once; a
subclass says how to find the cluster, what state and listener a device gets, which entities
it has, and what to do when the cluster (re)appears or the device rejoins.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity import Entity
from zha.zigbee.device import Device
from zigpy.types import EUI64
from zigpy.zcl import Cluster
from zigpy.zdo import ZDO

from .family import AddEntities
from .zha_devices import DeviceEvent, TrackedDeviceEvent

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from .se_store import SectionStore


@dataclass(slots=True)
class Followed[C: Cluster, S]:
    """One device: its current cluster (None while absent), listener, state, entities."""

    state: S
    cluster: C | None = None
    listener: object | None = None
    entities: dict[Platform, list[Entity]] | None = None
    added: set[Platform] = field(default_factory=set)
    #: The device's ZDO and our listener of its Device_annce (see ``rejoined``).
    announcements: tuple[ZDO, object] | None = None


class _AnnounceListener:
    """zigpy listener of a followed device's ZDO: its Device_annce is a rejoin."""

    def __init__(self, follower: ClusterFollower[Any, Any], ieee: EUI64) -> None:
        self._follower = follower
        self._ieee = ieee

    def device_announce(self, _device: object) -> None:
        self._follower.announced(self._ieee)


class ClusterFollower[C: Cluster, S](ABC):
    """Per-device state and entities of one cluster of our quirks."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Start with no devices."""
        self.hass = hass
        self.entry = entry
        self._followed: dict[EUI64, Followed[C, S]] = {}
        self._add_entities: dict[Platform, list[AddEntities]] = {}

    # -- what a subclass says -----------------------------------------------------------

    @abstractmethod
    def find_cluster(self, device: Device) -> C | None:
        """Return the device's cluster of our quirk, or None."""

    @abstractmethod
    def new_state(self, ieee: EUI64) -> S:
        """Return a device's initial state."""

    @abstractmethod
    def listener(self, ieee: EUI64) -> object:
        """Return the zigpy listener of device ``ieee``'s cluster."""

    def entities(self, ieee: EUI64, state: S) -> Mapping[Platform, Sequence[Entity]]:
        """Return the device's entities per platform (made once per device)."""
        return {}

    def attached(self, ieee: EUI64, cluster: C, state: S) -> None:  # noqa: B027
        """React to the device's cluster appearing (start, join, re-interview, reload)."""

    def rejoined(self, ieee: EUI64, cluster: C, state: S) -> None:  # noqa: B027
        """React to the device rejoining while its cluster stays the same.

        A known device that rejoins (a power cycle, a lost parent, a new NWK address) sends
        Device_annce. zigpy keeps its device object (``handle_join`` only re-reads groups,
        or calls ``device_initialized`` for the same object) and ZHA its ``Device``
        (``_async_device_rejoined``), so the tracker sends no event and ``attached`` is not
        called: zigpy's ZDO ``device_announce`` listener event is the only sign. Nothing by
        default.
        """

    def summary(self) -> dict[str, Any]:
        """Return the follower's state for diagnostics (no IEEE addresses needed)."""
        return {}

    def restore(self, store: SectionStore) -> None:  # noqa: B027
        """Take the stored state (once, at start, before any device event)."""

    def forgotten(self, ieee: EUI64, state: S) -> None:  # noqa: B027
        """React to the device's removal from ZHA (its entities are being removed)."""

    # -- devices ------------------------------------------------------------------------

    @callback
    def device_event(self, event: TrackedDeviceEvent) -> None:
        """Follow the device's current cluster; call ``attached`` when it appears."""
        if event.kind is DeviceEvent.REMOVED:
            self.forget(event.ieee)
            return
        cluster = None if event.device is None else self.find_cluster(event.device)
        followed = self._followed.get(event.ieee)
        if cluster is None:
            if followed is not None:
                self._detach(followed)
            return
        if followed is None:
            followed = self._follow(event.ieee)
        if followed.cluster is cluster:
            return
        self._detach(followed)
        followed.cluster = cluster
        followed.listener = self.listener(event.ieee)
        cluster.add_listener(followed.listener)
        zdo = cluster.endpoint.device.zdo
        announcements = _AnnounceListener(self, event.ieee)
        zdo.add_listener(announcements)
        followed.announcements = (zdo, announcements)
        self._add_device_entities(event.ieee, followed)
        self.attached(event.ieee, cluster, followed.state)

    @callback
    def announced(self, ieee: EUI64) -> None:
        """Call ``rejoined`` for a followed device's Device_annce."""
        followed = self._followed.get(ieee)
        if followed is not None and followed.cluster is not None:
            self.rejoined(ieee, followed.cluster, followed.state)

    def _follow(self, ieee: EUI64) -> Followed[C, S]:
        followed = self._followed[ieee] = Followed(self.new_state(ieee))
        return followed

    @staticmethod
    def _detach(followed: Followed[C, S]) -> None:
        if followed.cluster is not None and followed.listener is not None:
            followed.cluster.remove_listener(followed.listener)
        if followed.announcements is not None:
            zdo, announcements = followed.announcements
            zdo.remove_listener(announcements)
        followed.cluster = None
        followed.listener = None
        followed.announcements = None

    def forget(self, ieee: EUI64) -> None:
        """Drop a removed device: its listener, its state and its entities."""
        if (followed := self._followed.pop(ieee, None)) is None:
            return
        self._detach(followed)
        self.forgotten(ieee, followed.state)
        for entities in (followed.entities or {}).values():
            for entity in entities:
                if entity.hass is not None:
                    self.hass.async_create_task(entity.async_remove(force_remove=True))

    def stop(self) -> None:
        """Stop listening to every cluster (unload)."""
        for followed in self._followed.values():
            self._detach(followed)

    # -- state --------------------------------------------------------------------------

    def state(self, ieee: EUI64) -> S | None:
        """Return the device's state, None for a device never seen."""
        followed = self._followed.get(ieee)
        return None if followed is None else followed.state

    def state_for(self, ieee: EUI64) -> S:
        """Return the device's state, made for a device not seen yet (storage at start)."""
        followed = self._followed.get(ieee)
        return (followed or self._follow(ieee)).state

    def cluster(self, ieee: EUI64) -> C | None:
        """Return the device's current cluster (None while it is absent)."""
        followed = self._followed.get(ieee)
        return None if followed is None else followed.cluster

    def available(self, ieee: EUI64) -> bool:
        """Return True while the device's cluster is attached."""
        return self.cluster(ieee) is not None

    def states(self) -> Iterator[tuple[EUI64, S]]:
        """Return every device's state."""
        for ieee, followed in self._followed.items():
            yield ieee, followed.state

    def attached_clusters(self) -> Iterator[tuple[EUI64, C]]:
        """Return every device whose cluster is attached now."""
        for ieee, followed in self._followed.items():
            if followed.cluster is not None:
                yield ieee, followed.cluster

    # -- entities -----------------------------------------------------------------------

    @callback
    def add_entities(self, platform: Platform, add: AddEntities) -> CALLBACK_TYPE:
        """Add every device's entities of ``platform``, now and as devices appear."""
        self._add_entities.setdefault(platform, []).append(add)
        for ieee, followed in self._followed.items():
            if followed.cluster is not None:
                self._add_device_entities(ieee, followed)

        def remove() -> None:
            self._add_entities[platform].remove(add)

        return remove

    def _add_device_entities(self, ieee: EUI64, followed: Followed[C, S]) -> None:
        if followed.entities is None:
            followed.entities = {
                platform: list(entities)
                for platform, entities in self.entities(ieee, followed.state).items()
            }
        for platform, callbacks in self._add_entities.items():
            entities = followed.entities.get(platform)
            if not entities or platform in followed.added or not callbacks:
                continue
            followed.added.add(platform)
            callbacks[0](list(entities))

    def device_entities(self, ieee: EUI64, platform: Platform) -> list[Any]:
        """Return the device's entities of ``platform`` (empty before they are made)."""
        followed = self._followed.get(ieee)
        if followed is None or followed.entities is None:
            return []
        return list(followed.entities.get(platform, []))

    @callback
    def write_states(self, ieee: EUI64) -> None:
        """Write the state of every added entity of the device."""
        followed = self._followed.get(ieee)
        for entities in (
            {} if followed is None or followed.entities is None else followed.entities
        ).values():
            for entity in entities:
                if entity.hass is not None:
                    entity.async_write_ha_state()
