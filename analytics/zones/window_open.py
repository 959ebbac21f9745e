"""Window open while heating: a zone colder than the rest of its building can explain.

A window left open in one room adds an outdoor-air heat loss that its radiators must make up.
A radiator thermostat is a proportional controller: to give more heat its valve must open
further, and it opens further only as the room falls further below its setpoint. So while the
heating holds the room, the window shows as a standing droop, a few tenths of a kelvin in mild
weather and more in the cold or at night when the water is cooler, for as long as the window
stays open (a night, a weekend). Where the radiators cannot make up the loss, the room falls
further. Its neighbours do not: they share the building's timetable, setback, weather and
heating curve, but not the window.

So the model of normal (:class:`WindowOpenDetector`, fitted per zone on its own history) is a
robust linear model of the zone's temperature relative to its setpoint, hour by hour, from
what the building does anyway: the same offset in the building's other zones (``reference_c``,
see :func:`others_offset_c`), the outdoor temperature, the opening hours and the time of day.
It is fitted, and judged, only in the hours the heating *holds* the zone: the setpoint is at
its usual value for that hour (a raised or lowered setpoint is another fault, or a person's
choice), the radiator circuit runs (supply water warmer than the room, or, without a water
temperature, outdoor air below the heating limit) and the zone is no more than a thermostat's
band above its setpoint (above it the valve is shut and the zone floats: after a setback, a
zone with less mass or more glass cools faster than its neighbours without any fault). A
reading frozen for hours is a sensor's fault, not the room's, and is not judged.

What the model cannot explain is the zone's own. Two views of it are judged, each against the
zone's own robust spread of that view over its history (1.4826 MAD, so the slow wander of a
sensor near a door or a group of people is part of normal): its mean over the last
``window_hours`` held hours (a fast fall) and its median over the held hours of the last
``long_hours`` (a persistent droop: the median ignores a single slow morning). A cold snap, a
holiday or a night setback moves every zone and leaves the residual alone.
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
#: A zone's hourly mean unchanged (to 0.001 K) for this many hours is a frozen reading: a room
#: whose heating works moves by more than that within hours.
FROZEN_HOURS: Final = 4
#: The other zones' offset counts up to this, K (beyond it they float).
FLOAT_LIMIT_K: Final = 1.0
#: No spread below a sensor's resolution, K.
MIN_SPREAD_K: Final = 0.05


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
    """Finds a zone that is colder than its building explains while its heating holds it.

    Sign convention: :meth:`score_samples` is the zone's temperature deficit in robust
    standard deviations of its usual deficit (higher: colder than normal), the larger of the
    fast and the persistent view (see the module), 0 where the deficit is under
    ``min_deficit_k`` or the heating does not hold the zone.

    Parameters: ``building_type`` (opening hours), ``window_hours`` (held hours the fast view
    averages), ``long_hours`` (hours whose held hours the persistent view takes the median of)
    and ``min_long_hours`` (held hours it needs), ``k_sigma`` (how many robust sds make an
    hour unusual), ``min_deficit_k`` (an absolute floor: a sensor's resolution and a person's
    feel), ``min_hours`` (unusual hours an episode needs), ``join_hours`` (usual hours that
    may lie inside one episode), ``band_k`` (how far above its setpoint a zone may be with
    its heating still holding it: a radiator thermostat's band).
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
        # A window left open is found the next morning or after a weekend: a night's droop
        # outlasts a sensor's wander (hours) and a morning's slow start (two or three hours).
        long_hours: int = 24,
        min_long_hours: int = 6,
        k_sigma: float = 4.0,
        min_deficit_k: float = 0.5,
        # Tuned on seeds 101-104 (12 windows): 2 hours let the tails of a sensor's wander
        # through (precision 0.3); a window left open makes a night of them.
        min_hours: int = 10,
        join_hours: int = 6,
        band_k: float = 0.5,
    ) -> None:
        self.building_type = building_type
        self.window_hours = window_hours
        self.long_hours = long_hours
        self.min_long_hours = min_long_hours
        self.k_sigma = k_sigma
        self.min_deficit_k = min_deficit_k
        self.min_hours = min_hours
        self.join_hours = join_hours
        self.band_k = band_k

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
        """Learn the zone's usual setpoints, its offset model in held hours and the spread of
        both views of its residual."""
        self.usual_setpoint_c_ = usual_by_hour(times_s, setpoint_c, self.building_type)
        self.outdoor_fill_c_ = _mean_or(outdoor_c, 5.0)
        self.reference_fill_c_ = _mean_or(reference_c, 0.0)
        features = self._features(times_s, setpoint_c, reference_c, outdoor_c)
        target = zone_temp_c - setpoint_c
        held = self._held(times_s, zone_temp_c, setpoint_c, outdoor_c, supply_water_c)
        keep = np.isfinite(target) & np.isfinite(features).all(axis=1) & held
        if np.count_nonzero(keep) < MIN_FIT_HOURS:
            self.coef_ = np.zeros(features.shape[1])
            self.deficit_sd_k_ = np.array([np.inf, np.inf])
            return self
        self.coef_ = _huber_fit(features[keep], target[keep])
        residual = np.where(keep, target - features @ self.coef_, np.nan)
        views = self._views(residual)
        spreads = [robust_sd(view[keep & np.isfinite(view)]) for view in views]
        self.deficit_sd_k_ = np.maximum(np.nan_to_num(spreads, nan=np.inf), MIN_SPREAD_K)
        return self

    def deficit_k(
        self,
        times_s: FloatArray,
        zone_temp_c: FloatArray,
        setpoint_c: FloatArray,
        reference_c: FloatArray,
        outdoor_c: FloatArray,
        *,
        supply_water_c: FloatArray | None = None,
    ) -> FloatArray:
        """Per hour (columns), how much colder than the model the zone was in the hours its
        heating held it, K: row 0 the mean over the last ``window_hours`` of them, row 1 the
        median over those of the last ``long_hours`` (NaN where too few)."""
        check_is_fitted(self, "coef_")
        features = self._features(times_s, setpoint_c, reference_c, outdoor_c)
        held = self._held(times_s, zone_temp_c, setpoint_c, outdoor_c, supply_water_c)
        residual = np.where(held, zone_temp_c - setpoint_c - features @ self.coef_, np.nan)
        deficit: FloatArray = -np.array(self._views(residual))
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
        """Per hour: the larger deficit in robust sds where the heating holds the zone and
        that deficit is large, else 0."""
        deficit = self.deficit_k(
            times_s, zone_temp_c, setpoint_c, reference_c, outdoor_c, supply_water_c=supply_water_c
        )
        held = self._held(times_s, zone_temp_c, setpoint_c, outdoor_c, supply_water_c)
        large = held & np.isfinite(deficit) & (deficit >= self.min_deficit_k)
        scores: FloatArray = np.where(large, deficit / self.deficit_sd_k_[:, None], 0.0).max(axis=0)
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

    def _views(self, residual: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The residual's mean over the last ``window_hours`` known hours and its median over
        the known hours among the last ``long_hours`` (NaN with fewer than ``min_long_hours``)."""
        return (
            _trailing_mean(residual, self.window_hours),
            _trailing_median(residual, self.long_hours, min_known=self.min_long_hours),
        )

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
        # Neighbours far above their setpoints float on sun, people or a setback's slow
        # cooling: how far they float says little about a zone whose heating holds it.
        reference = np.minimum(reference, FLOAT_LIMIT_K)
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

    def _held(
        self,
        times_s: FloatArray,
        zone_temp_c: FloatArray,
        setpoint_c: FloatArray,
        outdoor_c: FloatArray,
        supply_water_c: FloatArray | None,
    ) -> BoolArray:
        """Hours the heating holds the zone: its setpoint is the usual one for the hour, its
        radiators can heat, it is not above its setpoint by more than the band, and its
        reading is not frozen."""
        usual = usual_at(times_s, self.usual_setpoint_c_, self.building_type)
        unchanged = np.abs(setpoint_c - usual) <= SETPOINT_TOLERANCE_K
        water = np.full(times_s.shape, np.nan) if supply_water_c is None else supply_water_c
        running = np.where(
            np.isfinite(water),
            water - zone_temp_c >= WATER_MARGIN_K,
            ~(outdoor_c >= HEATING_LIMIT_C),  # unknown outdoor: assume the season heats
        )
        within = zone_temp_c <= setpoint_c + self.band_k
        held: BoolArray = unchanged & running & within & ~frozen(zone_temp_c)
        return held


def frozen(values: FloatArray, hours: int = FROZEN_HOURS) -> BoolArray:
    """Hours inside a run of at least ``hours`` equal values (to 0.001): a stuck reading."""
    same = np.zeros(values.shape, dtype=bool)
    same[1:] = np.abs(np.diff(values)) < 1e-3
    result = np.zeros(values.shape, dtype=bool)
    start = 0
    for index in range(1, values.size + 1):
        if index == values.size or not same[index]:
            if index - start >= hours:
                result[start:index] = True
            start = index
    return result


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


def _trailing_median(values: FloatArray, hours: int, *, min_known: int) -> FloatArray:
    """Median of the known values among each hour and the ``hours - 1`` before it (NaN with
    fewer than ``min_known``)."""
    padded = np.concatenate([np.full(hours - 1, np.nan), values])
    windows = np.lib.stride_tricks.sliding_window_view(padded, hours)
    enough = np.isfinite(windows).sum(axis=1) >= min_known
    median = np.full(values.shape, np.nan)
    if enough.any():
        median[enough] = np.nanmedian(windows[enough], axis=1)
    return median


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


__all__ = ["WindowOpenDetector", "frozen", "others_offset_c", "usual_at", "usual_by_hour"]
