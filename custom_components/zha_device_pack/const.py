"""Constants for ZHA Device Pack."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "zha_device_pack"
ZHA_DOMAIN: Final = "zha"

# Repair issue raised when the user disabled quirks in ZHA (`zha: enable_quirks: false`).
ISSUE_QUIRKS_DISABLED: Final = "zha_quirks_disabled"
