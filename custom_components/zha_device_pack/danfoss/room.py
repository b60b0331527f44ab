"""A heating room: its settings (a config subentry) and the gateway features that run in it.

What the Danfoss Ally gateway does for a room, done here (research ``danfoss_specifics.md``):
forward the room sensor to 0x4015 at Danfoss' cadence (§2), drive external window open 0x4003
from contact sensors (§3), balance the room's load (§1: every 15 minutes the mean of the fresh
0x404A estimates to 0x4040; a single-TRV room gets 0x4032 off), and write heat available 0x4030
from a linked heat source (§7). Setpoints and the programming mode go to every TRV of the room.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
from statistics import fmean
from typing import Any, Final

from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfTemperature,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
    async_track_state_report_event,
    async_track_time_interval,
)
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import TemperatureConverter
from zigpy.types import EUI64

from ..errors import translated_device_errors, validation_error
from ..quirks.danfoss_ally import AllyThermostatCluster, ProgrammingOperationMode
from .sensor_policy import ExternalSensorPolicy
from .trv import OFF, TH, TrvLink, setpoint_limits

_LOGGER = logging.getLogger(__name__)

FAMILY: Final = "danfoss"
#: §1: "every 15 minutes", estimates older than 90 minutes and below -500 are left out.
LOAD_BALANCING_INTERVAL: Final = timedelta(minutes=15)
LOAD_MAX_AGE_S: Final = 90 * 60
LOAD_MIN_VALID: Final = -500
# 0x0025 values of the room climate's presets (§4: bit 0 schedule, bit 1 preheat).
PRESET_MODES: Final[Mapping[str, int]] = {
    "manual": int(ProgrammingOperationMode.Setpoint),
    "schedule": int(ProgrammingOperationMode.Schedule),
    "schedule_with_preheat": int(ProgrammingOperationMode.Schedule_with_preheat),
}
HEATING_ACTIONS: Final = frozenset({"heating", "preheating"})

# Subentry data keys.
CONF_TRVS: Final = "trvs"
CONF_TEMPERATURE_SENSOR: Final = "temperature_sensor"
CONF_WINDOW_SENSORS: Final = "window_sensors"
CONF_RADIATOR_COVERED: Final = "radiator_covered"
CONF_HEAT_SOURCE: Final = "heat_source"
CONF_LOAD_BALANCING: Final = "load_balancing"
CONF_FAST_SETPOINT: Final = "fast_setpoint"
CONF_AREA: Final = "area_id"


@dataclass(frozen=True, slots=True)
class RoomConfig:
    """A room's settings, as the subentry flow stores them."""

    subentry_id: str
    name: str
    trvs: tuple[EUI64, ...]
    area_id: str | None = None
    temperature_sensor: str | None = None
    window_sensors: tuple[str, ...] = ()
    radiator_covered: bool = False
    heat_source: str | None = None
    load_balancing: bool = True
    fast_setpoint: bool = True

    @classmethod
    def from_subentry(
        cls, subentry_id: str, title: str, data: Mapping[str, Any]
    ) -> RoomConfig:
        """Read a subentry's data (TRVs stored by IEEE, so they survive re-pairing ids)."""
        return cls(
            subentry_id=subentry_id,
            name=title,
            trvs=tuple(EUI64.convert(ieee) for ieee in data.get(CONF_TRVS, ())),
            area_id=data.get(CONF_AREA) or None,
            temperature_sensor=data.get(CONF_TEMPERATURE_SENSOR) or None,
            window_sensors=tuple(data.get(CONF_WINDOW_SENSORS, ())),
            radiator_covered=bool(data.get(CONF_RADIATOR_COVERED, False)),
            heat_source=data.get(CONF_HEAT_SOURCE) or None,
            load_balancing=bool(data.get(CONF_LOAD_BALANCING, True)),
            fast_setpoint=bool(data.get(CONF_FAST_SETPOINT, True)),
        )

    @property
    def balancing(self) -> bool:
        """Return True when load balancing runs: asked for, and at least two TRVs (§1)."""
        return self.load_balancing and len(self.trvs) >= 2


def _temperature(state: State | None) -> float | None:
    """Return a temperature sensor's value in °C (None: unavailable or not a number)."""
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT, UnitOfTemperature.CELSIUS)
    if unit == UnitOfTemperature.CELSIUS:
        return value
    try:
        return TemperatureConverter.convert(value, unit, UnitOfTemperature.CELSIUS)
    except HomeAssistantError:
        return None


def heat_source_on(state: State | None) -> bool | None:
    """Return whether a heat source entity delivers heat (None: unknown).

    A climate entity counts as on while its ``hvac_action`` is heating (else while its mode
    is not off); a switch or input_boolean while it is on.
    """
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    if state.domain == "climate":
        action = state.attributes.get("hvac_action")
        if action is not None:
            return action in HEATING_ACTIONS
        return state.state != "off"
    return state.state == STATE_ON


class RoomController:
    """The gateway features of one room, over the `TrvLink`s of its TRVs."""

    def __init__(
        self,
        hass: HomeAssistant,
        config: RoomConfig,
        trv_links: Callable[[EUI64], TrvLink],
    ) -> None:
        """Set up for ``config``; `async_start` subscribes to sensors and timers."""
        self.hass = hass
        self.config = config
        self._trv_links = trv_links
        self.trvs = [trv_links(ieee) for ieee in config.trvs]
        self.started = False
        self.policies: dict[EUI64, ExternalSensorPolicy] = {}
        #: When 0x4015 was last accepted by each TRV (diagnostic "external sensor last sent").
        self.sensor_sent_at: datetime | None = None
        self.load_room_mean: int | None = None
        self._listeners: list[Callable[[], None]] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._sensor_timer: CALLBACK_TYPE | None = None

    # -- lifecycle --------------------------------------------------------------

    @callback
    def reconfigure(self, config: RoomConfig) -> None:
        """Take the edited settings (call `async_stop` before and `async_start` after)."""
        old = self.config
        self.config = config
        self.trvs = [self._trv_links(ieee) for ieee in config.trvs]
        self.policies = {}
        self.load_room_mean = None
        off: dict[str, int] = {}
        if old.temperature_sensor is not None and config.temperature_sensor is None:
            off[TH.external_measured_room_sensor.name] = OFF
        if old.window_sensors and not config.window_sensors:
            off[TH.external_open_window_detected.name] = 0
        for trv in self.trvs:
            trv.want(off)

    @callback
    def async_start(self) -> None:
        """Subscribe to the linked entities and timers; apply the room's settings."""
        config = self.config
        self.started = True
        if config.temperature_sensor is not None:
            self.policies = {
                trv.ieee: ExternalSensorPolicy(covered=config.radiator_covered)
                for trv in self.trvs
            }
            self._unsubs.append(
                async_track_state_change_event(
                    self.hass, config.temperature_sensor, self._sensor_changed
                )
            )
            self._unsubs.append(
                async_track_state_report_event(
                    self.hass, config.temperature_sensor, self._sensor_reported
                )
            )
        if config.window_sensors:
            self._unsubs.append(
                async_track_state_change_event(
                    self.hass, list(config.window_sensors), self._windows_changed
                )
            )
        if config.heat_source is not None:
            self._unsubs.append(
                async_track_state_change_event(
                    self.hass, config.heat_source, self._heat_source_changed
                )
            )
        if config.balancing:
            self._unsubs.append(
                async_track_time_interval(
                    self.hass, self._balance, LOAD_BALANCING_INTERVAL
                )
            )
        for trv in self.trvs:
            trv.want({TH.radiator_covered.name: int(config.radiator_covered)})
        self._apply_windows()
        self._apply_heat_source()
        self._apply_balancing_mode()
        self._feed_sensor()

    @callback
    def async_stop(self, released: Iterable[EUI64] = ()) -> None:
        """Unsubscribe; hand the ``released`` TRVs (left the room) back to themselves.

        Released TRVs get the functions we drove switched off: external sensor -8000, window
        closed, load room mean -8000, load balancing back to its default (on).
        """
        self.started = False
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self._sensor_timer is not None:
            self._sensor_timer()
            self._sensor_timer = None
        released = set(released)
        for trv in self.trvs:
            if trv.ieee not in released:
                continue
            values: dict[str, int] = {
                TH.load_room_mean.name: OFF,
                TH.load_balancing_enable.name: 1,
            }
            if self.config.temperature_sensor is not None:
                values[TH.external_measured_room_sensor.name] = OFF
            if self.config.window_sensors:
                values[TH.external_open_window_detected.name] = 0
            trv.want(values)

    @callback
    def add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when the room's state (readings, TRVs) changes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_update(self) -> None:
        """Tell the room's entities that something changed."""
        for listener in list(self._listeners):
            listener()

    # -- TRV events -------------------------------------------------------------

    @callback
    def trv_reading(self, trv: TrvLink, name: str) -> None:
        """Update the room after a TRV reported ``name``."""
        self.async_update()

    @callback
    def trv_announced(self, trv: TrvLink) -> None:
        """Send 0x4015 at once to a TRV that restarted (Save = No: it lost the value)."""
        if (policy := self.policies.get(trv.ieee)) is not None:
            policy.reset()
        self._feed_sensor()

    @callback
    def trv_written(self, trv: TrvLink, batch: Mapping[str, int]) -> None:
        """Note what a TRV accepted (the sensor policy counts from the write)."""
        name = TH.external_measured_room_sensor.name
        if name in batch and (policy := self.policies.get(trv.ieee)) is not None:
            policy.written(self._now(), batch[name])
            self.sensor_sent_at = dt_util.utcnow()
            self._arm_sensor_timer()
        self.async_update()

    # -- readings ---------------------------------------------------------------

    @property
    def room_temperature(self) -> float | None:
        """Return the room sensor's value, else the mean of the TRVs' own temperatures."""
        if self.config.temperature_sensor is not None:
            value = _temperature(self.hass.states.get(self.config.temperature_sensor))
            if value is not None:
                return value
        values = [t for trv in self.trvs if (t := trv.local_temperature) is not None]
        return round(fmean(values), 2) if values else None

    @property
    def target_temperature(self) -> float | None:
        """Return the TRVs' setpoint (their mean when they differ)."""
        values = [s for trv in self.trvs if (s := trv.setpoint) is not None]
        return round(fmean(values), 2) if values else None

    @property
    def min_temperature(self) -> float:
        """Return the highest MinHeatSetpointLimit of the room's TRVs (°C)."""
        return setpoint_limits(self.trvs)[0]

    @property
    def max_temperature(self) -> float:
        """Return the lowest MaxHeatSetpointLimit of the room's TRVs (°C)."""
        return setpoint_limits(self.trvs)[1]

    @property
    def heat_required(self) -> bool:
        """Return True while any TRV of the room requests heat (0x4031)."""
        return any(trv.heat_required for trv in self.trvs)

    def heat_demands(self) -> list[int]:
        """Return the TRVs' PI heating demands (%)."""
        return [d for trv in self.trvs if (d := trv.heating_demand) is not None]

    @property
    def preset_mode(self) -> str | None:
        """Return the preset of the TRVs' programming mode (None: unknown or mixed)."""
        modes = {trv.programming_mode for trv in self.trvs}
        if len(modes) != 1 or (mode := modes.pop()) is None:
            return None
        return next((name for name, bits in PRESET_MODES.items() if bits == mode), None)

    # -- user actions -----------------------------------------------------------

    async def async_set_temperature(self, temperature: float) -> None:
        """Send ``temperature`` to every TRV (0x40, type per the room's fast option)."""
        low, high = self.min_temperature, self.max_temperature
        if not low <= temperature <= high:
            raise validation_error(
                "danfoss_setpoint_out_of_range",
                temperature=temperature,
                min=low,
                max=high,
            )
        trvs = self._require_trvs()
        centi = round(temperature * 100)
        async with translated_device_errors(FAMILY):
            for cluster in trvs:
                await cluster.set_setpoint(centi, fast=self.config.fast_setpoint)
        self.async_update()

    async def async_set_preset(self, preset: str) -> None:
        """Write the programming mode of ``preset`` to every TRV (standard attribute 0x0025)."""
        trvs = self._require_trvs()
        async with translated_device_errors(FAMILY):
            for cluster in trvs:
                await cluster.write_standard(
                    {TH.programing_oper_mode.name: PRESET_MODES[preset]}
                )
        self.async_update()

    def _require_trvs(self) -> list[AllyThermostatCluster]:
        clusters = [trv.thermostat for trv in self.trvs if trv.thermostat is not None]
        if len(clusters) != len(self.trvs) or not clusters:
            raise validation_error("danfoss_not_available", room=self.config.name)
        return clusters

    # -- external room sensor (§2) ----------------------------------------------

    def _now(self) -> float:
        return dt_util.utcnow().timestamp()

    @callback
    def _sensor_changed(self, event: Event[EventStateChangedData]) -> None:
        self._feed_sensor()

    @callback
    def _sensor_reported(self, event: Event[EventStateReportedData]) -> None:
        self._feed_sensor()

    @callback
    def _feed_sensor(self) -> None:
        if not self.policies or self.config.temperature_sensor is None:
            return
        value = _temperature(self.hass.states.get(self.config.temperature_sensor))
        now = self._now()
        for policy in self.policies.values():
            policy.reading(now, value)
        self._sensor_tick()

    @callback
    def _sensor_tick(self, _now: datetime | None = None) -> None:
        now = self._now()
        name = TH.external_measured_room_sensor.name
        for trv in self._sensor_trvs():
            policy = self.policies[trv.ieee]
            if (value := policy.due(now)) is not None:
                trv.send(name, value)
        self._arm_sensor_timer()

    def _sensor_trvs(self) -> list[TrvLink]:
        """Return the TRVs the policy decides for now.

        A TRV whose 0x4015 write is still pending (in flight, or waiting for its next
        check-in after a failure) is left out: the policy learns of the write through
        `trv_written`, and re-deciding meanwhile would only repeat the same frame.
        """
        name = TH.external_measured_room_sensor.name
        return [
            trv
            for trv in self.trvs
            if trv.ieee in self.policies
            and trv.thermostat is not None
            and name not in trv.pending
        ]

    @callback
    def _arm_sensor_timer(self) -> None:
        if self._sensor_timer is not None:
            self._sensor_timer()
            self._sensor_timer = None
        if not self.started:
            return  # a write that finished after the room stopped
        now = self._now()
        checks = [
            when
            for trv in self._sensor_trvs()
            if (when := self.policies[trv.ieee].next_check(now)) is not None
        ]
        if not checks:
            return
        at = dt_util.utc_from_timestamp(max(min(checks), now + 1))
        self._sensor_timer = async_track_point_in_utc_time(
            self.hass, self._sensor_tick, at
        )

    # -- windows (§3) -------------------------------------------------------------

    @callback
    def _windows_changed(self, event: Event[EventStateChangedData]) -> None:
        self._apply_windows()

    @property
    def window_open(self) -> bool | None:
        """Return True if any linked window sensor is open (None: no sensors)."""
        if not self.config.window_sensors:
            return None
        return any(
            (state := self.hass.states.get(entity_id)) is not None
            and state.state == STATE_ON
            for entity_id in self.config.window_sensors
        )

    @callback
    def _apply_windows(self) -> None:
        if (is_open := self.window_open) is None:
            return
        for trv in self.trvs:
            trv.want({TH.external_open_window_detected.name: int(is_open)})

    # -- heat available (§7) -----------------------------------------------------

    @callback
    def _heat_source_changed(self, event: Event[EventStateChangedData]) -> None:
        self._apply_heat_source()

    @callback
    def _apply_heat_source(self) -> None:
        if self.config.heat_source is None:
            return
        available = heat_source_on(self.hass.states.get(self.config.heat_source))
        if available is None:
            return  # unknown: leave the TRV's own value ("considered on" by default)
        for trv in self.trvs:
            trv.want({TH.heat_available.name: int(available)})

    # -- load balancing (§1) -------------------------------------------------------

    @callback
    def _apply_balancing_mode(self) -> None:
        if self.config.balancing:
            for trv in self.trvs:
                trv.want({TH.load_balancing_enable.name: 1})
            return
        # a single-TRV room, or balancing switched off: stand-alone, and no stale mean
        for trv in self.trvs:
            trv.want({TH.load_balancing_enable.name: 0, TH.load_room_mean.name: OFF})

    def room_load_mean(self, now: datetime) -> int | None:
        """Return the mean of the fresh, valid 0x404A estimates (§1), None if there is none."""
        estimates = [
            value
            for trv in self.trvs
            if (value := trv.load_estimate(now, LOAD_MAX_AGE_S)) is not None
            and value >= LOAD_MIN_VALID
        ]
        return round(fmean(estimates)) if estimates else None

    @callback
    def _balance(self, now: datetime | None = None) -> None:
        if not self.config.balancing:
            return
        mean = self.room_load_mean(dt_util.utcnow())
        if mean is None:
            return
        self.load_room_mean = mean
        name = TH.load_room_mean.name
        for trv in self.trvs:
            # re-sent every 15 minutes even when unchanged: the TRV drops it after 90 (§1)
            trv.send(name, mean)
        self.async_update()

    def diagnostics(self) -> dict[str, Any]:
        """Return the room's configuration and feature state."""
        return {
            "name": self.config.name,
            "trvs": [str(trv.ieee) for trv in self.trvs],
            "temperature_sensor": self.config.temperature_sensor,
            "window_sensors": list(self.config.window_sensors),
            "radiator_covered": self.config.radiator_covered,
            "heat_source": self.config.heat_source,
            "load_balancing": self.config.balancing,
            "load_room_mean": self.load_room_mean,
            "sensor_sent_at": (
                None if self.sensor_sent_at is None else self.sensor_sent_at.isoformat()
            ),
        }
