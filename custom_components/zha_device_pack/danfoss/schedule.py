"""Weekly schedules: the desired schedule of each room and TRV, pushed, verified, re-pushed.

A room's schedule applies to all its TRVs; a TRV can have its own (it then overrides the
room's). The desired schedules live in an HA Store. A push sends one SetWeeklySchedule per
distinct day pattern and reads every written day back with GetWeeklySchedule. Danfoss says
"the schedule information is lost after power cycle or OTA" (spec p.3), so the book checks a
TRV's schedule when it has reason to: the TRV announced itself, it reported E10 (clock lost,
which a power cycle also causes), or the family just started. The check reads one scheduled day
back; an empty or different answer re-pushes the whole schedule. Nothing is pushed on a timer.
The programming mode (0x0025, Save = No) is kept with the schedule and restored with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import logging
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from zigpy.types import EUI64
from zigpy.zcl.foundation import Status

from ..const import DOMAIN
from ..errors import translated_device_errors, validation_error
from ..protocol import thermostat_schedule as ts
from ..quirks.exceptions import CommandRefusedError, NoAnswerError
from ..schedules.weekdays import WEEKDAY_KEYS
from .trv import TH, TrvLink

_LOGGER = logging.getLogger(__name__)

FAMILY: Final = "danfoss"
STORAGE_KEY: Final = f"{DOMAIN}.danfoss_schedules"
STORAGE_VERSION: Final = 1

type WeekSchedule = dict[int, ts.DaySchedule]


def week_to_storage(week: Mapping[int, ts.DaySchedule]) -> dict[str, list[list[int]]]:
    """Return ``week`` as JSON (weekday key -> [[minutes, 0.01 °C], ...])."""
    return {
        WEEKDAY_KEYS[bit]: [[tr.minutes, tr.setpoint] for tr in transitions]
        for bit, transitions in sorted(week.items())
    }


def week_from_storage(data: Mapping[str, Any]) -> WeekSchedule:
    """Return the stored JSON as day bit -> transitions."""
    return {
        WEEKDAY_KEYS.index(key): tuple(ts.Transition(int(m), int(s)) for m, s in pairs)
        for key, pairs in data.items()
    }


def week_as_response(week: Mapping[int, ts.DaySchedule]) -> dict[str, Any]:
    """Return ``week`` as service response data (times HH:MM, temperatures °C)."""
    return {
        WEEKDAY_KEYS[bit]: [
            {
                "time": f"{tr.minutes // 60:02d}:{tr.minutes % 60:02d}",
                "temperature": tr.setpoint / 100,
            }
            for tr in transitions
        ]
        for bit, transitions in sorted(week.items())
    }


class ScheduleBook:
    """Desired schedules and programming modes, and their push / check on the TRVs."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the store (loaded by `async_load`)."""
        self.hass = hass
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self.rooms: dict[str, WeekSchedule] = {}
        self.trvs: dict[EUI64, WeekSchedule] = {}
        #: Programming mode (0x0025) per TRV as last set through a room.
        self.modes: dict[EUI64, int] = {}
        #: TRVs whose schedule must be checked at their next chance.
        self.unchecked: set[EUI64] = set()
        self._listeners: list[Callable[[], None]] = []

    async def async_load(self) -> None:
        """Load the stored schedules."""
        data = await self._store.async_load() or {}
        self.rooms = {
            room: week_from_storage(week)
            for room, week in data.get("rooms", {}).items()
        }
        self.trvs = {
            EUI64.convert(ieee): week_from_storage(week)
            for ieee, week in data.get("trvs", {}).items()
        }
        self.modes = {
            EUI64.convert(ieee): int(mode)
            for ieee, mode in data.get("modes", {}).items()
        }

    def _data(self) -> dict[str, Any]:
        return {
            "rooms": {room: week_to_storage(w) for room, w in self.rooms.items()},
            "trvs": {str(ieee): week_to_storage(w) for ieee, w in self.trvs.items()},
            "modes": {str(ieee): mode for ieee, mode in self.modes.items()},
        }

    @callback
    def _save(self) -> None:
        self._store.async_delay_save(self._data, 1)
        for listener in list(self._listeners):
            listener()

    async def async_flush(self) -> None:
        """Save now (unload)."""
        await self._store.async_save(self._data())

    @callback
    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` when a desired schedule changes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def effective(self, ieee: EUI64, room_id: str | None) -> WeekSchedule:
        """Return the schedule the TRV should hold: its own, else its room's."""
        if ieee in self.trvs:
            return self.trvs[ieee]
        return self.rooms.get(room_id or "", {}) if room_id else {}

    # -- user actions ------------------------------------------------------------

    @staticmethod
    def validate(
        days: Mapping[int, ts.DaySchedule], *, min_setpoint: int, max_setpoint: int
    ) -> None:
        """Raise a translated validation error for a day Danfoss would not take."""
        for bit, transitions in days.items():
            try:
                ts.validate_day(
                    transitions, min_setpoint=min_setpoint, max_setpoint=max_setpoint
                )
            except ts.ScheduleError as err:
                raise validation_error(
                    f"danfoss_schedule_{err.reason}",
                    day=WEEKDAY_KEYS[bit],
                    **err.placeholders,
                ) from err

    async def async_set(
        self,
        trvs: list[TrvLink],
        days: Mapping[int, ts.DaySchedule],
        *,
        room_id: str | None,
        trv_own: bool,
    ) -> WeekSchedule:
        """Write ``days`` (each replaced whole) to ``trvs``; store only if every TRV took it.

        ``room_id`` + not ``trv_own``: the room's schedule (clears its TRVs' own ones);
        ``trv_own``: the single TRV's own schedule.
        """
        base = (
            self.effective(trvs[0].ieee, room_id)
            if trv_own
            else self.rooms.get(room_id or "", {})
        )
        week = {**base, **days}
        async with translated_device_errors(FAMILY):
            for trv in trvs:
                await self._push(trv, days)
        if trv_own or room_id is None:
            self.trvs[trvs[0].ieee] = week
        else:
            self.rooms[room_id] = week
            for trv in trvs:
                self.trvs.pop(trv.ieee, None)
        for trv in trvs:
            self.unchecked.discard(trv.ieee)
        self._save()
        return week

    async def async_clear(
        self, trvs: list[TrvLink], *, room_id: str | None, trv_own: bool
    ) -> None:
        """Clear the TRVs' schedules (ClearWeeklySchedule) and the stored one."""
        async with translated_device_errors(FAMILY):
            for trv in trvs:
                if trv.thermostat is None:
                    raise NoAnswerError("not on our quirk")
                await trv.thermostat.clear_schedule()
        if trv_own:
            self.trvs[trvs[0].ieee] = {}
        else:
            self.rooms.pop(room_id or "", None)
            for trv in trvs:
                self.trvs.pop(trv.ieee, None)
        self._save()

    @callback
    def remember_mode(self, trvs: list[TrvLink], mode: int) -> None:
        """Keep the programming mode to restore after the TRVs lose it."""
        for trv in trvs:
            self.modes[trv.ieee] = mode
        self._save()

    async def _push(self, trv: TrvLink, days: Mapping[int, ts.DaySchedule]) -> None:
        cluster = trv.thermostat
        if cluster is None:
            raise NoAnswerError("not on our quirk")
        frames = ts.frames_for(ts.WeeklySchedule(days))
        for day_bits, transitions in frames:
            await cluster.push_day_schedule(day_bits, transitions)
        for bit, transitions in sorted(days.items()):
            if await cluster.read_day_schedule(bit) != transitions:
                raise CommandRefusedError(Status.FAILURE)

    # -- loss detection -----------------------------------------------------------

    @callback
    def suspect(self, ieee: EUI64) -> None:
        """Mark a TRV that may have lost its schedule (announce, E10, start) for a check."""
        self.unchecked.add(ieee)

    async def async_check(self, trv: TrvLink, room_id: str | None) -> bool:
        """Check a suspected TRV: read back a scheduled day, re-push all when lost.

        Returns True when the TRV holds its schedule now (or has none to hold); False when it
        did not answer (checked again at its next check-in).
        """
        if trv.ieee not in self.unchecked or (cluster := trv.thermostat) is None:
            return True
        week = dict(self.effective(trv.ieee, room_id))
        mode = self.modes.get(trv.ieee)
        try:
            scheduled = [bit for bit, trs in sorted(week.items()) if trs]
            if (
                scheduled
                and await cluster.read_day_schedule(scheduled[0]) != week[scheduled[0]]
            ):
                _LOGGER.info("%s lost its weekly schedule; pushing it again", trv.ieee)
                await self._push(trv, week)
            if mode is not None:
                # Save = No and not reportable: our cache cannot tell it was lost
                await cluster.write_standard({TH.programing_oper_mode.name: mode})
        except (NoAnswerError, CommandRefusedError, ts.ScheduleDecodeError) as err:
            _LOGGER.debug("%s: schedule check failed: %s", trv.ieee, err)
            return False
        self.unchecked.discard(trv.ieee)
        return True

    @callback
    def forget_trv(self, ieee: EUI64) -> None:
        """Drop a removed TRV's own schedule and mode."""
        if (
            self.trvs.pop(ieee, None) is not None
            or self.modes.pop(ieee, None) is not None
        ):
            self._save()
        self.unchecked.discard(ieee)

    @callback
    def forget_room(self, room_id: str) -> None:
        """Drop a deleted room's schedule."""
        if self.rooms.pop(room_id, None) is not None:
            self._save()

    def diagnostics(self) -> dict[str, Any]:
        """Return the desired schedules."""
        data = self._data()
        data["unchecked"] = sorted(str(ieee) for ieee in self.unchecked)
        return data
