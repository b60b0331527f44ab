"""Smart Energy Messaging (cluster 0x0703): text messages from an ESI to a display, and back.

Sources: the Smart Energy wire-format reference (research notes smart_energy_reference.md,
"the reference" below) §0 (conventions, roles), §5 (commands, bitmaps, payloads), §6 (UTCTime),
§8 (where sources disagree), and seed 002 (the Digi ConnectPort X2 manual: DisplayMessageRecord,
MessageConfirmationRecord). The sources the reference cites are quoted by its tags: WS
(Wireshark), SL (Silicon Labs ami.xml), EXG (Exegin ZSDK), ZSS (zsmartsystems), ZBOSS-doc. No
capture of a real Messaging frame exists in the research or the seeds, so every length variant
tolerated below rests on a shipping implementation that produces or accepts it.

The ESI is the Messaging server and the display the client (reference §0): DisplayMessage,
DisplayProtectedMessage, CancelMessage and CancelAllMessages go server -> client,
GetLastMessage, MessageConfirmation and GetMessageCancellation client -> server. Every integer
is little-endian; UTCTime is a uint32 of seconds since 2000-01-01 00:00:00 UTC, 0xFFFFFFFF
meaning invalid.

Decoders are strict about structure (a frame is parsed completely, or refused) and liberal
where the spec lets senders differ: reserved bits are kept as received, never refused, and
strings may be as long as a ZCL string can be (a fragmented DisplayMessage is legal, and
bellows reassembles incoming APS fragments). The public encoders are what this integration
sends, and hold it to the spec: reserved bits zero, the deprecated CancelMessage control 0x00,
a message that fits one unfragmented frame (59 bytes) and a confirmation response of at most
20 bytes.

Every rejected input, in either direction, raises MessagingError.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, IntFlag
import struct
from typing import Final, TypeIs

from .zcl_time import ZCL_EPOCH


class MessagingError(ValueError):
    """A Messaging command payload or field is malformed or out of range."""


CLUSTER_ID: Final = 0x0703

UINT8_MAX: Final = 0xFF
UINT16_MAX: Final = 0xFFFF
UINT32_MAX: Final = 0xFFFF_FFFF
UTC_TIME_INVALID: Final = 0xFFFF_FFFF
# DisplayMessage StartTime 0 is "now": the receiver takes its receive time (reference §6).
START_NOW: Final = 0
# DurationInMinutes 0xFFFF is "until changed" (reference §5, WS decode_zcl_msg_duration).
DURATION_UNTIL_CHANGED: Final = 0xFFFF
# A ZCL string holds at most 254 bytes: the length byte 0xFF marks an invalid string.
MAX_STRING_BYTES: Final = 0xFE
INVALID_STRING_LENGTH: Final = 0xFF
# "At most 59 bytes without fragmentation (11 bytes go to the other fields)" (reference §5; EXG
# ZCL_MESSAGE_MAX_LENGTH 59U, checked against the string length, its length byte not counted;
# the spec text in ZSS: "The SE secure payload is 59 bytes for the Message field in a
# non-fragmented, non-source routed Display Message packet"). Whether the 59 include the
# length byte is not said; EXG, which ships, sends 59 text bytes, so the cap is 59 UTF-8 bytes.
MAX_MESSAGE_BYTES: Final = 59
# ZBOSS-doc: "21 is max" including the length byte; EXG ZCL_MESSAGE_CONF_RSP_LEN 21U sizes the
# buffer of length byte + text. EXG's ZCL_MESSAGE_CONFIRM_ENH_RSP_MAX_LEN 32U carries its own
# doubt ("where in which spec is this defined?"), so it only shows that a real stack may send
# up to 32 bytes: decoders accept any ZCL string, the encoder sends at most 20 (reference §5).
MAX_CONFIRMATION_RESPONSE_BYTES: Final = 20

# MessageID, MessageControl, StartTime, DurationInMinutes: the 11 bytes before the Message.
_DISPLAY_HEAD: Final = struct.Struct("<IBIH")
# EXG ZCL_MESSAGE_DISPLAY_MIN_SIZE 12U: the head and the Message length byte.
_DISPLAY_MIN_SIZE: Final = _DISPLAY_HEAD.size + 1
_CANCEL: Final = struct.Struct("<IB")
_UTC_TIME: Final = struct.Struct("<I")
_CONFIRMATION_HEAD: Final = struct.Struct("<II")


# --- command identifiers (reference §5) ---------------------------------------------------------


class ServerToClientCommand(IntEnum):
    """Commands the server generates (zigpy's ClientCommandDefs)."""

    DISPLAY_MESSAGE = 0x00
    CANCEL_MESSAGE = 0x01
    # SE 1.2a: the DisplayMessage payload, for a message behind a PIN or password.
    DISPLAY_PROTECTED_MESSAGE = 0x02
    # SE 1.2a.
    CANCEL_ALL_MESSAGES = 0x03


class ClientToServerCommand(IntEnum):
    """Commands the server receives (zigpy's ServerCommandDefs).

    The server answers GetLastMessage with DisplayMessage or DisplayProtectedMessage, or a
    Default Response NOT_FOUND. ZSS's client -> server 0x03 "Cancel All Messages" does not
    exist (reference §5).
    """

    GET_LAST_MESSAGE = 0x00
    MESSAGE_CONFIRMATION = 0x01
    # SE 1.2a.
    GET_MESSAGE_CANCELLATION = 0x02


# --- MessageControl (reference §5) --------------------------------------------------------------


class TransmissionMode(IntEnum):
    """MessageControl bits 0-1: how the ESI delivers the message."""

    NORMAL = 0
    NORMAL_AND_ANONYMOUS_INTER_PAN = 1
    # Deprecated, inter-PAN is insecure (seed 001 §10.2).
    ANONYMOUS_INTER_PAN = 2
    RESERVED = 3


class Importance(IntEnum):
    """MessageControl bits 2-3 (ZSS calls them "Message Urgency")."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2
    CRITICAL = 3


_TRANSMISSION_MASK: Final = 0x03
_IMPORTANCE_SHIFT: Final = 2
_IMPORTANCE_MASK: Final = 0x0C
_ENHANCED_CONFIRMATION: Final = 0x20
_CONFIRMATION_REQUIRED: Final = 0x80
# Bits 4 and 6 (WS ZBEE_ZCL_MSG_CTRL_RESERVED_MASK 0x50). Silicon Labs' older servers kept
# internal state in bits 4-6 and masked it before sending (messaging-server.c); no source
# refuses them on receipt, so they are kept and only the encoders insist on zero.
RESERVED_CONTROL_BITS: Final = 0x50


@dataclass(frozen=True, slots=True)
class MessageControl:
    """The MessageControl map8 of DisplayMessage (and the deprecated one of CancelMessage).

    enhanced_confirmation_required (bit 5, SE 1.2a): the client answers NO/YES and/or text.
    confirmation_required (bit 7): the user must confirm with MessageConfirmation.
    reserved_bits: bits 4 and 6 as received (RESERVED_CONTROL_BITS).
    """

    transmission: TransmissionMode = TransmissionMode.NORMAL
    importance: Importance = Importance.LOW
    enhanced_confirmation_required: bool = False
    confirmation_required: bool = False
    reserved_bits: int = 0

    def __post_init__(self) -> None:
        """Refuse fields that do not fit their bits."""
        _check_member("transmission mode", self.transmission, TransmissionMode)
        _check_member("importance", self.importance, Importance)
        for name, flag in (
            ("enhanced confirmation required", self.enhanced_confirmation_required),
            ("confirmation required", self.confirmation_required),
        ):
            if not isinstance(flag, bool):
                raise MessagingError(f"{name} {flag!r} is not a bool")
        _check_uint("reserved bits", self.reserved_bits, UINT8_MAX)
        if self.reserved_bits & ~RESERVED_CONTROL_BITS:
            raise MessagingError(
                f"reserved bits 0x{self.reserved_bits:02x} are not within bits 4 and 6 (0x50)"
            )

    @classmethod
    def from_byte(cls, value: int) -> MessageControl:
        """Split a MessageControl byte; every byte has a reading."""
        _check_uint("message control", value, UINT8_MAX)
        return cls(
            transmission=TransmissionMode(value & _TRANSMISSION_MASK),
            importance=Importance((value & _IMPORTANCE_MASK) >> _IMPORTANCE_SHIFT),
            enhanced_confirmation_required=bool(value & _ENHANCED_CONFIRMATION),
            confirmation_required=bool(value & _CONFIRMATION_REQUIRED),
            reserved_bits=value & RESERVED_CONTROL_BITS,
        )

    def to_byte(self) -> int:
        """Return the MessageControl byte."""
        return (
            self.transmission
            | self.importance << _IMPORTANCE_SHIFT
            | (_ENHANCED_CONFIRMATION if self.enhanced_confirmation_required else 0)
            | (_CONFIRMATION_REQUIRED if self.confirmation_required else 0)
            | self.reserved_bits
        )


class ExtendedMessageControl(IntFlag):
    """DisplayMessage ExtendedMessageControl (SE 1.2a); bits 1-7 are reserved, kept as sent."""

    MESSAGE_CONFIRMED = 0x01


class ConfirmationControl(IntFlag):
    """MessageConfirmationControl (SE 1.2a); bits 2-7 are reserved, kept as sent.

    SL's MessagingConfirmationControl: NoReturned 0x01, YesReturned 0x02. WS decodes bit 0
    alone (with "No"/"Yes" for set/clear); SL, with its revision tags, is followed (reference
    §5). Neither bit is a simple confirmation or a text-only answer.
    """

    NO = 0x01
    YES = 0x02


_RESERVED_EXTENDED_BITS: Final = 0xFE
_RESERVED_CONFIRMATION_BITS: Final = 0xFC


# --- payloads -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DisplayMessage:
    """A DisplayMessage or DisplayProtectedMessage payload (server -> client 0x00 / 0x02).

    start_time is a UTCTime, START_NOW (0) for "when received"; duration_minutes is
    DURATION_UNTIL_CHANGED (0xFFFF) for no end. text is the Message: a ZCL character string
    (reference §5, ZSS CHARACTER_STRING; on the wire a length byte and bytes, like an octet
    string) that "shall be encoded in the UTF-8 format". Bytes that are not UTF-8 (Latin-1, or
    a sender cutting a character against "truncate on a UTF-8 character boundary") are
    refused, not guessed at. extended_control is None when the sender left out the SE 1.2a
    tail (SE 1.0-1.1), as distinct from a sent 0x00.
    """

    message_id: int
    control: MessageControl
    start_time: int
    duration_minutes: int
    text: str
    extended_control: ExtendedMessageControl | None = None

    def __post_init__(self) -> None:
        """Refuse fields that do not fit the frame."""
        _check_uint("message id", self.message_id, UINT32_MAX)
        if not isinstance(self.control, MessageControl):
            raise MessagingError(f"control {self.control!r} is not a MessageControl")
        # A start of 0xFFFFFFFF schedules nothing: the invalid UTCTime (reference §6).
        _check_uint(
            "start time",
            self.start_time,
            UTC_TIME_INVALID - 1,
            " (0xffffffff is invalid)",
        )
        _check_uint("duration", self.duration_minutes, UINT16_MAX)
        _utf8("message", self.text)
        if self.extended_control is not None:
            _check_uint("extended message control", self.extended_control, UINT8_MAX)

    @property
    def starts_now(self) -> bool:
        """Whether the message starts when it is received (StartTime 0)."""
        return self.start_time == START_NOW

    @property
    def until_changed(self) -> bool:
        """Whether the message shows until replaced or cancelled (duration 0xFFFF)."""
        return self.duration_minutes == DURATION_UNTIL_CHANGED

    @property
    def confirmed(self) -> bool:
        """Whether the server says the message was already confirmed (SE 1.2a)."""
        return bool(
            self.extended_control is not None
            and self.extended_control & ExtendedMessageControl.MESSAGE_CONFIRMED
        )


@dataclass(frozen=True, slots=True)
class CancelMessage:
    """A CancelMessage payload (server -> client 0x01), 5 bytes.

    control is deprecated ("send 0x00", reference §5) but Silicon Labs' server sends the
    cancelled message's own control (messaging-server.c, cancel_message), so any is accepted.
    """

    message_id: int
    control: MessageControl = field(default_factory=MessageControl)

    def __post_init__(self) -> None:
        """Refuse fields that do not fit the frame."""
        _check_uint("message id", self.message_id, UINT32_MAX)
        if not isinstance(self.control, MessageControl):
            raise MessagingError(f"control {self.control!r} is not a MessageControl")


@dataclass(frozen=True, slots=True)
class CancelAllMessages:
    """A CancelAllMessages payload (server -> client 0x03, SE 1.2a), 4 bytes.

    implementation_time is the UTCTime from which every message is cleared. The reference
    gives no special value for it; 0 reads as "now" like every other SE time that schedules
    something (reference §6: StartTime 0 of DisplayMessage, Price, DRLC), an inference, not a
    quote. 0xFFFFFFFF (invalid) is refused, as for DisplayMessage's start.
    """

    implementation_time: int

    def __post_init__(self) -> None:
        """Refuse fields that do not fit the frame."""
        _check_uint(
            "implementation time",
            self.implementation_time,
            UTC_TIME_INVALID - 1,
            " (0xffffffff is invalid)",
        )


@dataclass(frozen=True, slots=True)
class MessageConfirmation:
    """A MessageConfirmation payload (client -> server 0x01).

    confirmation_time is a UTCTime, any uint32 (a display without a clock may send 0 or
    0xFFFFFFFF). control and response are the SE 1.2a tail: control None means the 8-byte
    SE 1.0 form (the only one seed 002's MessageConfirmationRecord has: message_id and
    confirmation_time). response is the MessageConfirmationResponse, UTF-8; "" when the sender
    gave none: the spec text (ZSS) says an absent response is sent as 0x00, so a 9-byte frame
    without it reads the same as one with an empty string.
    """

    message_id: int
    confirmation_time: int
    control: ConfirmationControl | None = None
    response: str = ""

    def __post_init__(self) -> None:
        """Refuse fields that do not fit the frame, or an answer both NO and YES."""
        _check_uint("message id", self.message_id, UINT32_MAX)
        _check_uint("confirmation time", self.confirmation_time, UINT32_MAX)
        _utf8("confirmation response", self.response)
        if self.control is None:
            if self.response:
                raise MessagingError(
                    "a confirmation response needs a confirmation control before it"
                )
            return
        _check_uint("confirmation control", self.control, UINT8_MAX)
        if (
            self.control & ConfirmationControl.NO
            and self.control & ConfirmationControl.YES
        ):
            raise MessagingError(
                f"confirmation control 0x{self.control:02x} answers both NO and YES"
            )


@dataclass(frozen=True, slots=True)
class GetMessageCancellation:
    """A GetMessageCancellation payload (client -> server 0x02, SE 1.2a), 4 bytes.

    The server returns the first CancelAllMessages whose implementation time is at or after
    earliest_implementation_time (a UTCTime, any uint32).
    """

    earliest_implementation_time: int

    def __post_init__(self) -> None:
        """Refuse fields that do not fit the frame."""
        _check_uint(
            "earliest implementation time",
            self.earliest_implementation_time,
            UINT32_MAX,
        )


# --- DisplayMessage / DisplayProtectedMessage ---------------------------------------------------


def encode_display_message(message: DisplayMessage) -> bytes:
    """Encode DisplayMessage (or DisplayProtectedMessage) as this integration sends it.

    Refuses a message longer than MAX_MESSAGE_BYTES (59 UTF-8 bytes, one unfragmented frame:
    zigpy does not fragment what it sends) and reserved bits or transmission mode set.
    extended_control is sent only when not None.
    """
    _check_sendable_control(message.control)
    size = len(_utf8("message", message.text))
    if size > MAX_MESSAGE_BYTES:
        raise MessagingError(
            f"message of {size} UTF-8 bytes is over the {MAX_MESSAGE_BYTES} bytes of one "
            "unfragmented DisplayMessage"
        )
    if (
        message.extended_control is not None
        and message.extended_control & _RESERVED_EXTENDED_BITS
    ):
        raise MessagingError(
            f"extended message control 0x{message.extended_control:02x} sets reserved bits"
        )
    return _pack_display_message(message)


def decode_display_message(data: bytes) -> DisplayMessage:
    """Decode a DisplayMessage or DisplayProtectedMessage payload: 12 bytes + text (+ 1).

    The text may be up to 254 bytes (a fragmented message is legal). One byte after it is the
    SE 1.2a ExtendedMessageControl, read when present as WS and EXG do; more is refused.
    """
    if len(data) < _DISPLAY_MIN_SIZE:
        raise MessagingError(
            f"DisplayMessage of {len(data)} bytes is shorter than its "
            f"{_DISPLAY_MIN_SIZE}-byte minimum"
        )
    message_id, control, start_time, duration = _DISPLAY_HEAD.unpack_from(data)
    text, end = _read_string(data, _DISPLAY_HEAD.size, "DisplayMessage message")
    tail = data[end:]
    if len(tail) > 1:
        raise MessagingError(
            f"DisplayMessage has {len(tail)} bytes after its message; at most 1 "
            "(ExtendedMessageControl) may follow"
        )
    return DisplayMessage(
        message_id=message_id,
        control=MessageControl.from_byte(control),
        start_time=start_time,
        duration_minutes=duration,
        text=text,
        extended_control=ExtendedMessageControl(tail[0]) if tail else None,
    )


def _pack_display_message(message: DisplayMessage) -> bytes:
    """Pack any valid DisplayMessage, with no send-side policy (used as a device's encoder)."""
    frame = _DISPLAY_HEAD.pack(
        message.message_id,
        message.control.to_byte(),
        message.start_time,
        message.duration_minutes,
    ) + _string(_utf8("message", message.text))
    if message.extended_control is not None:
        frame += bytes((message.extended_control,))
    return frame


def message_period(
    message: DisplayMessage, received_at: datetime
) -> tuple[datetime, datetime | None]:
    """Return when a message shows: its start, and its end (None: until changed).

    received_at (timezone-aware) is when the client received it: the start of a StartTime 0
    ("now") message, which the receiver stores as its receive time (reference §6, SLD).
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise MessagingError(f"received_at {received_at!r} is not timezone-aware")
    start = (
        received_at
        if message.starts_now
        else ZCL_EPOCH + timedelta(seconds=message.start_time)
    )
    if message.until_changed:
        return start, None
    return start, start + timedelta(minutes=message.duration_minutes)


# --- CancelMessage / CancelAllMessages ----------------------------------------------------------


def encode_cancel_message(cancel: CancelMessage) -> bytes:
    """Encode CancelMessage as this integration sends it: the deprecated control is 0x00."""
    if cancel.control != MessageControl():
        raise MessagingError(
            f"CancelMessage control 0x{cancel.control.to_byte():02x} is deprecated: send 0x00"
        )
    return _pack_cancel_message(cancel)


def decode_cancel_message(data: bytes) -> CancelMessage:
    """Decode a CancelMessage payload: message id uint32, control map8 (any value)."""
    if len(data) != _CANCEL.size:
        raise MessagingError(f"CancelMessage is {_CANCEL.size} bytes, got {len(data)}")
    message_id, control = _CANCEL.unpack(data)
    return CancelMessage(message_id, MessageControl.from_byte(control))


def _pack_cancel_message(cancel: CancelMessage) -> bytes:
    """Pack any valid CancelMessage, whatever its control (used as a device's encoder)."""
    return _CANCEL.pack(cancel.message_id, cancel.control.to_byte())


def encode_cancel_all_messages(cancel_all: CancelAllMessages) -> bytes:
    """Encode CancelAllMessages: implementation time UTCTime."""
    return _UTC_TIME.pack(cancel_all.implementation_time)


def decode_cancel_all_messages(data: bytes) -> CancelAllMessages:
    """Decode a CancelAllMessages payload: implementation time UTCTime, 4 bytes."""
    if len(data) != _UTC_TIME.size:
        raise MessagingError(
            f"CancelAllMessages is {_UTC_TIME.size} bytes, got {len(data)}"
        )
    (implementation_time,) = _UTC_TIME.unpack(data)
    return CancelAllMessages(implementation_time)


# --- GetLastMessage / GetMessageCancellation ----------------------------------------------------


def encode_get_last_message() -> bytes:
    """Encode GetLastMessage: no payload."""
    return b""


def decode_get_last_message(data: bytes) -> None:
    """Check a GetLastMessage payload, which is empty.

    ZSS lists DisplayMessage's fields for it: a ZSS type bug (reference §5, §8).
    """
    if data:
        raise MessagingError(f"GetLastMessage has no payload, got {len(data)} bytes")


def encode_get_message_cancellation(request: GetMessageCancellation) -> bytes:
    """Encode GetMessageCancellation: earliest implementation time UTCTime."""
    return _UTC_TIME.pack(request.earliest_implementation_time)


def decode_get_message_cancellation(data: bytes) -> GetMessageCancellation:
    """Decode a GetMessageCancellation payload: earliest implementation time, 4 bytes."""
    if len(data) != _UTC_TIME.size:
        raise MessagingError(
            f"GetMessageCancellation is {_UTC_TIME.size} bytes, got {len(data)}"
        )
    (earliest,) = _UTC_TIME.unpack(data)
    return GetMessageCancellation(earliest)


# --- MessageConfirmation ------------------------------------------------------------------------


def encode_message_confirmation(confirmation: MessageConfirmation) -> bytes:
    """Encode MessageConfirmation as this integration sends it.

    Without a control, the 8-byte SE 1.0 form; with one, the control and the response string
    (0x00 when empty, as the spec asks), the response at most 20 UTF-8 bytes and no reserved
    control bit set.
    """
    if confirmation.control is not None:
        if confirmation.control & _RESERVED_CONFIRMATION_BITS:
            raise MessagingError(
                f"confirmation control 0x{confirmation.control:02x} sets reserved bits"
            )
        size = len(_utf8("confirmation response", confirmation.response))
        if size > MAX_CONFIRMATION_RESPONSE_BYTES:
            raise MessagingError(
                f"confirmation response of {size} UTF-8 bytes is over "
                f"{MAX_CONFIRMATION_RESPONSE_BYTES} bytes"
            )
    return _pack_message_confirmation(confirmation)


def decode_message_confirmation(data: bytes) -> MessageConfirmation:
    """Decode a MessageConfirmation payload: 8 bytes, 9, or 10 + response.

    8: SE 1.0-1.1. 9: control without the response length byte, tolerated because WS and EXG
    both read it (they stop at the end of the frame); the response reads as "". 10 + n: control
    and response string, up to 254 bytes. Anything after the string is refused.
    """
    if len(data) < _CONFIRMATION_HEAD.size:
        raise MessagingError(
            f"MessageConfirmation of {len(data)} bytes is shorter than its "
            f"{_CONFIRMATION_HEAD.size}-byte minimum"
        )
    message_id, confirmation_time = _CONFIRMATION_HEAD.unpack_from(data)
    if len(data) == _CONFIRMATION_HEAD.size:
        return MessageConfirmation(message_id, confirmation_time)
    control = ConfirmationControl(data[_CONFIRMATION_HEAD.size])
    response = ""
    if len(data) > _CONFIRMATION_HEAD.size + 1:
        response, end = _read_string(
            data, _CONFIRMATION_HEAD.size + 1, "MessageConfirmation response"
        )
        if end != len(data):
            raise MessagingError(
                f"MessageConfirmation has {len(data) - end} trailing byte(s) after its "
                "response"
            )
    return MessageConfirmation(message_id, confirmation_time, control, response)


def _pack_message_confirmation(confirmation: MessageConfirmation) -> bytes:
    """Pack any valid MessageConfirmation, with no send-side policy (a device's encoder)."""
    frame = _CONFIRMATION_HEAD.pack(
        confirmation.message_id, confirmation.confirmation_time
    )
    if confirmation.control is None:
        return frame
    return (
        frame
        + bytes((confirmation.control,))
        + _string(_utf8("confirmation response", confirmation.response))
    )


# --- strings and checks -------------------------------------------------------------------------


def _read_string(data: bytes, offset: int, name: str) -> tuple[str, int]:
    """Read the ZCL string at offset: its UTF-8 text and the offset after it."""
    length = data[offset]
    if length == INVALID_STRING_LENGTH:
        raise MessagingError(f"{name} has length byte 0xff: an invalid ZCL string")
    start = offset + 1
    end = start + length
    if end > len(data):
        raise MessagingError(
            f"{name} length byte says {length} bytes but only {len(data) - start} follow"
        )
    try:
        return data[start:end].decode("utf-8"), end
    except UnicodeDecodeError as err:
        raise MessagingError(f"{name} is not valid UTF-8: {err.reason}") from None


def _string(encoded: bytes) -> bytes:
    return bytes((len(encoded),)) + encoded


def _utf8(name: str, text: object) -> bytes:
    """Return text as UTF-8; refuse a non-string or one too long for a ZCL string."""
    if not isinstance(text, str):
        raise MessagingError(f"{name} {text!r} is not a string")
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise MessagingError(f"{name} has no UTF-8 form: {err.reason}") from None
    if len(encoded) > MAX_STRING_BYTES:
        raise MessagingError(
            f"{name} of {len(encoded)} UTF-8 bytes is over a ZCL string's "
            f"{MAX_STRING_BYTES} bytes"
        )
    return encoded


def _check_sendable_control(control: MessageControl) -> None:
    if control.reserved_bits:
        raise MessagingError(
            f"message control sets reserved bits 0x{control.reserved_bits:02x}"
        )
    if control.transmission == TransmissionMode.RESERVED:
        raise MessagingError("message control transmission mode 3 is reserved")


def _is_int(value: object) -> TypeIs[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_uint(name: str, value: object, maximum: int, note: str = "") -> None:
    if not _is_int(value):
        raise MessagingError(f"{name} {value!r} is not an integer")
    if value < 0:
        raise MessagingError(f"{name} {value} is negative{note}")
    if value > maximum:
        raise MessagingError(f"{name} {value:#x} is above {maximum:#x}{note}")


def _check_member(name: str, value: object, enum: type[IntEnum]) -> None:
    if not _is_int(value) or value not in set(enum):
        raise MessagingError(f"{name} {value!r} is not one of {[int(m) for m in enum]}")
