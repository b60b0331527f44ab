"""XBee API mode 2 framing: escaping, checksum, garbage tolerance."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from tests.simulator.network import SimNetwork
from tests.simulator.xbee import (
    FrameDecoder,
    XBeeFrontend,
    checksum,
    encode_frame,
    escape,
)


def test_checksum() -> None:
    # AT "AP" query, frame id 1: 0xFF - (0x08 + 0x01 + 0x41 + 0x50) = 0x65
    assert checksum(bytes.fromhex("08014150")) == 0x65
    # Digi user guide example: "ATNJ" with frame id 0x52 -> checksum 0x0D
    assert checksum(bytes.fromhex("08524e4a")) == 0x0D


def test_escape() -> None:
    assert escape(bytes.fromhex("007e7d1113ff")) == bytes.fromhex(
        "007d5e7d5d7d317d33ff"
    )


def test_encode_frame() -> None:
    assert encode_frame(bytes.fromhex("08014150")) == bytes.fromhex("7e00040801415065")
    # Modem status 0x06: no byte needs escaping
    assert encode_frame(bytes.fromhex("8a06")) == bytes.fromhex("7e00028a066f")
    # Data containing 0x11 and a checksum 0x7D -> both escaped
    data = bytes.fromhex("8b11e60000000000")
    assert checksum(data) == 0x7D
    assert encode_frame(data) == bytes.fromhex("7e00088b7d31e600000000007d5d")
    # The length itself is escaped too (0x0011 -> 00 7D 31)
    long_data = bytes(range(1, 18))
    assert encode_frame(long_data)[:4] == bytes.fromhex("7e007d31")


def test_decode_frames_split_at_every_byte() -> None:
    wire = encode_frame(bytes.fromhex("8b11000000000000")) + encode_frame(b"\x8a\x06")
    decoder = FrameDecoder()
    frames = []
    for byte in wire:
        frames += decoder.feed(bytes([byte]))
    assert frames == [bytes.fromhex("8b11000000000000"), b"\x8a\x06"]


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"+++",
        b"\x00\x00\xff",
        b"\x1a\xc0\x38\xbc\x7e",  # ASH RST from bellows' probe (ends with the ASH flag 0x7E)
        b"\x7e",  # a lone start byte
        b"\x7e\x00",  # truncated length
        b"\x7e\x00\x04\x08\x01\x41\x50\x00",  # bad checksum
        b"\x7e\xff\xff",  # absurd length
        b"\x7e\x00\x00",  # zero length
        b"\xfe\x00\x21\x01\x20",  # a ZNP frame
        b"\xc0\x0d\x01\x00\x05\x00\xfb\xff\xc0",  # a deCONZ SLIP frame
    ],
)
def test_garbage_is_skipped(garbage: bytes) -> None:
    frame = bytes.fromhex("08014150")
    decoder = FrameDecoder()
    assert decoder.feed(garbage + encode_frame(frame) + garbage) == [frame]
    assert decoder.feed(encode_frame(frame)) == [frame]


def test_partial_frame_is_dropped_by_new_start() -> None:
    decoder = FrameDecoder()
    frame = bytes.fromhex("8a06")
    # a frame cut short, then a complete frame
    assert decoder.feed(bytes.fromhex("7e000a0801") + encode_frame(frame)) == [frame]


@given(
    st.lists(st.binary(min_size=1, max_size=300), min_size=1, max_size=5),
    st.binary(max_size=40),
)
def test_round_trip(frames: list[bytes], garbage: bytes) -> None:
    decoder = FrameDecoder()
    wire = b"".join(encode_frame(f) for f in frames)
    assert decoder.feed(wire) == frames
    # garbage without a start byte in front of the frames never hides them
    assert decoder.feed(garbage.replace(b"\x7e", b"") + wire) == frames


def test_zdo_pass_through_follows_ao() -> None:
    """AO bit 1: supported requests to the host; bit 2: unsupported; bit 3: binding."""
    frontend = XBeeFrontend(SimNetwork())
    match_desc, bind, power_desc = 0x0006, 0x0021, 0x0003
    cases = {
        0x00: (False, False, False),
        0x01: (False, False, False),
        0x03: (True, False, False),  # zigpy-xbee
        0x05: (False, False, True),
        0x09: (False, True, False),
        0x0F: (True, True, True),
        0x2F: (False, False, False),  # bit 5: no ZDO out at all
    }
    for options, expected in cases.items():
        frontend.params["AO"] = options
        seen = tuple(
            frontend.passes_zdo_request(c) for c in (match_desc, bind, power_desc)
        )
        assert seen == expected, hex(options)
