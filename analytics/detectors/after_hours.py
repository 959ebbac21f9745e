"""After-hours operation: energy used outside opening hours beyond what is normal at that hour.

The model is a time-of-day profile of closed-hours power, one for days the building is open
(nights, mornings before opening) and one for days it is closed (weekends, holidays): the
median of each local hour over the training window. A fan that always starts at 06:00 is
then normal; ventilation left running all weekend, or equipment left on at night, is not.
Contiguous closed hours whose power exceeds the profile by more than a tolerance form one
*episode*; its score is the excess energy over the profile's energy (higher is more wasteful).
An episode is a finding when its excess in kWh and its most unusual hour both pass their
thresholds: both only grow as an episode grows, so an episode seen in part (by a run in the
middle of it) is never a finding that the whole episode would not be.

:func:`score_day_by_day` fits one model per local day, on the ``history_days`` before that day
only. The model of a day therefore never changes once its history is stored, however often
and wherever a run's window starts: an hour is scored the same by every run, and an episode
keeps its start, which is what identifies its finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from analytics.hours import in_use
from byggpuls.calendar import date_of, local_datetime_s, local_time
from byggpuls.roles import Role

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
HOURS_PER_DAY: Final = 24
SECONDS_PER_HOUR: Final = 3600.0
SECONDS_PER_DAY: Final = 86_400.0
#: Days of history each day's model learns from.
HISTORY_DAYS: Final = 28
#: A profile of "normal" needs each hour of the day seen on a few days: a day with fewer hours
#: of history than this is not scored.
MIN_HISTORY_HOURS: Final = 7 * 24


@dataclass(frozen=True, slots=True)
class Episode:
    """A run of closed hours with more power than normal."""

    start_s: float
    end_s: float
    hours: int
    measured_kwh: float
    expected_kwh: float
    #: The highest hourly excess relative to normal in it.
    peak_score: float = 0.0

    @property
    def excess_kwh(self) -> float:
        return self.measured_kwh - self.expected_kwh

    @property
    def score(self) -> float:
        """Excess energy relative to the expected energy (0.5 = half as much again)."""
        return self.excess_kwh / max(self.expected_kwh, 1e-9)


class AfterHoursDetector(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Finds energy use outside opening hours that is unusual for the hour.

    Sign convention: :meth:`score_samples` is higher for more wasteful hours, 0 for usual ones.

    Parameters: ``building_type`` (sets the opening hours), ``tolerance`` (relative excess an
    hour may have before it counts), ``min_excess_kw`` (absolute floor for that tolerance, so
    noise on a tiny load is not waste), ``threshold`` (the score an episode must reach) and
    ``min_excess_kwh`` (the waste an episode must reach to be worth a finding).
    Input: hourly mean power in kW at hour-start UTC epoch seconds.
    """

    #: The finding kind it reports, and the point roles it reads (in ``fit``'s order).
    kind: ClassVar[str] = "after_hours_operation"
    roles: ClassVar[tuple[Role, ...]] = (Role.ELECTRICITY,)

    def __init__(
        self,
        *,
        building_type: str = "other",
        tolerance: float = 0.15,
        min_excess_kw: float = 0.5,
        threshold: float = 0.2,
        min_excess_kwh: float = 5.0,
    ) -> None:
        self.building_type = building_type
        self.tolerance = tolerance
        self.min_excess_kw = min_excess_kw
        self.threshold = threshold
        self.min_excess_kwh = min_excess_kwh

    def _keys(self, times_s: FloatArray) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        local = local_time(times_s)
        open_day = in_use(self.building_type, local_day_noon(local.day)).astype(np.int64)
        hour = np.floor(local.hour).astype(np.int64)
        return open_day * HOURS_PER_DAY + hour, ~in_use(self.building_type, times_s)

    def fit(self, times_s: FloatArray, power_kw: FloatArray) -> Self:
        """Learn the closed-hours profile from hourly power."""
        keys, closed = self._keys(times_s)
        profile = np.full(2 * HOURS_PER_DAY, np.nan)
        for key in np.unique(keys[closed]):
            profile[key] = float(np.median(power_kw[closed & (keys == key)]))
        fallback = float(np.nanmedian(profile)) if np.isfinite(profile).any() else 0.0
        self.profile_kw_ = np.where(np.isfinite(profile), profile, fallback)
        return self

    def expected_kw(self, times_s: FloatArray) -> FloatArray:
        """The learned normal power at each time (meaningful in closed hours)."""
        check_is_fitted(self, "profile_kw_")
        keys, _ = self._keys(times_s)
        expected: FloatArray = self.profile_kw_[keys]
        return expected

    def score_samples(self, times_s: FloatArray, power_kw: FloatArray) -> FloatArray:
        """Per hour: excess over normal relative to normal (0 in opening hours)."""
        check_is_fitted(self, "profile_kw_")
        keys, closed = self._keys(times_s)
        expected = self.profile_kw_[keys]
        excess = power_kw - expected
        allowed = np.maximum(self.tolerance * expected, self.min_excess_kw)
        scores = np.where(closed & (excess > allowed), excess / np.maximum(expected, 1e-9), 0.0)
        result: FloatArray = scores
        return result

    def episodes(self, times_s: FloatArray, power_kw: FloatArray) -> list[Episode]:
        """Runs of consecutive unusual closed hours that pass both thresholds."""
        scores = self.score_samples(times_s, power_kw)
        return self.decide(times_s, power_kw, self.expected_kw(times_s), scores)

    def decide(
        self,
        times_s: FloatArray,
        power_kw: FloatArray,
        expected_kw: FloatArray,
        scores: FloatArray,
    ) -> list[Episode]:
        """The episodes of hourly ``scores`` (0: a usual hour) that pass both thresholds."""
        runs: list[tuple[int, int]] = []
        for index in np.flatnonzero(scores > 0):
            follows = (
                runs
                and runs[-1][1] == index
                and (times_s[index] - times_s[index - 1] == SECONDS_PER_HOUR)
            )
            if follows:
                runs[-1] = (runs[-1][0], int(index) + 1)
            else:
                runs.append((int(index), int(index) + 1))
        found = []
        for start, stop in runs:
            episode = Episode(
                start_s=float(times_s[start]),
                end_s=float(times_s[stop - 1] + SECONDS_PER_HOUR),
                hours=stop - start,
                measured_kwh=float(power_kw[start:stop].sum()),
                expected_kwh=float(expected_kw[start:stop].sum()),
                peak_score=float(scores[start:stop].max()),
            )
            if episode.peak_score >= self.threshold and episode.excess_kwh >= self.min_excess_kwh:
                found.append(episode)
        return found


def score_day_by_day(
    make: Callable[[], AfterHoursDetector],
    times_s: FloatArray,
    power_kw: FloatArray,
    *,
    score_from_s: float,
    history_days: int = HISTORY_DAYS,
    min_history_hours: int = MIN_HISTORY_HOURS,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Expected power and scores of the hours from ``score_from_s`` on, each local day by a
    model fitted (``make().fit``) on the ``history_days`` before that day only; and which
    hours were scored.

    Hours before ``score_from_s`` and days with less than ``min_history_hours`` of history
    are not scored: they score 0, with their measured power as expected.
    """
    expected = power_kw.copy()
    scores = np.zeros_like(power_kw)
    known = np.zeros(power_kw.shape, dtype=np.bool_)
    scored = times_s >= score_from_s
    if not scored.any():
        return expected, scores, known
    days = local_time(times_s).day
    for day in np.unique(days[scored]):
        midnight_s = local_datetime_s(date_of(int(day)), 0.0)
        history = (times_s >= midnight_s - history_days * SECONDS_PER_DAY) & (times_s < midnight_s)
        if np.count_nonzero(history) < min_history_hours:
            continue
        model = make().fit(times_s[history], power_kw[history])
        today = scored & (days == day)
        expected[today] = model.expected_kw(times_s[today])
        scores[today] = model.score_samples(times_s[today], power_kw[today])
        known |= today
    return expected, scores, known


def local_day_noon(days: npt.NDArray[np.int64]) -> FloatArray:
    """Noon UTC of each local day number: a time that is surely inside that day."""
    noon: FloatArray = days.astype(np.float64) * 86_400.0 + 12 * SECONDS_PER_HOUR
    return noon
