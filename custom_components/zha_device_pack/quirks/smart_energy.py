"""Smart Energy meters: a spec-correct Metering cluster, and profile 0x0109 endpoints heard.

Sources: ZigBee Smart Energy §10.4 Metering (seed 001) and the project's wire-format reference
``smart_energy_reference.md`` (§ numbers below). zigpy 2.3.0, what HA 2026.10 runs, ships the
Metering commands with empty schemas and ids 0x01/0x02 named by the wrong direction (§2.1, §7),
and a few attribute types that differ from the spec (§7 table); zigpy 2.4.0 fixed both. The
cluster here defines the commands and the corrected types itself, so it works on both.

zigpy 2.3.0 parses ZCL only from the Home Automation (0x0104) and ZLL profiles and hands frames
of any other profile to ``Device.custom_profile_packet_received``, which drops them: a meter on
a Smart Energy endpoint (0x0109) would never be heard. ``SmartEnergyZigpyDevice`` accepts them
as ZCL (the ZCL frame format is the same in both profiles); the frames it sends keep the
endpoint's own profile.

The quirk is a wildcard: it applies to any device with a Metering server on a 0x0109 endpoint.
ZHA's registry tries every device-specific quirk before wildcard entries, so a device that has
its own quirk keeps it.
"""

from __future__ import annotations

from collections.abc import Iterator
import dataclasses
import functools
import logging
from typing import Any, Final, override

from zha.application.platforms import AttrConfig, BaseEntity, ClusterConfig
from zha.application.platforms.binary_sensor import BinarySensor
from zha.application.platforms.sensor import Sensor
from zha.application.platforms.sensor.const import SensorDeviceClass, SensorStateClass
from zha.quirks import DeviceRegistry, QuirkRegistryEntry
from zhaquirks.builder import BinarySensorDeviceClass, EntityType, QuirkBuilder
from zhaquirks.builder.device import QuirkV2Device
from zhaquirks.clusters import CustomCluster
from zhaquirks.device import CustomZigpyDevice
from zigpy import types as t
import zigpy.device
from zigpy.exceptions import DeliveryError
from zigpy.zcl.clusters.smartenergy import Metering
from zigpy.zcl.foundation import BaseCommandDefs, ZCLAttributeDef, ZCLCommandDef
from zigpy.zcl.helpers import ReportingConfig

from ..protocol import metering
from .esi_endpoint import ESI_ENDPOINT, answer_coordinator_zdo, esi_source
from .exceptions import NoAnswerError, raise_if_default_response
from .smart_energy_drlc import SmartEnergyDrlc
from .smart_energy_messaging import SmartEnergyMessaging
from .smart_energy_mirror import SMART_ENERGY_PROFILE, answer_mirror_frame
from .smart_energy_price import SmartEnergyPrice
from .zha_internals import zigpy_enum8

_LOGGER = logging.getLogger(__name__)

HOME_AUTOMATION_PROFILE: Final = 0x0104


# The codec's enums as zigpy enum8s for the command schemas (one definition, in the codec).
ProfileIntervalPeriod = zigpy_enum8(metering.ProfileIntervalPeriod)
IntervalChannel = zigpy_enum8(metering.IntervalChannel)
ProfileStatus = zigpy_enum8(metering.ProfileStatus)


class ProfileIntervals(list[t.uint24_t]):
    """The intervals of a GetProfileResponse: every whole uint24 to the end of the frame.

    Devices send fewer intervals than NumberOfPeriodsDelivered announces (§2.2: "read to
    end, compare with n"); zigpy 2.4.0's length-driven list would reject those frames. A
    trailing partial interval is refused.
    """

    def serialize(self) -> bytes:
        """Return the intervals as uint24 little endian."""
        return b"".join(t.uint24_t(value).serialize() for value in self)

    @classmethod
    def deserialize(cls, data: bytes) -> tuple[ProfileIntervals, bytes]:
        """Read all remaining bytes as uint24 intervals."""
        if len(data) % 3:
            raise ValueError(
                f"GetProfileResponse: {len(data)} interval bytes is not a whole number"
                " of uint24 intervals"
            )
        return cls(
            t.uint24_t.deserialize(data[i : i + 3])[0] for i in range(0, len(data), 3)
        ), b""


class SmartEnergyMetering(CustomCluster, Metering):
    """Metering (0x0702) with the spec's commands and attribute types (zigpy 2.3.0 and 2.4.0)."""

    class AttributeDefs(Metering.AttributeDefs):
        """Corrections of zigpy 2.3.0's table (§7); ids and the rest as zigpy defines them."""

        # 0x001E is an enum8 in the spec (zigpy 2.3.0: uint48)
        current_meter_id = ZCLAttributeDef(  # type: ignore[misc]
            id=t.uint16_t(0x001E),
            type=t.enum8,
            access="r",  # type: ignore[arg-type]
            is_manufacturer_specific=False,
        )
        # UTCTime, not uint32
        current_day_max_demand_delivered_time = ZCLAttributeDef(
            id=t.uint16_t(0x0405),
            type=t.UTCTime,
            access="r",  # type: ignore[arg-type]
        )
        current_day_max_demand_received_time = ZCLAttributeDef(
            id=t.uint16_t(0x0406),
            type=t.UTCTime,
            access="r",  # type: ignore[arg-type]
        )

    class ServerCommandDefs(BaseCommandDefs):
        """Client → server commands (§2.1, §2.2)."""

        get_profile: Final = ZCLCommandDef(
            id=t.uint8_t(0x00),
            # type: ignore-next
            schema={  # type: ignore[arg-type]
                "interval_channel": IntervalChannel,
                "end_time": t.UTCTime,
                "number_of_periods": t.uint8_t,
            },
        )
        request_mirror_response: Final = ZCLCommandDef(
            id=t.uint8_t(0x01),  # type: ignore-next
            schema={"endpoint_id": t.uint16_t},  # type: ignore[arg-type]
        )
        mirror_removed: Final = ZCLCommandDef(
            id=t.uint8_t(0x02),  # type: ignore-next
            schema={"removed_endpoint_id": t.uint16_t},  # type: ignore[arg-type]
        )
        request_fast_poll_mode: Final = ZCLCommandDef(
            id=t.uint8_t(0x03),
            # type: ignore-next
            schema={"fast_poll_update_period": t.uint8_t, "duration": t.uint8_t},  # type: ignore[arg-type]
        )

    class ClientCommandDefs(BaseCommandDefs):
        """Server → client commands (§2.1, §2.2)."""

        get_profile_response: Final = ZCLCommandDef(
            id=t.uint8_t(0x00),
            # type: ignore-next
            schema={  # type: ignore[arg-type]
                "end_time": t.UTCTime,
                "status": ProfileStatus,
                "profile_interval_period": ProfileIntervalPeriod,
                "number_of_periods_delivered": t.uint8_t,
                "intervals": ProfileIntervals,
            },
        )
        # RequestMirror and RemoveMirror carry no payload (§2.2 "Mirroring"); the meter sends
        # them to the coordinator's mirror endpoints, answered in ``smart_energy_mirror``
        request_mirror: Final = ZCLCommandDef(
            id=t.uint8_t(0x01),  # type: ignore-next
            schema={},  # type: ignore[arg-type]
        )
        remove_mirror: Final = ZCLCommandDef(
            id=t.uint8_t(0x02),  # type: ignore-next
            schema={},  # type: ignore[arg-type]
        )
        request_fast_poll_mode_response: Final = ZCLCommandDef(
            id=t.uint8_t(0x03),
            # type: ignore-next
            schema={  # type: ignore[arg-type]
                "applied_update_period": t.uint8_t,
                "fast_poll_mode_end_time": t.UTCTime,
            },
        )

    async def read_profile(
        self, channel: int, end_time: int, periods: int
    ) -> metering.ProfileResponse:
        """Send GetProfile; return its GetProfileResponse through the strict codec.

        ``end_time`` is a UTCTime (0: the newest block). The answer carries the request's
        sequence number; a Default Response instead means the meter refused the command.
        """
        try:
            answer = await self.get_profile(
                interval_channel=channel,
                end_time=end_time,
                number_of_periods=periods,
            )
        except (DeliveryError, TimeoutError) as err:
            raise NoAnswerError("the meter did not answer GetProfile") from err
        raise_if_default_response(answer)
        # zigpy parsed the frame with our schema; the codec holds the rules (fewer intervals
        # than announced, 0xFFFFFF invalid, statuses) in one place
        return metering.decode_get_profile_response(answer.serialize())


class SmartEnergyZigpyDevice(CustomZigpyDevice):
    """Hears ZCL frames of Smart Energy (0x0109) endpoints (zigpy 2.3.0 drops them).

    The device's service discovery of the coordinator's Smart Energy endpoints (Match_Desc_req,
    Simple_Desc_req: ``esi_endpoint``) and a meter's frames for the mirror endpoints
    (RequestMirror, RemoveMirror, the discovery endpoint's Basic: ``smart_energy_mirror``) are
    answered first; the ESI clusters' frames leave from the ESI endpoint.
    """

    def packet_received(self, packet: t.ZigbeePacket) -> None:
        """Answer discovery and mirror frames; hand everything else to zigpy."""
        meter = has_smart_energy_meter(self)
        if answer_coordinator_zdo(self, packet, meter=meter) or (
            meter and answer_mirror_frame(self, packet)
        ):
            # heard all the same (ZHA's availability of a sleepy meter follows last_seen)
            self.last_seen = packet.timestamp
            if packet.lqi is not None:
                self.lqi = packet.lqi
            if packet.rssi is not None:
                self.rssi = packet.rssi
            return
        super().packet_received(packet)

    @override
    async def request(
        self,
        profile: int,
        cluster: int,
        src_ep: int,
        dst_ep: int,
        sequence: int,
        data: bytes,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Send from the ESI endpoint when an ESI cluster sends (``Device.reply`` too)."""
        if esi_source(self, cluster, src_ep):
            profile, src_ep = SMART_ENERGY_PROFILE, ESI_ENDPOINT
        return await super().request(
            profile, cluster, src_ep, dst_ep, sequence, data, *args, **kwargs
        )

    def custom_profile_packet_received(self, packet: t.ZigbeePacket) -> None:
        """Handle a 0x0109 frame as ZCL, like zigpy handles 0x0104."""
        if packet.profile_id == SMART_ENERGY_PROFILE:
            self.packet_received(packet.replace(profile_id=HOME_AUTOMATION_PROFILE))
            return
        super().custom_profile_packet_received(packet)


def hear_smart_energy_frames(device: zigpy.device.Device) -> None:
    """Let a device that is not on our quirk yet hear its 0x0109 frames.

    A meter whose only endpoint is a Smart Energy one answers zigpy's interview (Basic
    manufacturer and model) there; without this it is never interviewed, so no quirk can ever
    match it. Installed on every device by the integration (``zha_bridge``) before zigpy's
    interview starts.
    """
    if isinstance(device, SmartEnergyZigpyDevice) or getattr(
        device, "_hears_smart_energy", False
    ):
        return
    original = device.custom_profile_packet_received

    def received(packet: t.ZigbeePacket) -> None:
        if packet.profile_id == SMART_ENERGY_PROFILE:
            device.packet_received(packet.replace(profile_id=HOME_AUTOMATION_PROFILE))
            return
        original(packet)

    device.custom_profile_packet_received = received  # type: ignore[method-assign]
    device._hears_smart_energy = True  # type: ignore[attr-defined]  # noqa: SLF001


def has_smart_energy_meter(device: zigpy.device.Device) -> bool:
    """Return True when a 0x0109 endpoint has a Metering server."""
    return any(
        endpoint.profile_id == SMART_ENERGY_PROFILE
        and Metering.cluster_id in endpoint.in_clusters
        for endpoint_id, endpoint in device.endpoints.items()
        if endpoint_id != 0
    )


class WildcardQuirkBuilder(QuirkBuilder):
    """A QuirkBuilder matched by its filters alone, for any manufacturer and model.

    ZHA's registry keeps such entries (``applies_to`` empty) and tries them after every
    device-specific one; zhaquirks' builder insists on a model, so the entry is compiled with
    a placeholder and registered without it.
    """

    def add_to_registry(
        self, registry: DeviceRegistry | None = None
    ) -> QuirkRegistryEntry:
        """Compile the quirk and register it as a wildcard entry."""
        compiled = super().add_to_registry(registry=DeviceRegistry())
        entry = dataclasses.replace(
            compiled,
            device_match=dataclasses.replace(compiled.device_match, applies_to=()),
        )
        (registry if registry is not None else self.registry).register(entry)
        return entry


# Compiled away by WildcardQuirkBuilder: never matched against a device.
_ANY: Final = "zha_device_pack: any Smart Energy meter"


def quirks() -> list[QuirkBuilder]:
    """Return the wildcard Smart Energy meter quirk."""
    return [
        WildcardQuirkBuilder(_ANY, _ANY)
        .filter(has_smart_energy_meter)
        .zigpy_device_class(SmartEnergyZigpyDevice)
        .zha_device_class(SmartEnergyDevice)
        .replace_cluster_occurrences(SmartEnergyMetering)
        # only where the meter (ESI) has a Messaging server: nothing is added elsewhere
        .replace_cluster_occurrences(
            SmartEnergyMessaging, replace_client_instances=False
        )
        # likewise only where the meter has a Price server
        .replace_cluster_occurrences(SmartEnergyPrice, replace_client_instances=False)
        # and where it has a DRLC server
        .replace_cluster_occurrences(SmartEnergyDrlc, replace_client_instances=False)
    ]


# --- entities ----------------------------------------------------------------------------------

_READ: Final = AttrConfig(read_on_startup=True)
_SUMMATION_REPORTING: Final = AttrConfig(
    read_on_startup=True,
    reporting=ReportingConfig(min_interval=30, max_interval=900, reportable_change=1),
)
_DEMAND_REPORTING: Final = AttrConfig(
    read_on_startup=True,
    reporting=ReportingConfig(min_interval=5, max_interval=900, reportable_change=1),
)
MA: Final = SmartEnergyMetering.AttributeDefs
# Read once at configure: the formatting set, and every optional value attribute, so that a
# meter's UNSUPPORTED_ATTRIBUTE answers mark them unsupported and their entities are not made.
_METERING_CONFIG: Final[dict[int, ClusterConfig]] = {
    int(SmartEnergyMetering.cluster_id): ClusterConfig(
        bind=True,
        attributes={
            MA.current_summ_delivered.name: _SUMMATION_REPORTING,
            MA.current_summ_received.name: _SUMMATION_REPORTING,
            MA.instantaneous_demand.name: _DEMAND_REPORTING,
            MA.status.name: _SUMMATION_REPORTING,
            MA.unit_of_measure.name: _READ,
            MA.multiplier.name: _READ,
            MA.divisor.name: _READ,
            MA.summation_formatting.name: _READ,
            MA.demand_formatting.name: _READ,
            MA.metering_device_type.name: _READ,
            MA.fast_poll_update_period.name: _READ,
            MA.historical_consumption_formatting.name: _READ,
            # the profile's interval period and block size, for the history import
            MA.profile_interval_period.name: _READ,
            MA.max_number_of_periods_delivered.name: _READ,
            # reported like a summation: today's grows, and both roll over at the meter's
            # midnight (its Historical Freeze Time), which HA cannot know to poll at
            MA.currentday_consumption_delivered.name: _SUMMATION_REPORTING,
            MA.previousday_consumption_delivered.name: _SUMMATION_REPORTING,
            # every tier is probed once; reporting for the first six, as ZHA configures
            **{
                f"current_tier{tier}_summ_{direction}": (
                    _SUMMATION_REPORTING if tier <= 6 else _READ
                )
                for tier in range(1, 16)
                for direction in ("delivered", "received")
            },
        },
    )
}


class MeterSensor(Sensor):
    """A Metering value in the meter's own unit (``protocol.metering``), not ZHA's guesses.

    ZHA's own metering sensors ignore summation_formatting for kWh (zha#2781), leave BCD
    units unmapped and need an HA-profile endpoint; these read the formatting attributes
    through the spec's rule and map unit and device type to HA's classes.
    """

    _cluster_id = SmartEnergyMetering.cluster_id
    _server_cluster_config = _METERING_CONFIG
    #: Summations and demand use different formatting bytes and HA classes.
    _demand: bool = False
    #: The formatting attribute of this value (§1.4: 0x0303 summations, 0x0304 demand,
    #: 0x0305 historical consumption).
    _formatting_attribute: str = "summation_formatting"

    def is_supported(self) -> bool:
        """Return False for an attribute the meter answered UNSUPPORTED_ATTRIBUTE for.

        Quirk entities count as always supported in ZHA; a meter's optional values (received
        summation, demand) exist only when the meter has them.
        """
        return self._is_supported()

    def _format(self) -> metering.MeteringFormat | None:
        cluster = self._cluster
        unit = cluster.get(MA.unit_of_measure.name)
        if unit is None:
            return None
        return _meter_format(
            int(unit),
            int(cluster.get(MA.metering_device_type.name) or 0),
            int(cluster.get(self._formatting_attribute) or 0),
            _optional_int(cluster.get(MA.multiplier.name)),
            _optional_int(cluster.get(MA.divisor.name)),
        )

    def recompute_capabilities(self) -> None:
        """Take unit, device class and precision from the meter's formatting attributes."""
        super().recompute_capabilities()
        if (fmt := self._format()) is None:
            return
        unit = metering.unit_for(fmt.unit_of_measure, fmt.device_type)
        device_class = unit.demand_device_class if self._demand else unit.device_class
        self._attr_device_class = (
            None if device_class is None else SensorDeviceClass(device_class)
        )
        self._attr_native_unit_of_measurement = (
            unit.demand_unit if self._demand else unit.unit
        )
        self._attr_suggested_display_precision = metering.display_precision(
            fmt.formatting
        )

    def formatter(self, value: Any) -> float | None:
        """Return the raw value in the meter's unit (formatting byte: precision only)."""
        if (fmt := self._format()) is None:
            return None
        unit = _meter_unit(fmt.unit_of_measure, fmt.device_type)
        try:
            number = metering.format_value(int(value), fmt, signed24=self._demand)
        except metering.MeteringError:
            _LOGGER.debug(
                "%s: unreadable %s=%r", self.device.ieee, self._attribute_name, value
            )
            return None
        return float(number * (unit.demand_scale if self._demand else unit.scale))


class MeterSummation(MeterSensor):
    """A summation (delivered, received, tier): total increasing, for the Energy dashboard."""

    _attr_state_class = SensorStateClass.TOTAL_INCREASING


class MeterDemand(MeterSensor):
    """InstantaneousDemand (signed int24, negative while exporting)."""

    _attr_state_class = SensorStateClass.MEASUREMENT
    _demand = True
    _formatting_attribute = MA.demand_formatting.name


class MeterDayConsumption(MeterSensor):
    """Today's / yesterday's consumption (0x0401 / 0x0403), HistoricalConsumptionFormatting."""

    _attr_state_class = SensorStateClass.TOTAL
    _formatting_attribute = MA.historical_consumption_formatting.name


class MeterStatusFlag(BinarySensor):
    """One bit of the meter Status (0x0200), named in the meter's device-type layout (§1.3).

    Entities for every name any layout has are discovered; those the meter's device type does
    not have are dropped once the device type is known.
    """

    _attribute_name = MA.status.name
    _cluster_id = SmartEnergyMetering.cluster_id
    _server_cluster_config = _METERING_CONFIG

    def __init__(self, *args: Any, flag: str, **kwargs: Any) -> None:
        """Follow the Status bit called ``flag``."""
        self._flag = flag
        super().__init__(*args, **kwargs)

    def _device_type(self) -> int | None:
        value = self._cluster.get(MA.metering_device_type.name)
        return None if value is None else int(value)

    def is_supported(self) -> bool:
        """Return True when the meter's device type has this bit and Status is supported."""
        device_type = self._device_type()
        return (
            device_type is not None
            and self._flag in metering.status_flag_names(device_type)
            and not self._cluster.is_attribute_unsupported(MA.status.name)
        )

    @property
    def is_on(self) -> bool:
        """Return True while the meter sets this Status bit."""
        status = self._cluster.get(MA.status.name)
        device_type = self._device_type()
        if status is None or device_type is None:
            return False
        return self._flag in metering.status_flags(int(status), device_type)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


@functools.lru_cache(maxsize=64)
def _meter_format(
    unit: int,
    device_type: int,
    formatting: int,
    multiplier: int | None,
    divisor: int | None,
) -> metering.MeteringFormat:
    # every report of a meter has the same formatting attributes: check them once (P2)
    return metering.MeteringFormat(unit, device_type, formatting, multiplier, divisor)


@functools.lru_cache(maxsize=64)
def _meter_unit(unit: int, device_type: int) -> metering.MeteringUnit:
    return metering.unit_for(unit, device_type)


# (attribute, entity class, unique id suffix / translation key, fallback name)
_METER_ENTITIES: Final[tuple[tuple[str, type[MeterSensor], str, str], ...]] = (
    (
        MA.current_summ_delivered.name,
        MeterSummation,
        "summation_delivered",
        "Summation delivered",
    ),
    (
        MA.current_summ_received.name,
        MeterSummation,
        "summation_received",
        "Summation received",
    ),
    (
        MA.instantaneous_demand.name,
        MeterDemand,
        "instantaneous_demand",
        "Instantaneous demand",
    ),
    (
        MA.currentday_consumption_delivered.name,
        MeterDayConsumption,
        "today_delivered",
        "Today's consumption",
    ),
    (
        MA.previousday_consumption_delivered.name,
        MeterDayConsumption,
        "yesterday_delivered",
        "Yesterday's consumption",
    ),
    # TOU tiers: Delivered and Received interleaved from 0x0100 (§1.2)
    *(
        (
            f"current_tier{tier}_summ_{direction}",
            MeterSummation,
            f"tier{tier}_summation_{direction}",
            f"Tier {tier} summation {direction}",
        )
        for tier in range(1, 16)
        for direction in ("delivered", "received")
    ),
)


class SmartEnergyDevice(QuirkV2Device):
    """The ZHA device of a Smart Energy meter: our meter entities on every 0x0109 endpoint."""

    def discover_entities(self) -> Iterator[BaseEntity]:
        """Yield the default and quirk entities, then the meter's values."""
        yield from super().discover_entities()
        for endpoint_id, endpoint in self.endpoints.items():
            if endpoint_id == 0:
                continue
            zigpy_endpoint = endpoint.zigpy_endpoint
            cluster = zigpy_endpoint.in_clusters.get(SmartEnergyMetering.cluster_id)
            if zigpy_endpoint.profile_id != SMART_ENERGY_PROFILE or not isinstance(
                cluster, SmartEnergyMetering
            ):
                continue
            for attribute, entity_class, key, name in _METER_ENTITIES:
                yield entity_class(
                    endpoint=endpoint,
                    device=self,
                    cluster=cluster,
                    attribute_name=attribute,
                    from_quirk=True,
                    unique_id_suffix=key,
                    translation_key=key,
                    fallback_name=name,
                )
            for flag in sorted(metering.all_status_flag_names()):
                yield MeterStatusFlag(
                    endpoint=endpoint,
                    device=self,
                    cluster=cluster,
                    flag=flag,
                    from_quirk=True,
                    unique_id_suffix=f"status_{flag}",
                    translation_key=f"status_{flag}",
                    fallback_name=flag.replace("_", " ").capitalize(),
                    entity_type=EntityType.DIAGNOSTIC,
                    device_class=BinarySensorDeviceClass.PROBLEM,
                )
