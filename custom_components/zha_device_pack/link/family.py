"""Link diagnostics: every ZHA device's deliveries, latency probes, channel scans, repairs.

Not a device family of its own kind: it claims every ZHA device but the coordinator, so that
any device can be tested (``test_link``) and has its link-health sensors. Those are enabled
by default for the devices of our families (valves, TRVs, meters) and disabled for the
others.

- Missed messages: every unicast the radio sends is counted per device, delivered or not
  (``zha_bridge.watch_deliveries``); no traffic of ours.
- Link latency: the median of the last automatic probes. A probe is one request (the link
  test's) every ``PROBE_INTERVAL`` per device, so at most ``PROBES_PER_DAY`` messages a day:
  well inside the tightest budget we know, the Danfoss TRV's ~650 messages a day. A sleepy
  device is probed when it is next heard (it is awake then), never woken for it.
- A repair issue names a device whose deliveries have failed, with no success, for a day.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import logging
import statistics
from typing import Any, ClassVar, Final

from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from zha.application.gateway import Gateway
from zha.zigbee.device import Device
from zigpy.exceptions import DeliveryError
from zigpy.types import EUI64

from .. import zha_bridge
from ..const import DOMAIN
from ..family import AddEntities, DeviceFamily
from ..zha_devices import DeviceEvent, TrackedDeviceEvent
from . import tester
from .services import FAMILY, SERVICES

_LOGGER = logging.getLogger(__name__)

PROBE_INTERVAL: Final = timedelta(hours=6)
PROBES_PER_DAY: Final = int(timedelta(days=1) / PROBE_INTERVAL)
#: Probes kept for the median.
PROBES_KEPT: Final = 5
#: How often due probes and repairs are looked at.
CHECK_INTERVAL: Final = timedelta(minutes=10)
#: Failures with no delivery in between for this long raise the repair issue.
FAILING_FOR: Final = timedelta(days=1)
#: ... and at least this many of them ("repeated").
FAILURES_FOR_REPAIR: Final = 3
OUR_FAMILIES: Final = ("irrigation", "danfoss", "metering")
STORAGE_KEY: Final = f"{DOMAIN}.link"
STORAGE_VERSION: Final = 1


@dataclass(slots=True)
class LinkStats:
    """What is known of one device's link since HA started."""

    sent: int = 0
    failed: int = 0
    latencies_ms: deque[float] = field(
        default_factory=lambda: deque(maxlen=PROBES_KEPT)
    )
    #: The first failure after the last delivery (None: the last delivery went through).
    failing_since: datetime | None = None
    failures_in_row: int = 0
    last_probe: datetime | None = None
    probe_pending: bool = False

    @property
    def latency_ms(self) -> float | None:
        """Return the median of the last probes."""
        return (
            round(statistics.median(self.latencies_ms), 1)
            if self.latencies_ms
            else None
        )


class LinkFamily(DeviceFamily):
    """Link diagnostics of every ZHA device."""

    name: ClassVar[str] = FAMILY
    platforms: ClassVar[frozenset[Platform]] = frozenset({Platform.SENSOR})
    services = SERVICES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Start with no devices; the tracker reports them."""
        super().__init__(*args, **kwargs)
        self.devices: dict[EUI64, Device] = {}
        self.stats: dict[EUI64, LinkStats] = {}
        self._listeners: list[Callable[[], None]] = []
        self._add_entities: list[AddEntities] = []
        self._entities: dict[EUI64, list[Any]] = {}
        self._gateway: Gateway | None = None
        self._unwatch: CALLBACK_TYPE | None = None
        self._unsubs: list[CALLBACK_TYPE] = []
        self._seen_unsubs: dict[EUI64, tuple[Any, CALLBACK_TYPE]] = {}
        self._probes: set[asyncio.Task[None]] = set()
        self._store: Store[dict[str, Any]] = Store(
            self.hass, STORAGE_VERSION, STORAGE_KEY
        )
        #: The last channel scan: {"at", "channel", "energy": {ch: %}, "recommended"}.
        self.scan: dict[str, Any] | None = None
        self._hub_listeners: list[Callable[[], None]] = []
        self._hub_added = False

    # -- lifecycle ------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load the last scan; start the probe and repair checks."""
        stored = await self._store.async_load()
        if stored is not None:
            self.scan = stored.get("scan")
        self._unsubs.append(
            async_track_time_interval(self.hass, self._check, CHECK_INTERVAL)
        )

    async def async_stop(self) -> None:
        """Stop watching and probing."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        for _device, unsub in self._seen_unsubs.values():
            unsub()
        self._seen_unsubs.clear()
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        for task in list(self._probes):
            task.cancel()

    def claims(self, device: Device) -> bool:
        """Claim every device but the coordinator."""
        return not device.is_coordinator

    @callback
    def async_device_event(self, event: TrackedDeviceEvent) -> None:
        """Follow every device; forget removed ones."""
        if event.kind is DeviceEvent.REMOVED:
            self._forget(event.ieee)
            return
        self._watch_gateway()
        if event.device is None:
            self.devices.pop(event.ieee, None)
            self._unlisten_seen(event.ieee)
            return
        self.devices[event.ieee] = event.device
        self.stats.setdefault(event.ieee, LinkStats())
        self._listen_seen(event.device)
        for add_entities in self._add_entities:
            self._add_device_entities(event.ieee, add_entities)

    def _watch_gateway(self) -> None:
        gateway = zha_bridge.gateway(self.hass)
        if gateway is self._gateway:
            return
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        self._gateway = gateway
        if gateway is not None:
            self._unwatch = zha_bridge.watch_deliveries(gateway, self._delivered)

    def _forget(self, ieee: EUI64) -> None:
        self.devices.pop(ieee, None)
        self.stats.pop(ieee, None)
        self._unlisten_seen(ieee)
        ir.async_delete_issue(self.hass, DOMAIN, _issue_id(ieee))
        for entity in self._entities.pop(ieee, []):
            if entity.hass is not None:
                self.hass.async_create_task(entity.async_remove(force_remove=True))

    # -- deliveries -------------------------------------------------------------------------

    @callback
    def _delivered(self, ieee: EUI64, delivered: bool, _seconds: float) -> None:
        stats = self.stats.get(ieee)
        if stats is None:
            return
        stats.sent += 1
        if delivered:
            stats.failing_since = None
            stats.failures_in_row = 0
            ir.async_delete_issue(self.hass, DOMAIN, _issue_id(ieee))
        else:
            stats.failed += 1
            stats.failures_in_row += 1
            if stats.failing_since is None:
                stats.failing_since = dt_util.utcnow()
            self._check_repair(ieee, stats)
        self._notify()

    def _check_repair(self, ieee: EUI64, stats: LinkStats) -> None:
        since = stats.failing_since
        if (
            since is None
            or stats.failures_in_row < FAILURES_FOR_REPAIR
            or dt_util.utcnow() - since < FAILING_FOR
        ):
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            _issue_id(ieee),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="link_failing",
            translation_placeholders={
                "name": self.device_name(ieee),
                "failures": str(stats.failures_in_row),
                "since": since.isoformat(timespec="minutes"),
            },
        )

    # -- probes -----------------------------------------------------------------------------

    def _listen_seen(self, device: Device) -> None:
        """Probe a sleepy device whose probe is due when it is next heard.

        zigpy's device emits ``device_last_seen_updated`` for every frame it receives; a
        re-interview or a quirk change brings a new zigpy device, listened to again.
        """
        zigpy_device = device.device
        current = self._seen_unsubs.get(device.ieee)
        if current is not None and current[0] is zigpy_device:
            return
        self._unlisten_seen(device.ieee)
        family = self

        class _Listener:
            def device_last_seen_updated(self, _last_seen: Any) -> None:
                family._heard(device.ieee)

        listener = _Listener()
        zigpy_device.add_listener(listener)
        self._seen_unsubs[device.ieee] = (
            zigpy_device,
            lambda: zigpy_device.remove_listener(listener),
        )

    def _unlisten_seen(self, ieee: EUI64) -> None:
        if (current := self._seen_unsubs.pop(ieee, None)) is not None:
            current[1]()

    def _heard(self, ieee: EUI64) -> None:
        stats = self.stats.get(ieee)
        if stats is not None and stats.probe_pending:
            stats.probe_pending = False
            self._start_probe(ieee)

    @callback
    def _check(self, _now: datetime) -> None:
        for ieee, stats in self.stats.items():
            self._check_repair(ieee, stats)
            self.probe_when_due(ieee)

    @callback
    def probe_when_due(self, ieee: EUI64) -> None:
        """Probe the device if its latency sensor is on and its last probe is old enough.

        Called every check and when the sensor appears, so a device paired a minute ago
        shows its latency at once rather than after the next check (within the same budget:
        a probe every ``PROBE_INTERVAL`` at most).
        """
        stats = self.stats.get(ieee)
        device = self.devices.get(ieee)
        if stats is None or device is None or not self.latency_enabled(ieee):
            return
        now = dt_util.utcnow()
        if stats.last_probe is not None and now - stats.last_probe < PROBE_INTERVAL:
            return
        stats.last_probe = now
        if tester.is_sleepy(device):
            stats.probe_pending = True  # when it is next heard
        else:
            self._start_probe(ieee)

    def _start_probe(self, ieee: EUI64) -> None:
        task = self.entry.async_create_background_task(
            self.hass, self._probe(ieee), f"{DOMAIN} link probe {ieee}"
        )
        self._probes.add(task)
        task.add_done_callback(self._probes.discard)

    async def _probe(self, ieee: EUI64) -> None:
        device = self.devices.get(ieee)
        if device is None:
            return
        try:
            trip = await tester.probe(device)
        except (DeliveryError, TimeoutError, HomeAssistantError) as err:
            _LOGGER.debug("%s: link probe unanswered: %s", ieee, err)
            return
        self.record_latency(ieee, [trip])

    def record_latency(self, ieee: EUI64, trips: list[float]) -> None:
        """Keep round trips for the latency sensor (probes and link tests)."""
        if (stats := self.stats.get(ieee)) is None:
            return
        stats.latencies_ms.extend(trips)
        self._notify()

    # -- entities -------------------------------------------------------------------------

    def latency_enabled(self, ieee: EUI64) -> bool:
        """Return True when the device's latency sensor exists and is enabled."""
        for entity in self._entities.get(ieee, []):
            if entity.key == "link_latency":
                entry = entity.registry_entry
                return entry is not None and entry.disabled_by is None
        return False

    def ours(self, ieee: EUI64) -> bool:
        """Return True for a device of one of our families (sensors enabled by default)."""
        tracker = self.entry.runtime_data.tracker
        return any(ieee in tracker.claimed(name) for name in OUR_FAMILIES)

    def device_name(self, ieee: EUI64) -> str:
        """Return the device's name as the user sees it."""
        entry = zha_bridge.zha_device_entry(self.hass, ieee)
        if entry is not None:
            return entry.name_by_user or entry.name or str(ieee)
        return str(ieee)

    @callback
    def add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when any device's link numbers change."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    @callback
    def add_hub_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when a new channel scan is in."""
        self._hub_listeners.append(listener)
        return lambda: self._hub_listeners.remove(listener)

    @callback
    def async_add_entities(
        self, platform: Platform, add_entities: AddEntities
    ) -> CALLBACK_TYPE:
        """Add every device's link sensors and, once a scan was made, the channel sensors."""
        if platform is not Platform.SENSOR:
            return lambda: None
        self._add_entities.append(add_entities)
        for ieee in self.devices:
            self._add_device_entities(ieee, add_entities)
        self._hub_added = False
        self._add_hub_entities()
        return lambda: self._add_entities.remove(add_entities)

    def _add_device_entities(self, ieee: EUI64, add_entities: AddEntities) -> None:
        from .entities import device_sensors  # noqa: PLC0415 - entities import the family

        entities = self._entities.setdefault(ieee, [])
        if entities:
            return
        entities += device_sensors(self, ieee)
        add_entities(list(entities))

    def _add_hub_entities(self) -> None:
        from .entities import hub_sensors  # noqa: PLC0415 - entities import the family

        if self._hub_added or self.scan is None:
            return
        self._hub_added = True
        for add_entities in self._add_entities:
            add_entities(hub_sensors(self))

    async def async_store_scan(self, scan: dict[str, Any]) -> None:
        """Keep a channel scan for the hub sensors (and across restarts)."""
        self.scan = scan
        await self._store.async_save({"scan": scan})
        self._add_hub_entities()
        for listener in list(self._hub_listeners):
            listener()

    def diagnostics(self) -> dict[str, Any]:
        """Return the link numbers per device (labelled, without IEEE) and the last scan."""
        return {
            "devices": [
                {
                    "device": f"device{index}",
                    "sent": stats.sent,
                    "failed": stats.failed,
                    "latency_ms": stats.latency_ms,
                    "failing_since": (
                        None
                        if stats.failing_since is None
                        else stats.failing_since.isoformat()
                    ),
                }
                for index, stats in enumerate(self.stats.values(), start=1)
            ],
            "scan": self.scan,
            "probes_per_day": PROBES_PER_DAY,
        }


def _issue_id(ieee: EUI64) -> str:
    return f"link_failing_{str(ieee).replace(':', '')}"
