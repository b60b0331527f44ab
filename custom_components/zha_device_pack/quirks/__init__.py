"""Quirks shipped by ZHA Device Pack.

Every module here is a plain zigpy/zhaquirks module without Home Assistant imports, so it can be
upstreamed to zha-device-handlers unchanged. A module exposes ``quirks()`` returning the
``QuirkBuilder`` chains it defines; the integration (not the import) registers them, so it can
place them ahead of the built-in quirks and remove exactly its own entries again on unload.
"""

from __future__ import annotations

from collections.abc import Iterable
import importlib
from typing import Final

from zhaquirks.builder import QuirkBuilder

# Module names below this package, in registration order. Device families add themselves here.
QUIRK_MODULES: Final[tuple[str, ...]] = (
    "tuya_ts0049",
    "danfoss_ally",
    "smart_energy",
    "smart_energy_clients",
)


def load_quirk_builders(modules: Iterable[str] | None = None) -> list[QuirkBuilder]:
    """Import the quirk modules and collect their builders (blocking: run in the executor)."""
    builders: list[QuirkBuilder] = []
    for name in QUIRK_MODULES if modules is None else modules:
        module = importlib.import_module(name if "." in name else f"{__name__}.{name}")
        builders.extend(module.quirks())
    return builders
