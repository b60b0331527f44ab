"""First start of the development configuration: the demo, ready to look at.

A short-lived Home Assistant instance on the development configuration directory, which serves
its HTTP API on a free port of 127.0.0.1 only (so no half-ready Home Assistant answers on the
real port before ``scripts/develop`` starts the real one):

1. ZHA's config entry through ZHA's own ``hardware`` discovery flow, pointed at the simulated
   coordinator (``socket://127.0.0.1:PORT``, radio type ``xbee``); the demo devices join
   through ZHA's ``permit`` action. Nothing of ZHA is patched.
2. Unless ``--zha-only`` (the browser tests add our integration through the UI, then pair
   the devices themselves): our entry through our config flow; the demo devices join; the
   "Living room" heating room through its subentry flow (both demo TRVs, the demo
   temperature sensor as room sensor); the electricity meter's history imported
   (``import_meter_history``), the meter on the Energy dashboard and the metering dashboard
   created (our actions, as a user would call them).
3. With ``--dev-user`` (first of all, so a later failure cannot lose it): a development
   owner ``dev`` with a random password, and onboarding marked done, so the browser opens
   straight into the demo. The login is printed once, on stdout (``scripts/develop`` shows
   it when Home Assistant has started); an existing owner is left alone.

The console shows this script's steps and Home Assistant's warnings and errors (its full log
is ``home-assistant.log`` in the configuration directory). Run by ``scripts/develop`` only
when no ZHA entry exists.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Iterator
import contextlib
import json
import logging
from pathlib import Path
import secrets
import socket
import sys
from typing import Any

from homeassistant import bootstrap as bootstrap_ha, config_entries
from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.auth.providers import homeassistant as auth_ha
from homeassistant.components.http import config as http_config
from homeassistant.components.onboarding import (
    STORAGE_KEY as ONBOARDING_KEY,
    STORAGE_VERSION as ONBOARDING_VERSION,
    OnboardingStorage,
)
from homeassistant.components.onboarding.const import STEPS as ONBOARDING_STEPS
from homeassistant.components.zha.helpers import get_zha_gateway
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.runner import RuntimeConfig
from zha.zigbee.device import DeviceStatus

from tests.simulator import control

_LOGGER = logging.getLogger("dev_bootstrap")

DOMAIN = "zha_device_pack"
DEV_USERNAME = "dev"
DEMO_ROOM = "Living room"
#: Days of the demo meter's history imported into HA's statistics.
HISTORY_DAYS = 2


async def _walk_flow(hass: HomeAssistant, result: Any) -> Any:
    """Answer every confirmation/menu step of a flow with its recommended choice."""
    for _ in range(20):
        if result["type"] in (FlowResultType.CREATE_ENTRY, FlowResultType.ABORT):
            return result
        if result["type"] is FlowResultType.MENU:
            options = result["menu_options"]
            choice = next(
                (
                    o
                    for o in ("setup_strategy_recommended", "form_new_network")
                    if o in options
                ),
                options[0],
            )
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {"next_step_id": choice}
            )
        elif result["type"] is FlowResultType.FORM:
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {}
            )
        else:
            await asyncio.sleep(0.2)
            result = await hass.config_entries.flow.async_configure(result["flow_id"])
    raise RuntimeError(f"flow did not finish: {result}")


async def _join_demo_devices(hass: HomeAssistant, control_port: int) -> None:
    """Open the network with ZHA's own permit service until the demo devices have joined."""
    listing = await control.request(control_port, "list")
    expected = {device["ieee"] for device in listing["result"]["devices"]}
    await hass.services.async_call("zha", "permit", {"duration": 60}, blocking=True)
    gateway = get_zha_gateway(hass)
    ready: set[str] = set()
    for _ in range(600):
        ready = {
            str(ieee)
            for ieee, device in gateway.devices.items()
            if device.status is DeviceStatus.INITIALIZED
        }
        if expected <= ready:
            break
        await asyncio.sleep(0.1)
    await hass.async_block_till_done()
    if missing := expected - ready:
        _LOGGER.error("Demo devices that did not join: %s", ", ".join(sorted(missing)))
    _LOGGER.info("Joined %d simulated devices", len(expected & ready))


def _zha_devices(hass: HomeAssistant, model: str) -> list[dr.DeviceEntry]:
    """Return the ZHA devices of one model, in registry order."""
    registry = dr.async_get(hass)
    return [
        device
        for entry in hass.config_entries.async_entries("zha")
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if device.model == model
    ]


def _entity(
    hass: HomeAssistant, device: dr.DeviceEntry, domain: str, device_class: str
) -> str | None:
    """Return the device's entity of ``domain`` and ``device_class``."""
    for entry in er.async_entries_for_device(er.async_get(hass), device.id):
        if entry.domain == domain and device_class in (
            entry.device_class,
            entry.original_device_class,
        ):
            return entry.entity_id
    return None


async def _demo_room(hass: HomeAssistant, entry: config_entries.ConfigEntry) -> None:
    """Create the demo heating room through its subentry flow (the TRVs and the sensor)."""
    if any(sub.title == DEMO_ROOM for sub in entry.subentries.values()):
        return
    trvs = [device.id for device in _zha_devices(hass, "eTRV0100")]
    sensors = _zha_devices(hass, "SimTempSensor")
    sensor = _entity(hass, sensors[0], "sensor", "temperature") if sensors else None
    area = ar.async_get(hass).async_get_or_create(DEMO_ROOM)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "room"), context={"source": config_entries.SOURCE_USER}
    )
    data: dict[str, Any] = {"name": DEMO_ROOM, "area_id": area.id, "trvs": trvs}
    if sensor is not None:
        data["temperature_sensor"] = sensor
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], data
    )
    if result["type"] is not FlowResultType.CREATE_ENTRY:
        _LOGGER.error("Demo room not created: %s", result.get("errors") or result)
        return
    _LOGGER.info("Heating room %r: %d TRVs, sensor %s", DEMO_ROOM, len(trvs), sensor)


async def _demo_meter(hass: HomeAssistant) -> None:
    """Import the electricity meter's history; the Energy and metering dashboards."""
    meters = _zha_devices(hass, "SimElectricityMeter")
    if not meters:
        _LOGGER.error("No demo electricity meter joined")
        return
    summation = next(
        (
            entry.entity_id
            for entry in er.async_entries_for_device(er.async_get(hass), meters[0].id)
            if entry.domain == "sensor"
            and "energy" in (entry.device_class, entry.original_device_class)
            and "received" not in entry.entity_id
            and "tier" not in entry.entity_id
        ),
        None,
    )
    if summation is None:
        _LOGGER.error("The demo meter has no energy sensor")
        return
    target = {"entity_id": summation}
    for action, data in (
        ("import_meter_history", {**target, "days": HISTORY_DAYS}),
        (
            "import_meter_history",
            {**target, "days": HISTORY_DAYS, "channel": "received"},
        ),
        ("add_to_energy_dashboard", target),
        ("create_metering_dashboard", {}),
    ):
        try:
            await hass.services.async_call(DOMAIN, action, data, blocking=True)
        except Exception:
            _LOGGER.exception("Demo action %s failed", action)
        else:
            _LOGGER.info("Demo action %s done", action)


def login_box(url: str, password: str, config: Path) -> str:
    """Return the first run's login, framed, as ``scripts/develop`` shows it."""
    return "\n".join(
        (
            "",
            "=" * 64,
            f"  Home Assistant: {url}",
            f"  Login: {DEV_USERNAME} / {password}",
            "  (shown once; to change it: .venv/bin/hass --script auth",
            f"   --config {config} change_password {DEV_USERNAME} NEW)",
            "=" * 64,
            "",
        )
    )


async def _dev_user(hass: HomeAssistant) -> str | None:
    """Create the development owner and finish onboarding; return the password."""
    provider = auth_ha.async_get_provider(hass)
    await provider.async_initialize()
    if any(user.is_owner for user in await hass.auth.async_get_users()):
        return None
    password = secrets.token_urlsafe(9)
    await provider.async_add_auth(DEV_USERNAME, password)
    # the first user is the owner, as onboarding's first user is
    user = await hass.auth.async_create_user("Developer", group_ids=[GROUP_ID_ADMIN])
    credentials = await provider.async_get_or_create_credentials(
        {"username": DEV_USERNAME}
    )
    await hass.auth.async_link_user(user, credentials)
    store = OnboardingStorage(hass, ONBOARDING_VERSION, ONBOARDING_KEY, private=True)
    await store.async_save({"done": list(ONBOARDING_STEPS)})
    return password


def write_http_settings(config_dir: Path, port: int) -> None:
    """Store HTTP settings serving on ``port`` of 127.0.0.1 only, as HA keeps them.

    HA 2026.10 keeps its HTTP settings in storage; an ``http:`` section in YAML would be a
    "pending" trial that asks the user to confirm it and reverts after 5 minutes. Stored as
    stable instead (also used by the browser tests' stack, ``tests/ui/stack.py``).
    """
    stable = {
        **http_config.HTTP_STORAGE_SCHEMA({}),
        "server_host": ["127.0.0.1"],
        "server_port": port,
        "created_at": "2026-01-01T00:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    path = config_dir / ".storage" / http_config.STORAGE_KEY
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "version": http_config.STORAGE_VERSION,
                "minor_version": http_config.STORAGE_MINOR_VERSION,
                "key": http_config.STORAGE_KEY,
                "data": {
                    "stable": stable,
                    "pending": None,
                    "yaml_migration_done": True,
                },
            }
        )
    )


@contextlib.contextmanager
def _loopback_http(config_dir: Path) -> Iterator[None]:
    """Serve this short-lived instance's HTTP API on a free port of 127.0.0.1 only.

    HA 2026.10 keeps its HTTP settings in storage: the bootstrap's own settings are written
    for its run and the previous file (or none: the real start then creates the defaults)
    put back afterwards.
    """
    path = config_dir / ".storage" / http_config.STORAGE_KEY
    previous = path.read_bytes() if path.exists() else None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    write_http_settings(config_dir, port)
    try:
        yield
    finally:
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(previous)


async def bootstrap(
    config_dir: Path,
    port: int,
    control_port: int,
    *,
    zha_only: bool,
    on_password: Callable[[str], None] | None = None,
) -> None:
    """Create the entries unless ZHA already has one.

    With ``on_password``: first the development owner, unless there is an owner, and
    ``on_password`` with its password.
    """
    # Home Assistant's own setup and start of the configuration, then the config flows, then
    # a clean stop that saves the entries (also after a failure).
    hass = await bootstrap_ha.async_setup_hass(
        RuntimeConfig(config_dir=str(config_dir), skip_pip=True)
    )
    if hass is None:
        raise RuntimeError(
            "Home Assistant could not set up the development configuration"
        )
    await hass.async_start()
    try:
        if on_password is not None and (password := await _dev_user(hass)):
            on_password(password)
        if not hass.config_entries.async_entries("zha"):
            await _demo(hass, port, control_port, zha_only=zha_only)
        await hass.async_block_till_done()
    finally:
        await hass.async_stop()


async def _demo(
    hass: HomeAssistant, port: int, control_port: int, *, zha_only: bool
) -> None:
    """ZHA's entry on the simulated coordinator; unless ``zha_only``, the demo."""
    result = await hass.config_entries.flow.async_init(
        "zha",
        context={"source": config_entries.SOURCE_HARDWARE},
        data={
            "name": "Simulated XBee coordinator",
            "port": {"path": f"socket://127.0.0.1:{port}", "baudrate": 115200},
            "radio_type": "xbee",
            "flow_strategy": "recommended",
        },
    )
    result = await _walk_flow(hass, result)
    _LOGGER.info(
        "ZHA flow: %s", result.get("reason") or result["title"] or "entry created"
    )
    await hass.async_block_till_done()
    if not zha_only:
        # Our entry first, then the devices join: a user adds the integration, then pairs.
        # (The TS0049 valve reports its values once, at join; a valve paired before our
        # integration shows them only from its next report, README "Known limitations".)
        if not hass.config_entries.async_entries(DOMAIN):
            result = await hass.config_entries.flow.async_init(
                DOMAIN, context={"source": config_entries.SOURCE_USER}
            )
            result = await _walk_flow(hass, result)
            _LOGGER.info(
                "ZHA Device Pack flow: %s", result.get("reason") or result["title"]
            )
            await hass.async_block_till_done()
        await _join_demo_devices(hass, control_port)
        entry = hass.config_entries.async_entries(DOMAIN)[0]
        await _demo_room(hass, entry)
        await _demo_meter(hass)


def main() -> None:
    """Parse arguments and run the bootstrap."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True, help="simulator XBee port")
    parser.add_argument(
        "--control-port", type=int, required=True, help="simulator control port"
    )
    parser.add_argument(
        "--zha-only",
        action="store_true",
        help="only ZHA's entry on the formed network, no device joined "
        "(the browser tests add our integration, then pair the devices)",
    )
    parser.add_argument(
        "--dev-user",
        action="store_true",
        help="create the development owner 'dev' and finish onboarding",
    )
    parser.add_argument(
        "--url", default="http://127.0.0.1:8123", help="shown with the login"
    )
    args = parser.parse_args()
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter("dev_bootstrap: %(message)s"))
    # Home Assistant's start-up (INFO in the development configuration) stays in its log file
    console.addFilter(
        lambda record: record.name == _LOGGER.name or record.levelno >= logging.WARNING
    )
    logging.basicConfig(level=logging.INFO, handlers=[console])
    _LOGGER.setLevel(logging.INFO)
    config = args.config.resolve()

    def show(password: str) -> None:
        print(login_box(args.url, password, args.config), flush=True)

    with _loopback_http(config):
        asyncio.run(
            bootstrap(
                config,
                args.port,
                args.control_port,
                zha_only=args.zha_only,
                on_password=show if args.dev_user else None,
            )
        )
    sys.exit(0)


if __name__ == "__main__":
    main()
