"""Service actions: each family's actions, registered once for the integration.

Every service name is bound to its own family's handler: there is no dispatch on the name at
call time, so an unknown service can never run another action.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, callback
from homeassistant.helpers.service import async_register_admin_service

from . import families as pack_families
from .const import DOMAIN
from .families import loaded_family
from .family import DeviceFamily, FamilyService


def _handler(
    family: type[DeviceFamily], service: FamilyService[Any]
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    async def handle(call: ServiceCall) -> ServiceResponse:
        return await service.handler(loaded_family(call.hass, family), call)

    return handle


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every family's service actions."""
    for family in pack_families.FAMILIES:
        for name, service in family.services.items():
            if service.admin:
                async_register_admin_service(
                    hass,
                    DOMAIN,
                    name,
                    _handler(family, service),
                    schema=service.schema,
                    supports_response=service.supports_response,
                )
                continue
            hass.services.async_register(
                DOMAIN,
                name,
                _handler(family, service),
                schema=service.schema,
                supports_response=service.supports_response,
            )
