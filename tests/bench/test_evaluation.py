"""The matching of findings with injected faults, and the figures made of it."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.pipeline import Detection
from bench.evaluation.portfolio import evaluate, overlaps
from simulation.faults import GroundTruthFault

H = 3600.0
DAY = 86_400.0
SCORE_FROM_S = 21 * DAY


def finding(
    kind: str,
    start_h: float,
    end_h: float,
    *,
    building: str = "skole-01",
    carrier: str | None = "electricity",
    waste_kwh_per_hour: float = 5.0,
) -> Detection:
    hours = np.arange(SCORE_FROM_S + start_h * H, SCORE_FROM_S + end_h * H, H)
    return Detection(
        building=building,
        kind=kind,
        points=("el.power",),
        carrier=carrier,  # type: ignore[arg-type]
        start_s=SCORE_FROM_S + start_h * H,
        end_s=SCORE_FROM_S + end_h * H,
        score=1.0,
        detail="",
        hours_s=hours,
        waste_kwh=np.full(hours.shape, waste_kwh_per_hour),
    )


def fault(
    kind: str,
    start_h: float,
    end_h: float,
    *,
    building: str = "skole-01",
    electricity_kwh: float = 0.0,
    heat_kwh: float = 0.0,
    points: tuple[str, ...] = (),
    is_fault: bool = True,
) -> GroundTruthFault:
    return GroundTruthFault(
        building=building,
        kind=kind,
        start=SCORE_FROM_S + start_h * H,
        end=SCORE_FROM_S + end_h * H,
        points=points,
        extra_energy_kwh=electricity_kwh + heat_kwh,
        extra_electricity_kwh=electricity_kwh,
        extra_heat_kwh=heat_kwh,
        fault=is_fault,
    )


def test_overlap_needs_the_same_building_and_time() -> None:
    record = fault("after_hours_ventilation", 10, 20)
    assert overlaps(finding("after_hours_operation", 19, 30), record)
    assert not overlaps(finding("after_hours_operation", 20, 30), record)
    assert not overlaps(finding("after_hours_operation", 12, 14, building="bhg-01"), record)


def test_an_instant_fault_overlaps_the_finding_around_it() -> None:
    reset = fault("counter_reset", 10, 10, points=("el.energy",))
    assert overlaps(finding("meter_fault", 9, 11, carrier=None), reset)
    assert not overlaps(finding("meter_fault", 11, 12, carrier=None), reset)


def test_recall_precision_and_f1_of_a_primary_pair() -> None:
    truth = [
        fault("after_hours_ventilation", 10, 100, electricity_kwh=100.0),
        fault("after_hours_ventilation", 200, 300, electricity_kwh=100.0),
    ]
    found = [
        finding("after_hours_operation", 12, 32),  # right: 20 h x 5 kWh
        finding("after_hours_operation", 500, 510),  # overlaps nothing: a false alarm
    ]
    figures = evaluate(found, truth, score_from_s=SCORE_FROM_S, building_months=2.0)
    row = figures["primary"]["after_hours_ventilation"]
    assert row["precision"] == 0.5
    assert row["recall"] == 0.5
    assert row["f1"] == 0.5
    assert row["delay_h_median"] == 2.0
    # 100 kWh priced against 100 kWh injected.
    assert row["waste_error_electricity_median"] == 0.0
    assert figures["false_alarms"] == 1
    assert figures["false_alarms_per_building_month"] == 0.5


def test_a_finding_of_a_kind_that_may_not_report_the_fault_is_wrong() -> None:
    truth = [fault("setpoint_too_high", 10, 100, heat_kwh=50.0)]
    found = [finding("baseload_drift", 12, 20)]
    figures = evaluate(found, truth, score_from_s=SCORE_FROM_S, building_months=1.0)
    assert figures["by_fault_kind"]["setpoint_too_high"]["recall"] == 0.0
    assert figures["by_finding_kind"]["baseload_drift"]["precision"] == 0.0
    # It overlaps an injected fault, so it is a wrong finding but not a false alarm.
    assert figures["false_alarms"] == 0


def test_faults_before_the_scoring_start_are_not_counted_for_recall() -> None:
    truth = [fault("baseload_drift", -48, 100)]
    figures = evaluate([], truth, score_from_s=SCORE_FROM_S, building_months=1.0)
    assert figures["by_fault_kind"]["baseload_drift"]["injected"] == 0
    assert figures["by_fault_kind"]["baseload_drift"]["recall"] is None


def test_false_alarms_on_legitimate_use_are_counted_apart() -> None:
    truth = [fault("legitimate_use", 50, 54, is_fault=False)]
    found = [finding("after_hours_operation", 50, 53), finding("unusual_day", 80, 90)]
    figures = evaluate(found, truth, score_from_s=SCORE_FROM_S, building_months=1.0)
    assert figures["false_alarms"] == 2
    assert figures["false_alarms_from_legitimate_use"] == 1


def test_waste_on_a_faulty_meter_is_counted_and_meter_faults_are_recalled() -> None:
    truth = [
        fault("meter_stuck", 10, 40, points=("el.power",)),
        fault("meter_gap", 100, 120, points=("dh.energy",)),
    ]
    found = [
        finding("meter_fault", 10, 40, carrier=None),
        finding("after_hours_operation", 20, 30),  # priced on the stuck meter
        finding("heating_out_of_line", 105, 110, carrier="heat"),  # on the silent heat meter
    ]
    figures = evaluate(found, truth, score_from_s=SCORE_FROM_S, building_months=1.0)
    assert figures["meter_recall"] == 0.5
    assert figures["meter_faults_priced_as_waste"] == 2
    assert figures["by_finding_kind"]["meter_fault"]["precision"] == 1.0


@pytest.mark.parametrize(("priced_per_hour", "error"), [(1.25, -0.5), (5.0, 1.0)])
def test_waste_error_counts_only_the_hours_of_the_fault(
    priced_per_hour: float, error: float
) -> None:
    # The fault's extra energy counts up to a day after its end; the finding runs well past.
    truth = [fault("baseload_drift", 0, 16, electricity_kwh=100.0)]
    found = [finding("baseload_drift", 0, 100, waste_kwh_per_hour=priced_per_hour)]
    figures = evaluate(found, truth, score_from_s=SCORE_FROM_S, building_months=1.0)
    # 40 hours (16 + 24) x priced_per_hour against 100 kWh.
    assert figures["by_fault_kind"]["baseload_drift"]["waste_error_electricity_median"] == error
