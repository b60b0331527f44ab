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

from .device import HA_PROFILE, ZDO_ENDPOINT, ZDO_PROFILE, SimDevice
from .network import Delivery, DeliveryStatus, HostFrame, RadioFrontend, SimNetwork


class CaptureFrontend(RadioFrontend):
    """Records `HostFrame`s; lets a test send frames as the host.

    With ``zdo_passthrough=True`` devices' ZDO requests for the coordinator reach
    the test (like zigpy-xbee's AO=3) instead of being answered by the coordinator.
    """

    def __init__(self, network: SimNetwork, *, zdo_passthrough: bool = False) -> None:
        self.network = network
        self.zdo_passthrough = zdo_passthrough
        self.frames: list[HostFrame] = []
        self._event = asyncio.Event()
        network.attach_frontend(self)

    def deliver_to_host(self, frame: HostFrame) -> bool:
        """Record the frame."""
        self.frames.append(frame)
        self._event.set()
        return True

    def passes_zdo_request(self, cluster_id: int) -> bool:
        """Return `zdo_passthrough`."""
        return self.zdo_passthrough

    def send(
        self,
        device: SimDevice,
        endpoint: int,
        cluster_id: int,
        data: bytes,
        *,
        profile_id: int | None = None,
        src_ep: int = 1,
        **kwargs: Any,
    ) -> Delivery:
        """Send a unicast frame to ``device`` as the host would.

        The profile defaults to the destination endpoint's (ZDO for endpoint 0), as
        zigpy addresses an endpoint with the profile of its simple descriptor.
        """
        if profile_id is None:
            if endpoint == ZDO_ENDPOINT:
                profile_id = ZDO_PROFILE
            elif endpoint in device.endpoints:
                profile_id = device.endpoints[endpoint].profile_id
            else:
                profile_id = HA_PROFILE
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
        """Send a frame; wait for the reply (ZDO: from cluster ``cluster_id | 0x8000``).

        A frame queued for a sleeping device is answered only after it polls.
        """
        delivery = self.send(device, endpoint, cluster_id, data, **kwargs)
        assert delivery.status in (
            DeliveryStatus.SUCCESS,
            DeliveryStatus.QUEUED,
            DeliveryStatus.IN_FLIGHT,
        ), delivery
        zdo = kwargs.get("profile_id", ZDO_PROFILE) == ZDO_PROFILE and endpoint == 0
        reply_cluster = cluster_id | 0x8000 if zdo else cluster_id
        return await self.wait_for(cluster_id=reply_cluster, timeout=timeout)
