"""Settings of the analytics service (``BYGGPULS_ANALYTICS_*``).

The pricing fields are described in ``docs/pricing.md``; a bad value stops the service at start
with a message naming the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import Field, field_validator, model_validator

# analytics.waste imports these settings for type checking only, so this import has no cycle.
from analytics.waste.prices import check_area
from analytics.waste.sources import check_url_template
from byggpuls.settings import CommonSettings, existing_file

ELECTRICITY_CO2E_SOURCE: Final = (
    "NS 3720:2018, European electricity mix averaged over a building's 60-year life, 136 g CO2e/kWh"
)
DISTRICT_HEAT_CO2E_SOURCE: Final = (
    "order of magnitude of Norwegian district heating on waste incineration with some oil,"
    " gas and electric peak load (Norsk Fjernvarme, fjernkontrollen.no, NS 3720 method);"
    " not any one network's figure"
)


class AnalyticsSettings(CommonSettings):
    #: Seconds between runs over the portfolio.
    analytics_interval_s: int = Field(default=900, ge=10)
    #: Days of history each run learns from and looks at.
    analytics_window_days: int = Field(default=28, ge=7, le=366)
    #: What a kWh of electricity costs the municipality, energy plus grid tariff and taxes, ex.
    #: VAT (a typical level for public buildings in western Norway; set your own contract's).
    #: Used, all-in, where no spot price source is configured or its prices cannot be had.
    analytics_electricity_price_nok_per_kwh: float = Field(default=1.25, gt=0)

    #: The price area (bidding zone) the buildings' meters are in; Bergen is NO5.
    analytics_price_area: str = "NO5"
    #: Spot prices from a CSV file (``time,area,nok_per_kwh``), or ...
    analytics_spot_price_file: Path | None = None
    #: ... from a day-ahead feed: a URL template with {year}, {month}, {day} and {area}.
    analytics_spot_price_url: str | None = None
    analytics_spot_price_timeout_s: float = Field(default=10.0, gt=0, le=120)
    #: The grid tariff's energy part, ex. VAT, on top of the spot price. BKK Nett's business
    #: tariff for sites over 100 MWh a year was 4-5 øre/kWh (summer-winter, 2022, ex. VAT and
    #: taxes); the default takes the winter rate. The consumption tax (forbruksavgift) is billed
    #: on the grid invoice too: add it here to have the figures include it.
    analytics_grid_energy_nok_per_kwh: float = Field(default=0.05, ge=0, le=5)
    #: The grid tariff's capacity part (effektledd) per kW of the month's highest hourly load.
    #: BKK Nett's business tariff was 49-60 NOK/kW a month (summer-winter, 2022, ex. VAT): the
    #: winter rate.
    analytics_grid_capacity_nok_per_kw_month: float = Field(default=60.0, ge=0, le=1000)
    #: District heat, ex. VAT. By the Energy Act (§ 5-5) it may not cost more than heating with
    #: electricity, so it follows the electricity price; Statistics Norway's average for 2023
    #: was 100.4 øre/kWh ex. VAT.
    analytics_district_heat_nok_per_kwh: float = Field(default=1.00, ge=0, le=10)
    #: NS 3720's European mix rather than Norway's physical mix (NVE, some 10-20 g/kWh): a kWh
    #: not used here is exported into the European market, and the standard's figure is stable,
    #: so findings of different years compare (see analytics.waste.co2).
    analytics_electricity_co2e_kg_per_kwh: float = Field(default=0.136, ge=0, le=2)
    analytics_electricity_co2e_source: str = Field(default=ELECTRICITY_CO2E_SOURCE, min_length=1)
    #: Each network publishes its own factor at fjernkontrollen.no: set the building's.
    analytics_district_heat_co2e_kg_per_kwh: float = Field(default=0.030, ge=0, le=2)
    analytics_district_heat_co2e_source: str = Field(
        default=DISTRICT_HEAT_CO2E_SOURCE, min_length=1
    )

    @field_validator("analytics_price_area")
    @classmethod
    def _check_area(cls, value: str) -> str:
        return check_area(value)

    @field_validator("analytics_spot_price_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url_template(value)

    @field_validator("analytics_spot_price_file")
    @classmethod
    def _check_file(cls, value: Path | None) -> Path | None:
        return existing_file(value)

    @model_validator(mode="after")
    def _check_pricing(self) -> AnalyticsSettings:
        problems = []
        if self.analytics_spot_price_file is not None and self.analytics_spot_price_url is not None:
            problems.append(
                "set BYGGPULS_ANALYTICS_SPOT_PRICE_FILE or BYGGPULS_ANALYTICS_SPOT_PRICE_URL,"
                " not both"
            )
        # A factor changed without its source would go into the evidence under the old name.
        defaults = type(self).model_fields
        for carrier in ("electricity", "district_heat"):
            factor, source = (
                f"analytics_{carrier}_co2e_kg_per_kwh",
                f"analytics_{carrier}_co2e_source",
            )
            if (
                getattr(self, factor) != defaults[factor].default
                and getattr(self, source) == defaults[source].default
            ):
                problems.append(
                    f"set BYGGPULS_{source.upper()} to say where"
                    f" BYGGPULS_{factor.upper()}={getattr(self, factor)} comes from"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self
