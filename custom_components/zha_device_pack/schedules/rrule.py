"""Calendar events into device schedules: RFC 5545 RRULE parts a device can repeat.

Devices repeat their schedules until deleted, on days of the week or month; a calendar event's
RRULE must say exactly that or be refused with the reason. The rule is read here, not with
``dateutil.rrule``: its parsed rule keeps the parts only as private attributes and fills the
ones the user left out from DTSTART, so "which parts did the user write" — what the refusal
reasons name — is lost there.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
import re
from typing import Final

from .weekdays import BYDAY_CODES, bits_of_byday_code


class UnrepresentableEventError(ValueError):
    """A calendar event a device cannot store; ``reason`` says why.

    ``reason`` is a translation key without the family prefix (the family adds its own, e.g.
    ``irrigation_`` + reason), ``placeholders`` its values; ``str()`` is for logs only.
    """

    def __init__(self, reason: str, placeholders: Mapping[str, str]) -> None:
        """Keep the reason and placeholders for a translated error."""
        super().__init__(f"{reason}: {dict(placeholders)}")
        self.reason = reason
        self.placeholders = dict(placeholders)


_RFC_FREQS: Final = frozenset(
    {"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
)
_RFC_RULE_PARTS: Final = frozenset(
    {
        "FREQ",
        "UNTIL",
        "COUNT",
        "INTERVAL",
        "BYSECOND",
        "BYMINUTE",
        "BYHOUR",
        "BYDAY",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYMONTH",
        "BYSETPOS",
        "WKST",
    }
)
# Event properties, not rule parts, but pasted into a rule often enough to name them.
_EVENT_RECURRENCE_PROPERTIES: Final = frozenset({"EXDATE", "RDATE", "EXRULE"})
_BYDAY_TOKEN: Final = re.compile(r"([+-]?[0-9]{1,2})?(SU|MO|TU|WE|TH|FR|SA)")
_MONTHDAY_TOKEN: Final = re.compile(r"[+-]?[0-9]{1,2}")
_POSITIVE_INTEGER: Final = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True, slots=True)
class EndlessRule:
    """An RRULE without an end; BY… parts as written (None: left out), read on demand."""

    rrule: str
    freq: str
    interval: int
    byday: str | None
    bymonthday: str | None

    def byday_bits(self) -> int | None:
        """Return BYDAY as a ZCL days bitmap; ordinal days (``2MO``) are refused."""
        if self.byday is None:
            return None
        bits = 0
        for token in self.byday.split(","):
            match = _BYDAY_TOKEN.fullmatch(token)
            if match is None:
                raise UnrepresentableEventError(
                    "rrule_unparsable", {"rrule": self.rrule}
                )
            if match.group(1) is not None:
                raise UnrepresentableEventError("rrule_byday_ordinal", {"day": token})
            bits |= bits_of_byday_code(match.group(2))
        return bits

    def month_days(self, default: int) -> frozenset[int]:
        """Return BYMONTHDAY's days (``default`` when left out), each 1-31 or -31…-1."""
        tokens = (str(default) if self.bymonthday is None else self.bymonthday).split(
            ","
        )
        if not all(_MONTHDAY_TOKEN.fullmatch(token) for token in tokens):
            raise UnrepresentableEventError("rrule_unparsable", {"rrule": self.rrule})
        days = frozenset(int(token) for token in tokens)
        if not all(1 <= abs(day) <= 31 for day in days):
            raise UnrepresentableEventError("rrule_unparsable", {"rrule": self.rrule})
        return days


def parse_endless_rule(
    rrule: str, supported: Mapping[str, Collection[str]]
) -> EndlessRule:
    """Read an RRULE a device can repeat until deleted; UnrepresentableEventError says why not.

    ``supported`` maps each frequency the device repeats to the BY… parts it accepts with it
    (FREQ, INTERVAL and WKST are always accepted; WKST changes nothing a device repeats).
    """
    parts = _rrule_parts(rrule)
    for part in ("COUNT", "UNTIL"):
        if part in parts:
            raise UnrepresentableEventError(
                "rrule_count_until", {"part": f"{part}={parts[part]}"}
            )
    freq = parts.get("FREQ")
    if freq not in _RFC_FREQS:
        raise UnrepresentableEventError("rrule_unparsable", {"rrule": rrule})
    if freq not in supported:
        raise UnrepresentableEventError("rrule_unsupported_freq", {"freq": freq})
    allowed = {"FREQ", "INTERVAL", "WKST", *supported[freq]}
    for part in parts:
        if part not in allowed:
            raise UnrepresentableEventError("rrule_unsupported_part", {"part": part})
    if "WKST" in parts and parts["WKST"] not in BYDAY_CODES:
        raise UnrepresentableEventError("rrule_unparsable", {"rrule": rrule})
    interval_text = parts.get("INTERVAL", "1")
    if not _POSITIVE_INTEGER.fullmatch(interval_text) or int(interval_text) == 0:
        raise UnrepresentableEventError("rrule_unparsable", {"rrule": rrule})
    return EndlessRule(
        rrule=rrule,
        freq=freq,
        interval=int(interval_text),
        byday=parts.get("BYDAY"),
        bymonthday=parts.get("BYMONTHDAY"),
    )


def _rrule_parts(rrule: str) -> dict[str, str]:
    """NAME=VALUE parts, upper-cased (RFC 5545 names and values are case-insensitive)."""
    parts: dict[str, str] = {}
    for item in rrule.split(";"):
        name, sep, value = item.strip().partition("=")
        name, value = name.upper(), value.upper()
        if name in _EVENT_RECURRENCE_PROPERTIES:
            raise UnrepresentableEventError("rrule_unsupported_part", {"part": name})
        if not sep or not value or name in parts or name not in _RFC_RULE_PARTS:
            raise UnrepresentableEventError("rrule_unparsable", {"rrule": rrule})
        parts[name] = value
    return parts
