"""XBee API (API mode 2, escaped) frontend: a TCP server zigpy-xbee connects to.

Point zigpy-xbee / ZHA (radio type ``xbee``) at ``socket://127.0.0.1:<port>``.
The frames follow Digi's "Zigbee RF Modules" user guide and what zigpy-xbee
0.22 sends; see ``/work/shared/research/sim_coordinator.md``.
"""

from __future__ import annotations

import asyncio
from collections import deque
import functools
import logging
import os
from typing import Any, Final, Self

import zigpy.types as t
import zigpy.zdo.types as zdo_t

from .network import (
    BROADCAST_ADDRESSES,
    Delivery,
    DeliveryStatus,
    HostFrame,
    RadioFrontend,
    SimNetwork,
)

_LOGGER = logging.getLogger(__name__)

START: Final = 0x7E
ESCAPE: Final = 0x7D
XON: Final = 0x11
XOFF: Final = 0x13
RESERVED: Final = frozenset({START, ESCAPE, XON, XOFF})
MAX_FRAME_LENGTH: Final = 0x0800

# Frame types
AT_COMMAND: Final = 0x08
AT_COMMAND_QUEUED: Final = 0x09
TX_REQUEST: Final = 0x10
TX_EXPLICIT: Final = 0x11
REMOTE_AT_COMMAND: Final = 0x17
CREATE_SOURCE_ROUTE: Final = 0x21
REGISTER_JOINING_DEVICE: Final = 0x24
AT_RESPONSE: Final = 0x88
MODEM_STATUS: Final = 0x8A
TX_STATUS: Final = 0x8B
EXPLICIT_RX: Final = 0x91
REMOTE_AT_RESPONSE: Final = 0x97
REGISTRATION_STATUS: Final = 0xA4

# AT command status
AT_OK: Final = 0
AT_ERROR: Final = 1
AT_INVALID_COMMAND: Final = 2
AT_INVALID_PARAMETER: Final = 3
AT_TX_FAILURE: Final = 4

# Modem status
MODEM_HARDWARE_RESET: Final = 0x00
MODEM_WATCHDOG_RESET: Final = 0x01
MODEM_COORDINATOR_STARTED: Final = 0x06

# TX status delivery codes
TX_SUCCESS: Final = 0x00
TX_NETWORK_ACK_FAILURE: Final = 0x21
TX_ADDRESS_NOT_FOUND: Final = 0x24
#: "Indirect message unrequested" (Digi XBee 3 Zigbee / S2C user guides, Transmit
#: Status frame 0x8B): a frame held for a sleeping end device child that did not
#: poll for it before the parent's buffering timeout.  zigpy-xbee's TXStatus enum
#: lacks it (its INDIRECT_TX_TIMEOUT 0x03 is the 802.15.4 firmware's code), so it
#: maps it to its undefined member; any non-zero status raises DeliveryError.
TX_INDIRECT_MESSAGE_UNREQUESTED: Final = 0x75
DELIVERY_CODES: Final = {
    DeliveryStatus.SUCCESS: TX_SUCCESS,
    DeliveryStatus.NO_ACK: TX_NETWORK_ACK_FAILURE,
    DeliveryStatus.ADDRESS_NOT_FOUND: TX_ADDRESS_NOT_FOUND,
    DeliveryStatus.EXPIRED: TX_INDIRECT_MESSAGE_UNREQUESTED,
}

# Receive options
RX_ACKNOWLEDGED: Final = 0x01
RX_BROADCAST: Final = 0x02

TX_OPTION_GROUP: Final = 0x08

# AO (API Options) bits deciding who answers ZDO requests received by the XBee.
AO_SUPPORTED_ZDO_PASSTHROUGH: Final = 0x02
AO_UNSUPPORTED_ZDO_PASSTHROUGH: Final = 0x04
AO_BINDING_PASSTHROUGH: Final = 0x08
AO_NO_ZDO_OUTPUT: Final = 0x20
_ZDO = zdo_t.ZDOCmd
#: ZDO requests the XBee answers by itself (Digi's table of ZDO commands).
XBEE_SUPPORTED_ZDO: Final = frozenset(
    {
        _ZDO.NWK_addr_req,
        _ZDO.IEEE_addr_req,
        _ZDO.Node_Desc_req,
        _ZDO.Simple_Desc_req,
        _ZDO.Active_EP_req,
        _ZDO.Match_Desc_req,
        _ZDO.Mgmt_Lqi_req,
        _ZDO.Mgmt_Rtg_req,
        _ZDO.Mgmt_Leave_req,
        _ZDO.Mgmt_Permit_Joining_req,
        _ZDO.Mgmt_NWK_Update_req,
    }
)
XBEE_BINDING_ZDO: Final = frozenset(
    {_ZDO.End_Device_Bind_req, _ZDO.Bind_req, _ZDO.Unbind_req}
)

#: Energy per channel 11..26 in -dBm (what `ATED` returns); 25 is the quietest.
DEFAULT_ENERGY: Final = (72, 65, 65, 92, 61, 76, 62, 72, 61, 67, 83, 90, 79, 74, 88, 90)
FIRST_CHANNEL: Final = 11
LAST_CHANNEL: Final = 26
#: What ``DB`` answers before any frame was received (-40 dBm).
DEFAULT_DB: Final = 0x28

#: Writable integer AT parameters: name -> (size in bytes, factory default).
WRITABLE_PARAMS: Final[dict[str, tuple[int, int]]] = {
    "AP": (1, 2),
    "AO": (1, 0),
    "CE": (1, 1),
    "ID": (8, 0),
    "ZS": (1, 0),
    "SC": (2, 0x7FFF),
    "EE": (1, 0),
    "EO": (1, 0),
    "NJ": (1, 0),
    "SP": (2, 0x20),
    "SN": (2, 1),
    "KT": (2, 0x012C),
    "SD": (1, 3),
    "NH": (1, 0x1E),
    "BH": (1, 0),
    "AR": (1, 0xFF),
    "JV": (1, 0),
    "JN": (1, 0),
    "DJ": (1, 0),
    "NW": (2, 0),
    "NO": (1, 0),
    "NT": (1, 0x3C),
    "CR": (1, 3),
    "PL": (1, 4),
    "PM": (1, 1),
    "BD": (1, 7),
    "NB": (1, 0),
    "SB": (1, 0),
    "RO": (1, 3),
    "SM": (1, 0),
    "ST": (2, 0x1388),
    "SO": (1, 0),
    "DH": (4, 0),
    "DL": (4, 0xFFFF),
    "D6": (1, 0),
    "D7": (1, 1),
}
#: Parameters whose change (re-)forms the network on WR / AC.
FORMATION_PARAMS: Final = frozenset({"ID", "ZS", "SC", "EE", "EO", "NK", "KY"})
KEY_PARAMS: Final = frozenset({"NK", "KY"})
EXECUTE_COMMANDS: Final = frozenset({"WR", "AC", "NR", "FR", "RE", "CN", "DA"})


# -- framing ----------------------------------------------------------------------------


def checksum(data: bytes) -> int:
    """Return the API frame checksum of the (unescaped) frame data."""
    return 0xFF - (sum(data) & 0xFF)


def escape(data: bytes) -> bytes:
    """Escape 0x7E 0x7D 0x11 0x13 as 0x7D, byte ^ 0x20 (API mode 2)."""
    out = bytearray()
    for byte in data:
        if byte in RESERVED:
            out += bytes([ESCAPE, byte ^ 0x20])
        else:
            out.append(byte)
    return bytes(out)


def encode_frame(data: bytes) -> bytes:
    """Frame API data: 0x7E, escaped(length BE + data + checksum)."""
    return bytes([START]) + escape(
        len(data).to_bytes(2, "big") + data + bytes([checksum(data)])
    )


class FrameDecoder:
    """Incremental API mode 2 de-framer that silently skips garbage.

    Bytes before a start delimiter, frames with a bad checksum or an absurd length,
    and frames cut short by a new start delimiter are dropped.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the complete, valid frames (unescaped data)."""
        self._buffer += data
        frames: list[bytes] = []
        while True:
            start = self._buffer.find(START)
            if start < 0:
                self.dropped += len(self._buffer)
                self._buffer.clear()
                return frames
            if start:
                self.dropped += start
                del self._buffer[:start]
            result = self._parse()
            if result is None:
                return frames  # incomplete: wait for more bytes
            consumed, frame = result
            del self._buffer[:consumed]
            if frame is None:
                self.dropped += consumed
            else:
                frames.append(frame)

    def _parse(self) -> tuple[int, bytes | None] | None:
        """Parse the frame at the buffer start: (bytes consumed, frame or None)."""
        buffer = self._buffer
        out = bytearray()
        length: int | None = None
        index = 1
        while True:
            if index >= len(buffer):
                return None
            byte = buffer[index]
            if byte == START:
                return index, None  # a new frame starts: drop the partial one
            if byte == ESCAPE:
                if index + 1 >= len(buffer):
                    return None
                byte = buffer[index + 1] ^ 0x20
                index += 1
            index += 1
            out.append(byte)
            if length is None and len(out) == 2:
                length = int.from_bytes(out, "big")
                if length == 0 or length > MAX_FRAME_LENGTH:
                    return 1, None
                out.clear()
            elif length is not None and len(out) == length + 1:
                data, received = bytes(out[:-1]), out[-1]
                if checksum(data) != received:
                    return 1, None
                return index, data


# -- the frontend -----------------------------------------------------------------------


def eui64_from_wire(data: bytes) -> t.EUI64:
    """Convert an address sent MSB first into an EUI64."""
    return t.EUI64(data[::-1])


def eui64_to_wire(ieee: t.EUI64) -> bytes:
    """Convert an EUI64 into the MSB-first wire form."""
    return bytes(ieee.serialize()[::-1])


class _Connection(asyncio.Protocol):
    """One TCP connection from the host."""

    def __init__(self, frontend: XBeeFrontend) -> None:
        self.frontend = frontend
        self.decoder = FrameDecoder()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.frontend.connection_made(self)

    def data_received(self, data: bytes) -> None:
        for frame in self.decoder.feed(data):
            try:
                self.frontend.handle_frame(self, frame)
            except Exception:
                _LOGGER.exception("Error handling XBee frame %s", frame.hex())

    def connection_lost(self, exc: Exception | None) -> None:
        self.frontend.connection_lost(self)

    def send(self, data: bytes) -> bool:
        if self.transport is None or self.transport.is_closing():
            return False
        self.frontend.trace.append(("tx", data))
        self.transport.write(encode_frame(data))
        return True


class XBeeFrontend(RadioFrontend):
    """Digi XBee (Zigbee, API mode 2) coordinator frontend of a `SimNetwork`.

    Network state survives reconnects (the host opens several short-lived
    connections during HA's config flow); unsolicited frames go to the newest
    connection.
    """

    name = "xbee"

    def __init__(self, network: SimNetwork) -> None:
        self.network = network
        self.params: dict[str, Any] = network.frontend_state.setdefault(self.name, {})
        for param, (_, default) in WRITABLE_PARAMS.items():
            self.params.setdefault(param, default)
        #: ``ED`` answer: energy of channels 11..26 in -dBm (0..255; 72 = -72 dBm).
        self.energy: list[int] = list(DEFAULT_ENERGY)
        #: False: ``ED`` is answered with status 2 (invalid command), as by a radio
        #: that cannot scan; zigpy-xbee then returns 0 for every channel.
        self.energy_scan_supported = True
        #: The parameter of every ``ED`` request, in order (zigpy-xbee sends its
        #: scan duration exponent as one byte: ``b"\x04"``; b"" without one).
        self.energy_scans: list[bytes] = []
        #: Seconds before a failed unicast reports its TX status.
        self.failure_delay = 0.0
        self.connections: list[_Connection] = []
        #: Every frame exchanged, unescaped: ("rx" | "tx", frame data).
        self.trace: deque[tuple[str, bytes]] = deque(maxlen=10000)
        self._pending: dict[str, Any] = {}
        self._formation_dirty = False
        self._server: asyncio.Server | None = None

    # -- lifecycle ----------------------------------------------------------------

    @classmethod
    async def start(
        cls, network: SimNetwork, host: str = "127.0.0.1", port: int = 0
    ) -> Self:
        """Start a frontend listening on ``host:port`` (0: an ephemeral port)."""
        frontend = cls(network)
        loop = asyncio.get_running_loop()
        frontend._server = await loop.create_server(
            lambda: _Connection(frontend), host, port
        )
        network.attach_frontend(frontend)
        _LOGGER.info("XBee simulator listening on %s:%d", host, frontend.port)
        return frontend

    @property
    def port(self) -> int:
        """Return the TCP port the server listens on."""
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def path(self) -> str:
        """Return the zigpy device path, ``socket://127.0.0.1:<port>``."""
        return f"socket://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        """Stop listening and drop every connection."""
        self.network.detach_frontend(self)
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.close()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        self.connections.clear()

    @property
    def channel_energy(self) -> dict[int, int]:
        """Return the ``ED`` energy by channel (11..26), in -dBm."""
        return dict(
            zip(range(FIRST_CHANNEL, LAST_CHANNEL + 1), self.energy, strict=True)
        )

    @channel_energy.setter
    def channel_energy(self, values: dict[int, int]) -> None:
        """Set the energy (-dBm, 0..255) of the given channels; the others keep theirs."""
        energy = list(self.energy)
        for channel, value in values.items():
            if not FIRST_CHANNEL <= channel <= LAST_CHANNEL:
                raise ValueError(f"channel {channel} outside 11..26")
            if not 0 <= value <= 0xFF:
                raise ValueError(f"energy {value} outside 0..255 (-dBm)")
            energy[channel - FIRST_CHANNEL] = int(value)
        self.energy = energy

    @property
    def active(self) -> _Connection | None:
        """Return the newest open connection (it gets unsolicited frames)."""
        for connection in reversed(self.connections):
            if (
                connection.transport is not None
                and not connection.transport.is_closing()
            ):
                return connection
        return None

    def connection_made(self, connection: _Connection) -> None:
        """Register a new host connection (the last connection wins)."""
        self.connections.append(connection)
        _LOGGER.debug("Host connected (%d connections)", len(self.connections))

    def connection_lost(self, connection: _Connection) -> None:
        """Forget a closed connection."""
        if connection in self.connections:
            self.connections.remove(connection)
        _LOGGER.debug("Host disconnected (%d connections)", len(self.connections))

    # -- RadioFrontend --------------------------------------------------------------

    def deliver_to_host(self, frame: HostFrame) -> bool:
        """Send an explicit RX indicator (0x91) to the active connection."""
        connection = self.active
        if connection is None:
            return False
        data = (
            bytes([EXPLICIT_RX])
            + eui64_to_wire(frame.src_ieee)
            + frame.src_nwk.to_bytes(2, "big")
            + bytes([frame.src_ep, frame.dst_ep])
            + frame.cluster_id.to_bytes(2, "big")
            + frame.profile_id.to_bytes(2, "big")
            + bytes([RX_BROADCAST if frame.broadcast else RX_ACKNOWLEDGED])
            + frame.data
        )
        return connection.send(data)

    def passes_zdo_request(self, cluster_id: int) -> bool:
        """Follow AO bits 1-3 (zigpy-xbee sets AO=3: supported requests go to the host).

        Bit 1 passes supported requests (Match_Desc_req among them) through, bit 2
        unsupported ones, bit 3 binding requests; bit 5 keeps every ZDO message
        from the host.  A request that is not passed through is answered by the XBee.
        """
        options = int(self.params.get("AO", 0))
        if options & AO_NO_ZDO_OUTPUT:
            return False
        if cluster_id in XBEE_BINDING_ZDO:
            return bool(options & AO_BINDING_PASSTHROUGH)
        if cluster_id in XBEE_SUPPORTED_ZDO:
            return bool(options & AO_SUPPORTED_ZDO_PASSTHROUGH)
        return bool(options & AO_UNSUPPORTED_ZDO_PASSTHROUGH)

    def modem_status(self, status: int, connection: _Connection | None = None) -> None:
        """Send a modem status frame (0x8A)."""
        target = connection or self.active
        if target is not None:
            target.send(bytes([MODEM_STATUS, status]))

    # -- host frames ----------------------------------------------------------------

    def handle_frame(self, connection: _Connection, frame: bytes) -> None:
        """Dispatch one API frame from the host."""
        self.trace.append(("rx", frame))
        frame_type = frame[0]
        if frame_type in (AT_COMMAND, AT_COMMAND_QUEUED):
            self._handle_at(connection, frame)
        elif frame_type == TX_EXPLICIT:
            self._handle_tx_explicit(connection, frame)
        elif frame_type == TX_REQUEST:
            self._handle_tx_request(connection, frame)
        elif frame_type == REMOTE_AT_COMMAND:
            self._handle_remote_at(connection, frame)
        elif frame_type == REGISTER_JOINING_DEVICE:
            if len(frame) >= 2 and frame[1]:
                connection.send(bytes([REGISTRATION_STATUS, frame[1], 0x00]))
        elif frame_type == CREATE_SOURCE_ROUTE:
            pass  # no response frame exists
        else:
            _LOGGER.debug("Ignoring unknown XBee frame type 0x%02X", frame_type)

    def _at_reply(
        self,
        connection: _Connection,
        frame_id: int,
        command: bytes,
        status: int,
        value: bytes = b"",
    ) -> None:
        if frame_id:
            connection.send(
                bytes([AT_RESPONSE, frame_id]) + command + bytes([status]) + value
            )

    def _handle_at(self, connection: _Connection, frame: bytes) -> None:
        if len(frame) < 4:
            return
        queued = frame[0] == AT_COMMAND_QUEUED
        frame_id, raw_command, value = frame[1], frame[2:4], frame[4:]
        command = raw_command.decode("ascii", "replace").upper()
        status, response = self._at_command(connection, command, value, queued=queued)
        self._at_reply(connection, frame_id, raw_command, status, response)
        if status == AT_OK and command in ("WR", "FR"):
            self._after_write(connection, command)

    def _at_command(
        self, connection: _Connection, command: str, value: bytes, *, queued: bool
    ) -> tuple[int, bytes]:
        """Execute an AT command; return (status, response value)."""
        if command in EXECUTE_COMMANDS:
            return self._execute(command)
        if command == "ED":
            return self._energy_detect(value)
        if value:
            return self._write(command, value, queued=queued)
        return self._read(command)

    def _energy_detect(self, value: bytes) -> tuple[int, bytes]:
        """``ED``: the energy of channels 11..26 in -dBm (answered at once)."""
        self.energy_scans.append(bytes(value))
        if not self.energy_scan_supported:
            return AT_INVALID_COMMAND, b""
        return AT_OK, bytes(self.energy)

    def _read(self, command: str) -> tuple[int, bytes]:
        network = self.network
        msb_ieee = eui64_to_wire(network.ieee)
        epid = int.from_bytes(network.extended_pan_id.serialize(), "little")
        formed = network.formed
        computed: dict[str, tuple[int, int]] = {
            "MY": (2, 0x0000),
            "MP": (2, 0xFFFE),
            "SH": (4, int.from_bytes(msb_ieee[:4], "big")),
            "SL": (4, int.from_bytes(msb_ieee[4:], "big")),
            "VR": (2, 0x100A),
            "HV": (2, 0x2241),
            "OI": (2, network.pan_id),
            "ID": (8, epid if formed else self.params["ID"]),
            "OP": (8, epid if formed else 0),
            "CH": (1, network.channel),
            "AI": (1, 0x00),
            "DB": (1, self._last_rssi_byte()),
            "NP": (2, 0x00FF),
            "NC": (1, 20),
            "DD": (4, 0x000A0000),
            "%V": (2, 0x0CE4),
            "EE": (1, 1 if formed else self.params["EE"]),
            "EO": (1, (self.params["EO"] | 0x02) if formed else self.params["EO"]),
            "ZS": (1, 2 if formed else self.params["ZS"]),
        }
        if command in computed:
            size, number = computed[command]
            return AT_OK, number.to_bytes(size, "big")
        if command in KEY_PARAMS:
            return AT_OK, b""  # keys cannot be read back
        if command == "NI":
            return AT_OK, b" "
        if command in WRITABLE_PARAMS:
            size, _ = WRITABLE_PARAMS[command]
            return AT_OK, int(self.params[command]).to_bytes(size, "big")
        return AT_INVALID_COMMAND, b""

    def _last_rssi_byte(self) -> int:
        """``DB``: -RSSI (dBm) of the last frame received from a device."""
        rssi = self.network.last_rssi
        return DEFAULT_DB if rssi is None else min(max(-rssi, 0), 0xFF)

    def _write(self, command: str, value: bytes, *, queued: bool) -> tuple[int, bytes]:
        parsed: Any
        if command in KEY_PARAMS:
            if len(value) > 16:
                return AT_INVALID_PARAMETER, b""
            parsed = value.rjust(16, b"\x00")
        elif command in WRITABLE_PARAMS:
            size, _ = WRITABLE_PARAMS[command]
            if len(value) > size:
                return AT_INVALID_PARAMETER, b""
            parsed = int.from_bytes(value, "big")
        elif command == "NI":
            return AT_OK, b""
        else:
            return AT_INVALID_COMMAND, b""
        if queued:
            self._pending[command] = parsed
        else:
            self._apply({command: parsed})
        return AT_OK, b""

    def _apply(self, changes: dict[str, Any]) -> None:
        for command, value in changes.items():
            if command in FORMATION_PARAMS:
                self._formation_dirty = True
            if command in KEY_PARAMS:
                self._pending_keys()[command] = value.hex()
                continue
            self.params[command] = value
            if command == "NJ":
                self.network.permit_join(value)
        self.network.notify_changed()

    def _pending_keys(self) -> dict[str, str]:
        keys: dict[str, str] = self.params.setdefault("keys", {})
        return keys

    def _execute(self, command: str) -> tuple[int, bytes]:
        if command in ("AC", "WR"):
            pending, self._pending = self._pending, {}
            self._apply(pending)
            formed = self._maybe_form()
            if command == "AC" and formed:
                self.modem_status(MODEM_COORDINATOR_STARTED)
        # NR (network reset), RE (restore defaults), CN, DA: acknowledged, no effect.
        return AT_OK, b""

    def _after_write(self, connection: _Connection, command: str) -> None:
        if command == "FR":
            self.modem_status(MODEM_WATCHDOG_RESET, connection)
        if self.network.formed:
            self.modem_status(MODEM_COORDINATOR_STARTED, connection)

    def _maybe_form(self) -> bool:
        """(Re-)form the network after WR/AC if formation parameters changed."""
        if not self._formation_dirty:
            return False
        self._formation_dirty = False
        params = self.params
        if params["EE"] != 1 or params["ZS"] != 2:
            return False
        mask = int(params["SC"]) & 0xFFFF or 0x7FFF
        channel = 11 + (mask & -mask).bit_length() - 1
        epid_value = int(params["ID"])
        epid: t.ExtendedPanId
        if epid_value:
            epid = t.ExtendedPanId(epid_value.to_bytes(8, "little"))
        elif self.network.formed:
            epid = self.network.extended_pan_id
        else:
            epid = t.ExtendedPanId(os.urandom(8))
        keys = self._pending_keys()
        self.network.form(
            channel=channel,
            extended_pan_id=epid,
            network_key=bytes.fromhex(keys["NK"]) if "NK" in keys else None,
            tc_link_key=bytes.fromhex(keys["KY"]) if "KY" in keys else None,
        )
        return True

    def _handle_tx_explicit(self, connection: _Connection, frame: bytes) -> None:
        if len(frame) < 20:
            return
        frame_id = frame[1]
        dst64 = eui64_from_wire(frame[2:10])
        dst16 = int.from_bytes(frame[10:12], "big")
        src_ep, dst_ep = frame[12], frame[13]
        cluster_id = int.from_bytes(frame[14:16], "big")
        profile_id = int.from_bytes(frame[16:18], "big")
        options = frame[19]
        data = frame[20:]

        epid_broadcast = frame[2:10] == b"\x00\x00\x00\x00\x00\x00\xff\xff"
        kwargs: dict[str, Any] = {
            "src_ep": src_ep,
            "dst_ep": dst_ep,
            "cluster_id": cluster_id,
            "profile_id": profile_id,
            "data": data,
            "dst_ieee": None,
            "dst_nwk": None,
        }
        if options & TX_OPTION_GROUP:
            delivery = self.network.send_from_host(group=dst16, **kwargs)
        elif (dst16 in BROADCAST_ADDRESSES and dst16 != 0xFFFE) or epid_broadcast:
            broadcast = (
                dst16 if dst16 in BROADCAST_ADDRESSES and dst16 != 0xFFFE else 0xFFFF
            )
            delivery = self.network.send_from_host(broadcast=broadcast, **kwargs)
        else:
            kwargs["dst_ieee"] = dst64
            kwargs["dst_nwk"] = None if dst16 == 0xFFFE else dst16
            delivery = self.network.send_from_host(**kwargs)
        if not frame_id:
            return
        if delivery.pending and delivery.result is not None:
            # The XBee reports a frame for a sleeping child once the child polled
            # for it, or failed when its buffering time is over; a frame over a
            # link with latency when the APS ack is back (or not).
            delivery.result.add_done_callback(
                functools.partial(self._tx_status_when_done, connection, frame_id)
            )
        else:
            self._tx_status(connection, frame_id, delivery)

    def _tx_status_when_done(
        self,
        connection: _Connection,
        frame_id: int,
        result: asyncio.Future[Delivery],
    ) -> None:
        if not result.cancelled():
            self._tx_status(connection, frame_id, result.result())

    def _tx_status(
        self, connection: _Connection, frame_id: int, delivery: Delivery
    ) -> None:
        status = bytes(
            [
                TX_STATUS,
                frame_id,
                *delivery.nwk.to_bytes(2, "big"),
                0,
                DELIVERY_CODES[delivery.status],
                0,
            ]
        )
        immediate = delivery.ok or delivery.status is DeliveryStatus.EXPIRED
        if immediate or self.failure_delay <= 0:
            connection.send(status)
        else:
            self.network.spawn(self._send_later(connection, status, self.failure_delay))

    @staticmethod
    async def _send_later(connection: _Connection, data: bytes, delay: float) -> None:
        await asyncio.sleep(delay)
        connection.send(data)

    def _handle_tx_request(self, connection: _Connection, frame: bytes) -> None:
        # Plain transmit request (0x10): data endpoint traffic, only acknowledged.
        if len(frame) >= 14 and frame[1]:
            dst16 = frame[10:12]
            connection.send(bytes([TX_STATUS, frame[1], *dst16, 0, TX_SUCCESS, 0]))

    def _handle_remote_at(self, connection: _Connection, frame: bytes) -> None:
        # There are no remote XBee modules in the simulated network.
        if len(frame) >= 15 and frame[1]:
            connection.send(
                bytes([REMOTE_AT_RESPONSE, frame[1]])
                + frame[2:12]
                + frame[13:15]
                + bytes([AT_TX_FAILURE])
            )
