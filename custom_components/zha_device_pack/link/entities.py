"""Link-health sensors (on each ZHA device's page) and the channel-scan sensors (hub)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.sensor import SensorEntity, SensorStateClass
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfTime
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from zigpy.types import EUI64

from ..const import DOMAIN
from ..entity import ZhaDeviceLinkedEntity
from .channels import ZIGBEE_CHANNELS, wifi_overlaps

if TYPE_CHECKING:
    from .family import LinkFamily

HUB_IDENTIFIER: Final = "zigbee_network"


class LinkSensor(ZhaDeviceLinkedEntity, SensorEntity):
    """A link number of one device; enabled by default for our families' devices."""

    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_should_poll = False

    def __init__(self, family: LinkFamily, ieee: EUI64, key: str) -> None:
        """Attach to the device ``ieee``."""
        super().__init__(family.hass, ieee, key)
        self.family = family
        self.key = key
        self._attr_translation_key = key
        self._attr_entity_registry_enabled_default = family.ours(ieee)

    async def async_added_to_hass(self) -> None:
        """Follow the family's numbers."""
        self.async_on_remove(self.family.add_listener(self.async_write_ha_state))


class LinkLatencySensor(LinkSensor):
    """Median round trip of the last automatic probes (and link tests)."""

    _attr_native_unit_of_measurement = UnitOfTime.MILLISECONDS
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_suggested_display_precision = 0

    def __init__(self, family: LinkFamily, ieee: EUI64) -> None:
        """Create the latency sensor of ``ieee``."""
        super().__init__(family, ieee, "link_latency")

    async def async_added_to_hass(self) -> None:
        """Follow the family's numbers; probe now if no probe is recent."""
        await super().async_added_to_hass()
        self.family.probe_when_due(self._ieee)

    @property
    def native_value(self) -> float | None:
        """Return the median round trip in ms."""
        stats = self.family.stats.get(self._ieee)
        return None if stats is None else stats.latency_ms


class MissedMessagesSensor(LinkSensor):
    """Deliveries to the device that failed since HA started."""

    _attr_state_class = SensorStateClass.TOTAL_INCREASING

    def __init__(self, family: LinkFamily, ieee: EUI64) -> None:
        """Create the missed-messages sensor of ``ieee``."""
        super().__init__(family, ieee, "missed_messages")

    @property
    def native_value(self) -> int:
        """Return the failed deliveries."""
        stats = self.family.stats.get(self._ieee)
        return 0 if stats is None else stats.failed

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the deliveries tried and the failures in a row."""
        stats = self.family.stats.get(self._ieee)
        if stats is None:
            return {}
        return {"sent": stats.sent, "failures_in_row": stats.failures_in_row}


def device_sensors(family: LinkFamily, ieee: EUI64) -> list[LinkSensor]:
    """Return the link sensors of one device."""
    return [LinkLatencySensor(family, ieee), MissedMessagesSensor(family, ieee)]


class HubSensor(Entity):
    """A sensor of the "Zigbee network" hub device: what the last channel scan found."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, family: LinkFamily, key: str) -> None:
        """Attach to the family's scans."""
        self.family = family
        self._attr_unique_id = f"zigbee_network_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, HUB_IDENTIFIER)},
            name="Zigbee network",
            manufacturer="ZHA Device Pack",
            model="Link diagnostics",
        )

    async def async_added_to_hass(self) -> None:
        """Follow new scans."""
        self.async_on_remove(self.family.add_hub_listener(self.async_write_ha_state))


class ChannelEnergySensor(HubSensor, SensorEntity):
    """Energy the radio measured on one channel in the last scan (0-100 %)."""

    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_translation_key = "channel_energy"

    def __init__(self, family: LinkFamily, channel: int) -> None:
        """Create the energy sensor of ``channel``."""
        super().__init__(family, f"channel_{channel}_energy")
        self.channel = channel
        self._attr_translation_placeholders = {"channel": str(channel)}

    @property
    def native_value(self) -> float | None:
        """Return the channel's energy in %."""
        scan = self.family.scan or {}
        value = scan.get("energy", {}).get(str(self.channel))
        return None if value is None else float(value)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the Wi-Fi channels that overlap this one."""
        return {"wifi_overlaps": list(wifi_overlaps(self.channel))}


class RecommendedChannelSensor(HubSensor, SensorEntity):
    """The channel the last scan recommends, with the quietest ones and when it ran."""

    _attr_translation_key = "recommended_channel"

    def __init__(self, family: LinkFamily) -> None:
        """Create the recommendation sensor."""
        super().__init__(family, "recommended_channel")

    @property
    def native_value(self) -> int | None:
        """Return the recommended channel."""
        scan = self.family.scan or {}
        value = scan.get("recommended")
        return None if value is None else int(value)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the network's channel, the quietest channels and the scan time."""
        scan = self.family.scan or {}
        return {
            "current_channel": scan.get("channel"),
            "quietest": scan.get("quietest"),
            "scanned_at": scan.get("at"),
        }


def hub_sensors(family: LinkFamily) -> list[Entity]:
    """Return the hub's sensors: one per channel scanned, and the recommendation."""
    scan = family.scan or {}
    channels = [int(ch) for ch in scan.get("energy", {})] or list(ZIGBEE_CHANNELS)
    return [
        *(ChannelEnergySensor(family, channel) for channel in sorted(channels)),
        RecommendedChannelSensor(family),
    ]
