"""The link test: N requests a device must acknowledge, timed on the event loop's clock.

The cheapest request every device answers: a Read Attributes of the Basic cluster's
ZCLVersion (0x0000, mandatory) with the cache bypassed, or for a device without Basic a
ZDO Node_Desc_req. Both are APS-acknowledged unicasts that carry an answer, so the time from
sending to the answer is the round trip over every hop and back. RapidHA's Latency Request
(seed 003, Diagnostic Frames 0xD1/0x10) measures the same in the radio; zigpy has no such
request, so the host measures it, which adds the serial link to the radio (about a
millisecond). A sleepy end device answers at its next poll: its first round trip includes the
wait, reported apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import statistics
from typing import Any, Final

from zha.zigbee.device import Device
from zigpy.exceptions import DeliveryError
from zigpy.zcl.clusters.general import Basic

#: How long one request may take before it counts as lost (a sleepy device's poll included).
REQUEST_TIMEOUT: Final = 30.0
ZCL_VERSION: Final = Basic.AttributeDefs.zcl_version.id


def is_sleepy(device: Device) -> bool:
    """Return True for an end device that does not listen between polls."""
    node = device.device.node_desc
    return bool(
        node is not None and node.is_end_device and not node.is_receiver_on_when_idle
    )


def basic_cluster(device: Device) -> Any | None:
    """Return the device's first Basic server cluster, if it has one."""
    for endpoint_id, endpoint in device.device.endpoints.items():
        if endpoint_id == 0:
            continue
        if (cluster := endpoint.in_clusters.get(Basic.cluster_id)) is not None:
            return cluster
    return None


@dataclass(slots=True)
class LinkTestResult:
    """What one link test measured."""

    requests: int = 0
    answered: int = 0
    lost: int = 0
    retries: int = 0
    round_trips_ms: list[float] = field(default_factory=list)
    method: str = "basic_read"
    sleepy: bool = False
    first_answer_s: float | None = None

    def as_response(self) -> dict[str, Any]:
        """Return the service response part of the result."""
        trips = self.round_trips_ms
        # a sleepy device's first answer waited for its poll: it is not the link's time
        timed = trips[1:] if self.sleepy and len(trips) > 1 else trips
        return {
            "method": self.method,
            "requests": self.requests,
            "answered": self.answered,
            "lost": self.lost,
            "retries": self.retries,
            "latency_ms": (
                {
                    "min": round(min(timed), 1),
                    "median": round(statistics.median(timed), 1),
                    "max": round(max(timed), 1),
                }
                if timed
                else None
            ),
            "sleepy": self.sleepy,
            "waited_for_poll_s": (
                round(self.first_answer_s, 2)
                if self.sleepy and self.first_answer_s is not None
                else None
            ),
        }


async def probe(device: Device) -> float:
    """Send one request; return its round trip in ms (raise on no answer).

    zigpy's own retries (two by default) are off: the link test counts its retries itself.
    """
    loop = asyncio.get_running_loop()
    cluster = basic_cluster(device)
    start = loop.time()
    async with asyncio.timeout(REQUEST_TIMEOUT):
        if cluster is not None:
            await cluster.read_attributes([ZCL_VERSION], allow_cache=False, retries=0)
        else:
            zigpy_device = device.device
            await zigpy_device.zdo.Node_Desc_req(zigpy_device.nwk, retries=0)
    return (loop.time() - start) * 1000


async def run_link_test(
    device: Device,
    count: int,
    interval: float,
    *,
    retry: bool,
    progress: Callable[[int, LinkTestResult], None],
) -> LinkTestResult:
    """Send ``count`` requests ``interval`` s apart (one retry each when ``retry``)."""
    loop = asyncio.get_running_loop()
    result = LinkTestResult(
        method="basic_read" if basic_cluster(device) is not None else "zdo_node_desc",
        sleepy=is_sleepy(device),
    )
    started = loop.time()
    for index in range(count):
        if index and interval:
            await asyncio.sleep(interval)
        for attempt in range(2 if retry else 1):
            result.requests += 1
            if attempt:
                result.retries += 1
            try:
                trip = await probe(device)
            except DeliveryError, TimeoutError:
                continue
            result.answered += 1
            result.round_trips_ms.append(trip)
            if result.first_answer_s is None:
                result.first_answer_s = loop.time() - started
            break
        else:
            result.lost += 1
        progress(index + 1, result)
    return result
