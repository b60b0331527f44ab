"""The zha library and zigpy internals our quirk modules use, probed in one place.

Quirk modules stay free of Home Assistant imports (they could move to zha-device-handlers), so
they do not use the integration's ``zha_bridge``; what they need of the zha library beyond its
public entity API is here. README, "Compatibility", lists it.
"""

from __future__ import annotations

from collections.abc import Mapping
import enum
from types import MappingProxyType
from typing import Any

from zha.application.platforms import AttrConfig, ClusterConfig
from zha.application.platforms.switch import Switch
from zigpy import types as t
from zigpy.zcl.clusters.general import OnOff
from zigpy.zcl.helpers import ReportingConfig

# zha 2.3.1's switch configuration, used only when a zha release no longer exposes it: a valve
# on a quirk must be bound and reported exactly like the stock switch (zha-device-handlers #3316).
_SWITCH_CLUSTER_CONFIG_2_3_1: Mapping[int, ClusterConfig] = MappingProxyType(
    {
        OnOff.cluster_id: ClusterConfig(
            bind=True,
            attributes={
                OnOff.AttributeDefs.on_off: AttrConfig(
                    read_on_startup=True,
                    reporting=ReportingConfig(
                        min_interval=0, max_interval=900, reportable_change=1
                    ),
                ),
                OnOff.AttributeDefs.start_up_on_off: AttrConfig(read_on_startup=False),
            },
        )
    }
)


def stock_switch_cluster_config() -> Mapping[int, ClusterConfig]:
    """Return the binding/reporting configuration of ZHA's own OnOff switch entity."""
    config: Any = getattr(Switch, "_server_cluster_config", None)
    if isinstance(config, Mapping) and OnOff.cluster_id in config:
        return config
    return _SWITCH_CLUSTER_CONFIG_2_3_1


def zigpy_enum8(source: type[enum.IntEnum]) -> type[t.enum8]:
    """Return a zigpy ``enum8`` with the members of ``source`` (names are what ZHA shows).

    zigpy's enum metaclass turns ``t.enum8("Name", …)`` into a member lookup, so the functional
    enum API is reached through ``enum.EnumType`` itself.
    """
    created: Any = enum.EnumType.__call__(
        t.enum8,
        source.__name__,
        [(member.name, member.value) for member in source],
        module=source.__module__,
    )
    enum8: type[t.enum8] = created
    return enum8


def values_kept_by_id(cache: Any) -> dict[int, Any] | None:
    """Return the values zigpy's attribute cache keeps by id only (None: not available).

    zigpy 2.3.0's ``AttributeCache._legacy_cache`` (private): values loaded from the database
    for attribute ids the cluster does not define (a device loaded before our quirk was
    registered) are kept there, keyed by id, each with ``value`` and ``last_updated``. A zigpy
    release without it returns None and the caller moves nothing.
    """
    kept = getattr(cache, "_legacy_cache", None)
    return kept if isinstance(kept, dict) else None
