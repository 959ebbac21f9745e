"""When a building is meant to be in use, by its type and the Norwegian calendar.

These are the opening hours a facility manager would state, not the minutes a fan starts: a
detector that looks for use outside them must learn what is normal at each hour itself. The
analytics judge after-hours use and indoor climate by them, and the dashboard marks a room's
climate only in them (a night setback is not a fault).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from byggpuls.calendar import BoolArray, day_info, local_time

FloatArray = npt.NDArray[np.float64]

#: (opening hour, closing hour) in local time, per building type.
OPENING_HOURS: Final[dict[str, tuple[float, float]]] = {
    "school": (7.0, 17.0),
    "kindergarten": (7.0, 17.0),
    "office": (7.0, 18.0),
    "sports_hall": (8.0, 23.0),
    "nursing_home": (0.0, 24.0),
    "other": (7.0, 18.0),
}


def in_use(building_type: str, times_s: FloatArray) -> BoolArray:
    """Whether each UTC epoch time falls in the building's opening hours."""
    local = local_time(times_s)
    days = day_info(local.day)
    opens, closes = OPENING_HOURS.get(building_type, OPENING_HOURS["other"])
    hours: BoolArray = (local.hour >= opens) & (local.hour < closes)
    if building_type == "nursing_home":
        return np.ones_like(hours)
    if building_type == "sports_hall":
        return hours & ~days.public_holiday
    if building_type == "school":
        return hours & days.workday & ~days.school_holiday
    if building_type == "kindergarten":
        return hours & days.workday & ~days.kindergarten_closed
    return hours & days.workday
