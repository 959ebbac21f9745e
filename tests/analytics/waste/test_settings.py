"""The pricing settings of ``analytics.settings``: defaults, and bad values refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.settings import AnalyticsSettings
from byggpuls.errors import ConfigError
from byggpuls.settings import load


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's own BYGGPULS_ANALYTICS_* variables must not leak into these tests."""
    for name in [
        "BYGGPULS_ANALYTICS_PRICE_AREA",
        "BYGGPULS_ANALYTICS_SPOT_PRICE_FILE",
        "BYGGPULS_ANALYTICS_SPOT_PRICE_URL",
        "BYGGPULS_ANALYTICS_ELECTRICITY_CO2E_KG_PER_KWH",
        "BYGGPULS_ANALYTICS_ELECTRICITY_CO2E_SOURCE",
    ]:
        monkeypatch.delenv(name, raising=False)


def test_defaults_price_a_bergen_building() -> None:
    settings = load(AnalyticsSettings)
    assert settings.analytics_price_area == "NO5"
    assert settings.analytics_electricity_price_nok_per_kwh == 1.25
    assert settings.analytics_spot_price_file is None
    assert settings.analytics_spot_price_url is None
    assert 0.05 <= settings.analytics_grid_energy_nok_per_kwh <= 0.15
    assert 50 <= settings.analytics_grid_capacity_nok_per_kw_month <= 150
    assert 0.8 <= settings.analytics_district_heat_nok_per_kwh <= 1.2
    assert "NS 3720:2018" in settings.analytics_electricity_co2e_source


def test_the_area_is_read_from_the_environment_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_ANALYTICS_PRICE_AREA", "no1")
    assert load(AnalyticsSettings).analytics_price_area == "NO1"


def test_a_bad_area_stops_the_service_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_ANALYTICS_PRICE_AREA", "NO6")
    with pytest.raises(ConfigError) as raised:
        load(AnalyticsSettings)
    assert "BYGGPULS_ANALYTICS_PRICE_AREA: use the price area" in str(raised.value)
    assert "one of NO1, NO2, NO3, NO4, NO5 (Bergen is NO5), not 'NO6'" in str(raised.value)


def test_a_bad_url_template_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_ANALYTICS_SPOT_PRICE_URL", "https://example.org/{year}.json")
    with pytest.raises(ConfigError, match=r"SPOT_PRICE_URL: .*lacks \{area\}, \{day\}, \{month\}"):
        load(AnalyticsSettings)


def test_a_missing_price_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SPOT_PRICE_FILE: no such file"):
        load(AnalyticsSettings, analytics_spot_price_file=tmp_path / "gone.csv")


def test_file_and_url_together_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("time,area,nok_per_kwh\n")
    with pytest.raises(ConfigError, match="not both"):
        load(
            AnalyticsSettings,
            analytics_spot_price_file=path,
            analytics_spot_price_url="https://example.org/{year}/{month}-{day}_{area}.json",
        )


def test_a_changed_co2e_factor_needs_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_ANALYTICS_ELECTRICITY_CO2E_KG_PER_KWH", "0.019")
    with pytest.raises(ConfigError, match="set BYGGPULS_ANALYTICS_ELECTRICITY_CO2E_SOURCE"):
        load(AnalyticsSettings)
    monkeypatch.setenv("BYGGPULS_ANALYTICS_ELECTRICITY_CO2E_SOURCE", "NVE, physical mix 2024")
    assert load(AnalyticsSettings).analytics_electricity_co2e_kg_per_kwh == 0.019


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("analytics_grid_energy_nok_per_kwh", -0.1),
        ("analytics_grid_capacity_nok_per_kw_month", -1.0),
        ("analytics_district_heat_nok_per_kwh", -1.0),
        ("analytics_electricity_co2e_kg_per_kwh", 136.0),  # grams given as kilograms
        ("analytics_electricity_price_nok_per_kwh", 0.0),
    ],
)
def test_out_of_range_rates_are_refused(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=f"BYGGPULS_{field.upper()}"):
        load(AnalyticsSettings, **{field: value})
