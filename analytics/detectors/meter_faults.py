"""Meter faults: a meter that is stuck, spikes, falls silent, or whose counter runs backwards.

A meter fault is a fault of the data, not of the building: it is reported for review and it
suppresses the waste findings of that meter over its hours, never priced as waste.

On the readings of one meter as stored (power, or an energy counter's readings), with robust
statistics only, so that no threshold depends on the building's size:

- **stuck**: the same value, exactly, for ``stuck_hours`` or more, on a meter whose readings
  normally change from one to the next (its median absolute change, learnt in ``fit``, is not
  zero);
- **spike**: a reading at least ``spike_ratio`` times the median of the two readings on each side
  of it and further from it than ``spike_mads`` robust standard deviations (1.4826 MAD) of the
  meter's changes: a building's power does not jump fivefold for one reading and back. A
  morning start-up is a step, not a spike: the readings after it stay up;
- **gap**: ``gap_hours`` or more without a reading between two readings;
- **counter_reset** / **negative_consumption** (counters only): the counter falls; to near zero
  (below ``reset_share`` of where it was) it was reset or replaced, else it ran backwards.

Sign convention: :meth:`MeterFaultDetector.score_samples` is higher for an hour that looks
more like a fault; 0 is a plausible hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from byggpuls.roles import Role

FloatArray = npt.NDArray[np.float64]
SECONDS_PER_HOUR: Final = 3600.0
#: The standard deviation of a normal distribution is 1.4826 times its MAD.
MAD_TO_SD: Final = 1.4826
#: Readings on each side of a reading in the median a spike is measured against.
_NEIGHBOURS: Final = 2
#: The time-of-day slots a spike is compared with (15 minutes; UTC, so a clock change shifts
#: a building's habits by one slot for half the year, which four of them absorb).
_SLOT_S: Final = 900.0
SECONDS_PER_DAY: Final = 86_400.0


@dataclass(frozen=True, slots=True)
class MeterFault:
    """One episode of a meter fault: its kind and the readings ``[start_s, end_s]`` it spans
    (a spike's start and end are the same reading's time)."""

    kind: str
    start_s: float
    end_s: float
    #: What a person can check: the value that stuck, the spike's size, the counter's fall.
    detail: str


class MeterFaultDetector(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Finds stuck, spiking, silent and backward-running meters; see the module docstring.

    ``counter``: the series is an energy counter (kWh), not a power. Input: UTC epoch seconds
    and the readings at them, in time order, missing ones simply absent.
    """

    kind: ClassVar[str] = "meter_fault"
    roles: ClassVar[tuple[Role, ...]] = (Role.ELECTRICITY,)

    def __init__(
        self,
        *,
        counter: bool = False,
        stuck_hours: int = 4,
        spike_mads: float = 8.0,
        spike_ratio: float = 2.0,
        gap_hours: int = 3,
        reset_share: float = 0.1,
    ) -> None:
        self.counter = counter
        self.stuck_hours = stuck_hours
        self.spike_mads = spike_mads
        self.spike_ratio = spike_ratio
        self.gap_hours = gap_hours
        self.reset_share = reset_share

    def fit(self, times_s: FloatArray, values: FloatArray) -> Self:
        """Learn the meter's usual change from one reading to the next (median absolute change)
        and its robust spread."""
        rates = self._rates(times_s, values)
        changes = np.abs(np.diff(rates[np.isfinite(rates)]))
        self.typical_change_ = float(np.median(changes)) if changes.size else 0.0
        spread = float(np.median(np.abs(changes - self.typical_change_))) if changes.size else 0.0
        self.scale_ = MAD_TO_SD * max(spread, self.typical_change_)
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

    def _spikes(self, times_s: FloatArray, rates: FloatArray) -> FloatArray:
        """Per reading: its excess over its neighbours' median, in robust deviations, where it is
        a spike by every rule; else 0. A peak that recurs at that time of day (a morning boost
        of the heating) is the building's habit, not a spike: a spike also stands
        ``spike_ratio`` times above the median of its time of day."""
        scores = np.zeros(rates.shape)
        if self.scale_ <= 0 or rates.size <= 2 * _NEIGHBOURS:
            return scores
        padded = np.pad(rates, _NEIGHBOURS, constant_values=np.nan)
        sides = [padded[_NEIGHBOURS + k : _NEIGHBOURS + k + rates.size] for k in (-2, -1, 1, 2)]
        slot = (np.floor(times_s / _SLOT_S) % (SECONDS_PER_DAY / _SLOT_S)).astype(np.int64)
        usual = np.full(rates.shape, np.nan)
        for key in np.unique(slot):
            same = slot == key
            known = rates[same][np.isfinite(rates[same])]
            if known.size:
                usual[same] = float(np.median(known))
        neighbours = np.vstack(sides)
        # Judged only with its neighbours on both sides: the last reading of a series may be
        # the first of a step (a morning start), which the next readings tell.
        judged = np.isfinite(neighbours).all(axis=0)
        with np.errstate(all="ignore"):
            level = np.nanmedian(neighbours, axis=0)
            excess = rates - level
            spike = judged & (
                (rates >= self.spike_ratio * np.maximum(level, 1e-9))
                & (rates >= self.spike_ratio * np.maximum(usual, 1e-9))
                & (excess > self.spike_mads * self.scale_)
            )
        scores[spike] = excess[spike] / self.scale_
        return scores

    def _falls(self, values: FloatArray) -> npt.NDArray[np.int64]:
        """Indices of counter readings below the one before."""
        if not self.counter:
            return np.array([], dtype=np.int64)
        return np.flatnonzero(np.diff(values) < 0) + 1

    def _gaps(self, times_s: FloatArray) -> npt.NDArray[np.int64]:
        """Indices of readings before a gap of ``gap_hours`` or more."""
        return np.flatnonzero(np.diff(times_s) > self.gap_hours * SECONDS_PER_HOUR)

    def score_samples(self, times_s: FloatArray, values: FloatArray) -> FloatArray:
        """Per reading: how many robust deviations a spike rises above its neighbours, or
        ``spike_mads`` where a stuck run, a counter's fall or the end of a gap is."""
        check_is_fitted(self, "scale_")
        scores = self._spikes(times_s, self._rates(times_s, values))
        flagged = np.zeros(values.shape, dtype=np.bool_)
        for start, stop, _ in self._stuck_runs(times_s, values):
            flagged[start:stop] = True
        flagged[self._falls(values)] = True
        flagged[self._gaps(times_s) + 1] = True
        scores[flagged] = np.maximum(scores[flagged], self.spike_mads)
        return scores

    def _stuck_runs(self, times_s: FloatArray, values: FloatArray) -> list[tuple[int, int, float]]:
        """Runs of identical values lasting ``stuck_hours`` or more, on a meter that moves."""
        if self.typical_change_ <= 0 and not self.counter:
            return []
        runs = []
        start = 0
        for index in range(1, values.size + 1):
            if index < values.size and values[index] == values[start]:
                continue
            lasted_s = times_s[index - 1] - times_s[start]
            if lasted_s >= self.stuck_hours * SECONDS_PER_HOUR and np.isfinite(values[start]):
                runs.append((start, index, float(values[start])))
            start = index
        return runs

    def episodes(self, times_s: FloatArray, values: FloatArray) -> list[MeterFault]:
        """The meter faults in the series, in time order."""
        check_is_fitted(self, "scale_")
        found: list[MeterFault] = []
        for start, stop, value in self._stuck_runs(times_s, values):
            hours = (times_s[stop - 1] - times_s[start]) / SECONDS_PER_HOUR
            found.append(
                MeterFault(
                    "stuck",
                    float(times_s[start]),
                    float(times_s[stop - 1]),
                    f"the same reading {value:g} for {hours:.1f} hours",
                )
            )
        rates = self._rates(times_s, values)
        for index in np.flatnonzero(self._spikes(times_s, rates)):
            at = float(times_s[index])
            found.append(MeterFault("spike", at, at, f"{float(rates[index]):g} in one reading"))
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


def overlaps(faults: list[MeterFault], start_s: float, end_s: float) -> bool:
    """Whether any of ``faults`` falls in ``[start_s, end_s)`` or overlaps it."""
    return any(fault.start_s < end_s and start_s <= fault.end_s for fault in faults)


__all__ = ["MeterFault", "MeterFaultDetector", "overlaps"]
