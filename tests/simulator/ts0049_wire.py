"""Byte-level helpers for the TS0049 model's tests: frames as the seed prints them."""

from __future__ import annotations

from tests.simulator.capture import CaptureFrontend
from tests.simulator.device import SimDevice

TUYA = 0xE001
ON_OFF = 0x0006


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def report(dp_data: str) -> tuple[int, str]:
    """A 0xD040 report (ZCL header without the TSN, type 0x41, length)."""
    value = h(dp_data)
    return TUYA, (h("18 0a 40d0 41") + bytes([len(value)]) + value).hex()


def on_off_report(on: bool) -> tuple[int, str]:
    return ON_OFF, f"180a000010{int(on):02x}"


def default_rsp(cluster: int, command: int, status: int) -> tuple[int, str]:
    return cluster, f"180b{command:02x}{status:02x}"


async def drain(host: CaptureFrontend) -> list[tuple[int, str]]:
    """Everything the network sent since the last drain: (cluster, ZCL bytes without TSN)."""
    await host.network.settle()
    frames = [(f.cluster_id, (f.data[:1] + f.data[2:]).hex()) for f in host.frames]
    host.frames.clear()
    return frames


async def send(
    host: CaptureFrontend,
    device: SimDevice,
    cluster: int,
    command: int,
    payload: str = "",
    *,
    ddr: bool,
    tsn: int = 0x42,
) -> list[tuple[int, str]]:
    """Send a cluster-specific command (client to server) and return what came back.

    ``ddr``: the frame asks for no Default Response (the integration sends 0xFC-0xFE so).
    """
    data = bytes([0x11 if ddr else 0x01, tsn, command]) + h(payload)
    assert host.send(device, 1, cluster, data).ok
    return await drain(host)
