"""Danfoss Ally eTRV (and its Popp and Hive twins): zha-quirks' clusters plus what stock lacks.

Source: Danfoss "Ally eTRV1.20 and 0.20 Zigbee Cluster Specification" (AM375549618098en-000103)
and the research notes ``danfoss_specifics.md`` (§ numbers below). zha-quirks' Danfoss cluster
classes are reused, not forked: the attribute tables, the split of manufacturer-specific and
standard records, the ``danfoss.ally_thermostat`` feature that gates every Danfoss entity ZHA
creates. On top of them this quirk adds:

- the programming operation mode (0x0025) as a select (§4: bit 0 schedule, bit 1 preheat per
  Danfoss's programming guide, bit 2 ZCL "economy" as Zigbee2MQTT maps it);
- the Diagnostics counters (wake time, sleep postponed, control diagnostics frequency) as
  diagnostic entities, disabled by default;
- load room mean (0x4040) up to 3600, the range of the load estimate it averages (§1; ZHA's own
  number entity stops at 2000) under the same unique id;
- a setpoint path that chooses the 0x40 setpoint command's type per call (§5: type 1 "large
  movement", type 0 "the same as setting the attribute", i.e. following 0x4020's time
  constant) — zha-quirks always sends type 1;
- Time cluster writes with a caller-given time zone and its DST rules (§6). zha-quirks 2.3.0
  writes ``time.timezone`` (seconds *west* of UTC: the sign inverted), no DST, the process's zone
  and only at bind; here nothing is written at bind and the integration writes the values of
  Home Assistant's zone (``protocol.zcl_time``) when the TRV needs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
import logging
from typing import Any, Final, cast
from zoneinfo import ZoneInfo

from zha.quirks import DANFOSS_ALLY_THERMOSTAT
from zhaquirks.builder import EntityType, QuirkBuilder
from zhaquirks.danfoss.thermostat import (
    DANFOSS,
    HIVE,
    POPP,
    DanfossDiagnosticCluster,
    DanfossSetpointCommandEnum,
    DanfossThermostatCluster,
    DanfossTimeCluster,
    DanfossUserInterfaceCluster,
)
from zigpy import types as t
from zigpy.exceptions import DeliveryError
from zigpy.zcl import Cluster, foundation
from zigpy.zcl.clusters.hvac import Thermostat

from ..protocol import thermostat_schedule, zcl_time
from .exceptions import CommandRefusedError, NoAnswerError, raise_if_default_response

_LOGGER = logging.getLogger(__name__)

#: Danfoss A/S manufacturer code, on every Danfoss attribute and command [SPEC p.4].
MANUFACTURER_CODE: Final = 0x1246
MODELS: Final = (
    (DANFOSS, "eTRV0100"),
    (DANFOSS, "eTRV0101"),
    (DANFOSS, "eTRV0103"),
    (POPP, "eT093WRO"),
    (POPP, "eT093WRG"),
    (HIVE, "TRV001"),
    (HIVE, "TRV003"),
)
#: 0x4015 / 0x4040: "-8000 disables the function" [SPEC p.5].
FUNCTION_OFF: Final = -8000
#: 0x404A / 0x4040 upper bound in Danfoss's programming guide (§1).
LOAD_MAX: Final = 3600
NO_ANSWER: Final = (
    "The radiator thermostat did not answer. It only listens when it polls its parent "
    "(every 7 s) and may be out of reach"
)


class ProgrammingOperationMode(t.enum8):
    """0x0025 values as a select: bit 0 schedule, bit 1 preheat, bit 2 economy (§4)."""

    Setpoint = 0x00
    Schedule = 0x01
    Schedule_with_preheat = 0x03
    Eco = 0x04


def _check_status(status: Any) -> None:
    if status is not foundation.Status.SUCCESS:
        raise CommandRefusedError(foundation.Status(status))


def check_write_result(result: Any) -> None:
    """Raise ``CommandRefusedError`` unless every record of a Write Attributes answer is SUCCESS."""
    for record in result[0]:
        _check_status(record.status)


async def write_attributes(
    cluster: Cluster, attributes: Mapping[str, Any], *, manufacturer: int | None = None
) -> None:
    """Write ``attributes``; a refusal or no answer raises our quirk errors.

    Danfoss attributes go in a frame with the 0x1246 code, standard ones without it: the TRV
    answers UNSUPPORTED_ATTRIBUTE for an id of the other kind (§8), so callers write one kind
    per call (zha-quirks' clusters split reads and reporting, not writes).
    """
    try:
        result = await cluster.write_attributes(
            cast("dict[str | int | foundation.ZCLAttributeDef, Any]", dict(attributes)),
            manufacturer=MANUFACTURER_CODE if manufacturer is None else manufacturer,
        )
    except (DeliveryError, TimeoutError) as err:
        raise NoAnswerError(NO_ANSWER) from err
    check_write_result(result)


class AllyThermostatCluster(DanfossThermostatCluster):
    """zha-quirks' Danfoss thermostat cluster with a choice of setpoint command type."""

    async def bind(self, **kwargs: Any) -> Any:
        """Bind without zha-quirks' time write (wrong zone sign, no DST): we write it later."""
        return await super(DanfossThermostatCluster, self).bind(**kwargs)

    async def set_setpoint(self, setpoint: int, *, fast: bool) -> None:
        """Send the 0x40 setpoint command (0.01 °C): type 1 if ``fast``, else type 0.

        Type 1 makes "a large movement to minimize reaction time to UI" and cancels an
        adaptation run; type 0 behaves like writing OccupiedHeatingSetpoint, following the
        0x4020 time constant [SPEC p.3]. The cache follows on success (the TRV also reports).
        """
        kind = (
            DanfossSetpointCommandEnum.User_interaction
            if fast
            else DanfossSetpointCommandEnum.Schedule
        )
        try:
            result = await self.setpoint_command(
                kind, setpoint, manufacturer=MANUFACTURER_CODE
            )
        except (DeliveryError, TimeoutError) as err:
            raise NoAnswerError(NO_ANSWER) from err
        _check_status(result[1])
        self.update_attribute(
            Thermostat.AttributeDefs.occupied_heating_setpoint.id, setpoint
        )

    async def write_danfoss(self, attributes: Mapping[str, Any]) -> None:
        """Write Danfoss (0x1246) attributes of this cluster by name."""
        await write_attributes(self, attributes)

    async def write_standard(self, attributes: Mapping[str, Any]) -> None:
        """Write standard ZCL attributes of this cluster by name (no manufacturer code)."""
        await write_attributes(self, attributes, manufacturer=None)

    async def push_day_schedule(
        self, days: int, transitions: thermostat_schedule.DaySchedule
    ) -> None:
        """Send one SetWeeklySchedule (ZCL 0x01) for ``days`` (bit 0 Sunday)."""
        args = thermostat_schedule.set_weekly_schedule_args(days, transitions)
        await self._command(Thermostat.ServerCommandDefs.set_weekly_schedule.id, **args)

    async def clear_schedule(self) -> None:
        """Send ClearWeeklySchedule (ZCL 0x03): "Deletes all schedule events"."""
        await self._command(Thermostat.ServerCommandDefs.clear_weekly_schedule.id)

    async def read_day_schedule(self, day_bit: int) -> thermostat_schedule.DaySchedule:
        """Read one day's transitions (one day per request: §4, multi-day answers undocumented).

        The TRV answers GetWeeklySchedule with a GetWeeklyScheduleResponse (client command
        0x00) carrying the request's sequence number, or with a Default Response on error.
        """
        try:
            response = await self.get_weekly_schedule(
                days_to_return=1 << day_bit,
                mode_to_return=thermostat_schedule.MODE_HEAT,
            )
        except (DeliveryError, TimeoutError) as err:
            raise NoAnswerError(NO_ANSWER) from err
        raise_if_default_response(response)
        days, transitions = thermostat_schedule.day_schedule_from_response(response)
        if days != 1 << day_bit:
            raise thermostat_schedule.ScheduleDecodeError(
                f"asked for day bit {day_bit}, the answer is for days 0x{days:02x}"
            )
        return transitions

    async def _command(self, command_id: int, **kwargs: Any) -> None:
        try:
            result = await self.command(command_id, **kwargs)
        except (DeliveryError, TimeoutError) as err:
            raise NoAnswerError(NO_ANSWER) from err
        _check_status(result[1])


class AllyTimeCluster(DanfossTimeCluster):
    """The TRV's Time *server*, written by the gateway (§6): nothing at bind, our zone on demand."""

    async def bind(self, **kwargs: Any) -> Any:
        """Bind only: the integration writes the time with Home Assistant's zone."""
        return await super(DanfossTimeCluster, self).bind(**kwargs)

    async def write_time(self, zone: tzinfo | None = None) -> None:
        """Write Time, TimeStatus (synchronized), TimeZone and DST of ``zone`` (UTC if None)."""
        if not isinstance(zone, ZoneInfo):
            zone = ZoneInfo("UTC")  # zha-quirks' callers pass no zone
        values = zcl_time.danfoss_time_attributes(zone, datetime.now(UTC))
        await write_attributes(self, values.as_attributes(), manufacturer=None)


def _is_stock_load_room_mean(entity: Any) -> bool:
    # By name, not by import: the removal also sees our own number (same unique id), and a
    # zha release that renames the class must not break the whole quirk at import.
    return type(entity).__name__ == "DanfossLoadRoomMean"


def quirks() -> list[QuirkBuilder]:
    """Return the Ally quirk: ahead of zha-quirks' ``DanfossThermostat`` for the same models."""
    builder = QuirkBuilder(*MODELS[0])
    for manufacturer, model in MODELS[1:]:
        builder = builder.applies_to(manufacturer, model)
    diagnostics = DanfossDiagnosticCluster.AttributeDefs
    builder = (
        builder.replaces(AllyTimeCluster, endpoint_id=1)
        .replaces(AllyThermostatCluster, endpoint_id=1)
        .replaces(DanfossUserInterfaceCluster, endpoint_id=1)
        .replaces(DanfossDiagnosticCluster, endpoint_id=1)
        .exposes_feature(DANFOSS_ALLY_THERMOSTAT)
        .enum(
            Thermostat.AttributeDefs.programing_oper_mode.name,
            ProgrammingOperationMode,
            Thermostat.cluster_id,
            translation_key="programming_operation_mode",
            fallback_name="Programming operation mode",
        )
        .prevent_default_entity_creation(
            endpoint_id=1,
            cluster_id=Thermostat.cluster_id,
            function=_is_stock_load_room_mean,
        )
        .number(
            DanfossThermostatCluster.AttributeDefs.load_room_mean.name,
            Thermostat.cluster_id,
            min_value=FUNCTION_OFF,
            max_value=LOAD_MAX,
            step=1,
            mode="box",
            # stock's unique id ("<ieee>-1-513-load_room_mean"): the user's entity stays
            unique_id_suffix=f"{Thermostat.cluster_id}-load_room_mean",
            translation_key="load_room_mean",
            fallback_name="Load room mean",
        )
        .number(
            diagnostics.control_diagnostics_frequency.name,
            DanfossDiagnosticCluster.cluster_id,
            min_value=0,
            max_value=0xFFFF,
            step=1,
            mode="box",
            initially_disabled=True,
            translation_key="control_diagnostics_frequency",
            fallback_name="Control diagnostics frequency",
        )
    )
    for attribute, name in (
        (diagnostics.wake_time_avg, "Wake time average"),
        (diagnostics.wake_time_max_duration, "Wake time maximum"),
        (diagnostics.wake_time_min_duration, "Wake time minimum"),
        (diagnostics.sleep_postponed_count_avg, "Sleep postponed average"),
        (diagnostics.sleep_postponed_count_max, "Sleep postponed maximum"),
        (diagnostics.sleep_postponed_count_min, "Sleep postponed minimum"),
    ):
        builder = builder.sensor(
            attribute.name,
            DanfossDiagnosticCluster.cluster_id,
            entity_type=EntityType.DIAGNOSTIC,
            initially_disabled=True,
            suggested_display_precision=0,
            translation_key=attribute.name,
            fallback_name=name,
        )
    return [builder]
