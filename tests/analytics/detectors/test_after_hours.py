"""After-hours operation, on hand-made series and against the simulator's ground truth."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.detectors.after_hours import (
    AfterHoursDetector,
    AfterHoursHeatingDetector,
    closed_runs,
)
from analytics.scoring import score_week_by_week
from simulation import GroundTruthFault, Portfolio

OSLO = ZoneInfo("Europe/Oslo")
DAY_S = 86_400.0
#: A Monday in January: school term and heating season.
START_S = dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp()


def office_week_profile(times: np.ndarray, *, night_kw: float, day_kw: float) -> np.ndarray:
    """Power of an office: ``day_kw`` 07-18 on weekdays, ``night_kw`` otherwise."""
    local = [dt.datetime.fromtimestamp(t, OSLO) for t in times]
    return np.array([day_kw if d.weekday() < 5 and 7 <= d.hour < 18 else night_kw for d in local])


def test_fit_learns_a_baseline_and_the_spread_of_its_closed_hours() -> None:
    times = START_S + np.arange(21 * 24) * 3600.0
    rng = np.random.default_rng(1)
    power = office_week_profile(times, night_kw=10.0, day_kw=30.0) + rng.normal(0, 0.5, times.size)
    detector = AfterHoursDetector(building_type="office")
    assert detector.fit(times, power, np.full(times.shape, 5.0)) is detector
    assert detector.residual_sd_kw_ == pytest.approx(0.5, rel=0.25)
    expected = detector.expected_kw(times, np.full(times.shape, 5.0))
    assert np.allclose(expected, office_week_profile(times, night_kw=10.0, day_kw=30.0), atol=1.5)


def test_a_weekend_left_running_is_one_episode() -> None:
    times = START_S + np.arange(28 * 24) * 3600.0
    outdoor = np.full(times.shape, 5.0)
    rng = np.random.default_rng(2)
    power = office_week_profile(times, night_kw=10.0, day_kw=30.0) + rng.normal(0, 0.3, times.size)
    saturday = dt.datetime(2026, 1, 31, 0, tzinfo=OSLO).timestamp()
    left_on = (times >= saturday) & (times < saturday + 2 * DAY_S)
    power[left_on] += 8.0
    history = times < dt.datetime(2026, 1, 26, 0, tzinfo=OSLO).timestamp()
    detector = AfterHoursDetector(building_type="office")
    detector.fit(times[history], power[history], outdoor[history])
    (episode,) = detector.episodes(times, power, outdoor)
    # A noisy hour just before may join it; the episode is the weekend.
    assert saturday - 3 * 3600 <= episode.start_s <= saturday
    assert episode.end_s == saturday + 2 * DAY_S
    assert 48 <= episode.hours <= 51
    assert episode.peak_score == pytest.approx(0.8, abs=0.15)


def test_an_evening_booking_is_not_after_hours_waste() -> None:
    """Two hours of use at 19-21, ending by midnight: legitimate use, not a fault."""
    times = START_S + np.arange(28 * 24) * 3600.0
    outdoor = np.full(times.shape, 5.0)
    power = office_week_profile(times, night_kw=10.0, day_kw=30.0)
    evening = dt.datetime(2026, 1, 28, 19, tzinfo=OSLO).timestamp()
    power[(times >= evening) & (times < evening + 2 * 3600)] += 15.0
    history = times < dt.datetime(2026, 1, 26, 0, tzinfo=OSLO).timestamp()
    detector = AfterHoursDetector(building_type="office")
    detector.fit(times[history], power[history], outdoor[history])
    assert detector.score_samples(times, power, outdoor).max() > 0  # unusual, yes
    assert detector.episodes(times, power, outdoor) == []  # but not through the night


def test_nights_of_one_fault_join_into_one_episode() -> None:
    times = START_S + np.arange(3 * 24) * 3600.0
    closed = np.ones(times.shape, dtype=bool)
    closed[7:17] = closed[31:41] = closed[55:65] = False  # three working days
    flags = np.zeros(times.shape, dtype=bool)
    flags[17:31] = flags[41:55] = True  # two nights
    assert closed_runs(times, flags & closed, closed) == [(17, 55)]
    flags[41:55] = False
    flags[65:70] = True  # the third night, a day after the first ended
    assert closed_runs(times, flags & closed, closed) == [(17, 31), (65, 70)]
    flags[:] = False
    flags[20:31] = flags[43:55] = True  # the second night starts two quiet hours late
    assert closed_runs(times, flags & closed, closed) == [(20, 55)]


def test_nursing_homes_have_no_after_hours() -> None:
    times = START_S + np.arange(21 * 24) * 3600.0
    scores = np.ones(times.shape)
    assert AfterHoursDetector(building_type="nursing_home").decide(times, scores) == []


def hourly_series(
    building_type: str, faults: object, *, days: int = 35, seed: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[GroundTruthFault]]:
    """Hourly electricity, heat and outdoor temperature of a simulated building, with its
    realistic variability on, and its ground truth."""
    config = {
        "seed": 1,
        "start": START_S,
        "interval_s": 900,
        "variability": True,
        "buildings": [{"id": "b-01", "type": building_type, "seed": seed, "faults": faults}],
    }
    portfolio = Portfolio.from_config(config)
    block = portfolio.buildings[0].advance_block(START_S + days * DAY_S)
    names = [p.point for p in block.points]
    hours = np.floor(block.times_s / 3600) * 3600
    starts = np.unique(hours)

    def mean(point: str) -> np.ndarray:
        values = block.values[names.index(point)]
        return np.array([values[hours == h].mean() for h in starts])

    return (
        starts,
        mean("el.power"),
        mean("dh.power"),
        mean("ahu1.outdoor_air_temp"),
        portfolio.ground_truth(),
    )


@pytest.mark.slow
def test_ventilation_left_on_is_found_on_both_meters_of_a_realistic_school() -> None:
    fault = {
        "kind": "after_hours_ventilation",
        "start": START_S + 25 * DAY_S + 15 * 3600,
        "end": START_S + 28 * DAY_S + 5 * 3600,
    }
    times, power, heat, outdoor, (truth,) = hourly_series("school", [fault])
    score_from = START_S + 21 * DAY_S
    for cls, series in ((AfterHoursDetector, power), (AfterHoursHeatingDetector, heat)):
        scores, known = score_week_by_week(
            lambda cls=cls: cls(building_type="school"),
            times,
            series,
            outdoor,
            score_from_s=score_from,
        )
        assert known[times >= score_from + 7 * DAY_S].all()
        episodes = cls(building_type="school").decide(times, scores)
        hits = [e for e in episodes if e.start_s < truth.end and e.end_s > truth.start]
        assert len(hits) == 1, (cls.__name__, episodes)
        # Unusual hours of the evening before join it (within a day): never later than it.
        assert truth.start - 24 * 3600 <= hits[0].start_s <= truth.start + 6 * 3600


@pytest.mark.slow
def test_a_realistic_school_without_faults_is_quiet() -> None:
    times, power, heat, outdoor, truth = hourly_series("school", "none")
    assert truth == []
    score_from = START_S + 14 * DAY_S
    for cls, series in ((AfterHoursDetector, power), (AfterHoursHeatingDetector, heat)):
        scores, _ = score_week_by_week(
            lambda cls=cls: cls(building_type="school"),
            times,
            series,
            outdoor,
            score_from_s=score_from,
        )
        assert cls(building_type="school").decide(times, scores) == [], cls.__name__
