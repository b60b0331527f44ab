"""Run the simulator as a dev server.

``python -m tests.simulator --port 9999 --control-port 9998 --state PATH [--demo]``

ZHA: radio type ``xbee``, path ``socket://127.0.0.1:9999``.  The state (network
settings, XBee parameters, devices and their attribute values, the network clock) is
loaded from PATH and saved on every change and on exit.

The network clock runs in real time (``--time-scale``) and carries wall time: device
clocks follow it (a valve started for a minute closes itself a minute later; a meter's
profile ends now), and after a restart they go on from the real time, the downtime
included.  ``--demo`` adds one device of every supported family (`DEMO_MODELS`).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import contextlib
from datetime import timedelta
import logging
from pathlib import Path
import signal
from typing import Any, Final

from .control import ControlServer
from .device import SimDevice
from .models import MODELS
from .models.se_meters import DEFAULT_WALL_CLOCK as DEFAULT_METER_WALL_CLOCK
from .network import SimNetwork
from .xbee import XBeeFrontend

_LOGGER = logging.getLogger(__name__)

SAVE_DELAY = 0.2


class StateSaver:
    """Save the network shortly after every change (coalescing bursts)."""

    def __init__(self, network: SimNetwork, path: Path | None) -> None:
        self.network = network
        self.path = path
        self._handle: asyncio.TimerHandle | None = None

    def schedule(self) -> None:
        """Save soon."""
        if self.path is None or self._handle is not None:
            return
        self._handle = asyncio.get_running_loop().call_later(SAVE_DELAY, self.save)

    def save(self) -> None:
        """Save now."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self.path is not None:
            self.network.save(self.path)
            _LOGGER.debug("State saved to %s", self.path)


def load_network(path: Path | None, time_scale: float | None = 1.0) -> SimNetwork:
    """Load the state file, or create a factory-new network.

    The dev server's clock runs in real time (``time_scale`` 1.0): sleepy devices
    poll and check in by themselves, queued frames expire, device clocks follow wall
    time; a loaded network's clock resumes with the downtime.
    """
    if path is not None and path.exists():
        network = SimNetwork.load(path, models=MODELS, time_scale=time_scale)
        _LOGGER.info("Loaded %r from %s", network, path)
        return network
    return SimNetwork(time_scale=time_scale)


#: The demo network (``--demo``): one device of every supported family, in this order.
#: ``tests/simulator/README.md`` lists them (a test compares the two).
DEMO_MODELS: Final = (
    "plug",
    "light",
    "ts0049",
    "danfoss_ally",
    "danfoss_ally",
    "temperature_sensor",
    "se_electricity_meter",
    "se_in_home_display",
)
#: The demo meter's profile history: the last two days, whole intervals.
DEMO_METER_HISTORY: Final = timedelta(days=2, hours=1)


def demo_options(model: str, network: SimNetwork) -> dict[str, Any]:
    """Return the factory options of a demo device of ``model``."""
    if model != "se_electricity_meter":
        return {}
    # the history ends at the network's wall time (the dev server's clock follows it)
    wall = network.wall_clock or DEFAULT_METER_WALL_CLOCK
    return {"wall_clock": wall, "history_start": wall - DEMO_METER_HISTORY}


def add_demo_devices(network: SimNetwork) -> list[SimDevice]:
    """Add the `DEMO_MODELS`; they join when the host permits joining."""
    devices = []
    for model in DEMO_MODELS:
        device = MODELS[model](
            ieee=network.allocate_ieee(), **demo_options(model, network)
        )
        network.add_device(device, auto_join=True)
        devices.append(device)
        _LOGGER.info("Demo device %r added", device)
    return devices


async def run(
    options: argparse.Namespace,
    *,
    stop: asyncio.Event | None = None,
    ready: Callable[[SimNetwork, XBeeFrontend, ControlServer], None] | None = None,
) -> None:
    """Run the XBee frontend and the control server until ``stop`` (or a signal)."""
    path = Path(options.state) if options.state else None
    network = load_network(path, options.time_scale)
    network.auto_join_on_form = options.join_on_form
    if options.demo and not network.devices:
        add_demo_devices(network)
    saver = StateSaver(network, path)
    network.add_listener(saver.schedule)

    frontend = await XBeeFrontend.start(network, options.host, options.port)
    control = await ControlServer.start(
        network, options.host, options.control_port, models=MODELS, save=saver.save
    )
    _LOGGER.warning(
        "Simulator ready: ZHA radio 'xbee' at socket://%s:%d, control port %d",
        options.host,
        frontend.port,
        control.port,
    )
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready(network, frontend, control)
    try:
        await stop.wait()
    finally:
        await control.stop()
        await frontend.stop()
        await network.stop()
        saver.save()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator", description=__doc__
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9999, help="XBee API port (0: any)")
    parser.add_argument(
        "--control-port", type=int, default=9998, help="control port (0: any)"
    )
    parser.add_argument("--state", help="state file (JSON), loaded and saved")
    parser.add_argument(
        "--demo",
        action="store_true",
        help=(
            "when the state has no devices, add one of every supported family: "
            + ", ".join(DEMO_MODELS)
            + " (they join when the host permits joining)"
        ),
    )
    parser.add_argument(
        "--join-on-form",
        action="store_true",
        help="auto-join devices as soon as the network is formed, not only on permit",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help=(
            "virtual seconds per real second: polls, check-ins, expiries and the "
            "device clocks (wall time) run on it"
        ),
    )
    parser.add_argument("-v", "--verbose", action="count", default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run."""
    options = parse_args(argv)
    level = logging.WARNING
    if options.verbose:
        level = logging.DEBUG if options.verbose > 1 else logging.INFO
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(run(options))


if __name__ == "__main__":
    main()
