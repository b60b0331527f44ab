"""Times of day and wall-clock instants across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from custom_components.zha_device_pack.schedules import clock

BERLIN = ZoneInfo("Europe/Berlin")


def test_minute_text_and_back() -> None:
    assert clock.minute_text(6 * 60 + 30) == "06:30"
    assert clock.minute_text(23 * 60 + 59) == "23:59"
    assert clock.minute_of_time(time(19, 7)) == 19 * 60 + 7


@pytest.mark.parametrize(
    ("day", "minute", "utc"),
    [
        # Winter (UTC+1) and summer (UTC+2).
        (date(2026, 1, 12), 6 * 60 + 30, datetime(2026, 1, 12, 5, 30, tzinfo=UTC)),
        (date(2026, 7, 9), 6 * 60 + 30, datetime(2026, 7, 9, 4, 30, tzinfo=UTC)),
        # 02:30 does not exist on 2026-03-29: it runs as the clock shows after the jump.
        (date(2026, 3, 29), 2 * 60 + 30, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # 02:30 happens twice on 2026-10-25: the first (summer-time) one.
        (date(2026, 10, 25), 2 * 60 + 30, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
)
def test_wall_clock_instant(day: date, minute: int, utc: datetime) -> None:
    assert clock.wall_clock_instant(day, minute, BERLIN) == utc


def test_days_and_zone() -> None:
    assert list(clock.days(date(2026, 2, 27), date(2026, 3, 2))) == [
        date(2026, 2, 27),
        date(2026, 2, 28),
        date(2026, 3, 1),
        date(2026, 3, 2),
    ]
    assert list(clock.days(date(2026, 3, 2), date(2026, 3, 1))) == []
    assert clock.zone_of(datetime(2026, 5, 4, tzinfo=BERLIN), "start") is BERLIN
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        clock.zone_of(datetime(2026, 5, 4), "end")
