"""Reading a building's series from the store, in the shapes the analysis takes.

The service reads each meter as hourly means on the analysis's hour grid, and the meters'
own readings (not averaged) for the meter checks; the daily health reads the zones' hourly
climate the same way.
"""

from __future__ import annotations

import logging
from typing import Final

import numpy as np

from analytics.building import Readings
from analytics.equipment import ahu_series, ahu_units
from analytics.equipment.run import AhuUnit
from analytics.zones.checks import ZoneSeries
from byggpuls.registry.rows import BuildingRow, PointRow
from byggpuls.roles import Role, role_of
from byggpuls.storage.port import Aggregation, ReadingReader, SeriesQuery
from byggpuls.units import convert

logger = logging.getLogger(__name__)

HOUR_MS: Final = 3_600_000
#: The step an air handling unit is read in (its points' interval where that is longer): the
#: rules' delays are 15 minutes and more, and a gateway may send its history at a coarser
#: interval than its live readings, which a finer step would leave mostly empty.
AHU_STEP_MS: Final = 900_000
#: Brick classes of a zone's temperature setpoint, and of a radiator circuit's supply water.
_SETPOINT_CLASSES: Final = frozenset(
    {"Zone_Air_Temperature_Setpoint", "Zone_Air_Heating_Temperature_Setpoint"}
)
_SUPPLY_WATER_CLASSES: Final = frozenset(
    {"Hot_Water_Supply_Temperature_Sensor", "Supply_Water_Temperature_Sensor"}
)


def hourly_series(
    store: ReadingReader,
    building: BuildingRow,
    point: PointRow,
    *,
    grid_s: np.ndarray,
    target_unit: str,
) -> np.ndarray:
    """The hourly means of ``point`` on ``grid_s``, in ``target_unit`` (NaN where none)."""
    return series_on(
        store, building, point, grid_s=grid_s, step_ms=HOUR_MS, target_unit=target_unit
    )


def series_on(
    store: ReadingReader,
    building: BuildingRow,
    point: PointRow,
    *,
    grid_s: np.ndarray,
    step_ms: int,
    target_unit: str | None = None,
) -> np.ndarray:
    """The means of ``point`` in each ``step_ms`` from the times ``grid_s`` (UTC epoch s, one
    step apart), in ``target_unit`` (None: as stored); NaN where none."""
    samples = store.query_series(
        SeriesQuery(
            building=building.id,
            point=point.point,
            quantity=point.quantity,
            start_ms=int(grid_s[0] * 1000),
            end_ms=int(grid_s[-1] * 1000) + step_ms,
            every_ms=step_ms,
            aggregation=Aggregation.MEAN,
        )
    )
    values = np.full(grid_s.shape, np.nan)
    if not samples:
        return values
    times = np.array([s.time_ms / 1000 for s in samples])
    raw = np.array([s.value for s in samples], dtype=np.float64)
    if target_unit is not None and point.unit != target_unit:
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


def zone_series(
    store: ReadingReader, building: BuildingRow, points: list[PointRow], *, grid_s: np.ndarray
) -> tuple[ZoneSeries, ...]:
    """Each zone's hourly air temperature, setpoint and CO2 on ``grid_s``: a zone is the zone
    a room-temperature point names (else its id's first part); its setpoint the temperature
    setpoint of the same zone, its CO2 the CO2 sensor of the same zone; its name what its
    temperature point's description puts before a colon ("Klasserom 2: air temperature")."""
    setpoints: dict[str, PointRow] = {}
    co2: dict[str, PointRow] = {}
    for point in points:
        if point.quantity == "temperature_setpoint" and (
            point.brick_class in _SETPOINT_CLASSES or point.brick_class is None
        ):
            setpoints.setdefault(_zone_of(point), point)
        elif role_of(point) == Role.CO2:
            co2.setdefault(_zone_of(point), point)
    zones = []
    for point in points:
        if role_of(point) != Role.ZONE_TEMPERATURE:
            continue
        zone = _zone_of(point)
        setpoint, sensor = setpoints.get(zone), co2.get(zone)
        name, colon, _ = (point.description or "").partition(":")
        zones.append(
            ZoneSeries(
                zone=zone,
                temperature=point.point,
                setpoint=None if setpoint is None else setpoint.point,
                temp_c=hourly_series(store, building, point, grid_s=grid_s, target_unit="Cel"),
                setpoint_c=(
                    np.full(grid_s.shape, np.nan)
                    if setpoint is None
                    else hourly_series(store, building, setpoint, grid_s=grid_s, target_unit="Cel")
                ),
                name=name.strip() if colon else "",
                co2_ppm=(
                    None
                    if sensor is None
                    else hourly_series(store, building, sensor, grid_s=grid_s, target_unit="ppm")
                ),
            )
        )
    return tuple(sorted(zones, key=lambda z: z.zone))


def supply_water_series(
    store: ReadingReader, building: BuildingRow, points: list[PointRow], *, grid_s: np.ndarray
) -> np.ndarray | None:
    """The radiator circuit's supply water temperature, hourly (None: no such point)."""
    point = next((p for p in points if p.brick_class in _SUPPLY_WATER_CLASSES), None)
    if point is None:
        return None
    return hourly_series(store, building, point, grid_s=grid_s, target_unit="Cel")


def air_handling_units(
    store: ReadingReader,
    building: BuildingRow,
    points: list[PointRow],
    *,
    start_s: float,
    end_s: float,
) -> tuple[AhuUnit, ...]:
    """The building's air handling units, each point read as means in 15 minutes (or its
    points' shortest declared interval, where longer) from ``start_s`` to ``end_s``."""
    by_id = {point.point: point for point in points}
    units = []
    for unit, fields in sorted(ahu_units(points).items()):
        members = [by_id[point] for point in fields.values()]
        intervals = [1000 * p.interval_s for p in members if p.interval_s]
        step_ms = max(min(intervals), AHU_STEP_MS) if intervals else AHU_STEP_MS
        grid = np.arange(np.floor(start_s * 1000 / step_ms) * step_ms / 1000, end_s, step_ms / 1000)
        if grid.size < 2:
            continue
        values = {
            p.point: series_on(store, building, p, grid_s=grid, step_ms=step_ms) for p in members
        }
        try:
            series = ahu_series(
                times_s=grid,
                values=values,
                fields=fields,
                units={p.point: p.unit for p in members},
            )
        except ValueError as exc:
            # A unit on a scale the rules do not know is not judged, rather than misjudged.
            logger.warning("%s/%s: air handling unit not judged: %s", building.id, unit, exc)
            continue
        units.append(AhuUnit(unit, tuple(sorted(fields.values())), series))
    return tuple(units)


def _zone_of(point: PointRow) -> str:
    return point.zone or point.point.split(".")[0]


__all__ = [
    "SENSOR_QUANTITIES",
    "air_handling_units",
    "hourly_series",
    "meter_readings",
    "series_on",
    "supply_water_series",
    "zone_series",
]
