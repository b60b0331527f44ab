"""The ESI's Demand Response / Load Control server: HA's load control events for the home.

Actions ``create_load_control_event``, ``cancel_load_control_event`` and
``cancel_all_load_control_events`` send LoadControlEvent, CancelLoadControlEvent and
CancelAllLoadControlEvents (reference §4.2, codec ``protocol.se_drlc``) to every device with a
DRLC client on our quirk (``quirks/esi_drlc.py``), or to the ones given. The fields and their
defaults are the Digi X2's LoadControlEventRecord (seed 002): device class 0x0FFF, enrolment
group 0, start now, criticality 1; the later fields are "not used" and the event control 0.
The response says per device what it did: a client answers an event with a Report Event Status
(0x01 received, or a rejection such as 0xFE invalid or 0xFB expired, reference §4.3) or a
Default Response; either decides the device's result.

The events are kept in the family store (section ``load_control``) with their real start and
targets; they show in the "Load control events" calendar on the coordinator's device page,
answer GetScheduledEvents (reference §4.2: each selected event as a LoadControlEvent with the
request's sequence number, a running one with start 0 and its remaining duration, reference
§6; NOT_FOUND when none) and are dropped once ended. Every device's Report Event Status fires
``zha_device_pack_load_control_status`` and sets the device's "Load control status" sensor
(kept across restarts).

Input is checked before anything is sent or stored (translated ``esi_...`` errors):
criticality 1-15, duration 1-1440 minutes, no start in the past except "now", a device class
with no reserved bit (0x1000-0x8000) and not 0, the codec's field ranges, and issuer event
ids unique among the stored events.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import logging
import math
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import voluptuous as vol
from zha.exceptions import ZHAException
from zha.zigbee.device import Device
from zigpy.exceptions import ZigbeeException
from zigpy.types import EUI64
from zigpy.zcl import foundation
from zigpy.zcl.foundation import Status

from .. import zha_bridge
from ..cluster_follower import ClusterFollower
from ..const import DOMAIN
from ..entity import ZhaDeviceLinkedEntity
from ..errors import validation_error
from ..family import FamilyService, client_cluster
from ..protocol import se_drlc
from ..protocol.zcl_time import ZCL_EPOCH, zcl_seconds
from ..quirks.esi_drlc import EsiDrlc
from .messaging import resolve_start
from .services import (
    RESULT_NO_ANSWER,
    RESULT_REJECTED,
    RESULT_SENT,
    TARGET_SCHEMA,
    send_to_clients,
    target_clients,
)

if TYPE_CHECKING:
    from ..se_store import SectionStore
    from .family import EsiFamily

_LOGGER = logging.getLogger(__name__)

SECTION: Final = "load_control"
EVENT_STATUS: Final = f"{DOMAIN}_load_control_status"
SENSOR_KEY: Final = "esi_load_control_status"
CALENDAR_KEY: Final = "esi_load_control_events"
#: How long after a Default Response SUCCESS a device's Report Event Status is awaited.
REPORT_WAIT: Final = 1.0
#: Device class bits 12-15 are reserved (reference §4.3).
RESERVED_DEVICE_CLASS: Final = 0xF000
#: Report statuses that reject the command (reference §4.3; 0xFA/0xFC: TI 2009 draft, §8).
REJECTIONS: Final = frozenset(range(0xF6, 0x100))
STATUS_OTHER: Final = "other"
STATUS_OPTIONS: Final = [s.name.lower() for s in se_drlc.EventStatus] + [STATUS_OTHER]
#: Look-ahead of the calendar's state (the current or next event).
LOOKAHEAD: Final = timedelta(days=366)

SERVICE_CREATE: Final = "create_load_control_event"
SERVICE_CANCEL: Final = "cancel_load_control_event"
SERVICE_CANCEL_ALL: Final = "cancel_all_load_control_events"


def status_name(status: int) -> str:
    """Return the sensor state of an EventStatus (``other`` for unknown values)."""
    try:
        return se_drlc.EventStatus(status).name.lower()
    except ValueError:
        return STATUS_OTHER


def utc_datetime(utc_time: int) -> datetime:
    """Return the aware datetime of a UTCTime."""
    return ZCL_EPOCH + timedelta(seconds=utc_time)


@dataclass(slots=True)
class EsiEvent:
    """A load control event of the ESI: the command (start resolved) and its targets."""

    event: se_drlc.LoadControlEvent
    created: int
    targets: list[str] | None = None

    @property
    def window(self) -> se_drlc.EventWindow:
        """Return when it runs (UTCTime)."""
        return se_drlc.event_window(self.event)

    def for_device(self, ieee: EUI64) -> bool:
        """Whether the event is meant for the device."""
        return self.targets is None or str(ieee) in self.targets

    def to_json(self) -> dict[str, Any]:
        """Return the stored form (the 23-byte command, hex)."""
        return {
            "command": se_drlc.encode_load_control_event(self.event).hex(),
            "created": self.created,
            "targets": self.targets,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EsiEvent:
        """Return a stored event."""
        return cls(
            event=se_drlc.decode_load_control_event(bytes.fromhex(data["command"])),
            created=int(data["created"]),
            targets=data.get("targets"),
        )

    def attributes(self) -> dict[str, Any]:
        """Return the event for responses, the calendar and diagnostics."""
        event = self.event
        start, end = self.window
        return {
            "issuer_event_id": event.issuer_event_id,
            "device_class": event.device_class.value,
            "utility_enrollment_group": event.utility_enrollment_group,
            "start": utc_datetime(start).isoformat(),
            "end": utc_datetime(end).isoformat(),
            "duration": event.duration_minutes,
            "criticality": int(event.criticality_level),
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
            "randomize_start": bool(
                event.event_control & se_drlc.EventControl.RANDOMIZE_START
            ),
            "randomize_end": bool(
                event.event_control & se_drlc.EventControl.RANDOMIZE_END
            ),
        }


def _scaled(value: int | None, scale: int) -> float | None:
    return None if value is None else value / scale


def report_attributes(report: se_drlc.ReportEventStatus) -> dict[str, Any]:
    """Return a Report Event Status as event data and sensor attributes."""
    return {
        "issuer_event_id": report.issuer_event_id,
        "status": status_name(report.event_status),
        "status_code": int(report.event_status),
        "status_time": utc_datetime(report.event_status_time).isoformat(),
        "criticality_applied": None
        if report.criticality_level_applied is None
        else int(report.criticality_level_applied),
        "cooling_temperature_set_point_applied": _scaled(
            report.cooling_temperature_set_point_applied, 100
        ),
        "heating_temperature_set_point_applied": _scaled(
            report.heating_temperature_set_point_applied, 100
        ),
        "average_load_adjustment_applied": (
            report.average_load_adjustment_percentage_applied
        ),
        "duty_cycle_applied": report.duty_cycle_applied,
        "event_control": int(report.event_control),
    }


@dataclass(slots=True)
class _Load:
    """One load controller: its last report (sensor state) and the awaited reports."""

    last: dict[str, Any] | None = None
    waiters: dict[int, asyncio.Future[se_drlc.ReportEventStatus]] = field(
        default_factory=dict
    )


class _ClusterListener:
    """zigpy listener of one device's DRLC client."""

    def __init__(self, server: DrlcServer, ieee: EUI64) -> None:
        self._server = server
        self._ieee = ieee

    def se_event_status_reported(self, report: se_drlc.ReportEventStatus) -> None:
        self._server.reported(self._ieee, report)

    def se_scheduled_events_requested(
        self, hdr: foundation.ZCLHeader, request: se_drlc.GetScheduledEvents
    ) -> None:
        self._server.scheduled_events_requested(self._ieee, hdr, request)


class DrlcServer(ClusterFollower[EsiDrlc, _Load]):
    """The ESI's DRLC server for every device with a DRLC client."""

    def __init__(self, family: EsiFamily) -> None:
        """Start with no events; register the coordinator's calendar."""
        super().__init__(family.hass, family.entry)
        self._family = family
        self.events: dict[int, EsiEvent] = {}
        self._listeners: list[Any] = []
        family.add_esi_entities(
            Platform.CALENDAR, lambda ieee: [LoadControlCalendar(self.hass, ieee, self)]
        )

    # -- devices ------------------------------------------------------------------------

    def find_cluster(self, device: Device) -> EsiDrlc | None:
        """Return the device's DRLC client of our quirk."""
        return client_cluster(device, EsiDrlc)

    def new_state(self, ieee: EUI64) -> _Load:
        """Return a device that reported nothing yet."""
        return _Load()

    def listener(self, ieee: EUI64) -> _ClusterListener:
        """Return the listener of the device's reports and requests."""
        return _ClusterListener(self, ieee)

    def entities(
        self, ieee: EUI64, state: _Load
    ) -> dict[Platform, list[LoadControlStatusSensor]]:
        """Return the device's "Load control status" sensor."""
        return {Platform.SENSOR: [LoadControlStatusSensor(self.hass, ieee, state)]}

    def summary(self) -> dict[str, Any]:
        """Return the stored events."""
        return {"events": [e.attributes() for e in self.events.values()]}

    def add_listener(self, listener: Any) -> Any:
        """Call ``listener()`` whenever the events change; return the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # -- storage ------------------------------------------------------------------------

    def restore(self, store: SectionStore) -> None:
        """Take the stored events and last reports; drop ended events."""
        data = store.section(SECTION) or {}
        for item in data.get("events", []):
            try:
                stored = EsiEvent.from_json(item)
            except (KeyError, TypeError, ValueError) as err:
                _LOGGER.warning("Stored load control event %r dropped: %s", item, err)
                continue
            self.events[stored.event.issuer_event_id] = stored
        for ieee, last in (data.get("status") or {}).items():
            self.state_for(EUI64.convert(ieee)).last = last
        self._drop_ended()

    def _save(self) -> None:
        self._family.store.save(
            SECTION,
            {
                "events": [e.to_json() for e in self.events.values()],
                "status": {
                    str(ieee): state.last
                    for ieee, state in self.states()
                    if state.last is not None
                },
            },
        )
        for listener in list(self._listeners):
            listener()

    def _drop_ended(self) -> None:
        now = zcl_seconds(dt_util.utcnow())
        ended = [i for i, e in self.events.items() if e.window.end <= now]
        for issuer_event_id in ended:
            del self.events[issuer_event_id]
        if ended:
            self._save()

    def current_events(self) -> list[EsiEvent]:
        """Return the events not ended, by start."""
        self._drop_ended()
        return sorted(self.events.values(), key=lambda e: e.window)

    # -- reports and requests from the devices ------------------------------------------

    @callback
    def reported(self, ieee: EUI64, report: se_drlc.ReportEventStatus) -> None:
        """Keep a device's report; fire the HA event; wake a waiting action."""
        state = self.state_for(ieee)
        attributes = report_attributes(report)
        state.last = attributes
        self._save()
        waiter = state.waiters.get(report.issuer_event_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(report)
        self.hass.bus.async_fire(
            EVENT_STATUS,
            {
                "device_id": zha_bridge.zha_device_id(self.hass, ieee),
                "ieee": str(ieee),
                **attributes,
            },
        )
        self.write_states(ieee)

    @callback
    def scheduled_events_requested(
        self,
        ieee: EUI64,
        hdr: foundation.ZCLHeader,
        request: se_drlc.GetScheduledEvents,
    ) -> None:
        """Answer GetScheduledEvents from the stored events (reference §4.2)."""
        cluster = self.cluster(ieee)
        if cluster is None:
            return
        now = zcl_seconds(dt_util.utcnow())
        mine = [e.event for e in self.current_events() if e.for_device(ieee)]
        selected = se_drlc.select_scheduled_events(request, mine, now)
        if not selected:
            cluster.send_not_found(hdr)
            return

        async def answer() -> None:
            for event in selected:
                await cluster.send_load_control_event(
                    resend_form(event, now), tsn=int(hdr.tsn)
                )

        self._background(answer(), f"GetScheduledEvents answer {ieee}")

    def _background(self, coro: Any, name: str) -> None:
        async def run() -> None:
            try:
                await coro
            except (ZHAException, ZigbeeException, TimeoutError) as err:
                _LOGGER.debug("%s failed: %s", name, err)

        self.entry.async_create_background_task(self.hass, run(), f"{DOMAIN} {name}")

    # -- actions ------------------------------------------------------------------------

    async def create(self, call: ServiceCall) -> ServiceResponse:
        """Check, store and send a load control event."""
        self._drop_ended()
        data = call.data
        criticality: int = data.get("criticality", se_drlc.CriticalityLevel.GREEN)
        if criticality not in set(se_drlc.CriticalityLevel):
            raise validation_error("esi_criticality_invalid", criticality=criticality)
        duration: int = data["duration"]
        if not 1 <= duration <= se_drlc.MAX_DURATION_MINUTES:
            raise validation_error(
                "esi_event_duration_invalid",
                duration=duration,
                maximum=se_drlc.MAX_DURATION_MINUTES,
            )
        device_class: int = data.get("device_class", se_drlc.DeviceClass.ALL)
        if not device_class or device_class & RESERVED_DEVICE_CLASS:
            raise validation_error(
                "esi_device_class_invalid", device_class=f"0x{device_class:04X}"
            )
        now = dt_util.utcnow()
        start_now, start = resolve_start(data.get("start"), now)
        issuer_event_id = data.get("issuer_event_id")
        if issuer_event_id is None:
            issuer_event_id = self._new_event_id(zcl_seconds(now))
        elif issuer_event_id in self.events:
            raise validation_error(
                "esi_duplicate_event", issuer_event_id=issuer_event_id
            )
        control = se_drlc.EventControl.NO_RANDOMIZATION
        if data.get("randomize_start"):
            control |= se_drlc.EventControl.RANDOMIZE_START
        if data.get("randomize_end"):
            control |= se_drlc.EventControl.RANDOMIZE_END
        try:
            command = se_drlc.LoadControlEvent(
                issuer_event_id=issuer_event_id,
                device_class=se_drlc.DeviceClass(device_class),
                utility_enrollment_group=data.get("utility_enrollment_group", 0),
                start_time=se_drlc.START_NOW if start_now else zcl_seconds(start),
                duration_minutes=duration,
                criticality_level=se_drlc.CriticalityLevel(criticality),
                cooling_temperature_offset=_raw(data, "cooling_temperature_offset", 10),
                heating_temperature_offset=_raw(data, "heating_temperature_offset", 10),
                cooling_temperature_set_point=_raw(
                    data, "cooling_temperature_set_point", 100
                ),
                heating_temperature_set_point=_raw(
                    data, "heating_temperature_set_point", 100
                ),
                average_load_adjustment_percentage=data.get("average_load_adjustment"),
                duty_cycle=data.get("duty_cycle"),
                event_control=control,
            )
        except se_drlc.DrlcError as err:
            raise validation_error("esi_event_field_invalid", error=str(err)) from err
        clients: dict[EUI64, EsiDrlc] = target_clients(self.hass, call, self)
        stored = EsiEvent(
            event=se_drlc.resolve_start_now(command, zcl_seconds(now)),
            created=zcl_seconds(now),
            targets=None if "device_id" not in data else [str(i) for i in clients],
        )
        self.events[issuer_event_id] = stored
        self._save()

        async def send(ieee: EUI64, cluster: EsiDrlc) -> dict[str, Any]:
            return await self._send_awaiting_report(
                ieee, issuer_event_id, cluster.send_load_control_event(command)
            )

        response = await send_to_clients(self.hass, clients, send)
        return {"event": stored.attributes(), **response}

    async def cancel(self, call: ServiceCall) -> ServiceResponse:
        """Drop a stored event and send CancelLoadControlEvent to its devices."""
        self._drop_ended()
        issuer_event_id: int = call.data["issuer_event_id"]
        stored = self.events.get(issuer_event_id)
        if stored is None:
            raise validation_error("esi_unknown_event", issuer_event_id=issuer_event_id)
        clients: dict[EUI64, EsiDrlc] = target_clients(self.hass, call, self)
        if "device_id" not in call.data:
            clients = {i: c for i, c in clients.items() if stored.for_device(i)}
        cancel = se_drlc.CancelLoadControlEvent(
            issuer_event_id=issuer_event_id,
            device_class=stored.event.device_class,
            utility_enrollment_group=stored.event.utility_enrollment_group,
            cancel_control=(
                se_drlc.CancelControl.TERMINATE_WITH_RANDOMIZATION
                if call.data.get("randomize", False)
                else se_drlc.CancelControl.END_NOW
            ),
        )
        del self.events[issuer_event_id]
        self._save()

        async def send(ieee: EUI64, cluster: EsiDrlc) -> dict[str, Any]:
            return await self._send_awaiting_report(
                ieee, issuer_event_id, cluster.send_cancel_load_control_event(cancel)
            )

        response = await send_to_clients(self.hass, clients, send)
        return {"issuer_event_id": issuer_event_id, **response}

    async def cancel_all(self, call: ServiceCall) -> ServiceResponse:
        """Drop every event (of the given devices) and send CancelAllLoadControlEvents."""
        clients: dict[EUI64, EsiDrlc] = target_clients(self.hass, call, self)
        if "device_id" not in call.data:
            self.events.clear()
        else:
            everyone = [str(i) for i, _ in self.attached_clusters()]
            chosen = {str(i) for i in clients}
            for issuer_event_id, stored in list(self.events.items()):
                targets = everyone if stored.targets is None else stored.targets
                stored.targets = [i for i in targets if i not in chosen]
                if not stored.targets:
                    del self.events[issuer_event_id]
        self._save()
        # Digi's default 0x01: end with the original event's randomization (seed 002)
        cancel = se_drlc.CancelAllLoadControlEvents(
            se_drlc.CancelControl.TERMINATE_WITH_RANDOMIZATION
            if call.data.get("randomize", True)
            else se_drlc.CancelControl.END_NOW
        )

        async def send(_ieee: EUI64, cluster: EsiDrlc) -> dict[str, Any]:
            return await _status_result(
                cluster.send_cancel_all_load_control_events(cancel)
            )

        return await send_to_clients(self.hass, clients, send)

    async def _send_awaiting_report(
        self, ieee: EUI64, issuer_event_id: int, send: Any
    ) -> dict[str, Any]:
        """Send a command; return the device's result: its report, else its answer.

        A client reports on receipt (0x01, 0x06, or a rejection, reference §4.3), which may
        come before or instead of the Default Response; a client the command does not
        address answers SUCCESS and reports nothing.
        """
        state = self.state_for(ieee)
        waiter: asyncio.Future[se_drlc.ReportEventStatus] = (
            self.hass.loop.create_future()
        )
        state.waiters[issuer_event_id] = waiter
        sending = asyncio.ensure_future(send)
        try:
            await asyncio.wait({sending, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if not waiter.done() and sending.exception() is None:
                status: Status = sending.result()
                if status != Status.SUCCESS:
                    return {"result": RESULT_REJECTED, "status": status.name}
                try:
                    async with asyncio.timeout(REPORT_WAIT):
                        await asyncio.shield(waiter)
                except TimeoutError:
                    return {"result": RESULT_SENT, "status": None}
            if waiter.done():
                report = waiter.result()
                name = status_name(report.event_status)
                if int(report.event_status) in REJECTIONS:
                    return {"result": RESULT_REJECTED, "status": name}
                return {"result": RESULT_SENT, "status": name}
            err = sending.exception()
            return {"result": RESULT_NO_ANSWER, "error": str(err) or type(err).__name__}
        finally:
            if state.waiters.get(issuer_event_id) is waiter:
                del state.waiters[issuer_event_id]
            if not sending.done():
                sending.cancel()
            if not waiter.done():
                waiter.cancel()

    def _new_event_id(self, now: int) -> int:
        """Return a free issuer event id: the UTCTime now."""
        issuer_event_id = now
        while issuer_event_id in self.events:
            issuer_event_id = (issuer_event_id + 1) & se_drlc.UINT32_MAX
        return issuer_event_id


def resend_form(event: se_drlc.LoadControlEvent, now: int) -> se_drlc.LoadControlEvent:
    """Return the event as re-sent at ``now``: a running one starts 0 with the time left.

    Reference §4.2 (ZSS): an event already running is re-sent with StartTime 0 and
    DurationInMinutes shortened to the remaining time (whole minutes, rounded up).
    """
    start, end = se_drlc.event_window(event)
    if start > now:
        return event
    remaining = max(1, math.ceil((end - now) / 60))
    return replace(event, start_time=se_drlc.START_NOW, duration_minutes=remaining)


def _raw(data: Any, key: str, scale: int) -> int | None:
    value = data.get(key)
    return None if value is None else round(value * scale)


async def _status_result(send: Any) -> dict[str, Any]:
    try:
        status: Status = await send
    except (TimeoutError, ZigbeeException, ZHAException) as err:
        return {"result": RESULT_NO_ANSWER, "error": str(err) or type(err).__name__}
    if status != Status.SUCCESS:
        return {"result": RESULT_REJECTED, "status": status.name}
    return {"result": RESULT_SENT}


class LoadControlStatusSensor(ZhaDeviceLinkedEntity, SensorEntity):
    """A device's last Report Event Status."""

    _attr_translation_key = SENSOR_KEY
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = STATUS_OPTIONS
    _attr_should_poll = False

    def __init__(self, hass: HomeAssistant, ieee: EUI64, state: _Load) -> None:
        """Show the last report of device ``ieee``."""
        super().__init__(hass, ieee, SENSOR_KEY)
        self._load = state

    @property
    def native_value(self) -> str | None:
        """Return the last status."""
        last = self._load.last
        return None if last is None else str(last["status"])

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the report's event id, time and applied values."""
        last = self._load.last
        if last is None:
            return None
        return {k: v for k, v in last.items() if k != "status"}


class LoadControlCalendar(ZhaDeviceLinkedEntity, CalendarEntity):
    """The ESI's load control events (on the coordinator's device page)."""

    _attr_translation_key = CALENDAR_KEY
    _attr_should_poll = False

    def __init__(self, hass: HomeAssistant, ieee: EUI64, server: DrlcServer) -> None:
        """Show the server's events."""
        super().__init__(hass, ieee, CALENDAR_KEY)
        self._server = server

    async def async_added_to_hass(self) -> None:
        """Follow the events."""
        await super().async_added_to_hass()
        self.async_on_remove(self._server.add_listener(self.async_write_ha_state))

    def _events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        result = []
        for stored in self._server.current_events():
            first, last = (utc_datetime(t) for t in stored.window)
            if last <= start or first >= end:
                continue
            event = stored.event
            attributes = stored.attributes()
            description = ", ".join(
                f"{key} {value}"
                for key, value in attributes.items()
                if value is not None and key not in ("start", "end")
            )
            result.append(
                CalendarEvent(
                    start=dt_util.as_local(first),
                    end=dt_util.as_local(last),
                    summary=(
                        f"Load control {event.issuer_event_id} "
                        f"(criticality {int(event.criticality_level)})"
                    ),
                    description=description,
                    uid=str(event.issuer_event_id),
                )
            )
        return result

    @property
    def event(self) -> CalendarEvent | None:
        """Return the current or next event."""
        now = dt_util.now()
        events = self._events(now, now + LOOKAHEAD)
        return events[0] if events else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the events in a window."""
        return self._events(start_date, end_date)


def _server(family: Any) -> DrlcServer:
    server: DrlcServer = family.drlc
    return server


async def _create(family: EsiFamily, call: ServiceCall) -> ServiceResponse:
    return await _server(family).create(call)


async def _cancel(family: EsiFamily, call: ServiceCall) -> ServiceResponse:
    return await _server(family).cancel(call)


async def _cancel_all(family: EsiFamily, call: ServiceCall) -> ServiceResponse:
    return await _server(family).cancel_all(call)


_EVENT_ID: Final = vol.All(vol.Coerce(int), vol.Range(min=0, max=0xFFFF_FFFF))

_CREATE_FIELDS: dict[Any, Any] = {
    **TARGET_SCHEMA,
    vol.Optional("issuer_event_id"): _EVENT_ID,
    vol.Optional("device_class"): vol.Coerce(int),
    vol.Optional("utility_enrollment_group", default=0): vol.All(
        vol.Coerce(int), vol.Range(min=0, max=0xFF)
    ),
    vol.Optional("start"): cv.datetime,
    vol.Required("duration"): vol.Coerce(int),
    vol.Optional("criticality"): vol.Coerce(int),
    vol.Optional("cooling_temperature_offset"): vol.Coerce(float),
    vol.Optional("heating_temperature_offset"): vol.Coerce(float),
    vol.Optional("cooling_temperature_set_point"): vol.Coerce(float),
    vol.Optional("heating_temperature_set_point"): vol.Coerce(float),
    vol.Optional("average_load_adjustment"): vol.Coerce(int),
    vol.Optional("duty_cycle"): vol.Coerce(int),
    vol.Optional("randomize_start", default=False): cv.boolean,
    vol.Optional("randomize_end", default=False): cv.boolean,
}
_CANCEL_FIELDS: dict[Any, Any] = {
    **TARGET_SCHEMA,
    vol.Required("issuer_event_id"): _EVENT_ID,
    vol.Optional("randomize", default=False): cv.boolean,
}
_CANCEL_ALL_FIELDS: dict[Any, Any] = {
    **TARGET_SCHEMA,
    vol.Optional("randomize", default=True): cv.boolean,
}

#: The actions of this server (``EsiFamily.services``).
SERVICES: Final[dict[str, FamilyService[Any]]] = {
    SERVICE_CREATE: FamilyService(vol.Schema(_CREATE_FIELDS), _create),
    SERVICE_CANCEL: FamilyService(vol.Schema(_CANCEL_FIELDS), _cancel),
    SERVICE_CANCEL_ALL: FamilyService(vol.Schema(_CANCEL_ALL_FIELDS), _cancel_all),
}
