"""Heating out of line with the weather: more heat in opening hours than the energy signature.

A building's heat follows the weather. Its *energy signature* is the day's heat against the
day's mean outdoor temperature: a change-point line, heat = base + slope x max(0, balance -
T_out), flat above the balance temperature (hot water and losses remain) and rising below it
as the losses through the envelope and with the ventilation air grow. With heat-recovery
ventilation there is a *knee* too: below some outdoor temperature the recovered heat no longer
warms the supply air enough, the air heating coil opens and the line steepens; a single line
fitted to a mild autumn under-predicts the first cold week.

``fit`` learns the signature from the history's judged days by robust regression on the
relative residual (meter noise is a share of the heat): reweighted least squares, Huber steps
then Tukey's bisquare, which gives days far off the line (a fault in the history, an odd day)
no weight; base and slopes are never negative. The balance temperature is 15 °C (see
:data:`BALANCE_GRID_C`) and the knee (none, or -4 to 10 °C) is the one of a small grid that
leaves the smallest median absolute residual. What the signature leaves
unexplained on a normal day (meter and occupant noise, sun, a busy day) is its *spread*: the
robust standard deviation (1.4826 MAD) of the history's relative residuals.

Raised zone setpoints (``setpoint_too_high``) raise heat in every hour, in proportion to the
indoor-outdoor difference: the days lie above the line by a steady share, whatever the weather,
until somebody notices. A cold snap moves along the line and is not a fault; beyond the
history's temperatures the line is less certain, so the spread a day is judged with grows by
one for each ``extrapolation_k`` kelvin outside them.

Only the **opening hours** are judged (:func:`analytics.hours.in_use`; for a nursing home, every
hour): a lost night setback shows in the closed hours, which the after-hours heating detector
judges. Judging them here too would report that fault twice and count its waste twice; so the
two detectors see disjoint hours (``waste_hours = "open"``). A day is judged when at least
``min_hours_share`` of its opening hours have heat and outdoor readings; closed days (weekends,
holidays) are not judged, so a holiday week neither raises a finding nor enters the fit.

Sign convention: :meth:`HeatingSignatureDetector.score_samples` gives every opening hour of a
judged day that day's relative excess over the signature in spreads when it exceeds
``tolerance_sd``, else 0. The decision (:meth:`~HeatingSignatureDetector.decide`, a pure
function of the scores) is persistence: a raised setpoint lasts days, one cold, windy or busy
day is not a fault. Flagged days form a run while no more than ``max_gap_days`` judged days in
a row are within tolerance; a run is an episode when its evidence, a one-sided CUSUM of its
days' scores (each capped at ``cap_sd``, less ``allowance_sd``), reaches ``threshold_sd``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import ClassVar, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from analytics.episodes import Episode, episode_of
from analytics.hours import in_use
from analytics.robust import MAD_TO_SD, robust_sd
from byggpuls.calendar import date_of, local_datetime_s, local_time
from byggpuls.roles import Role

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SECONDS_PER_HOUR: Final = 3600.0
#: Balance temperatures tried, °C. Norwegian public buildings stop heating between 13 and 17 °C
#: (internal gains, insulation), but eight weeks of heating-season days cannot tell those apart
#: (they fit alike), so 15 °C alone is tried: a third of the fits, and on the tuning seeds a
#: little fewer false alarms than choosing among 13, 15 and 17 °C.
BALANCE_GRID_C: Final = (15.0,)
#: Knees tried, °C: below some outdoor temperature the ventilation's heat recovery no longer
#: warms the supply air enough and its heating coil opens, so the signature steepens there
#: (where depends on the wheel's efficiency and the supply air setpoint).
KNEE_GRID_C: Final = (-4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0)
#: A knee is tried only with this many days on each side of it.
MIN_DAYS_PER_SEGMENT: Final = 5
#: Robust regression: Huber's constant (95 % efficiency for normal noise), then Tukey's
#: bisquare constant (the same efficiency), and how many reweighting steps of each.
HUBER_K: Final = 1.345
BISQUARE_C: Final = 4.685
HUBER_STEPS: Final = 4
ROBUST_STEPS: Final = 12
#: The reweighting stops early once no coefficient moves by more than this share of itself.
SETTLED: Final = 1e-6


@dataclass(frozen=True, slots=True)
class Signature:
    """Mean heat in opening hours against the day's mean outdoor temperature:
    ``base_kw + slope x max(0, balance - T) + knee_slope x max(0, knee - T)``."""

    balance_c: float
    knee_c: float | None
    base_kw: float
    slope_kw_per_k: float
    knee_slope_kw_per_k: float

    def expected_kw(self, outdoor_c: FloatArray) -> FloatArray:
        """The signature at these daily mean outdoor temperatures."""
        heat = self.base_kw + self.slope_kw_per_k * np.maximum(0.0, self.balance_c - outdoor_c)
        if self.knee_c is not None:
            heat = heat + self.knee_slope_kw_per_k * np.maximum(0.0, self.knee_c - outdoor_c)
        result: FloatArray = heat
        return result


@dataclass(frozen=True, slots=True)
class Days:
    """The judged days of some hours: per local day, its mean heat and outdoor temperature over
    its opening hours, and its number of opening hours (so that kW become kWh per day)."""

    day: IntArray
    heat_kw: FloatArray
    outdoor_c: FloatArray
    open_hours: IntArray


class HeatingSignatureDetector(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Finds days whose heat in opening hours is above the building's energy signature.

    Parameters (defaults, and why):

    - ``building_type``: sets the opening hours and the closed days.
    - ``tolerance_sd`` (1.0): a day up to one spread above the line scores 0.
    - ``min_spread`` (0.04): the smallest relative spread a day is judged with; even a very
      steady history does not make a 3 % excess a fault (a dark, busy week does as much).
    - ``allowance_sd`` (1.0), ``cap_sd`` (3.0), ``threshold_sd`` (6.0): the CUSUM. Each flagged
      day adds its excess beyond one spread, at most two, so at least three days decide and
      one odd day never does; heat raised by two and a half spreads is found in four judged
      days. Day-to-day noise is correlated over days, so a lower
      threshold finds a run of dull days; a higher one misses the short faults.
    - ``max_gap_days`` (2): two judged days within tolerance do not end a run (a mild, sunny
      day can hide a raised setpoint); three do.
    - ``extrapolation_k`` (2.0): see the module.
    - ``min_hours_share`` (0.75): the share of a day's opening hours that must have readings
      for the day to be judged.
    - ``min_fit_days`` (15): the judged days a signature needs (three weeks of a school); with
      fewer the model abstains and scores 0. Fewer days leave the knee and the spread to
      chance.
    """

    kind: ClassVar[str] = "heating_out_of_line"
    roles: ClassVar[tuple[Role, ...]] = (Role.HEAT, Role.OUTDOOR_TEMPERATURE)
    #: The hours of an episode whose waste counts: the opening hours it judges.
    waste_hours: ClassVar[str] = "open"

    def __init__(
        self,
        *,
        building_type: str = "other",
        tolerance_sd: float = 1.0,
        min_spread: float = 0.04,
        allowance_sd: float = 1.0,
        cap_sd: float = 3.0,
        threshold_sd: float = 6.0,
        max_gap_days: int = 2,
        extrapolation_k: float = 2.0,
        min_hours_share: float = 0.75,
        min_fit_days: int = 15,
    ) -> None:
        self.building_type = building_type
        self.tolerance_sd = tolerance_sd
        self.min_spread = min_spread
        self.allowance_sd = allowance_sd
        self.cap_sd = cap_sd
        self.threshold_sd = threshold_sd
        self.max_gap_days = max_gap_days
        self.extrapolation_k = extrapolation_k
        self.min_hours_share = min_hours_share
        self.min_fit_days = min_fit_days

    def fit(self, times_s: FloatArray, heat_kw: FloatArray, outdoor_c: FloatArray) -> Self:
        """Learn the energy signature of the opening hours and its residual spread."""
        days = self.days(times_s, heat_kw, outdoor_c)
        self.fit_days_ = int(days.day.size)
        self.signature_: Signature | None = None
        self.spread_ = float("nan")
        self.floor_kw_ = 0.0
        self.outdoor_range_c_ = (float("nan"), float("nan"))
        if self.fit_days_ < self.min_fit_days:
            return self
        self.signature_ = signature(days.outdoor_c, days.heat_kw)
        # Relative excess needs a denominator that does not vanish in mild weather.
        self.floor_kw_ = 0.1 * float(np.median(days.heat_kw))
        self.outdoor_range_c_ = (float(days.outdoor_c.min()), float(days.outdoor_c.max()))
        expected = self.expected_kw(days.outdoor_c)
        relative = days.heat_kw / expected - 1.0
        self.spread_ = max(robust_sd(relative), self.min_spread)
        return self

    def expected_kw(self, outdoor_c: FloatArray) -> FloatArray:
        """The signature's mean heat in opening hours at each daily mean outdoor temperature
        (NaN when the history was too short to learn it)."""
        check_is_fitted(self, "spread_")
        if self.signature_ is None:
            return np.full(np.shape(outdoor_c), np.nan)
        expected: FloatArray = np.maximum(self.signature_.expected_kw(outdoor_c), self.floor_kw_)
        return expected

    def day_scores(self, days: Days) -> FloatArray:
        """Per judged day: its relative excess over the signature in spreads, 0 within the
        tolerance (and 0 throughout when the history was too short to fit)."""
        check_is_fitted(self, "spread_")
        if self.signature_ is None:
            return np.zeros(days.day.shape)
        # Outside the temperatures it learnt from, the line is a guess: its curvature (a
        # ventilation coil opening in the cold, heat levelling off in mild weather) is unknown
        # there, so the spread a day is judged with grows with the distance.
        coldest, warmest = self.outdoor_range_c_
        outside_k = np.maximum(0.0, np.maximum(coldest - days.outdoor_c, days.outdoor_c - warmest))
        spread = self.spread_ * (1.0 + outside_k / self.extrapolation_k)
        z = (days.heat_kw / self.expected_kw(days.outdoor_c) - 1.0) / spread
        scores: FloatArray = np.where(z > self.tolerance_sd, z, 0.0)
        return scores

    def score_samples(
        self, times_s: FloatArray, heat_kw: FloatArray, outdoor_c: FloatArray
    ) -> FloatArray:
        """Per hour: its day's score (:meth:`day_scores`) in opening hours, else 0."""
        check_is_fitted(self, "spread_")
        days = self.days(times_s, heat_kw, outdoor_c)
        local_day = local_time(times_s).day
        per_hour = np.zeros(times_s.shape)
        if days.day.size:
            position = np.clip(np.searchsorted(days.day, local_day), 0, days.day.size - 1)
            judged = days.day[position] == local_day
            per_hour = np.where(judged, self.day_scores(days)[position], 0.0)
        scores: FloatArray = np.where(in_use(self.building_type, times_s), per_hour, 0.0)
        return scores

    def decide(self, times_s: FloatArray, scores: FloatArray) -> list[Episode]:
        """Episodes of excess that persists (see the module); a pure function of the scores,
        so the detail gives the excess in spreads (:meth:`describe` adds the kWh)."""
        found = []
        for span, day_scores in self._day_runs(times_s, scores):
            flagged = [score for score in day_scores if score > 0]
            detail = (
                f"heat in opening hours above what the outdoor temperature explains on "
                f"{len(flagged)} of {len(day_scores)} days, {np.mean(flagged):.1f} times its "
                "usual day-to-day spread"
            )
            found.append(episode_of(times_s, scores, span, detail=detail))
        return found

    def _day_runs(
        self, times_s: FloatArray, scores: FloatArray
    ) -> list[tuple[tuple[int, int], list[float]]]:
        """Index spans of the runs of flagged days whose evidence reaches the threshold, and
        the scores of their judged days.

        Flagged days form one run while no more than ``max_gap_days`` judged days in a row
        are within tolerance (closed days do not count). The evidence of a run is a
        one-sided CUSUM over its days: each adds its score, capped at ``cap_sd`` so that no
        single day decides, less ``allowance_sd``."""
        opening = in_use(self.building_type, times_s)
        local_day = local_time(times_s).day
        runs: list[tuple[tuple[int, int], list[float]]] = []
        first = stop = -1
        gap = 0
        evidence = peak = 0.0
        day_scores: list[float] = []
        for day in np.unique(local_day[opening]).tolist():
            hours = np.flatnonzero(opening & (local_day == day))
            score = float(scores[hours].max())
            if first >= 0:
                gap = 0 if score > 0 else gap + 1
                if gap > self.max_gap_days:
                    if peak >= self.threshold_sd:
                        runs.append(((first, stop), day_scores[: len(day_scores) - gap + 1]))
                    first = -1
            if score <= 0:
                if first >= 0:
                    day_scores.append(score)
                    evidence = max(0.0, evidence - self.allowance_sd)
                continue
            if first < 0:
                first, day_scores, evidence, peak, gap = int(hours[0]), [], 0.0, 0.0, 0
            stop = int(hours[-1]) + 1
            day_scores.append(score)
            evidence = max(0.0, evidence + min(score, self.cap_sd) - self.allowance_sd)
            peak = max(peak, evidence)
        if first >= 0 and peak >= self.threshold_sd:
            runs.append(((first, stop), day_scores[: len(day_scores) - gap]))
        return runs

    def describe(
        self, episode: Episode, times_s: FloatArray, heat_kw: FloatArray, outdoor_c: FloatArray
    ) -> Episode:
        """``episode`` with a detail in kWh a facility manager can check against the meter:
        the flagged days' mean heat in opening hours, what the signature expects at their
        mean outdoor temperature, the excess and the number of days."""
        inside = (times_s >= episode.start_s) & (times_s < episode.end_s)
        days = self.days(times_s[inside], heat_kw[inside], outdoor_c[inside])
        flagged = self.day_scores(days) > 0
        if not flagged.any():
            return episode
        hours = days.open_hours[flagged]
        measured = float(np.mean(days.heat_kw[flagged] * hours))
        expected = float(np.mean(self.expected_kw(days.outdoor_c[flagged]) * hours))
        detail = (
            f"heat in opening hours {measured:.0f} kWh/day against {expected:.0f} kWh/day "
            f"expected at {np.mean(days.outdoor_c[flagged]):.1f} °C "
            f"({measured / expected - 1.0:+.0%}), {int(flagged.sum())} days"
        )
        return replace(episode, detail=detail)

    def episodes(
        self, times_s: FloatArray, heat_kw: FloatArray, outdoor_c: FloatArray
    ) -> list[Episode]:
        """The episodes of the given hours, with their detail in kWh."""
        scores = self.score_samples(times_s, heat_kw, outdoor_c)
        return [
            self.describe(episode, times_s, heat_kw, outdoor_c)
            for episode in self.decide(times_s, scores)
        ]

    def days(self, times_s: FloatArray, heat_kw: FloatArray, outdoor_c: FloatArray) -> Days:
        """The days of these hours that can be judged (see the module)."""
        opening = in_use(self.building_type, times_s)
        present = opening & np.isfinite(heat_kw) & np.isfinite(outdoor_c)
        day, index = np.unique(local_time(times_s).day, return_inverse=True)
        count = np.bincount(index, weights=present.astype(np.float64), minlength=day.size)
        heat = np.bincount(index, weights=np.where(present, heat_kw, 0.0), minlength=day.size)
        outdoor = np.bincount(index, weights=np.where(present, outdoor_c, 0.0), minlength=day.size)
        should = np.array([opening_hours_of(self.building_type, d) for d in day.tolist()])
        judged = (should > 0) & (count >= self.min_hours_share * should) & (count > 0)
        safe = np.maximum(count, 1.0)
        return Days(
            day[judged].astype(np.int64),
            (heat / safe)[judged],
            (outdoor / safe)[judged],
            should[judged].astype(np.int64),
        )


@lru_cache(maxsize=4096)
def opening_hours_of(building_type: str, day: int) -> int:
    """How many hours of local ``day`` the building is open (23 or 25 hours in a day are
    counted as the clock has them)."""
    midnight_s = local_datetime_s(date_of(day), 0.0)
    next_s = local_datetime_s(date_of(day + 1), 0.0)
    hours: FloatArray = midnight_s + SECONDS_PER_HOUR * np.arange(
        round((next_s - midnight_s) / SECONDS_PER_HOUR), dtype=np.float64
    )
    return int(np.count_nonzero(in_use(building_type, hours)))


def signature(outdoor_c: FloatArray, heat_kw: FloatArray) -> Signature:
    """The change-point signature that fits the days best (smallest median absolute relative
    residual), among a balance temperature from :data:`BALANCE_GRID_C` and a ventilation
    knee from :data:`KNEE_GRID_C` or none; each fitted robustly (see :func:`robust_fit`)."""
    candidates: list[tuple[float, float | None]] = [(b, None) for b in BALANCE_GRID_C]
    for knee_c in KNEE_GRID_C:
        below = int(np.count_nonzero(outdoor_c < knee_c))
        if min(below, outdoor_c.size - below) >= MIN_DAYS_PER_SEGMENT:
            candidates.extend((b, knee_c) for b in BALANCE_GRID_C if b > knee_c)
    balance = np.array([b for b, _ in candidates])
    knee = np.array([-np.inf if k is None else k for _, k in candidates])
    design = _design(outdoor_c, balance, knee)
    coef, loss = robust_fit(design, heat_kw)
    valid = coef[:, 1] + coef[:, 2] > 0
    if not valid.any():
        return Signature(
            BALANCE_GRID_C[len(BALANCE_GRID_C) // 2], None, float(np.median(heat_kw)), 0.0, 0.0
        )
    best = int(np.argmin(np.where(valid, loss, np.inf)))
    base, slope, knee_slope = (float(v) for v in coef[best])
    return Signature(
        float(balance[best]),
        candidates[best][1],
        base,
        slope,
        knee_slope if candidates[best][1] is not None else 0.0,
    )


def nonnegative_solve(gram: FloatArray, moment: FloatArray) -> FloatArray:
    """Per candidate, the least squares coefficients >= 0 from its normal equations.

    Where the unconstrained solution has no negative coefficient it is the answer (the
    problem is convex); elsewhere the best of the solutions on each subset of the columns
    that has no negative coefficient (exact, and cheap for three columns)."""
    full = np.asarray(np.linalg.solve(gram, moment[..., None])[..., 0], dtype=np.float64)
    feasible = np.asarray((full >= 0.0).all(axis=1))
    if feasible.all():
        return full
    best: FloatArray = np.where(feasible[:, None], full, 0.0)
    rest = ~feasible
    best[rest] = _best_subset(gram[rest], moment[rest])
    return best


def _best_subset(gram: FloatArray, moment: FloatArray) -> FloatArray:
    """The least squares coefficients >= 0: the best solution on a subset of the columns."""
    candidates, width = moment.shape
    best = np.zeros((candidates, width))
    best_cost = np.zeros(candidates)  # all coefficients 0 costs nothing beyond y'Wy
    for mask in range(1, 2**width):
        keep = np.array([(mask >> i) & 1 == 1 for i in range(width)])
        sub_gram = np.where(np.outer(keep, keep), gram, np.eye(width))
        sub_moment = np.where(keep, moment, 0.0)
        coef = np.linalg.solve(sub_gram, sub_moment[..., None])[..., 0]
        # The weighted squared error less y'Wy: c'Gc - 2 c'm.
        cost = np.einsum("gi,gij,gj->g", coef, gram, coef) - 2.0 * np.einsum(
            "gi,gi->g", coef, moment
        )
        better = (coef >= 0.0).all(axis=1) & (cost < best_cost)
        best[better] = coef[better]
        best_cost[better] = cost[better]
    return best


def _design(outdoor_c: FloatArray, balance_c: FloatArray, knee_c: FloatArray) -> FloatArray:
    """(candidates, days, 3): 1, degrees below the balance, degrees below the knee."""
    degrees = np.maximum(0.0, balance_c[:, None] - outdoor_c[None, :])
    knee = np.maximum(0.0, knee_c[:, None] - outdoor_c[None, :])
    design: FloatArray = np.stack([np.ones_like(degrees), degrees, knee], axis=-1)
    return design


def robust_fit(design: FloatArray, heat_kw: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Coefficients (none negative: heat neither falls as it gets colder nor is below zero
    when it is warm) and median absolute relative residual of each candidate design.

    Iteratively reweighted least squares on the relative residual (meter noise is a share of
    the heat): a few Huber steps from least squares, then Tukey's bisquare, which gives days
    far off the line (a fault, an odd day) no weight at all."""
    candidates, _, width = design.shape
    weights = np.ones((candidates, heat_kw.size))
    floor = max(1e-3 * float(np.median(np.abs(heat_kw))), 1e-9)
    ridge = 1e-9 * np.eye(width)
    relative = np.zeros_like(weights)
    coef = np.zeros((candidates, width))
    for step in range(ROBUST_STEPS):
        gram = np.einsum("gn,gni,gnj->gij", weights, design, design) + ridge
        moment = np.einsum("gn,gni,n->gi", weights, design, heat_kw)
        previous, coef = coef, nonnegative_solve(gram, moment)
        predicted = np.maximum(np.einsum("gni,gi->gn", design, coef), floor)
        relative = heat_kw[None, :] / predicted - 1.0
        if step > HUBER_STEPS and np.all(
            np.abs(coef - previous) <= SETTLED * np.maximum(np.abs(coef), floor)
        ):
            break
        centre = _row_median(relative)
        scale = np.maximum(MAD_TO_SD * _row_median(np.abs(relative - centre)), 1e-9)
        if step < HUBER_STEPS:
            u = np.abs(relative) / (HUBER_K * scale)
            robust = np.where(u <= 1.0, 1.0, 1.0 / np.maximum(u, 1e-12))
        else:
            u = relative / (BISQUARE_C * scale)
            robust = np.where(np.abs(u) < 1.0, (1.0 - u**2) ** 2, 0.0)
        weights = robust / predicted**2
    loss: FloatArray = _row_median(np.abs(relative))[:, 0]
    return coef, loss


def _row_median(values: FloatArray) -> FloatArray:
    """Each row's median, as a column: :func:`numpy.median` along rows, without its overhead
    (the rows are a few dozen days)."""
    ordered = np.sort(values, axis=1)
    width = values.shape[1]
    middle: FloatArray = 0.5 * (ordered[:, (width - 1) // 2] + ordered[:, width // 2])
    return middle[:, None]


__all__ = ["HeatingSignatureDetector", "Signature", "signature"]
