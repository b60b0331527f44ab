"""E2E: ``create_metering_dashboard`` makes a Lovelace dashboard of the meters.

Read back as the frontend reads it: WebSocket ``lovelace/dashboards/list`` and
``lovelace/config``. With a real recorder (in memory): the graphs follow the statistics
that exist, from the history import and from the recorder's own compiles.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.tasks import StatisticsTask
from homeassistant.const import EVENT_LOVELACE_UPDATED
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.zha_device_pack import zha_bridge
from custom_components.zha_device_pack.const import DOMAIN
from tests.conftest import ZigbeeHarness
from tests.metering.conftest import meter_entity
from tests.simulator import SimDevice
from tests.simulator.models.common import resolve_ieee
from tests.simulator.models.se_meters import meter, se_electricity_meter, se_gas_meter

SERVICE = "create_metering_dashboard"
URL = "metering"
ELECTRIC_IEEE = "00:0d:6f:00:0a:00:0d:01"
GAS_IEEE = "00:0d:6f:00:0a:00:0d:02"
MORE_IEEE = "00:0d:6f:00:0a:00:0d:03"
TIERS = range(1, 5)


class Frontend:
    """A WebSocket client of the admin user, sending what the frontend sends."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def send(self, **msg: Any) -> dict[str, Any]:
        await self.client.send_json_auto_id(msg)
        answer: dict[str, Any] = await self.client.receive_json()
        return answer

    async def result(self, **msg: Any) -> Any:
        answer = await self.send(**msg)
        assert answer["success"], answer
        return answer["result"]

    async def dashboards(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.result(
            type="lovelace/dashboards/list"
        )
        return result

    async def config(self, url_path: str | None = URL) -> dict[str, Any]:
        msg: dict[str, Any] = {"type": "lovelace/config"}
        if url_path is not None:
            msg["url_path"] = url_path
        result: dict[str, Any] = await self.result(**msg)
        return result

    async def user_dashboard(
        self, url_path: str, config: dict[str, Any], **fields: Any
    ) -> dict[str, Any]:
        """Create a dashboard and save its config, as a user does in the UI."""
        item: dict[str, Any] = await self.result(
            type="lovelace/dashboards/create",
            url_path=url_path,
            title=f"Mine at {url_path}",
            **fields,
        )
        await self.result(type="lovelace/config/save", url_path=url_path, config=config)
        return item


USER_CONFIG: dict[str, Any] = {
    "title": "My house",
    "views": [
        {
            "title": "Home",
            "cards": [{"type": "markdown", "content": "Hand-written ✓"}],
        }
    ],
}


@pytest.fixture
async def lovelace(hass: HomeAssistant) -> None:
    """Lovelace in storage mode, as the frontend loads it."""
    assert await async_setup_component(hass, "lovelace", {})
    await hass.async_block_till_done()


@pytest.fixture
async def frontend(
    hass: HomeAssistant, lovelace: None, hass_ws_client: Any
) -> Frontend:
    """The admin user's WebSocket connection."""
    return Frontend(await hass_ws_client(hass))


async def create(
    hass: HomeAssistant, user: MockUser | None, **data: Any
) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        SERVICE,
        data,
        blocking=True,
        return_response=True,
        context=Context(user_id=None if user is None else user.id),
    )
    assert isinstance(response, dict)
    return response


def entity(hass: HomeAssistant, device: SimDevice, key: str, domain: str) -> str:
    entity_id = meter_entity(hass, device, key, domain)
    assert entity_id is not None, key
    return entity_id


def status_entities(hass: HomeAssistant, device: SimDevice) -> set[str]:
    """Every enabled Status binary sensor ZHA registered for the meter."""
    return {
        entry.entity_id
        for entry in er.async_get(hass).entities.values()
        if entry.platform == "zha"
        and entry.unique_id.startswith(f"{device.ieee}-1-status_")
        and entry.disabled_by is None
    }


def import_sensors(hass: HomeAssistant, device: SimDevice) -> list[str]:
    """Our history-import sensors of the meter that are registered."""
    registry = er.async_get(hass)
    return [
        entity_id
        for suffix in ("history_import", "last_history_import")
        if (
            entity_id := registry.async_get_entity_id(
                "sensor", DOMAIN, f"{device.ieee}-{suffix}"
            )
        )
        is not None
    ]


def register_import_sensors(
    hass: HomeAssistant, device: SimDevice, entry: MockConfigEntry
) -> list[str]:
    """Register the meter's two history-import sensors (as our sensor platform does)."""
    registry = er.async_get(hass)
    device_entry = zha_bridge.zha_device_entry(hass, device.ieee)
    return [
        registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{device.ieee}-{suffix}",
            config_entry=entry,
            device_id=None if device_entry is None else device_entry.id,
            suggested_object_id=f"meter_{suffix}",
        ).entity_id
        for suffix in ("history_import", "last_history_import")
    ]


def sections(view: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Return a view's sections by heading (the meter's own: "meter"), without headings."""
    found: dict[str, list[dict[str, Any]]] = {}
    for index, section in enumerate(view["sections"]):
        heading, *cards = section["cards"]
        assert heading["type"] == "heading"
        found["meter" if index == 0 else heading["heading"]] = cards
    return found


def graph_entities(cards: list[dict[str, Any]]) -> list[str]:
    """The entities of a section's statistics graphs (all alike), checked to be alike."""
    assert all(card["type"] == "statistics-graph" for card in cards)
    entities = cards[0]["entities"]
    assert all(card["entities"] == entities for card in cards)
    result: list[str] = entities
    return result


def graphs(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        card
        for view in config["views"]
        for section in view["sections"]
        for card in section["cards"]
        if card["type"] == "statistics-graph"
    ]


def next_hour(minute: int) -> datetime:
    """The next hour's 5-minute period starting at ``minute``."""
    now = dt_util.utcnow()
    return now.replace(minute=minute, second=0, microsecond=0) + timedelta(hours=1)


async def compile_statistics(hass: HomeAssistant, start: datetime) -> None:
    """Let the recorder compile the 5-minute period ``start`` as it does every 5 minutes.

    With its events (fired before it commits), and the hour's statistics when ``start`` is
    hh:55. A period ahead of the sensors' last states: they count as the periods' states.
    """
    get_instance(hass).queue_task(StatisticsTask(start, True))
    await async_wait_recording_done(hass)
    await hass.async_block_till_done()


def all_entities(config: dict[str, Any]) -> set[str]:
    return {
        entity_id
        for view in config["views"]
        for section in view["sections"]
        for card in section["cards"]
        for entity_id in card.get("entities", ())
    }


async def test_dashboard_shows_every_meter(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    frontend: Frontend,
    hass_admin_user: MockUser,
) -> None:
    """Per meter: readings, status and import, summation and tier bars, demand lines.

    Each graph once its statistics exist: the summations' with their imported history, the
    others' once the recorder compiled the live sensors (5 minutes, then hourly).
    """
    electric = se_electricity_meter(
        resolve_ieee(ELECTRIC_IEEE), wall_clock=dt_util.utcnow()
    )
    gas = se_gas_meter(resolve_ieee(GAS_IEEE))
    await zigbee.join(gas)
    await zigbee.join(electric)
    imports = register_import_sensors(hass, electric, pack_setup)
    # a disabled entity is left out
    disabled = entity(hass, gas, "status_tamper_detect", "binary_sensor")
    er.async_get(hass).async_update_entity(
        disabled, disabled_by=er.RegistryEntryDisabler.USER
    )

    def sensor(device: SimDevice, key: str) -> str:
        return entity(hass, device, key, "sensor")

    # freshly paired: no statistics yet, so no graph, only the current values
    response = await create(hass, hass_admin_user)

    assert response == {
        "url_path": URL,
        "dashboard_id": URL,
        "created": True,
        "updated": False,
        "unchanged": False,
        "meters": 2,
        "cards": response["cards"],
    }
    assert await frontend.dashboards() == [
        {
            "id": URL,
            "url_path": URL,
            "title": "Metering",
            "icon": "mdi:meter-electric",
            "show_in_sidebar": True,
            "require_admin": False,
            "mode": "storage",
        }
    ]
    config = await frontend.config()
    assert config["title"] == "Metering"
    assert [list(sections(view)) for view in config["views"]] == [["meter"]] * 2
    assert response["cards"] == 2 * 3  # per meter: heading, readings, status

    # the delivered history imported: its graphs appear, received has no statistics yet
    meter(electric).set_clock(dt_util.utcnow())
    await hass.services.async_call(
        DOMAIN,
        "import_meter_history",
        {"entity_id": sensor(electric, "summation_delivered"), "days": 1},
        blocking=True,
    )
    electric_view, gas_view = (await frontend.config())["views"]
    assert list(sections(gas_view)) == ["meter"]
    parts = sections(electric_view)
    assert list(parts) == ["meter", "Summations"]
    assert graph_entities(parts["Summations"]) == [
        sensor(electric, "summation_delivered")
    ]
    assert len(parts["Summations"]) == 3

    # the recorder's first 5-minute statistics: the 5-minute demand graph, nothing hourly
    await compile_statistics(hass, next_hour(0))
    electric_view, gas_view = (await frontend.config())["views"]
    for view, device in ((electric_view, electric), (gas_view, gas)):
        parts = sections(view)
        assert [card["period"] for card in parts["Demand"]] == ["5minute"]
        assert graph_entities(parts["Demand"]) == [
            sensor(device, "instantaneous_demand")
        ]
    assert list(sections(electric_view)) == ["meter", "Summations", "Demand"]
    assert list(sections(gas_view)) == ["meter", "Demand"]

    # and its first hour: every graph
    await compile_statistics(hass, next_hour(55))
    response = await create(hass, hass_admin_user)
    assert response["unchanged"] is True  # the dashboard is what the action makes
    config = await frontend.config()
    # sorted by device name: SimCo SimElectricityMeter, SimCo SimGasMeter
    electric_view, gas_view = config["views"]
    assert electric_view["title"] == "SimCo SimElectricityMeter"
    assert electric_view["path"] == "meter-000d6f000a000d01"
    assert gas_view["title"] == "SimCo SimGasMeter"
    assert {view["type"] for view in config["views"]} == {"sections"}
    assert response["cards"] == sum(
        len(section["cards"])
        for view in config["views"]
        for section in view["sections"]
    )

    # the electricity meter: import and export, tiers 1-4 both ways, demand, status
    parts = sections(electric_view)
    assert list(parts) == [
        "meter",
        "Summations",
        "Tiers delivered",
        "Tiers received",
        "Demand",
    ]
    readings, status = parts["meter"]
    assert readings["type"] == status["type"] == "entities"
    assert readings["entities"] == [
        sensor(electric, "summation_delivered"),
        sensor(electric, "summation_received"),
        sensor(electric, "instantaneous_demand"),
    ]
    assert len(status["entities"]) == len(set(status["entities"]))
    assert set(status["entities"]) == status_entities(hass, electric) | set(imports)
    assert status["entities"][-2:] == imports
    # bit order of the electricity layout
    assert status["entities"][0] == entity(
        hass, electric, "status_check_meter", "binary_sensor"
    )
    assert graph_entities(parts["Summations"]) == [
        sensor(electric, "summation_delivered"),
        sensor(electric, "summation_received"),
    ]
    for direction in ("delivered", "received"):
        assert graph_entities(parts[f"Tiers {direction}"]) == [
            sensor(electric, f"tier{tier}_summation_{direction}") for tier in TIERS
        ]
    for heading in ("Summations", "Tiers delivered", "Tiers received"):
        assert [
            (
                card["period"],
                card["days_to_show"],
                card["chart_type"],
                card["stat_types"],
            )
            for card in parts[heading]
        ] == [
            ("hour", 2, "bar", ["change"]),
            ("day", 30, "bar", ["change"]),
            ("month", 365, "bar", ["change"]),
        ]
    assert graph_entities(parts["Demand"]) == [sensor(electric, "instantaneous_demand")]
    assert [(card["period"], card["stat_types"]) for card in parts["Demand"]] == [
        ("5minute", ["mean", "min", "max"]),
        ("hour", ["mean", "min", "max"]),
    ]

    # the gas meter: delivered only, no tiers; its disabled status flag is left out
    parts = sections(gas_view)
    assert list(parts) == ["meter", "Summations", "Demand"]
    readings, status = parts["meter"]
    assert readings["entities"] == [
        sensor(gas, "summation_delivered"),
        sensor(gas, "instantaneous_demand"),
    ]
    assert disabled not in status["entities"]
    assert set(status["entities"]) == status_entities(hass, gas) | set(
        import_sensors(hass, gas)
    )
    assert graph_entities(parts["Summations"]) == [sensor(gas, "summation_delivered")]
    assert sections(gas_view)["meter"][0]["entities"]

    # exactly the meters' entities, nothing else
    assert all_entities(config) == (
        {
            entry.entity_id
            for device in (electric, gas)
            for entry in er.async_get(hass).entities.values()
            if entry.platform == "zha"
            and entry.unique_id.startswith(f"{device.ieee}-1-")
            and entry.disabled_by is None
        }
        | set(imports)
        | set(import_sensors(hass, gas))
    )


async def test_second_call_changes_nothing(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    frontend: Frontend,
    hass_admin_user: MockUser,
    hass_storage: dict[str, Any],
) -> None:
    await zigbee.join(se_gas_meter(resolve_ieee(GAS_IEEE)))
    await create(hass, hass_admin_user)
    dashboards = await frontend.dashboards()
    config = await frontend.config()
    stored = json.dumps(hass_storage["lovelace.metering"], sort_keys=True)
    saves: list[Event] = []

    @callback
    def saved(event: Event) -> None:
        saves.append(event)

    hass.bus.async_listen(EVENT_LOVELACE_UPDATED, saved)

    response = await create(hass, hass_admin_user)
    await hass.async_block_till_done()

    assert response["unchanged"] is True
    assert response["created"] is response["updated"] is False
    assert saves == []
    assert await frontend.dashboards() == dashboards
    assert await frontend.config() == config
    assert json.dumps(hass_storage["lovelace.metering"], sort_keys=True) == stored


async def test_a_new_meter_is_added(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    frontend: Frontend,
    hass_admin_user: MockUser,
) -> None:
    gas = se_gas_meter(resolve_ieee(GAS_IEEE))
    await zigbee.join(gas)
    assert (await create(hass, hass_admin_user))["meters"] == 1
    assert [view["title"] for view in (await frontend.config())["views"]] == [
        "SimCo SimGasMeter"
    ]

    electric = se_electricity_meter(resolve_ieee(MORE_IEEE))
    await zigbee.join(electric)
    response = await create(hass, hass_admin_user)

    assert response["updated"] is True
    assert response["created"] is response["unchanged"] is False
    assert response["meters"] == 2
    config = await frontend.config()
    assert [view["title"] for view in config["views"]] == [
        "SimCo SimElectricityMeter",
        "SimCo SimGasMeter",
    ]
    assert entity(hass, electric, "summation_received", "sensor") in (
        all_entities(config)
    )
    assert len(await frontend.dashboards()) == 1

    # a renamed device is renamed on the dashboard too
    device_entry = zha_bridge.zha_device_entry(hass, gas.ieee)
    assert device_entry is not None
    dr.async_get(hass).async_update_device(device_entry.id, name_by_user="Gas")
    assert (await create(hass, hass_admin_user))["updated"] is True
    assert [view["title"] for view in (await frontend.config())["views"]] == [
        "Gas",
        "SimCo SimElectricityMeter",
    ]


async def test_user_dashboards_are_never_touched(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    frontend: Frontend,
    hass_admin_user: MockUser,
    hass_storage: dict[str, Any],
) -> None:
    """The default dashboard and a user's own are byte-identical after our calls."""
    await frontend.user_dashboard("my-energy", USER_CONFIG, icon="mdi:home")
    await frontend.result(type="lovelace/config/save", config=USER_CONFIG)

    async def snapshot() -> tuple[str, ...]:
        return (
            json.dumps(await frontend.config("my-energy")),
            json.dumps(await frontend.config(None)),
            json.dumps(hass_storage["lovelace.my_energy"]),
            json.dumps(hass_storage["lovelace"]),
            json.dumps(
                [d for d in await frontend.dashboards() if d["url_path"] != URL]
            ),
        )

    before = await snapshot()
    await zigbee.join(se_gas_meter(resolve_ieee(GAS_IEEE)))
    assert (await create(hass, hass_admin_user))["created"] is True
    await zigbee.join(se_electricity_meter(resolve_ieee(ELECTRIC_IEEE)))
    assert (await create(hass, hass_admin_user))["updated"] is True
    assert (await create(hass, hass_admin_user))["unchanged"] is True

    assert await snapshot() == before
    assert {d["url_path"] for d in await frontend.dashboards()} == {"my-energy", URL}


async def test_a_deleted_dashboard_is_made_again(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    frontend: Frontend,
    hass_admin_user: MockUser,
) -> None:
    await zigbee.join(se_gas_meter(resolve_ieee(GAS_IEEE)))
    await create(hass, hass_admin_user)
    config = await frontend.config()
    await frontend.result(type="lovelace/dashboards/delete", dashboard_id=URL)
    assert await frontend.dashboards() == []

    response = await create(hass, hass_admin_user)

    assert response["created"] is True
    assert [d["url_path"] for d in await frontend.dashboards()] == [URL]
    assert await frontend.config() == config


async def test_url_path_of_a_user_dashboard_is_refused(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    frontend: Frontend,
    hass_admin_user: MockUser,
    hass_storage: dict[str, Any],
) -> None:
    """A dashboard (or panel) of that url_path that is not ours: error, nothing changed."""
    await zigbee.join(se_gas_meter(resolve_ieee(GAS_IEEE)))
    await frontend.user_dashboard(URL, USER_CONFIG, allow_single_word=True)
    dashboards = await frontend.dashboards()
    stored = json.dumps(hass_storage["lovelace.metering"])

    with pytest.raises(ServiceValidationError) as err:
        await create(hass, hass_admin_user)

    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "metering_dashboard_url_taken"
    assert err.value.translation_placeholders == {"url_path": URL}
    assert await frontend.dashboards() == dashboards
    assert await frontend.config() == USER_CONFIG
    assert json.dumps(hass_storage["lovelace.metering"]) == stored
    assert f"{DOMAIN}.metering_dashboard" not in hass_storage

    # a panel that is no dashboard (Lovelace's own default panel) is refused the same way
    with pytest.raises(ServiceValidationError) as err:
        await create(hass, hass_admin_user, url_path="lovelace")
    assert err.value.translation_key == "metering_dashboard_url_taken"
    assert await frontend.dashboards() == dashboards

    # another url_path is free; a hyphenated one needs no single-word permission
    response = await create(hass, hass_admin_user, url_path="zigbee-meters")
    assert response["created"] is True
    assert response["url_path"] == "zigbee-meters"
    assert len(await frontend.dashboards()) == 2
    assert (await frontend.config("zigbee-meters"))["title"] == "Metering"


async def test_an_edited_dashboard_is_left_alone(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    frontend: Frontend,
    hass_admin_user: MockUser,
) -> None:
    """Once the user edited ours, their edits win: error, nothing changed.

    New statistics are not added to it either, nor to one the user deleted; ours that the
    user left as it was gets them.
    """
    await zigbee.join(se_gas_meter(resolve_ieee(GAS_IEEE)))
    for url_path in (URL, "meters-kept", "meters-deleted"):
        await create(hass, hass_admin_user, url_path=url_path)
    await frontend.result(
        type="lovelace/dashboards/delete", dashboard_id="meters_deleted"
    )
    edited = await frontend.config()
    assert not graphs(edited)
    edited["views"][0]["title"] = "My gas"
    await frontend.result(type="lovelace/config/save", url_path=URL, config=edited)

    await compile_statistics(hass, next_hour(55))

    assert graphs(await frontend.config("meters-kept"))
    assert await frontend.config() == edited
    assert [d["url_path"] for d in await frontend.dashboards()] == [URL, "meters-kept"]
    with pytest.raises(ServiceValidationError) as err:
        await create(hass, hass_admin_user)

    assert err.value.translation_key == "metering_dashboard_edited"
    assert await frontend.config() == edited


async def test_no_meters(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    frontend: Frontend,
    hass_admin_user: MockUser,
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await create(hass, hass_admin_user)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "metering_no_meters"
    assert await frontend.dashboards() == []


async def test_only_admins(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    frontend: Frontend,
    hass_read_only_user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """A non-admin is refused; a call without a user (automation) runs as an admin."""
    await zigbee.join(se_gas_meter(resolve_ieee(GAS_IEEE)))
    with pytest.raises(Unauthorized):
        await create(hass, hass_read_only_user)
    assert await frontend.dashboards() == []

    response = await create(hass, None)
    assert response["created"] is True
    assert [d["url_path"] for d in await frontend.dashboards()] == [URL]


async def test_no_admin_to_run_as(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    lovelace: None,
) -> None:
    await zigbee.join(se_gas_meter(resolve_ieee(GAS_IEEE)))
    assert not [user for user in await hass.auth.async_get_users() if user.is_admin]
    with pytest.raises(HomeAssistantError) as err:
        await create(hass, None)
    assert err.value.translation_key == "metering_dashboard_no_admin"


async def test_without_lovelace(
    hass: HomeAssistant,
    pack_setup: MockConfigEntry,
    zigbee: ZigbeeHarness,
    hass_admin_user: MockUser,
) -> None:
    await zigbee.join(se_gas_meter(resolve_ieee(GAS_IEEE)))
    with pytest.raises(HomeAssistantError) as err:
        await create(hass, hass_admin_user)
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "metering_dashboard_unavailable"
    placeholders = err.value.translation_placeholders
    assert placeholders is not None
    assert "lovelace/dashboards/create" in placeholders["missing"]
