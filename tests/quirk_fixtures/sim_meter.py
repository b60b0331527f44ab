"""A device-specific v2 quirk for the simulated SimCo SimGasMeter (a 0x0109 meter).

The Smart Energy wildcard quirk must leave a device that has its own quirk on that quirk.
"""

from __future__ import annotations

from zhaquirks.builder import QuirkBuilder


def quirks() -> list[QuirkBuilder]:
    """Return the quirk chains of this module."""
    return [
        QuirkBuilder("SimCo", "SimGasMeter").friendly_name(
            manufacturer="SimCo", model="SimGasMeter (own quirk)"
        )
    ]
