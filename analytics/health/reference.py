"""What the health is judged against: energy references per building type, finding kinds.

Each finding kind's category (the part of the health it costs points in) and severity are in
:data:`KINDS`. The rest of this module is the scale the energy references set.

A metered building is compared with two references for its category, TEK17's energy frame
(net need of a new building) and SSB's delivered energy of the existing stock: the table,
with its sources, is :mod:`byggpuls.energy_reference` (the API shows it too), re-exported
here.

The bridge between them is the scale of :func:`intensity_score`: a building that delivers no
more per m² than a new building of its category needs (net) scores 100; one that delivers what
the existing stock delivers on average scores 50; twice the stock's average, 0. Delivered
energy can be below the net need (a heat pump delivers a third of the heat it gives), which the
scale counts as full marks rather than as an error. The stock figure is the one a measured
figure is comparable with; the frame says what is possible today.

``other`` buildings have no reference: their energy use per m² is unknown to the score.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from byggpuls.energy_reference import (
    REFERENCES,
    SSB_SOURCE,
    TEK17_SOURCE,
    EnergyReference,
    reference_for,
)

#: An energy use per m² and year needs a whole year: heating in Norway varies about tenfold
#: between January and July, so scaling a shorter period up to a year errs by more than the
#: references differ from each other.
MIN_DAYS_FOR_INTENSITY: Final = 365
DAYS_PER_YEAR: Final = 365.0
#: Score at the stock's average delivered energy, and the multiple of it that scores 0.
STOCK_SCORE: Final = 50.0
ZERO_AT_STOCK_MULTIPLE: Final = 2.0


class Category(StrEnum):
    """Which part of the health a finding costs points in; also the parts' names."""

    ENERGY = "energy"
    INDOOR_CLIMATE = "indoor_climate"
    EQUIPMENT = "equipment"
    DATA_QUALITY = "data_quality"


class Severity(StrEnum):
    """How much a finding without a measured waste costs its part (:data:`SEVERITY_POINTS`)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


#: Points a finding costs by severity: three medium faults take a part from 100 to 55, into
#: "act"; one high fault to 70, into "watch".
SEVERITY_POINTS: Final = {Severity.LOW: 5.0, Severity.MEDIUM: 15.0, Severity.HIGH: 30.0}
SEVERITY_NB: Final = {Severity.LOW: "lav", Severity.MEDIUM: "middels", Severity.HIGH: "høy"}

#: The category, severity and words (bokmål, English) of each finding kind the analytics
#: report. A kind not listed is an equipment finding of medium severity.
KINDS: Final[dict[str, tuple[Category, Severity, str, str]]] = {
    "after_hours_operation": (
        Category.ENERGY,
        Severity.MEDIUM,
        "strøm brukt utenfor åpningstid",
        "electricity used outside opening hours",
    ),
    "after_hours_heating": (
        Category.ENERGY,
        Severity.MEDIUM,
        "oppvarming utenfor åpningstid",
        "heating outside opening hours",
    ),
    "unusual_day": (
        Category.ENERGY,
        Severity.LOW,
        "en dag ulik byggets vanlige dager",
        "a day unlike the building's usual days",
    ),
    "baseload_drift": (
        Category.EQUIPMENT,
        Severity.MEDIUM,
        "grunnlasten om natten kryper oppover",
        "night base load creeping up",
    ),
    "heating_out_of_line": (
        Category.EQUIPMENT,
        Severity.MEDIUM,
        "oppvarmingen følger ikke været",
        "heating out of line with the weather",
    ),
    # A fault of the data, not of the building: a spike is one bad reading, and what a stuck
    # or silent meter loses the data-quality part counts again in its completeness.
    "meter_fault": (Category.DATA_QUALITY, Severity.MEDIUM, "målerfeil", "meter fault"),
    "window_open": (
        Category.INDOOR_CLIMATE,
        Severity.MEDIUM,
        "vindu åpent mens det varmes",
        "a window open while heating",
    ),
    "setpoint_too_high": (
        Category.ENERGY,
        Severity.MEDIUM,
        "temperaturen i et rom er satt for høyt",
        "a room's setpoint too high",
    ),
    "simultaneous_heating_cooling": (
        Category.EQUIPMENT,
        Severity.HIGH,
        "varme og kjøling samtidig i ventilasjonsaggregatet",
        "heating and cooling at once in the air handling unit",
    ),
    "damper_out_of_position": (
        Category.EQUIPMENT,
        Severity.MEDIUM,
        "uteluftspjeldet står feil",
        "outdoor-air damper out of position",
    ),
    "supply_temp_off_setpoint": (
        Category.EQUIPMENT,
        Severity.MEDIUM,
        "tilluften holder ikke settpunktet",
        "supply air off its setpoint",
    ),
    "mixed_air_out_of_range": (
        Category.EQUIPMENT,
        Severity.LOW,
        "blandeluften er utenfor uteluft og avtrekk",
        "mixed air outside the outdoor and return air",
    ),
    "fan_outside_hours": (
        Category.EQUIPMENT,
        Severity.MEDIUM,
        "viften går utenfor åpningstid",
        "fan running outside opening hours",
    ),
    "cooling_with_cold_outdoor_air": (
        Category.EQUIPMENT,
        Severity.MEDIUM,
        "kjølebatteriet kjøler selv om uteluften er kald nok",
        "cooling while the outdoor air is cold enough",
    ),
    "duct_pressure_off_setpoint": (
        Category.EQUIPMENT,
        Severity.MEDIUM,
        "kanaltrykket holder ikke settpunktet med viften på full fart",
        "duct pressure off its setpoint with the fan at full speed",
    ),
    "baseline_review": (
        Category.DATA_QUALITY,
        Severity.LOW,
        "målerdata å se over",
        "meter data to review",
    ),
}


def classify(kind: str) -> tuple[Category, Severity]:
    """The category and severity of a finding of ``kind`` (see :data:`KINDS`)."""
    category, severity, _, _ = KINDS.get(kind, (Category.EQUIPMENT, Severity.MEDIUM, "", ""))
    return category, severity


def annual_intensity_kwh_m2(
    *, energy_kwh: float, days: float, floor_area_m2: float | None
) -> float | None:
    """Delivered energy per m² heated floor area and year, from ``energy_kwh`` metered over
    ``days`` days; None when the period is shorter than :data:`MIN_DAYS_FOR_INTENSITY` or the
    floor area is unknown."""
    if floor_area_m2 is None or floor_area_m2 <= 0.0 or days < MIN_DAYS_FOR_INTENSITY:
        return None
    return energy_kwh * DAYS_PER_YEAR / days / floor_area_m2


def intensity_score(*, intensity_kwh_m2: float, reference: EnergyReference) -> float:
    """0-100 for a delivered energy use per m² and year: 100 up to TEK17's frame, falling
    linearly to 50 at the stock's average, and on to 0 at twice the stock's average.

    Never rises with the energy use; continuous, so a kWh more never costs a jump.
    """
    frame, stock = reference.frame_kwh_m2, reference.stock_kwh_m2
    if intensity_kwh_m2 <= frame:
        return 100.0
    if intensity_kwh_m2 <= stock:
        return 100.0 - (100.0 - STOCK_SCORE) * (intensity_kwh_m2 - frame) / (stock - frame)
    zero_at = ZERO_AT_STOCK_MULTIPLE * stock
    return max(0.0, STOCK_SCORE * (zero_at - intensity_kwh_m2) / (zero_at - stock))


def number_text(value: float, decimals: int = 0, *, nb: bool) -> str:
    """``value`` as a person reads it: ``1 234,5`` in bokmål, ``1,234.5`` in English."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",") if nb else text


def intensity_texts(*, intensity_kwh_m2: float, reference: EnergyReference) -> tuple[str, str]:
    """What a use per m² is, against its references, in bokmål and English."""
    use_nb, use_en = (number_text(intensity_kwh_m2, nb=nb) for nb in (True, False))
    stock, frame = f"{reference.stock_kwh_m2:.0f}", f"{reference.frame_kwh_m2:.0f}"
    return (
        f"Bruker {use_nb} kWh/m² i året; bygg av typen leverer i snitt {stock} (SSB), "
        f"TEK17-rammen er {frame} (beregnet netto behov)",
        f"Uses {use_en} kWh/m² a year; the stock's average is {stock} (SSB), "
        f"TEK17's frame {frame} (calculated net need)",
    )


__all__ = [
    "KINDS",
    "MIN_DAYS_FOR_INTENSITY",
    "REFERENCES",
    "SEVERITY_POINTS",
    "SSB_SOURCE",
    "TEK17_SOURCE",
    "Category",
    "EnergyReference",
    "Severity",
    "annual_intensity_kwh_m2",
    "classify",
    "intensity_score",
    "intensity_texts",
    "number_text",
    "reference_for",
]
