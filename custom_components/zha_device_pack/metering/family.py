"""The metering family: every ZHA device with our Smart Energy Metering cluster.

The meter's values are ZHA entities made by the quirk (``quirks/smart_energy.py``); the family
adds the actions (fast poll, history import, Energy preferences, the Metering dashboard) and
two diagnostic sensors per meter that follow its history import.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import logging
from typing import Any, ClassVar

from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_time_interval,
)
from zha.zigbee.device import Device
from zigpy.exceptions import DeliveryError
from zigpy.types import EUI64

from ..cluster_follower import ClusterFollower
from ..family import AddEntities, DeviceFamily, server_cluster
from ..quirks.smart_energy import SmartEnergyMetering
from ..se_store import SectionStore
from ..zha_devices import DeviceEvent, TrackedDeviceEvent
from .dashboard import async_follow_statistics
from .drlc import DrlcClient
from .entities import HistoryImportSensor, LastHistoryImportSensor
from .importer import MeterHistory
from .messaging import MessagingClient
from .mirror import MeterMirrors
from .price import PriceClient
from .services import FAMILY, SERVICES

#: The Smart Energy clients' store (sections: one per client).
CLIENT_STORAGE_KEY = "zha_device_pack.smart_energy_clients"

_LOGGER = logging.getLogger(__name__)


def metering_cluster(device: Device) -> SmartEnergyMetering | None:
    """Return the device's first Metering cluster of our quirk."""
    return server_cluster(device, SmartEnergyMetering)


class MeteringFamily(DeviceFamily):
    """All Smart Energy meters on our quirk."""

    name: ClassVar[str] = FAMILY
    platforms: ClassVar[frozenset[Platform]] = frozenset(
        {Platform.SENSOR, Platform.EVENT, Platform.CALENDAR, Platform.BINARY_SENSOR}
    )
    services = SERVICES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Start with no meters; they appear with the tracker's events."""
        super().__init__(*args, **kwargs)
        self.meters: dict[EUI64, SmartEnergyMetering] = {}
        #: Demand refresh during a fast-poll window, per meter.
        self._refreshers: dict[EUI64, CALLBACK_TYPE] = {}
        self.history = MeterHistory(self)
        #: The Smart Energy clients' events and state, kept across restarts.
        self.store = SectionStore(self.hass, CLIENT_STORAGE_KEY)
        #: Smart Energy messages of the meters with a Messaging server.
        self.messaging = MessagingClient(self.hass, self.entry)
        #: Smart Energy prices of the meters with a Price server.
        self.price = PriceClient(self.hass, self.entry)
        #: Load control events of the meters with a DRLC server.
        self.drlc = DrlcClient(self.hass, self.entry)
        #: The coordinator's mirrors of the sleepy meters (store section "mirrors").
        self.mirror = MeterMirrors(self.hass, self.entry)
        #: HA's Smart Energy clients of the meters (the ESI's servers), one per cluster.
        self.clients: tuple[ClusterFollower[Any, Any], ...] = (
            self.messaging,
            self.price,
            self.drlc,
            self.mirror,
        )
        self._add_sensors: list[AddEntities] = []
        self._sensors: dict[
            EUI64, list[HistoryImportSensor | LastHistoryImportSensor]
        ] = {}
        self._unfollow_statistics: CALLBACK_TYPE | None = None

    async def async_start(self) -> None:
        """Load the storage; follow the recorder's statistics for the dashboard's graphs."""
        await self.history.async_load()
        await self.store.async_load()
        for client in self.clients:
            client.restore(self.store)
        self._unfollow_statistics = async_follow_statistics(self)

    async def async_stop(self) -> None:
        """Stop the fast-poll refreshes, the history joins and following the statistics."""
        if self._unfollow_statistics is not None:
            self._unfollow_statistics()
            self._unfollow_statistics = None
        for unsub in self._refreshers.values():
            unsub()
        self._refreshers.clear()
        for client in self.clients:
            client.stop()
        await self.store.async_flush()
        await self.history.async_unload()

    @callback
    def async_add_entities(
        self, platform: Platform, add_entities: AddEntities
    ) -> CALLBACK_TYPE:
        """Add every meter's history-import sensors, now and as meters appear."""
        unsubs = [
            client.add_entities(platform, add_entities) for client in self.clients
        ]
        if platform is Platform.SENSOR:
            self._add_sensors.append(add_entities)
            for ieee in self.meters:
                self._add_meter_sensors(ieee, add_entities)
            unsubs.append(lambda: self._add_sensors.remove(add_entities))

        def remove() -> None:
            for unsub in unsubs:
                unsub()

        return remove

    def _add_meter_sensors(self, ieee: EUI64, add_entities: AddEntities) -> None:
        sensors = self._sensors.setdefault(ieee, [])
        if sensors:
            return
        sensors += [
            HistoryImportSensor(self.hass, self.history, ieee),
            LastHistoryImportSensor(self.hass, self.history, ieee),
        ]
        add_entities(list(sensors))

    @callback
    def refresh_demand(
        self, cluster: SmartEnergyMetering, period: int, end: datetime
    ) -> None:
        """Read InstantaneousDemand every ``period`` s until ``end`` (a fast-poll window).

        Meters report demand faster while fast polling, or only answer reads faster; reading
        covers both. A new window replaces the previous one.
        """
        ieee = cluster.endpoint.device.ieee
        self._stop_refresh(ieee)

        async def read(_now: datetime) -> None:
            try:
                await cluster.read_attributes(
                    [SmartEnergyMetering.AttributeDefs.instantaneous_demand.name],
                    allow_cache=False,
                )
            except (DeliveryError, TimeoutError) as err:
                _LOGGER.debug("%s: demand not read: %s", ieee, err)

        @callback
        def window_ended(_now: datetime) -> None:
            self._stop_refresh(ieee)

        unsubs = [
            async_track_time_interval(self.hass, read, timedelta(seconds=period)),
            async_track_point_in_utc_time(self.hass, window_ended, end),
        ]

        def stop() -> None:
            for unsub in unsubs:
                unsub()

        self._refreshers[ieee] = stop

    def _stop_refresh(self, ieee: EUI64) -> None:
        if (unsub := self._refreshers.pop(ieee, None)) is not None:
            unsub()

    def claims(self, device: Device) -> bool:
        """Claim devices on our Smart Energy quirk."""
        return metering_cluster(device) is not None

    @callback
    def async_device_event(self, event: TrackedDeviceEvent) -> None:
        """Follow ZHA's current Metering cluster of every meter."""
        for client in self.clients:
            client.device_event(event)
        cluster = None if event.device is None else metering_cluster(event.device)
        if event.kind is DeviceEvent.REMOVED or cluster is None:
            self.meters.pop(event.ieee, None)
            self._stop_refresh(event.ieee)
            if event.kind is DeviceEvent.REMOVED:
                self.history.forget(event.ieee)
                for sensor in self._sensors.pop(event.ieee, []):
                    if sensor.hass is not None:
                        self.hass.async_create_task(
                            sensor.async_remove(force_remove=True)
                        )
            return
        self.meters[event.ieee] = cluster
        for add_entities in self._add_sensors:
            self._add_meter_sensors(event.ieee, add_entities)

    def diagnostics(self) -> dict[str, Any]:
        """Return the meters' formatting attributes."""
        names = (
            "unit_of_measure",
            "multiplier",
            "divisor",
            "summation_formatting",
            "demand_formatting",
            "metering_device_type",
            "fast_poll_update_period",
        )
        return {
            "meters": [
                {
                    "ieee": str(ieee),
                    **{name: cluster.get(name) for name in names},
                    "history": self.history.diagnostics(ieee),
                    "messages": self.messaging.diagnostics(ieee),
                    "price": self.price.diagnostics(ieee),
                    "load_control": self.drlc.diagnostics(ieee),
                    "mirror": self.mirror.diagnostics(ieee),
                }
                for ieee, cluster in self.meters.items()
            ],
            "mirrors": self.mirror.summary(),
        }
