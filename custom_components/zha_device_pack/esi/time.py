"""The ESI's Time server: hand Home Assistant's time zone to the Time server quirk.

The quirk (``quirks/esi_time.py``) answers the Smart Energy clients' reads of the Time
attributes; it imports nothing of Home Assistant, so the zone the user set (not the
process' zone) is handed over here: when the ESI family starts, and on every
``EVENT_CORE_CONFIG_UPDATE`` (the user changed the zone). A client reads the time again when
it resynchronises; nothing is pushed to it.
"""

from __future__ import annotations

from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from ..quirks import esi_time


class TimeZoneFeed:
    """Keeps the Time server quirk on Home Assistant's time zone."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Not started yet: the quirk has no zone."""
        self.hass = hass
        self._unsub: CALLBACK_TYPE | None = None

    @callback
    def start(self) -> None:
        """Hand over HA's zone now and whenever the core configuration changes."""
        self._update()
        if self._unsub is None:
            self._unsub = self.hass.bus.async_listen(
                EVENT_CORE_CONFIG_UPDATE, self._config_updated
            )

    @callback
    def stop(self) -> None:
        """Stop following HA's zone; the Time server falls back to UTC."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        esi_time.set_time_zone(None)

    @callback
    def _config_updated(self, event: Event) -> None:
        self._update()

    def _update(self) -> None:
        esi_time.set_time_zone(dt_util.get_default_time_zone())

    def summary(self) -> dict[str, str | None]:
        """Return the zone the Time server uses."""
        zone = esi_time.time_zone()
        return {"time_zone": None if zone is None else str(zone)}
