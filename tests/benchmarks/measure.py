"""What the benchmarks measure: unavailability of entities and event-loop stalls."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from contextlib import suppress
import time

from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant

TICK = 0.005


class Unavailability:
    """Total time some entities spent unavailable while recording (summed over entities)."""

    def __init__(self, hass: HomeAssistant, entity_ids: Iterable[str]) -> None:
        self.entity_ids = set(entity_ids)
        self.total = 0.0
        self._since: dict[str, float] = {}
        self._unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, self._record)

    def _record(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        if entity_id not in self.entity_ids:
            return
        new = event.data["new_state"]
        now = time.monotonic()
        if new is not None and new.state == STATE_UNAVAILABLE:
            self._since.setdefault(entity_id, now)
        elif (since := self._since.pop(entity_id, None)) is not None:
            self.total += now - since

    def close(self) -> float:
        self._unsub()
        now = time.monotonic()
        return self.total + sum(now - since for since in self._since.values())


class StallMeter:
    """The longest time the event loop kept a ticker task from running (lateness)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(TICK)
            self.longest = max(self.longest, time.monotonic() - before - TICK)

    async def close(self) -> float:
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task
        return self.longest
