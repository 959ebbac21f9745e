"""Heating out of line with the weather, on hand-made buildings and on the simulator."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from analytics.detectors.heating_signature import HeatingSignatureDetector, signature
from analytics.hours import in_use
from analytics.scoring import score_week_by_week
from simulation import Portfolio

OSLO = ZoneInfo("Europe/Oslo")
DAY_S = 86_400.0
#: A Monday in January: heating season, no school holiday for seven weeks.
START_S = dt.datetime(2026, 1, 5, tzinfo=OSLO).timestamp()
#: The hand-made building's signature: kW in opening hours at a daily mean outdoor temperature.
BASE_KW, SLOPE_KW_PER_K, BALANCE_C = 20.0, 4.0, 15.0


def local_s(year: int, month: int, day: int, hour: int = 0) -> float:
    return dt.datetime(year, month, day, hour, tzinfo=OSLO).timestamp()


def weather_c(days: int, *, seed: int = 7) -> np.ndarray:
    """Daily mean outdoor temperatures of a Bergen winter: fronts that last a few days."""
    rng = np.random.default_rng(seed)
    temperature = np.empty(days)
    level = 3.0
    for day in range(days):
        level = 3.0 + 0.7 * (level - 3.0) + rng.normal(0.0, 1.8)
        temperature[day] = level
    return temperature


def building(
    *,
    days: int = 70,
    building_type: str = "office",
    daily_c: np.ndarray | None = None,
    seed: int = 11,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hourly times, heat (kW) and outdoor temperature (°C) of a building that follows the
    signature in opening hours (half of it when closed), with 4 % day-to-day and 5 %
    hour-to-hour meter noise."""
    times = START_S + np.arange(days * 24) * 3600.0
    daily = weather_c(days) if daily_c is None else daily_c
    day_index = ((times - START_S) // DAY_S).astype(int)
    outdoor = daily[day_index].copy()
    signature_kw = BASE_KW + SLOPE_KW_PER_K * np.maximum(0.0, BALANCE_C - daily[day_index])
    opening = in_use(building_type, times)
    rng = np.random.default_rng(seed)
    noise = (1.0 + rng.normal(0.0, 0.04, days))[day_index] * rng.normal(1.0, 0.05, times.size)
    heat = signature_kw * np.where(opening, 1.0, 0.5) * noise
    return times, heat, outdoor


def days_between(times: np.ndarray, first_s: float, end_s: float) -> np.ndarray:
    return (times >= first_s) & (times < end_s)


def test_it_learns_the_signature_it_was_given() -> None:
    times, heat, outdoor = building(days=56)
    detector = HeatingSignatureDetector(building_type="office")
    assert detector.fit(times, heat, outdoor) is detector
    fitted = detector.signature_
    assert fitted is not None
    # Within the temperatures of the history (about -2 to 8 °C), where it can tell.
    outdoor_c = np.array([0.0, 3.0, 6.0])
    expected = BASE_KW + SLOPE_KW_PER_K * (BALANCE_C - outdoor_c)
    assert detector.expected_kw(outdoor_c) == pytest.approx(expected, rel=0.04)
    # The residual spread is the 4 % day-to-day noise and a little of the hourly noise.
    assert 0.04 <= detector.spread_ < 0.08


def test_a_knee_is_found_where_the_ventilation_coil_opens() -> None:
    outdoor = np.linspace(-8.0, 12.0, 41)
    heat = 10.0 + 2.0 * np.maximum(0.0, 15.0 - outdoor) + 3.0 * np.maximum(0.0, 2.0 - outdoor)
    fitted = signature(outdoor, heat)
    assert fitted.knee_c == 2.0
    assert fitted.expected_kw(np.array([-6.0, 0.0, 8.0])) == pytest.approx(
        [10.0 + 42.0 + 24.0, 10.0 + 30.0 + 6.0, 10.0 + 14.0]
    )


def test_unfitted_use_raises() -> None:
    times, heat, outdoor = building(days=7)
    with pytest.raises(NotFittedError):
        HeatingSignatureDetector().score_samples(times, heat, outdoor)


def test_heat_raised_by_15_percent_for_8_days_is_one_episode_on_those_days() -> None:
    times, heat, outdoor = building()
    first_s = local_s(2026, 2, 17)  # a Tuesday
    end_s = local_s(2026, 2, 27)  # eight working days later (Thursday 26 February included)
    raised = days_between(times, first_s, end_s)
    heat[raised] *= 1.15
    history = times < local_s(2026, 2, 16)
    detector = HeatingSignatureDetector(building_type="office")
    detector.fit(times[history], heat[history], outdoor[history])
    scored = ~history
    (episode,) = detector.episodes(times[scored], heat[scored], outdoor[scored])
    # Noise may flag the day before or leave the first raised day within tolerance.
    assert first_s - DAY_S <= episode.start_s <= first_s + DAY_S + 8 * 3600
    assert end_s - 2 * DAY_S <= episode.end_s <= end_s
    measured, expected = re.findall(r"(\d+) kWh/day", episode.detail)
    assert 1.08 < int(measured) / int(expected) < 1.25
    assert episode.detail.endswith("days")
    scores = detector.score_samples(times[scored], heat[scored], outdoor[scored])
    assert not scores[~in_use("office", times[scored])].any(), "closed hours are not judged"
    assert episode.peak_score > detector.tolerance_sd


def test_the_decision_needs_only_the_scores() -> None:
    times, heat, outdoor = building()
    raised = days_between(times, local_s(2026, 2, 17), local_s(2026, 2, 27))
    heat[raised] *= 1.15
    scores, known = score_week_by_week(
        lambda: HeatingSignatureDetector(building_type="office"),
        times,
        heat,
        outdoor,
        score_from_s=local_s(2026, 2, 2),
    )
    assert known.any()
    (episode,) = HeatingSignatureDetector(building_type="office").decide(times, scores)
    assert episode.start_s < local_s(2026, 2, 27)
    assert episode.end_s > local_s(2026, 2, 17)
    assert "days" in episode.detail


def test_quiet_through_a_cold_snap_the_signature_explains() -> None:
    daily = weather_c(70)
    daily[50:57] = [-4.0, -7.0, -9.0, -10.0, -8.0, -6.0, -3.0]
    times, heat, outdoor = building(daily_c=daily)
    history = times < START_S + 49 * DAY_S
    detector = HeatingSignatureDetector(building_type="office")
    detector.fit(times[history], heat[history], outdoor[history])
    assert outdoor[~history].min() < outdoor[history].min() - 3.0, "the snap must be new"
    assert detector.episodes(times[~history], heat[~history], outdoor[~history]) == []


def test_quiet_through_a_holiday_week_which_does_not_move_the_fit() -> None:
    # A school's winter break (week 9: 23-27 February 2026) at setback: far less heat.
    times, heat, outdoor = building(days=70, building_type="school")
    closed = days_between(times, local_s(2026, 2, 23), local_s(2026, 2, 28))
    heat[closed] *= 0.5
    detector = HeatingSignatureDetector(building_type="school").fit(times, heat, outdoor)
    assert detector.expected_kw(np.array([5.0])) == pytest.approx(
        BASE_KW + SLOPE_KW_PER_K * 10.0, rel=0.06
    )
    assert detector.episodes(times, heat, outdoor) == []
    assert not detector.score_samples(times, heat, outdoor)[closed].any()


def test_one_odd_day_is_not_a_fault() -> None:
    times, heat, outdoor = building()
    odd = days_between(times, local_s(2026, 2, 18), local_s(2026, 2, 19))
    heat[odd] *= 1.6
    history = times < local_s(2026, 2, 16)
    detector = HeatingSignatureDetector(building_type="office")
    detector.fit(times[history], heat[history], outdoor[history])
    scores = detector.score_samples(times, heat, outdoor)
    assert scores[odd].max() > 0, "the odd day must stand out for the test to mean anything"
    assert detector.decide(times[~history], scores[~history]) == []


def test_days_with_missing_hours_are_not_judged_and_nan_is_handled() -> None:
    times, heat, outdoor = building()
    rng = np.random.default_rng(3)
    heat[rng.random(times.size) < 0.05] = np.nan  # scattered lost readings
    outdoor[rng.random(times.size) < 0.05] = np.nan
    # Three days with high heat but only a few hours read: too little to judge.
    sparse = days_between(times, local_s(2026, 2, 17), local_s(2026, 2, 20))
    heat[sparse] *= 1.5
    heat[sparse & (((times - START_S) // 3600) % 24 > 9)] = np.nan
    detector = HeatingSignatureDetector(building_type="office").fit(times, heat, outdoor)
    scores = detector.score_samples(times, heat, outdoor)
    assert np.isfinite(scores).all()
    assert not scores[sparse].any()
    assert detector.episodes(times, heat, outdoor) == []


def test_too_short_a_history_abstains() -> None:
    times, heat, outdoor = building(days=7)
    detector = HeatingSignatureDetector(building_type="office").fit(times, heat * 2, outdoor)
    assert detector.signature_ is None
    assert not detector.score_samples(times, heat, outdoor).any()


def simulated_office(faults: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hourly heat (kW) and outdoor temperature (°C) of a simulated office with variability."""
    config = {
        "seed": 1,
        "start": START_S,
        "interval_s": 900,
        "variability": True,
        "buildings": [{"id": "kontor-01", "type": "office", "seed": 1, "faults": faults}],
    }
    block = Portfolio.from_config(config).buildings[0].advance_block(START_S + 49 * DAY_S)
    names = [p.point for p in block.points]
    hours = np.floor(block.times_s / 3600) * 3600
    starts, index = np.unique(hours, return_inverse=True)

    def hourly(point: str) -> np.ndarray:
        values = block.values[names.index(point)]
        sums = np.bincount(index, weights=np.nan_to_num(values))
        counts = np.bincount(index, weights=np.isfinite(values).astype(float))
        return sums / np.maximum(counts, 1)

    return starts, hourly("dh.power"), hourly("ahu1.outdoor_air_temp")


def test_finds_setpoints_raised_in_a_simulated_office_and_is_quiet_without() -> None:
    fault = {
        "kind": "setpoint_too_high",
        "start": local_s(2026, 2, 2, 9),
        "end": local_s(2026, 2, 13, 9),
        "delta_c": 3.0,
    }

    def episodes(faults: object) -> list[tuple[float, float]]:
        times, heat, outdoor = simulated_office(faults)
        scores, known = score_week_by_week(
            lambda: HeatingSignatureDetector(building_type="office"),
            times,
            heat,
            outdoor,
            score_from_s=local_s(2026, 1, 26),
        )
        assert known.any()
        found = HeatingSignatureDetector(building_type="office").decide(times, scores)
        return [(e.start_s, e.end_s) for e in found]

    found = episodes([fault])
    assert found
    assert all(start < fault["end"] and end > fault["start"] for start, end in found)
    assert episodes("none") == []
