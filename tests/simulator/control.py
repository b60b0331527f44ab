"""Control interface of the simulator.

In-process, the API is the `SimNetwork` / `SimDevice` methods themselves.  For a
running dev server there is a JSON-lines TCP server: each request is one JSON
object per line, ``{"cmd": "<command>", ...}`` (an optional ``"id"`` is echoed),
each answer one line, ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}``.

The commands (``add``, ``list``, ``set``, ``frames``, ``link``, ...) are one table,
`_COMMANDS`: each entry's handler is what the server runs, its help, arguments and
examples are what the CLI documents, so ``python -m tests.simulator.control --help`` and
``... <command> --help`` list every command and every argument.  Clusters are ids (``6``,
``"0x0006"``) or names (``"on_off"``, ``"OnOff"``); attributes ids or names.

CLI: ``python -m tests.simulator.control --port P <command> [JSON] [--option value ...]``.
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
from typing import Any, Final, Self

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
        entry = _COMMANDS.get(str(command))
        if entry is None:
            raise ControlError(
                f"unknown command {command!r}; known: {', '.join(sorted(_COMMANDS))}"
            )
        return await entry.handler(self, request)

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


# -- the command table: dispatch, documentation and the CLI ----------------------------


def _json_object(text: str) -> dict[str, Any]:
    """Parse a JSON object given on the command line."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"invalid JSON: {err}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("a JSON object is expected")
    return value


def _int_or_text(text: str) -> int | str:
    """Parse an id: a number (``6``, ``0x0006``) or a name (``on_off``)."""
    try:
        return int(text, 0)
    except ValueError:
        return text


@dataclasses.dataclass(frozen=True)
class Argument:
    """One key of a command's request, and its command-line option."""

    name: str
    help: str
    #: Converts the option's text (CLI); None: a switch (``--name`` / ``--no-name``).
    type: Callable[[str], Any] | None = str
    required: bool = False
    metavar: str | None = None

    @property
    def option(self) -> str:
        """Return the command-line option (``--off-time`` for ``off_time``)."""
        return "--" + self.name.replace("_", "-")


@dataclasses.dataclass(frozen=True)
class Command:
    """A control command: its handler, what it does, its arguments and examples."""

    handler: CommandHandler
    help: str
    arguments: tuple[Argument, ...] = ()
    #: Command lines after ``--port P``, as a user types them.
    examples: tuple[str, ...] = ()


#: The IEEE address the examples use (take yours from ``list``).
EXAMPLE_IEEE: Final = "00:0d:6f:00:00:00:00:01"
_IEEE = Argument(
    "ieee", "the device's IEEE address (from 'list')", required=True, metavar="IEEE"
)
_ENDPOINT = Argument("endpoint", "endpoint id (default 1)", int, metavar="N")
_CLUSTER = Argument(
    "cluster",
    "cluster id (6, 0x0006) or name (on_off, OnOff)",
    _int_or_text,
    required=True,
    metavar="CLUSTER",
)
_SERVER = Argument(
    "server", "the server (in) cluster, --no-server: the client (out) one", None
)
_ATTRIBUTES = Argument(
    "attributes",
    'JSON object: attribute id or name -> value, {"on_off": true}',
    _json_object,
    required=True,
    metavar="JSON",
)

_COMMANDS: dict[str, Command] = {
    "add": Command(
        _add,
        "create a device of a model and add it to the network",
        (
            Argument(
                "model", "model key (see 'models')", required=True, metavar="MODEL"
            ),
            Argument("ieee", "IEEE address (default: a free one)", metavar="IEEE"),
            Argument("join", "join at once (the network must be formed)", None),
            Argument(
                "auto_join",
                "join by itself while the host permits joining (default on)",
                None,
            ),
            Argument(
                "options",
                'JSON object of factory options, {"load_watts": 100}',
                _json_object,
                metavar="JSON",
            ),
        ),
        ("add --model plug --join", """add '{"model": "ts0049", "auto_join": true}'"""),
    ),
    "remove": Command(
        _remove,
        "remove a device from the network (silently)",
        (_IEEE,),
        (f"remove --ieee {EXAMPLE_IEEE}",),
    ),
    "list": Command(_list, "the network and every device", (), ("list",)),
    "network": Command(
        _network, "the network: formed, PAN id, channel, permit join", (), ("network",)
    ),
    "models": Command(_models, "the model keys 'add' accepts", (), ("models",)),
    "join": Command(
        _join,
        "join a device now (it sends Device_annce)",
        (_IEEE,),
        (f"join --ieee {EXAMPLE_IEEE}",),
    ),
    "report": Command(
        _report,
        "set attributes and send them in one Report Attributes frame",
        (_IEEE, _ENDPOINT, _CLUSTER, _SERVER, _ATTRIBUTES),
        (
            f"""report --ieee {EXAMPLE_IEEE} --cluster on_off --attributes '{{"on_off": true}}'""",
        ),
    ),
    "set": Command(
        _set,
        "set attributes (reported when reporting is configured)",
        (
            _IEEE,
            _ENDPOINT,
            _CLUSTER,
            _SERVER,
            _ATTRIBUTES,
            Argument(
                "report",
                "report as configured (default on; --no-report: silently)",
                None,
            ),
        ),
        (
            f"""set --ieee {EXAMPLE_IEEE} --cluster 6 --attributes '{{"on_off": 1}}' --no-report""",
        ),
    ),
    "get": Command(
        _get,
        "the current attribute values",
        (
            _IEEE,
            _ENDPOINT,
            _CLUSTER,
            _SERVER,
            Argument(
                "attributes",
                'JSON list of attribute ids or names (default: all), ["on_off"]',
                json.loads,
                metavar="JSON",
            ),
        ),
        (f"get --ieee {EXAMPLE_IEEE} --cluster on_off",),
    ),
    "offline": Command(
        _offline,
        "take a device off the air (unicasts to it fail)",
        (_IEEE,),
        (f"offline --ieee {EXAMPLE_IEEE}",),
    ),
    "online": Command(
        _online,
        "bring a device back on the air",
        (_IEEE, Argument("announce", "send Device_annce when it comes back", None)),
        (f"online --ieee {EXAMPLE_IEEE} --announce",),
    ),
    "power_cycle": Command(
        _power_cycle,
        "power-cycle a device: volatile attributes reset, then Device_annce",
        (
            _IEEE,
            Argument(
                "off_time", "seconds without power (default 0)", float, metavar="S"
            ),
        ),
        (f"power_cycle --ieee {EXAMPLE_IEEE} --off-time 0.1",),
    ),
    "frames": Command(
        _frames,
        "frames a device received (or sent), oldest first",
        (
            _IEEE,
            Argument(
                "cluster",
                "only this cluster id (6, 0x0006)",
                _int_or_text,
                metavar="ID",
            ),
            Argument(
                "command", "only this command id (0x01)", _int_or_text, metavar="ID"
            ),
            Argument("endpoint", "only this endpoint", int, metavar="N"),
            Argument("sent", "the frames it sent instead", None),
            Argument("limit", "only the newest N", int, metavar="N"),
            Argument("clear", "forget the recorded frames afterwards", None),
        ),
        (f"frames --ieee {EXAMPLE_IEEE} --cluster 0x0006 --limit 5",),
    ),
    "clear_frames": Command(
        _clear_frames,
        "forget a device's recorded frames",
        (_IEEE,),
        (f"clear_frames --ieee {EXAMPLE_IEEE}",),
    ),
    "link": Command(
        _link,
        "set and show a device's link (answers the settings and sent / lost counters)",
        (
            _IEEE,
            Argument("hops", "radio hops (>= 1)", int, metavar="N"),
            Argument(
                "hop_latency_ms", "one-way latency per hop, ms", float, metavar="MS"
            ),
            Argument(
                "loss", "probability (0..1) that a unicast is lost", float, metavar="P"
            ),
            Argument("fail_next", "lose the next N unicasts", int, metavar="N"),
            Argument("rssi", "RSSI of its frames, dBm (-255..0)", int, metavar="DBM"),
            Argument("lqi", "LQI (0..255)", int, metavar="LQI"),
            Argument(
                "seed",
                "reseed the loss draws (number or text)",
                _int_or_text,
                metavar="SEED",
            ),
            Argument("reset_counters", "set sent and lost to 0", None),
        ),
        (f"link --ieee {EXAMPLE_IEEE} --hops 2 --hop-latency-ms 40 --loss 0.1",),
    ),
    "save": Command(_save, "save the state file now", (), ("save",)),
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


_CLI_EPILOG = """\
Each command sends one request to the simulator's control port and prints the answer
({"ok": true, "result": ...} or {"ok": false, "error": ...}; exit status 0 / 1, 2 when
the simulator cannot be reached). Arguments are options, or one JSON object (the
request as the control server takes it); options override its keys.
'<command> --help' documents a command's arguments.

examples:
  python -m tests.simulator.control --port 9998 list
  python -m tests.simulator.control --port 9998 add --model plug --join
  python -m tests.simulator.control --port 9998 set '{"ieee": "IEEE", "cluster": 6, \
"attributes": {"on_off": 1}}'
"""


def build_parser() -> argparse.ArgumentParser:
    """Return the CLI's parser: one subcommand per control command."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator.control",
        description="Control a running simulator (python -m tests.simulator).",
        epilog=_CLI_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="the simulator's host (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, required=True, help="the simulator's control port (9998)"
    )
    commands = parser.add_subparsers(
        dest="control_command", required=True, title="commands", metavar="COMMAND"
    )
    for name, command in _COMMANDS.items():
        examples = "\n".join(
            f"  python -m tests.simulator.control --port 9998 {example}"
            for example in command.examples
        )
        sub = commands.add_parser(
            name,
            help=command.help,
            description=command.help[0].upper() + command.help[1:] + ".",
            epilog=f"examples:\n{examples}" if examples else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument(
            "json",
            nargs="?",
            type=_json_object,
            default={},
            metavar="JSON",
            help="the arguments as one JSON object (options override its keys)",
        )
        for argument in command.arguments:
            text = argument.help + (" (required)" if argument.required else "")
            if argument.type is None:
                sub.add_argument(
                    argument.option,
                    dest=_dest(argument),
                    action=argparse.BooleanOptionalAction,
                    default=None,
                    help=text,
                )
            else:
                sub.add_argument(
                    argument.option,
                    dest=_dest(argument),
                    type=argument.type,
                    default=None,
                    metavar=argument.metavar,
                    help=text,
                )
    return parser


def _dest(argument: Argument) -> str:
    # apart from the subcommand's own dest ("frames" has a "command" argument)
    return f"arg_{argument.name}"


def parse_command_line(
    argv: list[str] | None = None,
) -> tuple[str, dict[str, Any], argparse.Namespace]:
    """Parse the CLI; return the command, its request's arguments and the options."""
    parser = build_parser()
    options = parser.parse_args(argv)
    command = str(options.control_command)
    args = dict(options.json)
    arguments = _COMMANDS[command].arguments
    for argument in arguments:
        value = getattr(options, _dest(argument))
        if value is not None:
            args[argument.name] = value
    missing = [
        argument.option
        for argument in arguments
        if argument.required and argument.name not in args
    ]
    if missing:
        parser.error(f"{command}: missing {', '.join(missing)}")
    return command, args, options


def main(argv: list[str] | None = None) -> int:
    """Run the control CLI."""
    command, args, options = parse_command_line(argv)
    try:
        response = asyncio.run(request(options.port, command, args, host=options.host))
    except OSError as err:
        sys.stderr.write(
            f"Cannot reach the simulator on {options.host}:{options.port}: {err}\n"
        )
        return 2
    sys.stdout.write(json.dumps(response, indent=2) + "\n")
    return 0 if response.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
