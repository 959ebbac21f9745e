"""Base-load drift: equipment left on, so the load a building draws when nothing runs creeps up.

Physics first. At night (local ``night_start_h`` to ``night_end_h``, 00-05 by default) nothing
scheduled runs: what the meter reads is the base load (standby plug loads, servers, fridges,
pumps, constant loads). A night's base load is a low quantile of its hours (``night_quantile``),
so an hour or two of a late event, an early cleaning round or a spike do not move it.
Equipment left on draws in every hour, so it raises every night's base load by its power: a
step, a ramp or a slow creep over weeks all show as nights above what the history knew.

**Normal.** The history's normal is the median of its nightly base loads, its spread their
robust standard deviation (1.4826 MAD) relative to it, at least ``min_spread`` (a meter's noise
is never less than a few per cent). A night is *raised* when its base load exceeds normal by
more than the tolerance: ``tolerance`` (relative) or ``tolerance_sd`` spreads, the larger.

**Persistence.** A single high night is noise or a legitimate event; a drift goes on. A
one-sided CUSUM in units of the spread adds each night's excess less ``allowance_sd`` (capped at
``night_cap_sd``, so no one night can make a drift) and raises its alarm at ``alarm_sd``; a raised
night under alarm is a candidate. The run of the alarm starts the night the CUSUM left zero.

**Equipment, not ventilation.** Equipment left on draws by day as much as by night; ventilation
or heating left running out of hours (an after-hours finding) raises the closed hours only, and
a day-to-day swing of the meter scales the day load with the night's. So a candidate is a
drift night when either

- *the day rose as much*: on at least ``min_open_days`` opening days after raised nights of the
  run, the mean excess of their core opening hours (leaving out ``CORE_MARGIN_H`` at each end,
  where a fan left on shows) over the history's profile is at least ``day_share`` of those
  nights' excess in kW, and more than a standard error of a day's excess above zero; or
- *it is still rising*: over the run's raised nights (three or more) the base load rose by at
  least ``rise_share`` of their median excess (a Theil-Sen slope: a switch left in one position
  jumps once and stays), and the days seen so far do not contradict it (their excess is not
  below zero by more than ``DAY_CONTRADICTS_SE`` standard errors). Over a holiday, with no
  opening day, this is all there is to go on.

A drift night's hours score its relative excess (0.3: 30 % above normal). A finding needs
``min_nights`` drift nights in a row; one other night between them is bridged.

Each night's verdict is known when the night ends, so it scores the hours from the end of that
night to the end of the next: an hour's score depends on the readings before it alone, and an
episode keeps its start however much more of it a later run sees. The history's nights carry
the CUSUM into the scored hours, so a drift under way when a week begins is judged as such.

Sign convention: :meth:`BaseloadDriftDetector.score_samples` is higher for a more raised base
load, 0 for a usual night.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from analytics.episodes import Episode, episode_of, runs
from analytics.hours import OPENING_HOURS, in_use
from analytics.robust import robust_sd
from byggpuls.calendar import date_of, local_time
from byggpuls.roles import Role

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
SECONDS_PER_HOUR: Final = 3600.0
HOURS_PER_DAY: Final = 24
#: Hours at each end of the opening hours left out of a day's load: ventilation started early
#: or stopped late moves them, equipment left on does not.
CORE_MARGIN_H: Final = 2.0
#: Core opening hours a day needs for its excess to count (a day cut by a gap tells little).
MIN_CORE_HOURS: Final = 3
#: Values an hour of the opening-hours profile needs (days it was seen on).
MIN_PROFILE_VALUES: Final = 3
#: Raised nights a rise is judged on: two points always make a line.
MIN_RISING_NIGHTS: Final = 3
#: Standard errors below zero at which the days' excess contradicts a rising night base load.
DAY_CONTRADICTS_SE: Final = 2.0


def daily_quantile(
    days: IntArray, values: FloatArray, *, quantile: float, min_count: int
) -> tuple[IntArray, FloatArray]:
    """The days with at least ``min_count`` values, ascending, and the ``quantile`` of each
    one's values (interpolated linearly, as :func:`numpy.quantile`)."""
    distinct, inverse, counts = np.unique(days, return_inverse=True, return_counts=True)
    ordered = values[np.lexsort((values, inverse))]
    position = np.cumsum(counts) - counts + quantile * (counts - 1)
    low = np.floor(position).astype(np.int64)
    high = np.ceil(position).astype(np.int64)
    result = ordered[low] + (position - low) * (ordered[high] - ordered[low])
    keep = counts >= min_count
    return distinct[keep], result[keep]


def daily_mean(
    days: IntArray, values: FloatArray, *, min_count: int
) -> tuple[IntArray, FloatArray]:
    """The days with at least ``min_count`` values, ascending, and the mean of each one's."""
    distinct, inverse, counts = np.unique(days, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=values, minlength=distinct.size)
    keep = counts >= min_count
    return distinct[keep], sums[keep] / counts[keep]


def theil_sen_rise(x: FloatArray, y: FloatArray) -> float:
    """How much ``y`` rose from the first ``x`` to the last: the median of the pairwise slopes
    (Theil-Sen, robust to a stray point) times the span."""
    first, second = np.triu_indices(x.size, k=1)
    slopes = (y[second] - y[first]) / (x[second] - x[first])
    return float(np.median(slopes)) * float(x[-1] - x[0])


@dataclass(frozen=True, slots=True)
class _Hours:
    """Where each hour falls: its local day and hour of day, and whether it is a known hour
    of the night or of the core opening hours."""

    day: IntArray
    hour: IntArray
    night: BoolArray
    core: BoolArray


class BaseloadDriftDetector(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Finds a night base load that stands above its normal night after night, the way
    equipment left on raises it; see the module docstring for the method.

    Parameters, with the reason for each default:

    - ``building_type``: sets the opening hours (:func:`analytics.hours.in_use`);
    - ``night_start_h``, ``night_end_h``: the local night ``[start, end)``, 00-05: after the
      evening's cleaning and lets, before the first early opening;
    - ``night_quantile``: 0.25, so one or two unusual hours of a night do not move its base;
    - ``min_night_hours``: 3 known hours make a night's base load;
    - ``tolerance``: 0.15, the relative excess a night may have: hourly noise is 5-15 %;
    - ``tolerance_sd``: 2 spreads, the tolerance on a noisy meter;
    - ``min_spread``: 0.04, no meter's nights are steadier than a few per cent;
    - ``allowance_sd``, ``alarm_sd``, ``night_cap_sd``: 1, 5 and 4 spreads, the CUSUM's
      allowance, alarm and cap per night: two nights at the cap alarm, one never does;
    - ``day_share``: 0.5, halfway between the closed hours alone (0) and every hour (1);
    - ``min_open_days``: 3 opening days, since one day's load swings by 10 % and more;
    - ``rise_share``: 0.3 of the level reached, a rise a noisy plateau seldom shows;
    - ``min_nights``: 2 drift nights make a finding.

    Input: hourly mean electric power in kW at hour-start UTC epoch seconds; NaN where unknown.
    """

    kind: ClassVar[str] = "baseload_drift"
    roles: ClassVar[tuple[Role, ...]] = (Role.ELECTRICITY,)

    def __init__(
        self,
        *,
        building_type: str = "other",
        night_start_h: float = 0.0,
        night_end_h: float = 5.0,
        night_quantile: float = 0.25,
        min_night_hours: int = 3,
        tolerance: float = 0.15,
        tolerance_sd: float = 2.0,
        min_spread: float = 0.04,
        allowance_sd: float = 1.0,
        alarm_sd: float = 5.0,
        night_cap_sd: float = 4.0,
        day_share: float = 0.5,
        min_open_days: int = 3,
        rise_share: float = 0.3,
        min_nights: int = 2,
    ) -> None:
        self.building_type = building_type
        self.night_start_h = night_start_h
        self.night_end_h = night_end_h
        self.night_quantile = night_quantile
        self.min_night_hours = min_night_hours
        self.tolerance = tolerance
        self.tolerance_sd = tolerance_sd
        self.min_spread = min_spread
        self.allowance_sd = allowance_sd
        self.alarm_sd = alarm_sd
        self.night_cap_sd = night_cap_sd
        self.day_share = day_share
        self.min_open_days = min_open_days
        self.rise_share = rise_share
        self.min_nights = min_nights

    def _hours(self, times_s: FloatArray, power_kw: FloatArray) -> _Hours:
        local = local_time(times_s)
        known = np.isfinite(power_kw)
        night = (local.hour >= self.night_start_h) & (local.hour < self.night_end_h)
        opens, closes = OPENING_HOURS.get(self.building_type, OPENING_HOURS["other"])
        inner = (local.hour >= opens + CORE_MARGIN_H) & (local.hour < closes - CORE_MARGIN_H)
        core = in_use(self.building_type, times_s) & inner & ~night & known
        hour = np.floor(local.hour).astype(np.int64) % HOURS_PER_DAY
        return _Hours(day=local.day, hour=hour, night=night & known, core=core)

    def _nightly_base_kw(self, at: _Hours, power_kw: FloatArray) -> tuple[IntArray, FloatArray]:
        return daily_quantile(
            at.day[at.night],
            power_kw[at.night],
            quantile=self.night_quantile,
            min_count=self.min_night_hours,
        )

    def _day_excess_kw(self, at: _Hours, power_kw: FloatArray) -> tuple[IntArray, FloatArray]:
        excess = power_kw[at.core] - self.profile_kw_[at.hour[at.core]]
        known = np.isfinite(excess)
        return daily_mean(at.day[at.core][known], excess[known], min_count=MIN_CORE_HOURS)

    def nightly_base_kw(
        self, times_s: FloatArray, power_kw: FloatArray
    ) -> tuple[IntArray, FloatArray]:
        """The local day numbers of the nights with enough known hours, and their base loads."""
        return self._nightly_base_kw(self._hours(times_s, power_kw), power_kw)

    def fit(self, times_s: FloatArray, power_kw: FloatArray) -> Self:
        """Learn the history's nightly base loads, their normal and spread, and the profile
        of the core opening hours with the spread of a day's excess over it."""
        at = self._hours(times_s, power_kw)
        self.night_days_, self.night_base_kw_ = self._nightly_base_kw(at, power_kw)
        base = self.night_base_kw_
        self.normal_kw_ = float(np.median(base)) if base.size else float("nan")
        relative = robust_sd(base) / self.normal_kw_ if self.normal_kw_ > 0 else 0.0
        self.spread_ = max(self.min_spread, relative)
        self.tolerance_ = max(self.tolerance, self.tolerance_sd * self.spread_)
        hours, medians = daily_quantile(
            at.hour[at.core], power_kw[at.core], quantile=0.5, min_count=MIN_PROFILE_VALUES
        )
        self.profile_kw_ = np.full(HOURS_PER_DAY, np.nan)
        self.profile_kw_[hours] = medians
        self.day_days_, self.day_excess_kw_ = self._day_excess_kw(at, power_kw)
        self.day_spread_kw_ = robust_sd(self.day_excess_kw_)
        return self

    def night_scores(
        self, times_s: FloatArray, power_kw: FloatArray
    ) -> tuple[IntArray, FloatArray]:
        """Per night (local day number) of the history before the data and of the data: the
        relative excess of its base load over normal where it is a drift night, else 0."""
        check_is_fitted(self, "normal_kw_")
        at = self._hours(times_s, power_kw)
        days, base = _after_history(
            *self._nightly_base_kw(at, power_kw), self.night_days_, self.night_base_kw_
        )
        day_days, day_excess = _after_history(
            *self._day_excess_kw(at, power_kw), self.day_days_, self.day_excess_kw_
        )
        scores = np.zeros(base.shape)
        if not self.normal_kw_ > 0:
            return days, scores
        excess = base / self.normal_kw_ - 1.0
        steps = np.minimum(excess / self.spread_, self.night_cap_sd) - self.allowance_sd
        cusum = 0.0
        first = 0
        for index, step in enumerate(steps.tolist()):
            if cusum == 0.0:
                first = index
            # Capped at the alarm, so that once the excess stops the alarm stops too.
            cusum = min(max(0.0, cusum + step), self.alarm_sd)
            if cusum < self.alarm_sd or excess[index] <= self.tolerance_:
                continue
            raised = np.zeros(days.shape, dtype=np.bool_)
            raised[first : index + 1] = excess[first : index + 1] > self.tolerance_
            if self._equipment(
                days=days[raised], excess=excess[raised], day_days=day_days, day_excess=day_excess
            ):
                scores[index] = excess[index]
        return days, scores

    def _equipment(
        self, *, days: IntArray, excess: FloatArray, day_days: IntArray, day_excess: FloatArray
    ) -> bool:
        """Whether the raised nights ``days`` of a run (the last one judged) look like
        equipment left on: the days after them rose as much, or the nights keep rising."""
        rising = days.size >= MIN_RISING_NIGHTS and theil_sen_rise(
            days.astype(np.float64), excess
        ) >= self.rise_share * float(np.median(excess))
        # A day's opening hours follow its night: the judged night's day has not come yet.
        after = np.isin(day_days, days[:-1])
        if not after.any():
            return rising
        night_kw = float(np.mean(excess[np.isin(days, day_days[after])])) * self.normal_kw_
        day_kw = float(np.mean(day_excess[after]))
        error_kw = self.day_spread_kw_ / np.sqrt(np.count_nonzero(after))
        rose_as_much = (
            np.count_nonzero(after) >= self.min_open_days
            and day_kw >= self.day_share * night_kw
            and day_kw > error_kw
        )
        return rose_as_much or (rising and day_kw >= -DAY_CONTRADICTS_SE * error_kw)

    def judging_night(self, times_s: FloatArray) -> IntArray:
        """The night (local day number) each hour is judged by: its own day's once that
        night has ended, else the night before."""
        local = local_time(times_s)
        night: IntArray = local.day - (local.hour < self.night_end_h).astype(np.int64)
        return night

    def score_samples(self, times_s: FloatArray, power_kw: FloatArray) -> FloatArray:
        """Per hour: the relative excess of the base load of the last night ended before it,
        where that night is a drift night; else 0."""
        days, night_scores = self.night_scores(times_s, power_kw)
        judged_by = self.judging_night(times_s)
        at = np.searchsorted(days, judged_by)
        found = at < days.size
        found[found] = days[at[found]] == judged_by[found]
        scores = np.zeros(times_s.shape)
        scores[found] = night_scores[at[found]]
        return scores

    def decide(self, times_s: FloatArray, scores: FloatArray) -> list[Episode]:
        """Episodes of ``min_nights`` or more drift nights, one other night between them
        bridged; the detail says how far above normal, on how many nights, since when."""
        found = []
        # A night's verdict covers a day of hours: drift nights with one other night between
        # them are a day's hours apart.
        join_s = (HOURS_PER_DAY + 1) * SECONDS_PER_HOUR
        judged_by = self.judging_night(times_s)
        for span in runs(times_s, scores > 0, join_s=join_s):
            first, stop = span
            flagged = scores[first:stop] > 0
            nights, at = np.unique(judged_by[first:stop][flagged], return_index=True)
            if nights.size < self.min_nights:
                continue
            excess = scores[first:stop][flagged][at]
            detail = (
                f"night base load {100 * float(np.median(excess)):.0f} % above normal"
                f" (up to {100 * float(excess.max()):.0f} %) on {nights.size} nights"
                f" since the night of {date_of(int(nights[0])):%d %b %Y}"
            )
            found.append(episode_of(times_s, scores, span, detail=detail))
        return found

    def episodes(self, times_s: FloatArray, power_kw: FloatArray) -> list[Episode]:
        """The episodes of base-load drift in the series."""
        return self.decide(times_s, self.score_samples(times_s, power_kw))


def _after_history(
    days: IntArray, values: FloatArray, history_days: IntArray, history: FloatArray
) -> tuple[IntArray, FloatArray]:
    """The history's days before the first of ``days``, then ``days`` (the data's own values
    win where both have a day)."""
    first = days[0] if days.size else np.iinfo(np.int64).max
    before = history_days < first
    return np.concatenate([history_days[before], days]), np.concatenate([history[before], values])


__all__ = ["BaseloadDriftDetector"]
