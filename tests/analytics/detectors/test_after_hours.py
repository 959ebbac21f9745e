"""After-hours operation, judged against synthetic data and the simulator's ground truth."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.detectors.after_hours import AfterHoursDetector, score_day_by_day
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


def test_each_day_is_scored_the_same_whatever_comes_after_it_or_where_scoring_starts() -> None:
    times, power, _ = hourly_power(
        "school",
        [
            {
                "kind": "after_hours_ventilation",
                "start": START_S + 11 * DAY_S + 15 * 3600,
                "end": START_S + 14 * DAY_S + 5 * 3600,
            }
        ],
    )

    def make() -> AfterHoursDetector:
        return AfterHoursDetector(building_type="school")

    full_expected, full_scores, full_known = score_day_by_day(
        make, times, power, score_from_s=START_S + 8 * DAY_S
    )
    assert full_known.any()
    assert (full_scores > 0).any(), "the fault must score for the comparison to mean anything"
    cut = START_S + 13 * DAY_S + 7 * 3600  # inside the fault, mid-morning
    early = times < cut
    expected, scores, known = score_day_by_day(
        make, times[early], power[early], score_from_s=START_S + 12 * DAY_S
    )
    overlap = known & full_known[early]
    assert overlap.any()
    assert np.array_equal(scores[overlap], full_scores[early][overlap])
    assert np.array_equal(expected[overlap], full_expected[early][overlap])
    # Nothing before the start of scoring is scored, and days without history are not.
    assert not known[times[early] < START_S + 12 * DAY_S].any()
    assert not full_known[times < START_S + 7 * DAY_S].any()


def test_an_episode_seen_in_part_is_a_finding_only_if_the_whole_one_is() -> None:
    times = START_S + np.arange(21 * 24) * 3600.0
    power = np.full(times.shape, 10.0)
    saturday = dt.datetime(2026, 1, 17, 0, tzinfo=OSLO).timestamp()
    left_on = (times >= saturday) & (times < saturday + 2 * DAY_S)
    power[left_on] += np.linspace(6.0, 2.0, int(left_on.sum()))
    detector = AfterHoursDetector(building_type="office").fit(times, power)
    scores = detector.score_samples(times, power)
    expected = detector.expected_kw(times)
    whole = detector.decide(times, power, expected, scores)
    for hours in range(1, int(left_on.sum()) + 1):
        upto = times < saturday + hours * 3600
        part = detector.decide(times[upto], power[upto], expected[upto], scores[upto])
        if part:
            assert [e.start_s for e in part] == [e.start_s for e in whole]
