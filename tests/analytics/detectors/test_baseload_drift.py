"""Base-load drift, judged on hand-made series and on the simulator with an injected fault."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.detectors.baseload_drift import BaseloadDriftDetector
from analytics.hours import in_use
from analytics.scoring import score_week_by_week
from byggpuls.calendar import local_time
from simulation import GroundTruthFault, Portfolio

OSLO = ZoneInfo("Europe/Oslo")
HOUR_S = 3600.0
DAY_S = 86_400.0
#: Monday 5 January 2026, 00:00 in Oslo: school term and heating season.
START_S = dt.datetime(2026, 1, 5, tzinfo=OSLO).timestamp()
#: Six weeks of history, then the weeks a fault may fall in.
HISTORY_DAYS = 42
BASE_KW = 10.0
DAY_KW = 25.0


def local_s(day: int, hour: float = 0.0) -> float:
    """UTC epoch seconds of ``hour`` o'clock local time, ``day`` days after the start."""
    date = dt.date(2026, 1, 5) + dt.timedelta(days=day)
    return dt.datetime.combine(date, dt.time(), tzinfo=OSLO).timestamp() + hour * HOUR_S


def synthetic_office(
    *, days: int = 63, seed: int = 7, building_type: str = "office"
) -> tuple[np.ndarray, np.ndarray]:
    """Hourly power of a plain building: a base load, a day load in opening hours, and
    multiplicative noise (5 % hour to hour, 4 % day to day)."""
    times = START_S + np.arange(days * 24) * HOUR_S
    rng = np.random.default_rng(seed)
    day_factor = 1.0 + 0.04 * rng.standard_normal(days + 1)
    day_index = ((times - START_S) // DAY_S).astype(int)
    power = BASE_KW + DAY_KW * in_use(building_type, times)
    power = power * day_factor[day_index] * (1.0 + 0.05 * rng.standard_normal(times.size))
    return times, power


def fitted(times: np.ndarray, power: np.ndarray, **params: object) -> BaseloadDriftDetector:
    """A detector fitted on the history (the first six weeks)."""
    history = times < START_S + HISTORY_DAYS * DAY_S
    return BaseloadDriftDetector(building_type="office", **params).fit(
        times[history], power[history]
    )


def scored_episodes(times: np.ndarray, power: np.ndarray, building_type: str = "office") -> list:
    """Episodes as the service finds them: each week scored by a model of the weeks before."""

    def make() -> BaseloadDriftDetector:
        return BaseloadDriftDetector(building_type=building_type)

    scores, _ = score_week_by_week(make, times, power, score_from_s=START_S + 14 * DAY_S)
    return make().decide(times, scores)


def test_fit_learns_the_normal_night_base_load_and_returns_self() -> None:
    times, power = synthetic_office()
    detector = BaseloadDriftDetector(building_type="office")
    assert detector.fit(times, power) is detector
    assert detector.normal_kw_ == pytest.approx(BASE_KW, rel=0.05)
    assert detector.spread_ >= detector.min_spread
    # The core opening hours' profile carries the day load; the night hours have none.
    assert np.nanmax(detector.profile_kw_) == pytest.approx(BASE_KW + DAY_KW, rel=0.1)
    assert np.isnan(detector.profile_kw_[2])


def test_quiet_on_flat_noise() -> None:
    times, power = synthetic_office()
    assert scored_episodes(times, power) == []


def test_a_ramp_is_found_from_near_its_start() -> None:
    times, power = synthetic_office()
    start_s = local_s(44, 13.0)  # a Wednesday afternoon
    end_s = start_s + 12 * DAY_S
    ramp = np.clip((times - start_s) / (end_s - start_s), 0.0, 1.0) * (times < end_s)
    power = power + 0.8 * BASE_KW * ramp  # equipment left on, drawing in every hour
    episodes = scored_episodes(times, power)
    assert len(episodes) == 1
    (episode,) = episodes
    assert start_s <= episode.start_s <= start_s + 6 * DAY_S
    assert episode.end_s >= end_s - DAY_S
    assert episode.end_s <= end_s + 2 * DAY_S
    assert "above normal" in episode.detail
    assert episode.peak_score == pytest.approx(0.8, abs=0.15)


def test_a_step_is_found() -> None:
    times, power = synthetic_office()
    start_s = local_s(43, 10.0)  # a Tuesday morning
    power = power + 0.4 * BASE_KW * (times >= start_s)
    detector = fitted(times, power)
    later = times >= START_S + HISTORY_DAYS * DAY_S
    episodes = detector.episodes(times[later], power[later])
    assert len(episodes) == 1
    assert start_s < episodes[0].start_s <= start_s + 5 * DAY_S
    scores = detector.score_samples(times[later], power[later])
    assert float(np.median(scores[scores > 0])) == pytest.approx(0.4, abs=0.08)


def test_a_single_high_night_is_not_a_drift() -> None:
    times, power = synthetic_office()
    night = (times >= local_s(50, 0.0)) & (times < local_s(50, 6.0))
    power[night] *= 1.8  # an event ran all night
    assert scored_episodes(times, power) == []


def test_ventilation_left_on_at_night_is_not_a_drift() -> None:
    times, power = synthetic_office()
    # Closed hours only, four nights: the after-hours detector's finding, not this one's.
    left_on = (times >= local_s(45, 18.0)) & (times < local_s(49, 7.0))
    power = power + 1.2 * BASE_KW * (left_on & ~in_use("office", times))
    assert scored_episodes(times, power) == []


def test_quiet_over_a_holiday_week() -> None:
    times, power = synthetic_office(building_type="school")
    # The winter break (week 9): nobody in, and the base load lower too.
    week = (times >= local_s(49)) & (times < local_s(54))
    power[week] = 0.8 * BASE_KW * (1.0 + 0.05 * np.random.default_rng(3).standard_normal(120))
    assert not in_use("school", times[week]).any()
    assert scored_episodes(times, power, "school") == []


def test_quiet_over_gaps_in_the_data() -> None:
    times, power = synthetic_office()
    power[(times >= local_s(45, 20.0)) & (times < local_s(47, 3.0))] = np.nan  # gateway offline
    power[np.random.default_rng(5).choice(times.size, 40, replace=False)] = np.nan
    kept = (times < local_s(52, 1.0)) | (times >= local_s(53, 4.0))  # hours never stored
    assert scored_episodes(times[kept], power[kept]) == []


def test_a_drift_across_a_gap_is_still_found() -> None:
    times, power = synthetic_office()
    start_s = local_s(43, 10.0)
    power = power + 0.6 * BASE_KW * (times >= start_s)
    power[(times >= local_s(47, 0.0)) & (times < local_s(48, 12.0))] = np.nan
    episodes = scored_episodes(times, power)
    assert episodes
    assert all(e.start_s > start_s for e in episodes)


def test_an_hour_is_scored_by_the_readings_before_it_alone() -> None:
    times, power = synthetic_office()
    start_s = local_s(43, 10.0)
    power = power + 0.5 * BASE_KW * (times >= start_s)
    detector = fitted(times, power)
    later = times >= START_S + HISTORY_DAYS * DAY_S
    full = detector.score_samples(times[later], power[later])
    assert (full > 0).any()
    for cut_day in (45, 47, 50):
        for cut_hour in (2.0, 5.0, 13.0):
            part = later & (times < local_s(cut_day, cut_hour))
            scores = detector.score_samples(times[part], power[part])
            assert np.array_equal(scores, full[: int(part.sum())])


def test_decide_counts_nights_and_says_since_when() -> None:
    times = START_S + np.arange(10 * 24) * HOUR_S
    scores = np.zeros(times.shape)
    # Nights of days 2 and 3 judge the hours from 05:00 on those days to 05:00 the next.
    scores[(times >= local_s(2, 5.0)) & (times < local_s(4, 5.0))] = 0.3
    detector = BaseloadDriftDetector()
    (episode,) = detector.decide(times, scores)
    assert episode.start_s == local_s(2, 5.0)
    assert episode.end_s == local_s(4, 5.0)
    assert episode.hours == 48
    assert "on 2 nights since the night of 07 Jan 2026" in episode.detail
    one_night = np.where(times < local_s(3, 5.0), scores, 0.0)
    assert detector.decide(times, one_night) == []


def simulated_school(
    faults: object, *, days: int = 70
) -> tuple[np.ndarray, np.ndarray, list[GroundTruthFault]]:
    """Hourly mean electric power (kW) of a simulated school with all its variability."""
    config = {
        "seed": 101,
        "start": START_S,
        "interval_s": 900,
        "variability": True,
        "buildings": [
            {"id": "skole-01", "type": "school", "area_m2": 3000, "seed": 1101, "faults": faults}
        ],
    }
    portfolio = Portfolio.from_config(config)
    block = portfolio.buildings[0].advance_block(START_S + days * DAY_S)
    power = block.values[[p.point for p in block.points].index("el.power")]
    hours = np.floor(block.times_s / HOUR_S) * HOUR_S
    starts, inverse = np.unique(hours, return_inverse=True)
    means = np.bincount(inverse, weights=power) / np.bincount(inverse)
    return starts.astype(np.float64), means, portfolio.ground_truth()


def test_finds_an_injected_drift_in_a_simulated_school() -> None:
    fault = {
        "kind": "baseload_drift",
        "start": local_s(36, 11.25),
        "end": local_s(47, 11.25),
        "extra_kw": 7.5,  # 2.5 W/m² at the end
    }
    times, power, (truth,) = simulated_school([fault])
    assert truth.kind == "baseload_drift"
    episodes = scored_episodes(times, power, "school")
    assert episodes
    assert all(fault["start"] < e.start_s < fault["end"] for e in episodes)


def test_quiet_on_the_same_simulated_school_without_the_fault() -> None:
    times, power, truth = simulated_school("none")
    assert truth == []
    assert scored_episodes(times, power, "school") == []
    assert local_time(times[-1:]).day[0] - local_time(times[:1]).day[0] >= 69
