"""Whether a zone is occupied, from its CO2 level (and, with labels to learn from, its temperature).

Used to tell the after-hours rules when a building is really empty. The method is the CO2 mass
balance of a ventilated room, ``dC/dt = G - lambda * (C - C_floor)``: people are the only source
of CO2 indoors, so the generation ``G`` (ppm per hour) that the measured level and its change
need is the evidence of people. Everything is calibrated on the zone's own history, so that a
room we have never seen needs no labels and no thresholds in ppm:

- ``C_floor`` is the zone's low quantile (``floor_quantile``): outdoor air, or the level the
  empty room settles at, including the sensor's calibration offset;
- ``lambda`` (air changes per hour) is the typical rate at which the zone's CO2 falls towards
  its floor when it falls from clearly above it (``decay_quantile`` of those rates). Rates
  observed while people leave one by one are slower than the empty room's, so this is an
  underestimate, which is the safe side: a room that empties always looks empty;
- ``G`` between two times ``W`` apart (``W`` = ``window_min``, at least two sample intervals) is
  the exact solution of the balance for a constant source:
  ``G = lambda * (x1 - a * x0) / (1 - a)``, ``a = exp(-lambda * W)``, ``x = C - C_floor``.
  It is a rate per hour whatever the sample interval (1 to 60 minutes);
- the noise of ``G`` is read off the quarter of the time the level is nearest the floor (an
  empty room in any building used less than 18 hours a day): its median and MAD-based sigma.

The decision (:meth:`OccupancyEstimator.predict`) has hysteresis: a zone becomes occupied when
``G`` exceeds ``k_sigma`` sigmas (and ``min_rate_ppm_h``), and stays so until ``G`` drops below
``k_sigma_leave`` sigmas: people who keep a level steady produce a smaller ``G`` than people
arriving, while an emptied room's ``G`` falls to zero at once.

With labels (``occupied`` given to ``fit``) the estimator instead learns a logistic regression
on physical features of the same balance (see :data:`SUPERVISED_FEATURES`); its scores are
log-odds. Limits: a zone whose ventilation is off at night decays more slowly than ``lambda``
and may look occupied for a while after an evening's use; a zone never empty (a nursing home's
bedrooms) has its floor raised by its residents and is seen occupied only when it changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from analytics.robust import MAD_TO_SD

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
SECONDS_PER_HOUR: Final = 3600.0
#: Spikes shorter than this are removed by a running median (a sensor's single bad reading).
DESPIKE_S: Final = 300.0
#: Below this many falling pairs the decay rate is not learnt: a ventilated room's typical rate.
MIN_DECAY_PAIRS: Final = 10
DEFAULT_AIR_CHANGES_PER_H: Final = 0.5
#: Falls slower than this (air changes per hour) are a steady level's noise, not a decay: a
#: room with its ventilation off still changes its air a few tenths of a time an hour.
MIN_DECAY_PER_H: Final = 0.05
#: The share of the time nearest the floor whose generation is taken as the sensor's noise.
QUIET_SHARE: Final = 0.25
#: The features of the supervised model, in column order.
SUPERVISED_FEATURES: Final = (
    "generation_ppm_h",
    "excess_ppm",
    "slope_ppm_h",
    "temp_slope_c_h",
    "temp_excess_c",
)


class OccupancyEstimator(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Says whether a zone is occupied from its CO2 (ppm) and air temperature (degC) series.

    Sign convention: :meth:`score_samples` is higher when occupancy is more likely; unsupervised
    it is the CO2 generation ``G`` in ppm per hour, supervised the log-odds. NaN where a sample
    or its neighbours ``W/2`` away are missing (a gap longer than ``max_gap_min``).

    Parameters: ``window_min`` (the span over which the change is measured, at least two sample
    intervals), ``floor_quantile`` (the zone's empty level), ``min_excess_ppm`` (how far above
    its floor a decay must start to teach the decay rate), ``decay_quantile`` (which of those
    rates is the zone's), ``k_sigma`` and ``k_sigma_leave`` (the decision's hysteresis in noise
    sigmas), ``min_rate_ppm_h`` (a floor on the threshold for a nearly noiseless sensor),
    ``max_gap_min`` (longer gaps are not bridged). ``window_min`` 20, ``decay_quantile`` 0.5
    and ``k_sigma`` 4 were chosen on simulated zones (seeds 11-12) and the first 70 % of the
    UCI office data.
    """

    def __init__(
        self,
        *,
        window_min: float = 20.0,
        floor_quantile: float = 0.02,
        min_excess_ppm: float = 100.0,
        decay_quantile: float = 0.5,
        k_sigma: float = 4.0,
        k_sigma_leave: float = 1.0,
        min_rate_ppm_h: float = 20.0,
        max_gap_min: float = 120.0,
    ) -> None:
        self.window_min = window_min
        self.floor_quantile = floor_quantile
        self.min_excess_ppm = min_excess_ppm
        self.decay_quantile = decay_quantile
        self.k_sigma = k_sigma
        self.k_sigma_leave = k_sigma_leave
        self.min_rate_ppm_h = min_rate_ppm_h
        self.max_gap_min = max_gap_min

    def fit(
        self,
        times_s: FloatArray,
        co2_ppm: FloatArray,
        air_temp_c: FloatArray,
        occupied: BoolArray | None = None,
    ) -> Self:
        """Learn the zone's floor, decay rate and noise; with ``occupied``, also a classifier."""
        times, co2, temp = _checked(times_s, co2_ppm, air_temp_c)
        valid = np.isfinite(co2)
        if np.count_nonzero(valid) < 3:
            raise ValueError("fitting needs at least three CO2 readings")
        interval_s = float(np.median(np.diff(times[valid])))
        self.interval_s_ = interval_s
        self.window_s_ = max(self.window_min * 60.0, 2.0 * interval_s)
        self.max_gap_s_ = max(self.max_gap_min * 60.0, 2.5 * interval_s)
        clean = _despiked(times, co2)
        self.co2_floor_ppm_ = float(np.nanquantile(clean, self.floor_quantile))
        before, after = self._pair(times, clean)
        hours = self.window_s_ / SECONDS_PER_HOUR
        falling = (
            np.isfinite(before) & np.isfinite(after) & (before > self.min_excess_ppm)
            & (after > 0) & (after < before)
        )  # fmt: skip
        rates = np.log(before[falling] / after[falling]) / hours
        # A steady level's noise falls too, at rates no ventilation has: not a decay.
        rates = rates[rates >= MIN_DECAY_PER_H]
        self.air_changes_per_h_ = (
            float(np.quantile(rates, self.decay_quantile))
            if rates.size >= MIN_DECAY_PAIRS
            else DEFAULT_AIR_CHANGES_PER_H
        )
        generation = self._generation(before, after)
        level = (before + after) / 2.0
        known = np.isfinite(generation)
        # The quarter of the time nearest the floor is the empty room: its generation is the
        # noise, centred where the floor's own estimate puts it (slightly above zero).
        quiet = known & (level <= np.nanquantile(np.where(known, level, np.nan), QUIET_SHARE))
        centre = float(np.median(generation[quiet]))
        spread = MAD_TO_SD * float(np.median(np.abs(generation[quiet] - centre)))
        self.noise_centre_ppm_h_ = centre
        self.noise_ppm_h_ = spread
        self.threshold_ppm_h_ = centre + max(self.k_sigma * spread, self.min_rate_ppm_h)
        self.leave_ppm_h_ = min(centre + self.k_sigma_leave * spread, self.threshold_ppm_h_)
        self.temp_floor_c_ = (
            float(np.nanquantile(temp, self.floor_quantile)) if np.isfinite(temp).any() else 0.0
        )
        self.model_: Pipeline | None = None
        if occupied is not None:
            labels = np.asarray(occupied, dtype=bool)
            if labels.shape != times.shape:
                raise ValueError("occupied must have one label per time")
            features = self._features(times, clean, temp)
            usable = np.isfinite(features).all(axis=1)
            if np.unique(labels[usable]).size < 2:
                raise ValueError("supervised fitting needs both occupied and empty samples")
            model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
            model.fit(features[usable], labels[usable])
            self.model_ = model
        return self

    def score_samples(
        self, times_s: FloatArray, co2_ppm: FloatArray, air_temp_c: FloatArray
    ) -> FloatArray:
        """Per sample: CO2 generation in ppm/h (unsupervised) or log-odds (supervised)."""
        check_is_fitted(self, "co2_floor_ppm_")
        times, co2, temp = _checked(times_s, co2_ppm, air_temp_c)
        clean = _despiked(times, co2)
        if self.model_ is None:
            return self._generation(*self._pair(times, clean))
        features = self._features(times, clean, temp)
        known = np.isfinite(features).all(axis=1)
        scores = np.full(times.shape, np.nan)
        if known.any():
            scores[known] = self.model_.decision_function(features[known])
        return scores

    def decide(self, scores: FloatArray) -> BoolArray:
        """Occupied or not from :meth:`score_samples`, in time order (NaN: not occupied)."""
        check_is_fitted(self, "co2_floor_ppm_")
        if self.model_ is not None:
            decided: BoolArray = np.isfinite(scores) & (scores > 0.0)
            return decided
        return hysteresis(scores, enter=self.threshold_ppm_h_, leave=self.leave_ppm_h_)

    def predict(
        self, times_s: FloatArray, co2_ppm: FloatArray, air_temp_c: FloatArray
    ) -> BoolArray:
        """Per sample, whether the zone is occupied (:meth:`decide` of :meth:`score_samples`)."""
        return self.decide(self.score_samples(times_s, co2_ppm, air_temp_c))

    def _pair(self, times: FloatArray, co2: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Excess over the floor ``W/2`` before and after each time (NaN across long gaps)."""
        half = self.window_s_ / 2.0
        before = _interpolated(times, co2, times - half, max_gap_s=self.max_gap_s_)
        after = _interpolated(times, co2, times + half, max_gap_s=self.max_gap_s_)
        return before - self.co2_floor_ppm_, after - self.co2_floor_ppm_

    def _generation(self, before: FloatArray, after: FloatArray) -> FloatArray:
        """The constant source (ppm/h) that takes the excess from ``before`` to ``after``."""
        rate = self.air_changes_per_h_
        hours = self.window_s_ / SECONDS_PER_HOUR
        if rate <= 0.0:
            no_decay: FloatArray = (after - before) / hours
            return no_decay
        kept = float(np.exp(-rate * hours))
        generation: FloatArray = rate * (after - kept * before) / (1.0 - kept)
        return generation

    def _features(self, times: FloatArray, co2: FloatArray, temp: FloatArray) -> FloatArray:
        """The supervised model's inputs (:data:`SUPERVISED_FEATURES`), one row per time."""
        before, after = self._pair(times, co2)
        hours = self.window_s_ / SECONDS_PER_HOUR
        half = self.window_s_ / 2.0
        temp_before = _interpolated(times, temp, times - half, max_gap_s=self.max_gap_s_)
        temp_after = _interpolated(times, temp, times + half, max_gap_s=self.max_gap_s_)
        return np.column_stack(
            [
                self._generation(before, after),
                (before + after) / 2.0,
                (after - before) / hours,
                (temp_after - temp_before) / hours,
                (temp_before + temp_after) / 2.0 - self.temp_floor_c_,
            ]
        )


def hysteresis(scores: FloatArray, *, enter: float, leave: float) -> BoolArray:
    """On when a score exceeds ``enter``, off again when it drops to ``leave`` or is NaN."""
    state = np.zeros(scores.shape, dtype=bool)
    on = False
    for index, score in enumerate(scores.tolist()):
        known = bool(np.isfinite(score))
        on = known and (score > leave if on else score > enter)
        state[index] = on
    return state


def empty_hours(
    times_s: FloatArray,
    zones: Mapping[str, tuple[FloatArray, FloatArray]],
    *,
    estimator: OccupancyEstimator | None = None,
) -> tuple[FloatArray, BoolArray]:
    """Per hour (UTC epoch start; Norwegian local hours start on the UTC hour), whether the
    building is empty: no zone judged occupied in any of its samples of that hour.

    ``zones`` maps a zone to its (CO2 ppm, air temperature degC) series at ``times_s``. Each
    zone gets its own unsupervised estimator (a clone of ``estimator``, fitted on the series
    itself). An hour in which no zone has a CO2 reading is not claimed empty: unknown is not
    empty, so no after-hours finding rests on missing data.
    """
    times = np.asarray(times_s, dtype=np.float64)
    hours_s = np.unique(np.floor(times / SECONDS_PER_HOUR)) * SECONDS_PER_HOUR
    slot = np.searchsorted(hours_s, np.floor(times / SECONDS_PER_HOUR) * SECONDS_PER_HOUR)
    occupied_hours = np.zeros(hours_s.shape, dtype=bool)
    known_hours = np.zeros(hours_s.shape, dtype=bool)
    template = estimator if estimator is not None else OccupancyEstimator()
    for co2_ppm, air_temp_c in zones.values():
        co2 = np.asarray(co2_ppm, dtype=np.float64)
        if np.count_nonzero(np.isfinite(co2)) < 3:
            continue
        zone_estimator = OccupancyEstimator(**template.get_params())
        zone_estimator.fit(times, co2, air_temp_c)
        occupied = zone_estimator.predict(times, co2, air_temp_c)
        known = np.isfinite(zone_estimator.score_samples(times, co2, air_temp_c))
        np.logical_or.at(occupied_hours, slot, occupied)
        np.logical_or.at(known_hours, slot, known)
    empty: BoolArray = known_hours & ~occupied_hours
    return hours_s, empty


def occupied_hours(
    times_s: FloatArray,
    zones: Mapping[str, tuple[FloatArray, FloatArray]],
    *,
    estimator: OccupancyEstimator | None = None,
) -> BoolArray:
    """Per hour of an hourly grid ``times_s``, whether any zone is judged occupied: people
    are there, so energy used then is use, not waste, whatever the timetable says.

    ``zones`` maps a zone to its hourly (CO2 ppm, air temperature degC) means on the grid; each
    zone gets its own unsupervised estimator fitted on its own series. An hour without CO2 is
    not occupied (unknown: the timetable decides).
    """
    times = np.asarray(times_s, dtype=np.float64)
    occupied = np.zeros(times.shape, dtype=bool)
    template = estimator if estimator is not None else OccupancyEstimator()
    for co2_ppm, air_temp_c in zones.values():
        co2 = np.asarray(co2_ppm, dtype=np.float64)
        if np.count_nonzero(np.isfinite(co2)) < MIN_DECAY_PAIRS:
            continue
        zone_estimator = OccupancyEstimator(**template.get_params())
        zone_estimator.fit(times, co2, air_temp_c)
        occupied |= zone_estimator.predict(times, co2, air_temp_c)
    return occupied


def _checked(
    times_s: FloatArray, co2_ppm: FloatArray, air_temp_c: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The inputs as float arrays of one shape, with times strictly increasing."""
    times = np.asarray(times_s, dtype=np.float64)
    co2 = np.asarray(co2_ppm, dtype=np.float64)
    temp = np.asarray(air_temp_c, dtype=np.float64)
    if times.ndim != 1 or co2.shape != times.shape or temp.shape != times.shape:
        raise ValueError("times_s, co2_ppm and air_temp_c must be 1-D arrays of one length")
    if times.size > 1 and not (np.diff(times) > 0).all():
        raise ValueError("times_s must be strictly increasing")
    return times, co2, temp


def _despiked(times: FloatArray, values: FloatArray) -> FloatArray:
    """Running median over :data:`DESPIKE_S` where it holds three samples (1-minute data);
    coarser series are left as they are, since one sample there is a real quarter or hour."""
    lo = np.searchsorted(times, times - DESPIKE_S / 2.0)
    hi = np.searchsorted(times, times + DESPIKE_S / 2.0, side="right")
    out = values.copy()
    for index in np.flatnonzero(hi - lo >= 3).tolist():
        window = values[lo[index] : hi[index]]
        if np.isfinite(window).any():
            out[index] = float(np.nanmedian(window))
    return out


def _interpolated(
    times: FloatArray, values: FloatArray, at_s: FloatArray, *, max_gap_s: float
) -> FloatArray:
    """``values`` linearly interpolated at ``at_s`` over the known samples; NaN outside them
    or inside a gap longer than ``max_gap_s``."""
    known = np.isfinite(values)
    if np.count_nonzero(known) < 2:
        return np.full(at_s.shape, np.nan)
    known_times = times[known]
    result: FloatArray = np.interp(at_s, known_times, values[known])
    after = np.clip(np.searchsorted(known_times, at_s), 1, known_times.size - 1)
    gap = known_times[after] - known_times[after - 1]
    outside = (at_s < known_times[0]) | (at_s > known_times[-1])
    result[outside | (gap > max_gap_s)] = np.nan
    return result


__all__ = [
    "SUPERVISED_FEATURES",
    "OccupancyEstimator",
    "empty_hours",
    "hysteresis",
    "occupied_hours",
]
