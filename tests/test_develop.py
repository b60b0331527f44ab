"""scripts/dev_bootstrap.py's first-run pieces: the development login and the loopback HTTP.

The whole first run (a real Home Assistant, the simulator, the demo) takes half a minute and
is checked by running ``scripts/develop``; these are the parts that decide what a newcomer
gets: a login that works, made once, and no temporary Home Assistant on the real port.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.auth.providers import homeassistant as auth_ha
from homeassistant.components.http import config as http_config
from homeassistant.components.onboarding.const import STEPS as ONBOARDING_STEPS
from homeassistant.core import HomeAssistant
import pytest

from tests.ui.stack import dev_bootstrap as load_dev_bootstrap

URL = "http://127.0.0.1:8123"


dev_bootstrap = load_dev_bootstrap()


async def test_dev_user_is_made_once(
    hass: HomeAssistant,
    local_auth: auth_ha.HassAuthProvider,
    hass_storage: dict[str, Any],
) -> None:
    """The first run makes the owner ``dev`` and finishes onboarding; a second makes nothing."""
    password = await dev_bootstrap._dev_user(hass)

    assert isinstance(password, str)
    assert len(password) >= 12
    await local_auth.async_validate_login("dev", password)
    with pytest.raises(auth_ha.InvalidAuth):
        await local_auth.async_validate_login("dev", password + "x")
    (user,) = await hass.auth.async_get_users()
    assert user.is_owner
    assert user.is_admin
    assert [cred.data["username"] for cred in user.credentials] == ["dev"]
    assert hass_storage["onboarding"]["data"]["done"] == list(ONBOARDING_STEPS)
    box = dev_bootstrap.login_box(URL, password, Path("config"))
    assert f"Home Assistant: {URL}" in box
    assert f"Login: dev / {password}" in box

    # the next first run (e.g. after the ZHA entry was removed) neither shows nor changes it
    assert await dev_bootstrap._dev_user(hass) is None
    assert await hass.auth.async_get_users() == [user]
    await local_auth.async_validate_login("dev", password)


def test_loopback_http_puts_the_settings_back(
    tmp_path: Path, socket_enabled: None
) -> None:
    """The short-lived instance serves on a free loopback port; then the file is as before."""
    path = tmp_path / ".storage" / http_config.STORAGE_KEY

    with dev_bootstrap._loopback_http(tmp_path):
        stored = json.loads(path.read_text())
        stable = stored["data"]["stable"]
        assert stored["version"] == http_config.STORAGE_VERSION
        assert stored["data"]["pending"] is None
        assert stable["server_host"] == ["127.0.0.1"]
        assert stable["server_port"] != 8123
        # what Home Assistant's HTTP store accepts as its stable settings
        settings = {
            key: value
            for key, value in stable.items()
            if key not in ("created_at", "error", "error_message")
        }
        assert http_config.HTTP_STORAGE_SCHEMA(settings) == settings
    # none before: none after (the real start stores its defaults, SETUP_PORT's port)
    assert not path.exists()

    previous = b'{"version": 2, "data": "the user\'s own settings"}'
    path.write_bytes(previous)

    def failing_first_run() -> None:
        with dev_bootstrap._loopback_http(tmp_path):
            assert path.read_bytes() != previous
            raise RuntimeError("first run failed")

    with pytest.raises(RuntimeError, match="first run failed"):
        failing_first_run()
    assert path.read_bytes() == previous
