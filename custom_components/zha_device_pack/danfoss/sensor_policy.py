"""When to write the room temperature to a Danfoss Ally's External Measured Room Sensor (0x4015).

Spec (AM375549618098en-000103 p.5): with Radiator Covered (0x4016) TRUE, send "at least every
30 minutes but not more often than every 5 minutes @ every 0,1K change"; the TRV drops the value
after 35 minutes. With FALSE, "at least every 3 hours but not more often than every 30 minutes";
dropped after 3 hours. -8000 switches the function off. 0x4015 is not reportable and not saved,
so the TRV never tells us it dropped or lost the value: the gateway keeps the timers.

How a value is chosen:
- Readings go through a Kalman filter with a level and a trend. Sensor noise (±0.05 K here,
  or rounding to 0.1 °C) would otherwise trip the 0.1 K threshold again and again around any
  value; the trend is kept because a plain average lags a heating or cooling room.
- A change is due when the filtered level is 0.1 K or more from the value the TRV holds,
  measured from the held value (not from the last reading), so jitter around a threshold
  costs no frames once the new value is sent.
- The value sent is the level extrapolated 2.5 minutes along the trend, half the covered
  min_interval: the TRV keeps a value at least that long, so in a fast-moving room it then
  sits in the middle of the room's path instead of behind it. Not further, not even in offset
  mode's 30 minutes: a room's trend turns within minutes (the valve closes, a window shuts),
  and a longer lead overshoots at every turn (P1 measured worse errors with 5 minutes).
- The value is written again one min_interval before max_interval, so that one failed write,
  retried at the TRV's next check-in, still lands within max_interval.

P1 (``scripts/bench danfoss-sensor``) compares this against the community blueprint.

The policy is pure and the caller drives the clock (seconds, monotonic): feed readings, write
what ``due`` returns, report success with ``written`` and wake up at ``next_check``.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Final

#: "The value -8000 disables the function" [SPEC p.5].
OFF: Final = -8000
MINUTE: Final = 60.0
HOUR: Final = 60 * MINUTE
#: "@ every 0,1K change" [SPEC p.5], in the attribute's 0.01 °C.
STEP: Final = 10
#: How far along its trend the level is extrapolated when it is sent.
LEAD: Final = 2.5 * MINUTE
#: Filter: a reading's noise (K, one standard deviation; covers ±0.05 K noise and 0.1 °C
#: rounding) and how fast the trend may change (K²/s³: ~0.015 K/min within 10 minutes,
#: as fast as a valve cycle turns the room around).
READING_NOISE: Final = 0.03
TREND_CHANGE: Final = 1e-10
#: The trend assumed before readings show one, K/s (0.02 K/min, one standard deviation).
TREND_PRIOR: Final = 0.02 / MINUTE


@dataclass(frozen=True, slots=True)
class SensorCadence:
    """How often a TRV wants the value, in seconds."""

    #: A change waits at least this long after the previous write.
    min_interval: float
    #: Never this long without a write while the sensor is alive [SPEC].
    max_interval: float
    #: A sensor silent this long is treated as gone and the function is switched off.
    stale_after: float

    @property
    def refresh_after(self) -> float:
        """Return when an unchanged value is written again."""
        return self.max_interval - self.min_interval


#: Room-sensor mode. Stale after 2 h: ZHA has a temperature sensor report at least every
#: 15 minutes, so 2 h of silence is a dead sensor, and in this mode the TRV regulates on our
#: value alone; rather let it fall back to its own sensor than regulate on a frozen value.
COVERED_CADENCE: Final = SensorCadence(
    min_interval=5 * MINUTE, max_interval=30 * MINUTE, stale_after=2 * HOUR
)
#: Offset mode. The value only sets a slow offset on the TRV's own measurement (at most ±4 K,
#: per the programming guide as quoted by users), so a frozen value does little harm: stale
#: after 6 h, when ZHA itself marks a battery device unavailable.
EXPOSED_CADENCE: Final = SensorCadence(
    min_interval=30 * MINUTE, max_interval=3 * HOUR, stale_after=6 * HOUR
)


class _TrendFilter:
    """A Kalman filter over (level °C, trend K/s) for readings at irregular times."""

    __slots__ = ("level", "p00", "p01", "p11", "time", "trend")

    def __init__(self, time: float, temperature: float) -> None:
        self.time = time
        self.level = temperature
        self.trend = 0.0
        # Covariance of (level, trend).
        self.p00 = READING_NOISE**2
        self.p01 = 0.0
        self.p11 = TREND_PRIOR**2

    def update(self, time: float, temperature: float) -> None:
        dt = time - self.time
        self.time = time
        level = self.level + self.trend * dt
        p00 = (
            self.p00 + 2 * dt * self.p01 + dt * dt * self.p11 + TREND_CHANGE * dt**3 / 3
        )
        p01 = self.p01 + dt * self.p11 + TREND_CHANGE * dt**2 / 2
        p11 = self.p11 + TREND_CHANGE * dt
        gain = p00 + READING_NOISE**2
        k_level, k_trend = p00 / gain, p01 / gain
        innovation = temperature - level
        self.level = level + k_level * innovation
        self.trend += k_trend * innovation
        self.p00 = (1 - k_level) * p00
        self.p01 = (1 - k_level) * p01
        self.p11 = p11 - k_trend * p01


class ExternalSensorPolicy:
    """The writes of 0x4015 for one TRV (or one room), driven by the caller's clock.

    Two writes are never closer than ``min_interval``, unless ``reset`` came between them.
    While the sensor gives readings, writes are never further apart than ``refresh_after``.
    Feed every sensor report, unchanged values included: silence means a dead sensor.
    """

    def __init__(self, *, covered: bool) -> None:
        """Start with nothing known about the sensor or the TRV."""
        self.cadence: Final = COVERED_CADENCE if covered else EXPOSED_CADENCE
        self._filter: _TrendFilter | None = None
        self._last_reading: float | None = None
        # What the TRV holds as far as we know; None: unknown (start, or after reset()).
        self._held: int | None = None
        self._last_write = -math.inf

    def reading(self, now: float, temperature: float | None) -> None:
        """Take a sensor update in °C; None (or not a number) means unavailable."""
        stale = (
            self._last_reading is not None
            and now - self._last_reading >= self.cadence.stale_after
        )
        self._last_reading = now
        if temperature is None or not math.isfinite(temperature):
            self._filter = None
        elif self._filter is None or stale:
            # After a gap the old trend says nothing about the room: start over.
            self._filter = _TrendFilter(now, temperature)
        else:
            self._filter.update(now, temperature)

    def due(self, now: float) -> int | None:
        """Return the value to write now (0.01 °C, or OFF), or None if nothing is due."""
        target = self._target(now)
        if target is None:
            return None
        if self._held is None:
            return target
        if now - self._last_write < self.cadence.min_interval:
            return None
        if target == OFF:
            return None if self._held == OFF else OFF
        if (
            self._held == OFF
            or self._changed()
            or now - self._last_write >= self.cadence.refresh_after
        ):
            return target
        return None

    def next_check(self, now: float) -> float | None:
        """Return the earliest time due() returns a value if no reading comes first.

        due() does return one then (the time may be ``now``); None: nothing until a reading.
        """
        if self._last_reading is None:
            return None
        if self._held is None:
            return now
        earliest = max(now, self._last_write + self.cadence.min_interval)
        stale_at = self._last_reading + self.cadence.stale_after
        if self._filter is None or earliest >= stale_at:
            return None if self._held == OFF else earliest
        if self._held == OFF or self._changed():
            return earliest
        # refresh_after >= min_interval, so both are at or after `earliest`.
        return min(stale_at, self._last_write + self.cadence.refresh_after)

    def written(self, now: float, value: int) -> None:
        """Record that the TRV accepted ``value`` at ``now``."""
        self._held = value
        self._last_write = now

    def reset(self) -> None:
        """Forget what the TRV holds (it rejoined or lost power): the next due() writes at once."""
        self._held = None
        self._last_write = -math.inf

    def _target(self, now: float) -> int | None:
        """Return what the TRV should hold now, or None before the first reading."""
        if self._last_reading is None:
            return None
        if self._filter is None or now - self._last_reading >= self.cadence.stale_after:
            return OFF
        return round((self._filter.level + self._filter.trend * LEAD) * 100)

    def _changed(self) -> bool:
        """Return True if the room moved a spec step away from the value the TRV holds."""
        if self._filter is None or self._held is None:
            return False
        return abs(round(self._filter.level * 100) - self._held) >= STEP
