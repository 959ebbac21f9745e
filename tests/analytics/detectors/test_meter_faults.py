"""Meter faults on hand-made series and on the simulator's injected meter faults."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from analytics.detectors.meter_faults import MeterFaultDetector, overlaps
from simulation import Portfolio

DAY_S = 86_400.0
START_S = dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp()
QUARTER_S = 900.0


def office_power(days: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """15-minute power of a plain office: 10 kW at night, a step to 40 kW at 07:00 UTC on
    weekdays, a little noise."""
    times = START_S + np.arange(days * 96) * QUARTER_S
    hour = (times % DAY_S) / 3600
    weekday = ((times // DAY_S).astype(int) + 3) % 7 < 5
    rng = np.random.default_rng(5)
    power = np.where(weekday & (hour >= 7) & (hour < 17), 40.0, 10.0)
    return times, power + rng.normal(0, 0.3, times.size)


def district_heat_power(days: int = 21) -> tuple[np.ndarray, np.ndarray]:
    """15-minute heat power of a school on district heat: 250 kW from 06:00 to 15:00 UTC on
    weekdays, 10 kW otherwise, and on Mondays and Wednesdays a room let for the evening whose
    heating opens at 16:00 for two hours: 500 kW as the cold radiators fill, easing to 280 kW.
    A little noise, in proportion to the load."""
    times = START_S + np.arange(days * 96) * QUARTER_S
    hour = (times % DAY_S) / 3600
    weekday = ((times // DAY_S).astype(int) + 3) % 7
    power = np.where((weekday < 5) & (hour >= 6) & (hour < 15), 250.0, 10.0)
    let = np.isin(weekday, (0, 2)) & (hour >= 16) & (hour < 18)
    opening = np.interp(hour - 16, [0.0, 0.25, 0.5, 0.75, 2.0], [500, 480, 420, 300, 280])
    power = np.where(let, opening, power)
    rng = np.random.default_rng(8)
    return times, np.round(power * rng.normal(1, 0.03, times.size), 2)


def counter_of(times: np.ndarray, power: np.ndarray) -> np.ndarray:
    """An energy counter's readings (kWh) of ``power`` (kW) read at ``times``."""
    return np.round(
        250_000 + np.cumsum(power * np.diff(times, prepend=times[0] - QUARTER_S) / 3600), 2
    )


def kinds(detector: MeterFaultDetector, times: np.ndarray, values: np.ndarray) -> list[str]:
    return [fault.kind for fault in detector.fit(times, values).episodes(times, values)]


def test_a_healthy_office_with_its_morning_steps_has_no_meter_fault() -> None:
    times, power = office_power()
    assert kinds(MeterFaultDetector(), times, power) == []


def test_a_daily_boost_at_the_same_time_is_a_habit_not_a_spike() -> None:
    times, power = office_power()
    boost = np.isclose(times % DAY_S, 6 * 3600)  # every day at 06:00, one reading
    power[boost] *= 4
    assert kinds(MeterFaultDetector(), times, power) == []


def test_one_reading_five_times_too_high_is_a_spike() -> None:
    times, power = office_power()
    power[500] *= 5
    detector = MeterFaultDetector().fit(times, power)
    (fault,) = detector.episodes(times, power)
    assert (fault.kind, fault.start_s) == ("spike", times[500])
    assert detector.score_samples(times, power).argmax() == 500


def test_a_heating_circuit_opening_for_an_evening_let_is_not_a_spike() -> None:
    times, power = district_heat_power()
    opens = np.isclose(times % DAY_S, 16 * 3600) & (power > 400)
    assert opens.sum() >= 5  # the lets are there, 50 times the evening's 10 kW
    assert kinds(MeterFaultDetector(), times, power) == []
    assert kinds(MeterFaultDetector(counter=True), times, counter_of(times, power)) == []


@pytest.mark.parametrize(
    ("hour", "what"),
    [(22.0, "at night"), (10.0, "by day"), (17.0, "while a let's heating is on")],
)
def test_one_reading_eight_times_too_high_is_a_spike_on_the_heat_meter(
    hour: float, what: str
) -> None:
    times, power = district_heat_power()
    glitch = int(np.flatnonzero(np.isclose(times, START_S + 14 * DAY_S + hour * 3600))[0])
    power[glitch] *= 8  # a Monday
    detector = MeterFaultDetector().fit(times, power)
    (fault,) = detector.episodes(times, power)
    assert (fault.kind, fault.start_s) == ("spike", times[glitch]), what
    assert f"{power[glitch]:.4g} in one reading" in fault.detail
    assert detector.score_samples(times, power).argmax() == glitch


def test_a_counter_spike_is_judged_on_its_rate() -> None:
    times, power = district_heat_power()
    glitch = int(np.flatnonzero(np.isclose(times, START_S + 14 * DAY_S + 22 * 3600))[0])
    power[glitch] *= 8  # the counter ran eight times too fast for one reading
    counter = counter_of(times, power)
    (fault,) = MeterFaultDetector(counter=True).fit(times, counter).episodes(times, counter)
    assert (fault.kind, fault.start_s) == ("spike", times[glitch])
    assert "a rise at" in fault.detail


def test_a_spike_is_found_with_only_two_days_of_readings() -> None:
    """As the service runs: a day of context and the day scored, without weeks of habits."""
    times, power = district_heat_power()
    glitch = int(np.flatnonzero(np.isclose(times, START_S + 14 * DAY_S + 3 * 3600))[0])
    power[glitch] *= 6
    window = (times >= START_S + 13 * DAY_S) & (times < START_S + 15 * DAY_S)
    assert kinds(MeterFaultDetector(), times[window], power[window]) == ["spike"]


def test_a_reading_repeated_for_hours_is_a_stuck_meter_but_not_for_one_hour() -> None:
    times, power = office_power()
    stuck = power.copy()
    stuck[300:340] = stuck[300]  # ten hours
    assert kinds(MeterFaultDetector(), times, stuck) == ["stuck"]
    brief = power.copy()
    brief[300:304] = brief[300]  # one hour: could be a quiet meter
    assert kinds(MeterFaultDetector(), times, brief) == []


def test_a_sensor_is_judged_for_stuck_runs_and_gaps_but_not_spikes() -> None:
    times = START_S + 900.0 * np.arange(7 * 96)
    rng = np.random.default_rng(4)
    # An outdoor temperature around zero: its readings cross zero, and a gust is no glitch.
    temp = 0.5 + 2.0 * np.sin(2 * np.pi * times / DAY_S) + 0.05 * rng.standard_normal(times.size)
    temp[200] = 6.0
    assert kinds(MeterFaultDetector(), times, temp) == ["spike"]  # judged as a meter
    assert kinds(MeterFaultDetector(spikes=False), times, temp) == []
    stuck = temp.copy()
    stuck[400:430] = stuck[400]  # seven and a half hours
    assert kinds(MeterFaultDetector(spikes=False), times, stuck) == ["stuck"]
    keep = np.ones(times.size, dtype=bool)
    keep[500:510] = False
    assert kinds(MeterFaultDetector(spikes=False), times[keep], temp[keep]) == ["gap"]


def test_a_sensor_held_at_the_end_of_its_range_is_saturated_not_stuck() -> None:
    times = START_S + 900.0 * np.arange(7 * 96)
    rng = np.random.default_rng(6)
    humidity = np.clip(90.0 + 8.0 * rng.standard_normal(times.size), 0.0, 100.0)
    humidity[300:330] = 100.0  # a foggy morning: seven and a half hours at 100 %
    assert kinds(MeterFaultDetector(spikes=False), times, humidity) == []
    humidity[400:430] = 93.21  # frozen where it happened to be
    assert kinds(MeterFaultDetector(spikes=False), times, humidity) == ["stuck"]


def test_a_stuck_counter_catching_up_is_stuck_not_a_spike() -> None:
    times, power = district_heat_power()
    counter = counter_of(times, power)
    counter[1300:1340] = counter[1300]  # ten hours, then the next reading catches up
    assert kinds(MeterFaultDetector(counter=True), times, counter) == ["stuck"]


def test_an_hour_without_readings_is_a_gap_but_one_lost_reading_is_not() -> None:
    times, power = office_power()
    hour_lost = (times < START_S + 3 * DAY_S) | (times >= START_S + 3 * DAY_S + 3600)
    assert kinds(MeterFaultDetector(), times[hour_lost], power[hour_lost]) == ["gap"]
    one_lost = times != START_S + 3 * DAY_S
    assert kinds(MeterFaultDetector(), times[one_lost], power[one_lost]) == []


def test_a_few_readings_are_judged_without_warnings() -> None:
    times, power = office_power(days=1)
    for count in (1, 2, 3, 5):
        assert kinds(MeterFaultDetector(), times[:count], power[:count]) == []


def test_a_counter_read_only_now_and_then_is_judged_without_warnings() -> None:
    """Lone readings between gaps have no rate on either side to be judged by."""
    times, power = office_power(days=3)
    lone = (times % (4 * 3600) == 0) & (times >= START_S + DAY_S) & (times < START_S + 2 * DAY_S)
    keep = lone | (times < START_S + DAY_S) | (times >= START_S + 2 * DAY_S)
    counter = counter_of(times, power)[keep]
    assert kinds(MeterFaultDetector(counter=True), times[keep], counter) == ["gap"] * 6


def test_hours_without_readings_are_a_gap() -> None:
    times, power = office_power()
    keep = (times < START_S + 3 * DAY_S) | (times >= START_S + 3 * DAY_S + 5 * 3600)
    (fault,) = MeterFaultDetector().fit(times[keep], power[keep]).episodes(times[keep], power[keep])
    assert fault.kind == "gap"
    assert fault.end_s - fault.start_s == pytest.approx(5 * 3600 + QUARTER_S)


def test_a_counter_that_falls_was_reset_or_runs_backwards() -> None:
    times, power = office_power()
    counter = 50_000 + np.cumsum(power * QUARTER_S / 3600)
    assert kinds(MeterFaultDetector(counter=True), times, counter) == []
    reset = counter.copy()
    reset[700:] -= counter[699]
    assert kinds(MeterFaultDetector(counter=True), times, reset) == ["counter_reset"]
    backwards = counter.copy()
    backwards[700:] -= 200.0
    assert kinds(MeterFaultDetector(counter=True), times, backwards) == ["negative_consumption"]


def test_overlaps_takes_a_single_reading_fault_into_account() -> None:
    times, power = office_power()
    power[500] *= 5
    faults = MeterFaultDetector().fit(times, power).episodes(times, power)
    assert overlaps(faults, times[496], times[504])
    assert not overlaps(faults, times[0], times[100])


@pytest.mark.parametrize(
    ("kind", "point", "counter", "found"),
    [
        ("meter_spike", "el.power", False, "spike"),
        ("meter_stuck", "el.power", False, "stuck"),
        ("meter_gap", "el.power", False, "gap"),
        ("counter_reset", "el.energy", True, "counter_reset"),
    ],
)
@pytest.mark.parametrize("building", [("school", 3), ("sports_hall", 5)], ids=str)
def test_the_simulated_meter_faults_are_found_and_nothing_else(
    kind: str, point: str, counter: bool, found: str, building: tuple[str, int]
) -> None:
    building_type, seed = building
    start = START_S + 10 * DAY_S + 3 * 3600
    fault: dict[str, object] = {"kind": kind, "start": start, "points": [point]}
    if kind == "meter_spike":
        fault |= {"end": start + QUARTER_S, "factor": 6}
    elif kind != "counter_reset":
        fault["end"] = start + 8 * 3600
    config = {
        "seed": 1,
        "start": START_S,
        "interval_s": 900,
        "buildings": [{"id": "b", "type": building_type, "seed": seed, "faults": [fault]}],
    }
    block = Portfolio.from_config(config).buildings[0].advance_block(START_S + 21 * DAY_S)
    values = block.values[[p.point for p in block.points].index(point)]
    known = np.isfinite(values)
    times = block.times_s[known].astype(float)
    detector = MeterFaultDetector(counter=counter).fit(times, values[known])
    faults = detector.episodes(times, values[known])
    assert [f.kind for f in faults] == [found]
    assert faults[0].start_s == pytest.approx(start, abs=QUARTER_S)


def test_evening_lets_on_a_varied_school_are_no_spike_and_a_glitch_still_is() -> None:
    """With noise and legitimate use (cleaning, community lets whose heating starts an hour
    before the booking), the heat meter's only fault is the glitch put in it."""
    glitch = START_S + 17 * DAY_S + 20 * 3600
    fault = {
        "kind": "meter_spike",
        "start": glitch,
        "end": glitch + QUARTER_S,
        "points": ["dh.power"],
        "factor": 6,
    }
    config = {
        "seed": 104,
        "start": START_S,
        "interval_s": 900,
        "variability": True,
        "buildings": [{"id": "b", "type": "school", "seed": 102, "faults": [fault]}],
    }
    portfolio = Portfolio.from_config(config)
    block = portfolio.buildings[0].advance_block(START_S + 28 * DAY_S)
    lets = [
        truth
        for truth in portfolio.ground_truth(legitimate_use=True)
        if truth.params.get("activity") == "community_use"
    ]
    assert len(lets) >= 4
    names = [p.point for p in block.points]
    found = {}
    for point in ("el.power", "el.energy", "dh.power", "dh.energy"):
        values = block.values[names.index(point)]
        known = np.isfinite(values)
        times = block.times_s[known].astype(float)
        detector = MeterFaultDetector(counter=point.endswith("energy"))
        episodes = detector.fit(times, values[known]).episodes(times, values[known])
        found[point] = [(f.kind, f.start_s) for f in episodes]
    assert found == {
        "el.power": [],
        "el.energy": [],
        "dh.power": [("spike", glitch)],
        "dh.energy": [],
    }
