"""The XBee API frontend, frame by frame, with a raw TCP client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.simulator.models import MODELS
from tests.simulator.network import SimNetwork
from tests.simulator.xbee import FrameDecoder, XBeeFrontend, encode_frame


class Client:
    """A minimal XBee API host."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.decoder = FrameDecoder()
        self.frames: list[bytes] = []

    @classmethod
    async def connect(cls, frontend: XBeeFrontend) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", frontend.port)
        return cls(reader, writer)

    async def send(self, hex_data: str) -> None:
        self.writer.write(encode_frame(bytes.fromhex(hex_data)))
        await self.writer.drain()

    async def receive(self, timeout: float = 1.0) -> bytes:
        async with asyncio.timeout(timeout):
            while not self.frames:
                self.frames += self.decoder.feed(await self.reader.read(4096))
        return self.frames.pop(0)

    async def at(
        self, command: str, value: str = "", frame_id: int = 0x01, queued: bool = False
    ) -> bytes:
        frame_type = "09" if queued else "08"
        await self.send(f"{frame_type}{frame_id:02x}{command.encode().hex()}{value}")
        return await self.receive()

    async def nothing(self, wait: float = 0.05) -> None:
        await asyncio.sleep(wait)
        assert not self.frames
        with pytest.raises(TimeoutError):
            await self.receive(timeout=0.01)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


@pytest.fixture
async def client(xbee: XBeeFrontend) -> AsyncIterator[Client]:
    connection = await Client.connect(xbee)
    yield connection
    await connection.close()


async def test_at_reads_factory_new(client: Client) -> None:
    assert await client.at("AP", "02") == bytes.fromhex("88 01 4150 00")
    assert await client.at("AP") == bytes.fromhex("88 01 4150 00 02")
    assert await client.at("MY") == bytes.fromhex(
        "88 01 4d59 00 0000"
    )  # even before forming
    assert await client.at("SH") == bytes.fromhex("88 01 5348 00 0013a200")
    assert await client.at("SL") == bytes.fromhex("88 01 534c 00 40a1b2c3")
    assert await client.at("AI") == bytes.fromhex("88 01 4149 00 00")
    assert await client.at("EE") == bytes.fromhex("88 01 4545 00 00")
    assert await client.at("ZS") == bytes.fromhex("88 01 5a53 00 00")
    assert await client.at("CE") == bytes.fromhex("88 01 4345 00 01")
    assert await client.at("VR") == bytes.fromhex("88 01 5652 00 100a")
    assert await client.at("NK") == bytes.fromhex(
        "88 01 4e4b 00"
    )  # keys cannot be read back
    assert await client.at("ZZ") == bytes.fromhex("88 01 5a5a 02")  # invalid command
    assert await client.at("NJ", "0102") == bytes.fromhex(
        "88 01 4e4a 03"
    )  # invalid parameter
    ed = await client.at("ED", "04")
    assert ed[:5] == bytes.fromhex("88 01 4544 00")
    assert len(ed[5:]) == 16
    # frame id 0: no response
    await client.send("0800" + b"AI".hex())
    await client.nothing()


async def test_queued_writes_and_wr_form_the_network(
    client: Client, sim_network: SimNetwork
) -> None:
    for command, value in [
        ("ID", "1122334455667788"),
        ("ZS", "02"),
        ("SC", "0010"),  # channel 15
        ("EE", "01"),
        ("EO", "02"),
        ("NK", "00112233445566778899aabbccddeeff"),
        ("KY", b"ZigBeeAlliance09".hex()),
    ]:
        assert (
            await client.at(command, value, queued=True)
            == bytes.fromhex("88 01") + command.encode() + b"\x00"
        )
    assert not sim_network.formed  # queued: nothing applied yet
    assert await client.at("WR") == bytes.fromhex("88 01 5752 00")
    assert await client.receive() == bytes.fromhex("8a 06")  # coordinator started
    assert sim_network.formed
    assert sim_network.channel == 15
    assert str(sim_network.extended_pan_id) == "11:22:33:44:55:66:77:88"
    assert sim_network.network_key == bytes.fromhex("00112233445566778899aabbccddeeff")
    assert await client.at("ID") == bytes.fromhex("88 01 4944 00 1122334455667788")
    assert await client.at("CH") == bytes.fromhex("88 01 4348 00 0f")
    assert await client.at("EE") == bytes.fromhex("88 01 4545 00 01")
    assert await client.at("OI") == bytes.fromhex(
        "88 01 4f49 00"
    ) + sim_network.pan_id.to_bytes(2, "big")
    # the XBee parameters are part of the persisted network state
    assert sim_network.to_dict()["frontends"]["xbee"]["ID"] == 0x1122334455667788


async def test_permit_join_via_nj(client: Client, sim_network: SimNetwork) -> None:
    sim_network.form(channel=11)
    sim_network.join_delay = 0.01
    device = sim_network.add_device(MODELS["light"](), auto_join=True)
    assert await client.at("NJ", "3c") == bytes.fromhex("88 01 4e4a 00")
    assert sim_network.permit_join_active
    annce = await client.receive()
    nwk = device.nwk
    assert nwk is not None
    # explicit RX: src64 MSB first, src16 BE, ep 0 -> 0, cluster 0x0013, profile 0, broadcast
    assert annce[:18] == (
        bytes([0x91])
        + device.ieee.serialize()[::-1]
        + nwk.to_bytes(2, "big")
        + bytes.fromhex("00 00 0013 0000 02")
    )
    assert (
        annce[18:]
        == bytes([annce[18]])
        + nwk.to_bytes(2, "little")
        + device.ieee.serialize()
        + b"\x8e"
    )
    assert await client.at("NJ", "00") == bytes.fromhex("88 01 4e4a 00")
    assert not sim_network.permit_join_active


async def test_tx_explicit_statuses(client: Client, sim_network: SimNetwork) -> None:
    sim_network.form(channel=11)
    device = MODELS["plug"](ieee="00:0d:6f:00:00:00:00:07")
    await sim_network.join(device)
    annce = await client.receive()
    assert annce[0] == 0x91
    nwk = device.nwk
    assert nwk is not None
    dst64 = "000d6f0000000007"

    # unicast Read Attributes (Basic 0x0004): TX status first, then the response
    await client.send(f"11 05 {dst64} {nwk:04x} 01 01 0000 0104 00 00 00 2a 00 0400")
    assert await client.receive() == bytes.fromhex(f"8b 05 {nwk:04x} 00 00 00")
    rsp = await client.receive()
    assert rsp[:18] == bytes.fromhex(f"91 {dst64} {nwk:04x} 01 01 0000 0104 01")
    assert rsp[18:] == bytes.fromhex("18 2a 01 0400 00 42 05") + b"SimCo"

    # unknown device
    await client.send("11 06 ffffffffffffffff 1234 01 01 0000 0104 00 00 00 2b 00 0400")
    assert await client.receive() == bytes.fromhex("8b 06 1234 00 24 00")

    # broadcast: always delivered
    await client.send("11 07 000000000000fffc fffc 00 00 0036 0000 00 00 01 00 00")
    assert await client.receive() == bytes.fromhex("8b 07 fffc 00 00 00")

    # offline device: non-zero delivery status
    device.set_online(False)
    await client.send(f"11 08 {dst64} {nwk:04x} 01 01 0006 0104 00 00 01 2c 01")
    assert await client.receive() == bytes.fromhex(f"8b 08 {nwk:04x} 00 21 00")
    await client.nothing()

    # the coordinator answers its own ZDO (Node_Desc_req to 0x0000)
    await client.send("11 09 0013a20040a1b2c3 0000 00 00 0002 0000 00 00 33 0000")
    assert await client.receive() == bytes.fromhex("8b 09 0000 00 00 00")
    rsp = await client.receive()
    assert rsp[:18] == bytes.fromhex("91 0013a20040a1b2c3 0000 00 00 8002 0000 01")
    assert rsp[18:22] == bytes.fromhex("33 00 0000")  # TSN echoed, SUCCESS, nwk 0


async def test_other_frames(client: Client) -> None:
    # remote AT: there are no remote XBees -> status 4 (transmission failure)
    await client.send("17 0a 000d6f0000000001 fffe 02 4e49")
    assert await client.receive() == bytes.fromhex(
        "97 0a 000d6f0000000001 fffe 4e49 04"
    )
    # register joining device
    await client.send("24 0b 000d6f0000000001 fffe 00 " + "11" * 16)
    assert await client.receive() == bytes.fromhex("a4 0b 00")
    # create source route and unknown frame types: silently ignored
    await client.send("21 00 000d6f0000000001 1234 00 00")
    await client.send("42 01 02 03")
    await client.nothing()
    # still alive
    assert await client.at("AI") == bytes.fromhex("88 01 4149 00 00")


async def test_last_connection_wins(
    xbee: XBeeFrontend, sim_network: SimNetwork
) -> None:
    sim_network.form()
    device = MODELS["light"]()
    await sim_network.join(device)
    first = await Client.connect(xbee)
    second = await Client.connect(xbee)
    try:
        await asyncio.sleep(0.01)
        await device.report(1, 0x0006, {"on_off": True})
        frame = await second.receive()
        assert frame[0] == 0x91
        await first.nothing()
        # requests are answered on the connection that sent them
        assert await first.at("AI") == bytes.fromhex("88 01 4149 00 00")
        await second.nothing(0.01)
    finally:
        await second.close()
    await asyncio.sleep(0.01)
    # the remaining connection gets the traffic again
    await device.report(1, 0x0006, {"on_off": False})
    assert (await first.receive())[0] == 0x91
    await first.close()


async def test_state_survives_a_new_frontend(
    sim_network: SimNetwork, socket_enabled: None
) -> None:
    """The XBee parameters live in the network, not in the frontend."""
    frontend = await XBeeFrontend.start(sim_network)
    client = await Client.connect(frontend)
    assert await client.at("AO", "03") == bytes.fromhex("88 01 414f 00")
    await client.close()
    await frontend.stop()

    frontend = await XBeeFrontend.start(sim_network)
    client = await Client.connect(frontend)
    assert await client.at("AO") == bytes.fromhex("88 01 414f 00 03")
    await client.close()
    await frontend.stop()
