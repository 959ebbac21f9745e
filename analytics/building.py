"""What the analysis of a building reads and makes: its series (:class:`BuildingData`) and its
detections (:class:`Detection`), shared by the energy analysis (:mod:`analytics.pipeline`), the
rooms and plant (:mod:`analytics.plant`) and everything that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from analytics.baselines.towt import G14
from analytics.equipment.run import AhuUnit
from analytics.zones.checks import ZoneSeries

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Carrier = Literal["electricity", "heat"]
SECONDS_PER_HOUR: Final = 3600.0
SECONDS_PER_DAY: Final = 86_400.0
#: An episode that ends this close to the data's end may go on: the next run resumes at its
#: start, so that it grows instead of being found again.
CARRY_S: Final = 7 * SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class Meter:
    """One energy meter's hourly energy (kWh per hour = mean kW), on the building's hours."""

    point: str
    carrier: Carrier
    energy_kwh: FloatArray
    #: The points that measure the same supply (a power point and its counter): a meter fault
    #: on any of them suppresses this meter's waste findings.
    points: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Readings:
    """A point's readings as stored (not hourly), for the meter-fault checks; NaN where a
    reading is missing counts as no reading. ``sensor``: a sensor (a temperature, a CO2 level)
    rather than a meter, judged for stuck runs and gaps only."""

    point: str
    times_s: FloatArray
    values: FloatArray
    counter: bool
    sensor: bool = False


@dataclass(frozen=True, slots=True)
class BuildingData:
    """What :func:`analyse` needs of a building: hour starts (UTC epoch s, ascending), the
    meters on those hours, the outdoor temperature on them (NaN where unknown), and the
    readings of the meters' points and of its sensors for the meter-fault checks."""

    building: str
    building_type: str
    times_s: FloatArray
    meters: tuple[Meter, ...]
    outdoor_c: FloatArray
    readings: tuple[Readings, ...] = ()
    #: The zones' hourly temperature and setpoint, for the zone detectors.
    zones: tuple[ZoneSeries, ...] = ()
    #: The radiator circuit's supply water temperature, hourly (None: not measured).
    supply_water_c: FloatArray | None = None
    #: The air handling units' readings as stored, for the equipment rules.
    ahus: tuple[AhuUnit, ...] = ()


@dataclass(frozen=True, slots=True)
class CarrierWaste:
    """The waste a finding caused on another meter than its own (the heat of ventilation left
    on), hour by hour, as :class:`Detection` holds its own."""

    point: str
    carrier: Carrier
    hours_s: FloatArray
    measured_kwh: FloatArray
    baseline_kwh: FloatArray
    waste_kwh: FloatArray


@dataclass(frozen=True, slots=True)
class Detection:
    """A finding as the analysis makes it, before it is priced and kept.

    ``hours_s`` are the hours whose waste it counts, with the meter's measured and baseline
    energy and the waste of each (already net of what other findings claimed).
    """

    building: str
    kind: str
    points: tuple[str, ...]
    carrier: Carrier | None
    start_s: float
    end_s: float
    score: float
    detail: str
    hours_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    measured_kwh: FloatArray = field(default_factory=lambda: np.zeros(0))
    baseline_kwh: FloatArray = field(default_factory=lambda: np.zeros(0))
    waste_kwh: FloatArray = field(default_factory=lambda: np.zeros(0))
    #: The baseline's Guideline 14 fit over the weeks of the finding (the worst week's).
    fit: G14 | None = None
    confidence: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)
    #: Waste it caused on other meters (the heat of ventilation left on).
    also: tuple[CarrierWaste, ...] = ()

    @property
    def own_waste_kwh(self) -> float:
        """The waste on its own meter."""
        return float(self.waste_kwh.sum())

    @property
    def total_waste_kwh(self) -> float:
        """The waste on every meter it touched."""
        return self.own_waste_kwh + sum(float(a.waste_kwh.sum()) for a in self.also)

    def waste_of(self, carrier: str) -> tuple[FloatArray, FloatArray]:
        """Hours and hourly waste on the meter of ``carrier`` (empty where none)."""
        if self.carrier == carrier:
            return self.hours_s, self.waste_kwh
        for other in self.also:
            if other.carrier == carrier:
                return other.hours_s, other.waste_kwh
        return np.zeros(0), np.zeros(0)


@dataclass(frozen=True, slots=True)
class MeterBaseline:
    """A meter's baseline over the scored hours, with its weekly Guideline 14 fits."""

    point: str
    carrier: Carrier
    expected_kwh: FloatArray
    #: Per scored hour: whether the week's baseline passes Guideline 14.
    trusted: BoolArray
    #: (week's Monday, G14 in sample) per scored week.
    weeks: list[tuple[float, G14]]
    #: Guideline 14 of the baseline against the measured energy over the scored hours.
    out_of_sample: G14


@dataclass(frozen=True, slots=True)
class Analysis:
    """What :func:`analyse` found, and where the next run should score from."""

    detections: list[Detection]
    baselines: dict[str, MeterBaseline]
    resume_s: float


def hourly(times_s: FloatArray, values: FloatArray, *, hours_s: FloatArray) -> FloatArray:
    """Mean of ``values`` in each hour starting at ``hours_s`` (NaN where none)."""
    hour = np.floor(times_s / SECONDS_PER_HOUR) * SECONDS_PER_HOUR
    keep = np.isfinite(values)
    index = np.searchsorted(hours_s, hour[keep])
    inside = (index < hours_s.size) & (hours_s[np.minimum(index, hours_s.size - 1)] == hour[keep])
    sums = np.bincount(index[inside], weights=values[keep][inside], minlength=hours_s.size)
    counts = np.bincount(index[inside], minlength=hours_s.size)
    means: FloatArray = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return means


def hour_grid(start_s: float, end_s: float) -> FloatArray:
    """Hour starts from ``start_s`` (floored to the hour) up to ``end_s``."""
    first = np.floor(start_s / SECONDS_PER_HOUR) * SECONDS_PER_HOUR
    grid: FloatArray = np.arange(first, end_s, SECONDS_PER_HOUR, dtype=np.float64)
    return grid


def open_run_starts(
    times_s: FloatArray, scores: FloatArray, end_s: float, *, step_s: float = SECONDS_PER_HOUR
) -> list[float]:
    """The start of the run of unusual samples (``step_s`` apart) the data ends in, if it
    does."""
    flagged = np.flatnonzero(scores > 0)
    if flagged.size == 0 or times_s[flagged[-1]] < end_s - 2 * SECONDS_PER_HOUR:
        return []
    index = int(flagged[-1])
    while index > 0 and scores[index - 1] > 0 and times_s[index] - times_s[index - 1] <= step_s:
        index -= 1
    return [float(times_s[index])]


__all__ = [
    "CARRY_S",
    "Analysis",
    "BuildingData",
    "Carrier",
    "CarrierWaste",
    "Detection",
    "Meter",
    "MeterBaseline",
    "Readings",
    "hour_grid",
    "hourly",
    "open_run_starts",
]
