"""Episodes: runs of consecutive unusual hours, the unit every detector decides in.

A detector scores hours (:meth:`score_samples`, 0 for a usual hour, higher for a more wasteful
one) and then decides which runs of scored hours are worth a finding. The decision is the
detector's; cutting scores into runs is the same for every detector and lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
SECONDS_PER_HOUR: Final = 3600.0


@dataclass(frozen=True, slots=True)
class Episode:
    """A run of hours a detector found unusual: ``[start_s, end_s)``, UTC epoch seconds.

    ``hours`` counts the flagged hours in it (an episode that spans opening hours, such as
    ventilation left on over several nights, has fewer flagged hours than its length).
    ``peak_score`` is the highest hourly score in it; ``detail`` is what a person can check.
    """

    start_s: float
    end_s: float
    hours: int
    peak_score: float
    detail: str = ""


def runs(times_s: FloatArray, flags: BoolArray, *, join_s: float = 0.0) -> list[tuple[int, int]]:
    """Index ranges ``[first, stop)`` of flagged hours that follow each other.

    Two flagged hours belong to one run when the second starts at most ``join_s`` seconds after
    the first one ends (0: only back-to-back hours). ``times_s`` are hour starts, ascending.
    """
    found: list[tuple[int, int]] = []
    for index in np.flatnonzero(flags).tolist():
        if found:
            first, stop = found[-1]
            gap_s = float(times_s[index] - times_s[stop - 1]) - SECONDS_PER_HOUR
            if gap_s <= join_s:
                found[-1] = (first, index + 1)
                continue
        found.append((index, index + 1))
    return found


def episode_of(
    times_s: FloatArray, scores: FloatArray, span: tuple[int, int], *, detail: str = ""
) -> Episode:
    """The episode of the hours ``span`` (an index range from :func:`runs`)."""
    first, stop = span
    inside = scores[first:stop]
    return Episode(
        start_s=float(times_s[first]),
        end_s=float(times_s[stop - 1] + SECONDS_PER_HOUR),
        hours=int(np.count_nonzero(inside > 0)),
        peak_score=float(inside.max()),
        detail=detail,
    )


__all__ = ["Episode", "episode_of", "runs"]
