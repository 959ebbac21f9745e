"""Settings of the analytics service (``BYGGPULS_ANALYTICS_*``)."""

from __future__ import annotations

from pydantic import Field

from byggpuls.settings import CommonSettings


class AnalyticsSettings(CommonSettings):
    #: Seconds between runs over the portfolio.
    analytics_interval_s: int = Field(default=900, ge=10)
    #: Days of history each run learns from and looks at.
    analytics_window_days: int = Field(default=28, ge=7, le=366)
    #: What a kWh of electricity costs the municipality, energy plus grid tariff and taxes, ex.
    #: VAT (a typical level for public buildings in western Norway; set your own contract's).
    analytics_electricity_price_nok_per_kwh: float = Field(default=1.25, gt=0)
