"""Registration of our quirks into ZHA's quirk registry (no Home Assistant imports)."""

from __future__ import annotations

from collections.abc import Iterable
import dataclasses
import logging

from zha.quirks import QUIRK_REGISTRY_ENTRY_ATTR, DeviceRegistry, QuirkRegistryEntry
import zhaquirks
from zhaquirks.builder import QuirkBuilder
import zigpy.device

_LOGGER = logging.getLogger(__name__)


class PackQuirks:
    """Our entries in a ZHA ``DeviceRegistry``: registered ahead of built-ins, removed exactly."""

    def __init__(self, registry: DeviceRegistry) -> None:
        """Initialize for ``registry`` (ZHA's global ``zha.quirks.DEVICE_REGISTRY`` in production)."""
        self.registry = registry
        self.entries: list[QuirkRegistryEntry] = []

    def register(self, builders: Iterable[QuirkBuilder]) -> list[QuirkRegistryEntry]:
        """Register ``builders`` in front of every built-in quirk (blocking: run in the executor).

        zhaquirks' own v1 quirks only reach ZHA's registry when its pending queue is drained;
        ``zhaquirks.setup()`` (idempotent without a custom path: imports are cached) drains it
        first, so a built-in quirk imported late can never be inserted ahead of ours.
        """
        zhaquirks.setup()
        for builder in builders:
            compiled = builder.add_to_registry(registry=DeviceRegistry())
            # ZHA purges every entry whose source file lies below the user's
            # `custom_quirks_path` on each (re)load; a path such as /config would otherwise
            # drop our entries. The module, line and label stay for diagnostics.
            source = compiled.source
            entry = dataclasses.replace(
                compiled,
                source=dataclasses.replace(source, file=None) if source else None,
            )
            self._remove_equal(entry)
            self.registry.register(entry)
            self.entries.append(entry)
        _LOGGER.debug("Registered %d quirk entries", len(self.entries))
        return list(self.entries)

    def unregister(self) -> None:
        """Remove exactly the entries registered by ``register``."""
        for entry in self.entries:
            self._remove_identical(entry)
        self.entries.clear()

    def owns(self, entry: QuirkRegistryEntry | None) -> bool:
        """Return True when ``entry`` is one of ours."""
        return entry is not None and any(entry is ours for ours in self.entries)

    def applied_entry(
        self, device: zigpy.device.BaseDevice
    ) -> QuirkRegistryEntry | None:
        """Return our entry applied to ``device``, if any."""
        entry = getattr(device, QUIRK_REGISTRY_ENTRY_ATTR, None)
        return entry if self.owns(entry) else None

    def _present(self, entry: QuirkRegistryEntry) -> bool:
        return any(candidate is entry for candidate in self.registry)

    def _remove_identical(self, entry: QuirkRegistryEntry) -> None:
        # DeviceRegistry.remove() drops the first *equal* entry per key; only call it while our
        # very object is registered so an equal built-in entry is never removed instead.
        while self._present(entry):
            self.registry.remove(entry)

    def _remove_equal(self, entry: QuirkRegistryEntry) -> None:
        # An equal leftover (e.g. from a previous registration in this process) would make
        # register() skip ours and leave it at its old position.
        while any(candidate == entry for candidate in self.registry):
            self.registry.remove(entry)
