"""The recorder's long-term statistics of a meter's summation sensor: read, import, shift.

Every recorder call of the history import is here, and each is one the recorder offers to
integrations: ``statistics_during_period`` / ``get_last_statistics`` / ``get_metadata`` run on
the recorder's executor (as opower and HA's own energy code do), ``async_import_statistics``
writes hourly rows of an entity's statistic (source ``recorder``), and
``Recorder.async_adjust_statistics`` is what the "adjust sum" of Developer tools → Statistics
calls. Rows are hourly (``Statistics``); the import never writes short-term rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_last_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

HOUR: Final = timedelta(hours=1)
_CONVERTERS: Final = (EnergyConverter, VolumeConverter)


@dataclass(frozen=True, slots=True)
class HourRow:
    """One hourly statistics row: its start and cumulative sum."""

    start: datetime
    sum: float


def unit_class_of(unit: str | None) -> str | None:
    """Return the recorder's unit class of ``unit`` (energy, volume), None if neither."""
    for converter in _CONVERTERS:
        if unit in converter.VALID_UNITS:
            return converter.UNIT_CLASS
    return None


def unit_factor(from_unit: str | None, to_unit: str | None) -> float | None:
    """Return the factor from ``from_unit`` to ``to_unit``; None if they do not convert."""
    if from_unit == to_unit:
        return 1.0
    for converter in _CONVERTERS:
        if from_unit in converter.VALID_UNITS and to_unit in converter.VALID_UNITS:
            return converter.get_unit_ratio(to_unit, from_unit)
    return None


async def async_metadata(
    hass: HomeAssistant, statistic_id: str, unit: str | None
) -> StatisticMetaData:
    """Return the statistic's metadata: the recorder's own when it has compiled the sensor.

    Before the recorder's first compile the metadata is the one it will write for a
    ``TOTAL_INCREASING`` sensor in ``unit``, so the live rows join the same statistic.
    """
    found = await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids={statistic_id})
    )
    if statistic_id in found:
        return found[statistic_id][1]
    return StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=None,
        source="recorder",
        statistic_id=statistic_id,
        unit_class=unit_class_of(unit),
        unit_of_measurement=unit,
    )


async def async_hour_rows(
    hass: HomeAssistant, statistic_id: str, start: datetime
) -> dict[datetime, HourRow]:
    """Return the statistic's hourly rows from ``start`` on, by start (UTC)."""
    result = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        start,
        None,
        {statistic_id},
        "hour",
        None,
        {"sum"},
    )
    rows: dict[datetime, HourRow] = {}
    for row in result.get(statistic_id, []):
        if (total := row.get("sum")) is None:
            continue
        when = datetime.fromtimestamp(row["start"], UTC)
        rows[when] = HourRow(when, float(total))
    return rows


async def async_last_row(hass: HomeAssistant, statistic_id: str) -> HourRow | None:
    """Return the statistic's newest hourly row."""
    result = await get_instance(hass).async_add_executor_job(
        get_last_statistics, hass, 1, statistic_id, False, {"sum"}
    )
    for row in result.get(statistic_id, []):
        if (total := row.get("sum")) is not None:
            return HourRow(datetime.fromtimestamp(row["start"], UTC), float(total))
    return None


def import_rows(
    hass: HomeAssistant, metadata: StatisticMetaData, rows: Iterable[HourRow]
) -> None:
    """Queue hourly rows (upserted by start) for the recorder."""
    stats = [StatisticData(start=row.start, sum=row.sum) for row in rows]
    if stats:
        async_import_statistics(hass, metadata, stats)


def shift_rows(
    hass: HomeAssistant,
    metadata: StatisticMetaData,
    first: datetime,
    end: datetime,
    delta: float,
) -> None:
    """Add ``delta`` to the sums of the rows in [first, end), leaving later rows as they are.

    The recorder adjusts "every row from a start on"; two adjustments queued back to back
    (nothing runs between them on the recorder's queue) shift exactly the block.
    """
    if not delta:
        return
    recorder = get_instance(hass)
    unit = metadata["unit_of_measurement"] or ""
    recorder.async_adjust_statistics(metadata["statistic_id"], first, delta, unit)
    recorder.async_adjust_statistics(metadata["statistic_id"], end, -delta, unit)
