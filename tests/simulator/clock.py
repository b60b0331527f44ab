"""Virtual time of the simulated network.

Sleepy end devices poll their parent, Poll Control servers check in and the
coordinator's indirect queue expires frames on this clock.  By default it is
manual, like the TS0049 model's own clock: time only moves when a test calls
`SimClock.elapse`, so a 7.68 s expiry or a five-minute check-in interval costs no
real time and happens at an exact, repeatable instant.  With ``time_scale`` the
clock follows the event loop instead (1.0: real time, for the dev server; 100: a
hundred times faster).

A scaled clock also carries wall time (`SimClock.wall_time`): ``wall_epoch``, the UTC time
at virtual time 0, plus the virtual seconds.  Models with clocks of their own (a valve's local
time, a meter's UTC clock) follow it (`SimDevice.wall_clock_hooks`); on a manual clock it is
None and they keep their own fixed clocks, as tests expect.  `SimClock.resume` continues a
saved clock after a restart: the downtime passes on it, as it did for the devices.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import heapq
import itertools
import logging
import time

_LOGGER = logging.getLogger(__name__)


class ClockTimer:
    """A callback scheduled on a `SimClock` (cancel it with `cancel`)."""

    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def __repr__(self) -> str:
        state = " cancelled" if self.cancelled else ""
        return f"<ClockTimer at {self.when:.3f}{state}>"

    def cancel(self) -> None:
        """Do not run the callback."""
        self.cancelled = True


class SimClock:
    """Seconds of virtual time, with timers that fire in time order."""

    def __init__(self, *, time_scale: float | None = None, start: float = 0.0) -> None:
        if time_scale is not None and time_scale <= 0:
            raise ValueError("time_scale must be positive (None: manual clock)")
        #: None: manual (only `elapse` moves time); else virtual seconds per real second.
        self.time_scale = time_scale
        #: Awaited after every timer `elapse` fires, so the frames it caused are
        #: handled before the next one (the network plugs in its `settle`).
        self.settle: Callable[[], Awaitable[None]] | None = None
        self._base = start
        self._anchor = time.monotonic()
        #: Scaled clock: the UTC wall time at virtual time 0 (None: manual clock).
        self.wall_epoch: datetime | None = (
            None if time_scale is None else datetime.now(UTC) - timedelta(seconds=start)
        )
        self._heap: list[tuple[float, int, ClockTimer]] = []
        self._sequence = itertools.count()
        self._handle: asyncio.TimerHandle | None = None

    def __repr__(self) -> str:
        mode = "manual" if self.time_scale is None else f"x{self.time_scale:g}"
        return f"<SimClock {mode} now={self.now:.3f} timers={len(self.pending())}>"

    @property
    def now(self) -> float:
        """Return the current virtual time in seconds."""
        if self.time_scale is None:
            return self._base
        return self._base + (time.monotonic() - self._anchor) * self.time_scale

    def wall_time(self) -> datetime | None:
        """Return the wall time (aware UTC) of a scaled clock, None on a manual one."""
        if self.wall_epoch is None:
            return None
        return self.wall_epoch + timedelta(seconds=self.now)

    def saved_state(self) -> dict[str, float | str] | None:
        """Return what `resume` needs after a restart (None: a manual clock)."""
        if self.wall_epoch is None:
            return None
        return {
            "now": self.now,
            "wall_epoch": self.wall_epoch.isoformat(),
            "saved_at": datetime.now(UTC).isoformat(),
        }

    def resume(self, saved: dict[str, float | str]) -> None:
        """Continue a scaled clock saved by `saved_state`; the real downtime passes.

        Virtual times that models stored (timer anchors, clock settings) stay valid: the
        clock goes on from the saved instant plus the downtime (times ``time_scale``).
        """
        if self.time_scale is None:
            raise ValueError("only a scaled clock follows wall time")
        saved_at = datetime.fromisoformat(str(saved["saved_at"]))
        downtime = max(0.0, (datetime.now(UTC) - saved_at).total_seconds())
        self._set_now(float(saved["now"]) + downtime * self.time_scale)
        self.wall_epoch = datetime.fromisoformat(str(saved["wall_epoch"]))
        self._arm()

    def _set_now(self, value: float) -> None:
        self._base = value
        self._anchor = time.monotonic()

    def call_at(self, when: float, callback: Callable[[], None]) -> ClockTimer:
        """Run ``callback()`` at virtual time ``when``."""
        timer = ClockTimer(when, callback)
        heapq.heappush(self._heap, (when, next(self._sequence), timer))
        self._arm()
        return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> ClockTimer:
        """Run ``callback()`` ``delay`` virtual seconds from now."""
        return self.call_at(self.now + max(0.0, delay), callback)

    def pending(self) -> list[ClockTimer]:
        """Return the timers that have not fired, soonest first."""
        return [timer for _, _, timer in sorted(self._heap) if not timer.cancelled]

    def cancel_all(self) -> None:
        """Drop every timer (the network is stopping)."""
        for _, _, timer in self._heap:
            timer.cancel()
        self._heap.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    async def elapse(self, seconds: float) -> None:
        """Advance the clock by ``seconds``, firing the timers due on the way in order.

        Between two timers the `settle` hook runs, so replies to a frame delivered by
        one poll are handled before the next poll.  Works on a scaled clock too (it
        jumps ahead).
        """
        if seconds < 0:
            raise ValueError("time does not run backwards")
        target = self.now + seconds
        while (timer := self._pop_due(target)) is not None:
            self._set_now(max(self.now, timer.when))
            self._run(timer)
            await self._settle()
        if self.now < target:
            self._set_now(target)
        self._arm()
        await self._settle()

    def _peek(self) -> float | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def _pop_due(self, until: float) -> ClockTimer | None:
        when = self._peek()
        if when is None or when > until:
            return None
        return heapq.heappop(self._heap)[2]

    @staticmethod
    def _run(timer: ClockTimer) -> None:
        try:
            timer.callback()
        except Exception:
            _LOGGER.exception("Simulator timer %r failed", timer)

    async def _settle(self) -> None:
        if self.settle is None:
            await asyncio.sleep(0)
        else:
            await self.settle()

    def _arm(self) -> None:
        """Scaled clock: wake up (on the event loop) when the next timer is due."""
        if self.time_scale is None:
            return
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        when = self._peek()
        if when is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # armed again by the next call made inside the loop
        delay = max(0.0, (when - self.now) / self.time_scale)
        self._handle = loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        now = self.now
        while (timer := self._pop_due(now)) is not None:
            self._run(timer)
        self._arm()
