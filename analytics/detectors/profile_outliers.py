"""Unusual days: a local day whose electricity profile is unlike the days of its kind and that
uses more energy than they do.

Faults that leave each hour plausible can still make a day unlike the others: the ventilation
schedule moved two hours earlier, equipment switched on at odd hours, a plant that does not
stop in the evening. Each local day's 24 hourly means are summarised in a few features (its
energy relative to the usual day of its kind, the night-to-day ratio, the peak-to-base ratio,
the hours the load rises and falls, and how far its shape, normalised by the day's mean, is from
the usual shape) and judged by an :class:`~sklearn.ensemble.IsolationForest` fitted on the
history's days of the same kind only: an open weekday among open weekdays, an open weekend day
(sports halls, nursing homes) among open weekend days, a closed day (weekends, holidays) among
closed days. A quiet Sunday is not an outlier among Mondays.

The history is small (eight weeks: about 40 open and 16 closed days), so the features are few
and robust (medians and the lowest and highest hours rather than single readings), the forest is
seeded and uses every history day in each tree, and its verdict alone is never enough. A day is
*unusual* only when the forest ranks it beyond the ``contamination`` share of the history's own
days AND it uses more energy than the usual (median) day of its kind by more than
``energy_spreads`` robust standard deviations (1.4826 MAD) of the history's days, and by at
least ``min_excess_share``: a day that uses less energy wastes nothing and is not a finding.

An episode is a run of consecutive unusual days. It is a finding when it lasts at least
``persist_days`` days (a fault comes back the next day; a concert, a let or a long day does not)
or when, on one of its days, the extra power in the small hours (00:00-05:00, when nobody is in
a school, office or kindergarten) reaches ``night_excess`` of the usual mean power: equipment,
not people. Its detail says how much more energy than usual, and at which hours.

Sign convention: :meth:`ProfileOutlierDetector.score_samples` is 0 in the hours of a usual day;
in an unusual day's hours it is that hour's power above the usual profile of its kind, relative
to the usual day's mean power (at least :data:`UNUSUAL_DAY_FLOOR`, so every hour of an unusual
day is flagged and a day is one run). The decision reads only these scores, so what it reports
is the same however the scores were computed (week by week, each week by its own history).

A day is judged once it is whole (at most ``max_missing_hours`` unknown): scores of a day seen
in part are 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.ensemble import IsolationForest
from sklearn.utils.validation import check_is_fitted

from analytics.episodes import Episode, episode_of, runs
from analytics.hours import in_use
from analytics.robust import robust_sd
from byggpuls.calendar import date_of, day_info, local_datetime_s, local_time
from byggpuls.roles import Role

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
HOURS_PER_DAY: Final = 24
#: The kinds of day, compared only among themselves.
CLOSED, OPEN_WEEKDAY, OPEN_WEEKEND = 0, 1, 2
KIND_NAMES: Final = ("closed day", "open weekday", "open weekend day")
#: Night and mid-day hours (local) of the night-to-day ratio; the night hours are also those
#: in which extra use on a single day is a finding.
NIGHT_HOURS: Final = slice(0, 5)
DAY_HOURS: Final = slice(10, 15)
#: Hours averaged for a day's base (the lowest) and peak (the highest) load: several, so that
#: one noisy hour does not move them.
BASE_HOURS: Final = 6
PEAK_HOURS: Final = 3
#: The least score of an hour of an unusual day: every hour of it is flagged.
UNUSUAL_DAY_FLOOR: Final = 1e-3
#: Hours missing in a run of unusual days that still leave it one episode (a day is never
#: scored with more missing hours than this, and a usual day between two unusual ones is 24).
JOIN_S: Final = 6 * 3600.0
#: An hour of the day is named in an episode's detail when its extra power is at least this
#: share of the hour with the most.
DETAIL_SHARE: Final = 0.3
_EPS: Final = 1e-9


@dataclass(frozen=True, slots=True)
class DayVerdict:
    """How one local day compares with the history's days of its kind."""

    #: The local day (days since 1970-01-01) and its kind (:data:`KIND_NAMES`).
    day: int
    kind: int
    #: Its energy over the usual day's, and the ratio an unusual day must exceed.
    energy_ratio: float
    needed_ratio: float
    #: The forest's anomaly score (higher: more isolated) and the threshold it must exceed.
    anomaly: float
    anomaly_offset: float

    @property
    def forest_unusual(self) -> bool:
        """Whether the forest isolates it more readily than most of the history's days."""
        return self.anomaly > self.anomaly_offset

    @property
    def unusual(self) -> bool:
        """Whether it is unusual for the forest and uses more energy than such a day does."""
        return self.forest_unusual and self.energy_ratio > self.needed_ratio


class ProfileOutlierDetector(BaseEstimator):  # type: ignore[misc]  # scikit-learn is untyped
    """Finds days whose hourly electricity profile is unusual for their kind and that use more
    energy than such a day normally does; see the module docstring.

    Parameters: ``building_type`` (sets the opening hours, hence the kind of each day),
    ``n_estimators`` and ``random_state`` (the forest's trees and seed: fixed, so the detector
    is deterministic), ``contamination`` (the share of the history's own days the forest's
    threshold lets through as unusual), ``energy_spreads`` and ``min_excess_share`` (how much
    more energy than the usual day of its kind an unusual day must use: in robust standard
    deviations of the history's days, and at least as a share), ``min_history_days`` (the
    fewest history days of a kind for days of that kind to be judged), ``max_missing_hours``
    (the most hours a day may miss, filled from its neighbours, and still be judged),
    ``persist_days`` and ``night_excess`` (which episodes are findings: see the module
    docstring).
    Input: hourly mean power in kW at hour-start UTC epoch seconds; NaN where unknown.
    """

    #: The finding kind it reports, and the point roles it reads (in ``fit``'s order).
    kind: ClassVar[str] = "unusual_day"
    roles: ClassVar[tuple[Role, ...]] = (Role.ELECTRICITY,)

    def __init__(
        self,
        *,
        building_type: str = "other",
        n_estimators: int = 100,
        contamination: float = 0.1,
        energy_spreads: float = 3.0,
        min_excess_share: float = 0.1,
        min_history_days: int = 6,
        max_missing_hours: int = 3,
        persist_days: int = 2,
        night_excess: float = 0.3,
        random_state: int = 0,
    ) -> None:
        self.building_type = building_type
        self.n_estimators = n_estimators
        self.contamination = contamination
        self.energy_spreads = energy_spreads
        self.min_excess_share = min_excess_share
        self.min_history_days = min_history_days
        self.max_missing_hours = max_missing_hours
        self.persist_days = persist_days
        self.night_excess = night_excess
        self.random_state = random_state

    def fit(self, times_s: FloatArray, power_kw: FloatArray) -> Self:
        """Learn, per kind of day, the usual hourly profile, energy and shape, the robust spread
        of the days' energy, and a forest of the days' features with its threshold."""
        days, profiles, complete = day_profiles(
            times_s, power_kw, max_missing_hours=self.max_missing_hours
        )
        kinds = self._kinds(days)
        count = len(KIND_NAMES)
        self.usual_kw_ = np.full((count, HOURS_PER_DAY), np.nan)
        self.usual_shape_ = np.full((count, HOURS_PER_DAY), np.nan)
        self.usual_energy_kwh_ = np.full(count, np.nan)
        self.energy_spread_ = np.full(count, np.nan)
        self.anomaly_offset_ = np.full(count, np.nan)
        forests: list[IsolationForest | None] = [None] * count
        for kind in range(count):
            chosen = profiles[complete & (kinds == kind)]
            if chosen.shape[0] < max(self.min_history_days, 2):
                continue
            energy_kwh = chosen.sum(axis=1)
            self.usual_kw_[kind] = np.median(chosen, axis=0)
            self.usual_energy_kwh_[kind] = float(np.median(energy_kwh))
            shapes = chosen / np.maximum(energy_kwh / HOURS_PER_DAY, _EPS)[:, None]
            self.usual_shape_[kind] = np.median(shapes, axis=0)
            features = self._features(chosen, kind)
            ratios = features[:, 0]
            self.energy_spread_[kind] = robust_sd(ratios)
            forest = IsolationForest(
                n_estimators=self.n_estimators,
                max_samples=min(256, chosen.shape[0]),
                random_state=self.random_state,
            ).fit(features)
            anomaly = -forest.score_samples(features)
            self.anomaly_offset_[kind] = float(np.quantile(anomaly, 1.0 - self.contamination))
            forests[kind] = forest
        self.forests_ = tuple(forests)
        return self

    def score_samples(self, times_s: FloatArray, power_kw: FloatArray) -> FloatArray:
        """Per hour: 0 on a usual day; on an unusual day, the hour's power above the usual
        profile relative to the usual day's mean power (at least :data:`UNUSUAL_DAY_FLOOR`)."""
        check_is_fitted(self, "forests_")
        scores = np.zeros(times_s.shape)
        unusual = [verdict for verdict in self.judge_days(times_s, power_kw) if verdict.unusual]
        if not unusual:
            return scores
        local = local_time(times_s)
        hours = np.clip(np.floor(local.hour).astype(np.int64), 0, HOURS_PER_DAY - 1)
        for verdict in unusual:
            today = local.day == verdict.day
            usual_kw = self.usual_kw_[verdict.kind]
            excess = (power_kw[today] - usual_kw[hours[today]]) / max(usual_kw.mean(), _EPS)
            scores[today] = np.maximum(np.nan_to_num(excess, nan=0.0), UNUSUAL_DAY_FLOOR)
        return scores

    def judge_days(self, times_s: FloatArray, power_kw: FloatArray) -> list[DayVerdict]:
        """How each local day complete enough to judge, of a kind the history had enough days
        of, compares with the history's days of its kind."""
        check_is_fitted(self, "forests_")
        days, profiles, complete = day_profiles(
            times_s, power_kw, max_missing_hours=self.max_missing_hours
        )
        kinds = self._kinds(days)
        verdicts: list[DayVerdict] = []
        for kind, forest in enumerate(self.forests_):
            chosen = complete & (kinds == kind)
            if forest is None or not chosen.any():
                continue
            features = self._features(profiles[chosen], kind)
            anomaly = -forest.score_samples(features)
            needed = max(
                self.energy_spreads * float(self.energy_spread_[kind]),
                float(np.log1p(self.min_excess_share)),
            )
            verdicts.extend(
                DayVerdict(
                    day=int(day),
                    kind=kind,
                    energy_ratio=float(np.exp(log_ratio)),
                    needed_ratio=float(np.exp(needed)),
                    anomaly=float(score),
                    anomaly_offset=float(self.anomaly_offset_[kind]),
                )
                for day, log_ratio, score in zip(
                    days[chosen].tolist(), features[:, 0].tolist(), anomaly.tolist(), strict=True
                )
            )
        return sorted(verdicts, key=lambda verdict: verdict.day)

    def episodes(self, times_s: FloatArray, power_kw: FloatArray) -> list[Episode]:
        """The runs of consecutive unusual days worth a finding (:meth:`decide`)."""
        return self.decide(times_s, self.score_samples(times_s, power_kw))

    def decide(self, times_s: FloatArray, scores: FloatArray) -> list[Episode]:
        """The episodes of hourly ``scores`` (0: a usual day) worth a finding, with what was
        unusual about them: runs of at least ``persist_days`` consecutive unusual days, or of
        fewer whose extra power in the small hours (00:00-05:00) reaches ``night_excess`` of
        the usual mean power on one of its days.

        One day of extra use in the day or evening is most often a booking, an event or a long
        day, which the history cannot foresee; a fault (a changed schedule, equipment left on)
        comes back the next day, and extra use in the small hours is equipment, not people."""
        found = []
        for span in runs(times_s, scores > 0, join_s=JOIN_S):
            first, stop = span
            local = local_time(times_s[first:stop])
            days = np.unique(local.day)
            night = (local.hour >= NIGHT_HOURS.start) & (local.hour < NIGHT_HOURS.stop)
            night_shares = [
                float(scores[first:stop][night & (local.day == day)].mean())
                for day in days.tolist()
                if (night & (local.day == day)).any()
            ]
            if days.size < self.persist_days and max(night_shares, default=0.0) < self.night_excess:
                continue
            detail = self._detail(times_s[first:stop], scores[first:stop])
            found.append(episode_of(times_s, scores, span, detail=detail))
        return found

    def _kinds(self, days: IntArray) -> IntArray:
        """The kind of each local day: closed, open weekday or open weekend day."""
        noon_s = np.array([local_datetime_s(date_of(int(day)), 12.0) for day in days.tolist()])
        weekend = day_info(days).weekday >= 5
        kinds: IntArray = np.where(
            in_use(self.building_type, noon_s),
            np.where(weekend, OPEN_WEEKEND, OPEN_WEEKDAY),
            CLOSED,
        ).astype(np.int64)
        return kinds

    def _features(self, profiles_kw: FloatArray, kind: int) -> FloatArray:
        """Each day's features, as columns: log of its energy relative to the usual day's, the
        night-to-day and peak-to-base ratios, the hours the load rises and falls through half
        its range, and the mean distance of its shape from the usual shape."""
        energy_kwh = profiles_kw.sum(axis=1)
        mean_kw = np.maximum(energy_kwh / HOURS_PER_DAY, _EPS)
        ratio = np.log(np.maximum(energy_kwh, _EPS) / max(self.usual_energy_kwh_[kind], _EPS))
        night_to_day = profiles_kw[:, NIGHT_HOURS].mean(axis=1) / np.maximum(
            profiles_kw[:, DAY_HOURS].mean(axis=1), _EPS
        )
        ordered = np.sort(profiles_kw, axis=1)
        base_kw = ordered[:, :BASE_HOURS].mean(axis=1)
        peak_kw = ordered[:, -PEAK_HOURS:].mean(axis=1)
        peak_to_base = peak_kw / np.maximum(base_kw, _EPS)
        above = profiles_kw >= (base_kw + 0.5 * (peak_kw - base_kw))[:, None]
        rise_h = np.argmax(above, axis=1).astype(np.float64)
        fall_h = HOURS_PER_DAY - np.argmax(above[:, ::-1], axis=1).astype(np.float64)
        distance = np.abs(profiles_kw / mean_kw[:, None] - self.usual_shape_[kind]).mean(axis=1)
        return np.column_stack([ratio, night_to_day, peak_to_base, rise_h, fall_h, distance])

    def _detail(self, times_s: FloatArray, scores: FloatArray) -> str:
        """What was unusual about a run of days, from its scores: the hours of the day that
        used the extra energy, and how much it was, as a share of usual days' energy (counted
        in those hours only, so that the noise of the other hours does not add to it)."""
        local = local_time(times_s)
        days = np.unique(local.day)
        extra = np.maximum(scores - UNUSUAL_DAY_FLOOR, 0.0)
        hours = np.clip(np.floor(local.hour).astype(np.int64), 0, HOURS_PER_DAY - 1)
        by_hour = np.bincount(hours, weights=extra, minlength=HOURS_PER_DAY)
        named = by_hour >= DETAIL_SHARE * by_hour.max() if by_hour.max() > 0 else by_hour > 0
        share = float(by_hour[named].sum()) / (days.size * HOURS_PER_DAY)
        when = "over the whole day" if named.all() else "at " + hour_ranges(named)
        kinds = {KIND_NAMES[int(k)] for k in self._kinds(days)}
        usual = f"a usual {kinds.pop()}" if len(kinds) == 1 else "usual days of their kinds"
        first, last = date_of(int(days[0])), date_of(int(days[-1]))
        if days.size == 1:
            span = first.strftime("%a %d %b %Y")
        else:
            span = f"{days.size} days, {first:%a %d %b} to {last:%a %d %b %Y}"
        return f"{span}: {100 * share:.0f} % more energy than {usual}, the extra {when}"


def day_profiles(
    times_s: FloatArray, power_kw: FloatArray, *, max_missing_hours: int
) -> tuple[IntArray, FloatArray, BoolArray]:
    """The local days of hourly power, their 24 hourly means (kW) and whether each is complete
    enough to judge (at most ``max_missing_hours`` unknown, which are filled from the hours
    beside them). A clock change's doubled hour is averaged, its skipped hour is filled."""
    local = local_time(times_s)
    days, index = np.unique(local.day, return_inverse=True)
    hours = np.clip(np.floor(local.hour).astype(np.int64), 0, HOURS_PER_DAY - 1)
    known = np.isfinite(power_kw)
    sums = np.zeros((days.size, HOURS_PER_DAY))
    counts = np.zeros((days.size, HOURS_PER_DAY))
    np.add.at(sums, (index[known], hours[known]), power_kw[known])
    np.add.at(counts, (index[known], hours[known]), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        profiles: FloatArray = np.where(counts > 0, sums / counts, np.nan)
    missing = (counts == 0).sum(axis=1)
    complete: BoolArray = missing <= max_missing_hours
    slots = np.arange(HOURS_PER_DAY, dtype=np.float64)
    for row in np.flatnonzero(complete & (missing > 0)).tolist():
        have = counts[row] > 0
        profiles[row] = np.interp(slots, slots[have], profiles[row, have])
    return days, profiles, complete


def hour_ranges(flags: BoolArray) -> str:
    """Flagged hours of the day as ranges of clock times: "04:00-06:00 and 18:00-21:00"."""
    spans: list[tuple[int, int]] = []
    for hour in np.flatnonzero(flags).tolist():
        if spans and spans[-1][1] == hour:
            spans[-1] = (spans[-1][0], hour + 1)
        else:
            spans.append((hour, hour + 1))
    texts = [f"{start:02d}:00-{stop:02d}:00" for start, stop in spans]
    if len(texts) <= 1:
        return "".join(texts)
    return ", ".join(texts[:-1]) + " and " + texts[-1]


__all__ = ["DayVerdict", "ProfileOutlierDetector", "day_profiles", "hour_ranges"]
