"""Every access to Lovelace (dashboards and their configs) goes through this module.

Home Assistant has no Python API to create a dashboard: the ``DashboardsCollection`` is built
inside ``lovelace.async_setup`` and reachable only through the frontend's WebSocket commands
(``lovelace/dashboards/list|create``), and a dashboard's config through
``lovelace/config`` and ``lovelace/config/save``. Touching the collection or ``LovelaceData``
would mean private attributes that change between releases, and would skip the commands'
validation (the url_path rules, the ``url_already_exists`` check against every panel) and
their events.

So the bridge sends the frontend's own commands, in-process: an ``ActiveConnection`` (the
public class every WebSocket client is served by) whose messages go to futures instead of a
socket. The commands run exactly as they do for the frontend: same schemas, same admin check
(``require_admin``), same errors, as the user the bridge is made for. The capability probe
(``lovelace_available``) checks that Lovelace is loaded and that every command is registered
in the WebSocket API's command table, so a release that renames one fails with a clear error
instead of half-doing the job. Besides the commands, only public helpers are read:
``frontend.async_panel_exists`` (is a url_path free?) and the auth manager's users.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextvars
import itertools
import logging
from typing import Any, Final, override

from homeassistant.auth.models import User
from homeassistant.components.frontend import async_panel_exists
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import DOMAIN as WS_DOMAIN
from homeassistant.components.websocket_api.http import WebSocketAdapter
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util.json import json_loads

_LOGGER = logging.getLogger(__name__)

LOVELACE: Final = "lovelace"
CMD_DASHBOARDS_LIST: Final = "lovelace/dashboards/list"
CMD_DASHBOARDS_CREATE: Final = "lovelace/dashboards/create"
CMD_CONFIG: Final = "lovelace/config"
CMD_CONFIG_SAVE: Final = "lovelace/config/save"
COMMANDS: Final = (
    CMD_DASHBOARDS_LIST,
    CMD_DASHBOARDS_CREATE,
    CMD_CONFIG,
    CMD_CONFIG_SAVE,
)
#: Lovelace's error code for a dashboard without a stored config (auto-generated).
ERR_CONFIG_NOT_FOUND: Final = "config_not_found"
COMMAND_TIMEOUT: Final = 30.0


class LovelaceUnavailableError(HomeAssistantError):
    """Lovelace is not loaded, or one of the commands the bridge needs is missing."""


class NoAdminUserError(HomeAssistantError):
    """A call without a user, and no owner or administrator to run the commands as."""


class LovelaceCommandError(HomeAssistantError):
    """A command answered with an error (its WebSocket error payload)."""

    def __init__(self, command: str, error: Mapping[str, Any]) -> None:
        """Keep the command and the error's code, message and translation key."""
        self.command = command
        self.code = str(error.get("code", ""))
        self.error_message = str(error.get("message", ""))
        self.error_translation_key: str | None = error.get("translation_key")
        super().__init__(f"{command}: {self.code}: {self.error_message}")


@callback
def missing_commands(hass: HomeAssistant) -> list[str]:
    """Return the commands the bridge needs that are not registered (all: no Lovelace)."""
    if LOVELACE not in hass.config.components:
        return list(COMMANDS)
    handlers: Mapping[str, Any] = hass.data.get(WS_DOMAIN) or {}
    return [command for command in COMMANDS if command not in handlers]


@callback
def lovelace_available(hass: HomeAssistant) -> bool:
    """Return True when Lovelace is loaded with every command the bridge sends."""
    return not missing_commands(hass)


async def async_admin_user(hass: HomeAssistant, user_id: str | None) -> User:
    """Return the user to run the commands as: the caller, or the owner / an admin.

    The caller must be an administrator (the commands that write are admin-only); a call
    without a user (an automation) runs as the owner, else the first active administrator.
    """
    if user_id is not None:
        user = await hass.auth.async_get_user(user_id)
        if user is not None:
            return user
        raise NoAdminUserError(f"unknown user {user_id}")
    owner = await hass.auth.async_get_owner()
    if owner is not None and owner.is_active and owner.is_admin:
        return owner
    admins = sorted(
        (
            user
            for user in await hass.auth.async_get_users()
            if user.is_active and user.is_admin and not user.system_generated
        ),
        key=lambda user: user.id,
    )
    if not admins:
        raise NoAdminUserError("no administrator to edit dashboards as")
    return admins[0]


class _BridgeLogAdapter(WebSocketAdapter):
    """The connection's log: an error answer is the caller's to report, so only debug.

    Unexpected exceptions (``logger.exception``, with their traceback) keep their level.
    """

    @override
    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)


@callback
def panel_exists(hass: HomeAssistant, url_path: str) -> bool:
    """Return True when a frontend panel (any dashboard, built-in or custom) has the path."""
    return async_panel_exists(hass, url_path)


class LovelaceBridge:
    """Lovelace's WebSocket commands, sent in-process as ``user``."""

    def __init__(self, hass: HomeAssistant, user: User) -> None:
        """Open the in-process connection; raise when Lovelace cannot serve it."""
        if missing := missing_commands(hass):
            raise LovelaceUnavailableError(
                f"Lovelace commands not available: {', '.join(missing)}"
            )
        self.hass = hass
        self.user = user
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        logger = _BridgeLogAdapter(_LOGGER, {"connid": f"zha_device_pack:{user.id}"})
        # ActiveConnection sets websocket_api's current_connection context variable: keep
        # that inside a copy of the context, not in the caller's.
        self._connection = contextvars.copy_context().run(
            ActiveConnection, logger, hass, self._receive, user, None, None
        )

    @callback
    def _receive(self, message: bytes | str | dict[str, Any]) -> None:
        data = message if isinstance(message, dict) else json_loads(message)
        if not isinstance(data, dict):
            return
        future = self._pending.pop(data.get("id"), None)  # type: ignore[arg-type]
        if future is not None and not future.done():
            future.set_result(data)

    async def command(self, command: str, **fields: Any) -> Any:
        """Send ``command`` with ``fields``; return its result or raise its error."""
        msg_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = self.hass.loop.create_future()
        self._pending[msg_id] = future
        try:
            self._connection.async_handle({**fields, "id": msg_id, "type": command})
            async with asyncio.timeout(COMMAND_TIMEOUT):
                answer = await future
        finally:
            self._pending.pop(msg_id, None)
        if not answer.get("success"):
            raise LovelaceCommandError(command, answer.get("error") or {})
        return answer.get("result")

    async def dashboards(self) -> list[dict[str, Any]]:
        """Return every dashboard (storage ones with their collection ``id``)."""
        result = await self.command(CMD_DASHBOARDS_LIST)
        return [dict(item) for item in result or ()]

    async def create_dashboard(self, **fields: Any) -> dict[str, Any]:
        """Create a storage-mode dashboard; return its collection item."""
        return dict(await self.command(CMD_DASHBOARDS_CREATE, **fields))

    async def config(self, url_path: str) -> dict[str, Any] | None:
        """Return a dashboard's config; None while it has none (auto-generated)."""
        try:
            result = await self.command(CMD_CONFIG, url_path=url_path, force=False)
        except LovelaceCommandError as err:
            if err.code == ERR_CONFIG_NOT_FOUND:
                return None
            raise
        return dict(result)

    async def save_config(self, url_path: str, config: Mapping[str, Any]) -> None:
        """Save a storage dashboard's config."""
        await self.command(CMD_CONFIG_SAVE, url_path=url_path, config=dict(config))
