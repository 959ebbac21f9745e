"""Window open while heating: a zone colder than the rest of its building can explain.

A window left open in one room adds an outdoor-air heat loss that the room's radiators cannot
fully make up: the room cools faster than usual when the setpoint drops in the evening, holds
a lower temperature through the night and warms slower in the morning, while its setpoint
keeps its usual schedule and the radiator circuit runs. Its neighbours do not: they share the
building's timetable, setback, weather and heating curve, but not the window.

So the model of normal (:class:`WindowOpenDetector`, fitted per zone on its own history) is a
robust linear model of the zone's temperature relative to its setpoint, hour by hour, from
what the building does anyway: the same offset in the building's other zones (``reference_c``,
see :func:`others_offset_c`: a setback's free cooling and a morning's warm-up show there
too), the outdoor temperature, the opening hours and the time of day. What
it cannot explain is the zone's own. A fast fall of the zone's temperature is the rate of
change of that residual; the detector sums the rate over ``window_hours`` hours, which is the
residual's mean over them, and judges it against the zone's own robust spread of that mean
(1.4826 MAD, fitted on the history, so the slow wander of a sensor near a door or a group of
people is part of normal). A cold snap, a holiday or a night setback moves every zone and
leaves the residual alone.

Only hours in which the heating works and loses count: the zone is below its setpoint (a
zone that only cools faster than its neighbours towards a lowered setpoint, having less mass
or more glass, has heating not yet asked to work), the setpoint is at its usual value for
that hour (a raised or lowered setpoint is another fault, or a person's choice) and the
radiator circuit runs (supply water warmer than the room, or, without a water temperature,
outdoor air below the heating limit).
"""

from __future__ import annotations

from typing import ClassVar, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from analytics.episodes import Episode, episode_of, runs
from analytics.hours import in_use
from analytics.robust import robust_sd
from byggpuls.calendar import local_time
from byggpuls.roles import Role

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
SECONDS_PER_HOUR: Final = 3600.0
#: Above this outdoor temperature a radiator circuit is normally stopped (summer), °C.
HEATING_LIMIT_C: Final = 15.0
#: Supply water this much warmer than the room: the radiators can give heat, K.
WATER_MARGIN_K: Final = 5.0
#: A setpoint this close to its usual value for the hour is unchanged, K (setpoints are
#: reported to 0.1 K; a schedule's own values differ by whole kelvins).
SETPOINT_TOLERANCE_K: Final = 0.25
#: Huber's constant: residuals beyond 1.345 robust sds weigh less (95 % efficiency).
HUBER_K: Final = 1.345
HUBER_ITERATIONS: Final = 20
#: The reweighting stops once no weight moves by more than this.
HUBER_SETTLED: Final = 1e-4
#: Fewer known hours than this give no model: every hour then scores 0.
MIN_FIT_HOURS: Final = 72


def others_offset_c(temps_c: FloatArray, setpoints_c: FloatArray) -> FloatArray:
    """Per zone (rows) and hour: the median over the building's *other* zones of their
    temperature minus setpoint, K; NaN where no other zone is known (a one-zone building)."""
    offsets = temps_c - setpoints_c
    result = np.full(offsets.shape, np.nan)
    for row in range(offsets.shape[0]):
        others = np.delete(offsets, row, axis=0)
        known = np.isfinite(others).any(axis=0)
        if others.shape[0] and known.any():
            result[row, known] = np.nanmedian(others[:, known], axis=0)
    return result


class WindowOpenDetector(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Finds a zone that is colder than its building explains while its heating still works.

    Sign convention: :meth:`score_samples` is the zone's temperature deficit over the last
    ``window_hours`` hours in robust standard deviations of its usual deficit (higher: colder
    than normal), 0 where the deficit is under ``min_deficit_k`` or the heating does not run.

    Parameters: ``building_type`` (opening hours), ``window_hours`` (hours the rate of cooling
    is summed over), ``k_sigma`` (how many robust sds make an hour unusual), ``min_deficit_k``
    (an absolute floor: a sensor's resolution and a person's feel), ``min_hours`` (unusual
    hours an episode needs), ``join_hours`` (usual hours that may lie inside one episode),
    ``below_setpoint_k`` (how far below its setpoint the zone must be for an hour to count: its
    heating losing, beyond a controller's dead band and a sensor's offset).
    Input, hourly: the zone's air temperature and setpoint (°C), ``reference_c`` (the other
    zones' temperature minus setpoint, :func:`others_offset_c`), outdoor air and, by keyword,
    radiator supply water temperature (°C; NaN or None where unknown).
    """

    kind: ClassVar[str] = "window_open"
    roles: ClassVar[tuple[Role, ...]] = (Role.ZONE_TEMPERATURE, Role.OUTDOOR_TEMPERATURE)

    def __init__(
        self,
        *,
        building_type: str = "other",
        window_hours: int = 6,
        k_sigma: float = 4.0,
        min_deficit_k: float = 0.5,
        # Tuned on seeds 101-104 (12 windows): 2 hours let the tails of a sensor's wander
        # through (precision 0.3); a window left open makes a night of them.
        min_hours: int = 10,
        join_hours: int = 6,
        below_setpoint_k: float = 0.3,
    ) -> None:
        self.building_type = building_type
        self.window_hours = window_hours
        self.k_sigma = k_sigma
        self.min_deficit_k = min_deficit_k
        self.min_hours = min_hours
        self.join_hours = join_hours
        self.below_setpoint_k = below_setpoint_k

    def fit(
        self,
        times_s: FloatArray,
        zone_temp_c: FloatArray,
        setpoint_c: FloatArray,
        reference_c: FloatArray,
        outdoor_c: FloatArray,
        *,
        supply_water_c: FloatArray | None = None,
    ) -> Self:
        """Learn the zone's usual setpoints, its offset model and the spread of its residual."""
        self.usual_setpoint_c_ = usual_by_hour(times_s, setpoint_c, self.building_type)
        self.outdoor_fill_c_ = _mean_or(outdoor_c, 5.0)
        self.reference_fill_c_ = _mean_or(reference_c, 0.0)
        features = self._features(times_s, setpoint_c, reference_c, outdoor_c)
        target = zone_temp_c - setpoint_c
        usual = self._heating_works(times_s, zone_temp_c, setpoint_c, outdoor_c, supply_water_c)
        keep = np.isfinite(target) & np.isfinite(features).all(axis=1) & usual
        if np.count_nonzero(keep) < MIN_FIT_HOURS:
            self.coef_ = np.zeros(features.shape[1])
            self.deficit_sd_k_ = np.inf
            return self
        self.coef_ = _huber_fit(features[keep], target[keep])
        residual = np.where(keep, target - features @ self.coef_, np.nan)
        mean = _trailing_mean(residual, self.window_hours)
        spread = robust_sd(mean[np.isfinite(mean)])
        self.deficit_sd_k_ = max(spread, 0.05)  # a sensor's resolution: no zero spread
        return self

    def deficit_k(
        self,
        times_s: FloatArray,
        zone_temp_c: FloatArray,
        setpoint_c: FloatArray,
        reference_c: FloatArray,
        outdoor_c: FloatArray,
    ) -> FloatArray:
        """Per hour: how much colder than the model the zone was, on average over the last
        ``window_hours`` hours, K (NaN where unknown)."""
        check_is_fitted(self, "coef_")
        features = self._features(times_s, setpoint_c, reference_c, outdoor_c)
        residual = zone_temp_c - setpoint_c - features @ self.coef_
        deficit: FloatArray = -_trailing_mean(residual, self.window_hours)
        return deficit

    def score_samples(
        self,
        times_s: FloatArray,
        zone_temp_c: FloatArray,
        setpoint_c: FloatArray,
        reference_c: FloatArray,
        outdoor_c: FloatArray,
        *,
        supply_water_c: FloatArray | None = None,
    ) -> FloatArray:
        """Per hour: the deficit in robust sds where the heating works and it is large, else 0."""
        deficit = self.deficit_k(times_s, zone_temp_c, setpoint_c, reference_c, outdoor_c)
        works = self._heating_works(times_s, zone_temp_c, setpoint_c, outdoor_c, supply_water_c)
        # The heating must be losing: the zone below its setpoint. A zone that merely cools
        # faster than its neighbours towards a lowered setpoint (less mass, more glass) has
        # heating that is not asked to work yet.
        losing = zone_temp_c < setpoint_c - self.below_setpoint_k
        large = works & losing & np.isfinite(deficit) & (deficit >= self.min_deficit_k)
        scores: FloatArray = np.where(large, deficit / self.deficit_sd_k_, 0.0)
        return scores

    def decide(self, times_s: FloatArray, scores: FloatArray) -> list[Episode]:
        """Runs of unusual hours (joined across ``join_hours``) with ``min_hours`` of them."""
        flagged = scores >= self.k_sigma
        found = []
        for span in runs(times_s, flagged, join_s=self.join_hours * SECONDS_PER_HOUR):
            first, stop = span
            hours = int(np.count_nonzero(flagged[first:stop]))
            if hours < self.min_hours:
                continue
            kept = np.where(flagged, scores, 0.0)
            found.append(
                episode_of(
                    times_s,
                    kept,
                    span,
                    detail=f"zone {float(scores[first:stop].max()):.1f} robust sds colder than "
                    f"its building explains in {hours} hours while its heating ran",
                )
            )
        return found

    def _features(
        self,
        times_s: FloatArray,
        setpoint_c: FloatArray,
        reference_c: FloatArray,
        outdoor_c: FloatArray,
    ) -> FloatArray:
        hour = local_time(times_s).hour
        angle = 2.0 * np.pi * hour / 24.0
        opened = in_use(self.building_type, times_s).astype(np.float64)
        reference = np.where(np.isfinite(reference_c), reference_c, self.reference_fill_c_)
        outdoor = np.where(np.isfinite(outdoor_c), outdoor_c, self.outdoor_fill_c_)
        return np.column_stack(
            [
                np.ones(times_s.size),
                opened,
                reference,
                outdoor - setpoint_c,
                np.sin(angle),
                np.cos(angle),
                np.sin(2.0 * angle),
                np.cos(2.0 * angle),
            ]
        )

    def _heating_works(
        self,
        times_s: FloatArray,
        zone_temp_c: FloatArray,
        setpoint_c: FloatArray,
        outdoor_c: FloatArray,
        supply_water_c: FloatArray | None,
    ) -> BoolArray:
        """Hours whose setpoint is the usual one for the hour and whose radiators can heat."""
        usual = usual_at(times_s, self.usual_setpoint_c_, self.building_type)
        unchanged = np.abs(setpoint_c - usual) <= SETPOINT_TOLERANCE_K
        water = np.full(times_s.shape, np.nan) if supply_water_c is None else supply_water_c
        running = np.where(
            np.isfinite(water),
            water - zone_temp_c >= WATER_MARGIN_K,
            ~(outdoor_c >= HEATING_LIMIT_C),  # unknown outdoor: assume the season heats
        )
        works: BoolArray = unchanged & running
        return works


def usual_by_hour(times_s: FloatArray, values: FloatArray, building_type: str) -> FloatArray:
    """Median of ``values`` per (opening hours or not, local hour of day): (2, 24), NaN where
    the history has none."""
    hour = np.floor(local_time(times_s).hour).astype(np.int64)
    opened = in_use(building_type, times_s).astype(np.int64)
    known = np.isfinite(values)
    # Sort by (row, hour) and value once; each group's median is then its middle element(s).
    key, value = (opened * 24 + hour)[known], values[known]
    order = np.lexsort((value, key))
    key, value = key[order], value[order]
    groups = np.arange(48)
    starts = np.searchsorted(key, groups, side="left")
    sizes = np.searchsorted(key, groups, side="right") - starts
    present = sizes > 0
    low = np.minimum(starts + (sizes - 1) // 2, max(value.size - 1, 0))
    high = np.minimum(starts + sizes // 2, max(value.size - 1, 0))
    table = np.full(48, np.nan)
    if value.size:
        table[present] = 0.5 * (value[low[present]] + value[high[present]])
    return table.reshape(2, 24)


def usual_at(times_s: FloatArray, table: FloatArray, building_type: str) -> FloatArray:
    """The usual value of each hour from :func:`usual_by_hour`'s table (the other row of the
    same hour where one is unknown)."""
    hour = np.floor(local_time(times_s).hour).astype(np.int64)
    opened = in_use(building_type, times_s).astype(np.int64)
    value = table[opened, hour]
    other = table[1 - opened, hour]
    usual: FloatArray = np.where(np.isfinite(value), value, other)
    return usual


def _trailing_mean(values: FloatArray, hours: int) -> FloatArray:
    """Mean of the known values among each hour and the ``hours - 1`` before it (NaN if none)."""
    known = np.isfinite(values)
    sums = np.cumsum(np.where(known, values, 0.0))
    counts = np.cumsum(known)
    sums[hours:] = sums[hours:] - sums[:-hours]
    counts[hours:] = counts[hours:] - counts[:-hours]
    mean: FloatArray = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return mean


def _huber_fit(features: FloatArray, target: FloatArray) -> FloatArray:
    """Least squares with Huber weights (iteratively reweighted): a fault in the history weighs
    little, so it does not become normal. Each step solves the weighted normal equations (a
    few columns; their minimum-norm solution is least squares' where a column is constant),
    until the weights settle."""
    weights = np.ones(target.size)
    coef: FloatArray = np.zeros(features.shape[1])
    for _ in range(HUBER_ITERATIONS):
        weighted = features * weights[:, None]
        gram = weighted.T @ features
        solution = np.linalg.lstsq(gram, weighted.T @ target, rcond=None)[0]
        coef = np.asarray(solution, dtype=np.float64)
        residual = target - features @ coef
        scale = max(robust_sd(residual), 1e-3)
        ratio = np.abs(residual) / (HUBER_K * scale)
        new = np.where(ratio <= 1.0, 1.0, 1.0 / np.maximum(ratio, 1e-12))
        settled = float(np.max(np.abs(new - weights))) < HUBER_SETTLED
        weights = new
        if settled:
            break
    return coef


def _mean_or(values: FloatArray, default: float) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else default


__all__ = ["WindowOpenDetector", "others_offset_c", "usual_at", "usual_by_hour"]
