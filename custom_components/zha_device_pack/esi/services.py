"""The ESI's actions: publish prices, load control events and messages to the home's devices.

Every action targets the Smart Energy clients of the kind it serves: the devices given in
``device_id`` (HA device ids), or, without it, every device with that client cluster. The
response says per device what happened: ``sent``, ``rejected`` (with the device's status)
or ``no_answer``. Fields are checked before anything is sent or stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import config_validation as cv, device_registry as dr
import voluptuous as vol
from zigpy.types import EUI64

from .. import zha_bridge
from ..errors import validation_error

if TYPE_CHECKING:
    from ..cluster_follower import ClusterFollower

FAMILY: Final = "esi"
ATTR_DEVICE_ID: Final = "device_id"
#: The target of every ESI action: HA device ids (none: every client of the kind).
TARGET_SCHEMA: Final = {vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [str])}

RESULT_SENT: Final = "sent"
RESULT_REJECTED: Final = "rejected"
RESULT_NO_ANSWER: Final = "no_answer"


def target_clients[C](
    hass: HomeAssistant, call: ServiceCall, follower: ClusterFollower[Any, Any]
) -> dict[EUI64, C]:
    """Return the targeted devices whose client cluster the ESI serves now.

    A ``device_id`` that is not such a device is refused (``esi_not_a_client``) before
    anything is sent.
    """
    attached: dict[EUI64, C] = dict(follower.attached_clusters())
    device_ids: list[str] | None = call.data.get(ATTR_DEVICE_ID)
    if device_ids is None:
        return attached
    chosen: dict[EUI64, C] = {}
    for device_id in device_ids:
        ieee = zha_bridge.ieee_of_device_id(hass, device_id)
        if ieee is None or ieee not in attached:
            raise validation_error(
                "esi_not_a_client", device=device_name(hass, device_id)
            )
        chosen[ieee] = attached[ieee]
    return chosen


def device_name(hass: HomeAssistant, device_id: str) -> str:
    """Return a device's name as the user sees it (the id for an unknown device)."""
    entry = dr.async_get(hass).async_get(device_id)
    if entry is None:
        return device_id
    return entry.name_by_user or entry.name or device_id


def ieee_name(hass: HomeAssistant, ieee: EUI64) -> str:
    """Return the name of the ZHA device ``ieee`` (its IEEE address when unknown)."""
    entry = zha_bridge.zha_device_entry(hass, ieee)
    if entry is None:
        return str(ieee)
    return entry.name_by_user or entry.name or str(ieee)


async def send_to_clients[C](
    hass: HomeAssistant,
    clients: Mapping[EUI64, C],
    send: Callable[[EUI64, C], Awaitable[Mapping[str, Any]]],
) -> dict[str, Any]:
    """Send to every client at once; return the per-device results of the response.

    ``send`` returns the device's result (``{"result": "sent", ...}``); it raises only for
    errors no device can cause. A device that does not answer gets ``no_answer``.
    """

    async def one(ieee: EUI64, cluster: C) -> dict[str, Any]:
        try:
            result = dict(await send(ieee, cluster))
        except (TimeoutError, OSError) as err:
            result = {
                "result": RESULT_NO_ANSWER,
                "error": str(err) or type(err).__name__,
            }
        return {
            "ieee": str(ieee),
            "device_id": zha_bridge.zha_device_id(hass, ieee),
            "name": ieee_name(hass, ieee),
            **result,
        }

    results = await asyncio.gather(
        *(one(ieee, cluster) for ieee, cluster in clients.items())
    )
    return {"devices": list(results)}
