"""The rooms and the plant in the analysis of a simulated building: a raised setpoint and a
damper stuck open are found on their own points, a raised setpoint's heat is waste on the heat
meter, and a fan left running is named as the cause of the after-hours finding it explains."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from analytics.building import BuildingData
from analytics.pipeline import analyse
from bench.evaluation.portfolio import building_data
from simulation import Portfolio

DAY_S = 86_400.0
START_S = dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp()  # a Monday, heating season
END_S = START_S + 35 * DAY_S
SCORE_FROM_S = START_S + 21 * DAY_S


def simulated(building_type: str, seed: int, faults: list[dict[str, Any]]) -> BuildingData:
    config = {
        "seed": 1,
        "start": START_S,
        "interval_s": 900,
        "buildings": [{"id": "b", "type": building_type, "seed": seed, "faults": faults}],
    }
    block = Portfolio.from_config(config).buildings[0].advance_block(END_S)
    return building_data(
        building="b",
        building_type=building_type,
        times_s=block.times_s,
        points=block.points,
        values=block.values,
        start_s=START_S,
        end_s=END_S,
    )


def test_a_raised_setpoint_is_found_on_its_zone_with_its_heat_as_waste() -> None:
    fault = {
        "kind": "setpoint_too_high",
        "start": SCORE_FROM_S + DAY_S + 8 * 3600,
        "end": SCORE_FROM_S + 9 * DAY_S,
        "zone": "zone1",
        "delta_c": 3.0,
    }
    data = simulated("kindergarten", 12, [fault])
    found = analyse(data, score_from_s=SCORE_FROM_S).detections
    zones = [d for d in found if d.kind in ("setpoint_too_high", "window_open")]
    assert [d.kind for d in zones] == ["setpoint_too_high"]
    (setpoint,) = zones
    assert setpoint.points == ("dh.power", "zone1.air_temp", "zone1.air_temp_setpoint")
    assert setpoint.carrier == "heat"
    assert setpoint.extra["zone"] == "zone1"
    assert setpoint.detail.startswith("Avdeling Blåbær: ")  # the zone as people call it
    assert fault["start"] <= setpoint.start_s < fault["end"]
    assert setpoint.own_waste_kwh > 0
    np.testing.assert_allclose(
        setpoint.waste_kwh, setpoint.measured_kwh - setpoint.baseline_kwh, atol=1e-9
    )
    # No hour's heat is counted twice: the zone's hours are not another finding's on the meter.
    for other in found:
        if other is not setpoint:
            hours, _ = other.waste_of("heat")
            assert not np.isin(hours, setpoint.hours_s).any()


def test_a_damper_stuck_open_is_found_on_its_unit() -> None:
    fault = {"kind": "damper_stuck_open", "start": SCORE_FROM_S + 2 * DAY_S, "end": END_S}
    data = simulated("office", 21, [fault])
    found = analyse(data, score_from_s=SCORE_FROM_S).detections
    dampers = [d for d in found if d.kind == "damper_out_of_position"]
    assert dampers
    assert all("ahu1.outdoor_air_damper" in d.points for d in dampers)
    assert dampers[0].extra["unit"] == "ahu1"
    assert dampers[0].extra["fault_condition"].startswith("G36")
    assert fault["start"] <= dampers[0].start_s


def test_a_fan_left_on_is_named_in_the_after_hours_finding_not_found_twice() -> None:
    fault = {
        "kind": "after_hours_ventilation",
        "start": SCORE_FROM_S + 4 * DAY_S + 15 * 3600,  # Friday afternoon
        "end": SCORE_FROM_S + 7 * DAY_S + 5 * 3600,  # to Monday morning
    }
    data = simulated("school", 3, [fault])
    found = analyse(data, score_from_s=SCORE_FROM_S).detections
    (operation,) = [d for d in found if d.kind == "after_hours_operation"]
    assert any(
        cause.startswith("ahu1: fan_outside_hours") for cause in operation.extra["equipment"]
    )
    assert [d for d in found if d.kind == "fan_outside_hours"] == []


def test_a_healthy_building_has_no_room_or_plant_finding() -> None:
    for building_type, seed in (("school", 5), ("kindergarten", 12), ("office", 21)):
        found = analyse(simulated(building_type, seed, []), score_from_s=SCORE_FROM_S).detections
        assert found == [], building_type
