"""CO2e factors carry their source and refuse values in the wrong unit."""

from __future__ import annotations

import pytest

from analytics.waste.co2 import Co2Factor


def test_emissions_are_energy_times_factor() -> None:
    assert Co2Factor(0.136, "NS 3720:2018").co2e_kg(250.0) == pytest.approx(34.0)


@pytest.mark.parametrize("bad", [136.0, -0.1, float("nan")])
def test_a_factor_in_grams_or_negative_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match=r"kg per kWh.*136 g/kWh is 0.136"):
        Co2Factor(bad, "somewhere")


def test_a_factor_needs_its_source() -> None:
    with pytest.raises(ValueError, match="say where"):
        Co2Factor(0.1, "  ")
