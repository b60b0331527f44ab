"""An in-process radio frontend that records what the network sends to the host.

Useful for unit tests of device models that need no zigpy and no sockets::

    network = SimNetwork()
    host = CaptureFrontend(network)
    network.form()
    await network.join(device)
    rsp = await host.request(device, 1, 0x0006, bytes([0x01, 0x10, 0x01]))
"""

from __future__ import annotations

import asyncio
from typing import Any

from .device import HA_PROFILE, SimDevice
from .network import Delivery, HostFrame, RadioFrontend, SimNetwork


class CaptureFrontend(RadioFrontend):
    """Records `HostFrame`s; lets a test send frames as the host."""

    def __init__(self, network: SimNetwork) -> None:
        self.network = network
        self.frames: list[HostFrame] = []
        self._event = asyncio.Event()
        network.attach_frontend(self)

    def deliver_to_host(self, frame: HostFrame) -> bool:
        """Record the frame."""
        self.frames.append(frame)
        self._event.set()
        return True

    def send(
        self,
        device: SimDevice,
        endpoint: int,
        cluster_id: int,
        data: bytes,
        *,
        profile_id: int = HA_PROFILE,
        src_ep: int = 1,
        **kwargs: Any,
    ) -> Delivery:
        """Send a unicast frame to ``device`` as the host would."""
        return self.network.send_from_host(
            dst_ieee=device.ieee,
            dst_nwk=device.nwk,
            src_ep=src_ep,
            dst_ep=endpoint,
            cluster_id=cluster_id,
            profile_id=profile_id,
            data=data,
            **kwargs,
        )

    async def wait_for(
        self,
        *,
        cluster_id: int | None = None,
        timeout: float = 1.0,
    ) -> HostFrame:
        """Wait for (and consume) the first frame (from ``cluster_id``)."""
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.frames:
                    if cluster_id is None or frame.cluster_id == cluster_id:
                        self.frames.remove(frame)
                        return frame
                self._event.clear()
                await self._event.wait()

    async def request(
        self,
        device: SimDevice,
        endpoint: int,
        cluster_id: int,
        data: bytes,
        *,
        timeout: float = 1.0,
        **kwargs: Any,
    ) -> HostFrame:
        """Send a frame; wait for the reply (ZDO: from cluster ``cluster_id | 0x8000``)."""
        delivery = self.send(device, endpoint, cluster_id, data, **kwargs)
        assert delivery.ok, delivery
        zdo = kwargs.get("profile_id") == 0 and endpoint == 0
        reply_cluster = cluster_id | 0x8000 if zdo else cluster_id
        return await self.wait_for(cluster_id=reply_cluster, timeout=timeout)
