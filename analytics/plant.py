"""Findings of a building's rooms and plant, beside its meters' energy analysis: a window open
or a setpoint too high in a zone (:mod:`analytics.zones`), and the air handling units' faults
after ASHRAE Guideline 36 (:mod:`analytics.equipment`).

Both are scored week by week like the meters, so their episodes keep their starts however often
the service runs. Where such a fault costs heat (a raised setpoint's extra heat, a coil that
fights another), that heat is its waste on the heat meter, in the hours no energy finding
claimed: the energy signature sees the same heat, and no hour's waste is counted twice.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final

import numpy as np

from analytics.building import (
    CARRY_S,
    SECONDS_PER_HOUR,
    BoolArray,
    BuildingData,
    Carrier,
    Detection,
    FloatArray,
    open_run_starts,
)
from analytics.detectors import AfterHoursDetector
from analytics.detectors.meter_faults import MeterFault, overlaps
from analytics.equipment import RULES, AhuEpisode, FanOutsideHours
from analytics.equipment.run import unit_episodes
from analytics.zones.checks import SETPOINT_KIND, zone_episodes

FAN_KIND: Final = FanOutsideHours.kind
#: Ventilation left on outside hours, as the electricity meter shows it.
VENTILATION_KIND: Final = AfterHoursDetector.kind


@dataclass(frozen=True, slots=True)
class HeatMeter:
    """The building's heat meter as the energy analysis left it: its hourly energy, the hours
    findings have claimed (shared: a claim here is seen there) and the meter faults that make
    its figures wrong."""

    point: str
    carrier: Carrier
    energy_kwh: FloatArray
    claimed: BoolArray
    suppressing: list[MeterFault]


def zone_detections(
    data: BuildingData, heat: HeatMeter | None, *, score_from_s: float, resumed: bool
) -> tuple[list[Detection], list[float]]:
    """The zones' findings (a window open, a setpoint too high), and where a run must resume
    for an episode that may go on. A raised setpoint's extra heat is its waste on the heat
    meter, in the hours no energy finding claimed (the energy signature sees the same heat)."""
    times = data.times_s
    end_s = float(times[-1] + SECONDS_PER_HOUR) if times.size else score_from_s
    heat_kwh = None if heat is None else heat.energy_kwh
    found, all_scores = zone_episodes(
        building_type=data.building_type,
        times_s=times,
        zones=data.zones,
        outdoor_c=data.outdoor_c,
        supply_water_c=data.supply_water_c,
        heat_kwh=heat_kwh,
        score_from_s=score_from_s,
    )
    resume = [start for scores in all_scores for start in open_run_starts(times, scores, end_s)]
    detections = []
    for zone_episode in found:
        episode, zone = zone_episode.episode, zone_episode.zone
        resume.extend([episode.start_s] if episode.end_s >= end_s - CARRY_S else [])
        if episode.start_s <= score_from_s and not (resumed and episode.start_s == score_from_s):
            continue  # may have begun before this run could see it
        points = tuple(p for p in (zone.temperature, zone.setpoint) if p is not None)
        detection = Detection(
            building=data.building,
            kind=zone_episode.kind,
            points=points,
            carrier=None,
            start_s=episode.start_s,
            end_s=episode.end_s,
            score=episode.peak_score,
            detail=f"{zone.name or zone.zone}: {episode.detail}",
            extra={"zone": zone.zone},
        )
        if zone_episode.kind == SETPOINT_KIND and heat is not None:
            detection = _heat_waste(
                detection, data, zone_episode.hours_s, zone_episode.extra_heat_kwh, heat
            )
        detections.append(detection)
    return detections, resume


def _heat_waste(
    detection: Detection,
    data: BuildingData,
    hours_s: FloatArray,
    extra_kwh: FloatArray,
    heat: HeatMeter,
) -> Detection:
    """``detection`` with ``extra_kwh`` in ``hours_s`` as its waste on the heat meter, in the
    hours no other finding claimed (which it claims in turn) and at most what the meter
    measured; unchanged where the heat meter is faulty."""
    if hours_s.size == 0 or overlaps(heat.suppressing, detection.start_s, detection.end_s):
        return detection
    index = np.searchsorted(data.times_s, hours_s)
    measured = heat.energy_kwh[index]
    keep = ~heat.claimed[index] & (extra_kwh > 0) & np.isfinite(measured)
    if not keep.any():
        return detection
    heat.claimed[index[keep]] = True
    waste = np.minimum(extra_kwh[keep], measured[keep])
    return dataclasses.replace(
        detection,
        points=(heat.point, *detection.points),
        carrier=heat.carrier,
        hours_s=hours_s[keep],
        measured_kwh=measured[keep],
        baseline_kwh=measured[keep] - waste,
        waste_kwh=waste,
    )


def ahu_detections(
    data: BuildingData,
    heat: HeatMeter | None,
    detections: list[Detection],
    *,
    score_from_s: float,
    resumed: bool,
    ventilation: BoolArray | None = None,
) -> tuple[list[Detection], list[float]]:
    """``detections`` with the air handling units' findings added, and where a run must resume
    for an episode that may go on. A fan running outside hours while the electricity meter
    shows use outside hours (``ventilation``: per hour of the building's grid), which an
    ``after_hours_operation`` finding prices, is named in that finding's evidence (its cause)
    instead of being a second finding of the same fault. The heat a coil fighting another
    moved is its waste on the heat meter, spread over the episode's hours that no other finding
    claimed."""
    times = data.times_s
    end_s = float(times[-1] + SECONDS_PER_HOUR) if times.size else score_from_s
    kept = list(detections)
    resume: list[float] = []
    for unit in data.ahus:
        found, all_scores = unit_episodes(
            unit.series, building_type=data.building_type, score_from_s=score_from_s
        )
        step_s = float(np.median(np.diff(unit.series.times_s)))
        for scores in all_scores:
            resume.extend(open_run_starts(unit.series.times_s, scores, end_s, step_s=step_s))
        for episode in found:
            resume.extend([episode.start_s] if episode.end_s >= end_s - CARRY_S else [])
            if episode.start_s <= score_from_s and not (
                resumed and episode.start_s == score_from_s
            ):
                continue  # may have begun before this run could see it
            detail = f"{unit.unit}: {episode.detail}"
            if episode.kind == FAN_KIND and _explains(episode, times, ventilation):
                # Use outside hours that the electricity meter shows (and an after-hours
                # finding, of this run or an earlier one, prices): its cause, not a second
                # finding.
                _annotate_cause(kept, episode, detail)
                continue
            detection = Detection(
                building=data.building,
                kind=episode.kind,
                points=unit.points,
                carrier=None,
                start_s=episode.start_s,
                end_s=episode.end_s,
                score=episode.peak_score,
                detail=detail,
                extra={"unit": unit.unit, "fault_condition": RULES[episode.kind].fault_condition},
            )
            if episode.energy_kwh and heat is not None:
                span = (times >= episode.start_s) & (times < episode.end_s)
                if span.any():
                    share = np.full(np.count_nonzero(span), episode.energy_kwh / span.sum())
                    detection = _heat_waste(detection, data, times[span], share, heat)
            kept.append(detection)
    return kept, resume


def _explains(episode: AhuEpisode, times_s: FloatArray, ventilation: BoolArray | None) -> bool:
    """Whether the electricity meter shows use outside hours in at least half the hours of
    ``episode``: the fan's run is then what the after-hours finding prices."""
    if ventilation is None:
        return False
    span = (times_s >= episode.start_s - SECONDS_PER_HOUR) & (times_s < episode.end_s)
    return bool(span.any()) and float(np.mean(ventilation[span])) >= 0.5


def _annotate_cause(detections: list[Detection], episode: AhuEpisode, detail: str) -> bool:
    """Name ``detail`` as a cause in each after-hours operation finding that overlaps
    ``episode``; whether there was one."""
    named = False
    for index, detection in enumerate(detections):
        if (
            detection.kind == VENTILATION_KIND
            and detection.start_s < episode.end_s
            and episode.start_s < detection.end_s
        ):
            causes = [*detection.extra.get("equipment", []), detail]
            detections[index] = dataclasses.replace(
                detection, extra={**detection.extra, "equipment": causes}
            )
            named = True
    return named


__all__ = ["FAN_KIND", "VENTILATION_KIND", "HeatMeter", "ahu_detections", "zone_detections"]
