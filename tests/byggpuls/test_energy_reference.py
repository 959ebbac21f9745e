"""The energy references of the building categories: one table, shared by analytics and API."""

from __future__ import annotations

import pytest

from analytics.health import reference as health_reference
from byggpuls import energy_reference
from byggpuls.energy_reference import REFERENCES, EnergyReference, reference_for
from byggpuls.reading import BuildingType


def test_every_category_but_other_has_a_frame_below_the_stock() -> None:
    assert set(REFERENCES) == set(BuildingType) - {BuildingType.OTHER}
    for building_type, reference in REFERENCES.items():
        assert reference.building_type is building_type
        assert 0 < reference.frame_kwh_m2 < reference.stock_kwh_m2
    assert reference_for("school") == EnergyReference(
        BuildingType.SCHOOL, 110.0, "Skolebygning", 163.0, "61 Skolebygning"
    )
    assert reference_for("other") is None
    assert reference_for("lighthouse") is None
    with pytest.raises(ValueError, match="below the stock"):
        EnergyReference(BuildingType.OFFICE, 250.0, "Kontorbygning", 229.0, "31 Kontorbygning")


def test_the_health_score_judges_against_the_same_table() -> None:
    for name in ("REFERENCES", "EnergyReference", "reference_for", "TEK17_SOURCE", "SSB_SOURCE"):
        assert getattr(health_reference, name) is getattr(energy_reference, name)
