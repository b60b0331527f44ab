"""The meters' history imports: validation, runs, progress, storage and provisional joins.

``history.py`` has the rules (holes, chains, GetProfile blocks); this module runs them for a
service call, remembers what must outlive it (provisional blocks, where a meter's history
starts, its real maximum periods per request) in an HA Store, tells the progress sensors, and
joins provisional blocks to the live series once the recorder has compiled its first hour.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
import logging
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.recorder.models import StatisticMetaData
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_utc_time_change
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from zigpy.exceptions import DeliveryError
from zigpy.types import EUI64

from ..const import DOMAIN
from ..errors import device_error, translated_device_errors, validation_error
from ..protocol import metering
from ..quirks.exceptions import NoAnswerError
from ..quirks.smart_energy import SmartEnergyMetering
from . import statistics as stats
from .history import (
    CHANNELS,
    DEFAULT_MAX_PERIODS,
    HistoryImport,
    MeterProfile,
    Progress,
    floor_hour,
    now_hour,
    plan_runs,
    summarize,
)
from .statistics import HOUR, HourRow

if TYPE_CHECKING:
    from .family import MeteringFamily

_LOGGER = logging.getLogger(__name__)

STORAGE_KEY: Final = f"{DOMAIN}.metering_history"
STORAGE_VERSION: Final = 1
FAMILY: Final = "metering"
#: Minute of every hour at which provisional blocks try to join the live series: the
#: recorder compiles the past hour at about hh:00:10.
JOIN_MINUTE: Final = 5
_PERIOD_ATTRIBUTES: Final = (
    SmartEnergyMetering.AttributeDefs.profile_interval_period.name,
    SmartEnergyMetering.AttributeDefs.max_number_of_periods_delivered.name,
)


def summation_unique_id(cluster: SmartEnergyMetering, channel: str) -> str:
    """Return the unique id of the meter's summation sensor of ``channel``."""
    device = cluster.endpoint.device
    return f"{device.ieee}-{cluster.endpoint.endpoint_id}-summation_{channel}"


class MeterHistory:
    """Every meter's history import, for the metering family."""

    def __init__(self, family: MeteringFamily) -> None:
        """Start with nothing loaded."""
        self.family = family
        self.hass = family.hass
        self._store: Store[dict[str, Any]] = Store(
            self.hass, STORAGE_VERSION, STORAGE_KEY
        )
        #: {"series": {"<ieee>:<channel>": {...}}, "meters": {"<ieee>": {...}}}
        self._data: dict[str, Any] = {"series": {}, "meters": {}}
        self.progress: dict[EUI64, Progress] = {}
        self._listeners: dict[EUI64, list[Callable[[], None]]] = {}
        self._busy: set[EUI64] = set()
        self._unsub: CALLBACK_TYPE | None = None

    async def async_load(self) -> None:
        """Load what earlier imports left and start the hourly join check."""
        if (stored := await self._store.async_load()) is not None:
            self._data = {"series": {}, "meters": {}, **stored}
        for ieee, info in self._data["meters"].items():
            if (summary := info.get("last_summary")) is not None:
                self.progress[EUI64.convert(ieee)] = Progress(
                    last_import=dt_util.parse_datetime(info["last_import"]),
                    last_summary=summary,
                )
        self._unsub = async_track_utc_time_change(
            self.hass, self._join_due, minute=JOIN_MINUTE, second=0
        )

    async def async_unload(self) -> None:
        """Stop the join check and save."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        await self._store.async_save(self._data)

    def _save(self) -> None:
        self._store.async_delay_save(lambda: self._data, 1)

    # -- progress ---------------------------------------------------------------------

    @callback
    def add_listener(self, ieee: EUI64, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when the meter's import progress changes."""
        listeners = self._listeners.setdefault(ieee, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    def _notify(self, ieee: EUI64) -> None:
        for listener in list(self._listeners.get(ieee, ())):
            listener()

    def progress_of(self, ieee: EUI64) -> Progress:
        """Return the meter's progress (an idle one if it never imported)."""
        return self.progress.setdefault(ieee, Progress())

    @callback
    def forget(self, ieee: EUI64) -> None:
        """Drop what is stored for a meter removed from ZHA."""
        self.progress.pop(ieee, None)
        prefix = f"{ieee}:"
        series = self._data["series"]
        for key in [key for key in series if key.startswith(prefix)]:
            del series[key]
        self._data["meters"].pop(str(ieee), None)
        self._save()

    def diagnostics(self, ieee: EUI64) -> dict[str, Any]:
        """Return what is known of the meter's history imports (no statistic ids)."""
        prefix = f"{ieee}:"
        progress = self.progress_of(ieee)
        return {
            "running": progress.running,
            "last_import": (
                None
                if progress.last_import is None
                else progress.last_import.isoformat()
            ),
            "channels": {
                key.removeprefix(prefix): {
                    "history_start": series.get("history_start"),
                    "provisional": series.get("provisional"),
                }
                for key, series in self._data["series"].items()
                if key.startswith(prefix)
            },
        }

    # -- the service ----------------------------------------------------------------------

    def _statistic_id(self, cluster: SmartEnergyMetering, channel: str) -> str:
        entity_id = er.async_get(self.hass).async_get_entity_id(
            "sensor", "zha", summation_unique_id(cluster, channel)
        )
        entry = (
            None if entity_id is None else er.async_get(self.hass).async_get(entity_id)
        )
        if entity_id is None or entry is None or entry.disabled:
            raise validation_error(
                "metering_history_no_channel",
                meter=str(cluster.endpoint.device.ieee),
                channel=channel,
            )
        return entity_id

    def _series(self, ieee: EUI64, channel: str) -> dict[str, Any]:
        series: dict[str, Any] = self._data["series"].setdefault(
            f"{ieee}:{channel}", {}
        )
        return series

    def _meter_info(self, ieee: EUI64) -> dict[str, Any]:
        info: dict[str, Any] = self._data["meters"].setdefault(str(ieee), {})
        return info

    def validate(
        self,
        cluster: SmartEnergyMetering,
        channel: str,
        start: datetime,
        end: datetime,
    ) -> str:
        """Refuse a range the import cannot serve, before anything is sent.

        Returns the statistic id (the summation sensor's entity id).
        """
        ieee = cluster.endpoint.device.ieee
        statistic_id = self._statistic_id(cluster, channel)
        now = dt_util.utcnow()
        if start >= now or end > now:
            raise validation_error(
                "metering_history_in_future",
                start=start.isoformat(),
                end=end.isoformat(),
            )
        if start >= end or floor_hour(start) >= now_hour():
            raise validation_error(
                "metering_history_empty_range",
                start=start.isoformat(),
                end=end.isoformat(),
            )
        period = cluster.get(_PERIOD_ATTRIBUTES[0])
        if period is not None and int(period) == metering.ProfileIntervalPeriod.DAILY:
            raise validation_error("metering_history_daily_intervals")
        oldest = self._series(ieee, channel).get("history_start")
        if oldest is not None and floor_hour(start) < (
            oldest_at := dt_util.parse_datetime(oldest) or now
        ):
            raise validation_error(
                "metering_history_beyond_meter",
                start=start.isoformat(),
                oldest=oldest_at.isoformat(),
            )
        if ieee in self._busy:
            raise validation_error("metering_history_busy", meter=str(ieee))
        return statistic_id

    async def _profile(
        self, cluster: SmartEnergyMetering, channel: str, statistic_id: str
    ) -> tuple[MeterProfile, StatisticMetaData]:
        """Read what the import needs of the meter; units of the statistic."""
        if any(cluster.get(name) is None for name in _PERIOD_ATTRIBUTES):
            try:
                await cluster.read_attributes(
                    list(_PERIOD_ATTRIBUTES), allow_cache=True
                )
            except (DeliveryError, TimeoutError) as err:
                raise NoAnswerError("the meter did not answer") from err
        period_code = cluster.get(_PERIOD_ATTRIBUTES[0])
        period = None
        if period_code is not None:
            try:
                period = metering.ProfileIntervalPeriod(int(period_code)).seconds
            except ValueError:
                period = None
        if period == metering.ProfileIntervalPeriod.DAILY.seconds:
            raise validation_error("metering_history_daily_intervals")
        max_periods = int(cluster.get(_PERIOD_ATTRIBUTES[1]) or DEFAULT_MAX_PERIODS)
        unit_code = cluster.get("unit_of_measure")
        if unit_code is None:
            raise device_error("metering_not_available")
        fmt = metering.MeteringFormat(
            int(unit_code),
            int(cluster.get("metering_device_type") or 0),
            int(cluster.get("historical_consumption_formatting") or 0),
            _optional(cluster.get("multiplier")),
            _optional(cluster.get("divisor")),
        )
        meter_unit = metering.unit_for(fmt.unit_of_measure, fmt.device_type).unit
        metadata = await stats.async_metadata(self.hass, statistic_id, meter_unit)
        factor = stats.unit_factor(meter_unit, metadata["unit_of_measurement"])
        if factor is None:
            raise validation_error(
                "metering_history_unit_mismatch",
                statistic_id=statistic_id,
                unit=str(metadata["unit_of_measurement"]),
                meter_unit=str(meter_unit),
            )
        profile = MeterProfile(
            cluster=cluster,
            channel=CHANNELS[channel],
            fmt=fmt,
            factor=factor,
            period=period,
            max_periods=max(1, min(max_periods, 255)),
        )
        return profile, metadata

    async def async_import(
        self,
        cluster: SmartEnergyMetering,
        channel: str,
        start: datetime,
        end: datetime,
    ) -> dict[str, Any]:
        """Import [start, end) of ``channel`` (validated first); return the summary."""
        statistic_id = self.validate(cluster, channel, start, end)
        ieee = cluster.endpoint.device.ieee
        self._busy.add(ieee)
        progress = self.progress_of(ieee)
        try:
            async with translated_device_errors(FAMILY):
                profile, metadata = await self._profile(cluster, channel, statistic_id)
            return await self._run(
                profile,
                metadata,
                channel=channel,
                statistic_id=statistic_id,
                start=start,
                end=end,
                progress=progress,
            )
        finally:
            self._busy.discard(ieee)
            progress.running = False
            self._notify(ieee)

    async def _run(
        self,
        profile: MeterProfile,
        metadata: StatisticMetaData,
        *,
        channel: str,
        statistic_id: str,
        start: datetime,
        end: datetime,
        progress: Progress,
    ) -> dict[str, Any]:
        ieee = profile.cluster.endpoint.device.ieee
        first, stop, current = floor_hour(start), floor_hour(end), now_hour()
        if end > stop:  # a range ending inside an hour takes that hour
            stop += HOUR
        stop = min(stop, current)
        rows = await stats.async_hour_rows(self.hass, statistic_id, first)
        newest_row = (
            max(rows.values(), key=lambda row: row.start)
            if rows
            else await stats.async_last_row(self.hass, statistic_id)
        )
        plans = plan_runs(first, stop, current, rows, newest_row)
        # the oldest run starts the series when no row is older (it then starts from 0)
        oldest_run = plans[0] if plans else None
        series_start = (
            oldest_run is not None
            and oldest_run.start == first  # else rows of the range are older
            and oldest_run.before is None
            and await stats.async_row_before(self.hass, statistic_id, first) is None
        )
        recorded = sum(1 for hour in rows if first <= hour < stop)
        series = self._series(ieee, channel)
        block = series.get("provisional")
        job = HistoryImport(
            self.hass, profile, metadata, progress, lambda: self._notify(ieee)
        )
        progress.running = True
        progress.channel = channel
        progress.hours_total = sum(plan.hours for plan in plans)
        progress.hours_done = 0
        self._notify(ieee)
        provisional = False
        try:
            for plan in reversed(plans):
                # a window reaching the present asks the meter's newest block
                window_end = plan.end + HOUR if plan.anchor else plan.end
                newest = window_end >= current
                starts = series_start and plan is oldest_run
                if plan.anchor is not None:
                    await job.backward(
                        plan.start,
                        plan.end,
                        plan.anchor,
                        newest=newest,
                        series_start=starts,
                    )
                    if block and plan.anchor.start == _at(block["first"]):
                        block["first"] = plan.start.isoformat()  # chained to the block
                elif plan.before is not None:
                    await job.forward(plan.start, plan.end, plan.before, newest=newest)
                    if block and plan.before.start <= _at(block["last"]):
                        block["last"] = (plan.end - HOUR).isoformat()
                else:
                    provisional = True
                    await job.backward(
                        plan.start, plan.end, None, newest=newest, series_start=starts
                    )
                    block = series["provisional"] = {
                        "first": plan.start.isoformat(),
                        "last": (plan.end - HOUR).isoformat(),
                    }
                if job.tally.history_start is not None:
                    series["history_start"] = job.tally.history_start.isoformat()
                    break  # older runs are older still
        except (NoAnswerError, DeliveryError, TimeoutError) as err:
            self._remember(ieee, series, block, job, summary=None)
            if job.tally.written:
                oldest = min(job.tally.written)
                raise device_error(
                    "metering_history_interrupted",
                    hours=len(job.tally.written),
                    oldest=oldest.isoformat(),
                ) from err
            raise device_error(f"{FAMILY}_no_answer") from err
        except HomeAssistantError:
            self._remember(ieee, series, block, job, summary=None)
            raise
        summary = summarize(
            statistic_id,
            channel,
            (start, end),
            job.tally,
            recorded_hours=recorded,
            provisional=provisional or bool(block),
        )
        self._remember(ieee, series, block, job, summary=summary)
        return summary

    def _remember(
        self,
        ieee: EUI64,
        series: dict[str, Any],
        block: dict[str, Any] | None,
        job: HistoryImport,
        *,
        summary: dict[str, Any] | None,
    ) -> None:
        info = self._meter_info(ieee)
        if block is not None:
            series["provisional"] = block
        if summary is not None:
            progress = self.progress_of(ieee)
            progress.last_import = dt_util.utcnow()
            progress.last_summary = summary
            info["last_import"] = progress.last_import.isoformat()
            info["last_summary"] = summary
        self._save()
        _LOGGER.debug(
            "%s: %d hours imported with %d requests",
            ieee,
            len(job.tally.written),
            job.tally.requests,
        )

    # -- provisional blocks -------------------------------------------------------------

    @callback
    def _join_due(self, _now: datetime) -> None:
        for key, series in list(self._data["series"].items()):
            if series.get("provisional") is None:
                continue
            ieee_text, channel = key.rsplit(":", 1)
            ieee = EUI64.convert(ieee_text)
            cluster = self.family.meters.get(ieee)
            if cluster is None or ieee in self._busy:
                continue
            self.family.entry.async_create_background_task(
                self.hass,
                self._join_quietly(cluster, channel),
                f"{DOMAIN} join meter history {ieee}",
            )

    async def _join_quietly(self, cluster: SmartEnergyMetering, channel: str) -> None:
        try:
            await self.async_join(cluster, channel)
        except HomeAssistantError as err:
            _LOGGER.debug(
                "%s: history not joined yet: %s", cluster.endpoint.device.ieee, err
            )

    async def async_join(self, cluster: SmartEnergyMetering, channel: str) -> bool:
        """Join the channel's provisional block to the live series, once it has a row.

        The live rows start from 0 as the block does: they are first moved onto the block's
        end at once (nothing asked of the meter), then the hours from the block to the first
        live row are imported, chained from that row, and they and the live rows are moved
        by what the chain gives the block's end. Returns True when the block was joined.
        """
        ieee = cluster.endpoint.device.ieee
        series = self._series(ieee, channel)
        block = series.get("provisional")
        if block is None or ieee in self._busy:
            return False
        statistic_id = self._statistic_id(cluster, channel)
        last = _at(block["last"])
        rows = await stats.async_hour_rows(self.hass, statistic_id, last + HOUR)
        if not rows:
            return False
        anchor = rows[min(rows)]
        self._busy.add(ieee)
        progress = self.progress_of(ieee)
        try:
            # the block's end: the sum of its newest row (an invalid last hour carries it)
            newest = await stats.async_row_before(self.hass, statistic_id, last + HOUR)
            block_end = 0.0 if newest is None else newest.sum
            if not block.get("live_moved"):
                # a meter that does not answer now leaves the live rows continuing from
                # the block's end, their first hour showing what HA saw of it
                metadata = await stats.async_metadata(self.hass, statistic_id, None)
                stats.shift_from(self.hass, metadata, last + HOUR, block_end)
                anchor = HourRow(anchor.start, anchor.sum + block_end)
                block["live_moved"] = True
                self._save()
            async with translated_device_errors(FAMILY):
                profile, metadata = await self._profile(cluster, channel, statistic_id)
                job = HistoryImport(
                    self.hass, profile, metadata, progress, lambda: self._notify(ieee)
                )
                value = await job.backward(
                    last + HOUR,
                    anchor.start,
                    anchor,
                    newest=anchor.start + HOUR >= now_hour(),
                )
        finally:
            self._busy.discard(ieee)
        if value is None:
            return False
        stats.shift_from(self.hass, metadata, last + HOUR, block_end - value)
        del series["provisional"]
        self._save()
        _LOGGER.debug("%s: provisional history joined at %s", ieee, anchor.start)
        return True


def _at(value: str) -> datetime:
    parsed = dt_util.parse_datetime(value)
    if parsed is None:  # pragma: no cover - we wrote it
        raise ValueError(value)
    return parsed


def _optional(value: Any) -> int | None:
    return None if value is None else int(value)
