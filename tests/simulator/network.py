"""The radio-agnostic core of the simulated Zigbee network.

`SimNetwork` holds the coordinator's identity and network state, the simulated
devices (by IEEE and NWK address) and routes frames between the host (through a
`RadioFrontend`, e.g. the XBee API server in ``xbee.py``) and the devices.  It also
answers ZDO requests addressed to the coordinator itself (NWK 0x0000), from the host
and, unless the radio passes them through to the host, from devices.

As the parent of every simulated device it keeps the indirect queue of sleepy end
devices: a frame for a sleeping child waits until the child polls (MAC data request)
or until macTransactionPersistenceTime expires.  Time is the network's `SimClock`.
"""

from __future__ import annotations

import abc
import asyncio
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Mapping
import dataclasses
from datetime import datetime
import enum
import functools
import hashlib
import json
import logging
import math
import os
from pathlib import Path
import tempfile
import time
from typing import Any, Final, NamedTuple

import zigpy.types as t
import zigpy.zdo.types as zdo_t

from .clock import ClockTimer, SimClock
from .device import ZDO_ENDPOINT, ZDO_PROFILE, RecordedFrame, SimDevice, to_eui64

_LOGGER = logging.getLogger(__name__)

DEFAULT_COORDINATOR_IEEE: Final = "00:13:a2:00:40:a1:b2:c3"
DEFAULT_TC_LINK_KEY: Final = b"ZigBeeAlliance09"
COORDINATOR_NWK: Final = 0x0000
BROADCAST_ALL: Final = 0xFFFF
BROADCAST_RX_ON_WHEN_IDLE: Final = 0xFFFD
BROADCAST_ROUTERS: Final = 0xFFFC
BROADCAST_ADDRESSES: Final = frozenset(
    {0xFFF8, 0xFFF9, 0xFFFA, 0xFFFB, 0xFFFC, 0xFFFD, 0xFFFE, 0xFFFF}
)
#: Broadcast addresses that include the coordinator (it is a router, rx-on-when-idle).
COORDINATOR_BROADCASTS: Final = frozenset(
    {BROADCAST_ALL, BROADCAST_RX_ON_WHEN_IDLE, BROADCAST_ROUTERS}
)
#: Match_Desc_req profile id matching every endpoint (Z-Stack's ZDO_WILDCARD_PROFILE_ID).
WILDCARD_PROFILE: Final = 0xFFFF
#: Zigbee PRO macTransactionPersistenceTime: how long a parent holds a frame for a
#: sleeping child (0x01F4 unit periods of 15.36 ms).
MAC_TRANSACTION_PERSISTENCE_TIME: Final = 7.68
UNKNOWN_IEEE: Final = t.EUI64.convert("ff:ff:ff:ff:ff:ff:ff:ff")
ZERO_IEEE: Final = t.EUI64.convert("00:00:00:00:00:00:00:00")
#: Identity of the coordinator's own endpoint, as a real XBee reports it.
COORDINATOR_MANUFACTURER_CODE: Final = 0x101E
COORDINATOR_ENDPOINT: Final = 0xE6
COORDINATOR_PROFILE: Final = 0xC105
COORDINATOR_DEVICE_TYPE: Final = 0x0050
STATE_VERSION: Final = 1

ZDOCmd = zdo_t.ZDOCmd
ZDOStatus = zdo_t.Status


class DeliveryStatus(enum.Enum):
    """Outcome of a host -> network transmission (mapped to radio codes by frontends)."""

    SUCCESS = "success"
    NO_ACK = "no_ack"  # the device is offline: no MAC/APS acknowledgement
    ADDRESS_NOT_FOUND = "address_not_found"  # no such (joined) device
    #: Held in the coordinator's indirect queue until the sleeping device polls;
    #: `Delivery.result` resolves to SUCCESS or EXPIRED.
    QUEUED = "queued"
    #: The device did not poll within the indirect timeout (transaction expired).
    EXPIRED = "expired"
    #: On its way over a link with latency (`Link`): `Delivery.result` resolves to
    #: SUCCESS when the APS ack is back, or NO_ACK (lost, or the device went off the
    #: air), a round trip after the transmission.
    IN_FLIGHT = "in_flight"


@dataclasses.dataclass(frozen=True)
class Delivery:
    """Result of `SimNetwork.send_from_host`."""

    status: DeliveryStatus
    nwk: int  # resolved destination NWK address (or the broadcast/group address)
    #: For a QUEUED frame: resolves to the final `Delivery` when it leaves the queue.
    result: asyncio.Future[Delivery] | None = dataclasses.field(
        default=None, compare=False, repr=False
    )

    @property
    def ok(self) -> bool:
        """Return True on success."""
        return self.status is DeliveryStatus.SUCCESS

    @property
    def queued(self) -> bool:
        """Return True while the frame waits in the indirect queue."""
        return self.status is DeliveryStatus.QUEUED

    @property
    def pending(self) -> bool:
        """Return True if the outcome comes later, in `result` (queued or in flight)."""
        return self.result is not None and self.status in (
            DeliveryStatus.QUEUED,
            DeliveryStatus.IN_FLIGHT,
        )

    async def wait(self) -> Delivery:
        """Return the final outcome (a queued frame: once delivered or expired)."""
        if self.result is None:
            return self
        return await asyncio.shield(self.result)


class ApsFrame(NamedTuple):
    """The APS part of a frame sent by the host."""

    src_ep: int
    dst_ep: int
    cluster_id: int
    profile_id: int
    data: bytes

    @property
    def is_zdo(self) -> bool:
        """Return True for ZDO frames."""
        return self.profile_id == ZDO_PROFILE and self.dst_ep == ZDO_ENDPOINT


@dataclasses.dataclass(frozen=True)
class HostFrame:
    """An APS frame travelling from the network to the host."""

    src_ieee: t.EUI64
    src_nwk: int
    src_ep: int
    dst_ep: int
    cluster_id: int
    profile_id: int
    data: bytes
    broadcast: bool = False
    lqi: int = 255
    rssi: int = -40


@dataclasses.dataclass(eq=False)
class _InFlight:
    """One frame (or APS ack) travelling over one direction of a device's link."""

    due: float  # event loop time of arrival
    action: Callable[[], Any]
    #: Resolves to what ``action()`` returned once it ran.
    done: asyncio.Future[Any]


@dataclasses.dataclass(eq=False)
class _Pipe:
    """Frames in flight in one direction of a link, delivered in the order sent."""

    items: deque[_InFlight] = dataclasses.field(default_factory=deque)
    task: asyncio.Task[None] | None = None


@dataclasses.dataclass(eq=False)
class IndirectFrame:
    """A frame in the coordinator's indirect queue, waiting for a sleeping child's poll."""

    aps: ApsFrame
    queued_at: float
    expires_at: float
    broadcast: bool = False
    #: Resolves to the final `Delivery` (None for broadcasts: nobody waits for them).
    result: asyncio.Future[Delivery] | None = None
    timer: ClockTimer | None = None


class RadioFrontend(abc.ABC):
    """A host-facing radio protocol (XBee API now, maybe Ziggurat later).

    The frontend turns host requests into `SimNetwork.send_from_host` calls and
    forwards device traffic that the network hands to `deliver_to_host`.
    """

    @abc.abstractmethod
    def deliver_to_host(self, frame: HostFrame) -> bool:
        """Send a received APS frame to the host; return False if no host is connected."""

    def network_formed(self) -> None:  # noqa: B027
        """Notify that the network was (re-)formed (optional hook)."""

    def passes_zdo_request(self, cluster_id: int) -> bool:
        """Return True if the radio hands a device's ZDO request for the coordinator to the host.

        Then the host answers it (zigpy-xbee sets XBee AO=3: supported ZDO requests
        pass through) and the simulated coordinator stays silent; otherwise the
        coordinator answers by itself and the host never sees the request.
        """
        del cluster_id
        return False


class SimNetwork:
    """A simulated Zigbee network: coordinator state plus simulated devices."""

    def __init__(
        self,
        *,
        ieee: str | t.EUI64 = DEFAULT_COORDINATOR_IEEE,
        channel: int = 11,
        pan_id: int = 0x0000,
        extended_pan_id: str | t.ExtendedPanId | None = None,
        network_key: bytes | None = None,
        tc_link_key: bytes = DEFAULT_TC_LINK_KEY,
        formed: bool = False,
        reply_delay: float = 0.005,
        join_delay: float = 0.05,
        auto_join_on_form: bool = False,
        indirect_timeout: float = MAC_TRANSACTION_PERSISTENCE_TIME,
        time_scale: float | None = None,
    ) -> None:
        self.ieee = to_eui64(ieee)
        self.channel = channel
        self.pan_id = pan_id
        self.extended_pan_id: t.ExtendedPanId = (
            _to_extended_pan_id(extended_pan_id)
            if isinstance(extended_pan_id, str)
            else extended_pan_id or t.ExtendedPanId(ZERO_IEEE)
        )
        self.network_key = network_key or bytes(16)
        self.tc_link_key = tc_link_key
        self.formed = formed
        self.nwk_update_id = 0
        #: Monotonic time until which joins are permitted (None: closed).
        self.permit_deadline: float | None = None
        #: Seconds before a device answers a frame (per device: `SimDevice.reply_delay`).
        self.reply_delay = reply_delay
        #: Seconds between permit-join and the Device_annce of an auto-joining device.
        self.join_delay = join_delay
        #: Let auto-join devices join as soon as the network is formed (demo mode).
        self.auto_join_on_form = auto_join_on_form
        #: Seconds a frame for a sleeping child waits for its poll before it expires.
        self.indirect_timeout = indirect_timeout
        #: Virtual time: manual (tests call `elapse`) unless ``time_scale`` is given.
        self.clock = SimClock(time_scale=time_scale)
        self.clock.settle = self.settle
        #: The coordinator's own application endpoints (Active_EP / Simple_Desc /
        #: Match_Desc).  The XBee's 0xE6 endpoint by default; zigpy-xbee registers the
        #: host's endpoints only in zigpy (nothing goes to the radio), so tests that
        #: need more add them with `add_coordinator_endpoint`.
        self.coordinator_endpoints: dict[int, zdo_t.SimpleDescriptor] = {}
        self.add_coordinator_endpoint(
            COORDINATOR_ENDPOINT,
            profile_id=COORDINATOR_PROFILE,
            device_type=COORDINATOR_DEVICE_TYPE,
        )
        #: Radio-specific persistent state, by frontend name (e.g. XBee AT parameters).
        self.frontend_state: dict[str, dict[str, Any]] = {}
        self.devices: dict[t.EUI64, SimDevice] = {}
        self.frontends: list[RadioFrontend] = []
        self._listeners: list[Callable[[], None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._joining: set[t.EUI64] = set()
        self._indirect: dict[t.EUI64, list[IndirectFrame]] = {}
        #: Links with latency: frames in flight by (device, "down" | "up").
        self._pipes: dict[tuple[t.EUI64, str], _Pipe] = {}
        self._in_flight: set[asyncio.Future[Delivery]] = set()
        #: RSSI (dBm) of the last frame the coordinator received from a device (XBee
        #: ``DB``: "RSSI of the last received packet"); None before the first one.
        self.last_rssi: int | None = None

    def __repr__(self) -> str:
        state = "formed" if self.formed else "not formed"
        return (
            f"<SimNetwork {self.ieee} {state} pan=0x{self.pan_id:04X} epid={self.extended_pan_id}"
            f" ch={self.channel} devices={len(self.devices)}>"
        )

    # -- network state ------------------------------------------------------------

    def form(
        self,
        *,
        channel: int | None = None,
        extended_pan_id: str | t.ExtendedPanId | None = None,
        network_key: bytes | None = None,
        tc_link_key: bytes | None = None,
        pan_id: int | None = None,
    ) -> None:
        """Form (or re-form) the network.

        Missing values are kept (or randomly generated on first formation).  Joined
        devices stay joined unless the extended PAN id or the network key changes.
        """
        epid = self._new_extended_pan_id(extended_pan_id)
        if network_key is None:
            network_key = self.network_key if any(self.network_key) else os.urandom(16)
        changed = epid != self.extended_pan_id or network_key != self.network_key
        if pan_id is None:
            pan_id = (
                self.pan_id if not changed and self.pan_id else _derive_pan_id(epid)
            )
        if channel is not None:
            self.channel = channel
        self.extended_pan_id = epid
        self.network_key = network_key
        if tc_link_key is not None:
            self.tc_link_key = tc_link_key
        self.pan_id = pan_id
        if changed and self.formed:
            for device in self.devices.values():
                device.joined = False
                device.network_down()
        self.formed = True
        _LOGGER.info("Network formed: %r", self)
        for frontend in self.frontends:
            frontend.network_formed()
        self.notify_changed()
        if self.auto_join_on_form:
            self._schedule_auto_joins()

    def _new_extended_pan_id(
        self, extended_pan_id: str | t.ExtendedPanId | None
    ) -> t.ExtendedPanId:
        if isinstance(extended_pan_id, str):
            return _to_extended_pan_id(extended_pan_id)
        if extended_pan_id is not None:
            return extended_pan_id
        if self.extended_pan_id == ZERO_IEEE:
            return t.ExtendedPanId(os.urandom(8))
        return self.extended_pan_id

    def permit_join(self, duration: float) -> None:
        """Open (``duration`` seconds; >= 255: forever) or close (0) the join window."""
        if duration <= 0:
            self.permit_deadline = None
            return
        self.permit_deadline = (
            math.inf if duration >= 255 else time.monotonic() + duration
        )
        self._schedule_auto_joins()

    @property
    def permit_join_active(self) -> bool:
        """Return True while devices may join."""
        return (
            self.permit_deadline is not None and time.monotonic() < self.permit_deadline
        )

    # -- virtual time -------------------------------------------------------------

    @property
    def now(self) -> float:
        """Return the network's virtual time in seconds (see `SimClock`)."""
        return self.clock.now

    async def elapse(self, seconds: float) -> None:
        """Advance the virtual clock: polls, check-ins and expiries due on the way happen."""
        await self.clock.elapse(seconds)

    @property
    def wall_clock(self) -> datetime | None:
        """Return the wall time (aware UTC) devices follow; None on a manual clock.

        A scaled clock (``time_scale``, the dev server) carries wall time: models with
        clocks of their own set them from it when they enter the network and then run on
        the network's clock, so their timers fire in (scaled) real time.
        """
        return self.clock.wall_time()

    # -- devices ------------------------------------------------------------------

    def add_device(
        self, device: SimDevice, *, auto_join: bool | None = None
    ) -> SimDevice:
        """Add a device to the simulation (not joined yet, unless restored as joined).

        With ``auto_join`` the device joins by itself while joins are permitted.
        """
        if device.ieee in self.devices and self.devices[device.ieee] is not device:
            raise ValueError(f"A device with IEEE {device.ieee} already exists")
        if auto_join is not None:
            device.auto_join = auto_join
        device.network = self
        if device.nwk is None or self._nwk_in_use(device.nwk, device):
            device.nwk = self.allocate_nwk(device.ieee)
        self.devices[device.ieee] = device
        if (wall := self.wall_clock) is not None:
            for hook in list(device.wall_clock_hooks):
                hook(wall)
        self.notify_changed()
        if device.joined and self.formed:
            device.network_up()  # restored as joined: it polls and checks in again
        if (
            device.auto_join
            and not device.joined
            and self.formed
            and self.permit_join_active
        ):
            self._schedule_join(device)
        return device

    def remove_device(self, ieee: str | t.EUI64) -> SimDevice | None:
        """Remove a device from the simulation (silently: XBee has no leave indication)."""
        device = self.devices.pop(to_eui64(ieee), None)
        if device is not None:
            device.joined = False
            device.network_down()
            device.network = None
            self.notify_changed()
        return device

    def get_device(
        self, ieee: str | t.EUI64 | None = None, nwk: int | None = None
    ) -> SimDevice | None:
        """Find a device by IEEE or NWK address."""
        if ieee is not None:
            return self.devices.get(to_eui64(ieee))
        for device in self.devices.values():
            if device.nwk == nwk:
                return device
        return None

    def device(self, ieee: str | t.EUI64) -> SimDevice:
        """Return a device by IEEE address (KeyError if unknown)."""
        return self.devices[to_eui64(ieee)]

    def allocate_nwk(self, ieee: t.EUI64) -> int:
        """Return a free NWK address, derived from the IEEE address (stable)."""
        digest = hashlib.sha256(ieee.serialize()).digest()
        candidate = int.from_bytes(digest[:2], "big")
        for _ in range(0x10000):
            candidate = candidate % 0xFFF7 or 1
            if not self._nwk_in_use(candidate, None):
                return candidate
            candidate += 1
        raise RuntimeError("No free NWK address")

    def allocate_ieee(self) -> t.EUI64:
        """Return an unused, deterministic IEEE address for a new device."""
        counter = len(self.devices)
        while True:
            digest = hashlib.sha256(f"{self.ieee}/{counter}".encode()).digest()
            ieee = t.EUI64((digest[:5] + bytes([0x00, 0xFF, 0x5C]))[:8])
            if ieee not in self.devices:
                return ieee
            counter += 1

    def _nwk_in_use(self, nwk: int, device: SimDevice | None) -> bool:
        if nwk in (COORDINATOR_NWK, *BROADCAST_ADDRESSES):
            return True
        return any(d.nwk == nwk and d is not device for d in self.devices.values())

    async def join(self, device: SimDevice) -> None:
        """Join ``device`` now: it broadcasts Device_annce immediately."""
        if not self.formed:
            raise RuntimeError("The network is not formed")
        if self.devices.get(device.ieee) is not device:
            self.add_device(device)
        assert device.nwk is not None
        device.joined = True
        device.online = True
        self._joining.discard(device.ieee)
        self.notify_changed()
        _LOGGER.debug("%r joined", device)
        device.network_up()
        device.announce()

    def device_left(self, device: SimDevice, *, rejoin: bool = False) -> None:
        """Handle a device leaving (Mgmt_Leave_req); with ``rejoin`` it re-announces."""
        device.joined = False
        device.network_down()
        self.notify_changed()
        if rejoin:
            self._schedule_join(device, force=True)

    def _schedule_auto_joins(self) -> None:
        if not self.formed:
            return
        for device in self.devices.values():
            if device.auto_join and not device.joined:
                self._schedule_join(device)

    def _schedule_join(self, device: SimDevice, *, force: bool = False) -> None:
        if device.ieee in self._joining:
            return
        self._joining.add(device.ieee)
        self.spawn(self._join_later(device, force=force))

    async def _join_later(self, device: SimDevice, *, force: bool) -> None:
        try:
            await asyncio.sleep(self.join_delay)
            allowed = force or self.permit_join_active or self.auto_join_on_form
            if (
                allowed
                and self.formed
                and not device.joined
                and device.online
                and self.devices.get(device.ieee) is device
            ):
                await self.join(device)
        finally:
            self._joining.discard(device.ieee)

    # -- host -> devices ----------------------------------------------------------

    def send_from_host(
        self,
        *,
        dst_ieee: t.EUI64 | None,
        dst_nwk: int | None,
        src_ep: int,
        dst_ep: int,
        cluster_id: int,
        profile_id: int,
        data: bytes,
        broadcast: int | None = None,
        group: int | None = None,
    ) -> Delivery:
        """Route a frame sent by the host.

        Exactly one addressing mode is used: ``group``, ``broadcast`` (a broadcast
        address such as 0xFFFC) or unicast (``dst_ieee`` if known, else ``dst_nwk``).
        The device processes the frame after its reply delay; the returned
        `Delivery` is what the radio reports (TX status) right away.
        """
        aps = ApsFrame(src_ep, dst_ep, cluster_id, profile_id, data)
        if group is not None:
            return self._send_group(aps, group)
        if broadcast is not None:
            return self._send_broadcast(aps, broadcast)
        return self._send_unicast(aps, dst_ieee, dst_nwk)

    def _send_group(self, aps: ApsFrame, group: int) -> Delivery:
        for device in self._on_air():
            # APS group frames travel as NWK broadcasts to 0xFFFD (nwkUseMulticast is
            # FALSE in Zigbee PRO), which a parent does not buffer for sleepy children.
            if device.sleepy:
                continue
            if any(group in ep.groups for ep in device.endpoints.values()):
                self._deliver(device, aps, group=group)
        return Delivery(DeliveryStatus.SUCCESS, group)

    def _send_broadcast(self, aps: ApsFrame, broadcast: int) -> Delivery:
        if aps.is_zdo:
            self._coordinator_zdo(aps.cluster_id, aps.data, broadcast=True)
        for device in self._on_air():
            if broadcast == BROADCAST_ROUTERS and device.is_end_device:
                continue
            if broadcast == BROADCAST_RX_ON_WHEN_IDLE and not device.rx_on_when_idle:
                continue
            if device.sleepy and not device.awake:
                # Only 0xFFFF reaches a sleepy child: its parent holds it for a poll.
                self._enqueue(device, aps, broadcast=True)
                continue
            self._deliver(device, aps, broadcast=True)
        return Delivery(DeliveryStatus.SUCCESS, broadcast)

    def _send_unicast(
        self, aps: ApsFrame, dst_ieee: t.EUI64 | None, dst_nwk: int | None
    ) -> Delivery:
        target: SimDevice | None = None
        if dst_ieee is not None and dst_ieee not in (UNKNOWN_IEEE, ZERO_IEEE):
            if dst_ieee == self.ieee:
                return self._to_coordinator(aps)
            target = self.devices.get(dst_ieee)
        elif dst_nwk == COORDINATOR_NWK:
            return self._to_coordinator(aps)
        elif dst_nwk is not None:
            target = self.get_device(nwk=dst_nwk)

        if target is None or not target.joined or target.nwk is None:
            fallback = 0xFFFE if dst_nwk is None else dst_nwk
            return Delivery(DeliveryStatus.ADDRESS_NOT_FOUND, fallback)
        return self._to_device(target, aps)

    def _to_device(self, device: SimDevice, aps: ApsFrame) -> Delivery:
        """Hand a unicast to a joined child: now, or via the indirect queue if it sleeps.

        The device's `Link` applies: a lost frame never reaches it (NO_ACK); with
        latency the outcome is IN_FLIGHT and resolves a round trip later.
        """
        assert device.nwk is not None
        if device.sleepy and not device.awake:
            # The parent cannot tell a sleeping child from a vanished one: an offline
            # sleepy device's frames wait and expire like any other.
            return self._enqueue(device, aps)
        delivered = device.online and device.link.transmit()
        if not self._link_delayed(device, _DOWN):
            if not delivered:
                return Delivery(DeliveryStatus.NO_ACK, device.nwk)
            self._deliver(device, aps)
            return Delivery(DeliveryStatus.SUCCESS, device.nwk)
        result: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()
        self._send_over_link(device, aps if delivered else None, result)
        return Delivery(DeliveryStatus.IN_FLIGHT, device.nwk, result=result)

    def _on_air(self) -> list[SimDevice]:
        return [d for d in self.devices.values() if d.joined and d.online]

    def _deliver(
        self,
        device: SimDevice,
        aps: ApsFrame,
        *,
        broadcast: bool = False,
        group: int | None = None,
    ) -> asyncio.Task[None]:
        frame = device.record(
            "rx",
            src_ep=aps.src_ep,
            dst_ep=aps.dst_ep,
            cluster_id=aps.cluster_id,
            profile_id=aps.profile_id,
            data=aps.data,
            broadcast=broadcast,
            group=group,
        )
        delay = self.reply_delay if device.reply_delay is None else device.reply_delay
        return self.spawn(self._handle_later(device, frame, delay))

    async def _handle_later(
        self, device: SimDevice, frame: RecordedFrame, delay: float
    ) -> None:
        await asyncio.sleep(delay)
        if device.online and device.joined and device.network is self:
            await device.handle_frame(frame)

    # -- links with latency (`SimDevice.link`) ------------------------------------

    def _link_delayed(self, device: SimDevice, direction: str) -> bool:
        """Return True if a frame in ``direction`` must travel through the pipe.

        With latency, or while earlier frames are still in flight (order is kept).
        """
        if device.link.latency > 0:
            return True
        pipe = self._pipes.get((device.ieee, direction))
        return pipe is not None and bool(pipe.items)

    def _after_latency(
        self, device: SimDevice, direction: str, action: Callable[[], Any]
    ) -> asyncio.Future[Any]:
        """Run ``action()`` one link latency from now, after earlier frames that way.

        Returns a future resolved with what ``action`` returned.
        """
        loop = asyncio.get_running_loop()
        pipe = self._pipes.setdefault((device.ieee, direction), _Pipe())
        item = _InFlight(
            loop.time() + device.link.latency, action, loop.create_future()
        )
        pipe.items.append(item)
        if pipe.task is None or pipe.task.done():
            pipe.task = self.spawn(self._run_pipe(pipe))
        return item.done

    async def _run_pipe(self, pipe: _Pipe) -> None:
        loop = asyncio.get_running_loop()
        while pipe.items:
            item = pipe.items[0]
            delay = item.due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            pipe.items.popleft()
            result = None
            try:
                result = item.action()
            except Exception:
                _LOGGER.exception("Simulated link delivery failed")
            if not item.done.done():
                item.done.set_result(result)

    def _send_over_link(
        self,
        device: SimDevice,
        aps: ApsFrame | None,
        result: asyncio.Future[Delivery] | None,
    ) -> asyncio.Future[asyncio.Task[None] | None]:
        """Send a unicast over ``device``'s link with latency (``aps`` None: lost).

        It arrives one latency later (if the device is still on the air); the APS
        ack (or, without one, the failure) reaches the coordinator one latency after
        that and resolves ``result``.  Returns a future resolved with the task in
        which the device handles the frame (None if it never got it).
        """
        if result is not None:
            self._in_flight.add(result)

        def acknowledged(status: DeliveryStatus) -> None:
            if result is None:
                return
            self._in_flight.discard(result)
            if not result.done():
                nwk = COORDINATOR_NWK if device.nwk is None else device.nwk
                result.set_result(Delivery(status, nwk))

        def arrive() -> asyncio.Task[None] | None:
            task = None
            if (
                aps is not None
                and device.online
                and device.joined
                and device.network is self
            ):
                task = self._deliver(device, aps)
            status = DeliveryStatus.NO_ACK if task is None else DeliveryStatus.SUCCESS
            self._after_latency(device, _UP, functools.partial(acknowledged, status))
            return task

        return self._after_latency(device, _DOWN, arrive)

    async def _handled_after_link(
        self, arrival: asyncio.Future[asyncio.Task[None] | None]
    ) -> None:
        task = await arrival
        if task is not None:
            await task

    # -- the indirect queue (the coordinator as parent of sleepy end devices) -----

    def _enqueue(
        self, device: SimDevice, aps: ApsFrame, *, broadcast: bool = False
    ) -> Delivery:
        assert device.nwk is not None
        now = self.clock.now
        entry = IndirectFrame(
            aps=aps,
            queued_at=now,
            expires_at=now + self.indirect_timeout,
            broadcast=broadcast,
            result=None if broadcast else asyncio.get_running_loop().create_future(),
        )
        entry.timer = self.clock.call_at(
            entry.expires_at, lambda: self._expire(device, entry)
        )
        self._indirect.setdefault(device.ieee, []).append(entry)
        _LOGGER.debug("Queued for sleeping %r: %r", device, aps)
        return Delivery(DeliveryStatus.QUEUED, device.nwk, result=entry.result)

    def _expire(self, device: SimDevice, entry: IndirectFrame) -> None:
        queue = self._indirect.get(device.ieee, [])
        if entry in queue:
            queue.remove(entry)
        if not queue:
            self._indirect.pop(device.ieee, None)
        _LOGGER.debug("Indirect frame for %r expired: %r", device, entry.aps)
        if entry.result is not None and not entry.result.done():
            nwk = COORDINATOR_NWK if device.nwk is None else device.nwk
            entry.result.set_result(Delivery(DeliveryStatus.EXPIRED, nwk))

    def indirect_queue(self, device: SimDevice) -> list[IndirectFrame]:
        """Return the frames waiting for ``device``'s next poll (oldest first)."""
        return list(self._indirect.get(device.ieee, []))

    def poll(self, device: SimDevice) -> list[asyncio.Task[None]]:
        """Answer ``device``'s MAC data request: hand over every frame queued for it.

        One data request fetches one frame, but the parent sets "frame pending" and
        the child polls again at once, so a poll drains the queue.  Returns the tasks
        in which the device handles the frames.
        """
        assert device.nwk is not None
        tasks = []
        for entry in self._indirect.pop(device.ieee, []):
            if entry.timer is not None:
                entry.timer.cancel()
            if entry.broadcast:  # broadcasts ignore the link
                tasks.append(self._deliver(device, entry.aps, broadcast=True))
                continue
            # A unicast leaves the queue now: the link's loss and latency apply.
            delivered = device.link.transmit()
            if self._link_delayed(device, _DOWN):
                arrival = self._send_over_link(
                    device, entry.aps if delivered else None, entry.result
                )
                if delivered:
                    tasks.append(self.spawn(self._handled_after_link(arrival)))
                continue
            if delivered:
                tasks.append(self._deliver(device, entry.aps))
            status = DeliveryStatus.SUCCESS if delivered else DeliveryStatus.NO_ACK
            if entry.result is not None and not entry.result.done():
                entry.result.set_result(Delivery(status, device.nwk))
        return tasks

    # -- devices -> host ----------------------------------------------------------

    def deliver_to_host(
        self,
        device: SimDevice,
        *,
        src_ep: int,
        dst_ep: int,
        cluster_id: int,
        profile_id: int,
        data: bytes,
        broadcast: bool = False,
    ) -> bool:
        """Forward a frame sent by ``device`` to the host(s).

        A ZDO request (other than Device_annce) is for the coordinator: it answers
        it itself unless the radio passes that request through to the host.  A
        unicast travels the device's link: with latency it arrives later (then the
        result only says whether a host frontend is attached).
        """
        assert device.nwk is not None
        if not broadcast and self._link_delayed(device, _UP):
            self._after_latency(
                device,
                _UP,
                functools.partial(
                    self._received_from_device,
                    device,
                    src_ep=src_ep,
                    dst_ep=dst_ep,
                    cluster_id=cluster_id,
                    profile_id=profile_id,
                    data=data,
                    broadcast=broadcast,
                ),
            )
            return bool(self.frontends)
        return self._received_from_device(
            device,
            src_ep=src_ep,
            dst_ep=dst_ep,
            cluster_id=cluster_id,
            profile_id=profile_id,
            data=data,
            broadcast=broadcast,
        )

    def _received_from_device(
        self,
        device: SimDevice,
        *,
        src_ep: int,
        dst_ep: int,
        cluster_id: int,
        profile_id: int,
        data: bytes,
        broadcast: bool,
    ) -> bool:
        """Handle a frame of ``device`` arriving at the coordinator."""
        assert device.nwk is not None
        self.last_rssi = device.link.rssi
        if (
            profile_id == ZDO_PROFILE
            and dst_ep == ZDO_ENDPOINT
            and not cluster_id & 0x8000
            and cluster_id != ZDOCmd.Device_annce
            and not any(f.passes_zdo_request(cluster_id) for f in self.frontends)
        ):
            self._coordinator_zdo(
                cluster_id, data, broadcast=broadcast, requester=device
            )
            return True
        frame = HostFrame(
            src_ieee=device.ieee,
            src_nwk=device.nwk,
            src_ep=src_ep,
            dst_ep=dst_ep,
            cluster_id=cluster_id,
            profile_id=profile_id,
            data=data,
            broadcast=broadcast,
            lqi=device.lqi,
            rssi=device.link.rssi,
        )
        delivered = False
        for frontend in self.frontends:
            delivered |= frontend.deliver_to_host(frame)
        return delivered

    def attach_frontend(self, frontend: RadioFrontend) -> None:
        """Register a radio frontend."""
        if frontend not in self.frontends:
            self.frontends.append(frontend)

    def detach_frontend(self, frontend: RadioFrontend) -> None:
        """Unregister a radio frontend."""
        if frontend in self.frontends:
            self.frontends.remove(frontend)

    # -- the coordinator's own ZDO ------------------------------------------------

    def _to_coordinator(self, aps: ApsFrame) -> Delivery:
        if aps.is_zdo:
            self._coordinator_zdo(aps.cluster_id, aps.data, broadcast=False)
        return Delivery(DeliveryStatus.SUCCESS, COORDINATOR_NWK)

    def coordinator_node_descriptor(self) -> zdo_t.NodeDescriptor:
        """Return the node descriptor of the coordinator."""
        return zdo_t.NodeDescriptor(
            logical_type=zdo_t.LogicalType.Coordinator,
            complex_descriptor_available=0,
            user_descriptor_available=0,
            reserved=0,
            aps_flags=0,
            frequency_band=zdo_t.NodeDescriptor.FrequencyBand.Freq2400MHz,
            mac_capability_flags=zdo_t.MACCapabilityFlags(0x8E),
            manufacturer_code=COORDINATOR_MANUFACTURER_CODE,
            maximum_buffer_size=82,
            maximum_incoming_transfer_size=255,
            server_mask=0x2C00,
            maximum_outgoing_transfer_size=255,
            descriptor_capability_field=zdo_t.NodeDescriptor.DescriptorCapability.NONE,
        )

    def _coordinator_zdo(
        self,
        cluster_id: int,
        data: bytes,
        *,
        broadcast: bool,
        requester: SimDevice | None = None,
    ) -> None:
        """Answer a ZDO request addressed to the coordinator (never leave zigpy waiting).

        ``requester`` is the device that sent it (None: the host); the answer goes
        back to it.
        """
        if cluster_id & 0x8000 or not data:
            return
        tsn, payload = data[0], data[1:]
        try:
            _, types = zdo_t.CLUSTERS[ZDOCmd(cluster_id)]
            args, _ = t.deserialize(payload, types)
        except KeyError, ValueError, IndexError:
            args = None
        if cluster_id == ZDOCmd.Mgmt_Permit_Joining_req and args is not None:
            self.permit_join(int(args[0]))
        reply: bytes | None
        if cluster_id == ZDOCmd.Match_Desc_req:
            reply = (
                None
                if args is None
                else self._coordinator_match_desc(args, broadcast=broadcast)
            )
        else:
            wanted_by_broadcast = (
                cluster_id == ZDOCmd.NWK_addr_req
                and args is not None
                and args[0] == self.ieee
            )
            if broadcast and not wanted_by_broadcast:
                return
            handler = _COORDINATOR_ZDO.get(cluster_id)
            reply = (
                ZDOStatus.NOT_SUPPORTED.serialize()
                if handler is None
                else handler(self, args)
            )
        if reply is not None:
            self.spawn(
                self._coordinator_reply(
                    cluster_id | 0x8000, bytes([tsn]) + reply, requester
                )
            )

    # -- the coordinator's endpoints and service discovery ------------------------

    def add_coordinator_endpoint(
        self,
        endpoint: int,
        *,
        profile_id: int,
        device_type: int = 0x0000,
        device_version: int = 0,
        in_clusters: Iterable[int] = (),
        out_clusters: Iterable[int] = (),
    ) -> zdo_t.SimpleDescriptor:
        """Declare (or replace) an application endpoint of the coordinator.

        ``in_clusters`` are its server clusters, ``out_clusters`` its client clusters;
        Active_EP_req, Simple_Desc_req and Match_Desc_req to the coordinator see it.
        """
        if not 1 <= endpoint <= 0xF0:
            raise ValueError(f"endpoint {endpoint} outside 1..240")
        descriptor = zdo_t.SimpleDescriptor(
            endpoint=endpoint,
            profile=profile_id,
            device_type=device_type,
            device_version=device_version,
            input_clusters=list(in_clusters),
            output_clusters=list(out_clusters),
        )
        self.coordinator_endpoints[endpoint] = descriptor
        return descriptor

    def remove_coordinator_endpoint(self, endpoint: int) -> None:
        """Remove an application endpoint of the coordinator (KeyError if absent)."""
        del self.coordinator_endpoints[endpoint]

    def coordinator_match(
        self,
        profile_id: int,
        in_clusters: Iterable[int] = (),
        out_clusters: Iterable[int] = (),
    ) -> list[int]:
        """Return the coordinator endpoints matching a Match_Desc_req.

        An endpoint matches when its profile is ``profile_id`` (or that is the
        wildcard 0xFFFF) and one of ``in_clusters`` is among its server (input)
        clusters or one of ``out_clusters`` among its client (output) clusters.
        """
        wanted_in, wanted_out = set(in_clusters), set(out_clusters)
        return [
            descriptor.endpoint
            for descriptor in self.coordinator_endpoints.values()
            if profile_id in (descriptor.profile, WILDCARD_PROFILE)
            and (
                wanted_in & set(descriptor.input_clusters)
                or wanted_out & set(descriptor.output_clusters)
            )
        ]

    def _coordinator_match_desc(self, args: Any, *, broadcast: bool) -> bytes | None:
        """Build Match_Desc_rsp (after the Zigbee spec's Match_Desc_req processing).

        NWKAddrOfInterest 0x0000 or a broadcast address that includes the
        coordinator: SUCCESS, own address, the matching endpoints; a request that
        was broadcast gets no answer without a match.  Another broadcast address:
        INV_REQUESTTYPE.  Another device: DEVICE_NOT_FOUND, or NO_DESCRIPTOR for a
        child (the coordinator keeps no copy of its children's descriptors).
        Errors carry NWKAddrOfInterest and MatchLength 0; broadcasts get none.
        """
        nwk_of_interest, profile_id, in_clusters, out_clusters = args
        aoi = int(nwk_of_interest)
        if aoi != COORDINATOR_NWK and aoi not in COORDINATOR_BROADCASTS:
            if broadcast:
                return None
            if aoi in BROADCAST_ADDRESSES:
                status = ZDOStatus.INV_REQUESTTYPE
            else:
                child = self.get_device(nwk=aoi)
                status = (
                    ZDOStatus.NO_DESCRIPTOR
                    if child is not None and child.joined
                    else ZDOStatus.DEVICE_NOT_FOUND
                )
            return status.serialize() + t.NWK(aoi).serialize() + b"\x00"
        matches = self.coordinator_match(int(profile_id), in_clusters, out_clusters)
        if broadcast and not matches:
            return None
        return (
            _OK
            + _COORDINATOR_NWK_BYTES
            + t.LVList[t.uint8_t, t.uint8_t](matches).serialize()
        )

    def _coordinator_address(self, args: Any) -> bytes:
        return _OK + self.ieee.serialize() + _COORDINATOR_NWK_BYTES

    def _coordinator_node_desc(self, args: Any) -> bytes:
        return (
            _OK
            + _COORDINATOR_NWK_BYTES
            + self.coordinator_node_descriptor().serialize()
        )

    def _coordinator_active_ep(self, args: Any) -> bytes:
        endpoints = list(self.coordinator_endpoints)
        return _OK + _COORDINATOR_NWK_BYTES + bytes([len(endpoints), *endpoints])

    def _coordinator_lqi(self, args: Any) -> bytes:
        start = int(args[0]) if args else 0
        return _OK + self._coordinator_neighbors(start).serialize()

    def _coordinator_rtg(self, args: Any) -> bytes:
        start = int(args[0]) if args else 0
        return (
            _OK
            + zdo_t.Routes(Entries=0, StartIndex=start, RoutingTableList=[]).serialize()
        )

    def _coordinator_bind_table(self, args: Any) -> bytes:
        start = int(args[0]) if args else 0
        return _OK + bytes([0, start, 0])

    def _coordinator_permit(self, args: Any) -> bytes:
        return _OK

    def _coordinator_simple_desc(self, args: Any) -> bytes:
        nwk = t.NWK(COORDINATOR_NWK).serialize()
        descriptor = (
            None if args is None else self.coordinator_endpoints.get(int(args[1]))
        )
        if descriptor is None:
            return ZDOStatus.NOT_ACTIVE.serialize() + nwk + b"\x00"
        sized = zdo_t.SizePrefixedSimpleDescriptor(*descriptor.as_tuple())
        return ZDOStatus.SUCCESS.serialize() + nwk + sized.serialize()

    def _coordinator_neighbors(self, start: int) -> zdo_t.Neighbors:
        joined = [d for d in self.devices.values() if d.joined and d.nwk is not None]
        table = [
            zdo_t.Neighbor(
                extended_pan_id=self.extended_pan_id,
                ieee=device.ieee,
                nwk=device.nwk,
                device_type=(
                    zdo_t.Neighbor.DeviceType.EndDevice
                    if device.is_end_device
                    else zdo_t.Neighbor.DeviceType.Router
                ),
                rx_on_when_idle=(
                    zdo_t.Neighbor.RxOnWhenIdle.On
                    if device.rx_on_when_idle
                    else zdo_t.Neighbor.RxOnWhenIdle.Off
                ),
                relationship=zdo_t.Neighbor.Relationship.Child,
                reserved1=0,
                permit_joining=zdo_t.Neighbor.PermitJoins.Unknown,
                reserved2=0,
                depth=1,
                lqi=device.lqi,
            )
            for device in joined
        ]
        return zdo_t.Neighbors(
            Entries=len(table),
            StartIndex=start,
            NeighborTableList=table[start : start + 3],
        )

    async def _coordinator_reply(
        self, cluster_id: int, data: bytes, requester: SimDevice | None = None
    ) -> None:
        await asyncio.sleep(self.reply_delay)
        if requester is not None:
            if requester.joined and requester.network is self:
                self._to_device(
                    requester,
                    ApsFrame(ZDO_ENDPOINT, ZDO_ENDPOINT, cluster_id, ZDO_PROFILE, data),
                )
            return
        frame = HostFrame(
            src_ieee=self.ieee,
            src_nwk=COORDINATOR_NWK,
            src_ep=ZDO_ENDPOINT,
            dst_ep=ZDO_ENDPOINT,
            cluster_id=cluster_id,
            profile_id=ZDO_PROFILE,
            data=data,
        )
        for frontend in self.frontends:
            frontend.deliver_to_host(frame)

    # -- tasks and listeners ------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` as a task owned by the network (cancelled by `stop`)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _LOGGER.error("Simulator task failed", exc_info=task.exception())

    async def stop(self) -> None:
        """Cancel every pending delivery, reply, join, timer and queued frame."""
        for device in self.devices.values():
            device.network_down()
        self.clock.cancel_all()
        for pipe in self._pipes.values():
            for item in pipe.items:
                item.done.cancel()
        self._pipes.clear()
        for result in self._in_flight:
            result.cancel()
        self._in_flight.clear()
        for queue in self._indirect.values():
            for entry in queue:
                if entry.result is not None and not entry.result.done():
                    entry.result.cancel()
        self._indirect.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._joining.clear()

    async def settle(self, timeout: float = 2.0) -> None:
        """Wait until no simulator task (reply, report, join) is pending."""
        if all(task.done() for task in self._tasks):
            # the clock settles after every timer it fires (a sleepy device polls every few
            # seconds): no timeout handle for the common case of nothing in flight
            await asyncio.sleep(0)  # let the done callbacks run
            return
        async with asyncio.timeout(timeout):
            while pending := [task for task in self._tasks if not task.done()]:
                await asyncio.wait(pending)
            await asyncio.sleep(0)  # let the done callbacks run

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` after every persistent change; return a remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def notify_changed(self) -> None:
        """Call the change listeners."""
        for listener in list(self._listeners):
            listener()

    # -- persistence --------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Serialise network state and devices to JSON-compatible data."""
        data: dict[str, Any] = {
            "version": STATE_VERSION,
            "coordinator": {
                "ieee": str(self.ieee),
                "pan_id": self.pan_id,
                "extended_pan_id": str(self.extended_pan_id),
                "channel": self.channel,
                "network_key": self.network_key.hex(),
                "tc_link_key": self.tc_link_key.hex(),
                "formed": self.formed,
                "nwk_update_id": self.nwk_update_id,
            },
            "frontends": self.frontend_state,
            "devices": [device.to_dict() for device in self.devices.values()],
        }
        if (clock := self.clock.saved_state()) is not None:
            data["clock"] = clock
        return data

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        models: Mapping[str, Callable[..., SimDevice]] | None = None,
        **kwargs: Any,
    ) -> SimNetwork:
        """Rebuild a network saved with `to_dict`; devices are rebuilt by their model."""
        if models is None:
            from .models import MODELS

            models = MODELS
        coordinator = data["coordinator"]
        network = cls(
            ieee=coordinator["ieee"],
            channel=coordinator["channel"],
            pan_id=coordinator["pan_id"],
            extended_pan_id=coordinator["extended_pan_id"],
            network_key=bytes.fromhex(coordinator["network_key"]),
            tc_link_key=bytes.fromhex(coordinator["tc_link_key"]),
            formed=coordinator["formed"],
            **kwargs,
        )
        network.nwk_update_id = coordinator.get("nwk_update_id", 0)
        network.frontend_state = {
            k: dict(v) for k, v in data.get("frontends", {}).items()
        }
        if network.clock.time_scale is not None and "clock" in data:
            # models keep virtual times (timer anchors, clock settings): the clock goes
            # on from where it was saved, plus the downtime
            network.clock.resume(data["clock"])
        for device_data in data.get("devices", []):
            factory = models.get(device_data["model"])
            if factory is None:
                _LOGGER.warning(
                    "Unknown device model %r, skipped", device_data["model"]
                )
                continue
            device = factory(ieee=device_data["ieee"])
            device.restore(device_data)
            network.add_device(device)
        return network

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state to ``path`` (atomically)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w",
            dir=path.parent,
            prefix=path.name,
            suffix=".tmp",
            delete=False,
            encoding="utf-8",
        ) as tmp:
            json.dump(self.to_dict(), tmp, indent=2)
            tmp.write("\n")
        Path(tmp.name).replace(path)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        models: Mapping[str, Callable[..., SimDevice]] | None = None,
        **kwargs: Any,
    ) -> SimNetwork:
        """Load a state file written by `save`."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls.from_dict(data, models=models, **kwargs)


_OK: Final = ZDOStatus.SUCCESS.serialize()
_DOWN: Final = "down"  # coordinator -> device
_UP: Final = "up"  # device -> coordinator
_COORDINATOR_NWK_BYTES: Final = t.NWK(COORDINATOR_NWK).serialize()
_COORDINATOR_ZDO: Final[dict[int, Callable[[SimNetwork, Any], bytes]]] = {
    ZDOCmd.NWK_addr_req: SimNetwork._coordinator_address,
    ZDOCmd.IEEE_addr_req: SimNetwork._coordinator_address,
    ZDOCmd.Node_Desc_req: SimNetwork._coordinator_node_desc,
    ZDOCmd.Active_EP_req: SimNetwork._coordinator_active_ep,
    ZDOCmd.Simple_Desc_req: SimNetwork._coordinator_simple_desc,
    ZDOCmd.Mgmt_Lqi_req: SimNetwork._coordinator_lqi,
    ZDOCmd.Mgmt_Rtg_req: SimNetwork._coordinator_rtg,
    ZDOCmd.Mgmt_Bind_req: SimNetwork._coordinator_bind_table,
    ZDOCmd.Mgmt_Permit_Joining_req: SimNetwork._coordinator_permit,
}


def _to_extended_pan_id(value: str) -> t.ExtendedPanId:
    """Parse ``"aa:bb:..."`` (MSB first) into an extended PAN id."""
    return t.ExtendedPanId(to_eui64(value))


def _derive_pan_id(extended_pan_id: t.ExtendedPanId) -> int:
    """Derive a stable PAN id from the extended PAN id (an XBee picks a random one)."""
    value = int.from_bytes(
        hashlib.sha256(extended_pan_id.serialize()).digest()[:2], "big"
    )
    return value % 0xFFF0 or 0x1A62
