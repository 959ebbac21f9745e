"""The time-of-week-and-temperature (TOWT) baseline of a meter, with its ASHRAE Guideline 14 fit.

TOWT (Mathieu et al. 2011, LBNL; the CalTRACK hourly method) explains hourly consumption as a
level per hour of the week plus a piecewise-linear response to the outdoor temperature, with
separate temperature slopes for the hours a building is occupied and those it is not. The
baseline is what waste is measured against and what a dashboard draws beside the meter.

Two things differ from CalTRACK's reference implementation, both for Norwegian public
buildings:

- **Closed days.** A weekday on which the building is closed by the calendar (public holidays,
  school and kindergarten holidays: :func:`analytics.hours.in_use`) takes the levels of a
  closed day, learnt from the weekends and holidays in the data, not those of its weekday. A
  model that knows no school holidays predicts a school's full weekday load through them.
- **Temperature knots in °C** for a heating climate: -10, -5, 0, 5, 10 and 15 °C, where
  CalTRACK's (in °F) are placed for cooling loads. Above 15 °C a Norwegian building neither
  heats nor cools much; the last segment takes what it does.

Occupancy is found as CalTRACK does: an hour of the week is occupied when a plain linear fit of
load on temperature leaves positive residuals there at least ``occupied_share`` of the time.
The fit is ordinary least squares (numpy), a few milliseconds for a year of hours.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from analytics.hours import in_use
from byggpuls.calendar import local_time

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

HOURS_PER_WEEK: Final = 168
HOURS_PER_DAY: Final = 24
#: 1970-01-01 was a Thursday: day number + 3 is 0 on Mondays.
_MONDAY_OFFSET: Final = 3
#: ASHRAE Guideline 14 acceptance of an hourly model (calibration of measured data).
G14_MAX_CV_RMSE: Final = 0.30
G14_MAX_ABS_NMBE: Final = 0.10


@dataclass(frozen=True, slots=True)
class G14:
    """ASHRAE Guideline 14 goodness of fit: CV(RMSE) and NMBE, as fractions (0.3 = 30 %)."""

    cv_rmse: float
    nmbe: float
    hours: int

    @property
    def passes(self) -> bool:
        """Whether the hourly acceptance holds: CV(RMSE) <= 30 % and |NMBE| <= 10 %."""
        return self.cv_rmse <= G14_MAX_CV_RMSE and abs(self.nmbe) <= G14_MAX_ABS_NMBE


def g14(measured: FloatArray, predicted: FloatArray, *, parameters: int = 0) -> G14:
    """Guideline 14's CV(RMSE) and NMBE of ``predicted`` against ``measured``, with ``parameters``
    taken off the degrees of freedom (0 out of sample, the model's own count in sample)."""
    keep = np.isfinite(measured) & np.isfinite(predicted)
    y, y_hat = measured[keep], predicted[keep]
    n = int(y.size)
    dof = max(n - parameters, 1)
    mean = float(y.mean()) if n else 0.0
    if n == 0 or mean == 0.0:
        return G14(cv_rmse=float("inf"), nmbe=float("inf"), hours=n)
    residual = y - y_hat
    cv_rmse = float(np.sqrt(np.sum(residual**2) / dof)) / mean
    nmbe = float(np.sum(residual)) / (dof * mean)
    return G14(cv_rmse=cv_rmse, nmbe=nmbe, hours=n)


def temperature_basis(outdoor_c: FloatArray, knots_c: tuple[float, ...]) -> FloatArray:
    """The piecewise-linear temperature columns: one per segment between knots, each the part
    of the temperature that falls in it, so that their sum is the temperature itself."""
    columns = [np.minimum(outdoor_c, knots_c[0])]
    for low, high in itertools.pairwise(knots_c):
        columns.append(np.clip(outdoor_c - low, 0.0, high - low))
    columns.append(np.maximum(outdoor_c - knots_c[-1], 0.0))
    basis: FloatArray = np.column_stack(columns)
    return basis


class TOWTBaseline(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Hourly consumption from the hour of the week and the outdoor temperature.

    ``fit(times_s, load, outdoor_c)`` on hourly means (hour-start UTC epoch seconds, the meter's
    unit, °C); ``predict(times_s, outdoor_c)``. Fitted: ``levels_`` (per hour of the week, and
    24 for closed days), ``slopes_`` (temperature coefficients, unoccupied then occupied),
    ``occupied_`` (per hour of the week), ``fit_`` (:class:`G14` in sample).
    """

    default_knots_c: ClassVar[tuple[float, ...]] = (-10.0, -5.0, 0.0, 5.0, 10.0, 15.0)

    def __init__(
        self,
        *,
        building_type: str = "other",
        knots_c: tuple[float, ...] = default_knots_c,
        occupied_share: float = 0.65,
    ) -> None:
        self.building_type = building_type
        self.knots_c = knots_c
        self.occupied_share = occupied_share

    # -- design --------------------------------------------------------------------------------

    def _time_keys(self, times_s: FloatArray) -> IntArray:
        """Per hour: its hour of the week (0-167, Monday 00 first), or 168-191 on a closed
        weekday (the calendar closes the building: holidays)."""
        local = local_time(times_s)
        hour = np.floor(local.hour).astype(np.int64)
        weekday = (local.day + _MONDAY_OFFSET) % 7
        keys: IntArray = weekday * HOURS_PER_DAY + hour
        if self.building_type != "nursing_home":
            noon = local.day.astype(np.float64) * 86_400.0 + 12 * 3600.0
            closed_weekday = (weekday < 5) & ~in_use(self.building_type, noon)
            keys = np.where(closed_weekday, HOURS_PER_WEEK + hour, keys)
        return keys

    def _design(self, keys: IntArray, outdoor_c: FloatArray, occupied: BoolArray) -> FloatArray:
        levels = np.zeros((keys.size, HOURS_PER_WEEK + HOURS_PER_DAY))
        levels[np.arange(keys.size), keys] = 1.0
        basis = temperature_basis(outdoor_c, self.knots_c)
        occ = occupied[keys][:, None]
        design: FloatArray = np.hstack([levels, basis * ~occ, basis * occ])
        return design

    # -- estimator -----------------------------------------------------------------------------

    def fit(self, times_s: FloatArray, load: FloatArray, outdoor_c: FloatArray) -> Self:
        """Fit on the hours where load and temperature are both known."""
        keep = np.isfinite(load) & np.isfinite(outdoor_c)
        times_s, load, outdoor_c = times_s[keep], load[keep], outdoor_c[keep]
        if load.size < HOURS_PER_WEEK:
            raise ValueError(f"a TOWT baseline needs a week of hours at least, got {load.size}")
        keys = self._time_keys(times_s)
        # Occupancy: where a plain load-on-temperature line mostly under-predicts.
        if np.ptp(outdoor_c) > 0:
            line = np.polyval(np.polyfit(outdoor_c, load, 1), outdoor_c)
        else:  # one temperature throughout: the line is the mean
            line = np.full(load.shape, load.mean())
        positive = load - line > 0
        share = np.bincount(keys, weights=positive, minlength=HOURS_PER_WEEK + HOURS_PER_DAY)
        seen = np.bincount(keys, minlength=HOURS_PER_WEEK + HOURS_PER_DAY)
        occupied = share / np.maximum(seen, 1) >= self.occupied_share
        design = self._design(keys, outdoor_c, occupied)
        coefficients, *_ = np.linalg.lstsq(design, load, rcond=None)
        levels = coefficients[: HOURS_PER_WEEK + HOURS_PER_DAY]
        # A closed-day hour never seen takes the Sunday level of that hour.
        sunday = 6 * HOURS_PER_DAY
        for hour in range(HOURS_PER_DAY):
            if seen[HOURS_PER_WEEK + hour] == 0:
                levels[HOURS_PER_WEEK + hour] = levels[sunday + hour]
                occupied[HOURS_PER_WEEK + hour] = occupied[sunday + hour]
        self.levels_ = levels
        self.slopes_ = coefficients[HOURS_PER_WEEK + HOURS_PER_DAY :]
        self.occupied_ = occupied
        self.parameters_ = int(np.count_nonzero(seen)) + self.slopes_.size
        self.fit_ = g14(load, self._predict(keys, outdoor_c), parameters=self.parameters_)
        return self

    def _predict(self, keys: IntArray, outdoor_c: FloatArray) -> FloatArray:
        coefficients = np.concatenate([self.levels_, self.slopes_])
        predicted: FloatArray = self._design(keys, outdoor_c, self.occupied_) @ coefficients
        return predicted

    def predict(self, times_s: FloatArray, outdoor_c: FloatArray) -> FloatArray:
        """The baseline at each hour (NaN where the temperature is unknown)."""
        check_is_fitted(self, "levels_")
        known = np.isfinite(outdoor_c)
        predicted = np.full(times_s.shape, np.nan)
        predicted[known] = self._predict(self._time_keys(times_s[known]), outdoor_c[known])
        return predicted


__all__ = [
    "G14",
    "G14_MAX_ABS_NMBE",
    "G14_MAX_CV_RMSE",
    "TOWTBaseline",
    "g14",
    "temperature_basis",
]
