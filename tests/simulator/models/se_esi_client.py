"""A Smart Energy client's side of its ESI: finding it, and taking its frames from it only.

Written from the Zigbee specification's service discovery (ZDO Match_Desc_req: "the profile
identifier ... and the lists of input and output clusters" a remote endpoint must match;
Match_Desc_rsp: Status, NWKAddrOfInterest, MatchLength, MatchList of endpoints) and seed 001
§9.1 / §10 (the ESI hosts the Time, DRLC, Messaging and Price servers; devices "query the
ESI"), independently of the integration (nothing is imported from ``custom_components``).

- ``discover_esi()``: once joined, a Match_Desc_req to the coordinator (0x0000), profile
  0x0109, with the ESI servers the device is a client of as input clusters
  (``esi_servers``). The first endpoint of the MatchList is the ESI's (``esi_endpoint``, kept
  in the device's state); an empty list leaves it unknown.
- Its requests go to ``esi_destination``: the ESI endpoint, or endpoint 1 while none is
  known (where a device without discovery sends, as the models did before).
- Strict: once the ESI endpoint is known, a frame for one of the device's client clusters of
  those servers (Time 0x000A, Price 0x0700, DRLC 0x0701, Messaging 0x0703, server -> client:
  commands, answers, Default Responses, Read Attributes Responses) that comes from another
  endpoint is dropped unanswered and kept in ``dropped``: it is not the ESI's. Before
  discovery every endpoint is taken (the device knows no ESI to compare with).
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from zigpy.zcl import foundation

from tests.simulator.device import SE_PROFILE, RecordedFrame, SimDevice

TIME: Final = 0x000A
PRICE: Final = 0x0700
DRLC: Final = 0x0701
MESSAGING: Final = 0x0703
#: The servers an ESI hosts for its clients.
ESI_SERVERS: Final = frozenset({TIME, PRICE, DRLC, MESSAGING})
#: Where a device sends its ESI requests while it knows no ESI endpoint.
UNDISCOVERED_DESTINATION: Final = 1


class EsiClientDevice(SimDevice):
    """A device with Smart Energy clients of the ESI's servers."""

    #: The ESI servers the device is a client of: its Match_Desc_req's input clusters.
    esi_servers: tuple[int, ...] = ()

    def __init__(self, **kwargs: Any) -> None:
        """Start without a known ESI."""
        super().__init__(**kwargs)
        #: Frames from other endpoints than the ESI's, dropped.
        self.dropped: list[RecordedFrame] = []

    @property
    def esi_endpoint(self) -> int | None:
        """Return the ESI's endpoint found by discovery (None: not found)."""
        value = self.state.get("esi_endpoint")
        return None if value is None else int(value)

    @property
    def esi_destination(self) -> int:
        """Return the endpoint the device's requests to the ESI go to."""
        endpoint = self.esi_endpoint
        return UNDISCOVERED_DESTINATION if endpoint is None else endpoint

    async def discover_esi(self, timeout: float = 2.0) -> int | None:
        """Find the ESI: Match_Desc_req for its servers; return (and keep) its endpoint."""
        matches = await self.match_descriptor(
            SE_PROFILE, self.esi_servers, timeout=timeout
        )
        self.state["esi_endpoint"] = matches[0] if matches else None
        self.changed()
        return self.esi_endpoint

    def from_esi(self, frame: RecordedFrame) -> bool:
        """Return False for an ESI server's frame that does not come from the ESI."""
        esi = self.esi_endpoint
        header = frame.zcl
        if esi is None or header is None or frame.cluster_id not in ESI_SERVERS:
            return True
        if header.direction != foundation.Direction.Server_to_Client:
            return True
        return frame.src_ep == esi

    async def handle_frame(self, frame: RecordedFrame) -> None:
        """Drop what does not come from the ESI; handle the rest."""
        if not self.from_esi(frame):
            self.dropped.append(frame)
            return
        await super().handle_frame(frame)

    async def _wait_received(
        self, start: int, timeout: float, **filters: Any
    ) -> RecordedFrame:
        """Wait for an answer as the base does, taking only the ESI's."""
        async with asyncio.timeout(timeout):
            while True:
                new = set(map(id, self.received[start:]))
                found = [
                    frame
                    for frame in self.frames(**filters)
                    if id(frame) in new and self.from_esi(frame)
                ]
                if found:
                    return found[0]
                self._frame_event.clear()
                await self._frame_event.wait()


def esi_destination(device: SimDevice) -> int:
    """Return where ``device`` sends its ESI requests (endpoint 1 without discovery)."""
    if isinstance(device, EsiClientDevice):
        return device.esi_destination
    return UNDISCOVERED_DESTINATION
