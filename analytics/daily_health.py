"""Each building's health from what its analysis has at hand, kept per local day.

:func:`analytics.health.building_health` is a pure function; this module gathers its inputs:

- **energy**: the main meters' measured kWh over the period, and per carrier the baseline that
  the findings imply: what was measured less the waste the building's open and acknowledged
  findings claim on that carrier (in the service, their whole waste: a finding that began
  before the period brings all of it). A carrier with a baseline under review (its meter's
  baseline failed Guideline 14) has no baseline. A month is too short for a use per m² per
  year, so that half of the energy part stays unknown until a year is kept.
- **findings**: classified by kind (:func:`analytics.health.classify`).
- **indoor climate**: each zone's hourly air temperature and CO2 over the period, judged in
  the building's opening hours only (:func:`analytics.zones.climate.occupied_climate`), in
  19-26 °C; a room for sport (a gym, a sports hall: its name says so) in 16-26 °C, the range
  Arbeidstilsynet gives for moderately heavy activity, since such rooms are kept at 16-18 °C
  on purpose.
- **data quality**: the share of the readings due that arrived, as ingest counted them over
  the last :data:`QUALITY_DAYS` days; where nothing is due (no point declares its interval),
  the share of the period's hours in which the main meters have a reading.

:func:`health_day` is the service's (registry findings, ingest's counts); :func:`health_of`
the evaluation's (the analysis's detections), both on :func:`health_from`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import numpy as np

from analytics.building import BuildingData, Detection
from analytics.health import (
    CarrierEnergy,
    DataQuality,
    EnergyPeriod,
    Finding,
    Health,
    ZoneClimate,
    building_health,
    classify,
)
from analytics.pipeline import BASELINE_REVIEW_KIND
from analytics.zones.checks import ZoneSeries
from analytics.zones.climate import HIGH_C, LOW_C, occupied_climate
from byggpuls.calendar import local_date_of_utc_hour
from byggpuls.reading import BuildingInfo
from byggpuls.registry.accounting import Accounting
from byggpuls.registry.health import HealthDay
from byggpuls.registry.rows import BuildingRow, FindingRow

#: The period the service's health judges: four weeks, long enough for a week's fault to
#: show, short enough that a fault fixed last month no longer weighs.
HEALTH_DAYS: Final = 28
#: The days whose completeness the data-quality part judges.
QUALITY_DAYS: Final = 7
#: The lowest temperature of the band in a room for sport (Arbeidstilsynet, "Klima og
#: luftkvalitet på arbeidsplassen": 16-26 °C for moderately heavy work; 19-26 °C for light).
SPORT_LOW_C: Final = 16.0
#: Words in a zone's name or id that make it a room for sport.
_SPORT_WORDS: Final = ("gym", "idrett", "sport", "turnhall", "flerbrukshall")
HOUR_S: Final = 3600.0
DAY_S: Final = 86_400.0


def health_from(
    *,
    building: BuildingInfo,
    data: BuildingData,
    findings: Sequence[Finding],
    claimed_kwh: Mapping[str, float],
    review: Iterable[str],
    completeness: float | None,
    start_s: float,
    end_s: float,
) -> Health:
    """The health of ``building`` over ``[start_s, end_s)``: ``claimed_kwh`` is the waste the
    findings claim per carrier, ``review`` the meters whose baseline is under review."""
    return building_health(
        building=building,
        energy=energy_period(data, claimed_kwh, set(review), start_s=start_s, end_s=end_s),
        findings=findings,
        zones=zone_climate(data, start_s=start_s, end_s=end_s),
        data_quality=None if completeness is None else DataQuality(completeness=completeness),
    )


def health_day(
    *,
    accounting: Accounting,
    building: BuildingRow,
    data: BuildingData,
    findings: Sequence[FindingRow],
    end_s: float,
) -> HealthDay:
    """The service's record of ``building``'s health on the local day of the hour before
    ``end_s``, over the :data:`HEALTH_DAYS` before it, from its findings in the registry."""
    day = local_date_of_utc_hour(int(end_s // HOUR_S) - 1)
    counted = [f for f in findings if f.status != "resolved"]
    completeness = counted_completeness(accounting, building.id, day=day, end_s=end_s)
    health = health_from(
        building=building,
        data=data,
        findings=[Finding.from_row(row) for row in findings],
        claimed_kwh=_claimed_by_rows(counted, data),
        review=(f.points[0] for f in counted if f.kind == BASELINE_REVIEW_KIND and f.points),
        completeness=completeness if completeness is not None else meter_completeness(data, end_s),
        start_s=end_s - HEALTH_DAYS * DAY_S,
        end_s=end_s,
    )
    return HealthDay(
        building=building.id, day=day, score=health.score, band=health.band, parts=parts_of(health)
    )


def health_of(
    *, building: BuildingInfo, data: BuildingData, detections: Sequence[Detection],
    start_s: float, end_s: float,
) -> Health:  # fmt: skip
    """The health over ``[start_s, end_s)`` with every detection in it counted as an open
    finding (the evaluation's view: nobody has fixed anything yet)."""
    inside = [d for d in detections if d.start_s < end_s and d.end_s > start_s]
    claimed: dict[str, float] = {}
    for detection in inside:
        for carrier in ("electricity", "heat"):
            hours, hourly = detection.waste_of(carrier)
            kept = (hours >= start_s) & (hours < end_s)
            claimed[carrier] = claimed.get(carrier, 0.0) + float(hourly[kept].sum())
    findings = []
    for index, detection in enumerate(inside):
        category, severity = classify(detection.kind)
        waste = detection.total_waste_kwh if detection.carrier is not None else None
        findings.append(
            Finding(
                id=index,
                kind=detection.kind,
                status="open",
                category=category,
                severity=severity,
                waste_kwh=waste,
            )
        )
    return health_from(
        building=building,
        data=data,
        findings=findings,
        claimed_kwh=claimed,
        review=(d.points[0] for d in inside if d.kind == BASELINE_REVIEW_KIND),
        completeness=meter_completeness(data, end_s, days=(end_s - start_s) / DAY_S),
        start_s=start_s,
        end_s=end_s,
    )


def energy_period(
    data: BuildingData,
    claimed_kwh: Mapping[str, float],
    review: set[str],
    *,
    start_s: float,
    end_s: float,
) -> EnergyPeriod | None:
    """The main meters over the period, each with the baseline its findings imply."""
    period = (data.times_s >= start_s) & (data.times_s < end_s)
    if not period.any():
        return None
    carriers = []
    for meter in data.meters:
        values = meter.energy_kwh[period]
        if not np.isfinite(values).any():
            continue
        measured = float(np.nansum(values))
        baseline = None
        if meter.point not in review:
            baseline = max(measured - claimed_kwh.get(meter.carrier, 0.0), 0.0)
        carriers.append(
            CarrierEnergy(carrier=meter.carrier, measured_kwh=measured, baseline_kwh=baseline)
        )
    if not carriers:
        return None
    days = float(np.count_nonzero(period)) / 24.0
    # Whether every carrier the building buys is metered is not known from its points.
    return EnergyPeriod(days=days, carriers=tuple(carriers), all_carriers_metered=False)


def _claimed_by_rows(findings: Iterable[FindingRow], data: BuildingData) -> dict[str, float]:
    """The waste the registry's findings claim, per carrier: their own meter's, and what they
    name on another meter (the heat of ventilation left on)."""
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


def zone_climate(data: BuildingData, *, start_s: float, end_s: float) -> list[ZoneClimate]:
    """Each zone's occupied hours over the period and how many were in band."""
    period = (data.times_s >= start_s) & (data.times_s < end_s)
    zones = []
    for zone in data.zones:
        temp_c = zone.temp_c[period]
        if not np.isfinite(temp_c).any():
            continue
        low_c = SPORT_LOW_C if _for_sport(zone) else LOW_C
        summary = occupied_climate(
            building_type=data.building_type,
            times_s=data.times_s[period],
            temp_c=temp_c,
            co2_ppm=None if zone.co2_ppm is None else zone.co2_ppm[period],
            low_c=low_c,
            high_c=HIGH_C,
            interval_s=HOUR_S,
        )
        zones.append(
            ZoneClimate(
                zone=zone.name or zone.zone,
                occupied_hours=summary.measured_hours,
                in_band_hours=summary.hours_in_band,
                degree_hours_outside=summary.degree_hours_below + summary.degree_hours_above,
                low_c=low_c,
                high_c=HIGH_C,
            )
        )
    return zones


def _for_sport(zone: ZoneSeries) -> bool:
    """Whether the zone is a room for sport, by its name or its point's id."""
    text = f"{zone.zone} {zone.temperature} {zone.name}".lower()
    return any(word in text for word in _SPORT_WORDS)


def counted_completeness(
    accounting: Accounting, building: str, *, day: date, end_s: float
) -> float | None:
    """The share of the readings due over the last :data:`QUALITY_DAYS` days that arrived, as
    ingest counted them (None: nothing was due)."""
    now = datetime.fromtimestamp(end_s, UTC)
    received = due = 0
    for back in range(QUALITY_DAYS):
        for row in accounting.completeness(building, day - timedelta(days=back), now=now):
            if row.expected:
                due += row.expected
                received += min(row.received, row.expected)
    return received / due if due else None


def meter_completeness(
    data: BuildingData, end_s: float, *, days: float = QUALITY_DAYS
) -> float | None:
    """The share of the last ``days``' hours in which the main meters have a reading."""
    period = (data.times_s >= end_s - days * DAY_S) & (data.times_s < end_s)
    hours = [np.isfinite(meter.energy_kwh[period]) for meter in data.meters]
    if not hours or not period.any():
        return None
    return float(np.mean(np.concatenate(hours)))


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


__all__ = ["HEALTH_DAYS", "QUALITY_DAYS", "health_day", "health_from", "health_of"]
