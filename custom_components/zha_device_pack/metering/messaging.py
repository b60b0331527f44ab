"""Smart Energy Messaging client: the ESI's messages as HA events and notifications.

Per meter whose quirk has a Messaging server (``quirks/smart_energy_messaging.py``) the family
keeps the active messages (id -> message, start, end). A DisplayMessage fires ``displayed`` on
the meter's message event entity and creates a persistent notification; CancelMessage and
CancelAllMessages dismiss them and fire ``cancelled``; ``confirm_message`` sends
MessageConfirmation and fires ``confirmed``; at its end time a message is dropped, its
notification dismissed and ``expired`` fired. When a meter appears (present at start, joined,
re-interviewed, ZHA reloaded) GetLastMessage is sent once, and the ESI's answer shows like any
DisplayMessage.

A DisplayMessage with the id of an active message is the same message again (Silicon Labs'
messaging-client.c: "duplicate message", answered SUCCESS and not shown again), whatever its
other fields: an ESI re-sending a running message sends StartTime 0 with the remaining
duration (reference §5, §6), so its start and duration differ from the first copy. No second
notification and no second ``displayed``. A message already over when heard is not shown.

The active messages are kept across restarts in the family's store (section "messages");
their notifications are made again when read back, and those that ended meanwhile are
dropped. CancelAllMessages acts on receipt whatever its implementation time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
import logging
from typing import Any, Final

from homeassistant.components import persistent_notification
from homeassistant.components.event import EventEntity
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
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
from ..protocol import se_messaging
from ..protocol.zcl_time import zcl_seconds
from ..quirks.smart_energy_messaging import SmartEnergyMessaging
from ..se_store import SectionStore

_LOGGER = logging.getLogger(__name__)

EVENT_DISPLAYED: Final = "displayed"
EVENT_CANCELLED: Final = "cancelled"
EVENT_CONFIRMED: Final = "confirmed"
EVENT_EXPIRED: Final = "expired"
ENTITY_KEY: Final = "se_message"
#: The store section of the active messages: {ieee: [ActiveMessage.stored()]}.
SECTION: Final = "messages"


def messaging_cluster(device: Device) -> SmartEnergyMessaging | None:
    """Return the device's first Messaging server of our quirk."""
    return server_cluster(device, SmartEnergyMessaging)


@dataclass(slots=True)
class ActiveMessage:
    """A message the ESI displays: when it shows (end None: until changed)."""

    message: se_messaging.DisplayMessage
    start: datetime
    end: datetime | None
    confirmed: bool = False

    def attributes(self) -> dict[str, Any]:
        """Return the event attributes of this message."""
        message = self.message
        return {
            "message_id": message.message_id,
            "text": message.text,
            "importance": message.control.importance.name.lower(),
            "start": self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "duration": None if message.until_changed else message.duration_minutes,
            "confirmation_required": message.control.confirmation_required,
        }

    def ended(self, now: datetime) -> bool:
        """Return True once the message's end time has come."""
        return self.end is not None and self.end <= now

    def stored(self) -> dict[str, Any]:
        """Return the message as stored: its DisplayMessage fields and when it shows."""
        message = self.message
        return {
            "message_id": message.message_id,
            "control": message.control.to_byte(),
            "start_time": message.start_time,
            "duration_minutes": message.duration_minutes,
            "text": message.text,
            "extended_control": (
                None
                if message.extended_control is None
                else int(message.extended_control)
            ),
            "start": self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "confirmed": self.confirmed,
        }

    @classmethod
    def from_stored(cls, row: dict[str, Any]) -> ActiveMessage:
        """Return a stored message (MessagingError, ValueError, KeyError: not readable)."""
        extended = row["extended_control"]
        message = se_messaging.DisplayMessage(
            row["message_id"],
            se_messaging.MessageControl.from_byte(row["control"]),
            row["start_time"],
            row["duration_minutes"],
            row["text"],
            None if extended is None else se_messaging.ExtendedMessageControl(extended),
        )
        start = dt_util.parse_datetime(row["start"])
        end = None if row["end"] is None else dt_util.parse_datetime(row["end"])
        if start is None or (row["end"] is not None and end is None):
            raise ValueError(f"message {message.message_id}: times not readable")
        return cls(message, start, end, confirmed=bool(row["confirmed"]))


@dataclass(slots=True)
class _Meter:
    """One meter's Messaging state."""

    messages: dict[int, ActiveMessage] = field(default_factory=dict)
    unsub_timer: CALLBACK_TYPE | None = None


class _ClusterListener:
    """zigpy listener of one Messaging cluster (its ``listener_event`` calls)."""

    def __init__(self, client: MessagingClient, ieee: EUI64) -> None:
        self._client = client
        self._ieee = ieee

    def se_message_received(self, message: se_messaging.DisplayMessage) -> None:
        self._client.displayed(self._ieee, message)

    def se_message_cancelled(self, cancel: se_messaging.CancelMessage) -> None:
        self._client.cancelled(self._ieee, [cancel.message_id])

    def se_messages_cancelled_all(
        self, _cancel_all: se_messaging.CancelAllMessages
    ) -> None:
        self._client.cancelled(self._ieee, None)


class MessagingClient(ClusterFollower[SmartEnergyMessaging, _Meter]):
    """The Messaging client of every meter of the family."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Start with no meters and no store (``restore`` gives it)."""
        super().__init__(hass, entry)
        self._store: SectionStore | None = None

    # -- devices ------------------------------------------------------------------------

    def find_cluster(self, device: Device) -> SmartEnergyMessaging | None:
        """Return the meter's Messaging server of our quirk."""
        return messaging_cluster(device)

    def new_state(self, ieee: EUI64) -> _Meter:
        """Return a meter with no messages."""
        return _Meter()

    def listener(self, ieee: EUI64) -> _ClusterListener:
        """Return the listener passing the meter's messages on."""
        return _ClusterListener(self, ieee)

    def entities(
        self, ieee: EUI64, state: _Meter
    ) -> dict[Platform, list[MessageEventEntity]]:
        """Return the meter's message event entity."""
        return {Platform.EVENT: [MessageEventEntity(self.hass, ieee)]}

    def attached(
        self, ieee: EUI64, cluster: SmartEnergyMessaging, state: _Meter
    ) -> None:
        """Ask for the last message whenever the meter's Messaging cluster appears."""
        self.entry.async_create_background_task(
            self.hass,
            self._request_last_message(ieee, cluster),
            f"{DOMAIN} GetLastMessage {ieee}",
        )

    def rejoined(
        self, ieee: EUI64, cluster: SmartEnergyMessaging, state: _Meter
    ) -> None:
        """Ask again after a rejoin: the meter may have sent a message while away."""
        self.attached(ieee, cluster, state)

    def forgotten(self, ieee: EUI64, state: _Meter) -> None:
        """Dismiss the removed meter's notifications and drop its stored messages."""
        self._cancel_timer(state)
        for message_id in state.messages:
            persistent_notification.async_dismiss(
                self.hass, notification_id(ieee, message_id)
            )
        state.messages.clear()
        self._save()

    def restore(self, store: SectionStore) -> None:
        """Take the stored messages: show those still running, drop those that ended."""
        self._store = store
        now = dt_util.utcnow()
        dropped = False
        for ieee_text, rows in (store.section(SECTION) or {}).items():
            ieee = EUI64.convert(ieee_text)
            meter = self.state_for(ieee)
            for row in rows:
                try:
                    active = ActiveMessage.from_stored(row)
                except (
                    se_messaging.MessagingError,
                    ValueError,
                    KeyError,
                    TypeError,
                ) as err:
                    _LOGGER.warning("%s: stored message not readable: %s", ieee, err)
                    dropped = True
                    continue
                if active.ended(now):
                    persistent_notification.async_dismiss(
                        self.hass, notification_id(ieee, active.message.message_id)
                    )
                    dropped = True
                    continue
                meter.messages[active.message.message_id] = active
                self._notify(ieee, active)
            self._schedule_expiry(ieee, meter)
        if dropped:
            self._save()

    def stop(self) -> None:
        """Stop listening to the clusters and the expiry timers."""
        super().stop()
        for _ieee, meter in self.states():
            self._cancel_timer(meter)

    async def _request_last_message(
        self, ieee: EUI64, cluster: SmartEnergyMessaging
    ) -> None:
        try:
            await cluster.request_last_message()
        except (
            ZHAException,
            ZigbeeException,
            TimeoutError,
            se_messaging.MessagingError,
        ) as err:
            _LOGGER.debug("%s: GetLastMessage failed: %s", ieee, err)

    # -- messages -----------------------------------------------------------------------

    def message(self, ieee: EUI64, message_id: int) -> ActiveMessage | None:
        """Return an active message of the meter."""
        meter = self.state(ieee)
        return None if meter is None else meter.messages.get(message_id)

    def messages(self, ieee: EUI64) -> dict[int, ActiveMessage]:
        """Return the meter's active messages (a copy)."""
        meter = self.state(ieee)
        return {} if meter is None else dict(meter.messages)

    @callback
    def displayed(self, ieee: EUI64, message: se_messaging.DisplayMessage) -> None:
        """Keep a DisplayMessage, fire ``displayed`` and create its notification."""
        meter = self.state_for(ieee)
        if message.message_id in meter.messages:
            _LOGGER.debug("%s: message %s again", ieee, message.message_id)
            return
        now = dt_util.utcnow()
        start, end = se_messaging.message_period(message, now)
        active = ActiveMessage(message, start, end, confirmed=message.confirmed)
        if active.ended(now):
            _LOGGER.debug("%s: message %s already over", ieee, message.message_id)
            return
        meter.messages[message.message_id] = active
        self._notify(ieee, active)
        self._schedule_expiry(ieee, meter)
        self._save()
        self._fire(ieee, EVENT_DISPLAYED, active.attributes())

    def _notify(self, ieee: EUI64, active: ActiveMessage) -> None:
        message = active.message
        attributes = active.attributes()
        duration = (
            "until changed"
            if attributes["duration"] is None
            else f"{attributes['duration']} min"
        )
        lines = [
            message.text,
            "",
            (
                f"Message {message.message_id}, importance "
                f"{attributes['importance']}, from {attributes['start']} for "
                f"{duration}."
            ),
        ]
        if message.control.confirmation_required:
            lines.append(
                f"Confirmation required: action {DOMAIN}.confirm_message with "
                f"message_id {message.message_id}."
            )
        persistent_notification.async_create(
            self.hass,
            "\n".join(lines),
            title="Smart Energy message",
            notification_id=notification_id(ieee, message.message_id),
        )

    @callback
    def cancelled(self, ieee: EUI64, message_ids: list[int] | None) -> None:
        """Drop messages (None: all), dismiss their notifications, fire ``cancelled``."""
        self._drop(ieee, message_ids, EVENT_CANCELLED)

    def _drop(
        self, ieee: EUI64, message_ids: list[int] | None, event_type: str
    ) -> None:
        meter = self.state(ieee)
        if meter is None:
            return
        ids = list(meter.messages) if message_ids is None else message_ids
        for message_id in ids:
            active = meter.messages.pop(message_id, None)
            persistent_notification.async_dismiss(
                self.hass, notification_id(ieee, message_id)
            )
            attributes = (
                {"message_id": message_id} if active is None else active.attributes()
            )
            self._fire(ieee, event_type, attributes)
        self._schedule_expiry(ieee, meter)
        self._save()

    def _schedule_expiry(self, ieee: EUI64, meter: _Meter) -> None:
        """Wake up at the earliest end of the meter's messages."""
        self._cancel_timer(meter)
        ends = [active.end for active in meter.messages.values() if active.end]
        if not ends:
            return

        @callback
        def expire(_now: datetime) -> None:
            meter.unsub_timer = None
            now = dt_util.utcnow()
            ended = [
                message_id
                for message_id, active in meter.messages.items()
                if active.ended(now)
            ]
            # also reschedules (a timer may fire a little early)
            self._drop(ieee, ended, EVENT_EXPIRED)

        meter.unsub_timer = async_track_point_in_utc_time(self.hass, expire, min(ends))

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
                str(ieee): [active.stored() for active in meter.messages.values()]
                for ieee, meter in self.states()
                if meter.messages
            },
        )

    async def confirm(self, ieee: EUI64, message_id: int) -> None:
        """Send MessageConfirmation (time now) and fire ``confirmed``.

        The caller checked that the message is active and asks for confirmation.
        """
        active = self.state_for(ieee).messages[message_id]
        if (cluster := self.cluster(ieee)) is None:
            raise ZHAException("the meter's Messaging cluster is gone")
        await cluster.confirm_message(message_id, zcl_seconds(dt_util.utcnow()))
        active.confirmed = True
        self._save()
        self._fire(ieee, EVENT_CONFIRMED, active.attributes())

    def _fire(self, ieee: EUI64, event_type: str, attributes: dict[str, Any]) -> None:
        for entity in self.device_entities(ieee, Platform.EVENT):
            if entity.hass is not None:
                entity.fire(event_type, attributes)

    def diagnostics(self, ieee: EUI64) -> list[dict[str, Any]]:
        """Return the meter's active messages."""
        return [active.attributes() for active in self.messages(ieee).values()]


def notification_id(ieee: EUI64, message_id: int) -> str:
    """Return the persistent notification id of a meter's message."""
    return f"{DOMAIN}_se_message_{ieee}_{message_id}"


class MessageEventEntity(ZhaDeviceLinkedEntity, EventEntity):
    """The meter's Smart Energy messages: displayed, cancelled, confirmed, expired."""

    _attr_translation_key = ENTITY_KEY
    _attr_should_poll = False

    def __init__(self, hass: HomeAssistant, ieee: EUI64) -> None:
        """Create the message entity of meter ``ieee``."""
        super().__init__(hass, ieee, ENTITY_KEY)
        self._attr_event_types = [
            EVENT_DISPLAYED,
            EVENT_CANCELLED,
            EVENT_CONFIRMED,
            EVENT_EXPIRED,
        ]

    @property
    def ieee(self) -> EUI64:
        """Return the meter's IEEE address."""
        return self._ieee

    @callback
    def fire(self, event_type: str, attributes: dict[str, Any]) -> None:
        """Fire one event with its attributes."""
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()
