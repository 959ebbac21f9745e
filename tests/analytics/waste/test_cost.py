"""A finding's waste priced by hand-made series, and evidence a person can recompute it from."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.waste.co2 import Co2Factor
from analytics.waste.cost import price_waste
from analytics.waste.errors import PriceUnavailable
from analytics.waste.prices import PricedWith, PriceSeries, electricity_prices
from analytics.waste.sources import FilePrices
from analytics.waste.tariff import Carrier, Tariff

OSLO = ZoneInfo("Europe/Oslo")
HOUR = 3600.0
TARIFF = Tariff(
    flat_electricity_nok_per_kwh=1.25,
    grid_energy_nok_per_kwh=0.05,
    capacity_nok_per_kw_month=60.0,
    district_heat_nok_per_kwh=1.0,
    electricity_co2e=Co2Factor(0.136, "NS 3720:2018 European mix"),
    district_heat_co2e=Co2Factor(0.03, "the network's declaration"),
)
START = dt.datetime(2025, 10, 6, 18, tzinfo=OSLO).timestamp()
TIMES = START + HOUR * np.arange(4)
SPOT = np.array([1.0, 2.0, 0.5, 3.0])
WASTE = np.array([2.0, 4.0, 0.0, 10.0])
MEASURED = np.array([30.0, 80.0, 20.0, 50.0])


def spot(times: np.ndarray, prices: np.ndarray, area: str = "NO5") -> PricedWith:
    return PricedWith(
        spot=PriceSeries(area=area, times_s=times, nok_per_kwh=prices, origin="file p.csv")
    )


def recompute_nok(evidence: dict[str, Any]) -> float:
    """What a person does with the evidence and the formula it states."""
    if evidence["carrier"] == "district_heat":
        return float(evidence["waste_kwh"] * evidence["district_heat_nok_per_kwh"])
    return float(
        evidence["waste_kwh"] * evidence["energy_nok_per_kwh"]
        + evidence["waste_kwh"] * evidence["grid_energy_nok_per_kwh"]
        + evidence["capacity_nok_per_kw_month"] * sum(evidence["peak_rise_kw"].values())
    )


def test_electricity_with_spot_prices_grid_energy_and_a_raised_peak() -> None:
    cost = price_waste(
        carrier=Carrier.ELECTRICITY,
        area="NO5",
        times_s=TIMES,
        waste_kwh=WASTE,
        measured_kwh=MEASURED,
        tariff=TARIFF,
        prices=spot(TIMES, SPOT),
    )
    assert cost.energy_kwh == 16.0
    assert cost.hours == 3
    assert cost.energy_nok == pytest.approx(2 * 1.0 + 4 * 2.0 + 10 * 3.0)  # 40
    assert cost.grid_energy_nok == pytest.approx(16 * 0.05)
    # Peak 80 kW; without the waste 76 kW: the waste raised it by 4 kW.
    assert cost.capacity_nok == pytest.approx(60.0 * 4)
    assert cost.total_nok == pytest.approx(40 + 0.8 + 240)
    assert cost.co2e_kg == pytest.approx(16 * 0.136)
    evidence = cost.evidence()
    assert evidence["price_source"] == "spot NO5 from file p.csv"
    assert "price_note" not in evidence
    assert evidence["mean_spot_nok_per_kwh"] == 2.0  # the plain mean over the waste hours
    assert evidence["energy_nok_per_kwh"] == 2.5  # weighted by each hour's waste
    assert evidence["peak_rise_kw"] == {"2025-10": 4.0}
    assert evidence["peak_kw"] == {"2025-10": {"measured": 80.0, "without_waste": 76.0}}
    assert evidence["co2e_source"] == "NS 3720:2018 European mix"
    assert evidence["total_nok"] == 280.8
    assert recompute_nok(evidence) == pytest.approx(280.8)


def test_flat_default_holds_the_grid_energy_part_and_says_why() -> None:
    cost = price_waste(
        carrier=Carrier.ELECTRICITY,
        area="NO5",
        times_s=TIMES,
        waste_kwh=WASTE,
        measured_kwh=MEASURED,
        tariff=TARIFF,
        prices=PricedWith.flat("spot prices unavailable: HTTP 404"),
    )
    assert cost.energy_nok == pytest.approx(16 * 1.25)
    assert cost.grid_energy_nok == 0.0
    assert cost.capacity_nok == pytest.approx(240.0)  # a peak raised costs the same
    evidence = cost.evidence()
    assert evidence["price_source"] == "flat default"
    assert evidence["price_note"] == "spot prices unavailable: HTTP 404"
    assert "mean_spot_nok_per_kwh" not in evidence
    assert recompute_nok(evidence) == pytest.approx(cost.total_nok)


def test_no_prices_given_is_the_flat_default() -> None:
    cost = price_waste(
        carrier=Carrier.ELECTRICITY,
        area="NO5",
        times_s=TIMES,
        waste_kwh=WASTE,
        measured_kwh=np.array([30.0, 80.0, 120.0, 50.0]),  # the peak is not a waste hour
        tariff=TARIFF,
    )
    assert cost.total_nok == pytest.approx(20.0)
    assert cost.evidence()["price_note"] == "no spot price source is configured"


def test_district_heat_is_its_flat_rate_without_grid_or_capacity() -> None:
    cost = price_waste(
        carrier=Carrier.DISTRICT_HEAT,
        area="NO5",
        times_s=TIMES,
        waste_kwh=WASTE,
        measured_kwh=MEASURED,
        tariff=TARIFF,
        prices=spot(TIMES, SPOT),
    )
    assert (cost.energy_nok, cost.grid_energy_nok, cost.capacity_nok) == (16.0, 0.0, 0.0)
    assert cost.co2e_kg == pytest.approx(0.48)
    evidence = cost.evidence()
    assert evidence["price_source"] == "district-heat tariff"
    assert evidence["district_heat_nok_per_kwh"] == 1.0
    assert evidence["co2e_source"] == "the network's declaration"
    assert "peak_rise_kw" not in evidence
    assert recompute_nok(evidence) == pytest.approx(16.0)


def test_capacity_over_two_months_and_evidence_that_recomputes() -> None:
    rng = np.random.default_rng(7)
    start = dt.datetime(2025, 10, 30, 0, tzinfo=OSLO).timestamp()
    times = start + HOUR * np.arange(96)  # 30 October to 2 November
    measured = rng.uniform(20.0, 60.0, 96)
    waste = np.zeros(96)
    waste[40:44] = rng.uniform(1.0, 5.0, 4)  # 31 October, 16:00-20:00
    waste[70:80] = rng.uniform(1.0, 5.0, 10)  # 1 November, 22:00 - 2 November, 08:00
    measured[41] = 90.0  # October's peak is a waste hour
    measured[75] = 95.0  # and November's
    prices = rng.uniform(-0.05, 3.0, 96)  # spot prices may be negative
    cost = price_waste(
        carrier=Carrier.ELECTRICITY,
        area="NO5",
        times_s=times,
        waste_kwh=waste,
        measured_kwh=measured,
        tariff=TARIFF,
        prices=spot(times, prices),
    )
    evidence = json.loads(json.dumps(cost.evidence()))
    assert set(evidence["peak_rise_kw"]) == {"2025-10", "2025-11"}
    assert all(rise > 0 for rise in evidence["peak_rise_kw"].values())
    assert cost.energy_nok == pytest.approx(float(np.dot(waste, prices)))
    assert recompute_nok(evidence) == pytest.approx(evidence["total_nok"], abs=0.01)


def test_both_hours_of_the_autumn_clock_change_keep_their_own_price(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(
        "time,area,nok_per_kwh\n"
        "2025-10-26T01:00:00+02:00,NO5,1.0\n"
        "2025-10-26T02:00:00+02:00,NO5,2.0\n"
        "2025-10-26T02:00:00+01:00,NO5,4.0\n"
        "2025-10-26T03:00:00+01:00,NO5,8.0\n"
    )
    times = dt.datetime(2025, 10, 25, 23, tzinfo=dt.UTC).timestamp() + HOUR * np.arange(4)
    waste = np.array([0.0, 1.0, 1.0, 0.0])
    priced = electricity_prices(FilePrices(path), area="NO5", times_s=times, waste_kwh=waste)
    cost = price_waste(
        carrier=Carrier.ELECTRICITY,
        area="NO5",
        times_s=times,
        waste_kwh=waste,
        measured_kwh=np.full(4, 10.0),
        tariff=TARIFF,
        prices=priced,
    )
    assert cost.energy_nok == pytest.approx(6.0)
    assert cost.evidence()["price_source"] == f"spot NO5 from file {path}"


def test_spot_prices_of_another_area_are_refused() -> None:
    with pytest.raises(ValueError, match="NO1 given for NO5"):
        price_waste(
            carrier=Carrier.ELECTRICITY,
            area="NO5",
            times_s=TIMES,
            waste_kwh=WASTE,
            measured_kwh=MEASURED,
            tariff=TARIFF,
            prices=spot(TIMES, SPOT, area="NO1"),
        )


def test_a_series_without_a_waste_hour_is_unavailable_not_zero() -> None:
    with pytest.raises(PriceUnavailable):
        price_waste(
            carrier=Carrier.ELECTRICITY,
            area="NO5",
            times_s=TIMES,
            waste_kwh=WASTE,
            measured_kwh=MEASURED,
            tariff=TARIFF,
            prices=spot(TIMES[:2], SPOT[:2]),
        )


@pytest.mark.parametrize(
    ("times", "waste", "measured", "message"),
    [
        (TIMES, WASTE, MEASURED[:3], "of one length"),
        (TIMES + 60.0, WASTE, MEASURED, "whole-hour starts"),
        (TIMES[::-1], WASTE, MEASURED, "strictly increasing"),
        (TIMES, -WASTE, MEASURED, ">= 0"),
        (TIMES, WASTE, WASTE - 1.0, "exceeds measured_kwh"),
        (TIMES, WASTE, np.array([30.0, np.nan, 20.0, 50.0]), "measured_kwh must be finite"),
    ],
)
def test_inconsistent_input_is_refused(
    times: np.ndarray, waste: np.ndarray, measured: np.ndarray, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        price_waste(
            carrier=Carrier.ELECTRICITY,
            area="NO5",
            times_s=times,
            waste_kwh=waste,
            measured_kwh=measured,
            tariff=TARIFF,
        )


def test_a_bad_area_is_refused() -> None:
    with pytest.raises(ValueError, match="Bergen is NO5"):
        price_waste(
            carrier=Carrier.ELECTRICITY,
            area="Bergen",
            times_s=TIMES,
            waste_kwh=WASTE,
            measured_kwh=MEASURED,
            tariff=TARIFF,
        )
