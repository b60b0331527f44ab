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

import dataclasses
from typing import Final

from zha.quirks import DeviceRegistry, QuirkRegistryEntry
from zhaquirks.builder import QuirkBuilder
from zhaquirks.clusters import CustomCluster
from zhaquirks.device import CustomZigpyDevice
from zigpy import types as t
import zigpy.device
from zigpy.zcl.clusters.smartenergy import Metering
from zigpy.zcl.foundation import BaseCommandDefs, ZCLAttributeDef, ZCLCommandDef

SMART_ENERGY_PROFILE: Final = 0x0109
HOME_AUTOMATION_PROFILE: Final = 0x0104


class ProfileIntervalPeriod(t.enum8):
    """ProfileIntervalPeriod (attribute 0x000F and GetProfileResponse), §2.2."""

    Daily = 0x00
    Minutes_60 = 0x01
    Minutes_30 = 0x02
    Minutes_15 = 0x03
    Minutes_10 = 0x04
    Minutes_7_5 = 0x05
    Minutes_5 = 0x06
    Minutes_2_5 = 0x07
    Minutes_1 = 0x08  # SE 1.4 (ZP24, ESP); older stacks stop at 0x07


class IntervalChannel(t.enum8):
    """GetProfile IntervalChannel, §2.2 (2 and 3: SE 1.4 reactive channels)."""

    Consumption_delivered = 0x00
    Consumption_received = 0x01
    Reactive_consumption_delivered = 0x02
    Reactive_consumption_received = 0x03


class ProfileStatus(t.enum8):
    """GetProfileResponse Status, §2.2."""

    Success = 0x00
    Undefined_interval_channel = 0x01
    Interval_channel_not_supported = 0x02
    Invalid_end_time = 0x03
    More_periods_than_can_be_returned = 0x04
    No_intervals_available = 0x05


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


class SmartEnergyZigpyDevice(CustomZigpyDevice):
    """Hears ZCL frames of Smart Energy (0x0109) endpoints (zigpy 2.3.0 drops them)."""

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
        .replace_cluster_occurrences(SmartEnergyMetering)
    ]
