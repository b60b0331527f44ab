"""Metering actions: fast poll, Energy preferences, history, dashboard, the SE clients'.

``request_fast_poll``, ``add_to_energy_dashboard``, ``import_meter_history``, the dashboard,
and the Smart Energy clients' ``confirm_message``, ``opt_out_of_load_control_event`` and
``opt_in_to_load_control_event``.

The target is any entity of a meter on our Smart Energy quirk (its summation sensor, say);
``create_metering_dashboard`` (``dashboard.py``) has no target: it shows every meter.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.util import dt as dt_util
import voluptuous as vol
from zigpy.exceptions import DeliveryError

from .. import zha_bridge
from ..errors import translated_device_errors, validation_error
from ..family import FamilyService
from ..protocol import metering
from ..quirks.exceptions import NoAnswerError
from ..quirks.smart_energy import SmartEnergyMetering
from .dashboard import (
    SCHEMA as DASHBOARD_SCHEMA,
    SERVICE_DASHBOARD,
    async_create_dashboard,
    async_show_new_statistics,
)
from .drlc_events import OptError

if TYPE_CHECKING:
    from .family import MeteringFamily

FAMILY: Final = "metering"
SERVICE_FAST_POLL: Final = "request_fast_poll"
SERVICE_ENERGY: Final = "add_to_energy_dashboard"
SERVICE_IMPORT: Final = "import_meter_history"
SERVICE_CONFIRM_MESSAGE: Final = "confirm_message"
SERVICE_OPT_OUT: Final = "opt_out_of_load_control_event"
SERVICE_OPT_IN: Final = "opt_in_to_load_control_event"
#: The longest range one import asks for (ten years of hours).
MAX_IMPORT_DAYS: Final = 3650
# Our meter entities' unique-id keys (quirks/smart_energy.py) the Energy preferences use.
ENERGY_KEYS: Final = (
    "summation_delivered",
    "summation_received",
    "instantaneous_demand",
)
NO_ANSWER: Final = "The meter did not answer"

SCHEMAS: Final = {
    SERVICE_FAST_POLL: vol.Schema(
        {
            vol.Required(ATTR_ENTITY_ID): cv.entity_ids,
            vol.Required("update_period"): vol.All(
                vol.Coerce(int), vol.Range(min=1, max=255)
            ),
            vol.Required("duration"): vol.All(
                vol.Coerce(int), vol.Range(min=1, max=metering.MAX_FAST_POLL_MINUTES)
            ),
        }
    ),
    SERVICE_ENERGY: vol.Schema({vol.Required(ATTR_ENTITY_ID): cv.entity_ids}),
    SERVICE_IMPORT: vol.All(
        vol.Schema(
            {
                vol.Required(ATTR_ENTITY_ID): cv.entity_ids,
                vol.Optional("channel", default="delivered"): vol.In(
                    ("delivered", "received")
                ),
                vol.Exclusive("days", "range"): vol.All(
                    vol.Coerce(int), vol.Range(min=1, max=MAX_IMPORT_DAYS)
                ),
                vol.Exclusive("start", "range"): cv.datetime,
                vol.Optional("end"): cv.datetime,
            }
        ),
        cv.has_at_least_one_key("days", "start"),
    ),
    SERVICE_CONFIRM_MESSAGE: vol.Schema(
        {
            vol.Required(ATTR_ENTITY_ID): cv.entity_ids,
            vol.Required("message_id"): vol.All(
                vol.Coerce(int), vol.Range(min=0, max=0xFFFF_FFFF)
            ),
        }
    ),
    **dict.fromkeys(
        (SERVICE_OPT_OUT, SERVICE_OPT_IN),
        vol.Schema(
            {
                vol.Required(ATTR_ENTITY_ID): cv.entity_ids,
                vol.Required("issuer_event_id"): vol.All(
                    vol.Coerce(int), vol.Range(min=0, max=0xFFFF_FFFF)
                ),
            }
        ),
    ),
}


def meter_of(family: MeteringFamily, entity_id: str) -> SmartEnergyMetering:
    """Return the Metering cluster of the meter ``entity_id`` belongs to."""
    entry = er.async_get(family.hass).async_get(entity_id)
    ieee = (
        zha_bridge.ieee_of_device_id(family.hass, entry.device_id)
        if entry is not None and entry.device_id
        else None
    )
    if ieee is None or (cluster := family.meters.get(ieee)) is None:
        raise validation_error("metering_unknown_meter", entity_id=entity_id)
    return cluster


async def _fast_poll(family: MeteringFamily, call: ServiceCall) -> ServiceResponse:
    period: int = call.data["update_period"]
    minutes: int = call.data["duration"]
    meters = {
        entity_id: meter_of(family, entity_id)
        for entity_id in call.data[ATTR_ENTITY_ID]
    }
    for entity_id, cluster in meters.items():
        minimum = cluster.get("fast_poll_update_period")
        if minimum is not None and period < int(minimum):
            raise validation_error(
                "metering_fast_poll_period_too_short",
                entity_id=entity_id,
                period=period,
                minimum=int(minimum),
            )
    response: dict[str, Any] = {}
    for entity_id, cluster in meters.items():
        async with translated_device_errors(FAMILY):
            applied, end = await _request(cluster, period, minutes)
        # the meter's end time is on its own clock; HA's window lasts the asked minutes,
        # shorter only if the meter's end is sooner on HA's clock too
        now = dt_util.utcnow()
        window_end = now + timedelta(minutes=minutes)
        family.refresh_demand(
            cluster, applied, end if now < end < window_end else window_end
        )
        response[entity_id] = {
            "applied_update_period": applied,
            "end_time": end.isoformat(),
        }
    return response


async def _request(
    cluster: SmartEnergyMetering, period: int, minutes: int
) -> tuple[int, Any]:
    try:
        answer = await cluster.request_fast_poll_mode(
            fast_poll_update_period=period, duration=minutes
        )
    except (DeliveryError, TimeoutError) as err:
        raise NoAnswerError(NO_ANSWER) from err
    applied = int(answer.applied_update_period)
    end = metering.datetime_from_utc_time(int(answer.fast_poll_mode_end_time))
    if end is None:  # 0xFFFFFFFF: the meter names no end; the spec caps it at 15 min
        end = dt_util.utcnow() + timedelta(minutes=minutes)
    return applied, end


async def _import(family: MeteringFamily, call: ServiceCall) -> ServiceResponse:
    """Import each meter's GetProfile history into its summation sensor's statistics."""
    now = dt_util.utcnow()
    end = dt_util.as_utc(call.data["end"]) if "end" in call.data else now
    start = (
        end - timedelta(days=call.data["days"])
        if "days" in call.data
        else dt_util.as_utc(call.data["start"])
    )
    channel: str = call.data["channel"]
    meters = {
        entity_id: meter_of(family, entity_id)
        for entity_id in call.data[ATTR_ENTITY_ID]
    }
    for cluster in meters.values():  # every refusal before anything is sent
        family.history.validate(cluster, channel, start, end)
    response: dict[str, Any] = {
        entity_id: await family.history.async_import(cluster, channel, start, end)
        for entity_id, cluster in meters.items()
    }
    # the first rows of a summation: its graphs appear on the dashboard
    await async_show_new_statistics(family)
    return response


async def _confirm_message(family: MeteringFamily, call: ServiceCall) -> None:
    """Send MessageConfirmation for a message that asks for it, on each target's meter."""
    message_id: int = call.data["message_id"]
    meters = {
        entity_id: meter_of(family, entity_id).endpoint.device.ieee
        for entity_id in call.data[ATTR_ENTITY_ID]
    }
    for entity_id, ieee in meters.items():  # every refusal before anything is sent
        if family.messaging.cluster(ieee) is None:
            raise validation_error("metering_no_messaging", entity_id=entity_id)
        active = family.messaging.message(ieee, message_id)
        if active is None:
            raise validation_error(
                "metering_unknown_message", entity_id=entity_id, message_id=message_id
            )
        if not active.message.control.confirmation_required:
            raise validation_error(
                "metering_message_no_confirmation",
                entity_id=entity_id,
                message_id=message_id,
            )
    for ieee in meters.values():
        async with translated_device_errors(FAMILY):
            await family.messaging.confirm(ieee, message_id)


async def _opt(family: MeteringFamily, call: ServiceCall, *, opt_in: bool) -> None:
    """Opt in to or out of a load control event of each target's meter, and report it."""
    event_id: int = call.data["issuer_event_id"]
    meters = {
        entity_id: meter_of(family, entity_id).endpoint.device.ieee
        for entity_id in call.data[ATTR_ENTITY_ID]
    }
    for entity_id, ieee in meters.items():  # every refusal before anything changes
        if family.drlc.cluster(ieee) is None:
            raise validation_error("metering_no_load_control", entity_id=entity_id)
        try:
            family.drlc.check_opt(ieee, event_id, opt_in=opt_in)
        except OptError as err:
            raise validation_error(
                f"metering_load_control_{err.reason}_{'in' if opt_in else 'out'}",
                entity_id=entity_id,
                issuer_event_id=event_id,
            ) from err
    for ieee in meters.values():
        family.drlc.opt(ieee, event_id, opt_in=opt_in)


async def _opt_out(family: MeteringFamily, call: ServiceCall) -> None:
    await _opt(family, call, opt_in=False)


async def _opt_in(family: MeteringFamily, call: ServiceCall) -> None:
    await _opt(family, call, opt_in=True)


async def _energy(family: MeteringFamily, call: ServiceCall) -> ServiceResponse:
    # imported here: the energy integration is an after-dependency, loaded only if used
    from .energy import async_add_meter  # noqa: PLC0415

    registry = er.async_get(family.hass)
    response: dict[str, Any] = {}
    for entity_id in call.data[ATTR_ENTITY_ID]:
        cluster = meter_of(family, entity_id)
        device = cluster.endpoint.device
        prefix = f"{device.ieee}-{cluster.endpoint.endpoint_id}-"
        ids = {
            key: registry.async_get_entity_id("sensor", "zha", prefix + key)
            for key in ENERGY_KEYS
        }
        raw_type = cluster.get("metering_device_type")
        meter_type = (
            None if raw_type is None else metering.base_device_type(int(raw_type))
        )
        entry = registry.async_get(entity_id)
        name = (entry.name or entry.original_name) if entry else None
        response[entity_id] = await async_add_meter(
            family.hass, meter_type, ids, name or str(device.ieee)
        )
    return response


SERVICES: Final[dict[str, FamilyService[MeteringFamily]]] = {
    SERVICE_FAST_POLL: FamilyService(
        schema=SCHEMAS[SERVICE_FAST_POLL],
        handler=_fast_poll,
        supports_response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_ENERGY: FamilyService(
        schema=SCHEMAS[SERVICE_ENERGY],
        handler=_energy,
        supports_response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_IMPORT: FamilyService(
        schema=SCHEMAS[SERVICE_IMPORT],
        handler=_import,
        supports_response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_CONFIRM_MESSAGE: FamilyService(
        schema=SCHEMAS[SERVICE_CONFIRM_MESSAGE],
        handler=_confirm_message,
        supports_response=SupportsResponse.NONE,
    ),
    SERVICE_OPT_OUT: FamilyService(
        schema=SCHEMAS[SERVICE_OPT_OUT],
        handler=_opt_out,
        supports_response=SupportsResponse.NONE,
    ),
    SERVICE_OPT_IN: FamilyService(
        schema=SCHEMAS[SERVICE_OPT_IN],
        handler=_opt_in,
        supports_response=SupportsResponse.NONE,
    ),
    SERVICE_DASHBOARD: FamilyService(
        schema=DASHBOARD_SCHEMA,
        handler=async_create_dashboard,
        supports_response=SupportsResponse.OPTIONAL,
        admin=True,
    ),
}
