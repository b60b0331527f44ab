"""The dev server (``python -m tests.simulator``) and the control CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.simulator import control
from tests.simulator.__main__ import parse_args, run
from tests.simulator.control import ControlServer, request
from tests.simulator.network import SimNetwork
from tests.simulator.xbee import XBeeFrontend


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
    models = sorted(d["model"] for d in listing["result"]["devices"])
    assert models == ["light", "plug", "ts0049"]
    assert all(d["auto_join"] and not d["joined"] for d in listing["result"]["devices"])
    network.form(channel=20)
    stop.set()
    await task

    saved = json.loads(state.read_text())
    assert saved["coordinator"]["formed"] is True
    assert saved["coordinator"]["channel"] == 20
    assert len(saved["devices"]) == 3

    # a restart loads the state and does not add the demo devices again
    stop = asyncio.Event()
    started = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        run(options, stop=stop, ready=lambda *args: started.set_result(args))
    )
    network, _, _ = await started
    assert network.formed
    assert len(network.devices) == 3
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

        argv = ["--port", str(server.port), "nonsense"]
        assert await asyncio.to_thread(control.main, argv) == 1
        assert "unknown command" in json.loads(capsys.readouterr().out)["error"]
    finally:
        await server.stop()
