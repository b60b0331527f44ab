"""Fixtures for the simulator's own tests (nothing from Home Assistant is needed).

``auto_enable_custom_integrations`` overrides the autouse fixture of
``tests/conftest.py`` (which needs a ``hass`` instance) with a no-op, so these
tests start no Home Assistant and also run with ``-p no:homeassistant``.

Sockets: when pytest-homeassistant-custom-component is active it blocks sockets with
pytest-socket (127.0.0.1 stays allowed once a test requests ``socket_enabled``).
Every fixture that opens a TCP server therefore depends on ``socket_enabled``
(provided by pytest-socket, which is always installed), so these tests pass with
and without ``-p no:homeassistant``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import zigpy.device
from zigpy_xbee.zigbee.application import ControllerApplication

from tests.simulator.capture import CaptureFrontend
from tests.simulator.device import SimDevice
from tests.simulator.helpers import start_app, wait_initialized
from tests.simulator.models import MODELS
from tests.simulator.network import SimNetwork
from tests.simulator.xbee import XBeeFrontend


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the parent autouse fixture: no Home Assistant here."""


@pytest.fixture
async def capture_host() -> AsyncIterator[CaptureFrontend]:
    """A formed network with an in-process host (no sockets), replies without delay."""
    network = SimNetwork(reply_delay=0)
    frontend = CaptureFrontend(network)
    network.form(channel=15)
    yield frontend
    await network.stop()


@pytest.fixture
def host(capture_host: CaptureFrontend) -> CaptureFrontend:
    """The in-process host most device tests talk through."""
    return capture_host


@pytest.fixture
async def sim_network() -> AsyncIterator[SimNetwork]:
    """A factory-new simulated network."""
    network = SimNetwork()
    yield network
    await network.stop()


@pytest.fixture
async def xbee(
    sim_network: SimNetwork, socket_enabled: None
) -> AsyncIterator[XBeeFrontend]:
    """The XBee frontend of ``sim_network`` on an ephemeral port."""
    frontend = await XBeeFrontend.start(sim_network)
    yield frontend
    await frontend.stop()


@pytest.fixture
async def zigpy_app(
    sim_network: SimNetwork, xbee: XBeeFrontend
) -> AsyncIterator[ControllerApplication]:
    """A started zigpy-xbee application on a formed network."""
    sim_network.form(channel=15)
    app = await start_app(xbee)
    yield app
    await app.shutdown()


@pytest.fixture
async def plug(
    sim_network: SimNetwork, zigpy_app: ControllerApplication
) -> tuple[SimDevice, zigpy.device.Device]:
    """A SimPlug joined and initialized by zigpy: (simulated device, zigpy device)."""
    device = sim_network.add_device(MODELS["plug"](ieee="00:0d:6f:00:00:00:00:01"))
    zigpy_device = await wait_initialized(zigpy_app, device, sim_network.join(device))
    await sim_network.settle()
    device.clear_frames()
    return device, zigpy_device
