"""The ESI's Messaging server: HA's messages on the home's in-home displays.

Actions ``display_message``, ``cancel_message`` and ``cancel_all_messages`` send
DisplayMessage, CancelMessage and CancelAllMessages (reference §5, codec
``protocol.se_messaging``) to every display with a Messaging client on our quirk
(``quirks/esi_messaging.py``), or to the ones given; the response says per device whether it
took the command. The ESI's messages are kept in the family store (section ``messages``) with
their targets and real start, so a display that asks with GetLastMessage, now or after a
restart, gets the last message meant for it that has not ended (Default Response NOT_FOUND
when there is none); ended messages are dropped. GetMessageCancellation is answered with the
first CancelAllMessages at or after the asked time (SE 1.2a). A display's MessageConfirmation
fires the HA event ``zha_device_pack_message_confirmed`` and ``confirmed`` on the display's
"Message confirmation" event entity.

Input is checked before anything is sent or stored (translated ``esi_...`` errors): the text
must fit one unfragmented frame (59 UTF-8 bytes, reference §5), the duration is 1 to 0xFFFE
minutes (0xFFFF, "until changed", is the default), a start in the past is refused except
"now" (within ``NOW_TOLERANCE``: StartTime 0), and message ids are unique among the stored
messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
import logging
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.event import EventEntity
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
from ..protocol import se_messaging
from ..protocol.zcl_time import ZCL_EPOCH, zcl_seconds
from ..quirks.esi_messaging import EsiMessaging
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

SECTION: Final = "messages"
EVENT_MESSAGE_CONFIRMED: Final = f"{DOMAIN}_message_confirmed"
ENTITY_KEY: Final = "esi_message_confirmation"
EVENT_CONFIRMED: Final = "confirmed"
#: A start this close to now (or later) is "now"; further in the past it is refused.
NOW_TOLERANCE: Final = timedelta(seconds=60)
#: The largest duration short of 0xFFFF ("until changed").
MAX_DURATION: Final = se_messaging.DURATION_UNTIL_CHANGED - 1
#: CancelAllMessages times kept for GetMessageCancellation.
KEEP_CANCELLATIONS: Final = 16
IMPORTANCE: Final = {i.name.lower(): i for i in se_messaging.Importance}

SERVICE_DISPLAY: Final = "display_message"
SERVICE_CANCEL: Final = "cancel_message"
SERVICE_CANCEL_ALL: Final = "cancel_all_messages"


@dataclass(slots=True)
class EsiMessage:
    """A message of the ESI: what it says, when (start resolved), to whom (None: all)."""

    message_id: int
    text: str
    importance: se_messaging.Importance
    start: int
    duration: int
    confirmation_required: bool
    enhanced_confirmation: bool
    created: int
    targets: list[str] | None = None
    confirmed_by: list[str] = field(default_factory=list)

    @property
    def end(self) -> int | None:
        """Return the UTCTime it ends (None: until changed)."""
        if self.duration == se_messaging.DURATION_UNTIL_CHANGED:
            return None
        return self.start + self.duration * 60

    def ended(self, now: int) -> bool:
        """Whether nothing of the message is left to show at ``now``."""
        end = self.end
        return end is not None and end <= now

    def for_device(self, ieee: EUI64) -> bool:
        """Whether the message is meant for the device."""
        return self.targets is None or str(ieee) in self.targets

    def command(self, *, start_now: bool) -> se_messaging.DisplayMessage:
        """Return the DisplayMessage; ``start_now`` sends StartTime 0 (reference §6)."""
        return se_messaging.DisplayMessage(
            message_id=self.message_id,
            control=se_messaging.MessageControl(
                importance=self.importance,
                enhanced_confirmation_required=self.enhanced_confirmation,
                confirmation_required=self.confirmation_required,
            ),
            start_time=se_messaging.START_NOW if start_now else self.start,
            duration_minutes=self.duration,
            text=self.text,
        )

    def to_json(self) -> dict[str, Any]:
        """Return the stored form."""
        return {
            "message_id": self.message_id,
            "text": self.text,
            "importance": int(self.importance),
            "start": self.start,
            "duration": self.duration,
            "confirmation_required": self.confirmation_required,
            "enhanced_confirmation": self.enhanced_confirmation,
            "created": self.created,
            "targets": self.targets,
            "confirmed_by": self.confirmed_by,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EsiMessage:
        """Return a stored message."""
        return cls(
            message_id=int(data["message_id"]),
            text=str(data["text"]),
            importance=se_messaging.Importance(int(data["importance"])),
            start=int(data["start"]),
            duration=int(data["duration"]),
            confirmation_required=bool(data["confirmation_required"]),
            enhanced_confirmation=bool(data.get("enhanced_confirmation", False)),
            created=int(data["created"]),
            targets=data.get("targets"),
            confirmed_by=list(data.get("confirmed_by", [])),
        )

    def attributes(self) -> dict[str, Any]:
        """Return the message for a service response or diagnostics."""
        end = self.end
        return {
            "message_id": self.message_id,
            "text": self.text,
            "importance": self.importance.name.lower(),
            "start": utc_datetime(self.start).isoformat(),
            "end": None if end is None else utc_datetime(end).isoformat(),
            "confirmation_required": self.confirmation_required,
        }


def utc_datetime(utc_time: int) -> datetime:
    """Return the aware datetime of a UTCTime."""
    return ZCL_EPOCH + timedelta(seconds=utc_time)


@dataclass(slots=True)
class _Display:
    """One display's last confirmation (for diagnostics)."""

    confirmations: int = 0


class _ClusterListener:
    """zigpy listener of one display's Messaging client."""

    def __init__(self, server: MessagingServer, ieee: EUI64) -> None:
        self._server = server
        self._ieee = ieee

    def se_last_message_requested(self, hdr: foundation.ZCLHeader) -> None:
        self._server.last_message_requested(self._ieee, hdr)

    def se_message_confirmed(
        self, confirmation: se_messaging.MessageConfirmation
    ) -> None:
        self._server.confirmed(self._ieee, confirmation)

    def se_message_cancellation_requested(
        self, hdr: foundation.ZCLHeader, request: se_messaging.GetMessageCancellation
    ) -> None:
        self._server.cancellation_requested(self._ieee, hdr, request)


class MessagingServer(ClusterFollower[EsiMessaging, _Display]):
    """The ESI's Messaging server for every display with a Messaging client."""

    def __init__(self, family: EsiFamily) -> None:
        """Start with no messages (``restore`` loads them)."""
        super().__init__(family.hass, family.entry)
        self._family = family
        self.messages: dict[int, EsiMessage] = {}
        #: ImplementationDateTimes of the CancelAllMessages sent, oldest first.
        self.cancellations: list[int] = []

    # -- devices ------------------------------------------------------------------------

    def find_cluster(self, device: Device) -> EsiMessaging | None:
        """Return the display's Messaging client of our quirk."""
        return client_cluster(device, EsiMessaging)

    def new_state(self, ieee: EUI64) -> _Display:
        """Return a display that confirmed nothing yet."""
        return _Display()

    def listener(self, ieee: EUI64) -> _ClusterListener:
        """Return the listener answering the display's requests."""
        return _ClusterListener(self, ieee)

    def entities(
        self, ieee: EUI64, state: _Display
    ) -> dict[Platform, list[ConfirmationEventEntity]]:
        """Return the display's message confirmation event entity."""
        return {Platform.EVENT: [ConfirmationEventEntity(self.hass, ieee)]}

    def summary(self) -> dict[str, Any]:
        """Return the stored messages."""
        return {
            "messages": [m.attributes() for m in self.messages.values()],
            "cancellations": list(self.cancellations),
        }

    # -- storage ------------------------------------------------------------------------

    def restore(self, store: SectionStore) -> None:
        """Take the stored messages; drop those that ended."""
        data = store.section(SECTION) or {}
        for item in data.get("messages", []):
            try:
                message = EsiMessage.from_json(item)
            except (KeyError, TypeError, ValueError) as err:
                _LOGGER.warning("Stored message %r dropped: %s", item, err)
                continue
            self.messages[message.message_id] = message
        self.cancellations = [int(time) for time in data.get("cancellations", [])]
        self._drop_ended()

    def _save(self) -> None:
        self._family.store.save(
            SECTION,
            {
                "messages": [m.to_json() for m in self.messages.values()],
                "cancellations": self.cancellations,
            },
        )

    def _drop_ended(self) -> None:
        now = zcl_seconds(dt_util.utcnow())
        ended = [i for i, m in self.messages.items() if m.ended(now)]
        for message_id in ended:
            del self.messages[message_id]
        if ended:
            self._save()

    # -- requests from the displays -----------------------------------------------------

    def last_message(self, ieee: EUI64) -> EsiMessage | None:
        """Return the last message for the display that has not ended."""
        self._drop_ended()
        mine = [m for m in self.messages.values() if m.for_device(ieee)]
        return max(mine, key=lambda m: (m.created, m.message_id), default=None)

    @callback
    def last_message_requested(self, ieee: EUI64, hdr: foundation.ZCLHeader) -> None:
        """Answer GetLastMessage: the last message (its real start), or NOT_FOUND."""
        cluster = self.cluster(ieee)
        if cluster is None:
            return
        message = self.last_message(ieee)
        if message is None:
            cluster.send_not_found(hdr)
            return
        # The stored start is the real one: a running message goes out with its original
        # start and full duration, one of the two forms the spec allows (reference §6).
        self._background(
            cluster.send_display_message(
                message.command(start_now=False), tsn=int(hdr.tsn)
            ),
            f"GetLastMessage answer {ieee}",
        )

    @callback
    def cancellation_requested(
        self,
        ieee: EUI64,
        hdr: foundation.ZCLHeader,
        request: se_messaging.GetMessageCancellation,
    ) -> None:
        """Answer GetMessageCancellation: the first CancelAllMessages at or after the time."""
        cluster = self.cluster(ieee)
        if cluster is None:
            return
        times = [
            t for t in self.cancellations if t >= request.earliest_implementation_time
        ]
        if not times:
            cluster.send_not_found(hdr)
            return
        self._background(
            cluster.send_cancel_all_messages(min(times), tsn=int(hdr.tsn)),
            f"GetMessageCancellation answer {ieee}",
        )

    @callback
    def confirmed(
        self, ieee: EUI64, confirmation: se_messaging.MessageConfirmation
    ) -> None:
        """Record a MessageConfirmation; fire the HA event and the display's event."""
        self.state_for(ieee).confirmations += 1
        message = self.messages.get(confirmation.message_id)
        if message is not None and str(ieee) not in message.confirmed_by:
            message.confirmed_by.append(str(ieee))
            self._save()
        answer: str | None = None
        if confirmation.control is not None:
            if confirmation.control & se_messaging.ConfirmationControl.YES:
                answer = "yes"
            elif confirmation.control & se_messaging.ConfirmationControl.NO:
                answer = "no"
        data = {
            "device_id": zha_bridge.zha_device_id(self.hass, ieee),
            "ieee": str(ieee),
            "message_id": confirmation.message_id,
            "confirmation_time": utc_datetime(
                confirmation.confirmation_time
            ).isoformat(),
            "answer": answer,
            "reply": confirmation.response,
            "known_message": message is not None,
        }
        self.hass.bus.async_fire(EVENT_MESSAGE_CONFIRMED, data)
        for entity in self.device_entities(ieee, Platform.EVENT):
            if entity.hass is not None:
                entity.fire(EVENT_CONFIRMED, data)

    def _background(self, coro: Any, name: str) -> None:
        async def run() -> None:
            try:
                await coro
            except (ZHAException, ZigbeeException, TimeoutError) as err:
                _LOGGER.debug("%s failed: %s", name, err)

        self.entry.async_create_background_task(self.hass, run(), f"{DOMAIN} {name}")

    # -- actions ------------------------------------------------------------------------

    async def display(self, call: ServiceCall) -> ServiceResponse:
        """Check, store and send a message."""
        self._drop_ended()
        data = call.data
        text: str = data["text"]
        size = len(text.encode("utf-8"))
        if size > se_messaging.MAX_MESSAGE_BYTES:
            raise validation_error(
                "esi_message_too_long",
                size=size,
                maximum=se_messaging.MAX_MESSAGE_BYTES,
            )
        duration: int = data.get("duration", se_messaging.DURATION_UNTIL_CHANGED)
        if not 1 <= duration <= se_messaging.DURATION_UNTIL_CHANGED:
            raise validation_error(
                "esi_message_duration_invalid", duration=duration, maximum=MAX_DURATION
            )
        now = dt_util.utcnow()
        start_now, start = resolve_start(data.get("start"), now)
        message_id = data.get("message_id")
        if message_id is None:
            message_id = self._new_message_id(zcl_seconds(now))
        elif message_id in self.messages:
            raise validation_error("esi_duplicate_message", message_id=message_id)
        clients: dict[EUI64, EsiMessaging] = target_clients(self.hass, call, self)
        message = EsiMessage(
            message_id=message_id,
            text=text,
            importance=IMPORTANCE[data.get("importance", "low")],
            start=zcl_seconds(start),
            duration=duration,
            confirmation_required=bool(data.get("confirmation_required", False)),
            enhanced_confirmation=bool(data.get("enhanced_confirmation", False)),
            created=zcl_seconds(now),
            targets=None if "device_id" not in data else [str(i) for i in clients],
        )
        command = message.command(start_now=start_now)
        se_messaging.encode_display_message(command)  # checked before anything is kept
        self.messages[message_id] = message
        self._save()

        async def send(_ieee: EUI64, cluster: EsiMessaging) -> dict[str, Any]:
            return await _result(cluster.send_display_message(command))

        response = await send_to_clients(self.hass, clients, send)
        return {"message_id": message_id, **response}

    async def cancel(self, call: ServiceCall) -> ServiceResponse:
        """Drop a stored message and send CancelMessage to its displays."""
        self._drop_ended()
        message_id: int = call.data["message_id"]
        message = self.messages.get(message_id)
        if message is None:
            raise validation_error("esi_unknown_message", message_id=message_id)
        clients: dict[EUI64, EsiMessaging] = target_clients(self.hass, call, self)
        if "device_id" not in call.data:
            clients = {i: c for i, c in clients.items() if message.for_device(i)}
        del self.messages[message_id]
        self._save()

        async def send(_ieee: EUI64, cluster: EsiMessaging) -> dict[str, Any]:
            return await _result(cluster.send_cancel_message(message_id))

        response = await send_to_clients(self.hass, clients, send)
        return {"message_id": message_id, **response}

    async def cancel_all(self, call: ServiceCall) -> ServiceResponse:
        """Drop every message (of the given displays) and send CancelAllMessages."""
        clients: dict[EUI64, EsiMessaging] = target_clients(self.hass, call, self)
        if "device_id" not in call.data:
            self.messages.clear()
        else:
            # the given displays leave every message's targets; one left to none goes
            everyone = [str(i) for i, _ in self.attached_clusters()]
            chosen = {str(i) for i in clients}
            for message_id, message in list(self.messages.items()):
                targets = everyone if message.targets is None else message.targets
                message.targets = [i for i in targets if i not in chosen]
                if not message.targets:
                    del self.messages[message_id]
        implementation_time = zcl_seconds(dt_util.utcnow())
        self.cancellations = [*self.cancellations, implementation_time][
            -KEEP_CANCELLATIONS:
        ]
        self._save()

        async def send(_ieee: EUI64, cluster: EsiMessaging) -> dict[str, Any]:
            return await _result(cluster.send_cancel_all_messages(implementation_time))

        return await send_to_clients(self.hass, clients, send)

    def _new_message_id(self, now: int) -> int:
        """Return a free message id: the UTCTime now, as ESIs often do (reference §5)."""
        message_id = now
        while message_id in self.messages:
            message_id = (message_id + 1) & se_messaging.UINT32_MAX
        return message_id


def resolve_start(start: datetime | None, now: datetime) -> tuple[bool, datetime]:
    """Return (start is "now", the real start); refuse a start in the past.

    A start within ``NOW_TOLERANCE`` before now is "now": the time a user picks as the
    current minute has passed by the time the action runs.
    """
    if start is None:
        return True, now
    start = dt_util.as_utc(start)
    if start < now - NOW_TOLERANCE:
        raise validation_error("esi_start_in_past", start=start.isoformat())
    if start <= now:
        return True, now
    return False, start


async def _result(send: Any) -> dict[str, Any]:
    """Return a device's result of one command (its Default Response status)."""
    try:
        status: Status = await send
    except (TimeoutError, ZigbeeException, ZHAException) as err:
        return {"result": RESULT_NO_ANSWER, "error": str(err) or type(err).__name__}
    if status != Status.SUCCESS:
        return {"result": RESULT_REJECTED, "status": status.name}
    return {"result": RESULT_SENT}


class ConfirmationEventEntity(ZhaDeviceLinkedEntity, EventEntity):
    """A display's confirmations of the ESI's messages."""

    _attr_translation_key = ENTITY_KEY
    _attr_should_poll = False

    def __init__(self, hass: HomeAssistant, ieee: EUI64) -> None:
        """Create the confirmation event entity of display ``ieee``."""
        super().__init__(hass, ieee, ENTITY_KEY)
        self._attr_event_types = [EVENT_CONFIRMED]

    @callback
    def fire(self, event_type: str, attributes: dict[str, Any]) -> None:
        """Fire one event with its attributes."""
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()


def _family(family: Any) -> MessagingServer:
    server: MessagingServer = family.messaging
    return server


async def _display(family: EsiFamily, call: ServiceCall) -> ServiceResponse:
    return await _family(family).display(call)


async def _cancel(family: EsiFamily, call: ServiceCall) -> ServiceResponse:
    return await _family(family).cancel(call)


async def _cancel_all(family: EsiFamily, call: ServiceCall) -> ServiceResponse:
    return await _family(family).cancel_all(call)


_MESSAGE_ID: Final = vol.All(vol.Coerce(int), vol.Range(min=0, max=0xFFFF_FFFF))

_DISPLAY_FIELDS: dict[Any, Any] = {
    **TARGET_SCHEMA,
    vol.Optional("message_id"): _MESSAGE_ID,
    vol.Required("text"): cv.string,
    vol.Optional("importance", default="low"): vol.In(IMPORTANCE),
    vol.Optional("start"): cv.datetime,
    vol.Optional("duration"): vol.Coerce(int),
    vol.Optional("confirmation_required", default=False): cv.boolean,
    vol.Optional("enhanced_confirmation", default=False): cv.boolean,
}
_CANCEL_FIELDS: dict[Any, Any] = {
    **TARGET_SCHEMA,
    vol.Required("message_id"): _MESSAGE_ID,
}

#: The actions of this server (``EsiFamily.services``).
SERVICES: Final[dict[str, FamilyService[Any]]] = {
    SERVICE_DISPLAY: FamilyService(vol.Schema(_DISPLAY_FIELDS), _display),
    SERVICE_CANCEL: FamilyService(vol.Schema(_CANCEL_FIELDS), _cancel),
    SERVICE_CANCEL_ALL: FamilyService(vol.Schema(TARGET_SCHEMA), _cancel_all),
}
