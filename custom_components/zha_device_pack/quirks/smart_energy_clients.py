"""Smart Energy clients: the in-home displays, thermostats and load controllers HA serves.

A device with a Price, Demand Response/Load Control or Messaging *client* on a Smart Energy
(0x0109) endpoint takes its price, events and messages from the home's ESI. With HA as the ESI
(``esi/``), those client clusters are replaced by ours: zigpy hands a device's client -> server
commands (GetCurrentPrice, ReportEventStatus, MessageConfirmation, ...) to its client cluster
object, which answers and passes them on, and the ESI's server -> client commands are sent
through it. The device's Time client gets the ESI's Time server (HA's clock and time zone).

Like the meter quirk this is a wildcard: device-specific quirks win, and a device that is a
meter (a Metering server on 0x0109) is the meter quirk's.
"""

from __future__ import annotations

from typing import Final

from zhaquirks.builder import QuirkBuilder
import zigpy.device
from zigpy.zcl.clusters.smartenergy import Drlc, Messaging, Price

from .esi_drlc import EsiDrlc
from .esi_messaging import EsiMessaging
from .esi_price import EsiPrice
from .esi_time import EsiTime
from .smart_energy import (
    SmartEnergyZigpyDevice,
    WildcardQuirkBuilder,
    has_smart_energy_meter,
)
from .smart_energy_mirror import SMART_ENERGY_PROFILE

#: The client clusters that make a device a Smart Energy client of the ESI.
CLIENT_CLUSTERS: Final = frozenset(
    {Price.cluster_id, Drlc.cluster_id, Messaging.cluster_id}
)

# Compiled away by WildcardQuirkBuilder: never matched against a device.
_ANY: Final = "zha_device_pack: any Smart Energy client"


def has_smart_energy_client(device: zigpy.device.Device) -> bool:
    """Return True for a non-meter with a Price, DRLC or Messaging client on 0x0109."""
    if has_smart_energy_meter(device):
        return False
    return any(
        endpoint.profile_id == SMART_ENERGY_PROFILE
        and not CLIENT_CLUSTERS.isdisjoint(endpoint.out_clusters)
        for endpoint_id, endpoint in device.endpoints.items()
        if endpoint_id != 0
    )


def quirks() -> list[QuirkBuilder]:
    """Return the wildcard Smart Energy client quirk."""
    return [
        WildcardQuirkBuilder(_ANY, _ANY)
        .filter(has_smart_energy_client)
        .zigpy_device_class(SmartEnergyZigpyDevice)
        # the ESI servers' client clusters: .replace_cluster_occurrences(<EsiCluster>,
        # replace_server_instances=False) per cluster
        .replace_cluster_occurrences(EsiPrice, replace_server_instances=False)
        .replace_cluster_occurrences(EsiTime, replace_server_instances=False)
        .replace_cluster_occurrences(EsiMessaging, replace_server_instances=False)
        .replace_cluster_occurrences(EsiDrlc, replace_server_instances=False)
    ]
