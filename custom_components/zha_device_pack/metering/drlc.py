"""Smart Energy DRLC client: the ESI's load control events on the meter's page.

Per meter whose quirk has a DRLC server (``quirks/smart_energy_drlc.py``) the client keeps
the load control events addressed to HA (``drlc_events.EventTable``: the rules of reference
§4.3) and sends the ESI a Report Event Status at every state change: received, started,
completed (or partially, or without participation), opted out / in, cancelled, superseded,
and the rejections (0xFB expired, 0xFE invalid, 0xF9 / 0xFD invalid cancel). Reports go out
one at a time in the order the changes happened; their time is the change's.

HA's client attributes (reference §4.1) are ``drlc_events.ClientAttributes``' defaults:
DeviceClassValue 0x0FFF (HA stands for every kind of load its automations switch),
UtilityEnrollmentGroup 0, StartRandomizationMinutes 30, DurationRandomizationMinutes 0. The
coordinator hosts no DRLC client cluster, so the ESI cannot write them.

Entities per meter: a calendar "Load control events" (the scheduled and running events, in
their randomised windows), an event entity "Load control" firing one event per report, and a
binary sensor "Load control active" (an event runs and the user has not opted out). Actions
``opt_out_of_load_control_event`` / ``opt_in_to_load_control_event`` (``services.py``).

When the meter's DRLC cluster appears (start, join, re-interview, ZHA reload) the due starts
and ends are caught up, the next one is timed, and GetScheduledEvents (all events from now)
is sent; the ESI's answers are handled like any LoadControlEvent (a held event's id is a
duplicate and ignored). Events persist with their state in the metering family's store
(section ``load_control``); those ended while HA was stopped are dropped. A change while the
meter's DRLC cluster is absent (a re-interview) updates the state and entities, but its
report is not sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import logging
import random
from typing import Any, Final

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.event import EventEntity
from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util
from zha.exceptions import ZHAException
from zha.zigbee.device import Device
from zigpy.exceptions import ZigbeeException
from zigpy.types import EUI64

from ..cluster_follower import ClusterFollower
from ..const import DOMAIN
from ..entity import ZhaDeviceLinkedEntity
from ..family import server_cluster
from ..protocol import se_drlc
from ..protocol.se_drlc import EventStatus
from ..protocol.zcl_time import ZCL_EPOCH, zcl_seconds
from ..quirks.smart_energy_drlc import SmartEnergyDrlc
from ..se_store import SectionStore
from .drlc_events import EventTable, HeldEvent, OptError, Report

_LOGGER = logging.getLogger(__name__)

SECTION: Final = "load_control"
KEY_CALENDAR: Final = "load_control_events"
KEY_EVENT: Final = "load_control"
KEY_ACTIVE: Final = "load_control_active"

EVENT_RECEIVED: Final = "received"
EVENT_STARTED: Final = "started"
EVENT_COMPLETED: Final = "completed"
EVENT_CANCELLED: Final = "cancelled"
EVENT_SUPERSEDED: Final = "superseded"
EVENT_OPTED_OUT: Final = "opted_out"
EVENT_OPTED_IN: Final = "opted_in"
EVENT_REJECTED: Final = "rejected"
EVENT_TYPES: Final = [
    EVENT_RECEIVED,
    EVENT_STARTED,
    EVENT_COMPLETED,
    EVENT_CANCELLED,
    EVENT_SUPERSEDED,
    EVENT_OPTED_OUT,
    EVENT_OPTED_IN,
    EVENT_REJECTED,
]
#: The event entity's event type of each status reported (the rest: rejected).
_EVENT_TYPE: Final = {
    EventStatus.RECEIVED: EVENT_RECEIVED,
    EventStatus.STARTED: EVENT_STARTED,
    EventStatus.COMPLETED: EVENT_COMPLETED,
    EventStatus.PARTIALLY_COMPLETED_WITH_USER_OPT_OUT: EVENT_COMPLETED,
    EventStatus.PARTIALLY_COMPLETED_DUE_TO_USER_OPT_IN: EVENT_COMPLETED,
    EventStatus.COMPLETED_NO_USER_PARTICIPATION: EVENT_COMPLETED,
    EventStatus.USER_OPTED_OUT: EVENT_OPTED_OUT,
    EventStatus.USER_OPTED_IN: EVENT_OPTED_IN,
    EventStatus.CANCELLED: EVENT_CANCELLED,
    EventStatus.SUPERSEDED: EVENT_SUPERSEDED,
}


def drlc_cluster(device: Device) -> SmartEnergyDrlc | None:
    """Return the device's first DRLC server of our quirk."""
    return server_cluster(device, SmartEnergyDrlc)


def utc_time(seconds: int) -> datetime:
    """Return a UTCTime (seconds since 2000-01-01 UTC) as a datetime."""
    return ZCL_EPOCH + timedelta(seconds=seconds)


def event_attributes(held: HeldEvent) -> dict[str, Any]:
    """Return what the event entity and the calendar show of an event."""
    event = held.event
    window = se_drlc.event_window(event)
    return {
        "issuer_event_id": event.issuer_event_id,
        "criticality": event.criticality_level.name.lower(),
        "start": utc_time(window.start).isoformat(),
        "end": utc_time(window.end).isoformat(),
        "duration": event.duration_minutes,
        "device_class": int(event.device_class),
        "utility_enrollment_group": event.utility_enrollment_group,
        # offsets in 0.1 °C, set points in 0.01 °C on the wire
        "cooling_temperature_offset": _scaled(event.cooling_temperature_offset, 10),
        "heating_temperature_offset": _scaled(event.heating_temperature_offset, 10),
        "cooling_temperature_set_point": _scaled(
            event.cooling_temperature_set_point, 100
        ),
        "heating_temperature_set_point": _scaled(
            event.heating_temperature_set_point, 100
        ),
        "average_load_adjustment": event.average_load_adjustment_percentage,
        "duty_cycle": event.duty_cycle,
        "randomized_start": utc_time(held.start).isoformat(),
        "randomized_end": utc_time(held.end).isoformat(),
        "opted_in": held.opted_in,
    }


def _scaled(value: int | None, divisor: int) -> float | None:
    return None if value is None else value / divisor


@dataclass(slots=True)
class _Meter:
    """One meter's load control state."""

    table: EventTable = field(default_factory=EventTable)
    unsub_timer: CALLBACK_TYPE | None = None
    #: Reports go out one at a time, in order.
    sending: asyncio.Lock = field(default_factory=asyncio.Lock)


class _ClusterListener:
    """zigpy listener of one DRLC cluster (its ``listener_event`` calls)."""

    def __init__(self, client: DrlcClient, ieee: EUI64) -> None:
        self._client = client
        self._ieee = ieee

    def se_load_control_event(self, event: se_drlc.LoadControlEvent) -> None:
        rng = self._client.rng
        self._client.apply(
            self._ieee, lambda table, now: table.receive(event, now, rng)
        )

    def se_load_control_cancel(self, cancel: se_drlc.CancelLoadControlEvent) -> None:
        self._client.apply(self._ieee, lambda table, now: table.cancel(cancel, now))

    def se_load_control_cancel_all(
        self, cancel_all: se_drlc.CancelAllLoadControlEvents
    ) -> None:
        self._client.apply(
            self._ieee, lambda table, now: table.cancel_all(cancel_all, now)
        )

    def se_load_control_rejected(self, error: se_drlc.DrlcRejectionError) -> None:
        report = Report(error.issuer_event_id, error.event_status)
        self._client.apply(self._ieee, lambda _table, _now: [report])


class DrlcClient(ClusterFollower[SmartEnergyDrlc, _Meter]):
    """The DRLC client of every meter of the family."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Start with no meters and no store."""
        super().__init__(*args, **kwargs)
        self._store: SectionStore | None = None
        #: Randomisation delays (tests seed it).
        self.rng = random.Random()  # noqa: S311  # load spreading, not secrecy

    # -- devices ------------------------------------------------------------------------

    def find_cluster(self, device: Device) -> SmartEnergyDrlc | None:
        """Return the meter's DRLC server of our quirk."""
        return drlc_cluster(device)

    def new_state(self, ieee: EUI64) -> _Meter:
        """Return a meter with no events."""
        return _Meter()

    def listener(self, ieee: EUI64) -> _ClusterListener:
        """Return the listener passing the meter's DRLC commands on."""
        return _ClusterListener(self, ieee)

    def entities(self, ieee: EUI64, state: _Meter) -> dict[Platform, list[Entity]]:
        """Return the meter's calendar, event entity and binary sensor."""
        return {
            Platform.CALENDAR: [LoadControlCalendar(self, ieee)],
            Platform.EVENT: [LoadControlEventEntity(self.hass, ieee)],
            Platform.BINARY_SENSOR: [LoadControlActiveSensor(self, ieee)],
        }

    def attached(self, ieee: EUI64, cluster: SmartEnergyDrlc, state: _Meter) -> None:
        """Catch up, time the next change and ask for the ESI's scheduled events."""
        self.apply(ieee, lambda _table, _now: [])
        self.entry.async_create_background_task(
            self.hass,
            self._request_scheduled_events(ieee, cluster),
            f"{DOMAIN} GetScheduledEvents {ieee}",
        )

    def rejoined(self, ieee: EUI64, cluster: SmartEnergyDrlc, state: _Meter) -> None:
        """Ask again after a rejoin: the meter may have missed events while away."""
        self.entry.async_create_background_task(
            self.hass,
            self._request_scheduled_events(ieee, cluster),
            f"{DOMAIN} GetScheduledEvents {ieee}",
        )

    async def _request_scheduled_events(
        self, ieee: EUI64, cluster: SmartEnergyDrlc
    ) -> None:
        try:
            await cluster.request_scheduled_events(se_drlc.START_NOW, 0)
        except (ZHAException, ZigbeeException, TimeoutError) as err:
            _LOGGER.debug("%s: GetScheduledEvents failed: %s", ieee, err)

    def forgotten(self, ieee: EUI64, state: _Meter) -> None:
        """Stop the removed meter's timer and forget its events."""
        self._cancel_timer(state)
        state.table.events.clear()
        self._save()

    def stop(self) -> None:
        """Stop listening to the clusters and the timers."""
        super().stop()
        for _ieee, meter in self.states():
            self._cancel_timer(meter)

    def restore(self, store: SectionStore) -> None:
        """Take the stored events; drop those that ended while HA was stopped."""
        self._store = store
        now = zcl_seconds(dt_util.utcnow())
        for ieee_text, stored in (store.section(SECTION) or {}).items():
            table = self.state_for(EUI64.convert(ieee_text)).table
            for data in stored:
                try:
                    held = HeldEvent.from_dict(data)
                except (se_drlc.DrlcError, KeyError, ValueError, TypeError) as err:
                    _LOGGER.warning("Stored load control event dropped: %s", err)
                    continue
                table.events[held.issuer_event_id] = held
            table.drop_finished(now)

    # -- events -------------------------------------------------------------------------

    def table(self, ieee: EUI64) -> EventTable | None:
        """Return the meter's event table (None: never seen)."""
        meter = self.state(ieee)
        return None if meter is None else meter.table

    def events(self, ieee: EUI64) -> list[HeldEvent]:
        """Return the meter's scheduled and running events, earliest first."""
        table = self.table(ieee)
        return (
            []
            if table is None
            else sorted(table.events.values(), key=lambda held: held.start)
        )

    def check_opt(self, ieee: EUI64, issuer_event_id: int, *, opt_in: bool) -> None:
        """Raise OptError if the opt in/out would be refused (nothing changes)."""
        table = self.table(ieee)
        held = None if table is None else table.events.get(issuer_event_id)
        if held is None:
            raise OptError("unknown")
        if held.opted_in == opt_in:
            raise OptError("already")

    @callback
    def opt(self, ieee: EUI64, issuer_event_id: int, *, opt_in: bool) -> None:
        """Opt in to or out of an event and report it (check_opt first)."""
        self.apply(
            ieee, lambda table, _now: [table.opt(issuer_event_id, opt_in=opt_in)]
        )

    @callback
    def apply(
        self,
        ieee: EUI64,
        change: Callable[[EventTable, int], Iterable[Report]],
    ) -> None:
        """Run ``change(table, now)``, catch up the due starts and ends, report them all.

        Fires the event entity, queues the reports, saves, times the next change.
        """
        meter = self.state_for(ieee)
        now = zcl_seconds(dt_util.utcnow())
        reports: list[Report] = list(change(meter.table, now))
        reports += meter.table.advance(now)
        cluster = self.cluster(ieee)
        for report in reports:
            self._fire(ieee, report)
            if cluster is not None:
                self.entry.async_create_background_task(
                    self.hass,
                    self._send(ieee, cluster, meter, report.report(now)),
                    f"{DOMAIN} ReportEventStatus {ieee}",
                )
        self._save()
        self._schedule(ieee, meter)
        self.write_states(ieee)

    async def _send(
        self,
        ieee: EUI64,
        cluster: SmartEnergyDrlc,
        meter: _Meter,
        report: se_drlc.ReportEventStatus,
    ) -> None:
        async with meter.sending:
            try:
                await cluster.report_event_status(report)
            except (ZHAException, ZigbeeException, TimeoutError) as err:
                _LOGGER.debug(
                    "%s: ReportEventStatus 0x%02x for %#x failed: %s",
                    ieee,
                    report.event_status,
                    report.issuer_event_id,
                    err,
                )

    def _fire(self, ieee: EUI64, report: Report) -> None:
        event_type = _EVENT_TYPE.get(report.status, EVENT_REJECTED)
        attributes: dict[str, Any] = (
            {"issuer_event_id": report.issuer_event_id}
            if report.held is None
            else event_attributes(report.held)
        )
        attributes["status"] = _status_name(report.status)
        for entity in self.device_entities(ieee, Platform.EVENT):
            if entity.hass is not None:
                entity.fire(event_type, attributes)

    def _schedule(self, ieee: EUI64, meter: _Meter) -> None:
        self._cancel_timer(meter)
        if (wake := meter.table.next_change()) is None:
            return

        @callback
        def due(_now: datetime) -> None:
            meter.unsub_timer = None
            self.apply(ieee, lambda _table, _now: [])

        meter.unsub_timer = async_track_point_in_utc_time(
            self.hass, due, utc_time(wake)
        )

    @staticmethod
    def _cancel_timer(meter: _Meter) -> None:
        if meter.unsub_timer is not None:
            meter.unsub_timer()
            meter.unsub_timer = None

    def _save(self) -> None:
        if self._store is None:
            return
        self._store.save(
            SECTION,
            {
                str(ieee): [held.as_dict() for held in meter.table.events.values()]
                for ieee, meter in self.states()
                if meter.table.events
            },
        )

    def diagnostics(self, ieee: EUI64) -> list[dict[str, Any]]:
        """Return the meter's scheduled and running events."""
        return [
            {**event_attributes(held), "state": held.state.value}
            for held in self.events(ieee)
        ]


def _status_name(status: EventStatus | int) -> str:
    return status.name.lower() if isinstance(status, EventStatus) else f"{status:#04x}"


class _MeterEntity(ZhaDeviceLinkedEntity):
    """An entity following one meter's load control events."""

    _attr_should_poll = False
    _key: str

    def __init__(self, client: DrlcClient, ieee: EUI64) -> None:
        """Follow the events of meter ``ieee``."""
        super().__init__(client.hass, ieee, self._key)
        self._client = client
        self._attr_translation_key = self._key

    @property
    def available(self) -> bool:
        """Return True while the meter's DRLC cluster is attached."""
        return self._client.available(self._ieee)


class LoadControlCalendar(_MeterEntity, CalendarEntity):
    """The scheduled and running load control events, in their randomised windows."""

    _key = KEY_CALENDAR

    def _calendar_events(self) -> list[CalendarEvent]:
        return [_calendar_event(held) for held in self._client.events(self._ieee)]

    @property
    def event(self) -> CalendarEvent | None:
        """Return the running event, or the next one."""
        events = self._calendar_events()
        return events[0] if events else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the events overlapping the range."""
        return [
            event
            for event in self._calendar_events()
            if event.start_datetime_local < end_date
            and event.end_datetime_local > start_date
        ]


def _calendar_event(held: HeldEvent) -> CalendarEvent:
    attributes = event_attributes(held)
    details = [
        f"Issuer event ID: {held.issuer_event_id}",
        f"State: {held.state.value}" + ("" if held.opted_in else " (opted out)"),
        f"Criticality: {attributes['criticality']}",
        f"Duration: {attributes['duration']} min",
        f"Device classes: {attributes['device_class']:#06x}",
    ]
    for key, label, unit in (
        ("cooling_temperature_offset", "Cooling offset", " °C"),
        ("heating_temperature_offset", "Heating offset", " °C"),
        ("cooling_temperature_set_point", "Cooling set point", " °C"),
        ("heating_temperature_set_point", "Heating set point", " °C"),
        ("average_load_adjustment", "Average load adjustment", " %"),
        ("duty_cycle", "Duty cycle", " %"),
    ):
        if attributes[key] is not None:
            details.append(f"{label}: {attributes[key]}{unit}")
    if held.start_delay or held.end_delay:
        details.append(
            f"Randomised: start +{held.start_delay} s, end +{held.end_delay} s"
        )
    return CalendarEvent(
        start=utc_time(held.start),
        end=utc_time(held.end),
        summary=f"Load control ({attributes['criticality']})",
        description="\n".join(details),
        uid=str(held.issuer_event_id),
    )


class LoadControlEventEntity(ZhaDeviceLinkedEntity, EventEntity):
    """One event per Report Event Status HA sends about the meter's load control events."""

    _attr_translation_key = KEY_EVENT
    _attr_should_poll = False

    def __init__(self, hass: HomeAssistant, ieee: EUI64) -> None:
        """Create the load control event entity of meter ``ieee``."""
        super().__init__(hass, ieee, KEY_EVENT)
        self._attr_event_types = list(EVENT_TYPES)

    @callback
    def fire(self, event_type: str, attributes: dict[str, Any]) -> None:
        """Fire one event with its attributes."""
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()


class LoadControlActiveSensor(_MeterEntity, BinarySensorEntity):
    """On while a load control event runs and the user has not opted out of it."""

    _key = KEY_ACTIVE
    _attr_device_class = BinarySensorDeviceClass.RUNNING

    @property
    def is_on(self) -> bool:
        """Return True while an event runs with the user participating."""
        table = self._client.table(self._ieee)
        return table is not None and bool(table.participating())

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the running events' ids."""
        table = self._client.table(self._ieee)
        return {
            "issuer_event_ids": []
            if table is None
            else [held.issuer_event_id for held in table.participating()]
        }
