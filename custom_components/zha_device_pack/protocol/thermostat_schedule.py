"""ZCL Thermostat weekly schedule, within the limits of a Danfoss Ally eTRV.

SetWeeklySchedule (server command 0x01) and GetWeeklyScheduleResponse (client command 0x00)
share one payload, little-endian like every ZCL field::

    num_transitions u8 | days map8 | mode map8 | [minutes u16, heat setpoint int16] x num

days is the ZCL DayOfWeekForSequence bitmap (bit 0 Sunday ... bit 6 Saturday, bit 7 away, see
schedules/weekdays.py), minutes count from local midnight, setpoints are 0.01 degC. Danfoss
(AM375549618098en-000103 p.3 and p.5, research notes danfoss_specifics.md section 4):

- at most 6 transitions a day (NumberOfDailyTransitions); with more, the TRV "simply doesn't
  apply any transition" and answers no error (z-h-c #3499), so they are refused here;
- "The events within one day must be ordered chronologically": strictly increasing times;
- "Vacation day is not used": bit 7 is refused, and so is a frame for no day;
- heating only: mode 0x01, so the pairs are (time, heat setpoint). With the cool bit set every
  transition would carry a third field; such a response is refused as unsupported.

A day written is replaced whole ("Any day included in a write is wiped of its previous
schedule", z-h-c #3499). A day given with no transitions is written as a frame with count 0
for its days: the ZCL allows it, and it empties those days.

Every rejected input, in either direction, raises ScheduleError; its ``reason`` and
``placeholders`` make a translated message. The decoders raise its subclass
ScheduleDecodeError, whose message says what is wrong with the frame.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
import itertools
import struct
from typing import Final, Protocol, TypeIs


class ScheduleError(ValueError):
    """A schedule breaks the ZCL layout or the Danfoss rules; ``reason`` says which.

    ``reason`` is a translation key without the family prefix, ``placeholders`` its values (no
    ``day`` key: the caller adds the day); ``str()`` is an English message for logs.
    """

    def __init__(self, reason: str, placeholders: Mapping[str, str]) -> None:
        """Keep the reason and placeholders for a translated error."""
        self.reason = reason
        self.placeholders = dict(placeholders)
        template = _MESSAGES.get(reason)
        super().__init__(template.format_map(self.placeholders) if template else reason)


class ScheduleDecodeError(ScheduleError):
    """A frame the TRV sent does not decode, or does not answer what was asked.

    The TRV's fault, not the user's: the message is for logs, under reason ``invalid_frame``.
    """

    def __init__(self, message: str) -> None:
        """Keep the message (also as the ``detail`` placeholder)."""
        super().__init__("invalid_frame", {"detail": message})


MAX_DAILY_TRANSITIONS: Final = 6
MAX_MINUTE_OF_DAY: Final = 1439
MIN_SETPOINT: Final = -0x8000
MAX_SETPOINT: Final = 0x7FFF
MODE_HEAT: Final = 0x01
EVERY_DAY: Final = 0x7F
DAYS_OF_WEEK: Final = 7

_HEADER_SIZE: Final = 3
_PAIR: Final = struct.Struct("<Hh")

# English text of each reason, for logs and for the decoders' messages.
_MESSAGES: Final = {
    "invalid_frame": "{detail}",
    "invalid_days": "days {days} is not a ZCL day bitmap of 1 to 7 days (no vacation bit)",
    "invalid_day_bit": "day bit {bit} is not 0 (Sunday) .. 6 (Saturday)",
    "invalid_transition": "{transition} is not a transition",
    "unsupported_mode": (
        "mode {mode}: only heat (0x01) is supported, with (time, heat setpoint) pairs"
    ),
    "too_many_transitions": "{count} transitions, at most {max} a day",
    "duplicate_time": "two transitions at {time}",
    "unsorted_times": "the transition at {time} comes after the one at {previous}",
    "time_out_of_range": "transition time {minutes} is not a minute of the day (0..1439)",
    "setpoint_out_of_range": "setpoint {setpoint} degC is outside {min}..{max} degC",
}


@dataclass(frozen=True, slots=True)
class Transition:
    """From `minutes` after local midnight, heat to `setpoint` (0.01 degC)."""

    minutes: int
    setpoint: int

    def __post_init__(self) -> None:
        """Refuse a time or setpoint that does not fit the frame."""
        if not _is_int(self.minutes) or not 0 <= self.minutes <= MAX_MINUTE_OF_DAY:
            raise ScheduleError("time_out_of_range", {"minutes": repr(self.minutes)})
        if not _is_int(self.setpoint):
            raise ScheduleError("invalid_transition", {"transition": repr(self)})
        _check_setpoint(self.setpoint, MIN_SETPOINT, MAX_SETPOINT)


type DaySchedule = tuple[Transition, ...]


class WeeklySchedule(Mapping[int, DaySchedule]):
    """Day schedules by ZCL day bit (0 Sunday ... 6 Saturday), frozen.

    Days absent stay as they are on the TRV; a day with no transitions is emptied.
    """

    __slots__ = ("_days",)

    def __init__(self, days: Mapping[int, Iterable[Transition]]) -> None:
        """Copy the days, refusing unknown day bits and anything but transitions."""
        checked = {
            _check_day_bit(bit): _check_transitions(transitions)
            for bit, transitions in days.items()
        }
        self._days: Final = dict(sorted(checked.items()))

    def __getitem__(self, bit: int) -> DaySchedule:
        """Return the transitions of day bit `bit`."""
        return self._days[bit]

    def __iter__(self) -> Iterator[int]:
        """Iterate over the day bits, Sunday first."""
        return iter(self._days)

    def __len__(self) -> int:
        """Return the number of days given."""
        return len(self._days)

    def __hash__(self) -> int:
        """Hash like the frozen mapping it is."""
        return hash(tuple(self._days.items()))

    def __repr__(self) -> str:
        """Show the days."""
        return f"WeeklySchedule({self._days!r})"


class WeeklyScheduleFields(Protocol):
    """zigpy's parsed get_weekly_schedule_response (Thermostat client command 0x00)."""

    @property
    def num_transitions_for_sequence(self) -> int:
        """Number of transitions."""

    @property
    def day_of_week_for_sequence(self) -> int:
        """Days bitmap."""

    @property
    def mode_for_sequence(self) -> int:
        """Mode bitmap."""

    @property
    def values(self) -> Sequence[int]:
        """Flat [minutes, setpoint, ...] list."""


def validate_day(
    transitions: Sequence[Transition], *, min_setpoint: int, max_setpoint: int
) -> None:
    """Refuse a day the TRV would not store or apply, or a setpoint outside [min, max]."""
    for transition in _check_day(transitions):
        _check_setpoint(transition.setpoint, min_setpoint, max_setpoint)


def frames_for(schedule: Mapping[int, DaySchedule]) -> list[tuple[int, DaySchedule]]:
    """Return (days bitmap, transitions): one SetWeeklySchedule per distinct day.

    Days with the same transitions share a frame; frames come in the order of their lowest
    day bit. Days the schedule does not hold get no frame. Every day is checked first, so a
    bad day fails before any frame is sent.
    """
    frames: dict[DaySchedule, int] = {}
    for bit, transitions in sorted(schedule.items()):
        day = _check_day(transitions)
        frames[day] = frames.get(day, 0) | (1 << _check_day_bit(bit))
    return [(days, day) for day, days in frames.items()]


def encode_set_weekly_schedule(days: int, transitions: Sequence[Transition]) -> bytes:
    """Encode the payload of SetWeeklySchedule (Thermostat server command 0x01)."""
    _check_days(days)
    day = _check_day(transitions)
    return bytes((len(day), days, MODE_HEAT)) + b"".join(
        _PAIR.pack(transition.minutes, transition.setpoint) for transition in day
    )


def set_weekly_schedule_args(
    days: int, transitions: Sequence[Transition]
) -> dict[str, int | list[int]]:
    """Return zigpy's ``set_weekly_schedule`` keyword arguments for the same frame."""
    _check_days(days)
    day = _check_day(transitions)
    return {
        "num_transitions_for_sequence": len(day),
        "day_of_week_for_sequence": days,
        "mode_for_sequence": MODE_HEAT,
        "values": [
            value
            for transition in day
            for value in (transition.minutes, transition.setpoint)
        ],
    }


def decode_schedule_payload(data: bytes) -> tuple[int, DaySchedule]:
    """Decode a GetWeeklyScheduleResponse (or SetWeeklySchedule) payload: (days, transitions).

    Raises ScheduleDecodeError.
    """
    if len(data) < _HEADER_SIZE:
        raise ScheduleDecodeError(
            f"weekly schedule frame of {len(data)} bytes has no 3-byte header"
        )
    count, days, mode = data[0], data[1], data[2]
    with _decoding("weekly schedule frame"):
        _check_header(count, days, mode)
    expected = _HEADER_SIZE + _PAIR.size * count
    if len(data) != expected:
        raise ScheduleDecodeError(
            f"weekly schedule frame with {count} transitions is {len(data)} bytes, "
            f"not 3 + 4 x {count} = {expected}"
        )
    pairs = [
        _PAIR.unpack_from(data, offset)
        for offset in range(_HEADER_SIZE, expected, _PAIR.size)
    ]
    with _decoding("weekly schedule frame"):
        return days, _day_of_pairs(pairs)


def day_schedule_from_response(
    command: WeeklyScheduleFields,
) -> tuple[int, DaySchedule]:
    """Return (days, transitions) of zigpy's parsed get_weekly_schedule_response.

    Raises ScheduleDecodeError.
    """
    with _decoding("get_weekly_schedule_response"):
        count = int(command.num_transitions_for_sequence)
        days = int(command.day_of_week_for_sequence)
        _check_header(count, days, int(command.mode_for_sequence))
        values = [int(value) for value in command.values]
        if len(values) != 2 * count:
            raise ScheduleDecodeError(
                f"get_weekly_schedule_response: {count} transitions need "
                f"{2 * count} values, got {len(values)}"
            )
        return days, _day_of_pairs(itertools.batched(values, 2, strict=True))


# --- checks -------------------------------------------------------------------------------------


def _is_int(value: object) -> TypeIs[int]:
    return isinstance(value, int) and not isinstance(value, bool)


@contextmanager
def _decoding(what: str) -> Iterator[None]:
    """Turn a rule broken by a received frame into a ScheduleDecodeError."""
    try:
        yield
    except ScheduleDecodeError:
        raise
    except ScheduleError as err:
        raise ScheduleDecodeError(f"{what}: {err}") from err


def _check_header(count: int, days: int, mode: int) -> None:
    if mode != MODE_HEAT:
        # With the cool bit every transition would carry a third field (cool setpoint).
        raise ScheduleError("unsupported_mode", {"mode": f"0x{mode:02x}"})
    _check_days(days)
    _check_count(count)


def _check_days(days: object) -> None:
    # Bit 7 (away): "Vacation day is not used" [SPEC p.3]; a frame for no day changes nothing.
    if not _is_int(days) or not 0 < days <= EVERY_DAY:
        shown = f"0x{days:02x}" if _is_int(days) else repr(days)
        raise ScheduleError("invalid_days", {"days": shown})


def _check_day_bit(bit: object) -> int:
    if not _is_int(bit) or not 0 <= bit < DAYS_OF_WEEK:
        raise ScheduleError("invalid_day_bit", {"bit": repr(bit)})
    return bit


def _check_count(count: int) -> None:
    if count > MAX_DAILY_TRANSITIONS:
        # More than NumberOfDailyTransitions: the TRV "simply doesn't apply any transition".
        raise ScheduleError(
            "too_many_transitions",
            {"count": str(count), "max": str(MAX_DAILY_TRANSITIONS)},
        )


def _check_setpoint(setpoint: int, minimum: int, maximum: int) -> None:
    if not minimum <= setpoint <= maximum:
        raise ScheduleError(
            "setpoint_out_of_range",
            {
                "setpoint": _celsius(setpoint),
                "min": _celsius(minimum),
                "max": _celsius(maximum),
            },
        )


def _check_transitions(transitions: object) -> DaySchedule:
    if isinstance(transitions, (str, bytes)) or not isinstance(transitions, Iterable):
        raise ScheduleError("invalid_transition", {"transition": repr(transitions)})
    day = tuple(transitions)
    for transition in day:
        if not isinstance(transition, Transition):
            raise ScheduleError("invalid_transition", {"transition": repr(transition)})
    return day


def _check_day(transitions: object) -> DaySchedule:
    day = _check_transitions(transitions)
    _check_count(len(day))
    for previous, current in itertools.pairwise(day):
        if current.minutes == previous.minutes:
            raise ScheduleError("duplicate_time", {"time": _clock(current.minutes)})
        if current.minutes < previous.minutes:
            # "The events within one day must be ordered chronologically" [SPEC p.3]
            raise ScheduleError(
                "unsorted_times",
                {"time": _clock(current.minutes), "previous": _clock(previous.minutes)},
            )
    return day


def _day_of_pairs(pairs: Iterable[tuple[int, ...]]) -> DaySchedule:
    return _check_day([Transition(minutes, setpoint) for minutes, setpoint in pairs])


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _celsius(setpoint: int) -> str:
    return f"{setpoint / 100:g}"
