"""One Ally TRV as the family sees it: its current clusters, its readings, and what we keep on it.

ZHA replaces the zigpy device (and its clusters) on a re-interview or an in-place quirk move;
`TrvLink.attach` follows the current objects. The link holds the gateway-written Danfoss values
the TRV should have (`desired`): all of them have Save = No in the spec (window 0x4003, heat
available 0x4030, load balancing 0x4032, load room mean 0x4040, external sensor 0x4015), so they
are written again after the TRV announces itself (power cycle, rejoin). A failed write stays
pending and is retried at the TRV's next Poll Control check-in (every 5 minutes), which is when
a sleepy TRV is sure to be listening.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
import logging
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util
from zha.zigbee.device import Device
from zhaquirks.danfoss.thermostat import DanfossDiagnosticCluster
from zigpy.types import EUI64
from zigpy.zcl.clusters.general import PollControl

from ..family import server_cluster
from ..quirks.danfoss_ally import FUNCTION_OFF, AllyThermostatCluster, AllyTimeCluster
from ..quirks.exceptions import CommandRefusedError, NoAnswerError

_LOGGER = logging.getLogger(__name__)

#: SW error code 0x0B05/0x4000 bit 9: E10 "Invalid clock information" (research §4).
E10_INVALID_CLOCK: Final = 0x0200
ATTR: Final = DanfossDiagnosticCluster.AttributeDefs
TH: Final = AllyThermostatCluster.AttributeDefs
CHECK_IN: Final = PollControl.ClientCommandDefs.checkin.id
ATTR_CLUSTER_ID: Final = DanfossDiagnosticCluster.cluster_id
TIME_CLUSTER_ID: Final = AllyTimeCluster.cluster_id
#: 0x4015 / 0x4040 "function off" (spec p.5).
OFF: Final = FUNCTION_OFF
# Defaults of Min/MaxHeatSetpointLimit (spec p.5), 0.01 °C, until the TRV reported them.
MIN_SETPOINT_DEFAULT: Final = 500
MAX_SETPOINT_DEFAULT: Final = 3500


def thermostat_cluster(device: Device) -> AllyThermostatCluster | None:
    """Return the TRV's thermostat cluster when ``device`` runs on our Ally quirk."""
    return server_cluster(device, AllyThermostatCluster)


class TrvLink:
    """The family's handle on one TRV (kept across ZHA's device objects)."""

    def __init__(self, hass: HomeAssistant, ieee: EUI64) -> None:
        """Start detached; `attach` follows ZHA's current device."""
        self.hass = hass
        self.ieee = ieee
        self.device: Device | None = None
        self.thermostat: AllyThermostatCluster | None = None
        #: Danfoss attributes of the thermostat cluster the TRV should hold (name -> value).
        self.desired: dict[str, int] = {}
        #: Names of `desired` not (yet) accepted by the TRV.
        self.pending: set[str] = set()
        #: When each reportable reading last arrived (HA time), e.g. the load estimate's age.
        self.updated_at: dict[str, datetime] = {}
        #: Since when writes have failed (None: the last exchange worked).
        self.unreachable_since: datetime | None = None
        #: Called after a reading changed / the TRV announced itself / it reported E10 /
        #: it checked in.
        self.on_reading: Callable[[TrvLink, str], None] = lambda _trv, _name: None
        self.on_announce: Callable[[TrvLink], None] = lambda _trv: None
        self.on_clock_lost: Callable[[TrvLink], None] = lambda _trv: None
        self.on_check_in: Callable[[TrvLink], None] = lambda _trv: None
        self.on_written: Callable[[TrvLink, dict[str, int]], None] = (
            lambda _trv, _batch: None
        )
        self._unsubs: list[Callable[[], None]] = []
        self._sync_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        """Name the TRV in logs."""
        return f"<TrvLink {self.ieee}>"

    # -- ZHA objects ------------------------------------------------------------

    @callback
    def attach(self, device: Device) -> None:
        """Follow ``device`` (ZHA's current object for this TRV)."""
        cluster = thermostat_cluster(device)
        if cluster is self.thermostat and device is self.device:
            return
        self.detach()
        if cluster is None:
            return
        self.device = device
        self.thermostat = cluster
        endpoint = cluster.endpoint
        sources: list[Any] = [cluster]
        if (diagnostic := endpoint.in_clusters.get(ATTR_CLUSTER_ID)) is not None:
            sources.append(diagnostic)
        for source in sources:
            for event in ("attribute_updated", "attribute_report"):
                self._unsubs.append(source.on_event(event, self._handle_attribute))
        zigpy_device = device.device
        zdo = zigpy_device.zdo
        zdo.add_listener(self)
        self._unsubs.append(lambda: zdo.remove_listener(self))
        if (poll := endpoint.in_clusters.get(PollControl.cluster_id)) is not None:
            poll.add_listener(self)
            self._unsubs.append(lambda: poll.remove_listener(self))

    @callback
    def detach(self) -> None:
        """Stop following ZHA's objects (device gone, re-resolved or ZHA unloaded)."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        self.device = None
        self.thermostat = None
        if self._sync_task is not None:
            self._sync_task.cancel()
            self._sync_task = None

    @property
    def available(self) -> bool:
        """Return True while ZHA has the TRV on our quirk and considers it available."""
        return self.device is not None and self.device.available

    @property
    def time_cluster(self) -> AllyTimeCluster | None:
        """Return the TRV's Time server cluster."""
        if self.thermostat is None:
            return None
        cluster = self.thermostat.endpoint.in_clusters.get(TIME_CLUSTER_ID)
        return cluster if isinstance(cluster, AllyTimeCluster) else None

    # -- readings ---------------------------------------------------------------

    def get(self, name: str) -> Any:
        """Return the cached thermostat attribute ``name`` (None: not known)."""
        return None if self.thermostat is None else self.thermostat.get(name)

    @property
    def local_temperature(self) -> float | None:
        """Return the TRV's own temperature (°C)."""
        value = self.get(TH.local_temperature.name)
        return None if value is None else int(value) / 100

    @property
    def setpoint(self) -> float | None:
        """Return the occupied heating setpoint (°C)."""
        value = self.get(TH.occupied_heating_setpoint.name)
        return None if value is None else int(value) / 100

    def limit(self, name: str, default: int) -> float:
        """Return a setpoint limit (°C) from MinHeat/MaxHeatSetpointLimit or ``default``."""
        value = self.get(name)
        return (default if value is None else int(value)) / 100

    @property
    def heating_demand(self) -> int | None:
        """Return PIHeatingDemand (%)."""
        value = self.get(TH.pi_heating_demand.name)
        return None if value is None else int(value)

    @property
    def heat_required(self) -> bool:
        """Return 0x4031 Heat Supply Request."""
        return bool(self.get(TH.heat_required.name))

    @property
    def programming_mode(self) -> int | None:
        """Return 0x0025 ThermostatProgrammingOperationMode."""
        value = self.get(TH.programing_oper_mode.name)
        return None if value is None else int(value)

    def load_estimate(self, now: datetime, max_age_s: float) -> int | None:
        """Return 0x404A if it arrived within ``max_age_s``; else None."""
        value = self.get(TH.load_estimate.name)
        seen = self.updated_at.get(TH.load_estimate.name)
        if value is None or seen is None or (now - seen).total_seconds() > max_age_s:
            return None
        return int(value)

    def _handle_attribute(self, event: Any) -> None:
        name = getattr(event, "attribute_name", None)
        if name is None:
            return
        cluster_id = getattr(event, "cluster_id", None)
        value = getattr(event, "value", getattr(event, "raw_value", None))
        if cluster_id == ATTR_CLUSTER_ID:
            if (
                name == ATTR.sw_error_code.name
                and value is not None
                and int(value) & E10_INVALID_CLOCK
            ):
                self.on_clock_lost(self)
            return
        self.updated_at[name] = dt_util.utcnow()
        if name == TH.external_open_window_detected.name and value is not None:
            self._reassert(name, int(value))
        elif name == TH.external_measured_room_sensor.name and value is not None:
            # the TRV resets 0x4015 to -8000 when it timed out (spec p.5)
            self._reassert(name, int(value))
        self.on_reading(self, name)

    def _reassert(self, name: str, value: int) -> None:
        wanted = self.desired.get(name)
        if wanted is not None and wanted != value and name not in self.pending:
            _LOGGER.debug(
                "%s: TRV dropped %s (%s, want %s)", self.ieee, name, value, wanted
            )
            self.pending.add(name)
            self.schedule_sync()

    # -- zigpy listeners (ZDO and Poll Control) ---------------------------------

    def device_announce(self, _device: Any) -> None:
        """ZDO Device_annce: the TRV restarted or rejoined; its Save=No values are gone."""
        self.pending.update(self.desired)
        self.on_announce(self)
        self.schedule_sync()

    def cluster_command(self, _tsn: int, command_id: int, _args: Any) -> None:
        """Poll Control check-in: the TRV listens now; retry what is pending."""
        if command_id == CHECK_IN:
            self.on_check_in(self)
            if self.pending:
                self.schedule_sync()

    # -- writes -----------------------------------------------------------------

    @callback
    def want(self, values: Mapping[str, int]) -> None:
        """Set desired values; the changed ones are written soon."""
        changed = False
        for name, value in values.items():
            if self.desired.get(name) != value:
                self.desired[name] = value
                self.pending.add(name)
                changed = True
        if changed:
            self.schedule_sync()

    @callback
    def send(self, name: str, value: int) -> None:
        """Write ``name`` = ``value`` even if the TRV should hold it already.

        For values the TRV drops after a while (0x4015 after 35 min / 3 h, 0x4040 after
        90 min): writing them again is what keeps them.
        """
        self.desired[name] = value
        self.pending.add(name)
        self.schedule_sync()

    @callback
    def schedule_sync(self) -> None:
        """Write the pending values in the background (one task at a time)."""
        if self.thermostat is None or (
            self._sync_task is not None and not self._sync_task.done()
        ):
            return
        self._sync_task = self.hass.async_create_background_task(
            self.async_sync(), f"zha_device_pack danfoss sync {self.ieee}"
        )

    async def async_sync(self) -> None:
        """Write every pending value in one Danfoss Write Attributes frame."""
        async with self._lock:
            while self.pending and (cluster := self.thermostat) is not None:
                batch = {name: self.desired[name] for name in sorted(self.pending)}
                try:
                    await cluster.write_danfoss(batch)
                except (NoAnswerError, CommandRefusedError) as err:
                    self.unreachable_since = self.unreachable_since or dt_util.utcnow()
                    _LOGGER.debug("%s: write %s failed: %s", self.ieee, batch, err)
                    return
                self.unreachable_since = None
                for name, value in batch.items():
                    if self.desired.get(name) == value:
                        self.pending.discard(name)
                self.on_written(self, batch)

    def diagnostics(self) -> dict[str, Any]:
        """Return what the family keeps on this TRV."""
        return {
            "ieee": str(self.ieee),
            "attached": self.thermostat is not None,
            "desired": dict(self.desired),
            "pending": sorted(self.pending),
            "unreachable_since": (
                None
                if self.unreachable_since is None
                else self.unreachable_since.isoformat()
            ),
        }


def setpoint_limits(trvs: Iterable[TrvLink]) -> tuple[float, float]:
    """Return the setpoint range (°C) every one of ``trvs`` accepts."""
    trvs = list(trvs)
    low = max(
        (
            trv.limit(TH.min_heat_setpoint_limit.name, MIN_SETPOINT_DEFAULT)
            for trv in trvs
        ),
        default=MIN_SETPOINT_DEFAULT / 100,
    )
    high = min(
        (
            trv.limit(TH.max_heat_setpoint_limit.name, MAX_SETPOINT_DEFAULT)
            for trv in trvs
        ),
        default=MAX_SETPOINT_DEFAULT / 100,
    )
    return low, high
