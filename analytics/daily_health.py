"""Each building's health, scored once a local day from what the service has at hand.

:func:`analytics.health.building_health` is a pure function; this module gathers its inputs
for one building at the end of a run and makes the day's record:

- **energy**: the main meters' measured kWh over the last :data:`HEALTH_DAYS` days, and per
  carrier the baseline that the findings imply: what was measured less the waste the building's
  open and acknowledged findings claim on that carrier (their whole waste: a finding that began
  before the period brings all of it). A carrier with a baseline under review (its meter's
  baseline failed Guideline 14) has no baseline. A month is too short for a use per m² per
  year, so that half of the energy part stays unknown until the service keeps a year.
- **findings**: the building's findings from the registry, classified by kind.
- **indoor climate**: each zone's air temperature and CO2, hourly, over the period, judged in
  the building's opening hours only (:func:`analytics.zones.climate.occupied_climate`), in
  19-26 °C; a room for sport (a gym, a sports hall: its name says so) in 16-26 °C, the range
  Arbeidstilsynet gives for moderately heavy activity, since such rooms are kept at 16-18 °C
  on purpose.
- **data quality**: the share of the readings due over the last :data:`QUALITY_DAYS` days that
  arrived, as ingest counted them; where no point declares its interval (nothing is due),
  the share of the period's hours in which the main meters have a reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import numpy as np

from analytics.health import (
    CarrierEnergy,
    DataQuality,
    EnergyPeriod,
    Finding,
    Health,
    ZoneClimate,
    building_health,
)
from analytics.pipeline import BASELINE_REVIEW_KIND, BuildingData, hour_grid
from analytics.reading import hourly_series
from analytics.zones.climate import HIGH_C, LOW_C, occupied_climate
from byggpuls.calendar import local_date_of_utc_hour
from byggpuls.registry.accounting import Accounting
from byggpuls.registry.health import HealthDay
from byggpuls.registry.rows import BuildingRow, FindingRow, PointRow
from byggpuls.roles import Role, role_of
from byggpuls.storage.port import ReadingReader

#: The period the health judges: four weeks, long enough for a week's fault to show, short
#: enough that a fault fixed last month no longer weighs.
HEALTH_DAYS: Final = 28
#: The lowest temperature of the band in a room for sport (Arbeidstilsynet, "Klima og
#: luftkvalitet på arbeidsplassen": 16-26 °C for moderately heavy work; 19-26 °C for light).
SPORT_LOW_C: Final = 16.0
#: Words in a zone's name or its point's description that make it a room for sport.
_SPORT_WORDS: Final = ("gym", "idrett", "sport", "turnhall", "flerbrukshall")
#: The days whose completeness the data-quality part judges.
QUALITY_DAYS: Final = 7
HOUR_S: Final = 3600.0
DAY_S: Final = 86_400.0


def health_day(
    *,
    store: ReadingReader,
    accounting: Accounting,
    building: BuildingRow,
    points: Sequence[PointRow],
    data: BuildingData,
    findings: Sequence[FindingRow],
    end_s: float,
) -> HealthDay:
    """The health of ``building`` on the local day of the hour before ``end_s``."""
    day = local_date_of_utc_hour(int(end_s // HOUR_S) - 1)
    health = building_health(
        building=building,
        energy=energy_period(data, findings, end_s=end_s),
        findings=[Finding.from_row(row) for row in findings],
        zones=zone_climate(store, building, points, end_s=end_s),
        data_quality=data_quality(accounting, building, data, day=day, end_s=end_s),
    )
    return HealthDay(
        building=building.id, day=day, score=health.score, band=health.band, parts=parts_of(health)
    )


def energy_period(
    data: BuildingData, findings: Sequence[FindingRow], *, end_s: float
) -> EnergyPeriod | None:
    """The main meters over the period, each with the baseline its findings imply."""
    period = (data.times_s >= end_s - HEALTH_DAYS * DAY_S) & (data.times_s < end_s)
    if not period.any():
        return None
    counted = [f for f in findings if f.status != "resolved"]
    claimed = _claimed_by_carrier(counted, data)
    review = {f.points[0] for f in counted if f.kind == BASELINE_REVIEW_KIND and f.points}
    carriers = []
    for meter in data.meters:
        values = meter.energy_kwh[period]
        if not np.isfinite(values).any():
            continue
        measured = float(np.nansum(values))
        baseline = None
        if meter.point not in review:
            baseline = max(measured - claimed.get(meter.carrier, 0.0), 0.0)
        carriers.append(
            CarrierEnergy(carrier=meter.carrier, measured_kwh=measured, baseline_kwh=baseline)
        )
    if not carriers:
        return None
    days = float(np.count_nonzero(period)) / 24.0
    # Whether every carrier the building buys is metered is not known from its points.
    return EnergyPeriod(days=days, carriers=tuple(carriers), all_carriers_metered=False)


def _claimed_by_carrier(findings: Iterable[FindingRow], data: BuildingData) -> dict[str, float]:
    """The waste the findings claim, per carrier: their own meter's, and what they name on
    another meter (the heat of ventilation left on)."""
    carrier_of = {meter.point: meter.carrier for meter in data.meters}
    claimed: dict[str, float] = {}
    for finding in findings:
        own = finding.evidence.get("waste_kwh")
        carrier = carrier_of.get(finding.points[0]) if finding.points else None
        if carrier is not None and isinstance(own, int | float):
            claimed[carrier] = claimed.get(carrier, 0.0) + float(own)
        for other in finding.evidence.get("also", ()):
            if isinstance(other, dict) and isinstance(other.get("waste_kwh"), int | float):
                name = str(other.get("carrier"))
                claimed[name] = claimed.get(name, 0.0) + float(other["waste_kwh"])
    return claimed


def zone_climate(
    store: ReadingReader, building: BuildingRow, points: Sequence[PointRow], *, end_s: float
) -> list[ZoneClimate]:
    """Each zone's occupied hours over the period and how many were in band."""
    grid = hour_grid(end_s - HEALTH_DAYS * DAY_S, end_s)
    temperatures: dict[str, PointRow] = {}
    co2: dict[str, PointRow] = {}
    for point in points:
        role = role_of(point)
        if role in (Role.ZONE_TEMPERATURE, Role.CO2):
            zone = point.zone or point.point.split(".")[0]
            (temperatures if role == Role.ZONE_TEMPERATURE else co2).setdefault(zone, point)
    zones = []
    for zone, temperature in sorted(temperatures.items()):
        temp_c = hourly_series(store, building, temperature, grid_s=grid, target_unit="Cel")
        if not np.isfinite(temp_c).any():
            continue
        co2_ppm = None
        if zone in co2:
            co2_ppm = hourly_series(store, building, co2[zone], grid_s=grid, target_unit="ppm")
        low_c = SPORT_LOW_C if _for_sport(zone, temperature) else LOW_C
        summary = occupied_climate(
            building_type=building.type,
            times_s=grid,
            temp_c=temp_c,
            co2_ppm=co2_ppm,
            low_c=low_c,
            high_c=HIGH_C,
            interval_s=HOUR_S,
        )
        zones.append(
            ZoneClimate(
                zone=_name_of(zone, temperature),
                occupied_hours=summary.measured_hours,
                in_band_hours=summary.hours_in_band,
                degree_hours_outside=summary.degree_hours_below + summary.degree_hours_above,
                low_c=low_c,
                high_c=HIGH_C,
            )
        )
    return zones


def _name_of(zone: str, point: PointRow) -> str:
    """The zone's name as people know it: what its point's description puts before a colon
    ("Klasserom 2: air temperature"), else its id."""
    name, colon, _ = (point.description or "").partition(":")
    return name.strip() if colon and name.strip() else zone


def _for_sport(zone: str, point: PointRow) -> bool:
    """Whether the zone is a room for sport, by its name or its point's description."""
    text = f"{zone} {point.point} {point.description or ''}".lower()
    return any(word in text for word in _SPORT_WORDS)


def data_quality(
    accounting: Accounting, building: BuildingRow, data: BuildingData, *, day: date, end_s: float
) -> DataQuality | None:
    """The share of the readings due over the last days that arrived (see the module)."""
    now = datetime.fromtimestamp(end_s, UTC)
    received = due = 0
    for back in range(QUALITY_DAYS):
        for row in accounting.completeness(building.id, day - timedelta(days=back), now=now):
            if row.expected:
                due += row.expected
                received += min(row.received, row.expected)
    if due:
        return DataQuality(completeness=received / due)
    period = (data.times_s >= end_s - QUALITY_DAYS * DAY_S) & (data.times_s < end_s)
    hours = [np.isfinite(meter.energy_kwh[period]) for meter in data.meters]
    if not hours or not period.any():
        return None
    return DataQuality(completeness=float(np.mean(np.concatenate(hours))))


def parts_of(health: Health) -> dict[str, Any]:
    """The breakdown as the registry keeps it (JSON): per part its score, weight, reasons."""
    return {
        part.name: {
            "score": part.score,
            "weight": part.weight,
            "reasons": [
                {
                    "text_nb": reason.text_nb,
                    "text_en": reason.text_en,
                    "points": reason.points,
                    "finding_id": reason.finding_id,
                }
                for reason in part.reasons
            ],
        }
        for part in health.parts
    }


__all__ = ["HEALTH_DAYS", "QUALITY_DAYS", "health_day"]
