"""Simulated Zigbee network for tests and development.

Home Assistant, ZHA and zigpy run unmodified against it: `XBeeFrontend` is a TCP
server speaking the Digi XBee API (ZHA radio type ``xbee``, path
``socket://127.0.0.1:<port>``) in front of a radio-agnostic `SimNetwork` of
simulated devices (`SimDevice`, built by the factories in ``models``).
The JSON-lines control server and CLI live in ``tests.simulator.control``.
"""

from __future__ import annotations

from .clock import SimClock
from .device import (
    NO_RESPONSE,
    Access,
    Attr,
    ClusterResponse,
    CommandContext,
    RecordedFrame,
    SimCluster,
    SimDevice,
    SimEndpoint,
    ZdoStatusError,
)
from .link import Link
from .models import MODELS, create_device
from .network import Delivery, DeliveryStatus, RadioFrontend, SimNetwork
from .poll_control import PollControlServer, poll_control
from .xbee import XBeeFrontend

__all__ = [
    "MODELS",
    "NO_RESPONSE",
    "Access",
    "Attr",
    "ClusterResponse",
    "CommandContext",
    "Delivery",
    "DeliveryStatus",
    "Link",
    "PollControlServer",
    "RadioFrontend",
    "RecordedFrame",
    "SimClock",
    "SimCluster",
    "SimDevice",
    "SimEndpoint",
    "SimNetwork",
    "XBeeFrontend",
    "ZdoStatusError",
    "create_device",
    "poll_control",
]
