"""The JSON of the energy routes: consumption tables, energy intensity and the heat map.

Energy is in kWh, cost in NOK ex. VAT. Period starts and ends are in local time, Europe/Oslo,
with their UTC offset (``2025-03-30T00:00:00+01:00``), since that is how the periods are cut.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from pydantic import BaseModel, Field

COST_NOTE: Final = (
    "The cost of the measured energy, NOK ex. VAT: for electricity the hour's spot price plus"
    " the grid tariff's energy part (or the flat all-in price where no spot prices are"
    " configured), for district heat its price per kWh. The energy part only: the grid"
    " tariff's capacity part, billed on a month's highest hour, is not in it."
)


class ConsumptionSums(BaseModel):
    """What a carrier's hours add up to; each sum over the hours that have its value."""

    hours_with_data: int = Field(description="Hours the meter measured.", examples=[24])
    measured_kwh: float | None = Field(
        description="Measured energy, kWh; null without a measured hour.", examples=[812.4]
    )
    baseline_kwh: float | None = Field(
        description="What the baseline expected in the hours it is trusted in, kWh; null"
        " where there is no trusted baseline.",
        examples=[760.0],
    )
    baseline_hours: int = Field(
        description="Hours with a trusted baseline: compare baseline_kwh with the measured"
        " kWh of as many hours.",
        examples=[24],
    )
    cost_nok: float | None = Field(
        description="Cost of the measured energy, NOK ex. VAT (energy part only); null where"
        " no hour was priced.",
        examples=[1015.5],
    )


class ConsumptionRow(ConsumptionSums):
    """One carrier's consumption in one local period."""

    carrier: str = Field(description="`electricity` or `heat`.", examples=["electricity"])
    period: str = Field(
        description="The period: `2025-03-30T02:00+01:00` (hour), `2025-03-30` (day),"
        " `2025-W13` (ISO week), `2025-03` (month).",
        examples=["2025-03-30"],
    )
    start: datetime = Field(description="Start of the period, local time with its offset.")
    end: datetime = Field(description="End of the period (excluded), local time.")
    hours: int = Field(
        description="Hours in the period: a day has 23 when the clocks go forward, 25 when"
        " they go back.",
        examples=[24],
    )


class ConsumptionTotal(ConsumptionSums):
    """One carrier's consumption over the whole table."""

    carrier: str = Field(examples=["electricity"])
    hours: int = Field(description="Hours in the table's range.", examples=[744])


class Consumption(BaseModel):
    """A building's consumption per local period and carrier, with baseline and cost."""

    building: str = Field(examples=["nordnes-skole"])
    resolution: str = Field(examples=["day"])
    time_zone: str = Field(default="Europe/Oslo")
    start: datetime = Field(description="Start of the first period, local time.")
    end: datetime = Field(description="End of the last period (excluded), local time.")
    cost_note: str = Field(default=COST_NOTE)
    rows: list[ConsumptionRow] = Field(description="Carrier by carrier, oldest period first.")
    totals: list[ConsumptionTotal] = Field(description="Per carrier, over all the rows.")


class EnergyReferenceOut(BaseModel):
    """The energy references of the building's category, kWh/m² heated floor area and year."""

    building_type: str = Field(examples=["school"])
    frame_kwh_m2: float = Field(
        description="TEK17 § 14-2's energy frame: the calculated net need of a new building.",
        examples=[110.0],
    )
    frame_category: str = Field(examples=["Skolebygning"])
    frame_source: str
    stock_kwh_m2: float = Field(
        description="What the existing stock delivers on average, metered (SSB).",
        examples=[163.0],
    )
    stock_category: str = Field(examples=["61 Skolebygning"])
    stock_source: str


class CarrierIntensity(BaseModel):
    """A carrier's energy over the last year, and per m² heated floor area."""

    carrier: str = Field(examples=["electricity"])
    days: float = Field(description="Days of measured hours the figures rest on.", examples=[365])
    measured_kwh: float = Field(description="Energy measured in those hours, kWh.")
    annual_kwh: float = Field(
        description="A year's energy: measured_kwh, scaled up to 365 days where fewer were"
        " measured."
    )
    kwh_m2_year: float | None = Field(
        description="annual_kwh per m² heated floor area; null while the floor area is unknown."
    )
    scaled: bool = Field(description="Whether fewer than 365 days were measured.")


class Intensity(BaseModel):
    """A building's energy use per m² and year, by carrier and in total, against its
    category's references."""

    building: str = Field(examples=["nordnes-skole"])
    since: datetime = Field(description="Start of the year looked at (UTC).")
    until: datetime = Field(description="Its end, excluded (UTC).")
    floor_area_m2: float | None = Field(examples=[5400.0])
    carriers: list[CarrierIntensity]
    total_annual_kwh: float | None = Field(description="The carriers' annual kWh, summed.")
    total_kwh_m2_year: float | None = Field(
        description="total_annual_kwh per m²; null while the floor area is unknown."
    )
    reference: EnergyReferenceOut | None = Field(
        description="null for `other` buildings, which have no category to compare with."
    )
    note: str | None = Field(
        description="Why the figures are rough, when they are: heating varies some tenfold"
        " between January and July, so a part of a year scaled up says little."
    )


class HeatMap(BaseModel):
    """Measured kWh per local date and hour of the day, for a heat map."""

    building: str = Field(examples=["nordnes-skole"])
    carrier: str = Field(examples=["electricity"])
    dates: list[date] = Field(description="The local dates, oldest first: the rows.")
    hours: list[int] = Field(description="The hours of the day, 0-23: the columns.")
    kwh: list[list[float | None]] = Field(
        description="Per date, per hour of the day, kWh; null where nothing was measured. The"
        " clock hour 02 of the day the clocks go back holds both of its hours; the day they go"
        " forward has none."
    )
    max_kwh: float | None = Field(description="The largest cell, for the colour scale.")
