"""The DRLC client's event table: which Report Event Status each command and tick calls for.

Pure (no Home Assistant): times are UTCTime seconds, randomness comes from the caller's
``random.Random``. The codec ``protocol.se_drlc`` holds the wire rules and the helpers used
here (targeting, expiry, supersession, randomisation, completion status); this module keeps
one meter's events with their state and applies the client-side sequence of reference §4.3,
read in the Silicon Labs client (SLD, ``load-control-event-table.c``) where the reference
only names the rule:

- LoadControlEvent: ignored unless it targets HA's DeviceClassValue and enrolment group;
  0xFB if its end has passed; a same issuer id as a scheduled or running event is a duplicate
  from the same ESI and is ignored (SLD, multi-ESI rule "ignored by sending no response");
  otherwise 0x01, and every scheduled or running event it supersedes reports 0x07 — a
  scheduled one at once, a running one when the new event starts (SLD, "allow to run").
- A tick: a scheduled event reaching its (randomised) start reports 0x02, or 0x04 when the
  user opted out before it started (SLD); a running event reaching its (randomised) end
  reports completion_status(): 0x03, 0x08, 0x09 or 0x0A.
- CancelLoadControlEvent: 0xFD for an event not held; 0xF9 for an effective time after the
  event's end; a scheduled event reports 0x06 at once; a running one ends now, or with
  CancelControl bit 0 after its own end randomisation delay (its start delay when it has
  none: SLD, CCB 1513), then reports 0x06.
- CancelAllLoadControlEvents: a cancel of every event held, with its CancelControl.
- Opt out / opt in: 0x04 / 0x05 at once; a change while the event runs makes its completion
  a partial one.

Finished events (completed, cancelled, superseded) leave the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import random
from typing import Any, Final

from ..protocol import se_drlc
from ..protocol.se_drlc import (
    CancelAllLoadControlEvents,
    CancelControl,
    CancelLoadControlEvent,
    EventStatus,
    LoadControlEvent,
)

#: HA as a DRLC client "is" every non-reserved device class: it automates any kind of load
#: (water heater, HVAC, EV charger, lights...), so it hears every event the ESI sends to the
#: home and the user's automations decide which loads act on it.
#: How long the ids of ended events are remembered (seconds).
ENDED_MEMORY: Final = 24 * 3600
DEFAULT_DEVICE_CLASS_VALUE: Final = int(se_drlc.DeviceClass.ALL)
#: UtilityEnrollmentGroup 0: member of all groups (the spec default, reference §4.1).
DEFAULT_UTILITY_ENROLLMENT_GROUP: Final = 0
#: StartRandomizationMinutes default 0x1E (reference §4.1).
DEFAULT_START_RANDOMIZATION_MINUTES: Final = 0x1E
#: DurationRandomizationMinutes default 0x00 (reference §4.1).
DEFAULT_DURATION_RANDOMIZATION_MINUTES: Final = 0x00


class EventState(StrEnum):
    """Where an event held by the client is."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class ClientAttributes:
    """HA's DRLC client attributes (reference §4.1)."""

    device_class_value: int = DEFAULT_DEVICE_CLASS_VALUE
    utility_enrollment_group: int = DEFAULT_UTILITY_ENROLLMENT_GROUP
    start_randomization_minutes: int = DEFAULT_START_RANDOMIZATION_MINUTES
    duration_randomization_minutes: int = DEFAULT_DURATION_RANDOMIZATION_MINUTES


@dataclass(slots=True)
class HeldEvent:
    """An event the client holds: its start resolved, its randomised window and state.

    ``end_status`` is the status reported at ``end`` instead of a completion (a running event
    superseded or cancelled with randomisation ends then with 0x07 / 0x06).
    """

    event: LoadControlEvent
    start: int
    end: int
    state: EventState = EventState.SCHEDULED
    opted_in: bool = True
    changed_while_running: bool = False
    end_status: EventStatus | None = None

    @property
    def issuer_event_id(self) -> int:
        """Return the event's issuer id."""
        return self.event.issuer_event_id

    @property
    def start_delay(self) -> int:
        """Return the randomisation delay of the start, in seconds."""
        return self.start - self.event.start_time

    @property
    def end_delay(self) -> int:
        """Return the randomisation delay of the end beyond the start delay, in seconds."""
        return self.end - se_drlc.event_window(self.event).end - self.start_delay

    def as_dict(self) -> dict[str, Any]:
        """Return the event as JSON (the LoadControlEvent payload through the codec)."""
        return {
            "payload": se_drlc.encode_load_control_event(self.event).hex(),
            "start": self.start,
            "end": self.end,
            "state": self.state.value,
            "opted_in": self.opted_in,
            "changed_while_running": self.changed_while_running,
            "end_status": None if self.end_status is None else int(self.end_status),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HeldEvent:
        """Return an event stored by ``as_dict`` (DrlcError, KeyError, ValueError if not)."""
        end_status = data.get("end_status")
        return cls(
            event=se_drlc.decode_load_control_event(bytes.fromhex(data["payload"])),
            start=int(data["start"]),
            end=int(data["end"]),
            state=EventState(data["state"]),
            opted_in=bool(data["opted_in"]),
            changed_while_running=bool(data["changed_while_running"]),
            end_status=None if end_status is None else EventStatus(end_status),
        )


@dataclass(frozen=True, slots=True)
class Report:
    """A Report Event Status to send: the event it is about, when known, and the status."""

    issuer_event_id: int
    status: EventStatus
    held: HeldEvent | None = None

    def report(self, status_time: int) -> se_drlc.ReportEventStatus:
        """Return the ReportEventStatus (the event's values as applied, SLD)."""
        if self.held is None:
            # SLD zero-fills the applied values of an event it does not hold
            return se_drlc.ReportEventStatus(
                issuer_event_id=self.issuer_event_id,
                event_status=self.status,
                event_status_time=status_time,
            )
        return se_drlc.status_report(self.held.event, self.status, status_time)


class OptError(Exception):
    """An opt in/out the table refuses: ``reason`` is "unknown" or "already"."""

    def __init__(self, reason: str) -> None:
        """Keep the reason."""
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class EventTable:
    """One meter's load control events, keyed by issuer event id."""

    attributes: ClientAttributes = field(default_factory=ClientAttributes)
    events: dict[int, HeldEvent] = field(default_factory=dict)
    #: Issuer event ids of events that ended here (completed, cancelled, superseded), with
    #: when: a late copy of one (a retried frame, an answer to GetScheduledEvents delivered
    #: after the end) is that event again, not a new one to run. Kept for a day, in memory.
    ended: dict[int, int] = field(default_factory=dict)

    # -- the ESI's commands -------------------------------------------------------------

    def receive(
        self, event: LoadControlEvent, now: int, rng: random.Random
    ) -> list[Report]:
        """Take a LoadControlEvent received at ``now``; return the reports it calls for."""
        attributes = self.attributes
        if not se_drlc.targets_device(
            event,
            device_class_value=attributes.device_class_value,
            utility_enrollment_group=attributes.utility_enrollment_group,
        ):
            return []
        event = se_drlc.resolve_start_now(event, now)
        if se_drlc.is_expired(event, now):
            return [
                Report(
                    event.issuer_event_id,
                    EventStatus.REJECTED_EVENT_EXPIRED,
                    HeldEvent(event, event.start_time, event.start_time),
                )
            ]
        self.ended = {
            event_id: when
            for event_id, when in self.ended.items()
            if when > now - ENDED_MEMORY
        }
        if event.issuer_event_id in self.events or event.issuer_event_id in self.ended:
            return []
        window = se_drlc.randomized_window(
            event,
            start_randomization_minutes=attributes.start_randomization_minutes,
            duration_randomization_minutes=attributes.duration_randomization_minutes,
            rng=rng,
        )
        held = HeldEvent(event, window.start, window.end)
        reports = [Report(event.issuer_event_id, EventStatus.RECEIVED, held)]
        for old in list(self.events.values()):
            if not se_drlc.supersedes(event, old.event):
                continue
            if old.state is EventState.SCHEDULED:
                self._drop(old, now)
                reports.append(Report(old.issuer_event_id, EventStatus.SUPERSEDED, old))
            else:
                old.end = min(old.end, max(held.start, now))
                old.end_status = EventStatus.SUPERSEDED
        self.events[event.issuer_event_id] = held
        return reports

    def cancel(self, cancel: CancelLoadControlEvent, now: int) -> list[Report]:
        """Take a CancelLoadControlEvent; return the reports it calls for now."""
        attributes = self.attributes
        if not se_drlc.targets_device(
            cancel,
            device_class_value=attributes.device_class_value,
            utility_enrollment_group=attributes.utility_enrollment_group,
        ):
            return []
        held = self.events.get(cancel.issuer_event_id)
        if held is None:
            return [
                Report(
                    cancel.issuer_event_id,
                    EventStatus.REJECTED_INVALID_CANCEL_UNDEFINED_EVENT,
                )
            ]
        effective = cancel.effective_time or now
        if effective > se_drlc.event_window(held.event).end:
            return [
                Report(
                    held.issuer_event_id,
                    EventStatus.REJECTED_INVALID_CANCEL_EFFECTIVE_TIME,
                    held,
                )
            ]
        return self._cancel(held, cancel.cancel_control, max(effective, now), now)

    def cancel_all(self, cancel: CancelAllLoadControlEvents, now: int) -> list[Report]:
        """Take a CancelAllLoadControlEvents; return the reports it calls for now."""
        reports: list[Report] = []
        for held in list(self.events.values()):
            reports += self._cancel(held, cancel.cancel_control, now, now)
        return reports

    def _cancel(
        self, held: HeldEvent, control: CancelControl, effective: int, now: int
    ) -> list[Report]:
        if held.state is EventState.SCHEDULED and effective <= now:
            # nothing runs yet: no load to bring back gradually
            self._drop(held, now)
            return [Report(held.issuer_event_id, EventStatus.CANCELLED, held)]
        delay = 0
        if control & CancelControl.TERMINATE_WITH_RANDOMIZATION:
            delay = held.end_delay or held.start_delay
        held.end = min(held.end, effective + delay)
        held.end_status = EventStatus.CANCELLED
        if held.state is EventState.SCHEDULED:
            held.start = min(held.start, held.end)
        return self.advance(now)

    # -- the user -----------------------------------------------------------------------

    def opt(self, issuer_event_id: int, *, opt_in: bool) -> Report:
        """Opt in to or out of an event; return the report (OptError if refused)."""
        held = self.events.get(issuer_event_id)
        if held is None:
            raise OptError("unknown")
        if held.opted_in == opt_in:
            raise OptError("already")
        held.opted_in = opt_in
        if held.state is EventState.ACTIVE:
            held.changed_while_running = True
        return Report(
            issuer_event_id,
            EventStatus.USER_OPTED_IN if opt_in else EventStatus.USER_OPTED_OUT,
            held,
        )

    # -- time ---------------------------------------------------------------------------

    def advance(self, now: int) -> list[Report]:
        """Start and end the events due at ``now``; return their reports in time order."""
        reports: list[Report] = []
        while True:
            due = [
                (held.end if held.state is EventState.ACTIVE else held.start, held)
                for held in self.events.values()
            ]
            due = [(when, held) for when, held in due if when <= now]
            if not due:
                return reports
            # at the same second an event ends before another starts
            _when, held = min(
                due,
                key=lambda item: (
                    item[0],
                    item[1].state is EventState.SCHEDULED,
                    item[1].issuer_event_id,
                ),
            )
            reports.append(self._step(held))

    def _step(self, held: HeldEvent) -> Report:
        if held.state is EventState.SCHEDULED and held.start < held.end:
            held.state = EventState.ACTIVE
            status = (
                EventStatus.STARTED if held.opted_in else EventStatus.USER_OPTED_OUT
            )
            return Report(held.issuer_event_id, status, held)
        self._drop(held, held.end)
        status = held.end_status or se_drlc.completion_status(
            opted_in=held.opted_in,
            changed_while_running=held.changed_while_running,
        )
        return Report(held.issuer_event_id, status, held)

    def next_change(self) -> int | None:
        """Return when the next event starts or ends (None: nothing held)."""
        return min(
            (
                held.end if held.state is EventState.ACTIVE else held.start
                for held in self.events.values()
            ),
            default=None,
        )

    def _drop(self, held: HeldEvent, when: int) -> None:
        """Forget an event that ended at ``when``, remembering its id (``ended``)."""
        del self.events[held.issuer_event_id]
        self.ended[held.issuer_event_id] = when

    def drop_finished(self, now: int) -> None:
        """Drop the events whose end has passed (storage read after a restart)."""
        self.events = {
            event_id: held for event_id, held in self.events.items() if held.end > now
        }

    def participating(self) -> list[HeldEvent]:
        """Return the running events the user has not opted out of."""
        return [
            held
            for held in self.events.values()
            if held.state is EventState.ACTIVE and held.opted_in
        ]
