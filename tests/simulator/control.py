"""Control interface of the simulator.

In-process, the API is the `SimNetwork` / `SimDevice` methods themselves.  For a
running dev server there is a JSON-lines TCP server: each request is one JSON
object per line, ``{"cmd": "<command>", ...}`` (an optional ``"id"`` is echoed),
each answer one line, ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}``.

Commands: ``add`` {model, ieee?, join?, auto_join?, options?}, ``remove`` {ieee},
``list``, ``network``, ``models``, ``join`` {ieee}, ``report`` {ieee, endpoint?,
cluster, attributes}, ``set`` {ieee, endpoint?, cluster, attributes, report?},
``get`` {ieee, endpoint?, cluster, attributes?}, ``offline`` / ``online`` {ieee},
``power_cycle`` {ieee, off_time?}, ``frames`` {ieee, cluster?, command?, sent?,
clear?, limit?}, ``clear_frames`` {ieee}, ``link`` {ieee, hops?, hop_latency_ms?,
loss?, fail_next?, rssi?, lqi?, seed?, reset_counters?} (answers the link with its
``sent`` / ``lost`` counters), ``save``.  Clusters are ids (``6``,
``"0x0006"``) or names (``"on_off"``, ``"OnOff"``); attributes ids or names.

CLI: ``python -m tests.simulator.control --port P <command> ['<json>']``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Mapping
import contextlib
import dataclasses
import json
import logging
import sys
from typing import Any, Self

from .device import SimCluster, SimDevice, encode_value, parse_int
from .link import Link
from .network import SimNetwork

_LOGGER = logging.getLogger(__name__)

Request = Mapping[str, Any]
CommandHandler = Callable[["ControlServer", Request], Awaitable[Any]]


class ControlError(Exception):
    """An invalid control request."""


def device_summary(device: SimDevice) -> dict[str, Any]:
    """Describe a device for the control interface."""
    return {
        "ieee": str(device.ieee),
        "nwk": None if device.nwk is None else f"0x{device.nwk:04x}",
        "model": device.model_key,
        "manufacturer": device.manufacturer,
        "model_name": device.model,
        "joined": device.joined,
        "online": device.online,
        "auto_join": device.auto_join,
        "sleepy": device.sleepy,
        "endpoints": {
            str(ep.id): {
                "profile": f"0x{ep.profile_id:04x}",
                "device_type": f"0x{ep.device_type:04x}",
                "in": [f"0x{c:04x}" for c in ep.in_clusters],
                "out": [f"0x{c:04x}" for c in ep.out_clusters],
            }
            for ep in device.endpoints.values()
        },
    }


def network_summary(network: SimNetwork) -> dict[str, Any]:
    """Describe the network for the control interface."""
    return {
        "ieee": str(network.ieee),
        "formed": network.formed,
        "pan_id": f"0x{network.pan_id:04x}",
        "extended_pan_id": str(network.extended_pan_id),
        "channel": network.channel,
        "permit_join": network.permit_join_active,
        "devices": len(network.devices),
    }


class ControlServer:
    """JSON-lines control server for a `SimNetwork`."""

    def __init__(
        self,
        network: SimNetwork,
        *,
        models: Mapping[str, Callable[..., SimDevice]] | None = None,
        save: Callable[[], None] | None = None,
    ) -> None:
        if models is None:
            from .models import MODELS

            models = MODELS
        self.network = network
        self.models = models
        self._save = save
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @classmethod
    async def start(
        cls,
        network: SimNetwork,
        host: str = "127.0.0.1",
        port: int = 0,
        **kwargs: Any,
    ) -> Self:
        """Start serving on ``host:port`` (0: an ephemeral port)."""
        server = cls(network, **kwargs)
        server._server = await asyncio.start_server(server._client, host, port)
        _LOGGER.info("Simulator control server on %s:%d", host, server.port)
        return server

    @property
    def port(self) -> int:
        """Return the TCP port the server listens on."""
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        """Stop the server and close client connections."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        try:
            while line := await reader.readline():
                if not line.strip():
                    continue
                response = await self.handle_line(line)
                writer.write(json.dumps(response).encode() + b"\n")
                await writer.drain()
        except ConnectionError, asyncio.IncompleteReadError:
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def handle_line(self, line: bytes | str) -> dict[str, Any]:
        """Handle one JSON request line; return the response object."""
        try:
            request = json.loads(line)
        except json.JSONDecodeError as err:
            return {"ok": False, "error": f"invalid JSON: {err}"}
        if not isinstance(request, dict):
            return {"ok": False, "error": "a request is a JSON object"}
        response: dict[str, Any]
        try:
            response = {"ok": True, "result": await self.handle(request)}
        except (
            ControlError,
            KeyError,
            ValueError,
            TypeError,
            RuntimeError,
            TimeoutError,
        ) as err:
            response = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        if "id" in request:
            response["id"] = request["id"]
        return response

    async def handle(self, request: Request) -> Any:
        """Execute a request (a mapping with ``cmd``); return the JSON result."""
        command = request.get("cmd", request.get("command"))
        handler = _COMMANDS.get(str(command))
        if handler is None:
            raise ControlError(
                f"unknown command {command!r}; known: {', '.join(sorted(_COMMANDS))}"
            )
        return await handler(self, request)

    # -- helpers ------------------------------------------------------------------

    def device(self, request: Request) -> SimDevice:
        """Return the device named by ``request["ieee"]``."""
        if "ieee" not in request:
            raise ControlError("missing 'ieee'")
        device = self.network.get_device(request["ieee"])
        if device is None:
            raise ControlError(f"no device {request['ieee']}")
        return device

    def cluster(self, request: Request) -> tuple[SimDevice, SimCluster]:
        """Return the device and cluster named by a request."""
        device = self.device(request)
        endpoint = device.endpoint(int(request.get("endpoint", 1)))
        key = request.get("cluster")
        if key is None:
            raise ControlError("missing 'cluster'")
        return device, endpoint.cluster(
            key, is_server=bool(request.get("server", True))
        )

    def save(self) -> None:
        """Persist the network (when the server was given a save callback)."""
        if self._save is not None:
            self._save()


# -- commands ---------------------------------------------------------------------------


async def _add(server: ControlServer, request: Request) -> Any:
    model = str(request.get("model"))
    if model not in server.models:
        raise ControlError(
            f"unknown model {model!r}; known: {', '.join(sorted(server.models))}"
        )
    ieee = request.get("ieee") or server.network.allocate_ieee()
    options = dict(request.get("options", {}))
    device = server.models[model](ieee=ieee, **options)
    server.network.add_device(device, auto_join=bool(request.get("auto_join", True)))
    if request.get("join"):
        await server.network.join(device)
    return device_summary(device)


async def _remove(server: ControlServer, request: Request) -> Any:
    device = server.device(request)
    server.network.remove_device(device.ieee)
    return device_summary(device)


async def _list(server: ControlServer, request: Request) -> Any:
    return {
        "network": network_summary(server.network),
        "devices": [device_summary(d) for d in server.network.devices.values()],
    }


async def _network(server: ControlServer, request: Request) -> Any:
    return network_summary(server.network)


async def _models(server: ControlServer, request: Request) -> Any:
    return sorted(server.models)


async def _join(server: ControlServer, request: Request) -> Any:
    device = server.device(request)
    await server.network.join(device)
    return device_summary(device)


def _attributes(request: Request) -> dict[int | str, Any]:
    attributes = request.get("attributes")
    if not isinstance(attributes, dict) or not attributes:
        raise ControlError("'attributes' must be a non-empty object")
    return dict(attributes)


async def _report(server: ControlServer, request: Request) -> Any:
    device, cluster = server.cluster(request)
    sent = await device.report(
        cluster.endpoint.id,
        cluster.cluster_id,
        _attributes(request),
        is_server=cluster.is_server,
    )
    return {"sent": sent}


async def _set(server: ControlServer, request: Request) -> Any:
    _, cluster = server.cluster(request)
    cluster.update(_attributes(request), report=bool(request.get("report", True)))
    return _values(cluster, list(_attributes(request)))


def _values(cluster: SimCluster, keys: list[Any] | None) -> dict[str, Any]:
    attrs = (
        [cluster.attr(k) for k in keys] if keys else list(cluster.attributes.values())
    )
    return {a.name: encode_value(a, cluster.values[a.key]) for a in attrs}


async def _get(server: ControlServer, request: Request) -> Any:
    _, cluster = server.cluster(request)
    return _values(cluster, request.get("attributes"))


async def _offline(server: ControlServer, request: Request) -> Any:
    device = server.device(request)
    device.set_online(False)
    return device_summary(device)


async def _online(server: ControlServer, request: Request) -> Any:
    device = server.device(request)
    device.set_online(True, announce=bool(request.get("announce", False)))
    return device_summary(device)


async def _power_cycle(server: ControlServer, request: Request) -> Any:
    device = server.device(request)
    await device.power_cycle(float(request.get("off_time", 0.0)))
    return device_summary(device)


def _optional_int(value: Any) -> int | None:
    return None if value is None else parse_int(value)


async def _frames(server: ControlServer, request: Request) -> Any:
    device = server.device(request)
    frames = device.frames(
        cluster=_optional_int(request.get("cluster")),
        command=_optional_int(request.get("command")),
        endpoint=_optional_int(request.get("endpoint")),
        sent=bool(request.get("sent", False)),
    )
    limit = request.get("limit")
    if limit is not None:
        frames = frames[-int(limit) :]
    result = [f.to_dict() for f in frames]
    if request.get("clear"):
        device.clear_frames()
    return result


async def _clear_frames(server: ControlServer, request: Request) -> Any:
    server.device(request).clear_frames()
    return None


_LINK_SETTINGS = ("hops", "hop_latency_ms", "loss", "fail_next", "rssi", "lqi")


def link_summary(link: Link) -> dict[str, Any]:
    """Describe a device's link (settings and counters)."""
    return {name: getattr(link, name) for name in (*_LINK_SETTINGS, "sent", "lost")}


async def _link(server: ControlServer, request: Request) -> Any:
    device = server.device(request)
    changes = {name: request[name] for name in _LINK_SETTINGS if name in request}
    try:
        dataclasses.replace(device.link, **changes)  # check them all first
    except ValueError as err:
        raise ControlError(str(err)) from None
    for name, value in changes.items():
        setattr(device.link, name, value)
    if "seed" in request:
        device.link.seed(request["seed"])
    if request.get("reset_counters"):
        device.link.reset_counters()
    return link_summary(device.link)


async def _save(server: ControlServer, request: Request) -> Any:
    server.save()
    return None


_COMMANDS: dict[str, CommandHandler] = {
    "add": _add,
    "remove": _remove,
    "list": _list,
    "network": _network,
    "models": _models,
    "join": _join,
    "report": _report,
    "set": _set,
    "get": _get,
    "offline": _offline,
    "online": _online,
    "power_cycle": _power_cycle,
    "frames": _frames,
    "clear_frames": _clear_frames,
    "link": _link,
    "save": _save,
}


# -- client / CLI -----------------------------------------------------------------------


async def request(
    port: int,
    command: str,
    args: Mapping[str, Any] | None = None,
    *,
    host: str = "127.0.0.1",
) -> dict[str, Any]:
    """Send one request to a control server; return the response object."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(json.dumps({"cmd": command, **(args or {})}).encode() + b"\n")
        await writer.drain()
        line = await reader.readline()
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    response: dict[str, Any] = json.loads(line)
    return response


def main(argv: list[str] | None = None) -> int:
    """Run the control CLI."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator.control",
        description="Control a running simulator.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="control port")
    parser.add_argument("command", help=f"one of: {', '.join(sorted(_COMMANDS))}")
    parser.add_argument(
        "args", nargs="?", default="{}", help="JSON object with the arguments"
    )
    options = parser.parse_args(argv)
    try:
        args = json.loads(options.args)
    except json.JSONDecodeError as err:
        parser.error(f"invalid JSON arguments: {err}")
    try:
        response = asyncio.run(
            request(options.port, options.command, args, host=options.host)
        )
    except OSError as err:
        sys.stderr.write(
            f"Cannot reach the simulator on {options.host}:{options.port}: {err}\n"
        )
        return 2
    sys.stdout.write(json.dumps(response, indent=2) + "\n")
    return 0 if response.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
