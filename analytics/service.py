"""Runs the analysis over the stored readings of every building and keeps the findings.

Orchestration only: this module reads each building's series from the store, hands them to
:func:`analytics.pipeline.analyse` (pure), prices what it finds (:mod:`analytics.findings`)
and keeps it in the registry.

However often it runs, no hour's waste is counted twice. Each local week is scored by models of
the weeks before it alone (:mod:`analytics.scoring`), so an episode is found with the same start
by every run that sees it, and ``(building, kind, start)`` is the finding's identity: a later
run makes an episode that goes on grow, never adds another. Between runs the service remembers,
per building, the hour from which the next run must score again (the start of an episode that
may still go on, else a little before the end of the last run), so a run reads only what is new
plus the history its models need.

After the findings are kept, each analysed building's health over the last four weeks is
scored (:mod:`analytics.daily_health`) and kept as the local day's record.

Each analysed building's main meters go into the energy ledger
(:mod:`byggpuls.registry.energy`) for the hours the run scored: the measured kWh, the
baseline's expected kWh where it is trusted, and what the measured energy cost, priced as the
findings are but for the energy part only (a month's capacity part belongs to the month's
peak, not to any one hour).
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

import numpy as np

from analytics.daily_health import health_day
from analytics.findings import Pricing, finding_of
from analytics.pipeline import Analysis, BuildingData, Carrier, Meter, analyse, hour_grid
from analytics.reading import (
    SENSOR_QUANTITIES,
    air_handling_units,
    hourly_series,
    meter_readings,
    supply_water_series,
    zone_series,
)
from analytics.scoring import HISTORY_WEEKS
from analytics.settings import AnalyticsSettings
from analytics.waste import Tariff, electricity_prices
from analytics.waste.sources import price_source_from
from byggpuls.errors import StoreError
from byggpuls.registry.accounting import Accounting
from byggpuls.registry.energy import EnergyHour
from byggpuls.registry.health import HealthDay
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import BuildingRow, NewFinding, PointRow
from byggpuls.roles import Role, main_point
from byggpuls.storage.port import ReadingReader

logger = logging.getLogger(__name__)

HOUR_MS: Final = 3_600_000
DAY_MS: Final = 24 * HOUR_MS
WEEK_MS: Final = 7 * DAY_MS
AFTER_HOURS_KIND: Final = "after_hours_operation"
METER_FAULT_KIND: Final = "meter_fault"
#: Readings before the first hour scored that meter-fault checks look at (a spike's neighbours,
#: the start of a stuck run or gap already under way).
METER_CONTEXT_MS: Final = DAY_MS
#: A finding whose episode ended this long before the data's end has stopped recurring.
QUIET_DAYS: Final = 7.0
_CARRIERS: Final[tuple[tuple[Role, Carrier], ...]] = (
    (Role.ELECTRICITY, "electricity"),
    (Role.HEAT, "heat"),
)


@dataclass(frozen=True, slots=True)
class RunSummary:
    buildings: int
    analysed: int
    #: Buildings whose analysis raised: logged with the traceback, retried the next run.
    failed: int
    #: Buildings whose health was scored (each run replaces the day's record).
    health: int
    findings: int
    waste_kwh: float
    waste_nok: float
    #: Hours of main meters recorded in the energy ledger.
    energy_hours: int = 0


#: Per building: the hour (epoch ms) from which the next run scores again.
ResumePoints = MutableMapping[str, int]


def building_data(
    store: ReadingReader,
    building: BuildingRow,
    points: list[PointRow],
    *,
    score_from_ms: int,
    end_ms: int,
) -> BuildingData | None:
    """What :func:`analyse` needs of ``building`` to score from ``score_from_ms``: the history
    its weekly models learn from before that, and the readings of its meters and sensors
    since a day before it; its zones hourly and its air handling units in 15-minute means, over
    the same history; None when it has no energy meter."""
    start_ms = score_from_ms - (HISTORY_WEEKS + 1) * WEEK_MS
    grid = hour_grid(start_ms / 1000, end_ms / 1000)
    if grid.size == 0:
        return None
    meters = []
    readings = []
    for role, carrier in _CARRIERS:
        power = main_point(points, role, quantity="power")
        if power is None:
            continue
        counter = main_point(points, role, quantity="energy")
        related = (counter.point,) if counter is not None else ()
        energy = hourly_series(store, building, power, grid_s=grid, target_unit="kW")
        meters.append(Meter(power.point, carrier, energy, related))
        for point in (power, counter):
            if point is not None:
                readings.append(
                    meter_readings(
                        store,
                        building,
                        point,
                        start_ms=score_from_ms - METER_CONTEXT_MS,
                        end_ms=end_ms,
                    )
                )
    if not meters:
        return None
    readings.extend(
        meter_readings(
            store, building, point, start_ms=score_from_ms - METER_CONTEXT_MS, end_ms=end_ms
        )
        for point in points
        if point.quantity in SENSOR_QUANTITIES
    )
    outdoor = main_point(points, Role.OUTDOOR_TEMPERATURE)
    outdoor_c = (
        hourly_series(store, building, outdoor, grid_s=grid, target_unit="Cel")
        if outdoor is not None
        else np.full(grid.shape, np.nan)
    )
    return BuildingData(
        building=building.id,
        building_type=building.type,
        times_s=grid,
        meters=tuple(meters),
        outdoor_c=outdoor_c,
        readings=tuple(readings),
        zones=zone_series(store, building, points, grid_s=grid),
        supply_water_c=supply_water_series(store, building, points, grid_s=grid),
        ahus=air_handling_units(
            store, building, points, start_s=float(grid[0]), end_s=end_ms / 1000
        ),
    )


def run_once(
    *,
    store: ReadingReader,
    registry: Registry,
    now_ms: int,
    window_days: int,
    pricing: Pricing,
    resume: ResumePoints | None = None,
) -> RunSummary:
    """Analyse every building over the last ``window_days`` and upsert what is found.

    ``resume`` (kept by the caller between runs, updated here) says per building from which
    hour to score again; without it every run scores the whole window, with the same findings.
    """
    end_ms = now_ms - now_ms % HOUR_MS  # whole hours only: the current one is still filling
    start_ms = end_ms - window_days * DAY_MS
    buildings = registry.buildings()
    analysed = failed = ledger = 0
    findings: list[NewFinding] = []
    # Health is scored after the run's findings are kept; each run replaces the day's record,
    # so the day keeps the health of its latest data (a first run may see only part of it).
    health_due: list[tuple[BuildingRow, BuildingData]] = []
    for building in buildings:
        resumed_ms = None if resume is None else resume.get(building.id)
        score_from_ms = start_ms if resumed_ms is None else max(start_ms, resumed_ms)
        try:
            points = registry.points(building.id)
            data = building_data(
                store, building, points, score_from_ms=score_from_ms, end_ms=end_ms
            )
        except StoreError as exc:
            logger.warning("%s: cannot read its meters: %s", building.id, exc)
            continue
        if data is None:
            continue
        try:
            analysis = analyse(
                data,
                score_from_s=score_from_ms / 1000,
                resumed=resumed_ms is not None and score_from_ms == resumed_ms,
            )
            found = [finding_of(d, data, pricing=pricing) for d in analysis.detections]
        except Exception:
            # One building's odd data must not stop the portfolio's analysis; its resume
            # point stays, so the next run tries the same hours again.
            logger.exception("%s: analysis failed; the other buildings go on", building.id)
            failed += 1
            continue
        findings.extend(found)
        if resume is not None:
            resume[building.id] = int(analysis.resume_s * 1000)
        analysed += 1
        health_due.append((building, data))
        ledger += _record_ledger(
            registry=registry, data=data, analysis=analysis, since_ms=score_from_ms, pricing=pricing
        )
    if findings:
        registry.upsert_findings(findings)
    registry.close_quiet_findings(
        now=datetime.fromtimestamp(end_ms / 1000, UTC), quiet_days=QUIET_DAYS
    )
    days = _health_days(registry=registry, due=health_due, end_s=end_ms / 1000)
    if days:
        registry.record_health(days)
    return RunSummary(
        buildings=len(buildings),
        analysed=analysed,
        failed=failed,
        health=len(days),
        findings=len(findings),
        waste_kwh=sum(f.waste_kwh for f in findings),
        waste_nok=sum(f.waste_nok for f in findings),
        energy_hours=ledger,
    )


def _record_ledger(
    *, registry: Registry, data: BuildingData, analysis: Analysis, since_ms: int, pricing: Pricing
) -> int:
    """Record the hours from ``since_ms`` of each main meter of ``data`` in the energy ledger,
    in one statement; returns how many. Hours the meter said nothing about are left out. A
    failure is logged: the next run that scores these hours records them."""
    scored = data.times_s >= since_ms / 1000
    rows: list[EnergyHour] = []
    try:
        for meter in data.meters:
            measured_kwh = meter.energy_kwh
            hours = scored & np.isfinite(measured_kwh)
            if not hours.any():
                continue
            hours_s, measured = data.times_s[hours], measured_kwh[hours]
            baseline = analysis.baselines.get(meter.point)
            expected = np.full(measured.shape, np.nan)
            if baseline is not None:
                trusted = baseline.trusted[hours]
                expected[trusted] = baseline.expected_kwh[hours][trusted]
            costs = _energy_costs(meter.carrier, hours_s, measured, pricing)
            rows.extend(
                EnergyHour(
                    building=data.building,
                    carrier=meter.carrier,
                    hour=datetime.fromtimestamp(float(time_s), UTC),
                    point=meter.point,
                    measured_kwh=float(kwh),
                    baseline_kwh=None if np.isnan(base) else float(base),
                    cost_nok=float(nok),
                )
                for time_s, kwh, base, nok in zip(hours_s, measured, expected, costs, strict=True)
            )
        return registry.record_energy_hours(rows)
    except (StoreError, ValueError) as exc:
        logger.warning("%s: energy ledger not recorded: %s", data.building, exc)
        return 0


def _energy_costs(
    carrier: Carrier, hours_s: np.ndarray, measured_kwh: np.ndarray, pricing: Pricing
) -> np.ndarray:
    """What ``measured_kwh`` cost in each hour, NOK ex. VAT, priced as the findings are, the
    energy part only: district heat at its price; electricity at the hour's spot price plus the
    grid tariff's energy part, or at the flat all-in price where there are no spot prices."""
    tariff = pricing.tariff
    if carrier == "heat":
        heat: np.ndarray = measured_kwh * tariff.district_heat_nok_per_kwh
        return heat
    used = measured_kwh > 0
    priced = electricity_prices(
        pricing.source,
        area=pricing.area,
        times_s=hours_s,
        waste_kwh=np.where(used, measured_kwh, 0),
    )
    if priced.spot is None:
        flat: np.ndarray = measured_kwh * tariff.flat_electricity_nok_per_kwh
        return flat
    costs: np.ndarray = measured_kwh * tariff.grid_energy_nok_per_kwh
    costs[used] += measured_kwh[used] * priced.spot.at(hours_s[used])
    return costs


def _health_days(
    *,
    registry: Registry,
    due: list[tuple[BuildingRow, BuildingData]],
    end_s: float,
) -> list[HealthDay]:
    """The day's health of each building in ``due`` (one that fails is logged and left for
    the next run)."""
    accounting = Accounting(registry.engine)
    days = []
    for building, data in due:
        try:
            days.append(
                health_day(
                    accounting=accounting,
                    building=building,
                    data=data,
                    findings=registry.findings(building=building.id),
                    end_s=end_s,
                )
            )
        except Exception:
            logger.exception("%s: health not scored; the next run tries again", building.id)
    return days


def pricing_from(settings: AnalyticsSettings) -> Pricing:
    """The tariff, spot-price source and price area the settings name."""
    return Pricing(
        tariff=Tariff.from_settings(settings),
        source=price_source_from(settings),
        area=settings.analytics_price_area,
    )


@dataclass(slots=True)
class Analytics:
    """The analytics service: :func:`run_once` over one store and registry, as set up, with
    the resume points of its runs."""

    store: ReadingReader
    registry: Registry
    settings: AnalyticsSettings
    pricing: Pricing | None = None
    resume: dict[str, int] = field(default_factory=dict)

    def run_once(self, *, now_ms: int) -> RunSummary:
        """Analyse the portfolio as it is at ``now_ms`` and keep what is found."""
        if self.pricing is None:
            self.pricing = pricing_from(self.settings)
        return run_once(
            store=self.store,
            registry=self.registry,
            now_ms=now_ms,
            window_days=self.settings.analytics_window_days,
            pricing=self.pricing,
            resume=self.resume,
        )
