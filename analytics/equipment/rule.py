"""What every AHU rule shares: the estimator contract, the data-quality gate and the decision.

A rule scores each sample (:meth:`AhuRule.score_samples`): 0 for a sample within tolerance or
one the rule does not judge (fan off, settling after a mode change, a point missing), and for a
faulty one how far it lies beyond its tolerance, in multiples of that tolerance (0.5: half a
tolerance beyond it). The decision (:meth:`AhuRule.decide`) is G36's alarm delay: faulty
samples that follow each other (with gaps of at most ``join_s``) form an episode, and an episode
is a fault when its faulty samples add up to ``alarm_delay_s`` and number at least
``min_samples`` (so a day with a handful of readings cannot raise one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from analytics.equipment.ahu import (
    AhuSeries,
    BoolArray,
    FloatArray,
    coil_energy_kwh,
    sample_interval_s,
)

#: Sample indices.
IndexArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class AhuEpisode:
    """A run of faulty samples: ``[start_s, end_s)`` in UTC epoch seconds.

    ``faulty_s`` is the time the fault condition held in it, ``peak_score`` the highest score,
    ``energy_kwh`` the heat the fault moved (``None`` where the rule or the unit cannot tell),
    ``detail`` what a person can check.
    """

    kind: str
    start_s: float
    end_s: float
    faulty_s: float
    peak_score: float
    energy_kwh: float | None = None
    detail: str = ""


class AhuRule(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Base of the AHU rules: ``fit`` learns only the sample interval (durations are counted in
    samples times interval); subclasses implement :meth:`_score`.

    Parameters every rule takes: ``mode_delay_s`` (G36 ModeDelay: no judgement this soon after
    a fan start or mode change), ``alarm_delay_s`` (G36 AlarmDelay: how long the condition must
    hold), ``join_s`` (faulty samples this close belong to one episode) and ``min_samples``
    (fewest faulty samples in an episode: a data-quality floor).
    """

    kind: ClassVar[str] = ""
    fault_condition: ClassVar[str | None] = None
    #: The :class:`AhuSeries` fields the rule cannot judge without.
    needs: ClassVar[tuple[str, ...]] = ()

    mode_delay_s: float
    alarm_delay_s: float
    join_s: float
    min_samples: int

    def fit(self, series: AhuSeries) -> Self:
        """Learn the sample interval of the unit's data."""
        self.interval_s_ = sample_interval_s(series.times_s)
        return self

    def has_points(self, series: AhuSeries) -> bool:
        """Whether the unit has every point the rule needs (with at least one reading)."""
        for name in self.needs:
            values = getattr(series, name)
            if values is None:
                return False
            if values.dtype != np.bool_ and not np.isfinite(values).any():
                return False
        return True

    def score_samples(self, series: AhuSeries) -> FloatArray:
        """Per sample: multiples of the tolerance beyond it (0: fine or not judged)."""
        check_is_fitted(self, "interval_s_")
        if not self.has_points(series):
            return np.zeros(series.times_s.shape)
        scores = np.nan_to_num(self._score(series), nan=0.0)
        clipped: FloatArray = np.maximum(scores, 0.0)
        return clipped

    def _score(self, series: AhuSeries) -> FloatArray:
        raise NotImplementedError

    def energy_delta_k(self, series: AhuSeries) -> FloatArray | None:
        """The temperature change (K) the fault causes at each sample, if the rule knows it."""
        return None

    def decide(self, series: AhuSeries, scores: FloatArray) -> list[AhuEpisode]:
        """Episodes of faulty samples that hold for the alarm delay."""
        check_is_fitted(self, "interval_s_")
        faulty = np.flatnonzero(scores > 0)
        if faulty.size == 0:
            return []
        times_s = series.times_s
        breaks = np.flatnonzero(np.diff(times_s[faulty]) > self.join_s + self.interval_s_)
        firsts = np.concatenate(([0], breaks + 1))
        lasts = np.concatenate((breaks, [faulty.size - 1]))
        delta_k = self.energy_delta_k(series)
        found = []
        for first, last in zip(firsts.tolist(), lasts.tolist(), strict=True):
            members = faulty[first : last + 1]
            faulty_s = members.size * self.interval_s_
            if members.size < self.min_samples or faulty_s < self.alarm_delay_s:
                continue
            energy = None
            if delta_k is not None:
                mask: BoolArray = np.zeros(times_s.shape, dtype=bool)
                mask[members] = True
                energy = coil_energy_kwh(series, delta_k, mask=mask, interval_s=self.interval_s_)
            found.append(
                AhuEpisode(
                    kind=self.kind,
                    start_s=float(times_s[members[0]]),
                    end_s=float(times_s[members[-1]] + self.interval_s_),
                    faulty_s=float(faulty_s),
                    peak_score=float(scores[members].max()),
                    energy_kwh=energy,
                    detail=self.describe(series, members),
                )
            )
        return found

    def describe(self, series: AhuSeries, members: IndexArray) -> str:
        """What a person can check about the samples ``members`` of an episode."""
        minutes = members.size * self.interval_s_ / 60.0
        label = self.fault_condition or "no G36 number"
        return f"{self.kind} ({label}) for {minutes:.0f} min"

    def episodes(self, series: AhuSeries) -> list[AhuEpisode]:
        """The faults in ``series`` (:meth:`decide` of :meth:`score_samples`)."""
        return self.decide(series, self.score_samples(series))


def beyond(excess: FloatArray, tolerance: float | FloatArray) -> FloatArray:
    """How many tolerances ``excess`` lies beyond its tolerance (negative: within it)."""
    score: FloatArray = excess / tolerance - 1.0
    return score


__all__ = ["AhuEpisode", "AhuRule", "IndexArray", "beyond"]
