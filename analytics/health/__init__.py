"""Building health: each building's 0-100 score, its band, its parts and the reasons behind it.

``score.building_health`` is a pure function of a period's energy analysis, the building's
findings, its zones' indoor climate and the completeness of its readings; ``reference`` holds
the energy references per building type (TEK17 § 14-2's frame, SSB's delivered energy) with
their sources, and each finding kind's category and severity. See ``docs/health.md``.
"""

from __future__ import annotations

from analytics.health.reference import (
    KINDS,
    MIN_DAYS_FOR_INTENSITY,
    REFERENCES,
    SEVERITY_POINTS,
    Category,
    EnergyReference,
    Severity,
    annual_intensity_kwh_m2,
    classify,
    intensity_score,
    reference_for,
)
from analytics.health.score import (
    WEIGHTS,
    CarrierEnergy,
    DataQuality,
    EnergyPeriod,
    Finding,
    Health,
    Part,
    Reason,
    ZoneClimate,
    band_of,
    building_health,
)

__all__ = [
    "KINDS",
    "MIN_DAYS_FOR_INTENSITY",
    "REFERENCES",
    "SEVERITY_POINTS",
    "WEIGHTS",
    "CarrierEnergy",
    "Category",
    "DataQuality",
    "EnergyPeriod",
    "EnergyReference",
    "Finding",
    "Health",
    "Part",
    "Reason",
    "Severity",
    "ZoneClimate",
    "annual_intensity_kwh_m2",
    "band_of",
    "building_health",
    "classify",
    "intensity_score",
    "reference_for",
]
