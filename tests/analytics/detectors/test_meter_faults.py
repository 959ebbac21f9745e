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


def test_a_reading_repeated_for_hours_is_a_stuck_meter_but_not_for_one_hour() -> None:
    times, power = office_power()
    stuck = power.copy()
    stuck[300:340] = stuck[300]  # ten hours
    assert kinds(MeterFaultDetector(), times, stuck) == ["stuck"]
    brief = power.copy()
    brief[300:304] = brief[300]  # one hour: could be a quiet meter
    assert kinds(MeterFaultDetector(), times, brief) == []


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
