"""Translated errors: bad input and failed device exchanges, for every family.

Translation keys are prefixed by family (``irrigation_…``, ``danfoss_…``, ``metering_…``) so
that every message names the right device; the texts live in ``translations/en.json`` only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from zha.exceptions import ZHAException
from zigpy.exceptions import DeliveryError, ZigbeeException

from .const import DOMAIN
from .quirks.exceptions import CommandRefusedError, NoAnswerError


def _placeholders(values: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in values.items()}


def validation_error(key: str, **placeholders: Any) -> ServiceValidationError:
    """Return a translated error for input that is refused before anything is sent."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=_placeholders(placeholders),
    )


def device_error(key: str, **placeholders: Any) -> HomeAssistantError:
    """Return a translated error for a device that failed or is not there."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=_placeholders(placeholders),
    )


@asynccontextmanager
async def translated_device_errors(family: str) -> AsyncIterator[None]:
    """Turn a failed exchange with a device of ``family`` into a translated HA error.

    No answer (a timeout, or a frame the radio could not deliver: a sleeping or unreachable
    device) becomes ``<family>_no_answer``; an error status from the device
    ``<family>_refused``; any other zigpy/zha error ``<family>_command_failed`` with its text.
    """
    try:
        yield
    except (TimeoutError, DeliveryError, NoAnswerError) as err:
        raise device_error(f"{family}_no_answer") from err
    except CommandRefusedError as err:
        raise device_error(f"{family}_refused", status=err.status.name) from err
    except (ZHAException, ZigbeeException) as err:
        raise device_error(
            f"{family}_command_failed", error=str(err) or type(err).__name__
        ) from err
