"""Translated errors: every key the code raises has its text, prefixed by its family."""

from __future__ import annotations

import json
from pathlib import Path
import re

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import service
import pytest
import yaml
from zha.exceptions import ZHAException
from zigpy.exceptions import DeliveryError
from zigpy.zcl.foundation import Status

from custom_components.zha_device_pack.const import DOMAIN
from custom_components.zha_device_pack.errors import translated_device_errors
from custom_components.zha_device_pack.families import FAMILIES
from custom_components.zha_device_pack.quirks.exceptions import CommandRefusedError

PACKAGE = Path(__file__).parents[1] / "custom_components" / DOMAIN
TRANSLATIONS = json.loads(
    (PACKAGE / "translations" / "en.json").read_text(encoding="utf-8")
)
MESSAGES: dict[str, dict[str, str]] = TRANSLATIONS["exceptions"]
# Repair issues are raised with translation_key="…" too; their texts live under "issues".
ISSUES: dict[str, dict[str, str]] = TRANSLATIONS["issues"]
# The keys given to the helpers literally: validation_error("…"), device_error("…") and
# HA's translation_key="…".
RAISED_KEY = re.compile(
    r'(?:validation_error|device_error)\(\s*"([a-z0-9_]+)"|translation_key="([a-z0-9_]+)"'
)


def raised_keys() -> set[str]:
    keys: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if "quirks" in path.parts:  # ZHA's entity translation keys, not our errors
            continue
        for match in RAISED_KEY.finditer(path.read_text(encoding="utf-8")):
            keys.add(match.group(1) or match.group(2))
    return keys


def test_every_raised_key_has_a_message() -> None:
    keys = raised_keys()
    assert "irrigation_unknown_program" in keys
    assert keys - set(MESSAGES) - set(ISSUES) == set()


def test_family_keys_are_prefixed_and_name_the_device() -> None:
    """A family's messages carry its prefix; every family has the device-failure texts."""
    shared = {"zha_not_ready", "integration_not_loaded"}
    prefixes = tuple(f"{family.name}_" for family in FAMILIES)
    assert [
        key for key in MESSAGES if key not in shared and not key.startswith(prefixes)
    ] == []
    for family in FAMILIES:
        for suffix in ("no_answer", "refused", "command_failed", "not_available"):
            assert f"{family.name}_{suffix}" in MESSAGES
    assert "valve did not answer" in MESSAGES["irrigation_no_answer"]["message"]


async def test_device_failures_become_translated_errors() -> None:
    with pytest.raises(HomeAssistantError) as caught:
        async with translated_device_errors("irrigation"):
            raise TimeoutError
    assert caught.value.translation_key == "irrigation_no_answer"
    assert caught.value.translation_domain == DOMAIN

    # A sleeping valve: the radio could not deliver the frame. No raw TXStatus for the user.
    with pytest.raises(HomeAssistantError) as caught:
        async with translated_device_errors("irrigation"):
            raise DeliveryError(
                "Failed to deliver message: <TXStatus.NETWORK_ACK_FAILURE: 33>"
            )
    assert caught.value.translation_key == "irrigation_no_answer"
    assert caught.value.translation_placeholders == {}

    with pytest.raises(HomeAssistantError) as caught:
        async with translated_device_errors("irrigation"):
            raise CommandRefusedError(Status.INSUFFICIENT_SPACE)
    assert caught.value.translation_key == "irrigation_refused"
    assert caught.value.translation_placeholders == {"status": "INSUFFICIENT_SPACE"}

    with pytest.raises(HomeAssistantError) as caught:
        async with translated_device_errors("irrigation"):
            raise ZHAException("unexpected answer")
    assert caught.value.translation_key == "irrigation_command_failed"
    assert caught.value.translation_placeholders == {"error": "unexpected answer"}


def test_services_yaml_is_valid_and_times_have_no_seconds() -> None:
    """HA's own schema accepts services.yaml; time-of-day fields offer hours:minutes only."""
    data = yaml.safe_load((PACKAGE / "services.yaml").read_text(encoding="utf-8"))
    assert service._SERVICES_SCHEMA(data)
    time_fields = {
        (name, field): spec["selector"]
        for name, action in data.items()
        for field, spec in action.get("fields", {}).items()
        if field.endswith("_time")
    }
    assert len(time_fields) == 6
    assert all(
        selector == {"text": {"type": "time"}} for selector in time_fields.values()
    )
