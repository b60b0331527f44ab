"""Helpers to drive the simulator with a real zigpy-xbee `ControllerApplication`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import zigpy.device
import zigpy.types as t
from zigpy_xbee.zigbee.application import ControllerApplication

from .device import SimDevice
from .xbee import XBeeFrontend


def zigpy_config(
    frontend: XBeeFrontend, database_path: str | None = None
) -> dict[str, Any]:
    """Return a zigpy-xbee configuration for ``frontend``."""
    return {
        "device": {"path": frontend.path},
        "database_path": database_path,
        # periodic background work a short test does not need
        "backup_enabled": False,
        "topology_scan_enabled": False,
        "ota": {"enabled": False, "broadcast_enabled": False},
    }


async def start_app(
    frontend: XBeeFrontend, database_path: str | None = None, *, auto_form: bool = False
) -> ControllerApplication:
    """Start a zigpy-xbee application against ``frontend``."""
    app: ControllerApplication = await ControllerApplication.new(
        zigpy_config(frontend, database_path), auto_form=auto_form
    )
    return app


class _InitListener:
    def __init__(
        self, ieee: t.EUI64, future: asyncio.Future[zigpy.device.Device]
    ) -> None:
        self.ieee = ieee
        self.future = future

    def device_initialized(self, device: zigpy.device.Device) -> None:
        if device.ieee == self.ieee and not self.future.done():
            self.future.set_result(device)


async def wait_initialized(
    app: ControllerApplication,
    device: SimDevice,
    trigger: Awaitable[Any] | None = None,
    timeout: float = 5.0,
) -> zigpy.device.Device:
    """Await ``trigger`` (e.g. a join), then until zigpy has initialized ``device``."""
    future: asyncio.Future[zigpy.device.Device] = (
        asyncio.get_running_loop().create_future()
    )
    listener = _InitListener(device.ieee, future)
    app.add_listener(listener)
    try:
        if trigger is not None:
            await trigger
        async with asyncio.timeout(timeout):
            return await future
    finally:
        app.remove_listener(listener)
