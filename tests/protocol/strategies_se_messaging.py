"""Hypothesis strategies for Smart Energy Messaging values (reference §5).

"Sendable" values are what the integration's encoders accept (reserved bits zero, a message of
at most 59 UTF-8 bytes, a response of at most 20); "received" values are anything a device may
send and the decoders accept (reserved bits set, strings up to 254 bytes).
"""

from hypothesis import strategies as st

from custom_components.zha_device_pack.protocol.se_messaging import (
    MAX_CONFIRMATION_RESPONSE_BYTES,
    MAX_MESSAGE_BYTES,
    MAX_STRING_BYTES,
    RESERVED_CONTROL_BITS,
    UINT32_MAX,
    UTC_TIME_INVALID,
    CancelAllMessages,
    CancelMessage,
    ConfirmationControl,
    DisplayMessage,
    ExtendedMessageControl,
    GetMessageCancellation,
    Importance,
    MessageConfirmation,
    MessageControl,
    TransmissionMode,
)

message_ids = st.integers(0, UINT32_MAX)
utc_times = st.integers(0, UINT32_MAX)
start_times = st.integers(0, UTC_TIME_INVALID - 1)
durations = st.integers(0, 0xFFFF)


def texts(max_bytes: int) -> st.SearchStrategy[str]:
    """Text of at most max_bytes UTF-8 bytes, often with multi-byte characters."""
    return st.text(max_size=max_bytes).filter(
        lambda text: len(text.encode("utf-8")) <= max_bytes
    ) | st.text(max_size=max_bytes // 4)


sendable_controls = st.builds(
    MessageControl,
    transmission=st.sampled_from(
        [mode for mode in TransmissionMode if mode != TransmissionMode.RESERVED]
    ),
    importance=st.sampled_from(Importance),
    enhanced_confirmation_required=st.booleans(),
    confirmation_required=st.booleans(),
)
received_controls = st.integers(0, 0xFF).map(MessageControl.from_byte)
reserved_control_bits = st.sampled_from([0x10, 0x40, RESERVED_CONTROL_BITS])

sendable_display_messages = st.builds(
    DisplayMessage,
    message_id=message_ids,
    control=sendable_controls,
    start_time=start_times,
    duration_minutes=durations,
    text=texts(MAX_MESSAGE_BYTES),
    extended_control=st.none()
    | st.sampled_from(
        [ExtendedMessageControl(0), ExtendedMessageControl.MESSAGE_CONFIRMED]
    ),
)
received_display_messages = st.builds(
    DisplayMessage,
    message_id=message_ids,
    control=received_controls,
    start_time=start_times,
    duration_minutes=durations,
    text=texts(MAX_STRING_BYTES),
    extended_control=st.none() | st.integers(0, 0xFF).map(ExtendedMessageControl),
)

received_cancel_messages = st.builds(
    CancelMessage, message_id=message_ids, control=received_controls
)
cancel_all_messages = st.builds(CancelAllMessages, implementation_time=start_times)
get_message_cancellations = st.builds(
    GetMessageCancellation, earliest_implementation_time=utc_times
)

# Neither, NO or YES (both is refused), with or without reserved bits.
_answers = st.sampled_from([0x00, ConfirmationControl.NO, ConfirmationControl.YES])
sendable_confirmations = st.one_of(
    st.builds(MessageConfirmation, message_ids, utc_times),
    st.builds(
        MessageConfirmation,
        message_ids,
        utc_times,
        _answers.map(ConfirmationControl),
        texts(MAX_CONFIRMATION_RESPONSE_BYTES),
    ),
)
received_confirmations = st.one_of(
    st.builds(MessageConfirmation, message_ids, utc_times),
    st.builds(
        MessageConfirmation,
        message_ids,
        utc_times,
        st.tuples(_answers, st.integers(0, 0x3F)).map(
            lambda pair: ConfirmationControl(pair[0] | pair[1] << 2)
        ),
        texts(MAX_STRING_BYTES),
    ),
)
