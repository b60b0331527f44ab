"""Generate the 24 h room trace for the Danfoss external sensor benchmark (P1).

A one-node room heated by a radiator behind a thermostatic valve, simulated in 10 s steps:
- setpoints 17 °C at night, 21 °C morning and evening, 19 °C during the day;
- the valve opens below setpoint - 0.1 K and closes above setpoint + 0.1 K, and the radiator
  warms and cools with a 20 min lag, so the room ripples a few tenths around the setpoint as
  the valve cycles;
- a window opened for 12 min after getting up (fast drop, then recovery);
- sun through the window in the afternoon, which lifts the room over its setpoint;
- a sensor that reports every 30 to 150 s (uniformly random) with ±0.05 K noise, rounded to its
  resolution.

The committed trace is ``python -m tests.benchmarks.make_danfoss_trace`` with the defaults;
other seeds and ``--resolution 0.1`` give the variations the policy was also checked on.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import csv
from datetime import UTC, datetime, timedelta
import math
from pathlib import Path
import random

DEFAULT_TRACE = Path(__file__).parent / "data" / "danfoss_room_24h.csv"
START = datetime(2025, 1, 15, tzinfo=UTC)
STEP = 10.0
DAY = 86400.0
HOUR = 3600.0

# (hour the setpoint starts, °C)
SETPOINTS = ((0.0, 17.0), (6.0, 21.0), (8.5, 19.0), (16.5, 21.0), (22.5, 17.0))
OUTDOOR = 2.0
LOSS_PER_HOUR = 1 / 15  # room → outdoors: a 15 h time constant
HEAT_PER_HOUR = 5.0  # K/h the radiator adds at full output
RADIATOR_LAG = 20 * 60.0  # s: a panel radiator warms up and cools down over ~20 min
HYSTERESIS = 0.1
WINDOW = (7.25 * HOUR, 12 * 60.0)  # start, duration
WINDOW_LOSS_PER_HOUR = 1.0  # extra room → outdoors coupling while the window is open
SUN = (14.5 * HOUR, 1.6 * HOUR, 1.6)  # peak time, width (sigma), peak gain in K/h


def setpoint(t: float) -> float:
    hour = (t % DAY) / HOUR
    return next(value for start, value in reversed(SETPOINTS) if hour >= start)


def room_temperatures(rng: random.Random) -> list[float]:
    """Return the true room temperature at every STEP over one day."""
    room, radiator, valve_open = 17.3, 0.2, False
    sun_peak, sun_width, sun_gain = SUN
    # The same day is never quite the same: shift the sun and the window a little per seed.
    sun_peak += rng.uniform(-0.5, 0.5) * HOUR
    window_start = WINDOW[0] + rng.uniform(-15, 15) * 60
    out: list[float] = []
    for step in range(int(DAY / STEP)):
        t = step * STEP
        target = setpoint(t)
        if room < target - HYSTERESIS:
            valve_open = True
        elif room > target + HYSTERESIS:
            valve_open = False
        radiator += (float(valve_open) - radiator) * STEP / RADIATOR_LAG
        loss = LOSS_PER_HOUR
        if window_start <= t < window_start + WINDOW[1]:
            loss += WINDOW_LOSS_PER_HOUR
        sun = sun_gain * math.exp(-(((t - sun_peak) / sun_width) ** 2) / 2)
        per_hour = HEAT_PER_HOUR * radiator + sun - loss * (room - OUTDOOR)
        room += per_hour * STEP / HOUR
        out.append(room)
    return out


def trace_rows(seed: int, resolution: float) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible trace, not cryptography
    room = room_temperatures(rng)
    rows: list[tuple[str, str, str]] = []
    t = rng.uniform(0, 30)
    while t < DAY:
        true = room[int(t / STEP)]
        reported = round((true + rng.uniform(-0.05, 0.05)) / resolution) * resolution
        stamp = (START + timedelta(seconds=round(t))).isoformat()
        rows.append((stamp, f"{reported:.2f}", f"{true:.3f}"))
        t += rng.uniform(30, 150)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--resolution", type=float, default=0.01, help="sensor step in °C"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_TRACE)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(("timestamp", "temperature", "true_temperature"))
        writer.writerows(trace_rows(args.seed, args.resolution))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
