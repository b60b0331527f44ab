"""Days of the week: the keys of our service fields, ZCL day bitmaps and RFC 5545 BYDAY.

The ZCL days bitmap (ZCL 7th edition, Thermostat "DayOfWeekForSequence": bit 0 Sunday, bit 1
Monday … bit 6 Saturday, bit 7 "away", which Danfoss does not use) and seed 004's TS0049
"Weekly schedule" table (bit 0 Sunday … bit 6 Saturday) have the same order; both map
through the functions here. Do not assume this order for other devices: check their spec.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

# Service field values, by bit of the ZCL days bitmap. Lists of keys come out in this order.
WEEKDAY_KEYS: Final = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# RFC 5545 weekday codes, by bit of the ZCL days bitmap.
BYDAY_CODES: Final = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
# BYDAY lists are written Monday first, as calendar apps do.
_BYDAY_WRITE_ORDER: Final = (1, 2, 3, 4, 5, 6, 0)


def day_bit(day: date) -> int:
    """Return the ZCL days-bitmap bit of ``day``'s weekday."""
    # isoweekday: Monday 1 … Sunday 7.
    return 1 << (day.isoweekday() % 7)


def keys_of_bits(bits: int) -> list[str]:
    """Return the weekday keys (``sun``, ``mon`` …) set in a ZCL days bitmap."""
    return [key for bit, key in enumerate(WEEKDAY_KEYS) if bits & (1 << bit)]


def bits_of_keys(keys: Iterable[str]) -> int:
    """Return the ZCL days bitmap of weekday keys (ValueError for an unknown key)."""
    bits = 0
    for key in keys:
        if key not in WEEKDAY_KEYS:
            raise ValueError(f"unknown weekday {key!r}")
        bits |= 1 << WEEKDAY_KEYS.index(key)
    return bits


def byday_of_bits(bits: int) -> str:
    """Return the RFC 5545 BYDAY value (``MO,TH``) of a ZCL days bitmap."""
    return ",".join(BYDAY_CODES[bit] for bit in _BYDAY_WRITE_ORDER if bits & (1 << bit))


def bits_of_byday_code(code: str) -> int:
    """Return the bit of one RFC 5545 weekday code (``MO``); ValueError if unknown."""
    if code not in BYDAY_CODES:
        raise ValueError(f"unknown RFC 5545 weekday {code!r}")
    return 1 << BYDAY_CODES.index(code)
