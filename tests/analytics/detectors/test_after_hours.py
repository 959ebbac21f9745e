"""After-hours operation, judged against synthetic data and the simulator's ground truth."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.detectors.after_hours import AfterHoursDetector
from simulation import GroundTruthFault, Portfolio

OSLO = ZoneInfo("Europe/Oslo")
DAY_S = 86_400.0
#: A Monday in January: school term and heating season.
START_S = dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp()


def hourly_power(
    building_type: str, faults: object, *, days: int = 21
) -> tuple[np.ndarray, np.ndarray, list[GroundTruthFault]]:
    """Hourly mean electric power (kW) of a simulated building, and its ground truth."""
    config = {
        "seed": 1,
        "start": START_S,
        "interval_s": 900,
        "buildings": [{"id": "b-01", "type": building_type, "seed": 3, "faults": faults}],
    }
    portfolio = Portfolio.from_config(config)
    block = portfolio.buildings[0].advance_block(START_S + days * DAY_S)
    power = block.values[[p.point for p in block.points].index("el.power")]
    hours = np.floor(block.times_s / 3600) * 3600
    starts = np.unique(hours)
    means = np.array([power[hours == h].mean() for h in starts])
    return starts, means, portfolio.ground_truth()


def test_fit_returns_self_and_learns_a_profile_per_hour_and_kind_of_day() -> None:
    times = START_S + np.arange(14 * 24) * 3600.0
    power = np.full(times.shape, 10.0)
    detector = AfterHoursDetector(building_type="office")
    assert detector.fit(times, power) is detector
    assert detector.profile_kw_.shape == (48,)
    assert np.allclose(detector.profile_kw_, 10.0)


def test_a_weekend_left_running_is_one_episode_with_its_excess() -> None:
    times = START_S + np.arange(21 * 24) * 3600.0
    power = np.full(times.shape, 10.0)
    saturday = dt.datetime(2026, 1, 17, 0, tzinfo=OSLO).timestamp()
    left_on = (times >= saturday) & (times < saturday + 2 * DAY_S)
    power[left_on] += 6.0
    detector = AfterHoursDetector(building_type="office").fit(times, power)
    (episode,) = detector.episodes(times, power)
    assert episode.start_s == saturday
    assert episode.hours == 48
    assert episode.excess_kwh == pytest.approx(48 * 6.0)
    assert episode.score == pytest.approx(0.6)
    assert detector.score_samples(times, power)[left_on].min() == pytest.approx(0.6)


def test_small_excess_is_not_a_finding() -> None:
    times = START_S + np.arange(21 * 24) * 3600.0
    power = np.full(times.shape, 10.0)
    one_night = dt.datetime(2026, 1, 14, 1, tzinfo=OSLO).timestamp()
    power[times == one_night] += 3.0  # one hour, 3 kWh: below min_excess_kwh
    detector = AfterHoursDetector(building_type="office").fit(times, power)
    assert detector.episodes(times, power) == []


def test_finds_ventilation_left_running_over_a_weekend_with_the_true_waste() -> None:
    fault = {
        "kind": "after_hours_ventilation",
        "start": START_S + 11 * DAY_S + 15 * 3600,  # Friday 16:00 local
        "end": START_S + 14 * DAY_S + 5 * 3600,  # Monday 06:00 local
    }
    times, power, (truth,) = hourly_power("school", [fault])
    episodes = AfterHoursDetector(building_type="school").fit(times, power).episodes(times, power)
    assert len(episodes) == 1
    (episode,) = episodes
    assert fault["start"] - 3600 <= episode.start_s <= fault["start"] + 3 * 3600
    assert episode.excess_kwh == pytest.approx(truth.extra_electricity_kwh, rel=0.15)


def test_equipment_left_on_is_found_in_the_hours_the_building_is_closed() -> None:
    fault = {
        "kind": "baseload_drift",
        "start": START_S + 10 * DAY_S,
        "end": START_S + 15 * DAY_S,
        "extra_kw": 8.0,
    }
    times, power, (truth,) = hourly_power("office", [fault])
    episodes = AfterHoursDetector(building_type="office").fit(times, power).episodes(times, power)
    assert episodes
    assert all(fault["start"] <= e.start_s < fault["end"] for e in episodes)
    found = sum(e.excess_kwh for e in episodes)
    # Only the closed hours' share of the extra load is after-hours waste.
    assert 0.3 * truth.extra_electricity_kwh < found <= truth.extra_electricity_kwh


@pytest.mark.parametrize("building_type", ["school", "office", "kindergarten", "sports_hall"])
def test_no_findings_in_buildings_without_faults(building_type: str) -> None:
    times, power, truth = hourly_power(building_type, "none")
    assert truth == []
    detector = AfterHoursDetector(building_type=building_type).fit(times, power)
    assert detector.episodes(times, power) == []
