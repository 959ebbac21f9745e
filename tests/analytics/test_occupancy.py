"""The occupancy estimator: its contract, and hand-made rooms built from the CO2 mass balance."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from analytics.occupancy import OccupancyEstimator, empty_hours, hysteresis

H = 3600.0
#: 2024-01-08 00:00 UTC, a Monday.
START_S = 1_704_672_000.0
OUTDOOR_PPM = 420.0


def room(
    *,
    interval_min: float,
    days: int = 4,
    people_from_h: float = 8.0,
    people_to_h: float = 15.0,
    generation_ppm_h: float = 400.0,
    air_changes_per_h: float = 1.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A ventilated room, occupied on each day's hours given, stepped exactly per minute and
    sampled every ``interval_min``: times, CO2 with 5 ppm of sensor noise, temperature, truth."""
    minutes = np.arange(days * 24 * 60)
    hour_of_day = (minutes / 60.0) % 24.0
    present = (hour_of_day >= people_from_h) & (hour_of_day < people_to_h)
    kept = np.exp(-air_changes_per_h / 60.0)
    excess = np.empty(minutes.size)
    level = 0.0
    for index, here in enumerate(present.tolist()):
        target = generation_ppm_h / air_changes_per_h if here else 0.0
        level = target + (level - target) * kept
        excess[index] = level
    step = round(interval_min)
    picked = minutes[step - 1 :: step]
    rng = np.random.default_rng(seed)
    co2 = OUTDOOR_PPM + excess[picked] + rng.normal(0.0, 5.0, picked.size)
    temp = 20.0 + 0.002 * excess[picked] + rng.normal(0.0, 0.05, picked.size)
    return START_S + picked * 60.0, co2, temp, present[picked]


def empty_room(interval_min: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    times, co2, temp, _ = room(interval_min=interval_min, generation_ppm_h=0.0)
    return times, co2, temp


def test_unfitted_estimator_refuses_to_score() -> None:
    times, co2, temp = empty_room(15)
    with pytest.raises(NotFittedError):
        OccupancyEstimator().score_samples(times, co2, temp)
    with pytest.raises(NotFittedError):
        OccupancyEstimator().predict(times, co2, temp)


def test_fit_returns_self_and_init_stores_parameters_only() -> None:
    times, co2, temp, _ = room(interval_min=15)
    estimator = OccupancyEstimator(k_sigma=5.0)
    assert estimator.get_params()["k_sigma"] == 5.0
    assert not [name for name in vars(estimator) if name.endswith("_")]
    assert estimator.fit(times, co2, temp) is estimator
    assert estimator.air_changes_per_h_ > 0


def test_same_data_same_answer() -> None:
    times, co2, temp, _ = room(interval_min=5)
    first = OccupancyEstimator().fit(times, co2, temp).score_samples(times, co2, temp)
    second = OccupancyEstimator().fit(times, co2, temp).score_samples(times, co2, temp)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("interval_min", [1, 15, 60])
def test_an_empty_room_stays_unoccupied(interval_min: int) -> None:
    times, co2, temp = empty_room(interval_min)
    predicted = OccupancyEstimator().fit(times, co2, temp).predict(times, co2, temp)
    assert predicted.mean() < 0.01


@pytest.mark.parametrize("interval_min", [1, 15, 60])
def test_a_class_arriving_is_seen(interval_min: int) -> None:
    times, co2, temp, present = room(interval_min=interval_min)
    estimator = OccupancyEstimator().fit(times, co2, temp)
    predicted = estimator.predict(times, co2, temp)
    # The class's hours are seen; the night after them is not, whatever the sample interval.
    assert predicted[present].mean() > 0.8
    hour_of_day = ((times - START_S) / H) % 24.0
    night = (hour_of_day >= 19.0) | (hour_of_day < 7.0)
    assert predicted[night].mean() < 0.05
    # The learnt rate errs low (slow falls while people leave), the safe side for empty rooms.
    assert 0.2 < estimator.air_changes_per_h_ <= 1.1


def test_gaps_give_no_score_and_no_occupancy() -> None:
    times, co2, temp, _ = room(interval_min=15)
    co2 = co2.copy()
    co2[100:120] = np.nan  # five hours lost
    estimator = OccupancyEstimator().fit(times, co2, temp)
    scores = estimator.score_samples(times, co2, temp)
    assert np.isnan(scores[105:115]).all()
    assert not estimator.predict(times, co2, temp)[105:115].any()
    assert np.isfinite(scores[1:90]).all()  # the first has no neighbour before it


def test_supervised_fit_learns_from_labels() -> None:
    times, co2, temp, present = room(interval_min=15)
    estimator = OccupancyEstimator().fit(times, co2, temp, present)
    assert estimator.model_ is not None
    predicted = estimator.predict(times, co2, temp)
    assert np.mean(predicted == present) > 0.9


def test_hysteresis_holds_until_the_leave_level() -> None:
    scores = np.array([0.0, 5.0, 2.0, 2.0, 0.5, 2.0, np.nan, 5.0])
    on = hysteresis(scores, enter=4.0, leave=1.0)
    assert on.tolist() == [False, True, True, True, False, False, False, True]


def test_a_building_is_empty_only_when_every_zone_is() -> None:
    times, co2, temp, _ = room(interval_min=15)
    _, quiet_co2, quiet_temp = empty_room(15)
    hours_s, empty = empty_hours(times, {"class": (co2, temp), "store": (quiet_co2, quiet_temp)})
    hour_of_day = ((hours_s - START_S) / H) % 24.0
    assert not empty[(hour_of_day >= 9.0) & (hour_of_day < 14.0)].any()
    assert empty[(hour_of_day >= 1.0) & (hour_of_day < 5.0)].all()
    # No readings at all in an hour: not claimed empty.
    blind = np.full(times.shape, np.nan)
    _, unknown = empty_hours(times, {"class": (blind, temp)})
    assert not unknown.any()
