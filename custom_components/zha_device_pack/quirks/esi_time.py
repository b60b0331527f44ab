"""The ESI's Time server (0x000A) for the home's Smart Energy clients.

"Clocks in a Smart Energy network are synchronized using the time cluster, with the ESI
acting as the server and clock master. Devices which rely on time can query the ESI and
synchronize their clocks with the ESI" (seed 001 §9.1). A client reads the Time attributes;
zigpy hands that Read Attributes to the device's Time *client* cluster object (dispatch by
source endpoint), which this class replaces and answers from zigpy's
``handle_read_attribute_<name>`` hooks.

zigpy's own hooks use the process' local zone; Home Assistant's zone is the one the user
set, so the zone is handed over by the integration (``set_time_zone``, at start and whenever
HA's time zone changes); this module imports nothing of Home Assistant.

Values (ZCL §3.12.2.2):

- Time: UTCTime now.
- TimeStatus: Master | MasterZoneDst (0x05). Master: HA's clock is the network's time
  standard (seed 001 §9.1: the ESI is the "clock master"). MasterZoneDst: TimeZone and the
  DST attributes are set internally, from HA's zone. Synchronized is *not* set: ZCL
  §3.12.2.2.2 says "If the Master bit is 1, the value of [the Synchronized bit] is 0" (quoted
  by Digi's XBee ZCL library, whose time server also reports Master alone; zigpy's default
  hook reports Master | MasterZoneDst too). Without a zone (not handed over yet) only Master.
  Superseding is not claimed: no source says an ESI must set it.
- TimeZone, DstStart, DstEnd, DstShift: ``protocol.zcl_time``'s plan for HA's zone (the
  standard offset east of UTC, the DST stretch of the current UTC year, DstEnd its last
  second, the shift 3600 s). Its rules follow the ZCL's own formula, so they fit SE clients;
  its Danfoss-only choice, TimeStatus 0x02, is replaced as above. Its other Danfoss
  restriction, a DST shift of exactly one hour, leaves zones with another shift
  (Australia/Lord_Howe: 30 min) at "the offset in force, no DST": LocalTime is right when
  read and a client that reads again after the change is right again.
- StandardTime = Time + TimeZone; LocalTime = StandardTime + DstShift while
  DstStart <= Time <= DstEnd (ZCL §3.12.2.2.7/8): the zone's wall clock.

Without a zone TimeZone and DstShift are 0 and the DST stretch empty: LocalTime is UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Final

from zhaquirks.clusters import CustomCluster
from zigpy import types as t
from zigpy.zcl.clusters.general import Time, TimeStatus

from ..protocol.zcl_time import (
    ZclTimeAttributes,
    ZclTimeError,
    danfoss_time_attributes,
    zcl_seconds,
)
from .esi_endpoint import EsiEndpointMixin

TIME_STATUS_WITH_ZONE: Final = TimeStatus.Master | TimeStatus.Master_for_Zone_and_DST
TIME_STATUS_WITHOUT_ZONE: Final = TimeStatus.Master

_zone: tzinfo | None = None


def set_time_zone(zone: tzinfo | None) -> None:
    """Use ``zone`` (Home Assistant's) for every Time server; None: UTC, no zone claimed."""
    global _zone  # noqa: PLW0603 - the one zone of the process' HA, handed over by it
    _zone = zone


def time_zone() -> tzinfo | None:
    """Return the zone the Time servers use (None: none handed over)."""
    return _zone


def _now() -> datetime:
    return datetime.now(UTC)


def time_attributes(now: datetime) -> ZclTimeAttributes:
    """Return the Time server's values at ``now`` for the handed-over zone."""
    if _zone is not None:
        try:
            plan = danfoss_time_attributes(_zone, now)
        except ZclTimeError:
            pass
        else:
            return ZclTimeAttributes(
                time=plan.time,
                time_status=int(TIME_STATUS_WITH_ZONE),
                time_zone=plan.time_zone,
                dst_start=plan.dst_start,
                dst_end=plan.dst_end,
                dst_shift=plan.dst_shift,
            )
    seconds = zcl_seconds(now)
    return ZclTimeAttributes(
        time=seconds,
        time_status=int(TIME_STATUS_WITHOUT_ZONE),
        time_zone=0,
        dst_start=0,
        dst_end=0,
        dst_shift=0,
    )


def standard_time(values: ZclTimeAttributes) -> int:
    """Return StandardTime: Time + TimeZone."""
    return values.time + values.time_zone


def local_time(values: ZclTimeAttributes) -> int:
    """Return LocalTime: StandardTime, + DstShift while DstStart <= Time <= DstEnd."""
    in_dst = values.dst_start <= values.time <= values.dst_end
    return standard_time(values) + (values.dst_shift if in_dst else 0)


class EsiTime(EsiEndpointMixin, CustomCluster, Time):
    """A device's Time client: HA answers its reads as the ESI's Time server."""

    def handle_read_attribute_time(self) -> t.UTCTime:
        """Return UTCTime now."""
        return t.UTCTime(time_attributes(_now()).time)

    def handle_read_attribute_time_status(self) -> TimeStatus:
        """Return Master | MasterZoneDst (Master alone without HA's zone)."""
        return TimeStatus(time_attributes(_now()).time_status)

    def handle_read_attribute_time_zone(self) -> t.int32s:
        """Return HA's standard offset, seconds east of UTC."""
        return t.int32s(time_attributes(_now()).time_zone)

    def handle_read_attribute_dst_start(self) -> t.uint32_t:
        """Return the start of this year's DST stretch (UTCTime)."""
        return t.uint32_t(time_attributes(_now()).dst_start)

    def handle_read_attribute_dst_end(self) -> t.uint32_t:
        """Return the last second of this year's DST stretch (UTCTime)."""
        return t.uint32_t(time_attributes(_now()).dst_end)

    def handle_read_attribute_dst_shift(self) -> t.int32s:
        """Return the DST shift in seconds."""
        return t.int32s(time_attributes(_now()).dst_shift)

    def handle_read_attribute_standard_time(self) -> t.StandardTime:
        """Return Time + TimeZone."""
        return t.StandardTime(standard_time(time_attributes(_now())))

    def handle_read_attribute_local_time(self) -> t.LocalTime:
        """Return HA's wall clock as seconds since 2000-01-01."""
        return t.LocalTime(local_time(time_attributes(_now())))
