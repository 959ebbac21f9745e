"""How well the building health ranks a simulated portfolio: faulty buildings below healthy ones.

Each building's health over the scored period (:func:`analytics.daily_health.health_of`, every
detection counted as an open finding: nobody has fixed anything yet) is set against what was
injected into it. A building is *faulty* when a physical fault (not a meter fault, not
legitimate use) was injected in the scored period, *fault-free* otherwise. The issue's test:
every fault-free building scores above every faulty one; the share of (fault-free, faulty)
pairs ordered so (the area under the ROC curve of the score) says how far from that the
ranking is; and the rank correlation (Spearman) between the score and the injected extra kWh
says whether more waste costs more points (a negative correlation is the right sign).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scipy.stats import spearmanr

from analytics.building import BuildingData, Detection
from analytics.daily_health import health_of
from byggpuls.reading import BuildingInfo
from simulation.faults import GroundTruthFault

PHYSICAL = frozenset(
    {
        "after_hours_ventilation",
        "after_hours_heating",
        "simultaneous_heating_cooling",
        "damper_stuck_open",
        "window_open",
        "setpoint_too_high",
        "baseload_drift",
    }
)


@dataclass(frozen=True, slots=True)
class Scored:
    """One building's health and what was injected into it."""

    building: str
    score: float | None
    faulty: bool
    injected_kwh: float


def score_buildings(
    *,
    data: Sequence[BuildingData],
    detections: Sequence[Sequence[Detection]],
    truth: Sequence[GroundTruthFault],
    start_s: float,
    end_s: float,
) -> list[Scored]:
    """Each building's health over ``[start_s, end_s)`` beside its injected faults."""
    scored = []
    for building, found in zip(data, detections, strict=True):
        health = health_of(
            building=BuildingInfo(building.building, building.building, building.building_type),
            data=building,
            detections=found,
            start_s=start_s,
            end_s=end_s,
        )
        faults = [
            r
            for r in truth
            if r.building == building.building
            and r.fault
            and r.kind in PHYSICAL
            and r.start < end_s
            and r.end > start_s
        ]
        scored.append(
            Scored(
                building=building.building,
                score=health.score,
                faulty=bool(faults),
                injected_kwh=sum(r.extra_energy_kwh for r in faults),
            )
        )
    return scored


def ranking(scored: Sequence[Scored]) -> dict[str, Any]:
    """Whether every fault-free building scores above every faulty one, the share of pairs
    ordered so, and the rank correlation of score and injected kWh."""
    known = [s for s in scored if s.score is not None]
    free = [s.score for s in known if not s.faulty and s.score is not None]
    faulty = [s.score for s in known if s.faulty and s.score is not None]
    pairs = [(a, b) for a in free for b in faulty]
    ordered = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs)
    rho = None
    if len(known) >= 3 and len({s.injected_kwh for s in known}) > 1:
        result = spearmanr([s.score for s in known], [s.injected_kwh for s in known])
        rho = round(float(result.statistic), 3)
    return {
        "buildings": len(scored),
        "unknown": len(scored) - len(known),
        "fault_free": len(free),
        "faulty": len(faulty),
        "lowest_fault_free": min(free) if free else None,
        "highest_faulty": max(faulty) if faulty else None,
        "separated": bool(free and faulty and min(free) > max(faulty)),
        "pairs_ordered_share": round(ordered / len(pairs), 3) if pairs else None,
        "spearman_score_vs_injected_kwh": rho,
    }


__all__ = ["Scored", "ranking", "score_buildings"]
