"""Hourly price series, 15-minute to hourly means, and the fallback to the flat price."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.waste.errors import PriceUnavailable
from analytics.waste.prices import (
    NO_SOURCE,
    PricedWith,
    PriceSeries,
    check_area,
    electricity_prices,
    hourly_mean,
)
from analytics.waste.sources import FilePrices

OSLO = ZoneInfo("Europe/Oslo")
HOUR = 3600.0


def at(*args: int) -> float:
    return dt.datetime(*args, tzinfo=OSLO).timestamp()


def series(start_s: float, prices: list[float], area: str = "NO5") -> PriceSeries:
    times = start_s + HOUR * np.arange(len(prices), dtype=np.float64)
    return PriceSeries(
        area=area, times_s=times, nok_per_kwh=np.array(prices, dtype=np.float64), origin="test"
    )


@pytest.mark.parametrize(("given", "expected"), [("NO5", "NO5"), ("no1", "NO1"), (" NO3 ", "NO3")])
def test_check_area_accepts_the_five_norwegian_areas(given: str, expected: str) -> None:
    assert check_area(given) == expected


@pytest.mark.parametrize("bad", ["NO6", "SE3", "", "Bergen"])
def test_check_area_says_what_to_set(bad: str) -> None:
    with pytest.raises(ValueError, match=r"one of NO1, NO2, NO3, NO4, NO5 \(Bergen is NO5\)"):
        check_area(bad)


def test_quarter_hours_become_their_hourly_mean() -> None:
    start = at(2025, 10, 1, 0)
    times = start + 900.0 * np.arange(8)
    prices = np.array([1.0, 2.0, 3.0, 4.0, 0.5, 0.5, 0.5, 1.3])
    hours, means = hourly_mean(times, prices)
    np.testing.assert_array_equal(hours, [start, start + HOUR])
    np.testing.assert_allclose(means, [2.5, 0.7])


def test_hourly_prices_stay_as_they_are_and_come_out_sorted() -> None:
    start = at(2025, 9, 30, 0)
    hours, means = hourly_mean(
        np.array([start + HOUR, start], dtype=np.float64), np.array([0.9, 1.1])
    )
    np.testing.assert_array_equal(hours, [start, start + HOUR])
    np.testing.assert_allclose(means, [1.1, 0.9])


def test_series_looks_up_hours_and_names_the_first_missing_one() -> None:
    prices = series(at(2025, 10, 1, 0), [1.0, 2.0, 3.0])
    start = at(2025, 10, 1, 0)
    np.testing.assert_allclose(prices.at(np.array([start + 2 * HOUR, start])), [3.0, 1.0])
    with pytest.raises(PriceUnavailable, match=r"2025-10-01T01:00\+00:00.*2 hours missing"):
        prices.at(np.array([start + HOUR, start + 3 * HOUR, start + 4 * HOUR]))
    assert prices.between(start + HOUR, start + 3 * HOUR).nok_per_kwh.tolist() == [2.0, 3.0]


def test_series_refuses_times_that_are_not_whole_hours() -> None:
    with pytest.raises(ValueError, match="whole-hour"):
        PriceSeries(
            area="NO5", times_s=np.array([900.0]), nok_per_kwh=np.array([1.0]), origin="test"
        )


def test_without_a_source_the_flat_default_says_so() -> None:
    times = np.array([at(2025, 10, 1, 22)])
    priced = electricity_prices(None, area="NO5", times_s=times, waste_kwh=np.array([3.0]))
    assert priced.spot is None
    assert priced.source == "flat default"
    assert priced.because == NO_SOURCE


def write_prices(path: Path, start_s: float, prices: list[float], area: str = "NO5") -> Path:
    rows = ["time,area,nok_per_kwh"]
    for n, price in enumerate(prices):
        moment = dt.datetime.fromtimestamp(start_s + n * HOUR, OSLO).isoformat()
        rows.append(f"{moment},{area},{price}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_spot_prices_are_used_when_the_source_has_every_waste_hour(tmp_path: Path) -> None:
    start = at(2025, 10, 1, 0)
    source = FilePrices(write_prices(tmp_path / "p.csv", start, [1.0, 2.0, 3.0, 4.0]))
    times = start + HOUR * np.arange(6)
    # Waste only in the hours the file has: the hours without waste need no price.
    waste = np.array([0.0, 1.0, 0.0, 2.0, 0.0, 0.0])
    priced = electricity_prices(source, area="NO5", times_s=times, waste_kwh=waste)
    assert priced.spot is not None
    assert priced.source == f"spot NO5 from file {tmp_path / 'p.csv'}"
    assert priced.because == ""


def test_a_missing_hour_falls_back_to_the_flat_default_and_says_why(tmp_path: Path) -> None:
    start = at(2025, 10, 1, 0)
    source = FilePrices(write_prices(tmp_path / "p.csv", start, [1.0, 2.0]))
    times = start + HOUR * np.arange(3)
    priced = electricity_prices(source, area="NO5", times_s=times, waste_kwh=np.ones(3))
    assert priced == PricedWith.flat(priced.because)
    assert priced.because.startswith("spot prices unavailable: no NO5 spot price for the hour")


def test_another_area_in_the_file_is_not_taken_for_ours(tmp_path: Path) -> None:
    start = at(2025, 10, 1, 0)
    source = FilePrices(write_prices(tmp_path / "p.csv", start, [1.0], area="NO1"))
    priced = electricity_prices(
        source, area="NO5", times_s=np.array([start]), waste_kwh=np.array([1.0])
    )
    assert priced.spot is None
    assert "has no prices for NO5" in priced.because


def test_a_bad_area_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    source = FilePrices(write_prices(tmp_path / "p.csv", at(2025, 10, 1, 0), [1.0]))
    with pytest.raises(ValueError, match="not 'NO9'"):
        electricity_prices(
            source, area="NO9", times_s=np.array([at(2025, 10, 1, 0)]), waste_kwh=np.ones(1)
        )
