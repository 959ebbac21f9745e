"""The AHU rules run over a unit's readings, each local week by rules fitted on the weeks before
it (as :mod:`analytics.scoring` does for the meters): what a rule learns of a unit (its sample
interval, its damper's minimum position) then never depends on where a run starts, so the
service finds each episode with the same start however often it runs.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from analytics.equipment import default_rules
from analytics.equipment.ahu import AhuSeries, sample_interval_s
from analytics.equipment.rule import AhuEpisode
from analytics.scoring import MIN_HISTORY_HOURS, weekly_windows

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
SECONDS_PER_HOUR: Final = 3600.0


@dataclasses.dataclass(frozen=True, slots=True)
class AhuUnit:
    """An air handling unit of a building: its id (``ahu1``), the points its series is read
    from, and the series."""

    unit: str
    points: tuple[str, ...]
    series: AhuSeries


def take(series: AhuSeries, mask: BoolArray) -> AhuSeries:
    """The samples of ``series`` where ``mask`` holds."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(series):
        value = getattr(series, field.name)
        values[field.name] = None if value is None else value[mask]
    return AhuSeries(**values)


def unit_episodes(
    series: AhuSeries, *, building_type: str, score_from_s: float
) -> tuple[list[AhuEpisode], list[FloatArray]]:
    """Every rule's episodes in the samples from ``score_from_s``, and each rule's scores per
    sample (0 before ``score_from_s`` and in weeks with too little history)."""
    times = series.times_s
    if times.size < 2:
        return [], []
    # A week needs as much history as the meters' models do, counted in samples.
    per_hour = SECONDS_PER_HOUR / sample_interval_s(times)
    found: list[AhuEpisode] = []
    all_scores: list[FloatArray] = []
    for rule in default_rules(building_type=building_type):
        scores = np.zeros(times.shape)
        fitted = None
        for history, week in weekly_windows(
            times,
            score_from_s=score_from_s,
            min_history_hours=int(MIN_HISTORY_HOURS * per_hour),
            known=np.isfinite(series.supply_c),
        ):
            fitted = rule.fit(take(series, history))
            scores[week] = fitted.score_samples(take(series, week))
        all_scores.append(scores)
        if fitted is not None:
            found.extend(fitted.decide(series, scores))
    return found, all_scores


__all__ = ["AhuUnit", "take", "unit_episodes"]
