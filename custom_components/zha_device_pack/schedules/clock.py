"""Times of day and wall-clock time for device schedules.

Zigbee devices keep schedules in local wall-clock minutes after midnight with no zone. A
wall-clock start is placed as PEP 495 (fold=0) does: inside a spring-forward gap it runs as the
clock shows after the jump, inside the repeated autumn hour at its first occurrence.
Arithmetic on instants is done in UTC: Python subtracts and compares datetimes that share a
tzinfo by wall clock, which is wrong across a DST change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final

ONE_DAY: Final = timedelta(days=1)


def minute_text(minute: int) -> str:
    """Return minutes after midnight as ``HH:MM``."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def minute_of_time(value: time) -> int:
    """Return the minutes after midnight of a time (seconds are the caller's to refuse)."""
    return value.hour * 60 + value.minute


def wall_clock_instant(day: date, minute: int, zone: tzinfo) -> datetime:
    """Return the UTC instant at which a clock in ``zone`` shows ``minute`` on ``day``."""
    hour, minute = divmod(minute, 60)
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def days(first_day: date, last_day: date) -> Iterator[date]:
    """Yield every day from ``first_day`` to ``last_day``, both included."""
    day = first_day
    while day <= last_day:
        yield day
        day += ONE_DAY


def zone_of(value: datetime, name: str) -> tzinfo:
    """Return the zone of an aware datetime; ValueError naming ``name`` if it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.tzinfo
