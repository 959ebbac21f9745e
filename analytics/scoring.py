"""Stable scoring: each local week is judged by models of the weeks before it alone.

However often analytics runs and wherever a run's window starts, an hour must be scored the same
way, or an episode's start (which identifies its finding) would move and its waste be counted
again. So the hours of each local week (Monday 00:00 to Monday 00:00, Europe/Oslo) are scored
by a model fitted on the ``history_weeks`` before that Monday only: once those weeks are
stored, the model of the week never changes. A week's model is ready at its first hour, so the
scheme adds no delay to detection; refitting weekly rather than daily keeps a year of a
portfolio affordable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final, Protocol, Self

import numpy as np
import numpy.typing as npt

from analytics.episodes import Episode
from byggpuls.calendar import date_of, local_datetime_s, local_time

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
SECONDS_PER_DAY: Final = 86_400.0
#: Weeks of history each week's models learn from: long enough that a fault of two or three
#: weeks inside it is a minority of every hour of the week (robust fits then ignore it).
HISTORY_WEEKS: Final = 8
#: A week with less history than this is not scored: two weeks see each hour of the week twice.
MIN_HISTORY_HOURS: Final = 14 * 24
#: 1970-01-01 was a Thursday: day number + 3 is divisible by 7 on Mondays.
_MONDAY_OFFSET: Final = 3


class Detector(Protocol):
    """What the analytics needs of a detector (see :mod:`analytics.detectors`)."""

    def fit(self, times_s: FloatArray, *series: FloatArray) -> Self: ...

    def score_samples(self, times_s: FloatArray, *series: FloatArray) -> FloatArray: ...

    def decide(self, times_s: FloatArray, scores: FloatArray) -> list[Episode]: ...


def week_of(times_s: FloatArray) -> npt.NDArray[np.int64]:
    """The local week of each UTC hour start: days since the epoch's first Monday // 7."""
    weeks: npt.NDArray[np.int64] = (local_time(times_s).day + _MONDAY_OFFSET) // 7
    return weeks


def monday_s(week: int) -> float:
    """Local Monday 00:00 of ``week`` (:func:`week_of`), as UTC epoch seconds."""
    return local_datetime_s(date_of(week * 7 - _MONDAY_OFFSET), 0.0)


def weekly_windows(
    times_s: FloatArray,
    *,
    score_from_s: float,
    history_weeks: int = HISTORY_WEEKS,
    min_history_hours: int = MIN_HISTORY_HOURS,
    known: BoolArray | None = None,
) -> Iterator[tuple[BoolArray, BoolArray]]:
    """Per local week with hours at or after ``score_from_s``: the hours of its history (the
    ``history_weeks`` before its Monday) and its hours to score (those from ``score_from_s``
    on). Weeks with fewer than ``min_history_hours`` of history (``known`` hours, if given)
    are skipped."""
    scored = times_s >= score_from_s
    if not scored.any():
        return
    weeks = week_of(times_s)
    for week in np.unique(weeks[scored]).tolist():
        start_s = monday_s(week)
        history = (times_s >= monday_s(week - history_weeks)) & (times_s < start_s)
        counted = history if known is None else history & known
        if np.count_nonzero(counted) < min_history_hours:
            continue
        yield history, scored & (weeks == week)


def score_week_by_week(
    make: Callable[[], Detector],
    times_s: FloatArray,
    *series: FloatArray,
    score_from_s: float,
    history_weeks: int = HISTORY_WEEKS,
    min_history_hours: int = MIN_HISTORY_HOURS,
) -> tuple[FloatArray, BoolArray]:
    """Scores of the hours from ``score_from_s`` on, each week's by ``make().fit`` on its
    history alone; and which hours were scored (the others score 0)."""
    scores = np.zeros(times_s.shape)
    known = np.zeros(times_s.shape, dtype=np.bool_)
    for history, week in weekly_windows(
        times_s,
        score_from_s=score_from_s,
        history_weeks=history_weeks,
        min_history_hours=min_history_hours,
        known=np.isfinite(series[0]) if series else None,
    ):
        model = make().fit(times_s[history], *(s[history] for s in series))
        scores[week] = model.score_samples(times_s[week], *(s[week] for s in series))
        known |= week
    return scores, known


__all__ = [
    "HISTORY_WEEKS",
    "MIN_HISTORY_HOURS",
    "Detector",
    "monday_s",
    "score_week_by_week",
    "week_of",
    "weekly_windows",
]
