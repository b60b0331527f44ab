"""The recorder's long-term statistics of a meter's summation sensor: read, import, shift.

Every recorder call of the history import is here, and each is one the recorder offers to
integrations: ``statistics_during_period`` / ``get_last_statistics`` / ``get_metadata`` run on
the recorder's executor (as opower and HA's own energy code do), ``async_import_statistics``
writes hourly rows of an entity's statistic (source ``recorder``), and
``Recorder.async_adjust_statistics`` is what the "adjust sum" of Developer tools → Statistics
calls. Rows are hourly (``Statistics``); the import never writes short-term rows.

The recorder shows a period's change as its sum minus the sum of the row before it, and 0
where there is none: a statistic's sums must start from 0 at its oldest hour, as the
recorder's own series (0 at the first state it saw) and HA's importers (opower) do.
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
#: Before any statistic (the recorder keeps none older than its own start).
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
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
    hass: HomeAssistant,
    statistic_id: str,
    start: datetime,
    end: datetime | None = None,
) -> dict[datetime, HourRow]:
    """Return the statistic's hourly rows in [start, end), by start (UTC)."""
    result = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        start,
        end,
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


async def async_row_before(
    hass: HomeAssistant, statistic_id: str, when: datetime
) -> HourRow | None:
    """Return the statistic's newest hourly row before ``when``; None if it has none."""
    rows = await async_hour_rows(hass, statistic_id, _EPOCH, when)
    return rows[max(rows)] if rows else None


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


def shift_from(
    hass: HomeAssistant, metadata: StatisticMetaData, first: datetime, delta: float
) -> None:
    """Add ``delta`` to the sums of every row from ``first`` on, short-term rows included.

    The recorder's later rows of the live sensor continue from its newest short-term sum,
    so they follow the shift. Queued after rows being imported, it shifts them too.
    """
    if not delta:
        return
    get_instance(hass).async_adjust_statistics(
        metadata["statistic_id"], first, delta, metadata["unit_of_measurement"] or ""
    )
