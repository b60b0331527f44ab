"""The dev server (``python -m tests.simulator``), its demo network and the control CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import re
import shlex
from typing import Any

import pytest

from tests.simulator import control
from tests.simulator.__main__ import DEMO_MODELS, add_demo_devices, parse_args, run
from tests.simulator.control import ControlServer, request
from tests.simulator.models import MODELS
from tests.simulator.network import SimNetwork
from tests.simulator.xbee import XBeeFrontend

README = Path(__file__).with_name("README.md")


async def test_dev_server_demo_and_state(tmp_path: Path, socket_enabled: None) -> None:
    state = tmp_path / "sim.json"
    options = parse_args(
        ["--port", "0", "--control-port", "0", "--state", str(state), "--demo"]
    )
    stop = asyncio.Event()
    started: asyncio.Future[tuple[SimNetwork, XBeeFrontend, ControlServer]] = (
        asyncio.get_running_loop().create_future()
    )
    task = asyncio.create_task(
        run(options, stop=stop, ready=lambda *args: started.set_result(args))
    )
    network, frontend, server = await started
    assert frontend.port
    listing = await request(server.port, "list")
    devices = listing["result"]["devices"]
    assert [d["model"] for d in devices] == list(DEMO_MODELS)
    assert len({d["ieee"] for d in devices}) == len(DEMO_MODELS)
    assert all(d["auto_join"] and not d["joined"] for d in devices)
    network.form(channel=20)
    stop.set()
    await task

    saved = json.loads(state.read_text())
    assert saved["coordinator"]["formed"] is True
    assert saved["coordinator"]["channel"] == 20
    assert [d["model"] for d in saved["devices"]] == list(DEMO_MODELS)
    assert "clock" in saved  # the dev server's clock follows wall time

    # a restart loads the state and does not add the demo devices again
    stop = asyncio.Event()
    started = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        run(options, stop=stop, ready=lambda *args: started.set_result(args))
    )
    network, _, _ = await started
    assert network.formed
    assert [d.model_key for d in network.devices.values()] == list(DEMO_MODELS)
    stop.set()
    await task


async def test_cli(
    sim_network: SimNetwork, socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    sim_network.form()
    server = await ControlServer.start(sim_network)
    try:
        argv = ["--port", str(server.port), "add", '{"model": "light", "join": true}']
        assert await asyncio.to_thread(control.main, argv) == 0
        added = json.loads(capsys.readouterr().out)
        assert added["ok"]
        ieee = added["result"]["ieee"]
        assert sim_network.device(ieee).joined

        argv = [
            "--port",
            str(server.port),
            "set",
            json.dumps({"ieee": ieee, "cluster": 6, "attributes": {"on_off": 1}}),
        ]
        assert await asyncio.to_thread(control.main, argv) == 0
        assert json.loads(capsys.readouterr().out)["result"] == {"on_off": 1}

        # options, and options over JSON keys
        argv = ["--port", str(server.port), "get", "--ieee", ieee, "--cluster", "6"]
        assert await asyncio.to_thread(control.main, argv) == 0
        assert json.loads(capsys.readouterr().out)["result"]["on_off"] == 1
        argv[3:] = ['{"ieee": "nobody", "cluster": 6}', "--ieee", ieee]
        assert await asyncio.to_thread(control.main, argv) == 0
        capsys.readouterr()

        # the server refuses: exit status 1, nothing changed
        argv = [
            "--port",
            str(server.port),
            "remove",
            "--ieee",
            "00:00:00:00:00:00:00:99",
        ]
        assert await asyncio.to_thread(control.main, argv) == 1
        assert "no device" in json.loads(capsys.readouterr().out)["error"]
        assert len(sim_network.devices) == 1
        # the CLI refuses: usage error (2), nothing sent
        for bad in (["nonsense"], ["remove"], ["get", "{"], ["frames", "--limit", "x"]):
            with pytest.raises(SystemExit) as refused:
                control.main(["--port", str(server.port), *bad])
            assert refused.value.code == 2
            assert "error:" in capsys.readouterr().err
        assert len(sim_network.devices) == 1
    finally:
        await server.stop()


class _ReadKeys(dict[str, Any]):
    """A request that records which keys a handler reads."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        control.main(argv)
    assert done.value.code == 0
    return capsys.readouterr().out


async def test_cli_help_documents_every_command_and_argument(
    capsys: pytest.CaptureFixture[str],
) -> None:
    overview = _help(["--help"], capsys)
    assert "examples:" in overview
    for name, command in control._COMMANDS.items():  # the server's dispatch table
        assert re.search(rf"^ +{name} +\w", overview, re.MULTILINE), name
        text = _help([name, "--help"], capsys)
        # the keys the handler reads, running each documented example
        read: set[str] = set()
        assert command.examples, name
        for example in command.examples:
            assert f"--port 9998 {example}" in text.replace("\n", " ")
            parsed, args, _ = control.parse_command_line(
                ["--port", "9998", *shlex.split(example)]
            )
            assert parsed == name
            network = SimNetwork()
            network.form()
            network.add_device(MODELS["plug"](ieee=control.EXAMPLE_IEEE))
            spy = _ReadKeys(args)
            await command.handler(ControlServer(network), spy)
            read |= spy.read
            await network.stop()
        assert read == {argument.name for argument in command.arguments}, name
        for key in read:
            option = "--" + key.replace("_", "-")
            assert re.search(rf"^ +{option}\b.*\w\w", text, re.MULTILINE), option


def test_readme_lists_the_demo_devices() -> None:
    """tests/simulator/README.md's demo table: the model keys --demo adds, in order."""
    section = README.read_text().split("| model key | what it is | in the demo |")[1]
    rows = re.findall(r"^\| `(\w+)` \|", section.split("\n\n")[0], re.MULTILINE)
    added = [device.model_key for device in add_demo_devices(SimNetwork())]
    assert rows == added == list(DEMO_MODELS)
    assert all(key in MODELS for key in rows)
