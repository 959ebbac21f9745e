"""Meter faults: a meter that is stuck, spikes, falls silent, or whose counter runs backwards.

A meter fault is a fault of the data, not of the building: it is reported for review and it
suppresses the waste findings of that meter over its hours, never priced as waste.

On the readings of one meter as stored (power, or an energy counter's readings), with robust
statistics only, so that no threshold depends on the building's size:

- **stuck**: the same value, exactly, for ``stuck_hours`` or more, on a meter whose readings
  normally change from one to the next (its median absolute change, learnt in ``fit``, is not
  zero);
- **spike**: one reading that is implausible and isolated. Implausible: at least
  ``spike_ratio`` times the higher of the two readings either side of it, and above it by more
  than ``spike_mads`` robust standard deviations (1.4826 MAD) of the meter's changes when it is
  quiet (at its lowest quarter of levels: noise grows with the load, and a spike at night need
  only beat the night's noise), so that flicker around zero is not one. Isolated: the reading
  after it is back near the one before (they differ by at most a quarter of the spike's
  height). A heating circuit opening for an evening let, or a morning start-up, is a step: the
  power stays up for an hour or more, so the reading after the rise is high too. A peak that
  recurs at that time of day on most other days (a boost pump's daily run) is the meter's
  habit, not a spike. A counter's spike is judged the same way on its rate (its increase per
  hour between readings); the rise of a counter that was stuck, as it catches up, belongs to
  the stuck run, not a spike. Neither the meter's highest readings nor its largest changes can
  tell a spike: a glitch of a reading at night stays below what the meter draws by day;
- **gap**: more than ``gap_hours`` without a reading between two readings;
- **counter_reset** / **negative_consumption** (counters only): the counter falls; to near zero
  (below ``reset_share`` of where it was) it was reset or replaced, else it ran backwards.

Sign convention: :meth:`MeterFaultDetector.score_samples` is higher for a reading that looks
more like a fault; 0 is a plausible reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from analytics.robust import MAD_TO_SD
from byggpuls.calendar import local_time
from byggpuls.roles import Role

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SECONDS_PER_HOUR: Final = 3600.0
#: How far the readings either side of a spike may differ, as a share of the spike's height:
#: a glitch leaves the meter where it was, a step (a circuit opening) does not.
_RETURN_SHARE: Final = 0.25
#: The time-of-day slots (15 minutes of local time, as buildings' timetables run) that a
#: spike's habit is looked up in; a slot either side absorbs a reading's jitter.
_SLOTS_PER_HOUR: Final = 4
_SLOTS_PER_DAY: Final = 24 * _SLOTS_PER_HOUR
#: The share of a meter's changes, at its lowest levels, that its quiet noise is learnt from.
_QUIET_SHARE: Final = 0.25
#: Below this a level is zero, in the ratio of a spike to its neighbours.
_TINY: Final = 1e-9


@dataclass(frozen=True, slots=True)
class MeterFault:
    """One episode of a meter fault: its kind and the readings ``[start_s, end_s]`` it spans
    (a spike's start and end are the same reading's time)."""

    kind: str
    start_s: float
    end_s: float
    #: What a person can check: the value that stuck, the spike's size, the counter's fall.
    detail: str


@dataclass(frozen=True, slots=True)
class _Spike:
    """A spike's reading (index) and what it is measured against."""

    index: int
    rate: float
    before: float
    after: float
    #: Robust standard deviations of the meter's changes the spike rises above its neighbours.
    score: float


class MeterFaultDetector(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Finds stuck, spiking, silent and backward-running meters; see the module docstring.

    ``counter``: the series is an energy counter (kWh), not a power. ``spikes``: whether to
    look for spikes; a sensor (a temperature, a CO2 level) is judged for stuck runs and gaps
    only, since its readings may cross zero and its peaks are physics, not glitches, and a run
    at the lowest or highest reading it has given is saturation, not a stuck sensor. Input:
    UTC epoch seconds and the readings at them, in time order, missing ones simply absent.
    """

    kind: ClassVar[str] = "meter_fault"
    roles: ClassVar[tuple[Role, ...]] = (Role.ELECTRICITY,)

    def __init__(
        self,
        *,
        counter: bool = False,
        spikes: bool = True,
        stuck_hours: int = 4,
        spike_mads: float = 8.0,
        # A glitch multiplies a reading (often five- to twentyfold); a building's own one-reading
        # peaks (a valve pulsing at night) stay under about three times their neighbours.
        spike_ratio: float = 3.0,
        # Readings every 15 minutes or more often: an hour without one is four or more lost.
        gap_hours: float = 1.0,
        reset_share: float = 0.1,
    ) -> None:
        self.counter = counter
        self.spikes = spikes
        self.stuck_hours = stuck_hours
        self.spike_mads = spike_mads
        self.spike_ratio = spike_ratio
        self.gap_hours = gap_hours
        self.reset_share = reset_share

    def fit(self, times_s: FloatArray, values: FloatArray) -> Self:
        """Learn the meter's usual change from one reading to the next (median absolute change),
        its robust spread, and its robust spread when quiet."""
        rates = self._rates(times_s, values)
        known = rates[np.isfinite(rates)]
        changes = np.abs(np.diff(known))
        self.typical_change_ = float(np.median(changes)) if changes.size else 0.0
        finite = values[np.isfinite(values)]
        self.range_ = (
            (float(finite.min()), float(finite.max())) if finite.size else (np.nan, np.nan)
        )
        self.scale_ = _change_scale(changes)
        # Noise grows with the load (a few per cent of it): the quarter of the changes at the
        # meter's lowest levels tell its noise when quiet, which a spike at night must beat.
        quiet = np.array([], dtype=np.float64)
        if changes.size:
            pair_level = np.maximum(known[:-1], known[1:])
            quiet = changes[pair_level <= np.quantile(pair_level, _QUIET_SHARE)]
        self.quiet_scale_ = _change_scale(quiet) or self.scale_
        return self

    def _rates(self, times_s: FloatArray, values: FloatArray) -> FloatArray:
        """Power-like values: the series itself, or a counter's increase per hour since the
        reading before (unknown across a gap, where it is the gap's whole consumption)."""
        if not self.counter:
            return values
        rates = np.full(values.shape, np.nan)
        step_h = np.diff(times_s) / SECONDS_PER_HOUR
        with np.errstate(all="ignore"):
            rates[1:] = np.where(step_h <= self.gap_hours, np.diff(values) / step_h, np.nan)
        return rates

    def _spikes(
        self, times_s: FloatArray, rates: FloatArray, *, after_stuck: IntArray
    ) -> list[_Spike]:
        """The readings that are spikes by every rule of the module docstring; none at the
        readings ``after_stuck`` (the first after a stuck run, judged by what it stuck at)."""
        if not self.spikes or self.quiet_scale_ <= 0 or rates.size < 3:
            return []
        before, at, after = rates[:-2], rates[1:-1], rates[2:]
        step_s = np.diff(times_s)
        near = (step_s[:-1] <= self.gap_hours * SECONDS_PER_HOUR) & (
            step_s[1:] <= self.gap_hours * SECONDS_PER_HOUR
        )
        # NaN compares false: a reading without both neighbours is not judged (the last one of
        # a series may be the first of a step, which the next readings tell).
        judged = near & np.isfinite(before) & np.isfinite(at) & np.isfinite(after)
        level = np.where(judged, np.maximum(before, after), np.nan)
        height = at - level
        ratio = np.full(rates.shape, np.nan)
        with np.errstate(all="ignore"):
            ratio[1:-1] = at / np.maximum(level, _TINY)
        candidate = (
            judged
            & (ratio[1:-1] >= self.spike_ratio)
            & (height > self.spike_mads * self.quiet_scale_)
            & (np.abs(after - before) <= _RETURN_SHARE * height)
        )
        indices = np.flatnonzero(candidate) + 1
        indices = indices[~np.isin(indices, after_stuck)]
        if not indices.size:
            return []
        habit = _habits(times_s, ratio, indices=indices)
        return [
            _Spike(
                index=int(index),
                rate=float(rates[index]),
                before=float(rates[index - 1]),
                after=float(rates[index + 1]),
                score=float(height[index - 1] / self.quiet_scale_),
            )
            for index, usual in zip(indices.tolist(), habit.tolist(), strict=True)
            if ratio[index] >= self.spike_ratio * max(usual, 1.0)
        ]

    def _falls(self, values: FloatArray) -> IntArray:
        """Indices of counter readings below the one before."""
        if not self.counter:
            return np.array([], dtype=np.int64)
        return np.flatnonzero(np.diff(values) < 0) + 1

    def _gaps(self, times_s: FloatArray) -> IntArray:
        """Indices of readings before more than ``gap_hours`` without a reading."""
        return np.flatnonzero(np.diff(times_s) > self.gap_hours * SECONDS_PER_HOUR)

    def score_samples(self, times_s: FloatArray, values: FloatArray) -> FloatArray:
        """Per reading: how many robust deviations (of the meter's changes when quiet) a spike
        rises above its neighbours, or ``spike_mads`` where a stuck run, a counter's fall or the
        end of a gap is."""
        check_is_fitted(self, "scale_")
        scores = np.zeros(values.shape)
        stuck = self._stuck_runs(times_s, values)
        after_stuck = np.array([stop for _, stop, _ in stuck], dtype=np.int64)
        for spike in self._spikes(times_s, self._rates(times_s, values), after_stuck=after_stuck):
            scores[spike.index] = spike.score
        flagged = np.zeros(values.shape, dtype=np.bool_)
        for start, stop, _ in stuck:
            flagged[start:stop] = True
        flagged[self._falls(values)] = True
        flagged[self._gaps(times_s) + 1] = True
        scores[flagged] = np.maximum(scores[flagged], self.spike_mads)
        return scores

    def _stuck_runs(self, times_s: FloatArray, values: FloatArray) -> list[tuple[int, int, float]]:
        """Runs ``[start, stop)`` of identical values lasting ``stuck_hours`` or more, on a meter
        that moves."""
        if self.typical_change_ <= 0 and not self.counter:
            return []
        if values.size == 0:
            return []
        # Runs of equal readings: a new one starts wherever a reading differs from the one
        # before (NaN equals nothing, so it is a run of its own, never stuck).
        change = np.flatnonzero(values[1:] != values[:-1]) + 1
        starts = np.concatenate(([0], change))
        stops = np.concatenate((change, [values.size]))
        lasted_s = times_s[stops - 1] - times_s[starts]
        stuck = (lasted_s >= self.stuck_hours * SECONDS_PER_HOUR) & np.isfinite(values[starts])
        if not self.spikes:
            # A sensor held at the end of its range is saturated (fog holds a humidity sensor
            # at 100 % for hours), not stuck: a stuck sensor freezes where it happened to be.
            stuck &= (values[starts] > self.range_[0]) & (values[starts] < self.range_[1])
        return [
            (int(start), int(stop), float(values[start]))
            for start, stop in zip(starts[stuck], stops[stuck], strict=True)
        ]

    def episodes(self, times_s: FloatArray, values: FloatArray) -> list[MeterFault]:
        """The meter faults in the series, in time order."""
        check_is_fitted(self, "scale_")
        found: list[MeterFault] = []
        stuck = self._stuck_runs(times_s, values)
        for start, stop, value in stuck:
            hours = (times_s[stop - 1] - times_s[start]) / SECONDS_PER_HOUR
            found.append(
                MeterFault(
                    "stuck",
                    float(times_s[start]),
                    float(times_s[stop - 1]),
                    f"the same reading {value:g} for {hours:.1f} hours",
                )
            )
        after_stuck = np.array([stop for _, stop, _ in stuck], dtype=np.int64)
        for spike in self._spikes(times_s, self._rates(times_s, values), after_stuck=after_stuck):
            at = float(times_s[spike.index])
            found.append(MeterFault("spike", at, at, self._spike_detail(spike)))
        for index in self._falls(values):
            before, after = float(values[index - 1]), float(values[index])
            kind = "counter_reset" if after < self.reset_share * before else "negative_consumption"
            found.append(
                MeterFault(
                    kind,
                    float(times_s[index - 1]),
                    float(times_s[index]),
                    f"the counter fell from {before:g} to {after:g}",
                )
            )
        for index in self._gaps(times_s):
            hours = (times_s[index + 1] - times_s[index]) / SECONDS_PER_HOUR
            found.append(
                MeterFault(
                    "gap",
                    float(times_s[index]),
                    float(times_s[index + 1]),
                    f"{hours:.1f} hours without a reading",
                )
            )
        return sorted(found, key=lambda fault: (fault.start_s, fault.kind))

    def _spike_detail(self, spike: _Spike) -> str:
        """The spike's value against the readings either side, as a person can check it."""
        times = spike.rate / max(spike.before, spike.after, _TINY)
        what = "a rise at {:.4g} per hour" if self.counter else "{:.4g}"
        return (
            f"{what.format(spike.rate)} in one reading, {times:.0f} times the readings"
            f" either side ({spike.before:.4g} before, {spike.after:.4g} after)"
        )


def _habits(times_s: FloatArray, ratio: FloatArray, *, indices: IntArray) -> FloatArray:
    """For each reading in ``indices``: how far the meter usually rises above its neighbours
    at that time of day (within a slot), the median over the other days (1 without them)."""
    local = local_time(times_s)
    days, day_of = np.unique(local.day, return_inverse=True)
    slot = np.minimum((local.hour * _SLOTS_PER_HOUR).astype(np.int64), _SLOTS_PER_DAY - 1)
    # A slot's highest ratio per day, with an empty slot either end of the day.
    peaks = np.full((days.size, _SLOTS_PER_DAY + 2), np.nan)
    known = np.isfinite(ratio)
    np.fmax.at(peaks, (day_of[known], slot[known] + 1), ratio[known])
    usual = np.ones(indices.shape)
    for position, index in enumerate(indices.tolist()):
        nearby = peaks[:, slot[index] : slot[index] + 3]
        per_day = np.fmax.reduce(nearby, axis=1)
        others = np.delete(per_day, day_of[index])
        others = others[np.isfinite(others)]
        if others.size:
            usual[position] = float(np.median(others))
    return usual


def _change_scale(changes: FloatArray) -> float:
    """The robust spread of absolute changes: 1.4826 times the larger of their median and
    their median absolute deviation (0 without any)."""
    if not changes.size:
        return 0.0
    typical = float(np.median(changes))
    return MAD_TO_SD * max(typical, float(np.median(np.abs(changes - typical))))


def overlaps(faults: list[MeterFault], start_s: float, end_s: float) -> bool:
    """Whether any of ``faults`` falls in ``[start_s, end_s)`` or overlaps it."""
    return any(fault.start_s < end_s and start_s <= fault.end_s for fault in faults)


__all__ = ["MeterFault", "MeterFaultDetector", "overlaps"]
