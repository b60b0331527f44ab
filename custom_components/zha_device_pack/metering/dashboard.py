"""The "Metering" dashboard: one storage-mode Lovelace dashboard made of HA's built-in cards.

Layout (deterministic: meters sorted by name, then IEEE; only entities that are in the entity
registry and not disabled): one ``sections`` view per meter, titled with the device name, path
``meter-<ieee hex>``; its sections, each present only when it has something to show:

- the meter: a heading (device name, meter-type icon), a "Readings" entities card (summations,
  demand, today's and yesterday's consumption) and a "Status" entities card (the Status bit
  binary sensors and our history-import sensors);
- "Summations" (delivered, received), "Tiers delivered" and "Tiers received": statistics-graph
  bar charts of the change per hour (2 days), per day (30 days) and per month (12 months);
- "Demand": statistics-graph lines of mean, min and max per 5 minutes (1 day) and per hour
  (7 days).

A graph shows only statistics the recorder has rows of, in the table its period reads
(5 minutes: short-term, the others: hourly), and is left out when it has none: a card of
statistics that do not exist shows nothing but "No statistics found". Summations have rows
once their history is imported; tiers and demand (no load profile has them) once the
recorder compiles the live sensors, the short-term rows 5 minutes after pairing and the
hourly ones at the end of the hour. So the graphs appear as their statistics do: after every
compile (``EVENT_RECORDER_5MIN_STATISTICS_GENERATED``) and every history import, the
dashboards the action made are rebuilt when statistics of their graphs appeared, with the
same ownership rules as the action's, except that a deleted one is not made again.

Ownership: the Store ``zha_device_pack.metering_dashboard`` remembers, per url_path, the
collection id of the dashboard this action created and a hash of the config it last saved.
A dashboard at the url_path that is not that one (a user's) is never touched: translated
error, nothing changed. Ours is saved again only when the new config differs (a second call
saves nothing); ours whose config changed since our last save (edited, or deleted and made
again by the user under the same id) is left alone too: the user's edits win, a translated
error says to delete it to have it made again. Ours deleted is created again.
Every Lovelace access goes through ``lovelace_bridge`` (the frontend's WebSocket commands).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Set as AbstractSet
from dataclasses import dataclass, field
import hashlib
import json
import logging
import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.recorder.statistics import (
    get_last_short_term_statistics,
    get_last_statistics,
    get_metadata,
)
from homeassistant.components.recorder.tasks import SynchronizeTask
from homeassistant.const import EVENT_RECORDER_5MIN_STATISTICS_GENERATED
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey
import voluptuous as vol
from zigpy.types import EUI64

from .. import lovelace_bridge, zha_bridge
from ..const import DOMAIN
from ..errors import device_error, validation_error
from ..protocol import metering
from ..protocol.metering import MeteringDeviceType as Type
from ..quirks.smart_energy import SmartEnergyMetering

if TYPE_CHECKING:
    from .family import MeteringFamily

_LOGGER = logging.getLogger(__name__)

SERVICE_DASHBOARD: Final = "create_metering_dashboard"
ATTR_URL_PATH: Final = "url_path"
DEFAULT_URL_PATH: Final = "metering"
DASHBOARD_TITLE: Final = "Metering"
DASHBOARD_ICON: Final = "mdi:meter-electric"
STORAGE_KEY: Final = f"{DOMAIN}.metering_dashboard"
STORAGE_VERSION: Final = 1
_DATA: Final[HassKey[DashboardStore]] = HassKey(f"{DOMAIN}.metering_dashboard")
# Lovelace's own rule for a dashboard url_path (a slug); one word needs allow_single_word.
_URL_PATH: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _url_path(value: Any) -> str:
    text = cv.string(value)
    if not _URL_PATH.match(text):
        raise vol.Invalid(f"invalid url_path {text!r}: lowercase letters, digits, -")
    return text


SCHEMA: Final = vol.Schema(
    {vol.Optional(ATTR_URL_PATH, default=DEFAULT_URL_PATH): _url_path}
)

# Entity unique-id keys of the quirk (quirks/smart_energy.py), in card order.
READING_KEYS: Final = (
    "summation_delivered",
    "summation_received",
    "instantaneous_demand",
    "today_delivered",
    "yesterday_delivered",
)
SUMMATION_KEYS: Final = ("summation_delivered", "summation_received")
TIERS: Final = range(1, 16)
DEMAND_KEY: Final = "instantaneous_demand"
# Our own diagnostic sensors of a meter's history import (platform zha_device_pack).
IMPORT_SUFFIXES: Final = ("history_import", "last_history_import")

#: The statistics-graph period read from the recorder's short-term table; every other
#: period is read from (or summed up from) its hourly table.
SHORT_TERM: Final = "5minute"
HOURLY: Final = "hour"
#: How long a check waits for the recorder to run what is queued before it (then reads what
#: is committed).
SETTLE_TIMEOUT: Final = 30.0

type Statistic = tuple[str, str]
"""A statistic's rows in one of the recorder's tables: (SHORT_TERM | HOURLY, statistic_id)."""


@dataclass(frozen=True, slots=True)
class GraphKind:
    """The statistics-graph cards of a section: one per period (period, days shown, title)."""

    chart_type: str
    stat_types: tuple[str, ...]
    periods: tuple[tuple[str, int, str], ...]


_CHANGE: Final = GraphKind(
    "bar",
    ("change",),
    (
        ("hour", 2, "Per hour, last 2 days"),
        ("day", 30, "Per day, last 30 days"),
        ("month", 365, "Per month, last 12 months"),
    ),
)
_DEMAND: Final = GraphKind(
    "line",
    ("mean", "min", "max"),
    (
        (SHORT_TERM, 1, "Every 5 minutes, last 24 hours"),
        ("hour", 7, "Per hour, last 7 days"),
    ),
)


def _table(period: str) -> str:
    return SHORT_TERM if period == SHORT_TERM else HOURLY


_ICONS: Final[dict[Type, str]] = {
    Type.GAS: "mdi:meter-gas",
    Type.WATER: "mdi:water",
    Type.THERMAL: "mdi:heat-wave",
    Type.HEAT: "mdi:heat-wave",
    Type.COOLING: "mdi:snowflake",
    Type.PRESSURE: "mdi:gauge",
    Type.PV_GENERATION: "mdi:solar-power",
    Type.WIND_TURBINE_GENERATION: "mdi:wind-turbine",
    Type.WATER_TURBINE_GENERATION: "mdi:hydro-power",
    Type.MICRO_GENERATION: "mdi:solar-power",
    Type.SOLAR_HOT_WATER_GENERATION: "mdi:solar-power",
    Type.EV_CHARGING: "mdi:ev-station",
}


@dataclass(frozen=True, slots=True)
class MeterEntities:
    """The registered, enabled entity ids of one meter, by role."""

    ieee: EUI64
    name: str
    icon: str
    readings: list[str] = field(default_factory=list)
    summations: list[str] = field(default_factory=list)
    tiers_delivered: list[str] = field(default_factory=list)
    tiers_received: list[str] = field(default_factory=list)
    demand: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Return True when the meter has no entity to show."""
        return not (self.readings or self.status)

    @property
    def graphs(self) -> tuple[tuple[str, list[str], GraphKind], ...]:
        """Return the graph sections: (heading, entity ids, kind), in view order."""
        return (
            ("Summations", self.summations, _CHANGE),
            ("Tiers delivered", self.tiers_delivered, _CHANGE),
            ("Tiers received", self.tiers_received, _CHANGE),
            ("Demand", self.demand, _DEMAND),
        )


def _meter_icon(cluster: SmartEnergyMetering) -> str:
    raw = cluster.get("metering_device_type")
    meter_type = None if raw is None else metering.base_device_type(int(raw))
    if meter_type is None:
        return DASHBOARD_ICON
    return _ICONS.get(meter_type, DASHBOARD_ICON)


def _status_flags(cluster: SmartEnergyMetering) -> list[str]:
    """Return every Status flag name: the meter's layout in bit order, then the others."""
    raw = cluster.get("metering_device_type")
    layout = () if raw is None else metering.status_flag_names(int(raw))
    return [*layout, *sorted(metering.all_status_flag_names() - set(layout))]


def meter_entities(
    hass: HomeAssistant, ieee: EUI64, cluster: SmartEnergyMetering
) -> MeterEntities:
    """Return the meter's entities that are registered and enabled."""
    registry = er.async_get(hass)

    def lookup(domain: str, platform: str, unique_ids: Iterable[str]) -> list[str]:
        found = []
        for unique_id in unique_ids:
            entity_id = registry.async_get_entity_id(domain, platform, unique_id)
            entry = None if entity_id is None else registry.async_get(entity_id)
            if entry is not None and entry.disabled_by is None:
                found.append(entry.entity_id)
        return found

    prefix = f"{ieee}-{cluster.endpoint.endpoint_id}-"

    def zha(keys: Iterable[str], domain: str = "sensor") -> list[str]:
        return lookup(domain, "zha", (prefix + key for key in keys))

    device = zha_bridge.zha_device_entry(hass, ieee)
    name = (device.name_by_user or device.name) if device is not None else None
    return MeterEntities(
        ieee=ieee,
        name=name or str(ieee),
        icon=_meter_icon(cluster),
        readings=zha(READING_KEYS),
        summations=zha(SUMMATION_KEYS),
        tiers_delivered=zha(f"tier{tier}_summation_delivered" for tier in TIERS),
        tiers_received=zha(f"tier{tier}_summation_received" for tier in TIERS),
        demand=zha((DEMAND_KEY,)),
        status=[
            *zha(
                (f"status_{flag}" for flag in _status_flags(cluster)), "binary_sensor"
            ),
            *lookup("sensor", DOMAIN, (f"{ieee}-{key}" for key in IMPORT_SUFFIXES)),
        ],
    )


# --- config ------------------------------------------------------------------------------------


def _heading(
    text: str, icon: str | None = None, *, title: bool = False
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "heading",
        "heading": text,
        "heading_style": "title" if title else "subtitle",
    }
    if icon is not None:
        card["icon"] = icon
    return card


def _entities(title: str, entity_ids: list[str]) -> dict[str, Any]:
    return {
        "type": "entities",
        "title": title,
        "state_color": True,
        "entities": list(entity_ids),
    }


def _graphs(
    kind: GraphKind, entity_ids: list[str], recorded: AbstractSet[Statistic]
) -> list[dict[str, Any]]:
    """Return the cards of ``kind`` that have a statistic, each with those it has."""
    cards = []
    for period, days, title in kind.periods:
        shown = [
            entity_id
            for entity_id in entity_ids
            if (_table(period), entity_id) in recorded
        ]
        if shown:
            cards.append(
                {
                    "type": "statistics-graph",
                    "title": title,
                    "entities": shown,
                    "chart_type": kind.chart_type,
                    "stat_types": list(kind.stat_types),
                    "period": period,
                    "days_to_show": days,
                }
            )
    return cards


def _section(cards: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "grid", "cards": cards}


def meter_view(
    meter: MeterEntities, recorded: AbstractSet[Statistic]
) -> dict[str, Any]:
    """Return the ``sections`` view of one meter, graphs of the ``recorded`` statistics."""
    overview = [_heading(meter.name, meter.icon, title=True)]
    if meter.readings:
        overview.append(_entities("Readings", meter.readings))
    if meter.status:
        overview.append(_entities("Status", meter.status))
    sections = [_section(overview)]
    for heading, entity_ids, kind in meter.graphs:
        if graphs := _graphs(kind, entity_ids, recorded):
            sections.append(_section([_heading(heading), *graphs]))
    return {
        "type": "sections",
        "title": meter.name,
        "path": f"meter-{str(meter.ieee).replace(':', '')}",
        "max_columns": 4,
        "sections": sections,
    }


def dashboard_config(
    meters: Iterable[MeterEntities], recorded: AbstractSet[Statistic]
) -> dict[str, Any]:
    """Return the dashboard config of ``meters``, sorted by name then IEEE."""
    ordered = sorted(meters, key=lambda meter: (meter.name.casefold(), str(meter.ieee)))
    return {
        "title": DASHBOARD_TITLE,
        "views": [meter_view(meter, recorded) for meter in ordered],
    }


def _fingerprint(config: Mapping[str, Any]) -> str:
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _card_count(config: Mapping[str, Any]) -> int:
    return sum(
        len(section["cards"])
        for view in config["views"]
        for section in view["sections"]
    )


# --- the recorder's statistics -----------------------------------------------------------------


def wanted_statistics(meters: Iterable[MeterEntities]) -> frozenset[Statistic]:
    """Return every statistic the meters' graphs would show if the recorder had them all."""
    return frozenset(
        (_table(period), entity_id)
        for meter in meters
        for _heading_text, entity_ids, kind in meter.graphs
        for period, _days, _title in kind.periods
        for entity_id in entity_ids
    )


async def _async_recorder_settled(hass: HomeAssistant) -> None:
    """Wait until the recorder ran every task queued so far.

    Statistics imported a moment ago are still queued, and the recorder fires its compile
    events before it commits the compiled rows: a task queued now runs after both, as the
    one ``Recorder.async_block_till_done`` queues (which skips it when the queue looks
    empty, as it does while the recorder runs its last task).
    """
    future: asyncio.Future[None] = hass.loop.create_future()
    get_instance(hass).queue_task(SynchronizeTask(future))
    try:
        async with asyncio.timeout(SETTLE_TIMEOUT):
            await future
    except TimeoutError:
        _LOGGER.debug("recorder busy: statistics read as committed so far")


def _recorded(hass: HomeAssistant, wanted: frozenset[Statistic]) -> set[Statistic]:
    """Return the statistics of ``wanted`` that have a row (in the recorder's executor)."""
    with_metadata = get_metadata(
        hass, statistic_ids={statistic_id for _table_name, statistic_id in wanted}
    )
    readers = {
        SHORT_TERM: get_last_short_term_statistics,
        HOURLY: get_last_statistics,
    }
    return {
        (table, statistic_id)
        for table, statistic_id in wanted
        if statistic_id in with_metadata
        and readers[table](hass, 1, statistic_id, False, set())
    }


async def async_recorded_statistics(
    hass: HomeAssistant, wanted: frozenset[Statistic]
) -> set[Statistic]:
    """Return the statistics of ``wanted`` the recorder has rows of, once it settled."""
    if not wanted:
        return set()
    await _async_recorder_settled(hass)
    return await get_instance(hass).async_add_executor_job(_recorded, hass, wanted)


# --- ownership and the action ------------------------------------------------------------------


class DashboardStore:
    """Which dashboards this action made (by url_path), serialized by one lock."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the store; loaded on first use."""
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self.lock = asyncio.Lock()
        self._data: dict[str, dict[str, Any]] | None = None
        #: The graphs' statistics the recorder was seen to have rows of.
        self.recorded: set[Statistic] = set()

    async def _loaded(self) -> dict[str, dict[str, Any]]:
        if self._data is None:
            stored = await self._store.async_load() or {}
            self._data = dict(stored.get("dashboards", {}))
        return self._data

    async def async_get(self, url_path: str) -> dict[str, Any] | None:
        """Return what is remembered of the dashboard at ``url_path``."""
        entry = (await self._loaded()).get(url_path)
        return None if entry is None else dict(entry)

    async def async_saved(self) -> dict[str, dict[str, Any]]:
        """Return what is remembered of the dashboards whose config was saved, by url_path."""
        return {
            url_path: dict(entry)
            for url_path, entry in (await self._loaded()).items()
            if entry.get("config_hash") is not None
        }

    async def async_set(
        self, url_path: str, dashboard_id: str, fingerprint: str | None
    ) -> None:
        """Remember ``dashboard_id`` at ``url_path`` and the hash of its saved config."""
        data = await self._loaded()
        data[url_path] = {"id": dashboard_id, "config_hash": fingerprint}
        await self._store.async_save({"dashboards": data})


def _dashboard_store(hass: HomeAssistant) -> DashboardStore:
    if (store := hass.data.get(_DATA)) is None:
        store = hass.data[_DATA] = DashboardStore(hass)
    return store


def _meters(family: MeteringFamily) -> list[MeterEntities]:
    return [
        meter
        for ieee, cluster in family.meters.items()
        if not (meter := meter_entities(family.hass, ieee, cluster)).empty
    ]


async def async_create_dashboard(
    family: MeteringFamily, call: ServiceCall
) -> ServiceResponse:
    """Create or update the Metering dashboard; return what was done."""
    hass = family.hass
    url_path: str = call.data[ATTR_URL_PATH]
    meters = _meters(family)
    if not meters:
        raise validation_error("metering_no_meters")
    if missing := lovelace_bridge.missing_commands(hass):
        raise device_error("metering_dashboard_unavailable", missing=", ".join(missing))
    store = _dashboard_store(hass)
    async with store.lock:
        try:
            user = await lovelace_bridge.async_admin_user(hass, call.context.user_id)
        except lovelace_bridge.NoAdminUserError as err:
            raise device_error("metering_dashboard_no_admin") from err
        store.recorded = await async_recorded_statistics(
            hass, wanted_statistics(meters)
        )
        config = dashboard_config(meters, store.recorded)
        fingerprint = _fingerprint(config)
        response: dict[str, Any] = {
            "url_path": url_path,
            "created": False,
            "updated": False,
            "unchanged": False,
            "meters": len(meters),
            "cards": _card_count(config),
        }
        bridge = lovelace_bridge.LovelaceBridge(hass, user)
        try:
            response |= await _apply(bridge, store, url_path, config, fingerprint)
        except lovelace_bridge.LovelaceCommandError as err:
            if err.error_translation_key == "url_already_exists":
                raise validation_error(
                    "metering_dashboard_url_taken", url_path=url_path
                ) from err
            raise device_error(
                "metering_dashboard_failed", error=err.error_message or err.code
            ) from err
    return response


async def _apply(
    bridge: lovelace_bridge.LovelaceBridge,
    store: DashboardStore,
    url_path: str,
    config: dict[str, Any],
    fingerprint: str,
) -> dict[str, Any]:
    ours = await store.async_get(url_path)
    dashboards = await bridge.dashboards()
    at_path = [item for item in dashboards if item.get("url_path") == url_path]
    if ours is not None and any(item.get("id") == ours["id"] for item in at_path):
        return await _update(
            bridge, store, url_path, ours, config=config, fingerprint=fingerprint
        )
    if at_path or lovelace_bridge.panel_exists(bridge.hass, url_path):
        raise validation_error("metering_dashboard_url_taken", url_path=url_path)
    item = await bridge.create_dashboard(
        url_path=url_path,
        title=DASHBOARD_TITLE,
        icon=DASHBOARD_ICON,
        show_in_sidebar=True,
        require_admin=False,
        # Lovelace wants a hyphen in a url_path unless told a single word is meant
        **({} if "-" in url_path else {"allow_single_word": True}),
    )
    dashboard_id = str(item["id"])
    # remembered before the config is saved: a failed save leaves ours without a config
    await store.async_set(url_path, dashboard_id, None)
    await bridge.save_config(url_path, config)
    await store.async_set(url_path, dashboard_id, fingerprint)
    return {"dashboard_id": dashboard_id, "created": True}


async def _update(
    bridge: lovelace_bridge.LovelaceBridge,
    store: DashboardStore,
    url_path: str,
    ours: Mapping[str, Any],
    *,
    config: dict[str, Any],
    fingerprint: str,
) -> dict[str, Any]:
    dashboard_id = str(ours["id"])
    current = await bridge.config(url_path)
    current_hash = None if current is None else _fingerprint(current)
    if current_hash == fingerprint:
        if ours.get("config_hash") != fingerprint:
            await store.async_set(url_path, dashboard_id, fingerprint)
        return {"dashboard_id": dashboard_id, "unchanged": True}
    # not what we saved last (None: created, never saved): someone else's config now
    if current_hash != ours.get("config_hash"):
        raise validation_error("metering_dashboard_edited", url_path=url_path)
    await bridge.save_config(url_path, config)
    await store.async_set(url_path, dashboard_id, fingerprint)
    return {"dashboard_id": dashboard_id, "updated": True}


# --- following the statistics ------------------------------------------------------------------


async def async_show_new_statistics(family: MeteringFamily) -> None:
    """Rebuild the dashboards the action made when statistics of their graphs appeared.

    Only statistics not seen yet are looked up (none once every graph is there). A dashboard
    the user edited (or made again) is left alone, and one the user deleted is made again
    only by the action.
    """
    hass = family.hass
    store = _dashboard_store(hass)
    async with store.lock:
        ours = await store.async_saved()
        if not ours or lovelace_bridge.missing_commands(hass):
            return
        meters = _meters(family)
        unseen = wanted_statistics(meters) - store.recorded
        if not (found := await async_recorded_statistics(hass, unseen)):
            return
        store.recorded |= found
        config = dashboard_config(meters, store.recorded)
        fingerprint = _fingerprint(config)
        try:
            user = await lovelace_bridge.async_admin_user(hass, None)
            bridge = lovelace_bridge.LovelaceBridge(hass, user)
            dashboards = await bridge.dashboards()
            present = {(item.get("url_path"), item.get("id")) for item in dashboards}
            for url_path, entry in ours.items():
                if (
                    entry["config_hash"] == fingerprint
                    or (url_path, entry["id"]) not in present
                ):
                    continue
                await _update_unless_edited(
                    bridge,
                    store,
                    url_path,
                    entry,
                    config=config,
                    fingerprint=fingerprint,
                )
        except lovelace_bridge.NoAdminUserError:
            _LOGGER.debug("no administrator: the metering dashboards are not rebuilt")
        except lovelace_bridge.LovelaceCommandError as err:
            _LOGGER.warning("Metering dashboard not rebuilt: %s", err)


async def _update_unless_edited(
    bridge: lovelace_bridge.LovelaceBridge,
    store: DashboardStore,
    url_path: str,
    ours: Mapping[str, Any],
    *,
    config: dict[str, Any],
    fingerprint: str,
) -> None:
    try:
        await _update(
            bridge, store, url_path, ours, config=config, fingerprint=fingerprint
        )
    except ServiceValidationError as err:
        if err.translation_key != "metering_dashboard_edited":
            raise
        _LOGGER.debug("dashboard %s edited by the user: new graphs not added", url_path)


@callback
def async_follow_statistics(family: MeteringFamily) -> CALLBACK_TYPE:
    """Show new statistics on our dashboards after each of the recorder's compiles.

    Every compile fires the 5-minute event, the hourly one included (its event follows in
    the same run), so one listener sees every new row.
    """

    @callback
    def compiled(_event: Event) -> None:
        family.entry.async_create_task(
            family.hass,
            async_show_new_statistics(family),
            "zha_device_pack metering dashboard statistics",
        )

    return family.hass.bus.async_listen(
        EVENT_RECORDER_5MIN_STATISTICS_GENERATED, compiled
    )
