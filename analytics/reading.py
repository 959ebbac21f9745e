"""Reading a building's series from the store, in the shapes the analysis takes.

The service reads each meter as hourly means on the analysis's hour grid, and the meters'
own readings (not averaged) for the meter checks; the daily health reads the zones' hourly
climate the same way.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from analytics.pipeline import Readings
from byggpuls.registry.rows import BuildingRow, PointRow
from byggpuls.storage.port import Aggregation, ReadingReader, SeriesQuery
from byggpuls.units import convert

HOUR_MS: Final = 3_600_000


def hourly_series(
    store: ReadingReader,
    building: BuildingRow,
    point: PointRow,
    *,
    grid_s: np.ndarray,
    target_unit: str,
) -> np.ndarray:
    """The hourly means of ``point`` on ``grid_s``, in ``target_unit`` (NaN where none)."""
    samples = store.query_series(
        SeriesQuery(
            building=building.id,
            point=point.point,
            quantity=point.quantity,
            start_ms=int(grid_s[0] * 1000),
            end_ms=int(grid_s[-1] * 1000) + HOUR_MS,
            every_ms=HOUR_MS,
            aggregation=Aggregation.MEAN,
        )
    )
    values = np.full(grid_s.shape, np.nan)
    if not samples:
        return values
    times = np.array([s.time_ms / 1000 for s in samples])
    raw = np.array([s.value for s in samples], dtype=np.float64)
    if point.unit != target_unit:
        raw = np.array([convert(v, source=point.unit, target=target_unit) for v in raw])
    index = np.searchsorted(grid_s, times)
    inside = (index < grid_s.size) & (grid_s[np.minimum(index, grid_s.size - 1)] == times)
    values[index[inside]] = raw[inside]
    return values


#: Quantities of sensors whose readings move all the time, so that a stuck run or a gap in
#: them is a fault of the data (a setpoint or a valve command may rest for days).
SENSOR_QUANTITIES: Final = frozenset({"temperature", "co2", "relative_humidity"})


def meter_readings(
    store: ReadingReader, building: BuildingRow, point: PointRow, *, start_ms: int, end_ms: int
) -> Readings:
    """A meter's or a sensor's readings from ``start_ms`` to ``end_ms``, as stored (a point
    read in ``energy`` is a counter; one of :data:`SENSOR_QUANTITIES` a sensor)."""
    samples = store.query_series(
        SeriesQuery(
            building=building.id,
            point=point.point,
            quantity=point.quantity,
            start_ms=start_ms,
            end_ms=end_ms,
        )
    )
    return Readings(
        point=point.point,
        times_s=np.array([s.time_ms / 1000 for s in samples], dtype=np.float64),
        values=np.array([s.value for s in samples], dtype=np.float64),
        counter=point.quantity == "energy",
        sensor=point.quantity in SENSOR_QUANTITIES,
    )


__all__ = ["SENSOR_QUANTITIES", "hourly_series", "meter_readings"]
