"""Health from a building's analysis: the evaluation's view (every detection open) and the
inputs it is made of, on simulated buildings."""

from __future__ import annotations

import dataclasses

import numpy as np

from analytics.daily_health import health_of, meter_completeness, zone_climate
from analytics.pipeline import analyse
from byggpuls.reading import BuildingInfo
from tests.analytics.test_plant import END_S, SCORE_FROM_S, simulated

SCHOOL = BuildingInfo(id="b", name="Skole", type="school")


def test_ventilation_left_on_costs_energy_points_and_a_healthy_school_keeps_them() -> None:
    fault = {
        "kind": "after_hours_ventilation",
        "start": SCORE_FROM_S + 4 * 86_400 + 15 * 3600,
        "end": SCORE_FROM_S + 7 * 86_400 + 5 * 3600,
    }
    scores = {}
    for name, faults in (("faulty", [fault]), ("healthy", [])):
        data = simulated("school", 3, faults)
        found = analyse(data, score_from_s=SCORE_FROM_S).detections
        health = health_of(
            building=SCHOOL, data=data, detections=found, start_s=SCORE_FROM_S, end_s=END_S
        )
        scores[name] = health
    faulty, healthy = scores["faulty"], scores["healthy"]
    assert faulty.score is not None
    assert healthy.score is not None
    assert faulty.score < healthy.score
    energy = {p.name: p for p in faulty.parts}["energy"]
    assert energy.score is not None
    assert energy.score < 100.0
    assert "utenfor åpningstid" in energy.reasons[0].text_nb


def test_zones_are_judged_in_opening_hours_and_a_gym_in_its_own_band() -> None:
    data = simulated("school", 3, [])
    zones = {z.zone: z for z in zone_climate(data, start_s=SCORE_FROM_S, end_s=END_S)}
    assert "Gymsal" in zones
    assert (zones["Gymsal"].low_c, zones["Gymsal"].high_c) == (16.0, 26.0)
    classroom = zones["Klasserom 1. etasje"]
    assert classroom.low_c == 19.0
    # Two weeks of a school's opening hours: 10 days x 10 hours, nights and weekends left out.
    assert classroom.occupied_hours == 100.0
    assert classroom.in_band_hours / classroom.occupied_hours > 0.95


def test_missing_meter_hours_lower_the_completeness() -> None:
    data = simulated("school", 3, [])
    assert meter_completeness(data, END_S) == 1.0
    lost = data.meters[0].energy_kwh.copy()
    lost[-84:] = np.nan  # half of the last week's hours of one of two meters
    meter = dataclasses.replace(data.meters[0], energy_kwh=lost)
    holed = dataclasses.replace(data, meters=(meter, *data.meters[1:]))
    assert meter_completeness(holed, END_S) == 0.75
