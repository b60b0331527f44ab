"""Tuya TS0049 water valve, family A (``_TZ3000_…``): OnOff + private cluster 0xE001.

Datasheet: Tuya "Water Valve" Zigbee protocol (seed 004). On/off (DP1) stays on the standard
OnOff cluster and the battery (DP7) on PowerConfiguration 0x0021. Everything else travels
through the private cluster 0xE001: the device reports data points through attribute 0xD040
(byte 0 the DP id, then the DP data, big-endian) and takes commands 0xFE (DP10 weather delay,
DP11 irrigation time), 0xFD (DP16 cycle irrigation) and 0xFC (DP17 scheduled irrigation).

The ``_TZ3210_`` "Rain Seer" TS0049 family speaks Tuya's 0xEF00 protocol instead and is
handled by zha-quirks; the filter below only matches devices that have the 0xE001 in-cluster.

Users of an earlier community quirk reported that the valve stopped actuating on OnOff once
0xE001 was replaced (zha-device-handlers #3316). This quirk therefore leaves the OnOff cluster
and its binding/reporting exactly as ZHA configures them for the unquirked valve: the valve
entity below declares the same cluster configuration as ZHA's own switch and sends the same
commands, and nothing on 0xE001 is bound, configured or read at join (its values arrive as
the device's own reports). ``tests/test_ts0049_onoff_identity.py`` compares the frames.

Seed 004 documents no way to ask the valve for DP4/10/11/12/15 (the 0x03 "data query" is a
command of Tuya's 0xEF00 MCU cluster, which this family does not have; DP16/DP17 have their
own query, sent by the irrigation family at join). The valve reports its DPs by itself when
it joins or powers up, as Tuya asks of its sub-devices; on a fresh join those reports come
while zigpy still interviews the valve, and zigpy drops frames of a device it has not
initialized. ``JoinReports`` keeps them and hands them to the valve's cluster once the quirk
applies, so a joined valve shows its own settings at once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterator
import logging
from typing import TYPE_CHECKING, Any, Final, cast

from zha.application.platforms import BaseEntity
from zha.application.platforms.binary_sensor import BinarySensor
from zha.application.platforms.switch import Switch
from zha.application.platforms.valve import BaseValve
from zha.application.platforms.valve.const import ValveDeviceClass
from zha.exceptions import ZHAException
from zha.units import UnitOfTime
from zhaquirks.builder import (
    BinarySensorDeviceClass,
    EntityPlatform,
    EntityType,
    NumberDeviceClass,
    QuirkBuilder,
    SensorDeviceClass,
)
from zhaquirks.builder.device import QuirkV2Device
from zhaquirks.builder.metadata import QuirkDefinition
from zhaquirks.clusters import CustomCluster
from zigpy import types as t
import zigpy.device
from zigpy.exceptions import DeliveryError
from zigpy.profiles import zha as zha_profile
from zigpy.typing import UNDEFINED, UndefinedType
from zigpy.zcl import Cluster, foundation
from zigpy.zcl.clusters.general import OnOff
from zigpy.zcl.foundation import (
    BaseAttributeDefs,
    BaseCommandDefs,
    Status,
    ZCLAttributeDef,
    ZCLCommandDef,
)

from ..protocol import irrigation_program as programs, tuya_dp
from .exceptions import CommandRefusedError, NoAnswerError
from .zha_internals import stock_switch_cluster_config, values_kept_by_id, zigpy_enum8

if TYPE_CHECKING:
    from zha.application.gateway import Gateway

_LOGGER = logging.getLogger(__name__)

MODEL: Final = "TS0049"
# Family A manufacturer names (0xE001 devices) from the seed, Zigbee2MQTT and ZHA issues.
MANUFACTURERS: Final = (
    "_TZ3000_kz1anoi8",
    "_TZ3000_gjpgagal",
    "_TZ3000_cjfmu5he",
    "_TZ3000_mq4wujmp",
    "_TZ3000_l6web2ir",
    "_TZ3000_5af5r192",
    "_TZ3000_ogjpfoyn",
    "_TZ3000_hwnphliv",
    "_TZ3000_srldgdxz",
)
FRIENDLY_MODEL: Final = "TS0049 water valve"
ANSWER_TIMEOUT: Final = 10.0
NO_ANSWER: Final = (
    "The valve did not answer. Battery valves only listen when they wake up; "
    "try again shortly."
)


# Frames kept per joining device (`JoinReports`): the valve's join report is five.
KEPT_JOIN_FRAMES: Final = 16
REPORT_ATTRIBUTES: Final = foundation.GENERAL_COMMANDS[
    foundation.GeneralCommand.Report_Attributes
].schema

# ZHA's select options and sensor states: the protocol's names, as zigpy enums.
WeatherDelay = zigpy_enum8(tuya_dp.WeatherDelay)
WorkState = zigpy_enum8(tuya_dp.WorkState)


async def switch_valve(on_off: Cluster, *, is_open: bool) -> None:
    """Open or close the valve with OnOff on/off, exactly as ZHA's switch sends them.

    The valve reports its new state, but ZHA's switch updates its cache from the command's
    success already; so does this, so the valve entity follows at once.
    """
    try:
        result = await (on_off.on() if is_open else on_off.off())
    except (DeliveryError, TimeoutError) as err:
        raise NoAnswerError(NO_ANSWER) from err
    if result[1] is not Status.SUCCESS:
        raise CommandRefusedError(result[1])
    on_off.update_attribute(
        OnOff.AttributeDefs.on_off.id, t.Bool.true if is_open else t.Bool.false
    )


class TuyaIrrigationCluster(CustomCluster):
    """Private cluster 0xE001: DP reports through 0xD040, commands 0xFE / 0xFD / 0xFC.

    The decoded attributes are the quirk's public contract; they only ever change when the
    device reports (nothing here is read from the device). ``cycle_irrigation`` and
    ``scheduled_irrigation`` hold the program list exactly as the device reported it (version
    byte + entries); ``cycle_programs`` / ``scheduled_programs`` decode it.
    """

    cluster_id = t.uint16_t(tuya_dp.TUYA_PRIVATE_CLUSTER_ID)
    name = "Tuya irrigation"
    ep_attribute = "tuya_irrigation"

    class AttributeDefs(BaseAttributeDefs):
        """0xD040 on the wire; the others are decoded from it (ids 0xEFxx, the DP in the low byte)."""

        raw_dp: Final = ZCLAttributeDef(
            id=t.uint16_t(tuya_dp.RAW_DP_ATTRIBUTE_ID), type=t.LVBytes
        )
        fault: Final = ZCLAttributeDef(
            id=t.uint16_t(0xEF04), type=t.uint8_t, is_manufacturer_specific=True
        )
        weather_delay: Final = ZCLAttributeDef(
            id=t.uint16_t(0xEF0A), type=WeatherDelay, is_manufacturer_specific=True
        )
        irrigation_time: Final = ZCLAttributeDef(
            id=t.uint16_t(0xEF0B), type=t.uint32_t, is_manufacturer_specific=True
        )
        work_state: Final = ZCLAttributeDef(
            id=t.uint16_t(0xEF0C), type=WorkState, is_manufacturer_specific=True
        )
        once_using_time: Final = ZCLAttributeDef(
            id=t.uint16_t(0xEF0F), type=t.uint32_t, is_manufacturer_specific=True
        )
        cycle_irrigation: Final = ZCLAttributeDef(
            id=t.uint16_t(0xEF10), type=t.LVBytes, is_manufacturer_specific=True
        )
        scheduled_irrigation: Final = ZCLAttributeDef(
            id=t.uint16_t(0xEF11), type=t.LVBytes, is_manufacturer_specific=True
        )

    class ServerCommandDefs(BaseCommandDefs):
        """Payloads are the raw DP bytes of the seed (no length prefix)."""

        irrigation_setting: Final = ZCLCommandDef(
            id=t.uint8_t(tuya_dp.IRRIGATION_SETTING_COMMAND_ID),
            schema={"data": t.SerializableBytes},  # type: ignore[arg-type]
            is_manufacturer_specific=False,
        )
        cycle_irrigation_program: Final = ZCLCommandDef(
            id=t.uint8_t(tuya_dp.CYCLE_IRRIGATION_COMMAND_ID),
            schema={"data": t.SerializableBytes},  # type: ignore[arg-type]
            is_manufacturer_specific=False,
        )
        scheduled_irrigation_program: Final = ZCLCommandDef(
            id=t.uint8_t(tuya_dp.SCHEDULED_IRRIGATION_COMMAND_ID),
            schema={"data": t.SerializableBytes},  # type: ignore[arg-type]
            is_manufacturer_specific=False,
        )

    _DP_ATTRIBUTES: Final = {
        tuya_dp.FaultReport: ("fault", lambda r: r.fault),
        tuya_dp.WeatherDelayReport: (
            "weather_delay",
            lambda r: WeatherDelay(int(r.delay)),
        ),
        tuya_dp.IrrigationTimeReport: ("irrigation_time", lambda r: r.seconds),
        tuya_dp.WorkStateReport: ("work_state", lambda r: WorkState(int(r.state))),
        tuya_dp.OnceUsingTimeReport: ("once_using_time", lambda r: r.seconds),
    }

    # How long to wait for the valve's answer; a class attribute so tests can shorten it.
    answer_timeout: float = ANSWER_TIMEOUT

    _LOCAL_ATTRIBUTE_IDS: Final = frozenset(
        {0xEF04, 0xEF0A, 0xEF0B, 0xEF0C, 0xEF0F, 0xEF10, 0xEF11}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Initialize the cluster and its waiting answers."""
        super().__init__(*args, **kwargs)
        self._answers: dict[int, list[asyncio.Future[tuya_dp.DpReport]]] = {}
        self._pending_tsn: dict[int, int] = {}

    # -- local attributes ---------------------------------------------------------

    async def read_attributes_raw(
        self, attributes: list[int], manufacturer: int | None = None, **kwargs: Any
    ) -> Any:
        """Answer reads of the decoded attributes locally: they exist only in this quirk.

        The device only knows 0xD040; asking it for 0xEFxx would get UNSUPPORTED_ATTRIBUTE and
        put traffic on the air at join that stock ZHA does not send.
        """
        local = [attr for attr in attributes if int(attr) in self._LOCAL_ATTRIBUTE_IDS]
        remote = [
            attr for attr in attributes if int(attr) not in self._LOCAL_ATTRIBUTE_IDS
        ]
        records = [
            foundation.ReadAttributeRecord(
                t.uint16_t(attr),
                Status.SUCCESS,
                foundation.TypeValue(value=self.get(int(attr))),
            )
            for attr in local
        ]
        if remote:
            (remote_records, *_) = await super().read_attributes_raw(
                remote, manufacturer, **kwargs
            )
            records.extend(remote_records)
        return (records,)

    def adopt_restored_values(self) -> None:
        """Take over the values zigpy restored for this cluster before the quirk applied.

        At a Home Assistant start ZHA loads the valve from its database (zigpy's attribute
        cache, where every value the valve reported was saved) before our integration
        registers this quirk: 0xE001 is then a plain zigpy cluster that knows none of these
        attributes, so zigpy keeps their saved values by id only, in the cache's legacy part.
        Moving the valve onto this quirk copies that cache, but named attributes are looked
        up in the cache proper only, so they read as never reported; the valve reports them
        again only when they change. Each such value becomes the attribute's cached value
        again, with its saved timestamp, exactly as zigpy's own load does for a cluster that
        knows the attribute (the database rows already hold it, under the same key).
        """
        cache = self._attr_cache
        if (legacy := values_kept_by_id(cache)) is None:
            return  # a zigpy without it: nothing moves (the values show from the next report)
        for attr_def in self.attributes.values():
            if (item := legacy.pop(attr_def.id, None)) is not None:
                cache.set_value(attr_def, item.value, last_updated=item.last_updated)

    # -- reports ------------------------------------------------------------------

    def _update_attribute(
        self, attrid: int | t.uint16_t | foundation.ZCLAttributeDef, value: Any
    ) -> None:
        super()._update_attribute(attrid, value)
        if attrid != tuya_dp.RAW_DP_ATTRIBUTE_ID:
            return
        try:
            report = tuya_dp.decode_dp_report(bytes(value))
        except tuya_dp.TuyaDpError as err:
            _LOGGER.warning(
                "%s: ignoring undecodable DP report %s: %s", self, value, err
            )
            return
        if isinstance(report, tuya_dp.CycleIrrigationReport):
            name, decoded = "cycle_irrigation", t.LVBytes(bytes(value)[1:])
        elif isinstance(report, tuya_dp.ScheduledIrrigationReport):
            name, decoded = "scheduled_irrigation", t.LVBytes(bytes(value)[1:])
        else:
            name, convert = self._DP_ATTRIBUTES[type(report)]
            decoded = convert(report)
        super()._update_attribute(self.find_attribute(name).id, decoded)
        for future in self._answers.pop(bytes(value)[0], []):
            if not future.done():
                future.set_result(report)

    def handle_cluster_general_request(
        self,
        hdr: foundation.ZCLHeader,
        args: Any,
        *,
        dst_addressing: Any = None,
    ) -> None:
        """Fail a waiting command when the device refuses it with a Default Response."""
        if (
            hdr.command_id == foundation.GeneralCommand.Default_Response
            and (dp := self._pending_tsn.pop(hdr.tsn, None)) is not None
            and args.status != Status.SUCCESS
        ):
            for future in self._answers.pop(dp, []):
                if not future.done():
                    future.set_exception(CommandRefusedError(args.status))
            return
        super().handle_cluster_general_request(hdr, args, dst_addressing=dst_addressing)

    def apply_join_report(self, frame: bytes) -> None:
        """Apply a ZCL frame the valve sent before zigpy had initialized it.

        Only its 0xD040 reports count, decoded as if they had arrived now; nothing is sent
        (zigpy did not answer the frame either).
        """
        try:
            _, command = self.deserialize(frame)
        except (ValueError, KeyError) as err:
            _LOGGER.debug(
                "%s: ignoring undecodable join frame %s: %s", self, frame, err
            )
            return
        if not isinstance(command, REPORT_ATTRIBUTES):
            return
        for record in cast("Any", command).attribute_reports:
            if record.attrid == tuya_dp.RAW_DP_ATTRIBUTE_ID:
                self.update_attribute(record.attrid, t.LVBytes(record.value.value))

    @property
    def cycle_programs(
        self,
    ) -> tuple[programs.StoredProgram[programs.CycleIrrigationProgram], ...]:
        """Return the last cycle-irrigation program list the device reported."""
        raw = self.get(self.AttributeDefs.cycle_irrigation.name)
        return () if raw is None else programs.decode_cycle_answer(bytes(raw))

    @property
    def scheduled_programs(
        self,
    ) -> tuple[programs.StoredProgram[programs.ScheduledIrrigationProgram], ...]:
        """Return the last scheduled-irrigation program list the device reported."""
        raw = self.get(self.AttributeDefs.scheduled_irrigation.name)
        return () if raw is None else programs.decode_scheduled_answer(bytes(raw))

    # -- commands -----------------------------------------------------------------

    async def _command_and_wait(
        self, command: ZCLCommandDef, data: bytes, dp: int, wait: float | None
    ) -> tuya_dp.DpReport:
        """Send a raw DP command and wait for the device's answer (its DP report).

        Seed 004 documents the answer (the updated state or program list through 0xD040) but
        not a Default Response on success, so none is asked for; a refusal still arrives as
        a Default Response with an error status (ZCL 2.5.12.2) and fails the wait.
        """
        future: asyncio.Future[tuya_dp.DpReport] = (
            asyncio.get_running_loop().create_future()
        )
        self._answers.setdefault(dp, []).append(future)
        tsn = self.endpoint.device.get_sequence()
        self._pending_tsn[tsn] = dp
        try:
            await self.request(
                False,
                command.id,
                command.schema,
                t.SerializableBytes(data),
                expect_reply=False,
                disable_default_response=True,
                tsn=tsn,
            )
            async with asyncio.timeout(
                wait if wait is not None else self.answer_timeout
            ):
                return await future
        finally:
            self._pending_tsn.pop(tsn, None)
            if not future.done():
                future.cancel()
            waiting = self._answers.get(dp, [])
            if future in waiting:
                waiting.remove(future)

    async def set_irrigation_setting(
        self, command: tuya_dp.IrrigationSettingCommand, wait: float | None = None
    ) -> tuya_dp.DpReport:
        """Send 0xFE (DP10 or DP11) and return the device's report of the new value."""
        data = tuya_dp.encode_irrigation_setting(command)
        return await self._command_and_wait(
            self.ServerCommandDefs.irrigation_setting, data, data[0], wait
        )

    async def cycle_program_request(
        self, request: programs.CycleIrrigationRequest, wait: float | None = None
    ) -> tuple[programs.StoredProgram[programs.CycleIrrigationProgram], ...]:
        """Send 0xFD (DP16) and return the program list the device answers with."""
        report = await self._command_and_wait(
            self.ServerCommandDefs.cycle_irrigation_program,
            programs.encode_cycle_request(request),
            tuya_dp.DataPoint.CYCLE_IRRIGATION,
            wait,
        )
        if not isinstance(report, tuya_dp.CycleIrrigationReport):
            raise ZHAException(f"unexpected answer {report}")
        return report.programs

    async def scheduled_program_request(
        self,
        request: programs.ScheduledIrrigationRequest,
        wait: float | None = None,
    ) -> tuple[programs.StoredProgram[programs.ScheduledIrrigationProgram], ...]:
        """Send 0xFC (DP17) and return the program list the device answers with."""
        report = await self._command_and_wait(
            self.ServerCommandDefs.scheduled_irrigation_program,
            programs.encode_scheduled_request(request),
            tuya_dp.DataPoint.SCHEDULED_IRRIGATION,
            wait,
        )
        if not isinstance(report, tuya_dp.ScheduledIrrigationReport):
            raise ZHAException(f"unexpected answer {report}")
        return report.programs

    async def write_attributes(
        self,
        attributes: dict[str | int | foundation.ZCLAttributeDef, Any],
        manufacturer: int | UndefinedType | None = UNDEFINED,
        *,
        update_cache: bool = True,
        **kwargs: Any,
    ) -> list[list[foundation.WriteAttributesStatusRecord]]:
        """Send weather_delay / irrigation_time writes as command 0xFE, as the seed says."""
        remaining: dict[str | int | foundation.ZCLAttributeDef, Any] = {}
        records: list[foundation.WriteAttributesStatusRecord] = []
        for key, value in attributes.items():
            attr = self.find_attribute(key)
            command: tuya_dp.IrrigationSettingCommand
            if attr.name == self.AttributeDefs.weather_delay.name:
                command = tuya_dp.WeatherDelayCommand(tuya_dp.WeatherDelay(int(value)))
            elif attr.name == self.AttributeDefs.irrigation_time.name:
                command = tuya_dp.IrrigationTimeCommand(int(value))
            else:
                remaining[key] = value
                continue
            try:
                await self.set_irrigation_setting(command)
            except (DeliveryError, TimeoutError) as err:
                # ZHA shows this text for its number/select entities.
                raise NoAnswerError(NO_ANSWER) from err
            except CommandRefusedError as err:
                _LOGGER.debug("%s: writing %s refused: %s", self, attr.name, err)
                records.append(
                    foundation.WriteAttributesStatusRecord(err.status, attr.id)
                )
        if remaining:
            result = await super().write_attributes(
                remaining, manufacturer, update_cache=update_cache, **kwargs
            )
            records.extend(result[0])
        return [records or [foundation.WriteAttributesStatusRecord(Status.SUCCESS)]]


class Ts0049Valve(BaseValve):
    """The valve itself: ZHA's switch behaviour (same cluster config, same commands) as a valve."""

    _attr_device_class = ValveDeviceClass.WATER
    _attr_translation_key = "valve"
    _attr_fallback_name = None
    _unique_id_suffix = "valve"
    _attribute_name = OnOff.AttributeDefs.on_off.name
    # Identical binding/reporting to the stock switch, by construction.
    _server_cluster_config = stock_switch_cluster_config()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Initialize; the cluster subscriptions start in on_add."""
        super().__init__(*args, **kwargs)
        self._unsubscribes: list[Callable[[], None]] = []

    def on_add(self) -> None:
        """Follow OnOff reports and reads, like ZHA's switch."""
        super().on_add()
        self._unsubscribes = [
            self.cluster.on_event(event_type, self._handle_attribute_updated)
            for event_type in (
                "attribute_read",
                "attribute_report",
                "attribute_updated",
            )
        ]

    async def on_remove(self) -> None:
        """Stop following the cluster."""
        for unsubscribe in self._unsubscribes:
            unsubscribe()
        self._unsubscribes = []
        await super().on_remove()

    def _handle_attribute_updated(self, event: Any) -> None:
        if getattr(event, "attribute_name", None) == self._attribute_name:
            self.maybe_emit_state_changed_event()

    @property
    def is_closed(self) -> bool | None:
        """Return True when the valve is closed."""
        value = self.cluster.get(self._attribute_name)
        return None if value is None else not bool(value)

    async def async_open_valve(self) -> None:
        """Open the valve (OnOff 'on', exactly as ZHA's switch sends it)."""
        await switch_valve(self.cluster, is_open=True)
        self.maybe_emit_state_changed_event()

    async def async_close_valve(self) -> None:
        """Close the valve (OnOff 'off')."""
        await switch_valve(self.cluster, is_open=False)
        self.maybe_emit_state_changed_event()


class JoinReports:
    """A zigpy application listener: the 0xE001 frames of devices zigpy still interviews.

    zigpy hands every received frame to its listeners' ``handle_message`` before it drops
    those of a device it has not initialized. Kept per device (the last
    ``KEPT_JOIN_FRAMES``), they go to the device's ``TuyaIrrigationCluster`` when zigpy has
    initialized it with our quirk, in the order received, and are forgotten otherwise (another
    quirk, the device left or was removed).
    """

    def __init__(self) -> None:
        """Start with nothing kept."""
        self._frames: dict[t.EUI64, deque[tuple[int, bytes]]] = {}

    def handle_message(  # noqa: PLR0917 - zigpy's listener event passes these positionally
        self,
        device: zigpy.device.Device,
        profile: int,
        cluster: int,
        src_ep: int,
        dst_ep: int,
        message: bytes,
    ) -> None:
        """Keep an 0xE001 frame of a device zigpy has not initialized yet."""
        if (
            cluster != tuya_dp.TUYA_PRIVATE_CLUSTER_ID
            or profile != zha_profile.PROFILE_ID
            or device.is_initialized
        ):
            return
        kept = self._frames.setdefault(device.ieee, deque(maxlen=KEPT_JOIN_FRAMES))
        kept.append((src_ep, bytes(message)))

    def device_initialized(self, device: zigpy.device.Device) -> None:
        """Hand the kept frames to the device's irrigation cluster, if it has ours."""
        for src_ep, frame in self._frames.pop(device.ieee, ()):
            endpoint = device.endpoints.get(src_ep)
            cluster = getattr(endpoint, "in_clusters", {}).get(
                tuya_dp.TUYA_PRIVATE_CLUSTER_ID
            )
            if isinstance(cluster, TuyaIrrigationCluster):
                cluster.apply_join_report(frame)

    def device_left(self, device: zigpy.device.Device) -> None:
        """Forget the frames of a device that left."""
        self._frames.pop(device.ieee, None)

    def device_removed(self, device: zigpy.device.Device) -> None:
        """Forget the frames of a removed device."""
        self._frames.pop(device.ieee, None)


class FaultProblemSensor(BinarySensor):
    """Fault (problem): unknown until the valve reports DP4, like the fault code sensor.

    ZHA's binary sensor reads "off" (OK) for a value never reported; a valve that has not
    told us its fault is not known to be fine.
    """

    @property
    def is_on(self) -> bool | None:  # type: ignore[override]
        """Return whether the valve reports a fault; None until it reported DP4."""
        value = self._cluster.get(self._attribute_name)
        return None if value is None else bool(value)


class Ts0049Device(QuirkV2Device):
    """The quirk's ZHA device: everything v2 metadata gives, plus the valve and fault entities."""

    def __init__(
        self,
        zigpy_device: zigpy.device.Device,
        gateway: Gateway,
        *,
        quirk_definition: QuirkDefinition,
    ) -> None:
        """Create the device once its irrigation cluster holds the values zigpy restored."""
        for endpoint_id, endpoint in zigpy_device.endpoints.items():
            cluster = (
                endpoint.in_clusters.get(TuyaIrrigationCluster.cluster_id)
                if endpoint_id
                else None
            )
            if isinstance(cluster, TuyaIrrigationCluster):
                cluster.adopt_restored_values()
        super().__init__(zigpy_device, gateway, quirk_definition=quirk_definition)

    def discover_entities(self) -> Iterator[BaseEntity]:
        """Yield the default and quirk entities, then the valve and the fault problem sensor."""
        yield from super().discover_entities()
        endpoint = self.endpoints[1]
        cluster = endpoint.zigpy_endpoint.in_clusters[OnOff.cluster_id]
        yield Ts0049Valve(endpoint=endpoint, device=self, cluster=cluster)
        yield FaultProblemSensor(
            endpoint=endpoint,
            device=self,
            cluster=endpoint.zigpy_endpoint.in_clusters[
                TuyaIrrigationCluster.cluster_id
            ],
            from_quirk=True,
            unique_id_suffix="fault_problem",
            translation_key="fault",
            fallback_name="Fault",
            entity_type=EntityType.DIAGNOSTIC,
            attribute_name=TuyaIrrigationCluster.AttributeDefs.fault.name,
            device_class=BinarySensorDeviceClass.PROBLEM,
        )


def _is_stock_switch(entity: Any) -> bool:
    return isinstance(entity, Switch)


def _has_private_cluster(device: zigpy.device.Device) -> bool:
    return any(
        tuya_dp.TUYA_PRIVATE_CLUSTER_ID in endpoint.in_clusters
        for endpoint_id, endpoint in device.endpoints.items()
        if endpoint_id != 0
    )


def quirks() -> list[QuirkBuilder]:
    """Return the TS0049 quirk chain."""
    builder = QuirkBuilder(MANUFACTURERS[0], MODEL)
    for manufacturer in MANUFACTURERS[1:]:
        builder = builder.applies_to(manufacturer, MODEL)
    return [
        builder.filter(_has_private_cluster)
        .friendly_name(manufacturer="Tuya", model=FRIENDLY_MODEL)
        .zha_device_class(Ts0049Device)
        .replaces(TuyaIrrigationCluster, endpoint_id=1)
        .prevent_default_entity_creation(
            endpoint_id=1, cluster_id=OnOff.cluster_id, function=_is_stock_switch
        )
        .number(
            TuyaIrrigationCluster.AttributeDefs.irrigation_time.name,
            TuyaIrrigationCluster.cluster_id,
            min_value=0,
            max_value=1440,
            step=1,
            unit=UnitOfTime.MINUTES,
            multiplier=1 / 60,
            mode="box",
            device_class=NumberDeviceClass.DURATION,
            translation_key="irrigation_time",
            fallback_name="Irrigation time",
        )
        .enum(
            TuyaIrrigationCluster.AttributeDefs.weather_delay.name,
            WeatherDelay,
            TuyaIrrigationCluster.cluster_id,
            translation_key="weather_delay",
            fallback_name="Weather delay",
        )
        .enum(
            TuyaIrrigationCluster.AttributeDefs.work_state.name,
            WorkState,
            TuyaIrrigationCluster.cluster_id,
            entity_platform=EntityPlatform.SENSOR,
            entity_type=EntityType.STANDARD,
            translation_key="work_state",
            fallback_name="Work state",
        )
        .sensor(
            TuyaIrrigationCluster.AttributeDefs.once_using_time.name,
            TuyaIrrigationCluster.cluster_id,
            device_class=SensorDeviceClass.DURATION,
            unit=UnitOfTime.SECONDS,
            translation_key="last_irrigation_duration",
            fallback_name="Last irrigation duration",
        )
        .sensor(
            TuyaIrrigationCluster.AttributeDefs.fault.name,
            TuyaIrrigationCluster.cluster_id,
            entity_type=EntityType.DIAGNOSTIC,
            translation_key="fault_code",
            fallback_name="Fault",
        )
    ]
