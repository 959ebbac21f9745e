"""Runs the detectors over the stored readings of every building and keeps the findings.

However often it runs, no hour's waste is counted twice. Each local day is scored by a model
of the days before it alone (:func:`~analytics.detectors.after_hours.score_day_by_day`), so
an episode is found with the same start by every run that sees it, and ``(building, kind,
start)`` is the finding's identity: a later run makes an episode that goes on grow, never adds
another. An episode that begins at the first hour a run can score may have begun earlier and
is left to the run that saw its beginning. Between runs the service remembers, per meter, the
hour from which the next run must score again (the start of an episode still going on, else
the end of the last run), so a run reads only what is new plus the history its models need.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from analytics.detectors.after_hours import (
    HISTORY_DAYS,
    MIN_HISTORY_HOURS,
    AfterHoursDetector,
    Episode,
    score_day_by_day,
)
from analytics.detectors.meter_faults import MeterFault, MeterFaultDetector, overlaps
from analytics.settings import AnalyticsSettings
from byggpuls.errors import StoreError
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import BuildingRow, NewFinding, PointRow
from byggpuls.roles import Role, main_point
from byggpuls.storage.port import Aggregation, ReadingReader, SeriesQuery
from byggpuls.units import convert

logger = logging.getLogger(__name__)

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
AFTER_HOURS_KIND = AfterHoursDetector.kind
METER_FAULT_KIND = MeterFaultDetector.kind
#: Readings before the first hour scored that meter-fault checks look at (a spike's neighbours,
#: the start of a stuck run or gap already under way).
METER_CONTEXT_MS = DAY_MS


@dataclass(frozen=True, slots=True)
class RunSummary:
    buildings: int
    analysed: int
    findings: int
    waste_kwh: float
    waste_nok: float


def electricity_meter(points: list[PointRow]) -> PointRow | None:
    """The building's main electric power point (:mod:`byggpuls.roles`)."""
    return main_point(points, Role.ELECTRICITY, quantity="power")


#: Per (building, point): the hour (epoch ms) from which the next run scores again.
ResumePoints = MutableMapping[tuple[str, str], int]


def after_hours_findings(
    *,
    store: ReadingReader,
    building: BuildingRow,
    meter: PointRow,
    start_ms: int,
    end_ms: int,
    price_nok_per_kwh: float,
    resume_from_ms: int | None = None,
    meter_faults: Sequence[MeterFault] = (),
) -> tuple[list[NewFinding], int]:
    """Episodes of after-hours operation on ``meter`` in ``[start_ms, end_ms)``, scored from
    ``resume_from_ms`` (if later than ``start_ms``) on; and the hour the next run resumes from.
    """
    score_from_ms = start_ms if resume_from_ms is None else max(start_ms, resume_from_ms)
    samples = store.query_series(
        SeriesQuery(
            building=building.id,
            point=meter.point,
            quantity=meter.quantity,
            # The history of the first day scored, and a day more for the clock changes.
            start_ms=score_from_ms - (HISTORY_DAYS + 1) * DAY_MS,
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
        return [], score_from_ms
    times_s = np.array([s.time_ms / 1000 for s in samples])
    power_kw = np.array([s.value for s in samples])
    if meter.unit != "kW":
        power_kw = np.array([convert(v, source=meter.unit, target="kW") for v in power_kw])
    detector = AfterHoursDetector(building_type=building.type)
    expected, scores, known = score_day_by_day(
        lambda: AfterHoursDetector(building_type=building.type),
        times_s,
        power_kw,
        score_from_s=score_from_ms / 1000,
    )
    episodes = detector.decide(times_s, power_kw, expected, scores)
    resumed = resume_from_ms is not None and score_from_ms == resume_from_ms
    findings = []
    for episode in episodes:
        index = int(np.searchsorted(times_s, episode.start_s))
        begun_here = (index > 0 and known[index - 1]) or (
            resumed and episode.start_s * 1000 == score_from_ms
        )
        # Over a meter fault the figures are the meter's, not the building's: not priced.
        if begun_here and not overlaps(list(meter_faults), episode.start_s, episode.end_s):
            findings.append(_finding(building, meter, episode, price_nok_per_kwh))
    return findings, _resume_point(times_s, scores, known, end_ms)


def _resume_point(times_s: np.ndarray, scores: np.ndarray, known: np.ndarray, end_ms: int) -> int:
    """Where the next run scores from: the start of the unusual hours the run ended in (an
    episode that may go on), else ``end_ms``. Left where scoring stopped for want of history."""
    scored = np.flatnonzero(known)
    if scored.size == 0:
        return int(times_s[0] * 1000) if times_s.size else end_ms
    index = int(scored[-1])
    if scores[index] <= 0:
        return end_ms
    while index > 0 and known[index - 1] and scores[index - 1] > 0:
        if times_s[index] - times_s[index - 1] != HOUR_MS / 1000:
            break
        index -= 1
    return int(times_s[index] * 1000)


def _finding(
    building: BuildingRow, meter: PointRow, episode: Episode, price_nok_per_kwh: float
) -> NewFinding:
    waste_kwh = round(episode.excess_kwh, 1)
    return NewFinding(
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


def meter_fault_findings(
    *,
    store: ReadingReader,
    building: BuildingRow,
    points: Sequence[tuple[PointRow, bool]],
    score_from_ms: int,
    end_ms: int,
) -> tuple[list[NewFinding], dict[str, list[MeterFault]], int]:
    """Meter faults of ``points`` (each with whether it is a counter) beginning in
    ``[score_from_ms, end_ms)``; every fault seen per point (for suppressing waste); and where
    the next run scores from (the start of a fault still under way at the end, else a day
    before the end, so that a stuck run or gap in progress keeps its start)."""
    faults: dict[str, list[MeterFault]] = {}
    resume_ms = max(score_from_ms, end_ms - METER_CONTEXT_MS)
    for point, counter in points:
        samples = store.query_series(
            SeriesQuery(
                building=building.id,
                point=point.point,
                quantity=point.quantity,
                start_ms=score_from_ms - METER_CONTEXT_MS,
                end_ms=end_ms,
            )
        )
        if len(samples) < MIN_HISTORY_HOURS:
            continue
        times_s = np.array([sample.time_ms / 1000 for sample in samples])
        values = np.array([sample.value for sample in samples])
        detector = MeterFaultDetector(counter=counter).fit(times_s, values)
        found = detector.episodes(times_s, values)
        faults[point.point] = found
        for fault in found:
            if fault.end_s * 1000 >= end_ms - HOUR_MS:
                resume_ms = min(resume_ms, int(fault.start_s * 1000))
    by_start: dict[float, list[tuple[str, MeterFault]]] = {}
    for point_id, found in faults.items():
        for fault in found:
            # Before the first reading of the context a fault may have begun earlier.
            if fault.start_s * 1000 >= score_from_ms:
                by_start.setdefault(fault.start_s, []).append((point_id, fault))
    findings = []
    for start_s, group in sorted(by_start.items()):
        end_s = max(fault.end_s for _, fault in group)
        findings.append(
            NewFinding(
                building=building.id,
                kind=METER_FAULT_KIND,
                points=tuple(sorted({point_id for point_id, _ in group})),
                start=datetime.fromtimestamp(start_s, UTC),
                end=datetime.fromtimestamp(end_s, UTC),
                evidence={
                    "summary": "; ".join(
                        f"{point_id}: {fault.kind}, {fault.detail}" for point_id, fault in group
                    ),
                    "faults": [
                        {"point": point_id, "fault": fault.kind, "detail": fault.detail}
                        for point_id, fault in group
                    ],
                },
                score=1.0,
            )
        )
    return findings, faults, resume_ms


def run_once(
    *,
    store: ReadingReader,
    registry: Registry,
    now_ms: int,
    window_days: int,
    price_nok_per_kwh: float,
    resume: ResumePoints | None = None,
) -> RunSummary:
    """Analyse every building over the last ``window_days`` and upsert what is found.

    ``resume`` (kept by the caller between runs, updated here) says per meter from which hour
    to score again; without it every run scores the whole window, with the same findings.
    """
    end_ms = now_ms - now_ms % HOUR_MS  # whole hours only: the current one is still filling
    start_ms = end_ms - window_days * 24 * HOUR_MS
    buildings = registry.buildings()
    analysed = 0
    findings: list[NewFinding] = []
    for building in buildings:
        points = registry.points(building.id)
        meter = electricity_meter(points)
        if meter is None:
            continue
        counter = main_point(points, Role.ELECTRICITY, quantity="energy")
        meters = [(meter, False)] + ([(counter, True)] if counter is not None else [])
        fault_key = (building.id, f"{meter.point}#meter_faults")
        resumed = None if resume is None else resume.get(fault_key)
        try:
            faulty, faults, fault_resume_ms = meter_fault_findings(
                store=store,
                building=building,
                points=meters,
                score_from_ms=start_ms if resumed is None else max(start_ms, resumed),
                end_ms=end_ms,
            )
        except StoreError as exc:
            logger.warning("%s: cannot read its meters: %s", building.id, exc)
            continue
        if resume is not None:
            resume[fault_key] = fault_resume_ms
        findings.extend(faulty)
        if building.type == "nursing_home":  # open day and night: no after-hours
            analysed += 1
            continue
        key = (building.id, meter.point)
        try:
            found, resume_ms = after_hours_findings(
                store=store,
                building=building,
                meter=meter,
                start_ms=start_ms,
                end_ms=end_ms,
                price_nok_per_kwh=price_nok_per_kwh,
                resume_from_ms=None if resume is None else resume.get(key),
                meter_faults=faults.get(meter.point, []),
            )
        except StoreError as exc:
            logger.warning("%s: cannot read %s: %s", building.id, meter.point, exc)
            continue
        if resume is not None:
            resume[key] = resume_ms
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


@dataclass(slots=True)
class Analytics:
    """The analytics service: :func:`run_once` over one store and registry, as set up, with
    the resume points of its runs."""

    store: ReadingReader
    registry: Registry
    settings: AnalyticsSettings
    resume: dict[tuple[str, str], int] = field(default_factory=dict)

    def run_once(self, *, now_ms: int) -> RunSummary:
        """Analyse the portfolio as it is at ``now_ms`` and keep what is found."""
        return run_once(
            store=self.store,
            registry=self.registry,
            now_ms=now_ms,
            window_days=self.settings.analytics_window_days,
            price_nok_per_kwh=self.settings.analytics_electricity_price_nok_per_kwh,
            resume=self.resume,
        )
