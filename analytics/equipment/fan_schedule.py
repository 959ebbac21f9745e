"""Supply fan running outside the building's opening hours (no G36 fault condition).

A fan left on overnight moves, heats and cools air for nobody. The schedule is the unit's own
occupancy signal where it publishes one (``AhuSeries.occupied``), else the building's opening
hours (:func:`analytics.hours.in_use`). G36 lets a unit start before opening (optimal start,
at most 3 h by its default) and run a setback or purge cycle; so only a run outside the schedule
longer than ``max_start_s`` (3 h) is a fault: longer than any optimal start, and a night cycle
that ends when the zones are back within their setback limits. And only a run that goes on
into the night (00:00-05:00 local, when a school, kindergarten, office or sports hall is surely
empty): legitimate use outside the opening hours (a club's evening booking, a Saturday event,
cleaning before opening) is in the evening, the morning or the day and ends by midnight, while
a fan left on runs through the night. This is the after-hours detector's test on the meters
(:mod:`analytics.detectors.after_hours`).
"""

from __future__ import annotations

from typing import ClassVar, Final

import numpy as np

from analytics.equipment.ahu import MODE_DELAY_S, AhuSeries, FloatArray
from analytics.equipment.rule import AhuEpisode, AhuRule
from analytics.hours import in_use
from byggpuls.calendar import local_time

#: G36's longest optimal start (5.1.20), seconds.
MAX_START_S: Final = 3 * 3600.0
#: Local hours in which a building other than a nursing home is surely empty.
NIGHT_HOURS: Final = (0.0, 5.0)


class FanOutsideHours(AhuRule):
    """Finds the supply fan running outside opening hours for longer than a start-up.

    Sign convention: :meth:`score_samples` is 1 for a sample with the fan running outside the
    schedule, 0 otherwise (not a tolerance multiple: the condition is on or off). The decision
    keeps runs of at least ``alarm_delay_s`` (default :data:`MAX_START_S`) that reach into
    ``night_hours`` (local; ``None``: any run).
    """

    kind: ClassVar[str] = "fan_outside_hours"
    fault_condition: ClassVar[str | None] = None
    needs: ClassVar[tuple[str, ...]] = ("fan_on",)

    def __init__(
        self,
        *,
        building_type: str = "other",
        alarm_delay_s: float = MAX_START_S,
        join_s: float = MODE_DELAY_S,
        min_samples: int = 10,
        night_hours: tuple[float, float] | None = NIGHT_HOURS,
    ) -> None:
        self.building_type = building_type
        self.night_hours = night_hours
        self.alarm_delay_s = alarm_delay_s
        self.join_s = join_s
        self.min_samples = min_samples

    def _score(self, series: AhuSeries) -> FloatArray:
        if series.occupied is not None:
            occupied = series.occupied
        else:
            occupied = in_use(self.building_type, series.times_s)
        scores: FloatArray = np.where(series.fan_on & ~occupied, 1.0, 0.0)
        return scores

    def decide(self, series: AhuSeries, scores: FloatArray) -> list[AhuEpisode]:
        """Runs outside the schedule longer than a start-up that go on into the night."""
        found = super().decide(series, scores)
        if self.night_hours is None:
            return found
        first, last = self.night_hours
        hour = local_time(series.times_s).hour
        night_times = series.times_s[(scores > 0) & (hour >= first) & (hour < last)]
        return [e for e in found if np.any((night_times >= e.start_s) & (night_times < e.end_s))]


__all__ = ["MAX_START_S", "NIGHT_HOURS", "FanOutsideHours"]
