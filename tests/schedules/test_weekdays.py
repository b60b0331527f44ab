"""Weekday keys, ZCL day bitmaps and RFC 5545 BYDAY."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, strategies as st
import pytest
from zigpy.zcl.clusters.hvac import Thermostat

from custom_components.zha_device_pack.protocol.irrigation_program import Weekday
from custom_components.zha_device_pack.schedules import weekdays

# 2026-11-30 is a Monday, 2026-12-03 a Thursday.
MONDAY = date(2026, 11, 30)
THURSDAY = date(2026, 12, 3)


def test_bit_order_is_the_zcl_thermostat_one() -> None:
    """Bit n is the day zigpy's ZCL Thermostat DayOfWeek and the TS0049 seed give it."""
    for key, zcl_day, ts0049_day in zip(
        weekdays.WEEKDAY_KEYS,
        list(Thermostat.SeqDayOfWeek)[:7],
        list(Weekday)[:7],
        strict=True,
    ):
        assert zcl_day.name.lower().startswith(key)
        assert weekdays.bits_of_keys([key]) == int(zcl_day) == int(ts0049_day)


def test_monday_and_thursday() -> None:
    """An asymmetric set: a reversed bit order would read Friday and Tuesday."""
    bits = weekdays.bits_of_keys(["thu", "mon"])
    assert bits == 0x12
    assert weekdays.keys_of_bits(bits) == ["mon", "thu"]
    assert weekdays.byday_of_bits(bits) == "MO,TH"
    assert weekdays.day_bit(MONDAY) | weekdays.day_bit(THURSDAY) == bits
    assert weekdays.bits_of_byday_code("TH") == weekdays.day_bit(THURSDAY)


def test_sunday_is_written_last_in_byday_but_listed_first_in_keys() -> None:
    """Calendars write weeks Monday first; our lists follow the bitmap (Sunday first)."""
    bits = weekdays.bits_of_keys(["sat", "sun", "tue"])
    assert weekdays.keys_of_bits(bits) == ["sun", "tue", "sat"]
    assert weekdays.byday_of_bits(bits) == "TU,SA,SU"


def test_unknown_key_or_code() -> None:
    with pytest.raises(ValueError, match="unknown weekday 'mo'"):
        weekdays.bits_of_keys(["mo"])
    with pytest.raises(ValueError, match="unknown RFC 5545 weekday 'MON'"):
        weekdays.bits_of_byday_code("MON")


@given(st.integers(0, 0x7F))
def test_round_trips(bits: int) -> None:
    assert weekdays.bits_of_keys(weekdays.keys_of_bits(bits)) == bits
    codes = weekdays.byday_of_bits(bits)
    back = 0
    for code in filter(None, codes.split(",")):
        back |= weekdays.bits_of_byday_code(code)
    assert back == bits


@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)))
def test_day_bit_follows_the_calendar(day: date) -> None:
    """The bit of a day is the bit of the same weekday a week later, and moves by one daily."""
    assert weekdays.day_bit(day) == weekdays.day_bit(day + timedelta(days=7))
    following = weekdays.day_bit(day + timedelta(days=1))
    assert following == (weekdays.day_bit(day) << 1) % 0x7F or following == 1
