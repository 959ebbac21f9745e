"""Zone setpoint too high: a room kept warmer than its use needs, for days, in the heating season.

What is "too high" has two parts, and an hour is judged by both:

- **Above the comfort limit of the building type** (:data:`COMFORT_LIMIT_C`). NS-EN 16798-1
  (as EN 15251 before it, Annex tables of design values) gives 20 °C as the category II design
  operative temperature for heating in offices, classrooms and kindergartens, with 20-24 °C as
  the acceptable winter range for sedentary work; Norwegian energy advice (Enova) recommends
  about 20-22 °C in rooms in use. We take 22 °C (2 K above the design value) as the limit for
  schools, kindergartens, offices and other buildings, and 23 °C for nursing homes (residents
  sit still, dress lightly and are old) and sports halls (changing rooms after showers).
- **Raised above the zone's own usual setpoint** for that hour (fitted on its history, the
  median setpoint per local hour in and out of opening hours) by at least ``min_raise_c``.
  A gym normally held at 18 °C and turned up to 21 °C is below every limit, and costs as much
  per kelvin as a classroom at 24 °C.

Only opening hours in the heating season decide (outdoor air below the radiators' heating
limit on average over the day): a night setback is normal, and a summer setpoint heats nothing.
Where a zone has no setpoint point, its held temperature takes the setpoint's place; the
temperature wanders with people and sun, so only a change well above that wander counts.

The heat it costs (:func:`extra_heat_kwh`): space heat scales with the indoor-outdoor
temperature difference, so a zone held ``excess`` kelvin warmer uses ``excess / (indoor -
outdoor)`` more of its space heat, hour by hour. At Bergen's winter mean (about 3 °C outdoors,
21 °C indoors) that is 5.5 % per kelvin, the rule of thumb Enova and others cite ("one degree
lower saves about 5 %"); without an outdoor temperature the rule (:data:`SHARE_PER_K`) is used.
"""

from __future__ import annotations

from typing import ClassVar, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from analytics.episodes import Episode, episode_of, runs
from analytics.hours import in_use
from analytics.zones.window_open import HEATING_LIMIT_C, usual_at, usual_by_hour
from byggpuls.calendar import local_time
from byggpuls.roles import Role

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
SECONDS_PER_HOUR: Final = 3600.0
#: Highest reasonable setpoint in rooms in use in the heating season, °C, by building type.
COMFORT_LIMIT_C: Final[dict[str, float]] = {
    "school": 22.0,
    "kindergarten": 22.0,
    "office": 22.0,
    "nursing_home": 23.0,
    "sports_hall": 23.0,
    "other": 22.0,
}
#: The rule of thumb: share of space heat one kelvin costs, where the outdoor air is unknown.
SHARE_PER_K: Final = 0.05
#: The indoor-outdoor difference is floored here: a mild hour heats little, and a share of
#: nearly nothing must not become a share of everything, K.
MIN_DIFFERENCE_K: Final = 5.0
#: Which quantile of a day's opening-hour temperatures its heating holds.
HELD_QUANTILE: Final = 0.25
#: A held temperature is judged against the limit plus this: a thermostat's band and the
#: gains of a full room lift it about that much above the setpoint, K.
HELD_MARGIN_K: Final = 1.0
#: Hours of the trailing mean that says whether the radiators' season is on.
SEASON_HOURS: Final = 24


class SetpointTooHighDetector(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Finds a zone whose setpoint (or held temperature) is too high for days on end.

    Sign convention: :meth:`score_samples` is, per opening hour in the heating season, how many
    kelvin the setpoint lies above what is acceptable (the comfort limit, or the zone's usual
    setpoint plus ``min_raise_c``), 0 where it does not; higher is more wasteful.

    Parameters: ``building_type`` (opening hours, comfort limit), ``limit_c`` (overrides the
    type's :data:`COMFORT_LIMIT_C`), ``min_raise_c`` (how far above its usual a setpoint must
    be raised; with the temperature in its place, ``min_raise_c`` is applied to it as well),
    ``min_hours`` (opening hours too high that make an episode sustained), ``join_hours``
    (hours between two such hours, across nights and weekends, that keep them one episode).
    Input, hourly: the zone's setpoint (all NaN: the zone has none), its air temperature and
    the outdoor air temperature (°C, NaN where unknown).
    """

    kind: ClassVar[str] = "setpoint_too_high"
    roles: ClassVar[tuple[Role, ...]] = (Role.ZONE_TEMPERATURE, Role.OUTDOOR_TEMPERATURE)

    def __init__(
        self,
        *,
        building_type: str = "other",
        limit_c: float | None = None,
        min_raise_c: float = 1.5,
        min_hours: int = 8,
        join_hours: int = 96,
    ) -> None:
        self.building_type = building_type
        self.limit_c = limit_c
        self.min_raise_c = min_raise_c
        self.min_hours = min_hours
        self.join_hours = join_hours

    def fit(
        self,
        times_s: FloatArray,
        setpoint_c: FloatArray,
        zone_temp_c: FloatArray,
        outdoor_c: FloatArray,
    ) -> Self:
        """Learn the zone's usual level (setpoint, or held temperature) per hour of the day."""
        self.uses_setpoint_ = bool(np.isfinite(setpoint_c).any())
        level = self._level(times_s, setpoint_c, zone_temp_c)
        self.usual_c_ = usual_by_hour(times_s, level, self.building_type)
        self.limit_c_ = (
            self.limit_c
            if self.limit_c is not None
            else COMFORT_LIMIT_C.get(self.building_type, COMFORT_LIMIT_C["other"])
        )
        return self

    def excess_c(
        self, times_s: FloatArray, setpoint_c: FloatArray, zone_temp_c: FloatArray
    ) -> FloatArray:
        """Per hour, every hour: kelvin above the lower of the usual level and the limit (what
        the heat is costed on; a setback hour is measured against its own usual setback)."""
        check_is_fitted(self, "usual_c_")
        level = self._level(times_s, setpoint_c, zone_temp_c)
        usual = usual_at(times_s, self.usual_c_, self.building_type)
        reference = np.minimum(usual, self.limit_c_)
        excess: FloatArray = np.where(np.isfinite(level - reference), level - reference, 0.0)
        return np.maximum(excess, 0.0)

    def score_samples(
        self,
        times_s: FloatArray,
        setpoint_c: FloatArray,
        zone_temp_c: FloatArray,
        outdoor_c: FloatArray,
    ) -> FloatArray:
        """Per opening hour in the heating season: kelvin above what is acceptable, else 0."""
        check_is_fitted(self, "usual_c_")
        level = self._level(times_s, setpoint_c, zone_temp_c)
        usual = usual_at(times_s, self.usual_c_, self.building_type)
        # A held temperature carries people's and the sun's heat above the setpoint.
        limit = self.limit_c_ + (0.0 if self.uses_setpoint_ else HELD_MARGIN_K)
        over = np.fmax(level - limit, level - usual - self.min_raise_c)
        counted = in_use(self.building_type, times_s) & heating_season(outdoor_c)
        scores: FloatArray = np.where(counted & np.isfinite(over) & (over > 0.0), over, 0.0)
        return scores

    def decide(self, times_s: FloatArray, scores: FloatArray) -> list[Episode]:
        """Runs of too-high opening hours, joined across nights and weekends, that last."""
        flagged = scores > 0.0
        found = []
        for span in runs(times_s, flagged, join_s=self.join_hours * SECONDS_PER_HOUR):
            first, stop = span
            hours = int(np.count_nonzero(flagged[first:stop]))
            if hours < self.min_hours:
                continue
            peak = float(scores[first:stop].max())
            found.append(
                episode_of(
                    times_s,
                    scores,
                    span,
                    detail=f"up to {peak:.1f} K above what is acceptable in {hours} opening "
                    "hours of the heating season",
                )
            )
        return found

    def _level(
        self, times_s: FloatArray, setpoint_c: FloatArray, zone_temp_c: FloatArray
    ) -> FloatArray:
        if self.uses_setpoint_:
            return setpoint_c
        return held_temperature_c(times_s, zone_temp_c, self.building_type)


def held_temperature_c(
    times_s: FloatArray, zone_temp_c: FloatArray, building_type: str
) -> FloatArray:
    """The temperature the heating holds a zone at, per opening hour: the lower quartile of
    its day's opening hours (people and sun warm a room above what its heating holds, never
    below it; the morning's warm-up is a minority of the day). NaN outside opening hours."""
    held = np.full(times_s.shape, np.nan)
    opened = in_use(building_type, times_s) & np.isfinite(zone_temp_c)
    days = local_time(times_s).day
    for day in np.unique(days[opened]).tolist():
        pick = opened & (days == day)
        held[pick] = float(np.quantile(zone_temp_c[pick], HELD_QUANTILE))
    return held


def heating_season(outdoor_c: FloatArray) -> BoolArray:
    """Hours whose trailing day was, on average, below the radiators' heating limit (True
    where the outdoor temperature is unknown: the season is then assumed to heat)."""
    known = np.isfinite(outdoor_c)
    sums = np.cumsum(np.where(known, outdoor_c, 0.0))
    counts = np.cumsum(known)
    hours = SEASON_HOURS
    sums[hours:] = sums[hours:] - sums[:-hours]
    counts[hours:] = counts[hours:] - counts[:-hours]
    mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    season: BoolArray = ~(mean >= HEATING_LIMIT_C)
    return season


def extra_heat_kwh(
    *,
    excess_c: FloatArray,
    indoor_c: FloatArray,
    outdoor_c: FloatArray,
    space_heat_kwh: FloatArray,
) -> FloatArray:
    """Per hour: the share of ``space_heat_kwh`` (the zone's space heat in that hour) that
    ``excess_c`` kelvin too warm costs: ``excess / (indoor - outdoor)`` where both are known,
    :data:`SHARE_PER_K` per kelvin where not. Unknown heat costs nothing (0)."""
    difference = np.maximum(indoor_c - outdoor_c, MIN_DIFFERENCE_K)
    per_k = np.where(np.isfinite(difference), 1.0 / difference, SHARE_PER_K)
    # ``indoor_c`` is the raised temperature, so the share is of the heat actually used.
    share = np.clip(excess_c * per_k, 0.0, 1.0)
    cost = space_heat_kwh * share
    result: FloatArray = np.where(np.isfinite(cost), cost, 0.0)
    return result


__all__ = [
    "COMFORT_LIMIT_C",
    "SHARE_PER_K",
    "SetpointTooHighDetector",
    "extra_heat_kwh",
    "heating_season",
    "held_temperature_c",
]
