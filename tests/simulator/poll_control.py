"""Poll Control cluster server (0x0020), after ZCL 7th edition chapter 3.16.

The end device implements the server.  Every ``checkin_interval`` quarter-seconds
it sends Check-in (server -> client 0x00, no payload) to its client (the host) and
polls fast for up to 7.68 s waiting for the Check-in Response ("temporary fast
poll").  The client's answer:

- Check-in Response (0x00: start_fast_polling bool, fast_poll_timeout uint16 qs):
  true starts fast poll mode for fast_poll_timeout (0: the FastPollTimeout
  attribute); false lets the device return to long polling.  Unbound client:
  ACTION_DENIED; invalid timeout (above FastPollTimeoutMax): INVALID_VALUE; after
  the 7.68 s wait ("temporary fast poll mode is completed"): TIMEOUT.
- Fast Poll Stop (0x01): ends fast poll mode; ACTION_DENIED from an unbound client
  or when the device is not fast polling.
- Set Long Poll Interval (0x02, uint32 qs) / Set Short Poll Interval (0x03, uint16
  qs): INVALID_VALUE unless the value is in the attribute's range, above the
  device's minimum and keeps CheckinInterval >= LongPollInterval >=
  ShortPollInterval; otherwise the read-only attribute changes.

Writes are checked alike: CheckinInterval 0 (no check-ins) or 0x000000-0x6E0000 and
>= LongPollInterval, >= CheckinIntervalMin; FastPollTimeout 0x0001-0xFFFF and <=
FastPollTimeoutMax.  Errors get a Default Response; success only when the frame
asks for one.  zigpy's ``PollControl`` definitions give the wire types.

A client counts as bound when the device has a binding of cluster 0x0020 to the
coordinator.  With ``bound_only`` (Silicon Labs' plugin) check-ins go to bound
clients only and commands from an unbound one are denied; by default (many
products) the device checks in with the coordinator (endpoint 1) when nothing is
bound and accepts it as its client.  The device's poll intervals
(`SimDevice.long_poll_interval` / `short_poll_interval`) follow the attributes.
"""

from __future__ import annotations

from collections.abc import Callable
import enum
import logging
from typing import Any, Final

from zigpy.zcl import foundation
from zigpy.zcl.clusters.general import PollControl

from .clock import ClockTimer
from .device import CommandContext, HandlerResult, SimCluster, SimDevice

_LOGGER = logging.getLogger(__name__)

Status = foundation.Status
Attributes = PollControl.AttributeDefs

CLUSTER_ID: Final = int(PollControl.cluster_id)
CMD_CHECK_IN: Final = 0x00
QUARTER_SECOND: Final = 0.25
#: "If the Poll Control Server does not receive a Check-in response back from the
#: Poll Control Client up to 7.68 seconds it is free to return to polling according
#: to the LongPollInterval."
CHECK_IN_RESPONSE_WAIT: Final = 7.68
CHECK_IN_INTERVAL_MAX: Final = 0x6E0000
LONG_POLL_INTERVAL_RANGE: Final = range(0x04, 0x6E0000 + 1)
SHORT_POLL_INTERVAL_RANGE: Final = range(0x0001, 0xFFFF + 1)
FAST_POLL_TIMEOUT_RANGE: Final = range(0x0001, 0xFFFF + 1)

#: ZCL 7 Table 3-113 defaults (quarter-seconds).
DEFAULT_CHECK_IN_INTERVAL: Final = 0x3840  # 1 hour
DEFAULT_LONG_POLL_INTERVAL: Final = 0x14  # 5 s
DEFAULT_SHORT_POLL_INTERVAL: Final = 0x02  # 0.5 s
DEFAULT_FAST_POLL_TIMEOUT: Final = 0x28  # 10 s


class PollState(enum.Enum):
    """Where the server is in the check-in / fast poll cycle."""

    IDLE = "idle"
    #: A Check-in was sent: temporary fast poll while waiting for the response.
    WAITING = "waiting"
    #: Fast poll mode started by a Check-in Response.
    FAST_POLLING = "fast_polling"


class PollControlServer:
    """The Poll Control server behaviour of one cluster (a `DeviceService`)."""

    def __init__(self, cluster: SimCluster, *, bound_only: bool = False) -> None:
        self.cluster = cluster
        #: Only bound clients get check-ins and may command (Silicon Labs' plugin).
        self.bound_only = bound_only
        self.state = PollState.IDLE
        #: Check-in commands sent so far.
        self.check_ins = 0
        self._check_in_timer: ClockTimer | None = None
        self._state_timer: ClockTimer | None = None
        cluster.on("checkin_response", self._on_check_in_response)
        cluster.on("fast_poll_stop", self._on_fast_poll_stop)
        cluster.on("set_long_poll_interval", self._on_set_long_poll_interval)
        cluster.on("set_short_poll_interval", self._on_set_short_poll_interval)
        validators: dict[int | str, Callable[[Any], bool]] = {}
        if self._has(Attributes.checkin_interval.id):
            validators["checkin_interval"] = self.check_in_interval_ok
        if self._has(Attributes.fast_poll_timeout.id):
            validators["fast_poll_timeout"] = self.fast_poll_timeout_ok
        cluster.set_access(validators=validators)
        cluster.add_listener(self._attribute_changed)
        self._sync_device()

    def __repr__(self) -> str:
        return f"<PollControlServer {self.device!r} ep={self.cluster.endpoint.id} {self.state.value}>"

    @property
    def device(self) -> SimDevice:
        """Return the device."""
        return self.cluster.device

    # -- attributes ---------------------------------------------------------------

    def _has(self, attr_id: int) -> bool:
        return (attr_id, None) in self.cluster.attributes

    def _get(self, attr_id: int, default: int) -> int:
        key = (attr_id, None)
        return int(self.cluster.values[key]) if key in self.cluster.values else default

    @property
    def check_in_interval(self) -> int:
        """Return CheckinInterval (quarter-seconds; 0: no check-ins)."""
        return self._get(Attributes.checkin_interval.id, DEFAULT_CHECK_IN_INTERVAL)

    @property
    def long_poll_interval(self) -> int:
        """Return LongPollInterval (quarter-seconds)."""
        return self._get(Attributes.long_poll_interval.id, DEFAULT_LONG_POLL_INTERVAL)

    @property
    def short_poll_interval(self) -> int:
        """Return ShortPollInterval (quarter-seconds)."""
        return self._get(Attributes.short_poll_interval.id, DEFAULT_SHORT_POLL_INTERVAL)

    @property
    def fast_poll_timeout(self) -> int:
        """Return FastPollTimeout (quarter-seconds)."""
        return self._get(Attributes.fast_poll_timeout.id, DEFAULT_FAST_POLL_TIMEOUT)

    def check_in_interval_ok(self, value: int) -> bool:
        """Return True if CheckinInterval may become ``value``."""
        if value == 0:
            return True  # check-ins off
        minimum = self._get(Attributes.checkin_interval_min.id, 0)
        return (
            value <= CHECK_IN_INTERVAL_MAX
            and value >= self.long_poll_interval
            and value >= minimum
        )

    def long_poll_interval_ok(self, value: int) -> bool:
        """Return True if LongPollInterval may become ``value``."""
        minimum = self._get(Attributes.long_poll_interval_min.id, 0)
        check_in = self.check_in_interval
        return (
            value in LONG_POLL_INTERVAL_RANGE
            and value >= minimum
            and value >= self.short_poll_interval
            and (check_in == 0 or value <= check_in)
        )

    def short_poll_interval_ok(self, value: int) -> bool:
        """Return True if ShortPollInterval may become ``value``."""
        return value in SHORT_POLL_INTERVAL_RANGE and value <= self.long_poll_interval

    def fast_poll_timeout_ok(self, value: int) -> bool:
        """Return True if ``value`` is a valid fast poll timeout (attribute or command)."""
        if value not in FAST_POLL_TIMEOUT_RANGE:
            return False
        if self._has(Attributes.fast_poll_timeout_max.id):
            return value <= self._get(Attributes.fast_poll_timeout_max.id, 0xFFFF)
        return True

    def _sync_device(self) -> None:
        self.device.set_poll_intervals(
            long=self.long_poll_interval * QUARTER_SECOND,
            short=self.short_poll_interval * QUARTER_SECOND,
        )

    def _attribute_changed(
        self, cluster: SimCluster, attr: Any, old: Any, new: Any
    ) -> None:
        if attr.id in (
            Attributes.long_poll_interval.id,
            Attributes.short_poll_interval.id,
        ):
            self._sync_device()
        elif attr.id == Attributes.checkin_interval.id and self._running:
            self._schedule_check_in()

    # -- service ------------------------------------------------------------------

    @property
    def _running(self) -> bool:
        return self.device.network is not None and self.device.joined

    def start(self) -> None:
        """Start checking in (the device joined or powered up)."""
        self.stop()
        self._sync_device()
        self._schedule_check_in()

    def stop(self) -> None:
        """Stop checking in; forget any fast poll state."""
        for timer in (self._check_in_timer, self._state_timer):
            if timer is not None:
                timer.cancel()
        self._check_in_timer = self._state_timer = None
        self.state = PollState.IDLE

    def _schedule_check_in(self) -> None:
        if self._check_in_timer is not None:
            self._check_in_timer.cancel()
            self._check_in_timer = None
        interval = self.check_in_interval
        network = self.device.network
        if interval and network is not None:
            self._check_in_timer = network.clock.call_later(
                interval * QUARTER_SECOND, self._check_in_due
            )

    def _check_in_due(self) -> None:
        self._check_in_timer = None
        self.check_in()

    # -- check-in -----------------------------------------------------------------

    def client_endpoints(self) -> list[int]:
        """Return the endpoints of the host the Check-in goes to."""
        network = self.device.network
        if network is None:
            return []
        bound = [
            binding.dst_ep
            for binding in self.device.bindings
            if binding.cluster_id == CLUSTER_ID
            and binding.src_ep == self.cluster.endpoint.id
            and binding.addr_mode == 0x03
            and binding.ieee == str(network.ieee)
            and binding.dst_ep is not None
        ]
        if bound or self.bound_only:
            return bound
        return [1]

    def check_in(self) -> int:
        """Send Check-in now to the client(s); return how many were sent.

        The next periodic check-in follows one CheckinInterval later.  A check-in
        during fast polling ends it: a new cycle starts (as Silicon Labs' plugin).
        """
        self._schedule_check_in()
        device = self.device
        if not device.joined or not device.online:
            return 0
        sent = 0
        for dst_ep in self.client_endpoints():
            # The Check-in Response answers it: no Default Response is wanted.
            device.send_zcl(
                self.cluster.endpoint.id,
                CLUSTER_ID,
                CMD_CHECK_IN,
                b"",
                direction=foundation.Direction.Server_to_Client,
                disable_default_response=True,
                dst_ep=dst_ep,
            )
            sent += 1  # on the air, whether or not a host listens to the radio
        self.check_ins += sent
        if sent:
            self._enter(PollState.WAITING, CHECK_IN_RESPONSE_WAIT)
        return sent

    def _enter(self, state: PollState, seconds: float | None = None) -> None:
        if self._state_timer is not None:
            self._state_timer.cancel()
            self._state_timer = None
        self.state = state
        network = self.device.network
        if state is PollState.IDLE or seconds is None or network is None:
            self.device.stop_fast_poll()
            return
        self.device.start_fast_poll(seconds)
        self._state_timer = network.clock.call_later(seconds, self._state_over)

    def _state_over(self) -> None:
        self._state_timer = None
        _LOGGER.debug("%r: %s over", self, self.state.value)
        self._enter(PollState.IDLE)

    # -- commands -----------------------------------------------------------------

    def _client_bound(self) -> bool:
        return not self.bound_only or bool(self.client_endpoints())

    def _on_check_in_response(self, ctx: CommandContext) -> HandlerResult:
        args = ctx.args
        if args is None:
            return Status.MALFORMED_COMMAND
        if not self._client_bound():
            return Status.ACTION_DENIED
        if self.state is not PollState.WAITING:
            return Status.TIMEOUT
        if not args.start_fast_polling:
            self._enter(PollState.IDLE)
            return None
        requested = int(args.fast_poll_timeout)
        if requested and not self.fast_poll_timeout_ok(requested):
            self._enter(PollState.IDLE)
            return Status.INVALID_VALUE
        timeout = requested or self.fast_poll_timeout
        self._enter(PollState.FAST_POLLING, timeout * QUARTER_SECOND)
        return None

    def _on_fast_poll_stop(self, ctx: CommandContext) -> HandlerResult:
        if not self._client_bound() or self.state is not PollState.FAST_POLLING:
            return Status.ACTION_DENIED
        self._enter(PollState.IDLE)
        return None

    def _on_set_long_poll_interval(self, ctx: CommandContext) -> HandlerResult:
        args = ctx.args
        if args is None:
            return Status.MALFORMED_COMMAND
        value = int(args.new_long_poll_interval)
        if not self._has(Attributes.long_poll_interval.id):
            return Status.UNSUP_CLUSTER_COMMAND
        if not self.long_poll_interval_ok(value):
            return Status.INVALID_VALUE
        self.cluster.set(Attributes.long_poll_interval.id, value)
        return None

    def _on_set_short_poll_interval(self, ctx: CommandContext) -> HandlerResult:
        args = ctx.args
        if args is None:
            return Status.MALFORMED_COMMAND
        value = int(args.new_short_poll_interval)
        if not self._has(Attributes.short_poll_interval.id):
            return Status.UNSUP_CLUSTER_COMMAND
        if not self.short_poll_interval_ok(value):
            return Status.INVALID_VALUE
        self.cluster.set(Attributes.short_poll_interval.id, value)
        return None


def install_poll_control(cluster: SimCluster) -> None:
    """Give a Poll Control server cluster its behaviour (a device service)."""
    server = PollControlServer(cluster)
    cluster.device.services.append(server)


def poll_control(device: SimDevice, endpoint: int | None = None) -> PollControlServer:
    """Return ``device``'s Poll Control server (on ``endpoint``, or the only one)."""
    for service in device.services:
        if isinstance(service, PollControlServer) and endpoint in (
            None,
            service.cluster.endpoint.id,
        ):
            return service
    raise LookupError(f"{device!r} has no Poll Control server")
