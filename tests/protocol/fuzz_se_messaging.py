"""Fuzz targets for the Smart Energy Messaging decoders (see tests/protocol/fuzz.py).

A decoder's target encodes the way a device may send, so that everything the decoder accepts
re-encodes: reserved bits and strings up to 254 bytes go through the codec's packers, not the
integration's stricter send-side encoders.
"""

import random

from custom_components.zha_device_pack.protocol import se_messaging as sm
from tests.protocol.fuzz import DecoderTarget

# Characters of 1 to 4 UTF-8 bytes, NUL included: texts cross the 59- and 20-byte caps.
_CHARACTERS = "aZ09 ,.\x00äß€→✓😀"


def _edge(rng: random.Random, low: int, high: int) -> int:
    """Mostly uniform, with the bounds over-represented."""
    roll = rng.random()
    if roll < 0.1:
        return low
    if roll < 0.2:
        return high
    return rng.randint(low, high)


def _text(rng: random.Random, max_bytes: int) -> str:
    text = ""
    for _ in range(_edge(rng, 0, max_bytes)):
        character = rng.choice(_CHARACTERS)
        if len((text + character).encode("utf-8")) > max_bytes:
            break
        text += character
    return text


def random_display_message(rng: random.Random) -> sm.DisplayMessage:
    """Build a DisplayMessage a device may send: any control, text mostly unfragmented."""
    max_bytes = sm.MAX_STRING_BYTES if rng.random() < 0.1 else sm.MAX_MESSAGE_BYTES
    return sm.DisplayMessage(
        message_id=_edge(rng, 0, sm.UINT32_MAX),
        control=sm.MessageControl.from_byte(rng.randrange(256)),
        start_time=_edge(rng, 0, sm.UTC_TIME_INVALID - 1),
        duration_minutes=_edge(rng, 0, sm.UINT16_MAX),
        text=_text(rng, max_bytes),
        extended_control=None
        if rng.random() < 0.3
        else sm.ExtendedMessageControl(_edge(rng, 0, sm.UINT8_MAX)),
    )


def random_cancel_message(rng: random.Random) -> sm.CancelMessage:
    """Build a CancelMessage, its deprecated control often non-zero (as Silicon Labs sends)."""
    return sm.CancelMessage(
        _edge(rng, 0, sm.UINT32_MAX), sm.MessageControl.from_byte(rng.randrange(256))
    )


def random_message_confirmation(rng: random.Random) -> sm.MessageConfirmation:
    """Build a MessageConfirmation in its 8-byte or SE 1.2a form."""
    message_id = _edge(rng, 0, sm.UINT32_MAX)
    confirmation_time = _edge(rng, 0, sm.UINT32_MAX)
    if rng.random() < 0.3:
        return sm.MessageConfirmation(message_id, confirmation_time)
    answer = rng.choice((0x00, sm.ConfirmationControl.NO, sm.ConfirmationControl.YES))
    reserved = rng.randrange(0x40) << 2 if rng.random() < 0.2 else 0
    max_bytes = (
        sm.MAX_STRING_BYTES
        if rng.random() < 0.1
        else sm.MAX_CONFIRMATION_RESPONSE_BYTES
    )
    return sm.MessageConfirmation(
        message_id,
        confirmation_time,
        sm.ConfirmationControl(answer | reserved),
        _text(rng, max_bytes),
    )


TARGETS: tuple[DecoderTarget, ...] = (
    DecoderTarget(
        "se_messaging.decode_display_message",
        sm.decode_display_message,
        sm._pack_display_message,
        sm.MessagingError,
        random_display_message,
    ),
    DecoderTarget(
        "se_messaging.decode_cancel_message",
        sm.decode_cancel_message,
        sm._pack_cancel_message,
        sm.MessagingError,
        random_cancel_message,
    ),
    DecoderTarget(
        "se_messaging.decode_cancel_all_messages",
        sm.decode_cancel_all_messages,
        sm.encode_cancel_all_messages,
        sm.MessagingError,
        lambda rng: sm.CancelAllMessages(_edge(rng, 0, sm.UTC_TIME_INVALID - 1)),
    ),
    DecoderTarget(
        "se_messaging.decode_get_last_message",
        sm.decode_get_last_message,
        lambda _: sm.encode_get_last_message(),
        sm.MessagingError,
        lambda _: None,
    ),
    DecoderTarget(
        "se_messaging.decode_get_message_cancellation",
        sm.decode_get_message_cancellation,
        sm.encode_get_message_cancellation,
        sm.MessagingError,
        lambda rng: sm.GetMessageCancellation(_edge(rng, 0, sm.UINT32_MAX)),
    ),
    DecoderTarget(
        "se_messaging.decode_message_confirmation",
        sm.decode_message_confirmation,
        sm._pack_message_confirmation,
        sm.MessagingError,
        random_message_confirmation,
    ),
)
