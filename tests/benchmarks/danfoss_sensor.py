"""P1: writes of a Danfoss Ally's external room sensor (0x4015), our policy vs the blueprint.

    scripts/bench danfoss-sensor [--trace FILE] [--covered]

The trace is a CSV of ``timestamp,temperature[,true_temperature]`` (ISO-8601, °C), optionally
under a header row with those names; without --trace, the committed 24 h room
(tests/benchmarks/data/danfoss_room_24h.csv, from make_danfoss_trace.py).

Baseline, the community blueprint (zha-toolkit's danfoss_ally_remote_temperature): on every
change of the reported value, write it unless the last write is less than ``min`` ago (the
blueprint's condition drops such a change); write the current value again ``max`` after the
last write. Covered 5/30 min, exposed 30/150 min. The first row is written.
Ours: ExternalSensorPolicy, fed every row and woken up at its next_check() times.

Reported per policy: frames per day, the longest time without a write (to the end of the
trace included), and the mean absolute error between the value the TRV holds and the room
(the true temperature when the trace has it, else the reported one), sampled at every row from
the first write on; rows where the TRV holds OFF are left out. Never asserted in tests.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
import csv
from dataclasses import dataclass
from datetime import UTC, datetime
import itertools
import math
from pathlib import Path
import sys

from custom_components.zha_device_pack.danfoss.sensor_policy import (
    OFF,
    ExternalSensorPolicy,
)
from tests.benchmarks.make_danfoss_trace import DEFAULT_TRACE

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
#: (min, max) of the blueprint, seconds, by radiator covered.
BLUEPRINT_SETTINGS = {
    True: (5 * MINUTE, 30 * MINUTE),
    False: (30 * MINUTE, 150 * MINUTE),
}
HEADER = ("timestamp", "temperature", "true_temperature")


class TraceError(ValueError):
    """The trace file is not a CSV of timestamp,temperature[,true_temperature]."""


@dataclass(frozen=True, slots=True)
class Row:
    time: float
    temperature: float
    room: float


@dataclass(frozen=True, slots=True)
class Write:
    time: float
    value: int


@dataclass(frozen=True, slots=True)
class Result:
    frames_per_day: float
    max_gap_min: float
    mae: float


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TraceError(f"{where}: not a temperature: {text!r}") from None
    if not math.isfinite(value):
        raise TraceError(f"{where}: not a temperature: {text!r}")
    return value


def _time(text: str, where: str) -> float:
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise TraceError(f"{where}: not an ISO-8601 timestamp: {text!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def read_trace(path: Path) -> list[Row]:
    """Return the rows of a trace; TraceError naming the line if it is malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TraceError(f"{path}: cannot read: {err}") from None
    rows: list[Row] = []
    width: int | None = None
    for line, raw in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [cell.strip() for cell in raw]
        if not any(cells):
            continue
        where = f"{path}:{line}"
        if (
            not rows
            and width is None
            and tuple(c.lower() for c in cells) in (HEADER[:2], HEADER)
        ):
            width = len(cells)
            continue
        if len(cells) not in (2, 3) or (width is not None and len(cells) != width):
            raise TraceError(
                f"{where}: expected {width or '2 or 3'} columns "
                f"(timestamp,temperature[,true_temperature]), got {len(cells)}"
            )
        width = len(cells)
        time = _time(cells[0], where)
        temperature = _number(cells[1], where)
        room = _number(cells[2], where) if width == 3 else temperature
        if rows and time < rows[-1].time:
            raise TraceError(f"{where}: timestamp earlier than the row before")
        rows.append(Row(time, temperature, room))
    if len(rows) < 2 or rows[-1].time == rows[0].time:
        raise TraceError(f"{path}: need at least two rows at different times")
    return rows


def run_blueprint(rows: Sequence[Row], covered: bool) -> list[Write]:
    """Return the writes of the blueprint over the trace."""
    min_interval, max_interval = BLUEPRINT_SETTINGS[covered]
    writes = [Write(rows[0].time, round(rows[0].temperature * 100))]
    for before, row in itertools.pairwise(rows):
        while writes[-1].time + max_interval <= row.time:
            writes.append(
                Write(writes[-1].time + max_interval, round(before.temperature * 100))
            )
        changed = row.temperature != before.temperature
        if changed and row.time - writes[-1].time >= min_interval:
            writes.append(Write(row.time, round(row.temperature * 100)))
    return writes


def run_policy(rows: Sequence[Row], covered: bool) -> list[Write]:
    """Return the writes of ExternalSensorPolicy over the trace."""
    policy = ExternalSensorPolicy(covered=covered)
    writes: list[Write] = []
    now = rows[0].time

    def write(at: float, value: int | None) -> None:
        if value is None:
            raise RuntimeError(f"next_check() promised a write at {at}, due() has none")
        policy.written(at, value)
        writes.append(Write(at, value))

    for row in rows:
        while (at := policy.next_check(now)) is not None and at < row.time:
            write(at, policy.due(at))
            now = at
        now = row.time
        policy.reading(now, row.temperature)
        if (value := policy.due(now)) is not None:
            write(now, value)
    return writes


def measure(rows: Sequence[Row], writes: Sequence[Write]) -> Result:
    """Return frames per day, the longest gap and the error of the held value."""
    days = (rows[-1].time - rows[0].time) / DAY
    times = [write.time for write in writes] + [rows[-1].time]
    max_gap = max(b - a for a, b in itertools.pairwise(times))
    errors: list[float] = []
    index = 0
    held: int | None = None
    for row in rows:
        while index < len(writes) and writes[index].time <= row.time:
            held = writes[index].value
            index += 1
        if held is not None and held != OFF:
            errors.append(abs(held / 100 - row.room))
    return Result(
        frames_per_day=len(writes) / days,
        max_gap_min=max_gap / MINUTE,
        mae=sum(errors) / len(errors) if errors else math.nan,
    )


POLICIES: dict[str, Callable[[Sequence[Row], bool], list[Write]]] = {
    "blueprint": run_blueprint,
    "ours": run_policy,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run P1 and print the report; 2 if the trace is malformed."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench danfoss-sensor", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--trace", type=Path, default=DEFAULT_TRACE)
    parser.add_argument(
        "--covered", action="store_true", help="radiator covered (room sensor mode)"
    )
    args = parser.parse_args(argv)
    try:
        rows = read_trace(args.trace)
    except TraceError as err:
        print(f"danfoss-sensor: {err}", file=sys.stderr)  # noqa: T201 - a CLI error
        return 2
    results = {
        name: measure(rows, run(rows, args.covered)) for name, run in POLICIES.items()
    }
    hours = (rows[-1].time - rows[0].time) / HOUR
    mode = "covered" if args.covered else "exposed"
    lines = [
        f"P1 danfoss-sensor: {args.trace.name}, {len(rows)} rows over {hours:.1f} h, {mode}",
        f"{'policy':<10} {'frames/day':>10} {'longest gap (min)':>18} {'MAE (K)':>8}",
    ]
    lines += [
        f"{name:<10} {result.frames_per_day:>10.1f} {result.max_gap_min:>18.1f} {result.mae:>8.4f}"
        for name, result in results.items()
    ]
    ours, blueprint = results["ours"], results["blueprint"]
    lines.append(
        f"P1 ratio={ours.frames_per_day / blueprint.frames_per_day:.3f}"
        f" max_gap_min={ours.max_gap_min:.1f}"
        f" mae_ours={ours.mae:.4f} mae_blueprint={blueprint.mae:.4f}"
    )
    print("\n".join(lines))  # noqa: T201 - the benchmark report is its output
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
