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

The fit is ordinary least squares, solved the fixed-effects way since the analytics refit every
meter every week: the level of each hour of the week is swept out by subtracting means within
it, least squares on what is left gives the 14 temperature slopes, and the levels follow as
means. That is the same fit as least squares on the full 206-column design, in a fraction of a
millisecond for eight weeks of hours. A slope the data cannot tell (no hour in its segment, or
every hour at the same end of it) is 0: beyond the segments the history reaches, the baseline
is flat. An hour of the week the history never saw has no level: the baseline is NaN there.
The hour-of-week keys come from the calendar through tables computed once per process.

With ``robust=True`` a few rounds of iteratively reweighted least squares with Huber weights
follow the plain fit, so that a fault inside the history hardly moves the baseline. The price:
on clean data whose extra use comes in bursts (events, after-hours use) the robust baseline
sits nearer the typical hour than the mean one, a little below the plain fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from analytics.hours import in_use
from analytics.robust import MAD_TO_SD
from byggpuls.calendar import local_time

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

HOURS_PER_WEEK: Final = 168
#: A temperature segment whose hours span less than this (K) has no slope of its own: the
#: colder segments follow the coldest one the history spans this far (see ``_colder_follow``).
MIN_SEGMENT_SPAN_K: Final = 2.0
HOURS_PER_DAY: Final = 24
#: Levels: one per hour of the week, and one per hour of a closed day.
_KEYS: Final = HOURS_PER_WEEK + HOURS_PER_DAY
#: 1970-01-01 was a Thursday: day number + 3 is 0 on Mondays.
_MONDAY_OFFSET: Final = 3
#: ASHRAE Guideline 14 acceptance of an hourly model (calibration of measured data).
G14_MAX_CV_RMSE: Final = 0.30
G14_MAX_ABS_NMBE: Final = 0.10
#: Huber's tuning constant: 95 % efficiency when the noise is normal.
HUBER_K: Final = 1.345
#: The median absolute deviation of normal noise times this is its standard deviation.
#: At most this many reweighted fits after the plain one: two take a fault's pull on the
#: baseline down to under a tenth; a third buys little more.
#: They stop sooner once no weight moves by HUBER_SETTLED.
HUBER_ROUNDS: Final = 2
HUBER_SETTLED: Final = 0.01
#: UTC hours (about 341 days) and local days per block of the cached calendar tables.
_BLOCK_HOURS: Final = 8_192
_BLOCK_DAYS: Final = 1_024
#: Hours per matrix product in the normal equations (see _cross_products).
_CHUNK_HOURS: Final = 4_096
#: Times spanning more blocks than this are keyed through the calendar directly.
_MAX_BLOCKS: Final = 4


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
    basis: FloatArray = _segments(outdoor_c, knots_c).T
    return basis


def _segments(outdoor_c: FloatArray, knots_c: tuple[float, ...]) -> FloatArray:
    """:func:`temperature_basis` with a row per segment: the fit works on rows, which numpy
    sweeps faster than short columns."""
    knots = np.asarray(knots_c, dtype=np.float64)
    rows = np.empty((knots.size + 1, outdoor_c.size))
    np.minimum(outdoor_c, knots[0], out=rows[0])
    np.subtract(outdoor_c, knots[:-1, None], out=rows[1:-1])
    np.maximum(rows[1:-1], 0.0, out=rows[1:-1])
    np.minimum(rows[1:-1], np.diff(knots)[:, None], out=rows[1:-1])
    np.maximum(outdoor_c - knots[-1], 0.0, out=rows[-1])
    return rows


def time_keys(times_s: FloatArray, *, building_type: str) -> IntArray:
    """Per time (UTC epoch seconds): its hour of the week in local time (0-167, Monday 00
    first), or 168-191 on a weekday the calendar closes the building (holidays)."""
    utc_hours = np.floor_divide(times_s, 3600.0).astype(np.int64)
    if utc_hours.size == 0:
        return np.zeros(0, dtype=np.int64)
    first = int(utc_hours.min()) // _BLOCK_HOURS
    last = int(utc_hours.max()) // _BLOCK_HOURS
    if last - first >= _MAX_BLOCKS:
        return _calendar_keys(times_s, building_type=building_type)
    # Offsets are whole hours and change only at whole UTC hours: a UTC hour has one local hour.
    local_hours = _local_hours(first, last)[utc_hours - first * _BLOCK_HOURS]
    day, hour = np.divmod(local_hours, HOURS_PER_DAY)
    keys: IntArray = (day + _MONDAY_OFFSET) % 7 * HOURS_PER_DAY + hour
    if building_type == "nursing_home":
        return keys
    first_day = int(day.min()) // _BLOCK_DAYS
    last_day = int(day.max()) // _BLOCK_DAYS
    closed = _closed_weekdays(building_type, first_day, last_day)[day - first_day * _BLOCK_DAYS]
    keyed: IntArray = np.where(closed, HOURS_PER_WEEK + hour, keys)
    return keyed


def _calendar_keys(times_s: FloatArray, *, building_type: str) -> IntArray:
    """:func:`time_keys` straight from the calendar, for any span of times."""
    local = local_time(times_s)
    hour = np.floor(local.hour).astype(np.int64)
    weekday = (local.day + _MONDAY_OFFSET) % 7
    keys: IntArray = weekday * HOURS_PER_DAY + hour
    if building_type != "nursing_home":
        noon = local.day.astype(np.float64) * 86_400.0 + 12 * 3600.0
        closed_weekday = (weekday < 5) & ~in_use(building_type, noon)
        keys = np.where(closed_weekday, HOURS_PER_WEEK + hour, keys)
    return keys


@lru_cache(maxsize=16)
def _local_hours(first_block: int, last_block: int) -> IntArray:
    """The local hour number (hours since 1970-01-01 00:00 local) of every UTC hour of the
    blocks ``first_block`` to ``last_block``."""
    start, stop = first_block * _BLOCK_HOURS, (last_block + 1) * _BLOCK_HOURS
    local = local_time(np.arange(start, stop, dtype=np.float64) * 3600.0)
    table: IntArray = local.day * HOURS_PER_DAY + np.floor(local.hour).astype(np.int64)
    table.flags.writeable = False
    return table


@lru_cache(maxsize=64)
def _closed_weekdays(building_type: str, first_block: int, last_block: int) -> BoolArray:
    """Whether the calendar closes a building of ``building_type`` on each weekday (local day
    number) of the blocks ``first_block`` to ``last_block``; False on weekends."""
    days = np.arange(first_block * _BLOCK_DAYS, (last_block + 1) * _BLOCK_DAYS, dtype=np.int64)
    noon = days.astype(np.float64) * 86_400.0 + 12 * 3600.0
    closed: BoolArray = ((days + _MONDAY_OFFSET) % 7 < 5) & ~in_use(building_type, noon)
    closed.flags.writeable = False
    return closed


class TOWTBaseline(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Hourly consumption from the hour of the week and the outdoor temperature.

    ``fit(times_s, load, outdoor_c)`` on hourly means (hour-start UTC epoch seconds, the meter's
    unit, °C); ``predict(times_s, outdoor_c)``. Fitted: ``levels_`` (per hour of the week, and
    24 for closed days), ``slopes_`` (temperature coefficients, unoccupied then occupied),
    ``occupied_`` (per hour of the week), ``fit_`` (:class:`G14` in sample).

    With ``robust`` the fit down-weights hours far from the baseline (Huber weights, a few
    rounds of iteratively reweighted least squares), so that a fault inside the history, say
    two days of doubled ventilation, does not pull the baseline up with it.
    """

    default_knots_c: ClassVar[tuple[float, ...]] = (-10.0, -5.0, 0.0, 5.0, 10.0, 15.0)

    def __init__(
        self,
        *,
        building_type: str = "other",
        knots_c: tuple[float, ...] = default_knots_c,
        occupied_share: float = 0.65,
        robust: bool = False,
    ) -> None:
        self.building_type = building_type
        self.knots_c = knots_c
        self.occupied_share = occupied_share
        self.robust = robust

    def fit(self, times_s: FloatArray, load: FloatArray, outdoor_c: FloatArray) -> Self:
        """Fit on the hours where load and temperature are both known."""
        keep = np.isfinite(load) & np.isfinite(outdoor_c)
        times_s, load, outdoor_c = times_s[keep], load[keep], outdoor_c[keep]
        if load.size < HOURS_PER_WEEK:
            raise ValueError(f"a TOWT baseline needs a week of hours at least, got {load.size}")
        keys = time_keys(times_s, building_type=self.building_type)
        seen = np.bincount(keys, minlength=_KEYS)
        occupied = _occupancy(keys, load, outdoor_c=outdoor_c, seen=seen, share=self.occupied_share)
        sweep = _Sweep(keys, load, outdoor_c=outdoor_c, occupied=occupied, knots_c=self.knots_c)
        levels, slopes = sweep.solve(np.ones(load.size))
        if self.robust:
            levels, slopes = _reweight(sweep, levels=levels, slopes=slopes)
        levels, slopes = _colder_follow(sweep, levels=levels, slopes=slopes)
        # A closed-day hour never seen takes the Sunday level of that hour.
        sunday = 6 * HOURS_PER_DAY
        unseen = seen[HOURS_PER_WEEK:] == 0
        levels[HOURS_PER_WEEK:][unseen] = levels[sunday : sunday + HOURS_PER_DAY][unseen]
        occupied[HOURS_PER_WEEK:][unseen] = occupied[sunday : sunday + HOURS_PER_DAY][unseen]
        # An hour of the week the history never saw (a gap in the data) has no level: the
        # baseline does not know it, rather than guess 0 and call every kWh there waste.
        levels[:HOURS_PER_WEEK][seen[:HOURS_PER_WEEK] == 0] = np.nan
        levels[HOURS_PER_WEEK:][np.isnan(levels[sunday : sunday + HOURS_PER_DAY]) & unseen] = np.nan
        self.levels_ = levels
        self.slopes_ = slopes
        self.occupied_ = occupied
        self.parameters_ = int(np.count_nonzero(seen)) + slopes.size
        self.fit_ = g14(sweep.rows[0], sweep.evaluate(levels, slopes), parameters=self.parameters_)
        return self

    def predict(self, times_s: FloatArray, outdoor_c: FloatArray) -> FloatArray:
        """The baseline at each hour (NaN where the temperature is unknown)."""
        check_is_fitted(self, "levels_")
        known = np.isfinite(outdoor_c)
        predicted = np.full(times_s.shape, np.nan)
        predicted[known] = _evaluate(
            self.levels_,
            self.slopes_,
            occupied=self.occupied_,
            keys=time_keys(times_s[known], building_type=self.building_type),
            segments=_segments(outdoor_c[known], self.knots_c),
        )
        return predicted


def _occupancy(
    keys: IntArray, load: FloatArray, *, outdoor_c: FloatArray, seen: IntArray, share: float
) -> BoolArray:
    """CalTRACK's occupancy: the keys where a plain load-on-temperature line under-predicts
    at least ``share`` of the time."""
    mean = load.mean()
    if np.ptp(outdoor_c) > 0:
        centred_c = outdoor_c - outdoor_c.mean()
        slope = float(centred_c @ (load - mean)) / float(centred_c @ centred_c)
        line = mean + slope * centred_c
    else:  # one temperature throughout: the line is the mean
        line = np.full(load.shape, mean)
    positive = np.bincount(keys, weights=load > line, minlength=_KEYS)
    occupied: BoolArray = positive / np.maximum(seen, 1) >= share
    return occupied


class _Sweep:
    """Weighted least squares of load on a level per key plus the temperature segments, with
    the levels swept out (fixed effects, Frisch-Waugh-Lovell): within each key, load and
    segments lose their weighted mean; least squares on what is left gives the slopes; a
    level is its key's mean of load less the temperature part. The same fit as least squares
    on the dense design, with 14 normal equations in place of 206 columns.

    The hours are laid out once, unoccupied then occupied and by key within each, so that a
    key's hours and each block of the normal equations are contiguous; a robust fit's
    reweighted rounds reuse the layout, and pass weights and read residuals in its order.
    """

    def __init__(
        self,
        keys: IntArray,
        load: FloatArray,
        *,
        outdoor_c: FloatArray,
        occupied: BoolArray,
        knots_c: tuple[float, ...],
    ) -> None:
        on = occupied[keys]
        order = np.argsort((on * _KEYS + keys).astype(np.int16), kind="stable")
        self.keys = keys[order]
        self.occupied = occupied
        self.count = len(knots_c) + 1
        self.rows = np.empty((self.count + 1, load.size))
        self.rows[0] = load[order]
        self.rows[1:] = _segments(outdoor_c[order], knots_c)
        self.starts = np.flatnonzero(np.diff(self.keys, prepend=-1))
        self.present = self.keys[self.starts]
        self.sizes = np.diff(self.starts, append=load.size)
        self.unoccupied_hours = int(load.size - np.count_nonzero(on))

    def solve(self, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Levels (per key) and slopes (unoccupied, then occupied) under ``weights``."""
        count, rows, split = self.count, self.rows, self.unoccupied_hours
        total = np.add.reduceat(weights, self.starts)
        present_means = np.add.reduceat(rows * weights, self.starts, axis=1) / total
        within = rows - np.repeat(present_means, self.sizes, axis=1)
        weighted = within * weights
        gram = np.zeros((2 * count, 2 * count))
        moment = np.zeros(2 * count)
        for block, hours in enumerate((slice(0, split), slice(split, None))):
            part = slice(block * count, (block + 1) * count)
            cross = _cross_products(weighted[:, hours], within[:, hours])
            gram[part, part] = cross[1:, 1:]
            moment[part] = cross[1:, 0]
        slopes = _pseudo_solve(gram, moment, hours=rows.shape[1])
        means = np.zeros((count + 1, _KEYS))
        means[:, self.present] = present_means
        per_key = np.where(self.occupied, slopes[count:, None], slopes[:count, None])
        levels: FloatArray = means[0] - np.sum(means[1:] * per_key, axis=0)
        return levels, slopes

    def evaluate(self, levels: FloatArray, slopes: FloatArray) -> FloatArray:
        """The baseline at the hours, in the sweep's order."""
        return _evaluate(
            levels, slopes, occupied=self.occupied, keys=self.keys, segments=self.rows[1:]
        )


def _cross_products(weighted: FloatArray, rows: FloatArray) -> FloatArray:
    """``weighted @ rows.T``, summed in chunks of hours small enough for BLAS to keep to one
    thread: threads cost far more than they save on products this small, and the analytics
    run one fit per core."""
    cross = np.zeros((weighted.shape[0], rows.shape[0]))
    for start in range(0, rows.shape[1], _CHUNK_HOURS):
        chunk = slice(start, start + _CHUNK_HOURS)
        cross += weighted[:, chunk] @ rows[:, chunk].T
    return cross


def _pseudo_solve(gram: FloatArray, moment: FloatArray, *, hours: int) -> FloatArray:
    """The minimum-norm solution of the normal equations ``gram @ x = moment``: directions
    the data do not determine (a segment without hours, or one constant within every key)
    get no weight, as least squares' pseudo-inverse gives them."""
    eigenvalues, vectors = np.linalg.eigh(gram)
    largest = float(eigenvalues[-1])
    if largest <= 0.0:
        return np.zeros(moment.size)
    kept = eigenvalues > largest * hours * np.finfo(np.float64).eps
    directions = vectors[:, kept]
    solution: FloatArray = directions @ ((directions.T @ moment) / eigenvalues[kept])
    return solution


def _reweight(
    sweep: _Sweep, *, levels: FloatArray, slopes: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Iteratively reweighted least squares with Huber weights, from the plain fit. The
    scale is the residuals' median absolute deviation, taken anew each round."""
    load = sweep.rows[0]
    weights = np.ones(load.size)
    for _ in range(HUBER_ROUNDS):
        residual = load - sweep.evaluate(levels, slopes)
        scale = MAD_TO_SD * _median(np.abs(residual - _median(residual)))
        if scale <= 0.0:  # most hours fitted exactly: nothing to weigh
            break
        limit = HUBER_K * scale
        new = limit / np.maximum(np.abs(residual), limit)
        settled = float(np.max(np.abs(new - weights))) < HUBER_SETTLED
        weights = new
        levels, slopes = sweep.solve(weights)
        if settled:
            break
    return levels, slopes


def _median(values: FloatArray) -> float:
    """The median, as :func:`numpy.median` gives it, without its overhead."""
    middle = values.size // 2
    if values.size % 2:
        return float(np.partition(values, middle)[middle])
    return float(np.partition(values, (middle - 1, middle))[middle - 1 : middle + 1].mean())


def _colder_follow(
    sweep: _Sweep, *, levels: FloatArray, slopes: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Segments colder than any hour of the history take the slope of the coldest segment it
    reached, so a cold snap below what the history saw is met with more heat, as a building's
    losses grow linearly with the indoor-outdoor difference, not with a flat baseline that
    would call the extra heat waste. Warmer segments than the history reached stay flat: heat
    use levels off above the balance temperature, and a flat baseline there errs towards less
    waste. A segment counts as reached when the history spans :data:`MIN_SEGMENT_SPAN_K` of
    it. The fitted hours warmer than the segments that change keep their baseline (the levels
    absorb the change at the segments' warm end); the few hours inside a barely reached
    segment move onto the coldest reached slope's line."""
    count, split = sweep.count, sweep.unoccupied_hours
    new = slopes.copy()
    for block, hours in enumerate((slice(0, split), slice(split, None))):
        segments = sweep.rows[1:, hours]
        if segments.shape[1] == 0:
            continue
        # A segment the history entered by less than MIN_SEGMENT_SPAN_K has a slope the noise
        # of a few hours decides (a cold night 0.8 K into it gave a heat meter a slope that
        # sent the baseline to zero in the next cold snap): it is not reached either.
        reached = np.flatnonzero(np.ptp(segments, axis=1) >= MIN_SEGMENT_SPAN_K)
        if reached.size == 0:
            continue
        coldest = int(reached[0])
        new[block * count : block * count + coldest] = slopes[block * count + coldest]
        # A colder segment is at its warm end (its largest value) in every hour warmer than
        # it, nearly all of the history: shifting the levels by the slope's change there
        # leaves those hours' baseline as fitted.
        change = (new - slopes)[block * count : (block + 1) * count] @ segments.max(axis=1)
        keys = np.flatnonzero(sweep.occupied == bool(block))
        levels = levels.copy()
        levels[keys] -= change
    return levels, new


def _evaluate(
    levels: FloatArray,
    slopes: FloatArray,
    *,
    occupied: BoolArray,
    keys: IntArray,
    segments: FloatArray,
) -> FloatArray:
    """The baseline from fitted coefficients: each key's level plus the temperature response
    of its occupancy."""
    unoccupied, occupied_response = slopes.reshape(2, -1) @ segments
    baseline: FloatArray = levels[keys] + np.where(occupied[keys], occupied_response, unoccupied)
    return baseline


__all__ = [
    "G14",
    "G14_MAX_ABS_NMBE",
    "G14_MAX_CV_RMSE",
    "TOWTBaseline",
    "g14",
    "temperature_basis",
    "time_keys",
]
