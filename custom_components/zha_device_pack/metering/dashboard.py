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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
import hashlib
import json
import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse
from homeassistant.helpers import config_validation as cv, entity_registry as er
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

# statistics-graph periods of the summation charts: (period, days shown, title)
_CHANGE_PERIODS: Final = (
    ("hour", 2, "Per hour, last 2 days"),
    ("day", 30, "Per day, last 30 days"),
    ("month", 365, "Per month, last 12 months"),
)
_DEMAND_PERIODS: Final = (
    ("5minute", 1, "Every 5 minutes, last 24 hours"),
    ("hour", 7, "Per hour, last 7 days"),
)
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


def _change_graphs(entity_ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "type": "statistics-graph",
            "title": title,
            "entities": list(entity_ids),
            "chart_type": "bar",
            "stat_types": ["change"],
            "period": period,
            "days_to_show": days,
        }
        for period, days, title in _CHANGE_PERIODS
    ]


def _demand_graphs(entity_ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "type": "statistics-graph",
            "title": title,
            "entities": list(entity_ids),
            "chart_type": "line",
            "stat_types": ["mean", "min", "max"],
            "period": period,
            "days_to_show": days,
        }
        for period, days, title in _DEMAND_PERIODS
    ]


def _section(cards: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "grid", "cards": cards}


def meter_view(meter: MeterEntities) -> dict[str, Any]:
    """Return the ``sections`` view of one meter."""
    overview = [_heading(meter.name, meter.icon, title=True)]
    if meter.readings:
        overview.append(_entities("Readings", meter.readings))
    if meter.status:
        overview.append(_entities("Status", meter.status))
    sections = [_section(overview)]
    for heading, entity_ids, graphs in (
        ("Summations", meter.summations, _change_graphs),
        ("Tiers delivered", meter.tiers_delivered, _change_graphs),
        ("Tiers received", meter.tiers_received, _change_graphs),
        ("Demand", meter.demand, _demand_graphs),
    ):
        if entity_ids:
            sections.append(_section([_heading(heading), *graphs(entity_ids)]))
    return {
        "type": "sections",
        "title": meter.name,
        "path": f"meter-{str(meter.ieee).replace(':', '')}",
        "max_columns": 4,
        "sections": sections,
    }


def dashboard_config(meters: Iterable[MeterEntities]) -> dict[str, Any]:
    """Return the dashboard config of ``meters``, sorted by name then IEEE."""
    ordered = sorted(meters, key=lambda meter: (meter.name.casefold(), str(meter.ieee)))
    return {"title": DASHBOARD_TITLE, "views": [meter_view(m) for m in ordered]}


def _fingerprint(config: Mapping[str, Any]) -> str:
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _card_count(config: Mapping[str, Any]) -> int:
    return sum(
        len(section["cards"])
        for view in config["views"]
        for section in view["sections"]
    )


# --- ownership and the action ------------------------------------------------------------------


class DashboardStore:
    """Which dashboards this action made (by url_path), serialized by one lock."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the store; loaded on first use."""
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self.lock = asyncio.Lock()
        self._data: dict[str, dict[str, Any]] | None = None

    async def _loaded(self) -> dict[str, dict[str, Any]]:
        if self._data is None:
            stored = await self._store.async_load() or {}
            self._data = dict(stored.get("dashboards", {}))
        return self._data

    async def async_get(self, url_path: str) -> dict[str, Any] | None:
        """Return what is remembered of the dashboard at ``url_path``."""
        entry = (await self._loaded()).get(url_path)
        return None if entry is None else dict(entry)

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


async def async_create_dashboard(
    family: MeteringFamily, call: ServiceCall
) -> ServiceResponse:
    """Create or update the Metering dashboard; return what was done."""
    hass = family.hass
    url_path: str = call.data[ATTR_URL_PATH]
    meters = [
        meter
        for ieee, cluster in family.meters.items()
        if not (meter := meter_entities(hass, ieee, cluster)).empty
    ]
    if not meters:
        raise validation_error("metering_no_meters")
    if missing := lovelace_bridge.missing_commands(hass):
        raise device_error("metering_dashboard_unavailable", missing=", ".join(missing))
    config = dashboard_config(meters)
    fingerprint = _fingerprint(config)
    response: dict[str, Any] = {
        "url_path": url_path,
        "created": False,
        "updated": False,
        "unchanged": False,
        "meters": len(meters),
        "cards": _card_count(config),
    }
    store = _dashboard_store(hass)
    async with store.lock:
        try:
            user = await lovelace_bridge.async_admin_user(hass, call.context.user_id)
        except lovelace_bridge.NoAdminUserError as err:
            raise device_error("metering_dashboard_no_admin") from err
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
