"""The energy references: the published figures, the year they need, and the scale they set."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.findings import KIND_TEXT
from analytics.health.reference import (
    KINDS,
    MIN_DAYS_FOR_INTENSITY,
    REFERENCES,
    Category,
    EnergyReference,
    Severity,
    annual_intensity_kwh_m2,
    classify,
    intensity_score,
    reference_for,
)
from byggpuls.reading import BuildingType


@pytest.mark.parametrize(
    ("building_type", "frame", "stock"),
    [
        # TEK17 § 14-2 (1), table Energirammer; SSB entjeneste 2011, table 1 (delivered).
        (BuildingType.SCHOOL, 110.0, 163.0),
        (BuildingType.KINDERGARTEN, 135.0, 163.0),
        (BuildingType.NURSING_HOME, 195.0, 256.0),
        (BuildingType.OFFICE, 115.0, 229.0),
        (BuildingType.SPORTS_HALL, 145.0, 232.0),
    ],
)
def test_the_references_are_the_published_figures(
    building_type: BuildingType, frame: float, stock: float
) -> None:
    reference = reference_for(building_type)
    assert reference is not None
    assert (reference.frame_kwh_m2, reference.stock_kwh_m2) == (frame, stock)
    assert reference.frame_category
    assert reference.stock_category


def test_other_and_unknown_types_have_no_reference() -> None:
    assert reference_for(BuildingType.OTHER) is None
    assert reference_for("lighthouse") is None
    assert set(REFERENCES) == set(BuildingType) - {BuildingType.OTHER}


def test_a_frame_above_the_stock_is_refused() -> None:
    with pytest.raises(ValueError, match="below the stock"):
        EnergyReference(BuildingType.OFFICE, 250.0, "Kontorbygning", 229.0, "31 Kontorbygning")


def test_intensity_needs_a_whole_year_and_the_floor_area() -> None:
    short = MIN_DAYS_FOR_INTENSITY - 1
    assert annual_intensity_kwh_m2(energy_kwh=1e5, days=short, floor_area_m2=1000.0) is None
    assert annual_intensity_kwh_m2(energy_kwh=1e5, days=365, floor_area_m2=None) is None
    assert annual_intensity_kwh_m2(energy_kwh=1e5, days=365, floor_area_m2=0.0) is None
    # 100 000 kWh over a year on 1000 m²: 100 kWh/m²; two years of twice that: the same.
    assert annual_intensity_kwh_m2(energy_kwh=1e5, days=365, floor_area_m2=1000.0) == 100.0
    two_years = annual_intensity_kwh_m2(energy_kwh=2e5, days=730, floor_area_m2=1000.0)
    assert two_years == pytest.approx(100.0)


def test_the_scale_worked_by_hand_for_a_school() -> None:
    school = REFERENCES[BuildingType.SCHOOL]  # frame 110, stock 163
    assert intensity_score(intensity_kwh_m2=90.0, reference=school) == 100.0
    assert intensity_score(intensity_kwh_m2=110.0, reference=school) == 100.0
    # Halfway from frame to stock: 136.5 kWh/m² scores 75.
    assert intensity_score(intensity_kwh_m2=136.5, reference=school) == pytest.approx(75.0)
    assert intensity_score(intensity_kwh_m2=163.0, reference=school) == pytest.approx(50.0)
    # 1.2 x the stock: 50 x (326 - 195.6) / 163 = 40.
    assert intensity_score(intensity_kwh_m2=195.6, reference=school) == pytest.approx(40.0)
    assert intensity_score(intensity_kwh_m2=326.0, reference=school) == 0.0
    assert intensity_score(intensity_kwh_m2=900.0, reference=school) == 0.0


@settings(deadline=None)
@given(
    st.sampled_from(sorted(REFERENCES, key=str)),
    st.floats(0.0, 2000.0),
    st.floats(0.0, 2000.0),
)
def test_the_scale_never_rises_with_use_and_stays_within_0_100(
    building_type: BuildingType, a: float, b: float
) -> None:
    reference = REFERENCES[building_type]
    low, high = sorted((a, b))
    score_low = intensity_score(intensity_kwh_m2=low, reference=reference)
    score_high = intensity_score(intensity_kwh_m2=high, reference=reference)
    assert 0.0 <= score_high <= score_low <= 100.0


@pytest.mark.parametrize("building_type", sorted(REFERENCES, key=str))
def test_the_scale_is_continuous_at_its_corners(building_type: BuildingType) -> None:
    reference = REFERENCES[building_type]
    for corner in (reference.frame_kwh_m2, reference.stock_kwh_m2, 2 * reference.stock_kwh_m2):
        below = intensity_score(intensity_kwh_m2=corner - 1e-6, reference=reference)
        above = intensity_score(intensity_kwh_m2=corner + 1e-6, reference=reference)
        assert below == pytest.approx(above, abs=1e-4)


def test_every_kind_the_analytics_report_is_classified() -> None:
    assert set(KIND_TEXT) <= set(KINDS)
    assert classify("meter_fault") == (Category.DATA_QUALITY, Severity.MEDIUM)
    assert classify("after_hours_operation") == (Category.ENERGY, Severity.MEDIUM)
    # A kind the table does not know yet is a technical fault of medium weight.
    assert classify("ahu_valve_leak") == (Category.EQUIPMENT, Severity.MEDIUM)
    for _, _, label_nb, label_en in KINDS.values():
        assert label_nb
        assert label_en
