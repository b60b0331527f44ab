"""Tests of the Metering codec's mirror commands (reference §2.2 "Mirroring", seed 001 §10.4.5).

RequestMirror (server -> client 0x01) and RemoveMirror (0x02) carry no payload;
RequestMirrorResponse (client -> server 0x01) and MirrorRemoved (0x02) one uint16 EndPointID,
little-endian, whose low byte is the endpoint (0x01-0xF0); 0xFFFF means the ESI cannot mirror
(RequestMirrorResponse) or removed none (MirrorRemoved, as Silicon Labs' meter-mirror plugin
answers for an unknown meter).
"""

from collections.abc import Callable
import contextlib

from hypothesis import given, strategies as st
import pytest

from custom_components.zha_device_pack.protocol.metering import (
    MIRROR_NOT_POSSIBLE,
    MeteringError,
    decode_mirror_removed,
    decode_remove_mirror,
    decode_request_mirror,
    decode_request_mirror_response,
    encode_mirror_removed,
    encode_remove_mirror,
    encode_request_mirror,
    encode_request_mirror_response,
)

VALID_ENDPOINTS = st.one_of(st.integers(0x01, 0xF0), st.just(0xFFFF))


def test_vectors() -> None:
    # reference §2.2: EndPointID uint16 LE; mirror on endpoint 0x4D, then "cannot mirror"
    assert encode_request_mirror_response(0x4D) == bytes.fromhex("4d 00")
    assert encode_request_mirror_response(MIRROR_NOT_POSSIBLE) == bytes.fromhex("ff ff")
    assert decode_request_mirror_response(bytes.fromhex("4d 00")) == 0x4D
    assert encode_mirror_removed(0xE3) == bytes.fromhex("e3 00")
    assert decode_mirror_removed(bytes.fromhex("ff ff")) == MIRROR_NOT_POSSIBLE
    # the meter's requests: no payload
    assert encode_request_mirror() == encode_remove_mirror() == b""
    assert decode_request_mirror(b"") is None
    assert decode_remove_mirror(b"") is None


@pytest.mark.parametrize("decode", [decode_request_mirror, decode_remove_mirror])
def test_requests_have_no_payload(decode: Callable[[bytes], None]) -> None:
    with pytest.raises(MeteringError, match="no payload, got 1 bytes"):
        decode(b"\x01")


@pytest.mark.parametrize(
    "encode", [encode_request_mirror_response, encode_mirror_removed]
)
@pytest.mark.parametrize(
    ("endpoint", "match"),
    [
        (0, "endpoint 0 is the ZDO's"),
        (0xF1, "above 0xf0"),
        (0x0141, "above 0xf0"),
        (0xFFFE, "above 0xf0"),
        (-1, "negative"),
        (True, "not an integer"),
        ("65", "not an integer"),
    ],
)
def test_endpoint_refused(
    encode: Callable[[int], bytes], endpoint: object, match: str
) -> None:
    with pytest.raises(MeteringError, match=match):
        encode(endpoint)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "decode", [decode_request_mirror_response, decode_mirror_removed]
)
@pytest.mark.parametrize(
    ("hex_frame", "match"),
    [
        ("", "is 2 bytes, got 0"),
        ("4d", "is 2 bytes, got 1"),
        ("4d 00 00", "is 2 bytes, got 3"),
        ("00 00", "endpoint 0 is the ZDO's"),
        ("4d 01", "above 0xf0"),  # a high byte other than for 0xFFFF
        ("f1 00", "above 0xf0"),
    ],
)
def test_endpoint_frame_refused(
    decode: Callable[[bytes], int], hex_frame: str, match: str
) -> None:
    with pytest.raises(MeteringError, match=match):
        decode(bytes.fromhex(hex_frame))


@given(VALID_ENDPOINTS)
def test_round_trip(endpoint: int) -> None:
    assert (
        decode_request_mirror_response(encode_request_mirror_response(endpoint))
        == endpoint
    )
    assert decode_mirror_removed(encode_mirror_removed(endpoint)) == endpoint


@pytest.mark.parametrize(
    "decode",
    [
        decode_request_mirror,
        decode_remove_mirror,
        decode_request_mirror_response,
        decode_mirror_removed,
    ],
)
@given(data=st.binary(max_size=8))
def test_garbage_in(decode: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(MeteringError):
        decode(data)
