"""P4: SetWeeklySchedule frames to push a week to a Danfoss Ally TRV.

Run through ``scripts/bench danfoss-schedule``. `frames_for` sends one frame per distinct day
(the days sharing it in one bitmap); the baseline sends one frame per day, seven a week. Every
frame is a unicast to a sleepy TRV (one 7 s long poll each, research §8), so fewer frames push
a schedule sooner. Prints each schedule and a last line
``P4 ratio=<ours/naive frames over the set> frames_ours=<n> frames_naive=<m>``.
"""

import argparse
from collections.abc import Mapping, Sequence
import sys
from typing import Final

from custom_components.zha_device_pack.protocol.thermostat_schedule import (
    DaySchedule,
    Transition,
    WeeklySchedule,
    encode_set_weekly_schedule,
    frames_for,
)

SUN, MON, TUE, WED, THU, FRI, SAT = range(7)


def _day(*pairs: tuple[str, float]) -> DaySchedule:
    """Transitions from ("HH:MM", degC) pairs."""
    return tuple(
        Transition(int(clock[:2]) * 60 + int(clock[3:]), round(celsius * 100))
        for clock, celsius in pairs
    )


WORKDAY: Final = _day(("06:00", 21), ("08:00", 17), ("16:30", 21), ("22:30", 17))
SATURDAY: Final = _day(("07:30", 21.5), ("23:30", 17))
SUNDAY: Final = _day(("08:00", 21.5), ("22:00", 17))
EARLY_SHIFT: Final = _day(("04:30", 21), ("05:30", 17), ("14:30", 21), ("22:00", 17))
LATE_SHIFT: Final = _day(("09:00", 21), ("13:00", 17), ("23:00", 21), ("23:59", 17))

SCHEDULES: Final[Mapping[str, WeeklySchedule]] = {
    "workweek": WeeklySchedule(
        {SUN: SUNDAY, SAT: SATURDAY} | dict.fromkeys((MON, TUE, WED, THU, FRI), WORKDAY)
    ),
    "every day the same": WeeklySchedule(dict.fromkeys(range(7), WORKDAY)),
    "shift worker": WeeklySchedule(
        dict.fromkeys((SUN, TUE, THU, SAT), EARLY_SHIFT)
        | dict.fromkeys((MON, WED, FRI), LATE_SHIFT)
    ),
    "every day different": WeeklySchedule(
        {bit: _day(("06:00", 20 + bit / 2), (f"{17 + bit}:15", 17)) for bit in range(7)}
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Print frames and payload bytes per schedule, then the P4 line."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.parse_args(argv)
    total_ours = total_naive = 0
    for name, schedule in SCHEDULES.items():
        ours = frames_for(schedule)
        naive = [(1 << bit, day) for bit, day in schedule.items()]
        bytes_ours = sum(len(encode_set_weekly_schedule(*frame)) for frame in ours)
        bytes_naive = sum(len(encode_set_weekly_schedule(*frame)) for frame in naive)
        _say(
            f"{name:<22} frames ours={len(ours)} naive={len(naive)}"
            f"  payload bytes ours={bytes_ours} naive={bytes_naive}"
        )
        total_ours += len(ours)
        total_naive += len(naive)
    _say(
        f"P4 ratio={total_ours / total_naive:.3f} "
        f"frames_ours={total_ours} frames_naive={total_naive}"
    )
    return 0


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


if __name__ == "__main__":
    sys.exit(main())
