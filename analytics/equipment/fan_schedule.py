"""Supply fan running outside the building's opening hours (no G36 fault condition).

A fan left on overnight moves, heats and cools air for nobody. The schedule is the unit's own
occupancy signal where it publishes one (``AhuSeries.occupied``), else the building's opening
hours (:func:`analytics.hours.in_use`). G36 lets a unit start before opening (optimal start,
at most 3 h by its default) and run a setback or purge cycle; so only a run outside the schedule
longer than ``max_start_s`` (3 h) is a fault: longer than any optimal start, and a night cycle
that ends when the zones are back within their setback limits.
"""

from __future__ import annotations

from typing import ClassVar, Final

import numpy as np

from analytics.equipment.ahu import MODE_DELAY_S, AhuSeries, FloatArray
from analytics.equipment.rule import AhuRule
from analytics.hours import in_use

#: G36's longest optimal start (5.1.20), seconds.
MAX_START_S: Final = 3 * 3600.0


class FanOutsideHours(AhuRule):
    """Finds the supply fan running outside opening hours for longer than a start-up.

    Sign convention: :meth:`score_samples` is 1 for a sample with the fan running outside the
    schedule, 0 otherwise (not a tolerance multiple: the condition is on or off). The decision
    keeps runs of at least ``alarm_delay_s`` (default :data:`MAX_START_S`).
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
    ) -> None:
        self.building_type = building_type
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


__all__ = ["MAX_START_S", "FanOutsideHours"]
