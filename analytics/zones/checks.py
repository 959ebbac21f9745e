"""The zone detectors run over a building's zones, each local week by models of the weeks
before it (as :mod:`analytics.scoring` does for the meters), so that the service, the scan and
the evaluation find the same episodes with the same starts however often they run.

Input: each zone's hourly air temperature and setpoint on the building's hour grid
(:class:`ZoneSeries`), the outdoor temperature, the radiator circuit's supply water temperature
where known, and the building's heat (kWh per hour) that a raised setpoint's extra heat is a
share of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from analytics.episodes import Episode
from analytics.scoring import weekly_windows
from analytics.zones.setpoint import SetpointTooHighDetector, extra_heat_kwh
from analytics.zones.window_open import WindowOpenDetector, others_offset_c

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
WINDOW_OPEN_KIND: Final = WindowOpenDetector.kind
SETPOINT_KIND: Final = SetpointTooHighDetector.kind


@dataclass(frozen=True, slots=True)
class ZoneSeries:
    """One zone's hourly means on the building's hour grid (NaN where no reading), and the
    points they come from (``setpoint`` None where the zone has no setpoint point); ``name``
    as people call the zone, ``co2_ppm`` where it has a CO2 sensor."""

    zone: str
    temperature: str
    setpoint: str | None
    temp_c: FloatArray
    setpoint_c: FloatArray
    name: str = ""
    co2_ppm: FloatArray | None = None


@dataclass(frozen=True, slots=True)
class ZoneEpisode:
    """An episode a zone detector decided on, with the extra heat it cost (kWh per hour over
    ``hours_s``; empty where the detector cannot tell)."""

    zone: ZoneSeries
    kind: str
    episode: Episode
    hours_s: FloatArray
    extra_heat_kwh: FloatArray


def zone_episodes(
    *,
    building_type: str,
    times_s: FloatArray,
    zones: tuple[ZoneSeries, ...],
    outdoor_c: FloatArray,
    supply_water_c: FloatArray | None,
    heat_kwh: FloatArray | None,
    score_from_s: float,
) -> tuple[list[ZoneEpisode], list[FloatArray]]:
    """Every zone's window-open and setpoint-too-high episodes in the hours from
    ``score_from_s``, and per detector and zone its hourly scores (for where a run resumes)."""
    found: list[ZoneEpisode] = []
    all_scores: list[FloatArray] = []
    if not zones:
        return found, all_scores
    water = np.full(times_s.shape, np.nan) if supply_water_c is None else supply_water_c
    temps = np.array([z.temp_c for z in zones])
    setpoints = np.array([z.setpoint_c for z in zones])
    reference = others_offset_c(temps, setpoints)
    # The zones' areas are not known: each has an equal share of the building's heat.
    share = None if heat_kwh is None else heat_kwh / len(zones)
    for row, zone in enumerate(zones):
        known = np.isfinite(zone.temp_c)
        window = (zone.temp_c, zone.setpoint_c, reference[row], outdoor_c)

        def window_scores(
            history: BoolArray, week: BoolArray, cols: tuple[FloatArray, ...] = window
        ) -> FloatArray:
            model = WindowOpenDetector(building_type=building_type)
            model.fit(times_s[history], *(c[history] for c in cols), supply_water_c=water[history])
            scores: FloatArray = model.score_samples(
                times_s[week], *(c[week] for c in cols), supply_water_c=water[week]
            )
            return scores

        scores = _weekly(times_s, known, score_from_s, window_scores)
        all_scores.append(scores)
        for episode in WindowOpenDetector(building_type=building_type).decide(times_s, scores):
            found.append(ZoneEpisode(zone, WINDOW_OPEN_KIND, episode, np.zeros(0), np.zeros(0)))
        excess = np.zeros(times_s.shape)
        setpoint = (zone.setpoint_c, zone.temp_c, outdoor_c)

        def setpoint_scores(
            history: BoolArray,
            week: BoolArray,
            cols: tuple[FloatArray, ...] = setpoint,
            excess: FloatArray = excess,
        ) -> FloatArray:
            model = SetpointTooHighDetector(building_type=building_type)
            model.fit(times_s[history], *(c[history] for c in cols))
            excess[week] = model.excess_c(times_s[week], cols[0][week], cols[1][week])
            scores: FloatArray = model.score_samples(times_s[week], *(c[week] for c in cols))
            return scores

        scores = _weekly(times_s, known, score_from_s, setpoint_scores)
        all_scores.append(scores)
        cost = (
            np.zeros(times_s.shape)
            if share is None
            else extra_heat_kwh(
                excess_c=excess, indoor_c=zone.temp_c, outdoor_c=outdoor_c, space_heat_kwh=share
            )
        )
        for episode in SetpointTooHighDetector(building_type=building_type).decide(times_s, scores):
            inside = (times_s >= episode.start_s) & (times_s < episode.end_s)
            hourly = np.where(np.isfinite(cost[inside]), cost[inside], 0.0)
            found.append(ZoneEpisode(zone, SETPOINT_KIND, episode, times_s[inside], hourly))
    return found, all_scores


def _weekly(
    times_s: FloatArray,
    known: BoolArray,
    score_from_s: float,
    fit_score: Callable[[BoolArray, BoolArray], FloatArray],
) -> FloatArray:
    """Scores of the hours from ``score_from_s``, each week by a model of the weeks before."""
    scores = np.zeros(times_s.shape)
    for history, week in weekly_windows(times_s, score_from_s=score_from_s, known=known):
        scores[week] = fit_score(history, week)
    return scores


__all__ = ["SETPOINT_KIND", "WINDOW_OPEN_KIND", "ZoneEpisode", "ZoneSeries", "zone_episodes"]
