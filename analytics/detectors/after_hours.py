"""After-hours operation: energy used outside opening hours beyond the meter's own baseline.

The model of normal is the meter's weather-normalised time-of-week baseline
(:class:`~analytics.baselines.towt.TOWTBaseline`, fitted robustly so that a fault inside the
history does not become normal), which knows that a fan starts at 06:00, that the gym is let
on Tuesday evenings and that a cold night needs more heat. What it cannot explain is judged
against the meter's own spread: in ``fit``, the robust standard deviation (1.4826 MAD) of the
closed hours' residuals, in kW. An hour outside opening hours is unusual when
its energy exceeds the baseline by ``k_sigma`` of those spreads and by ``min_excess_kw``.

The decision (:meth:`AfterHoursDetector.decide`) is the facility manager's question: is this
waste worth fixing? Unusual closed hours that follow each other, with only opening hours
between them, form one episode, so ventilation left on for three nights is one finding that
grows, not three. An episode is worth a finding when it runs through the night (at least
``min_night_hours`` unusual hours between 00:00 and 05:00 local, when a school, kindergarten,
office or sports hall is surely empty) and it uses clearly more than the baseline. Legitimate
use outside hours (cleaning, a club's booking, a Saturday event, an early opening) happens in
the evening, morning or day and ends by midnight; equipment left on runs through the night.
Nursing homes are in use around the clock and have no after-hours.

Two detectors share the method: :class:`AfterHoursDetector` on the electricity meter and
:class:`AfterHoursHeatingDetector` on the heat meter (a night setback lost, ventilation heating
left on).
"""

from __future__ import annotations

from typing import ClassVar, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from analytics.baselines.towt import TOWTBaseline
from analytics.episodes import Episode, episode_of
from analytics.hours import in_use
from analytics.robust import robust_sd
from byggpuls.calendar import local_time
from byggpuls.roles import Role

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
SECONDS_PER_HOUR: Final = 3600.0
#: Local hours in which a building other than a nursing home is surely empty.
NIGHT_HOURS: Final = (0.0, 5.0)
HOURS_PER_WEEK: Final = 168
#: Unusual hours this close after an episode's last one continue it: a fault seen again the
#: next night (or after a day's opening hours) is the same fault, one finding that grows.
MAX_JOIN_S: Final = 24 * SECONDS_PER_HOUR
#: ... as long as no more usual closed hours than this lie between: a building kept warm by a
#: day's use needs a few evening hours before a lost setback shows in its heat.
MAX_QUIET_HOURS: Final = 5


class AfterHoursDetector(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Finds energy use outside opening hours that the meter's baseline does not explain.

    Sign convention: :meth:`score_samples` is the relative excess over the baseline of an
    unusual closed hour (0.5: half as much again), 0 for a usual hour or an opening hour.

    Parameters: ``building_type`` (opening hours, holidays), ``k_sigma`` (how many robust
    standard deviations of the closed hours' residuals an hour must exceed the baseline by),
    ``min_excess_kw`` (an absolute floor, so noise on a tiny load is not waste),
    ``min_night_hours`` and ``min_relative_excess`` (the decision: an episode must run through
    the night and use, on average over its unusual hours, this much more than the baseline;
    a fifth more is what a fan or a heating circuit left on adds at the least, and more than
    the hourly noise of a meter's autocorrelated runs), ``min_nights`` (on how many nights).
    ``baseline``: a TOWT baseline already fitted on the hours ``fit`` is given (the analysis
    fits one per meter and week and shares it), else ``fit`` fits its own.
    Input: hourly mean power in kW (= kWh per hour) and outdoor temperature in °C (NaN where
    unknown: the baseline then falls back to its mean temperature response).
    """

    kind: ClassVar[str] = "after_hours_operation"
    roles: ClassVar[tuple[Role, ...]] = (Role.ELECTRICITY, Role.OUTDOOR_TEMPERATURE)
    #: What is left on, in the finding's words.
    what: ClassVar[str] = "electricity"
    #: The hours of an episode whose waste counts: those outside opening hours.
    waste_hours: ClassVar[str] = "closed"

    def __init__(
        self,
        *,
        building_type: str = "other",
        k_sigma: float = 3.0,
        min_excess_kw: float = 0.5,
        # Four of the five night hours: equipment left on runs through the night; noise and
        # an activity's tail make two or three (tuned on seeds 101-104: precision 0.50 at 3).
        min_night_hours: int = 4,
        min_relative_excess: float = 0.2,
        min_nights: int = 1,
        baseline: TOWTBaseline | None = None,
    ) -> None:
        self.building_type = building_type
        self.k_sigma = k_sigma
        self.min_excess_kw = min_excess_kw
        self.min_night_hours = min_night_hours
        self.min_relative_excess = min_relative_excess
        self.min_nights = min_nights
        self.baseline = baseline

    def fit(self, times_s: FloatArray, load_kw: FloatArray, outdoor_c: FloatArray) -> Self:
        """Learn the baseline and the spread of its closed hours' residuals."""
        outdoor = _filled(outdoor_c)
        if self.baseline is not None:  # fitted already, on these hours (prefit)
            baseline = self.baseline
        else:
            baseline = TOWTBaseline(building_type=self.building_type, robust=True)
            baseline.fit(times_s, load_kw, outdoor)
        self.baseline_ = baseline
        predicted = baseline.predict(times_s, outdoor)
        closed = ~in_use(self.building_type, times_s)
        keep = closed & np.isfinite(load_kw) & np.isfinite(predicted) & (predicted > 0)
        residual = load_kw[keep] - predicted[keep]
        spread = robust_sd(residual)
        # In-sample residuals are smaller than the noise by the parameters fitted to them; and
        # an hour judged out of sample also carries the error of its level, learnt from one
        # hour a week: the prediction's spread is sqrt(1 + 1/weeks) times the noise.
        hours = int(np.count_nonzero(np.isfinite(load_kw)))
        dof = max(hours - baseline.parameters_, 1)
        weeks = max(hours / HOURS_PER_WEEK, 1.0)
        widen = float(np.sqrt(hours / dof) * np.sqrt(1.0 + 1.0 / weeks))
        self.residual_sd_kw_ = spread * widen if residual.size else 0.0
        self.outdoor_fill_c_ = float(np.nanmean(outdoor_c)) if np.isfinite(outdoor_c).any() else 0.0
        return self

    def expected_kw(self, times_s: FloatArray, outdoor_c: FloatArray) -> FloatArray:
        """The baseline at each hour: what the waste is measured against."""
        check_is_fitted(self, "baseline_")
        outdoor = np.where(np.isfinite(outdoor_c), outdoor_c, self.outdoor_fill_c_)
        expected: FloatArray = np.maximum(self.baseline_.predict(times_s, outdoor), 0.0)
        return expected

    def score_samples(
        self, times_s: FloatArray, load_kw: FloatArray, outdoor_c: FloatArray
    ) -> FloatArray:
        """Per hour: relative excess over the baseline of an unusual closed hour, else 0."""
        expected = self.expected_kw(times_s, outdoor_c)
        closed = ~in_use(self.building_type, times_s)
        excess = load_kw - expected
        allowed = np.maximum(self.k_sigma * self.residual_sd_kw_, self.min_excess_kw)
        unusual = closed & np.isfinite(excess) & (excess > allowed)
        scores: FloatArray = np.where(
            unusual, excess / np.maximum(expected, self.min_excess_kw), 0.0
        )
        return scores

    def decide(self, times_s: FloatArray, scores: FloatArray) -> list[Episode]:
        """Unusual closed hours joined across opening hours, that run through the night."""
        if self.building_type == "nursing_home" or times_s.size == 0:
            return []
        closed = ~in_use(self.building_type, times_s)
        local = local_time(times_s)
        night = (local.hour >= NIGHT_HOURS[0]) & (local.hour < NIGHT_HOURS[1])
        found = []
        for span in closed_runs(times_s, scores > 0, closed):
            first, stop = span
            flagged = scores[first:stop] > 0
            at_night = flagged & night[first:stop]
            night_hours = int(np.count_nonzero(at_night))
            nights = np.unique(local.day[first:stop][at_night]).size
            mean_excess = float(scores[first:stop][flagged].mean())
            if (
                night_hours < self.min_night_hours
                or nights < self.min_nights
                or mean_excess < self.min_relative_excess
            ):
                continue
            found.append(
                episode_of(
                    times_s,
                    scores,
                    span,
                    detail=f"{self.what} above its baseline in {int(flagged.sum())} hours "
                    f"outside opening hours, {night_hours} of them at night",
                )
            )
        return found

    def episodes(
        self, times_s: FloatArray, load_kw: FloatArray, outdoor_c: FloatArray
    ) -> list[Episode]:
        """The episodes of the given hours (:meth:`decide` of :meth:`score_samples`)."""
        return self.decide(times_s, self.score_samples(times_s, load_kw, outdoor_c))


class AfterHoursHeatingDetector(AfterHoursDetector):
    """:class:`AfterHoursDetector` on the heat meter: a lost night setback, heating left on."""

    kind: ClassVar[str] = "after_hours_heating"
    roles: ClassVar[tuple[Role, ...]] = (Role.HEAT, Role.OUTDOOR_TEMPERATURE)
    what: ClassVar[str] = "heat"

    def __init__(
        self,
        *,
        building_type: str = "other",
        k_sigma: float = 3.0,
        min_excess_kw: float = 0.5,
        min_night_hours: int = 3,
        # A night's heat follows how far the rooms cooled in the evening, which an hourly
        # baseline of the outdoor temperature explains only roughly: runs of cold nights sit a
        # fifth or a third above it. A lost setback keeps the rooms at day temperature, which
        # costs at least half again the setback's heat, so that is the bar.
        min_relative_excess: float = 1.0,
        # A lost setback is a fault of the controls: it stays until someone fixes it. One
        # cold night that the baseline misjudges is not one.
        min_nights: int = 2,
        baseline: TOWTBaseline | None = None,
    ) -> None:
        super().__init__(
            building_type=building_type,
            k_sigma=k_sigma,
            min_excess_kw=min_excess_kw,
            min_night_hours=min_night_hours,
            min_relative_excess=min_relative_excess,
            min_nights=min_nights,
            baseline=baseline,
        )


def closed_runs(times_s: FloatArray, flags: BoolArray, closed: BoolArray) -> list[tuple[int, int]]:
    """Index ranges of flagged closed hours; a run joins the next when no more than
    :data:`MAX_QUIET_HOURS` usual closed hours lie between them (opening hours do not count)
    and it starts within :data:`MAX_JOIN_S`: the same fault seen again the next night."""
    found: list[tuple[int, int]] = []
    quiet = 0
    for index in range(times_s.size):
        if not closed[index]:
            continue
        if not flags[index]:
            quiet += 1
            continue
        if (
            found
            and quiet <= MAX_QUIET_HOURS
            and times_s[index] - times_s[found[-1][1] - 1] <= MAX_JOIN_S
        ):
            found[-1] = (found[-1][0], index + 1)
        else:
            found.append((index, index + 1))
        quiet = 0
    return found


def _filled(outdoor_c: FloatArray) -> FloatArray:
    """Outdoor temperature with unknown hours at its mean (0 °C when none is known), so that a
    meter without a thermometer still gets a time-of-week baseline."""
    if not np.isfinite(outdoor_c).any():
        return np.zeros_like(outdoor_c)
    filled: FloatArray = np.where(np.isfinite(outdoor_c), outdoor_c, np.nanmean(outdoor_c))
    return filled


__all__ = ["AfterHoursDetector", "AfterHoursHeatingDetector", "closed_runs"]
