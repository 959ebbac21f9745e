"""Runs the detectors over the stored readings of every building and keeps the findings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from analytics.detectors.after_hours import AfterHoursDetector
from analytics.settings import AnalyticsSettings
from byggpuls.errors import StoreError
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import BuildingRow, NewFinding, PointRow
from byggpuls.storage.port import Aggregation, ReadingReader, SeriesQuery
from byggpuls.units import convert

logger = logging.getLogger(__name__)

HOUR_MS = 3_600_000
#: A profile of "normal" needs each hour of the day seen on a few days.
MIN_HISTORY_HOURS = 7 * 24
AFTER_HOURS_KIND = "after_hours_operation"
ELECTRIC_POWER_BRICK = "Electric_Power_Sensor"


@dataclass(frozen=True, slots=True)
class RunSummary:
    buildings: int
    analysed: int
    findings: int
    waste_kwh: float
    waste_nok: float


def electricity_meter(points: list[PointRow]) -> PointRow | None:
    """The building's main electric power point: by Brick class, else by quantity and domain."""
    candidates = [p for p in points if p.quantity == "power" and p.domain == "energy"]
    for point in candidates:
        if point.brick_class == ELECTRIC_POWER_BRICK:
            return point
    electric = [p for p in candidates if p.point.startswith("el.")]
    return electric[0] if electric else None


def after_hours_findings(
    *,
    store: ReadingReader,
    building: BuildingRow,
    meter: PointRow,
    start_ms: int,
    end_ms: int,
    price_nok_per_kwh: float,
) -> list[NewFinding]:
    """Episodes of after-hours operation on ``meter`` in ``[start_ms, end_ms)``."""
    samples = store.query_series(
        SeriesQuery(
            building=building.id,
            point=meter.point,
            quantity=meter.quantity,
            start_ms=start_ms,
            end_ms=end_ms,
            every_ms=HOUR_MS,
            aggregation=Aggregation.MEAN,
        )
    )
    if len(samples) < MIN_HISTORY_HOURS:
        logger.debug(
            "%s: %d hours of %s, need %d to learn what is normal",
            building.id,
            len(samples),
            meter.point,
            MIN_HISTORY_HOURS,
        )
        return []
    times_s = np.array([s.time_ms / 1000 for s in samples])
    power_kw = np.array([s.value for s in samples])
    if meter.unit != "kW":
        power_kw = np.array([convert(v, source=meter.unit, target="kW") for v in power_kw])
    detector = AfterHoursDetector(building_type=building.type).fit(times_s, power_kw)
    findings = []
    for episode in detector.episodes(times_s, power_kw):
        waste_kwh = round(episode.excess_kwh, 1)
        findings.append(
            NewFinding(
                building=building.id,
                kind=AFTER_HOURS_KIND,
                points=(meter.point,),
                start=datetime.fromtimestamp(episode.start_s, UTC),
                end=datetime.fromtimestamp(episode.end_s, UTC),
                evidence={
                    "summary": (
                        f"{episode.hours} h outside opening hours used {episode.measured_kwh:.0f}"
                        f" kWh where {episode.expected_kwh:.0f} kWh is normal for those hours"
                    ),
                    "hours": episode.hours,
                    "measured_kwh": round(episode.measured_kwh, 1),
                    "expected_kwh": round(episode.expected_kwh, 1),
                    "mean_power_kw": round(episode.measured_kwh / episode.hours, 2),
                    "expected_power_kw": round(episode.expected_kwh / episode.hours, 2),
                    "price_nok_per_kwh": price_nok_per_kwh,
                },
                waste_kwh=waste_kwh,
                waste_nok=round(waste_kwh * price_nok_per_kwh),
                score=round(episode.score, 3),
            )
        )
    return findings


def run_once(
    *,
    store: ReadingReader,
    registry: Registry,
    now_ms: int,
    window_days: int,
    price_nok_per_kwh: float,
) -> RunSummary:
    """Analyse every building over the last ``window_days`` and upsert what is found."""
    end_ms = now_ms - now_ms % HOUR_MS  # whole hours only: the current one is still filling
    start_ms = end_ms - window_days * 24 * HOUR_MS
    buildings = registry.buildings()
    analysed = 0
    findings: list[NewFinding] = []
    for building in buildings:
        meter = electricity_meter(registry.points(building.id))
        if meter is None or building.type == "nursing_home":
            continue
        try:
            found = after_hours_findings(
                store=store,
                building=building,
                meter=meter,
                start_ms=start_ms,
                end_ms=end_ms,
                price_nok_per_kwh=price_nok_per_kwh,
            )
        except StoreError as exc:
            logger.warning("%s: cannot read %s: %s", building.id, meter.point, exc)
            continue
        analysed += 1
        findings.extend(found)
    if findings:
        registry.upsert_findings(findings)
    return RunSummary(
        buildings=len(buildings),
        analysed=analysed,
        findings=len(findings),
        waste_kwh=sum(f.waste_kwh for f in findings),
        waste_nok=sum(f.waste_nok for f in findings),
    )


@dataclass(frozen=True, slots=True)
class Analytics:
    """The analytics service: :func:`run_once` over one store and registry, as set up."""

    store: ReadingReader
    registry: Registry
    settings: AnalyticsSettings

    def run_once(self, *, now_ms: int) -> RunSummary:
        """Analyse the portfolio as it is at ``now_ms`` and keep what is found."""
        return run_once(
            store=self.store,
            registry=self.registry,
            now_ms=now_ms,
            window_days=self.settings.analytics_window_days,
            price_nok_per_kwh=self.settings.analytics_electricity_price_nok_per_kwh,
        )
