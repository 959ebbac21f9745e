"""The zone evaluation on a small simulated portfolio: the detectors find injected faults."""

from __future__ import annotations

import datetime as dt

from bench.evaluation.zones import (
    building_zones,
    find_zone_episodes,
    matches,
    score_kind,
)
from byggpuls.reading import BuildingType
from simulation.building import SimulatedBuilding
from simulation.faults import FaultKind, FaultSpec, GroundTruthFault
from simulation.profiles import build_model
from simulation.variability import VariabilityConfig, resolve
from simulation.weather import Weather

DAY = 86_400.0
H = 3_600.0
START_S = dt.datetime(2025, 11, 3, tzinfo=dt.UTC).timestamp()
DAYS = 35
SCORE_FROM_S = START_S + 21 * DAY


def run(
    btype: BuildingType, seed: int, faults: list[FaultSpec]
) -> tuple[list, list[GroundTruthFault]]:
    model = build_model(
        building_id=f"b{seed}",
        building_type=btype,
        seed=seed,
        variability=resolve(VariabilityConfig(), seed=seed),
    )
    building = SimulatedBuilding(
        model,
        Weather(seed=9, origin_s=START_S - DAY),
        start_s=START_S,
        interval_s=900,
        faults=faults,
    )
    block = building.advance_block(START_S + DAYS * DAY)
    data = building_zones(
        building=block.building,
        building_type=btype.value,
        times_s=block.times_s,
        names=[p.point for p in block.points],
        values=block.values,
        start_s=START_S,
        end_s=START_S + DAYS * DAY,
    )
    found = find_zone_episodes(data, score_from_s=SCORE_FROM_S)
    return found, building.faults


def test_the_detectors_find_an_open_window_and_a_raised_setpoint() -> None:
    # A window open for three nights (the simulator's default airflow) in one school's zone,
    # a setpoint raised by 3 K in a kindergarten.
    window = FaultSpec(
        FaultKind.WINDOW_OPEN,
        SCORE_FROM_S + 2 * DAY + 14 * H,
        SCORE_FROM_S + 5 * DAY + 6 * H,
        zone="zone2",
        opening_m3_h=None,
    )
    setpoint = FaultSpec(
        FaultKind.SETPOINT_TOO_HIGH,
        SCORE_FROM_S + 1 * DAY + 8 * H,
        SCORE_FROM_S + 9 * DAY,
        zone="zone1",
        delta_c=3.0,
    )
    school, school_truth = run(BuildingType.SCHOOL, 11, [window])
    kinder, kinder_truth = run(BuildingType.KINDERGARTEN, 12, [setpoint])
    findings, truth = school + kinder, school_truth + kinder_truth
    assert any(matches(f, r) for f in findings for r in truth if r.kind == "window_open")
    assert any(matches(f, r) for f in findings for r in truth if r.kind == "setpoint_too_high")
    figures = score_kind(
        "setpoint_too_high",
        findings,
        truth,
        score_from_s=SCORE_FROM_S,
        building_months=2 * DAYS / 30.4,
    )
    assert figures["precision"] == 1.0
    assert figures["recall"] == 1.0
    assert figures["heat_error_n"] == 1


def test_a_building_without_faults_raises_no_zone_finding() -> None:
    findings, _ = run(BuildingType.SCHOOL, 13, [])
    assert findings == []
