"""The ESI family: HA serves the Smart Energy clients of the home's devices.

Home Assistant is the home's Energy Service Interface: the in-home displays, thermostats and
load controllers joined to the user's coordinator take their price, load control events,
messages and time from it. Every device with one of our ESI client clusters
(``quirks/smart_energy_clients.py``) belongs to the family; each server
(``esi/<server>.py``) is a ``ClusterFollower`` of its client cluster and keeps its events in
a section of the family's store. The ESI's own entities (calendars of what it publishes) are
on the coordinator's device page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.entity import Entity
from zha.zigbee.device import Device
from zigpy.types import EUI64

from .. import zha_bridge
from ..cluster_follower import ClusterFollower
from ..family import AddEntities, DeviceFamily, FamilyService
from ..quirks import esi_endpoint
from ..se_store import SectionStore
from ..zha_devices import TrackedDeviceEvent
from . import drlc, messaging, price
from .drlc import DrlcServer
from .messaging import MessagingServer
from .price import PriceServer, followed_entity, options_schema
from .services import FAMILY
from .time import TimeZoneFeed

type EntityMaker = Callable[[EUI64], list[Entity]]

#: The ESI's store: one section per server.
STORAGE_KEY: Final = "zha_device_pack.esi"


class EsiFamily(DeviceFamily):
    """Every device whose Smart Energy client clusters HA serves."""

    name: ClassVar[str] = FAMILY
    platforms: ClassVar[frozenset[Platform]] = frozenset(
        {Platform.SENSOR, Platform.EVENT, Platform.CALENDAR}
    )
    services: ClassVar[Mapping[str, FamilyService[Any]]] = {
        **price.SERVICES,
        **drlc.SERVICES,
        **messaging.SERVICES,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Make the servers; devices appear with the tracker's events."""
        super().__init__(*args, **kwargs)
        self.store = SectionStore(self.hass, STORAGE_KEY)
        #: Makers of the ESI's own entities (on the coordinator's device page).
        self._esi_entity_makers: dict[Platform, list[EntityMaker]] = {}
        #: The Messaging server of the displays' Messaging clients.
        self.messaging = MessagingServer(self)
        #: The Price server of the displays' and thermostats' Price clients.
        self.price = PriceServer(self)
        #: HA's time zone for the Time server (``quirks/esi_time.py``).
        self.time_zone = TimeZoneFeed(self.hass)
        #: The DRLC server of the load controllers' DRLC clients.
        self.drlc = DrlcServer(self)
        #: One server per client cluster kind.
        self.servers: tuple[ClusterFollower[Any, Any], ...] = (
            self.messaging,
            self.price,
            self.drlc,
        )

    def add_esi_entities(self, platform: Platform, make: EntityMaker) -> None:
        """Register entities of the ESI itself (call from a server's constructor).

        ``make`` gets the coordinator's IEEE address when the platform is set up.
        """
        self._esi_entity_makers.setdefault(platform, []).append(make)

    async def async_start(self) -> None:
        """Load the servers' events; answer the clients' discovery of the ESI endpoint."""
        await self.store.async_load()
        for server in self.servers:
            server.restore(self.store)
        self.time_zone.start()
        esi_endpoint.install(self)
        self.price.follow(followed_entity(self.entry.options.get(FAMILY, {})))

    async def async_stop(self) -> None:
        """Stop the servers; write what is pending."""
        esi_endpoint.uninstall(self)
        for server in self.servers:
            server.stop()
        self.time_zone.stop()
        await self.store.async_flush()

    @callback
    def async_entry_updated(self) -> None:
        """Follow the price entity the options name now."""
        self.price.follow(followed_entity(self.entry.options.get(FAMILY, {})))

    @classmethod
    def options_schema(cls, options: Mapping[str, Any]) -> Any | None:
        """Return the ESI's options (the HA price entity to publish)."""
        return options_schema(options)

    def claims(self, device: Device) -> bool:
        """Claim devices with one of our ESI client clusters."""
        return any(server.find_cluster(device) is not None for server in self.servers)

    @callback
    def async_device_event(self, event: TrackedDeviceEvent) -> None:
        """Pass the device's events to every server."""
        for server in self.servers:
            server.device_event(event)

    @callback
    def async_add_entities(
        self, platform: Platform, add_entities: AddEntities
    ) -> CALLBACK_TYPE:
        """Add the ESI's own entities and every client device's."""
        coordinator = zha_bridge.coordinator_ieee(self.hass)
        if coordinator is not None:
            for make in self._esi_entity_makers.get(platform, []):
                add_entities(make(coordinator))
        unsubs: list[Callable[[], None]] = [
            server.add_entities(platform, add_entities) for server in self.servers
        ]

        def remove() -> None:
            for unsub in unsubs:
                unsub()

        return remove

    def diagnostics(self) -> dict[str, Any]:
        """Return every server's state."""
        return {
            **{type(server).__name__: server.summary() for server in self.servers},
            "TimeServer": self.time_zone.summary(),
            "EsiEndpoint": {
                "endpoint": esi_endpoint.ESI_ENDPOINT,
                "answers_discovery": esi_endpoint.installed(),
            },
        }
