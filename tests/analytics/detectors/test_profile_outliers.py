"""Unusual days, judged on hand-made series and on a simulated building without faults."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.detectors.profile_outliers import (
    CLOSED,
    OPEN_WEEKDAY,
    ProfileOutlierDetector,
    day_profiles,
    hour_ranges,
)
from analytics.scoring import score_week_by_week
from byggpuls.calendar import day_info, day_number, local_time
from simulation import Portfolio

OSLO = ZoneInfo("Europe/Oslo")
DAY_S = 86_400.0
#: A Monday in January, local midnight: eight weeks of history, then the week scored.
MONDAY_S = dt.datetime(2026, 1, 5, tzinfo=OSLO).timestamp()
SCORED_S = MONDAY_S + 8 * 7 * DAY_S
NIGHT_KW = 10.0
DAY_KW = 30.0


def office_power(*, weeks: int = 9, noise: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    """Hourly power of a plain office: 30 kW from 06:00 to 18:00 on working days, 10 kW else,
    with a little seeded noise."""
    times = MONDAY_S + np.arange(weeks * 7 * 24) * 3600.0
    local = local_time(times)
    working = day_info(local.day).workday
    power = np.where(working & (local.hour >= 6) & (local.hour < 18), DAY_KW, NIGHT_KW)
    rng = np.random.default_rng(7)
    return times, power * (1.0 + noise * rng.standard_normal(times.size))


def local_s(year: int, month: int, day: int, hour: int = 0) -> float:
    return dt.datetime(year, month, day, hour, tzinfo=OSLO).timestamp()


def fitted(times: np.ndarray, power: np.ndarray) -> ProfileOutlierDetector:
    history = times < SCORED_S
    return ProfileOutlierDetector(building_type="office").fit(times[history], power[history])


def test_fit_learns_each_kind_of_day() -> None:
    times, power = office_power(weeks=8)
    detector = ProfileOutlierDetector(building_type="office")
    assert detector.fit(times, power) is detector
    assert detector.usual_kw_[OPEN_WEEKDAY, 3] == pytest.approx(NIGHT_KW, rel=0.05)
    assert detector.usual_kw_[OPEN_WEEKDAY, 12] == pytest.approx(DAY_KW, rel=0.05)
    assert detector.usual_kw_[CLOSED, 12] == pytest.approx(NIGHT_KW, rel=0.05)
    assert detector.usual_energy_kwh_[CLOSED] == pytest.approx(24 * NIGHT_KW, rel=0.02)
    # An office has no open weekend days to learn from.
    assert detector.forests_[2] is None


def test_a_day_starting_four_hours_early_is_one_episode_that_says_when() -> None:
    times, power = office_power()
    tuesday = local_s(2026, 3, 3)
    early = (times >= tuesday + 2 * 3600) & (times < tuesday + 6 * 3600)
    power[early] = DAY_KW
    detector = fitted(times, power)
    scored = times >= SCORED_S
    (episode,) = detector.episodes(times[scored], power[scored])
    assert (episode.start_s, episode.end_s) == (tuesday, tuesday + DAY_S)
    assert episode.hours == 24
    # The early hours use 20 kW more than usual, as much as the usual day's mean power.
    assert episode.peak_score == pytest.approx(1.0, rel=0.15)
    # 4 hours of 20 kW more on a usual day of 12 x 10 + 12 x 30 = 480 kWh: 17 % more.
    assert "Tue 03 Mar 2026" in episode.detail
    assert "17 % more energy than a usual open weekday" in episode.detail
    assert episode.detail.endswith("the extra at 02:00-06:00")


def test_one_busy_saturday_is_unusual_but_only_two_in_a_row_are_a_finding() -> None:
    times, power = office_power()
    saturday = local_s(2026, 3, 7)
    event = (times >= saturday + 10 * 3600) & (times < saturday + 16 * 3600)
    power[event] = DAY_KW  # a concert: lights and ventilation for six hours
    detector = fitted(times, power)
    scored = times >= SCORED_S
    verdicts = detector.judge_days(times[scored], power[scored])
    assert [v.day for v in verdicts if v.unusual] == [day_number(dt.date(2026, 3, 7))]
    assert detector.episodes(times[scored], power[scored]) == []
    sunday_event = (times >= saturday + DAY_S + 10 * 3600) & (times < saturday + DAY_S + 16 * 3600)
    power[sunday_event] = DAY_KW  # and again on Sunday: something is switched on, not booked
    (episode,) = detector.episodes(times[scored], power[scored])
    assert (episode.start_s, episode.end_s) == (saturday, saturday + 2 * DAY_S)
    assert "50 % more energy than a usual closed day, the extra at 10:00-16:00" in episode.detail


def test_an_episode_seen_in_part_is_a_finding_only_if_the_whole_one_is() -> None:
    times, power = office_power()
    saturday = local_s(2026, 3, 7)
    for day in range(2):
        start = saturday + day * DAY_S + 10 * 3600
        power[(times >= start) & (times < start + 6 * 3600)] = DAY_KW
    detector = fitted(times, power)
    scores = detector.score_samples(times, power)
    (whole,) = detector.decide(times, scores)
    for hours in range(1, 2 * 24 + 1):
        upto = times < saturday + hours * 3600
        part = detector.decide(times[upto], scores[upto])
        assert part == [] or [e.start_s for e in part] == [whole.start_s]


def test_a_quiet_sunday_is_judged_among_closed_days_and_not_flagged() -> None:
    times, power = office_power()
    detector = fitted(times, power)
    scored = times >= SCORED_S
    verdicts = detector.judge_days(times[scored], power[scored])
    assert len(verdicts) == 7
    sunday = next(v for v in verdicts if v.day == day_number(dt.date(2026, 3, 8)))
    assert sunday.kind == CLOSED
    assert sunday.energy_ratio == pytest.approx(1.0, abs=0.02)
    assert not sunday.forest_unusual
    assert detector.episodes(times[scored], power[scored]) == []
    # Judged among open weekdays instead, the same Sunday would stand out.
    weekday = detector.usual_energy_kwh_[OPEN_WEEKDAY]
    assert sunday.energy_ratio * detector.usual_energy_kwh_[CLOSED] < 0.6 * weekday


def test_a_day_using_less_energy_is_unusual_but_not_a_finding() -> None:
    times, power = office_power()
    wednesday = local_s(2026, 3, 4)
    shut = (times >= wednesday + 11 * 3600) & (times < wednesday + 18 * 3600)
    power[shut] = NIGHT_KW
    detector = fitted(times, power)
    scored = times >= SCORED_S
    wednesday_day = day_number(dt.date(2026, 3, 4))
    verdicts = detector.judge_days(times[scored], power[scored])
    (verdict,) = [v for v in verdicts if v.day == wednesday_day]
    assert verdict.forest_unusual
    assert verdict.energy_ratio < 0.8
    assert not verdict.unusual
    assert not detector.score_samples(times[scored], power[scored]).any()


def test_a_small_excess_within_the_spread_of_days_is_not_a_finding() -> None:
    times, power = office_power()
    thursday = local_s(2026, 3, 5)
    power[(times >= thursday + 5 * 3600) & (times < thursday + 6 * 3600)] = DAY_KW
    detector = fitted(times, power)
    scored = times >= SCORED_S
    assert detector.episodes(times[scored], power[scored]) == []


def test_consecutive_unusual_days_are_one_episode() -> None:
    times, power = office_power()
    friday = local_s(2026, 3, 6)
    weekend = (times >= friday + 18 * 3600) & (times < friday + 3 * DAY_S)
    power[weekend] = DAY_KW  # left running from Friday evening over the weekend
    detector = fitted(times, power)
    scored = times >= SCORED_S
    (episode,) = detector.episodes(times[scored], power[scored])
    assert (episode.start_s, episode.end_s) == (friday, friday + 3 * DAY_S)
    assert episode.detail.startswith("3 days, Fri 06 Mar to Sun 08 Mar 2026")
    assert "usual days of their kinds" in episode.detail


def test_deterministic() -> None:
    times, power = office_power()
    power[(times >= local_s(2026, 3, 3, 2)) & (times < local_s(2026, 3, 3, 6))] = DAY_KW
    first = fitted(times, power).score_samples(times, power)
    second = fitted(times, power).score_samples(times, power)
    assert first.any()
    assert np.array_equal(first, second)


def test_days_missing_too_many_hours_are_not_judged() -> None:
    times, power = office_power(weeks=1)
    keep = ~((times >= local_s(2026, 1, 7, 8)) & (times < local_s(2026, 1, 7, 12)))
    power[local_s(2026, 1, 8, 9) == times] = np.nan
    days, profiles, complete = day_profiles(times[keep], power[keep], max_missing_hours=3)
    assert days.size == 7
    assert complete.tolist() == [True, True, False, True, True, True, True]
    assert np.isfinite(profiles[complete]).all()


def test_hour_ranges_names_runs_of_hours() -> None:
    flags = np.zeros(24, dtype=bool)
    assert hour_ranges(flags) == ""
    flags[[2, 3, 18, 19, 20]] = True
    assert hour_ranges(flags) == "02:00-04:00 and 18:00-21:00"


@pytest.mark.slow
@pytest.mark.parametrize("building_type", ["school", "office", "nursing_home"])
def test_quiet_on_simulated_buildings_with_variability_and_no_faults(building_type: str) -> None:
    start_s = dt.datetime(2025, 10, 6, tzinfo=dt.UTC).timestamp()
    config = {
        "seed": 104,
        "start": start_s,
        "interval_s": 900,
        "variability": True,
        "buildings": [{"id": "b-01", "type": building_type, "faults": "none"}],
    }
    portfolio = Portfolio.from_config(config)
    block = portfolio.buildings[0].advance_block(start_s + 70 * DAY_S)
    power = block.values[[p.point for p in block.points].index("el.power")]
    hours = np.floor(block.times_s / 3600) * 3600
    times = np.unique(hours)
    means = np.array([power[hours == h].mean() for h in times])

    def make() -> ProfileOutlierDetector:
        return ProfileOutlierDetector(building_type=building_type)

    scores, known = score_week_by_week(make, times, means, score_from_s=start_s)
    assert known.sum() > 6 * 7 * 24
    assert make().decide(times, scores) == []
