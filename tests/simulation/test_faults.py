"""Each fault changes what it should, and its ground truth matches the meters."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

OSLO = ZoneInfo("Europe/Oslo")


def pair(sim, building_type: str, fault: dict, *, days: float = 8.0, **extra):
    """The building with ``fault`` and without it, run ``days``; and the fault's ground truth."""
    faulty = sim.single(building_type, [fault], **extra)
    clean = sim.single(building_type, **extra)
    with_fault = sim.run(faulty, sim.day(days))
    without = sim.run(clean, sim.day(days))
    (truth,) = faulty.ground_truth()
    return with_fault, without, truth


def inside(series, fault: dict) -> np.ndarray:
    # A reading at t reports the step that ends at t: the fault shows in (start, end].
    return (series.times > fault["start"]) & (series.times <= fault["end"])


def physical_faults(sim) -> list[tuple[str, dict, dict]]:
    d = sim.day
    return [
        ("school", {"kind": "after_hours_ventilation", "start": d(1, 16), "end": d(4, 5)}, {}),
        ("school", {"kind": "after_hours_heating", "start": d(1, 16), "end": d(5, 5)}, {}),
        (
            "office",
            {"kind": "simultaneous_heating_cooling", "start": d(1), "end": d(5)},
            {"cooling": True},
        ),
        ("school", {"kind": "damper_stuck_open", "start": d(1), "end": d(5)}, {}),
        ("school", {"kind": "window_open", "start": d(1, 14), "end": d(2, 7), "zone": "zone2"}, {}),
        ("school", {"kind": "setpoint_too_high", "start": d(1, 8), "end": d(5, 8)}, {}),
        ("office", {"kind": "baseload_drift", "start": d(1), "end": d(5), "extra_kw": 8.0}, {}),
    ]


@pytest.mark.parametrize("case", range(7))
def test_ground_truth_is_the_difference_in_the_meters(sim, case: int) -> None:
    building_type, fault, extra = physical_faults(sim)[case]
    # Run past the fault's end plus the 24 h recovery, so the whole effect is counted.
    with_fault, without, truth = pair(sim, building_type, fault, days=8.0, **extra)
    el = with_fault["el.energy"][-1] - without["el.energy"][-1]
    heat = with_fault["dh.energy"][-1] - without["dh.energy"][-1]
    # Equipment left on heats the rooms, so electricity and heat can nearly cancel: the fault
    # must show in the meters, whatever the sign of its net energy.
    assert abs(truth.extra_electricity_kwh) + abs(truth.extra_heat_kwh) > 10.0
    assert truth.extra_electricity_kwh == pytest.approx(el, rel=0.01, abs=1.0)
    assert truth.extra_heat_kwh == pytest.approx(heat, rel=0.01, abs=1.0)
    assert truth.extra_energy_kwh == pytest.approx(
        truth.extra_electricity_kwh + truth.extra_heat_kwh
    )
    assert truth.accounted_until == pytest.approx(fault["end"] + 86_400, abs=300)
    assert set(truth.points) <= {p.point for p in with_fault.block.points}


def test_after_hours_ventilation_raises_night_electricity_by_the_ground_truth(sim) -> None:
    fault = {"kind": "after_hours_ventilation", "start": sim.day(1, 16), "end": sim.day(4, 5)}
    with_fault, without, truth = pair(sim, "school", fault, days=6.0)
    window = inside(with_fault, fault)
    off_hours = window & (without["ahu1.supply_fan_status"] == 0)
    assert with_fault["ahu1.supply_fan_status"][off_hours].min() == 1
    assert with_fault["ahu1.supply_fan_speed"][off_hours].min() == 100
    # Energy used in each 15-minute interval, summed over the intervals the fans should be off.
    used = np.diff(with_fault["el.energy"]) - np.diff(without["el.energy"])
    night_extra = used[off_hours[1:]].sum()
    assert night_extra == pytest.approx(truth.extra_electricity_kwh, rel=0.05)
    assert abs(used[~off_hours[1:]].sum()) < 0.05 * truth.extra_electricity_kwh
    assert truth.extra_heat_kwh > 0  # the unit also heated the night air


def test_after_hours_heating_keeps_day_setpoints_at_night(sim) -> None:
    fault = {"kind": "after_hours_heating", "start": sim.day(1, 16), "end": sim.day(5, 5)}
    with_fault, without, truth = pair(sim, "school", fault)
    window = inside(with_fault, fault)
    night = window & np.array(
        [dt.datetime.fromtimestamp(int(t), OSLO).hour in (1, 2, 3) for t in with_fault.times]
    )
    gap = with_fault["zone1.air_temp_setpoint"][night] - without["zone1.air_temp_setpoint"][night]
    assert gap.min() == pytest.approx(3.0)
    assert with_fault["zone1.air_temp"][night].mean() > without["zone1.air_temp"][night].mean() + 1
    assert with_fault["dh.power"][night].mean() > without["dh.power"][night].mean()
    assert truth.extra_heat_kwh > 100
    assert truth.extra_electricity_kwh == pytest.approx(0, abs=1)


def test_stuck_coil_valve_shows_heating_and_cooling_together(sim) -> None:
    fault = {
        "kind": "simultaneous_heating_cooling",
        "start": sim.day(1),
        "end": sim.day(5),
        "position_pct": 40,
    }
    with_fault, without, truth = pair(sim, "office", fault, cooling=True)
    window = inside(with_fault, fault) & (with_fault["ahu1.supply_fan_status"] == 1)
    both = (with_fault["ahu1.heating_valve"] > 0) & (with_fault["ahu1.cooling_valve"] > 0)
    assert both[window].mean() > 0.9
    assert with_fault["ahu1.cooling_valve"][window].min() == 40
    clean_both = (without["ahu1.heating_valve"] > 0) & (without["ahu1.cooling_valve"] > 0)
    assert not clean_both.any()
    assert truth.extra_electricity_kwh > 0  # the chiller
    assert truth.extra_heat_kwh > 0  # and the heating coil fighting it
    assert truth.params == {"valve": "cooling", "position_pct": 40.0}


def test_damper_stuck_open_lets_in_cold_air(sim) -> None:
    fault = {"kind": "damper_stuck_open", "start": sim.day(1), "end": sim.day(5)}
    with_fault, without, truth = pair(sim, "school", fault)
    window = inside(with_fault, fault)
    assert with_fault["ahu1.outdoor_air_damper"][window].min() == 100
    assert without["ahu1.outdoor_air_damper"][window].max() < 100
    running = window & (without["ahu1.supply_fan_status"] == 1)
    assert (
        with_fault["ahu1.mixed_air_temp"][running].mean()
        < without["ahu1.mixed_air_temp"][running].mean() - 0.3
    )
    assert truth.extra_heat_kwh > 50


def test_open_window_cools_the_zone_and_the_radiators_work_harder(sim) -> None:
    fault = {"kind": "window_open", "start": sim.day(1, 14), "end": sim.day(2, 7), "zone": "zone2"}
    with_fault, without, truth = pair(sim, "school", fault, days=4.0)
    window = inside(with_fault, fault)
    assert (
        with_fault["zone2.air_temp"][window].mean() < without["zone2.air_temp"][window].mean() - 1
    )
    assert with_fault["zone2.co2"][window].mean() < without["zone2.co2"][window].mean()
    assert with_fault["zone1.air_temp"][window].mean() == pytest.approx(
        without["zone1.air_temp"][window].mean(), abs=0.05
    )
    assert with_fault["dh.power"][window].mean() > without["dh.power"][window].mean() * 1.1
    assert truth.points[:2] == ("zone2.air_temp", "zone2.co2")


def test_setpoint_too_high_warms_the_zone(sim) -> None:
    fault = {
        "kind": "setpoint_too_high",
        "start": sim.day(1, 8),
        "end": sim.day(5, 8),
        "zone": "zone1",
        "delta_c": 3.0,
    }
    with_fault, without, truth = pair(sim, "school", fault)
    window = inside(with_fault, fault)
    raised = (
        with_fault["zone1.air_temp_setpoint"][window] - without["zone1.air_temp_setpoint"][window]
    )
    assert raised.min() == pytest.approx(3.0)
    assert (
        with_fault["zone1.air_temp"][window].mean() > without["zone1.air_temp"][window].mean() + 1.5
    )
    assert (
        with_fault["zone3.air_temp_setpoint"][window].tolist()
        == without["zone3.air_temp_setpoint"][window].tolist()
    )
    assert truth.extra_heat_kwh > 100


def test_baseload_drift_rises_over_days_and_displaces_some_heat(sim) -> None:
    fault = {"kind": "baseload_drift", "start": sim.day(1), "end": sim.day(5), "extra_kw": 8.0}
    # Without meter noise, so that the ramp's energy is exact.
    with_fault, without, truth = pair(sim, "office", fault, noise=False)
    extra_kw = with_fault["el.power"] - without["el.power"]
    first = (with_fault.times >= sim.day(1)) & (with_fault.times < sim.day(2))
    last = (with_fault.times >= sim.day(4)) & (with_fault.times < sim.day(5))
    assert extra_kw[last].mean() > 3 * extra_kw[first].mean() > 0
    # A linear ramp from 0 to 8 kW over 96 hours: 384 kWh of electricity.
    assert truth.extra_electricity_kwh == pytest.approx(8.0 * 96 / 2, rel=0.01)
    # Equipment heats the rooms too, so the radiators give less: honest, and negative.
    assert truth.extra_heat_kwh < 0


def test_meter_faults_change_readings_only(sim) -> None:
    d = sim.day
    faults = [
        {"kind": "meter_stuck", "start": d(1, 6), "end": d(1, 18), "points": ["el.energy"]},
        {
            "kind": "meter_spike",
            "start": d(2, 9),
            "end": d(2, 9.25),
            "points": ["el.power"],
            "factor": 10,
        },
        {
            "kind": "meter_gap",
            "start": d(3, 0),
            "end": d(3, 4),
            "points": ["zone1.co2", "dh.power"],
        },
        {"kind": "counter_reset", "start": d(4, 12), "points": ["dh.energy"]},
    ]
    faulty = sim.single("office", faults)
    with_fault, without = sim.run(faulty, d(6)), sim.run(sim.single("office"), d(6))
    t = with_fault.times
    stuck = (t >= d(1, 6)) & (t < d(1, 18))
    assert len(set(with_fault["el.energy"][stuck].tolist())) == 1
    after = np.flatnonzero(t >= d(1, 18))[0]
    assert with_fault["el.energy"][after] == without["el.energy"][after]  # catches up
    spike = (t >= d(2, 9)) & (t < d(2, 9.25))
    assert spike.sum() == 1
    assert with_fault["el.power"][spike] == pytest.approx(10 * without["el.power"][spike], rel=1e-3)
    gap = (t >= d(3)) & (t < d(3, 4))
    assert np.isnan(with_fault["zone1.co2"][gap]).all()
    assert np.isnan(with_fault["dh.power"][gap]).all()
    assert not np.isnan(with_fault["zone2.co2"][gap]).any()
    reset = t >= d(4, 12)
    restarted = with_fault["dh.energy"][reset]
    assert restarted[0] < 50
    assert np.all(np.diff(restarted) >= 0)
    assert np.allclose(np.diff(restarted), np.diff(without["dh.energy"][reset]), atol=0.011)
    readings = faulty.buildings[0].advance(d(6) + 3600)
    assert all(r.value == r.value for r in readings)  # gaps become missing readings, never NaN
    truth = {f.kind: f for f in faulty.ground_truth()}
    assert set(truth) == {"meter_stuck", "meter_spike", "meter_gap", "counter_reset"}
    assert all(f.extra_energy_kwh == 0.0 for f in truth.values())
    assert truth["counter_reset"].end == truth["counter_reset"].start
    everything_else = [
        p
        for p in with_fault.block.points
        if p.point not in ("el.energy", "el.power", "zone1.co2", "dh.power", "dh.energy")
    ]
    for point in everything_else:
        assert np.array_equal(with_fault[point.point], without[point.point], equal_nan=True)


def test_ground_truth_lists_only_faults_that_have_begun(sim) -> None:
    faults = [
        {"kind": "after_hours_heating", "start": sim.day(1, 16), "end": sim.day(2, 5)},
        {"kind": "damper_stuck_open", "start": sim.day(6), "end": sim.day(7)},
    ]
    portfolio = sim.single("school", faults)
    sim.run(portfolio, sim.day(3))
    (begun,) = portfolio.ground_truth()
    assert begun.kind == "after_hours_heating"
    assert begun.accounted_until == pytest.approx(sim.day(3), abs=300)  # still counting recovery
    sim.run(portfolio, sim.day(7.5))
    assert [f.kind for f in portfolio.ground_truth()] == [
        "after_hours_heating",
        "damper_stuck_open",
    ]
