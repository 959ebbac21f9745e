"""An air handling unit's trend points, its operating modes and the sensor tolerances they are
judged with (ASHRAE Guideline 36, section 5.16.14).

The rules in this package read one :class:`AhuSeries`: the points a gateway publishes for one
unit, in SI units, one sample per time. G36 judges an AHU only in the operating state (OS) its
own commands put it in, because what is normal depends on it: in heating the supply air must be
warmer than the mixed air, in free cooling about as warm, in mechanical cooling colder.
:func:`operating_modes` derives that state from the valve and damper commands, and
:func:`settled` keeps only samples with the supply fan running for a while and the mode
unchanged for a while, so a coil that is still warming up or a damper still moving is not a
fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: G36 Table 5.16.14.3 defaults, °F converted to K: the stated accuracy of the supply, return,
#: mixed and outdoor air temperature sensors (2 °F, 2 °F, 5 °F and 2 °F: a mixed-air sensor sits
#: in stratified air), and the supply fan's heat (2 °F).
SUPPLY_ERROR_K: Final = 2.0 / 1.8
RETURN_ERROR_K: Final = 2.0 / 1.8
MIXED_ERROR_K: Final = 5.0 / 1.8
OUTDOOR_ERROR_K: Final = 2.0 / 1.8
FAN_HEAT_K: Final = 2.0 / 1.8
#: G36 ΔTmin (10 °F): outdoor and return air must differ by this much before the outdoor-air
#: fraction computed from temperatures means anything.
MIN_OUTDOOR_RETURN_K: Final = 10.0 / 1.8
#: G36 ModeDelay (15 min): no fault is judged this soon after a mode change or a fan start.
MODE_DELAY_S: Final = 15 * 60.0
#: G36 AlarmDelay (30 min): a fault condition must hold this long before it is a fault.
ALARM_DELAY_S: Final = 30 * 60.0
#: A valve command above this is open: a controller's output below 2 % does not move a valve.
VALVE_OPEN: Final = 0.02
#: G36 treats a coil at ≥ 99 % as fully open (FC#7, FC#13).
VALVE_FULL: Final = 0.99
#: A damper command at or above this is 100 % outdoor air (economiser fully open, G36 OS#3).
DAMPER_OPEN: Final = 0.9
#: G36 Table 5.16.14.3 defaults for the supply fan (FC#1): the duct static pressure sensor's
#: error (0.1 inch of water, in Pa) and the VFD speed tolerance (5 %): a fan at or above
#: ``VALVE_FULL - FAN_SPEED_TOLERANCE`` of its speed runs at full speed.
PA_PER_INCH_WATER: Final = 249.0889
DUCT_PRESSURE_ERROR_PA: Final = 0.1 * PA_PER_INCH_WATER
FAN_SPEED_TOLERANCE: Final = 0.05
#: Air density (kg/m³) and specific heat (kJ/kg K): 1.2 x 1.006 kJ per m³ and kelvin.
AIR_KJ_PER_M3_K: Final = 1.2 * 1.006
SECONDS_PER_HOUR: Final = 3600.0


class Mode(IntEnum):
    """G36 operating state of an AHU (5.16.14.2), from its own commands."""

    OFF = 0  #: supply fan not running
    HEATING = 1  #: OS#1: heating coil open, cooling closed
    ECONOMISER = 2  #: OS#2: no coil open: outdoor air (from minimum to 100 %) does the work
    ECONOMISER_COOLING = 3  #: OS#3: cooling coil open with 100 % outdoor air
    COOLING = 4  #: OS#4: cooling coil open with the damper below fully open
    OTHER = 5  #: OS#5: both coils open, or a command unknown


@dataclass(frozen=True)
class AhuSeries:
    """One air handling unit's points, aligned on ``times_s`` (UTC epoch seconds, ascending).

    Temperatures in °C, commands 0-1, airflow in m³/s; NaN where a sample is missing. Optional
    points are ``None`` when the unit has no such point (a unit without a cooling coil has no
    ``cooling_valve``); a rule that needs a missing point stays quiet.
    """

    times_s: FloatArray
    supply_c: FloatArray
    mixed_c: FloatArray
    return_c: FloatArray
    outdoor_c: FloatArray
    supply_setpoint_c: FloatArray
    heating_valve: FloatArray
    damper: FloatArray
    fan_on: BoolArray
    cooling_valve: FloatArray | None = None
    fan_speed: FloatArray | None = None
    airflow_m3_s: FloatArray | None = None
    occupied: BoolArray | None = None
    #: Upper end of the supply setpoint where the unit has a heating and a cooling setpoint
    #: (a single-zone unit holds the supply air between them); ``None``: one setpoint.
    supply_setpoint_high_c: FloatArray | None = field(default=None)
    #: Heat recovery ahead of the mixing box in use, 0-1 (a wheel's speed command, a bypass
    #: damper's share through the exchanger): zeros for a unit known to have none, ``None``
    #: when unknown. The outdoor-air fraction from temperatures reads low while it runs.
    heat_recovery: FloatArray | None = field(default=None)
    #: Supply duct static pressure and its setpoint (Pa) on a variable-volume unit; ``None``
    #: where the unit has no such point.
    duct_pressure_pa: FloatArray | None = field(default=None)
    duct_pressure_setpoint_pa: FloatArray | None = field(default=None)

    def __post_init__(self) -> None:
        size = self.times_s.size
        for name in (
            "supply_c",
            "mixed_c",
            "return_c",
            "outdoor_c",
            "supply_setpoint_c",
            "heating_valve",
            "damper",
            "fan_on",
            "cooling_valve",
            "fan_speed",
            "airflow_m3_s",
            "occupied",
            "supply_setpoint_high_c",
            "heat_recovery",
            "duct_pressure_pa",
            "duct_pressure_setpoint_pa",
        ):
            values = getattr(self, name)
            if values is not None and values.shape != (size,):
                raise ValueError(f"{name} has shape {values.shape}, times_s has {size} samples")

    @classmethod
    def from_points(cls, points: Mapping[str, npt.ArrayLike]) -> AhuSeries:
        """Build from a name→array mapping with the field names (``times_s`` required).

        Missing optional points become ``None``; required points that are missing become all
        NaN (all ``False`` for ``fan_on``), so the rules that need them stay quiet.
        """
        times_s = np.asarray(points["times_s"], dtype=np.float64)

        def floats(name: str) -> FloatArray | None:
            if name not in points:
                return None
            return np.asarray(points[name], dtype=np.float64)

        def required(name: str) -> FloatArray:
            values = floats(name)
            return np.full(times_s.shape, np.nan) if values is None else values

        def flags(name: str) -> BoolArray | None:
            values = floats(name)
            return None if values is None else np.nan_to_num(values) > 0.5

        fan_on = flags("fan_on")
        return cls(
            times_s=times_s,
            supply_c=required("supply_c"),
            mixed_c=required("mixed_c"),
            return_c=required("return_c"),
            outdoor_c=required("outdoor_c"),
            supply_setpoint_c=required("supply_setpoint_c"),
            heating_valve=required("heating_valve"),
            damper=required("damper"),
            fan_on=np.zeros(times_s.shape, dtype=bool) if fan_on is None else fan_on,
            cooling_valve=floats("cooling_valve"),
            fan_speed=floats("fan_speed"),
            airflow_m3_s=floats("airflow_m3_s"),
            occupied=flags("occupied"),
            supply_setpoint_high_c=floats("supply_setpoint_high_c"),
            heat_recovery=floats("heat_recovery"),
            duct_pressure_pa=floats("duct_pressure_pa"),
            duct_pressure_setpoint_pa=floats("duct_pressure_setpoint_pa"),
        )

    @property
    def cooling(self) -> FloatArray:
        """The cooling valve, 0 throughout for a unit without a cooling coil."""
        if self.cooling_valve is None:
            return np.zeros(self.times_s.shape)
        return self.cooling_valve

    @property
    def setpoint_high_c(self) -> FloatArray:
        """The upper supply setpoint (the one setpoint where the unit has one)."""
        if self.supply_setpoint_high_c is None:
            return self.supply_setpoint_c
        return self.supply_setpoint_high_c


def operating_modes(series: AhuSeries) -> IntArray:
    """The G36 operating state (:class:`Mode`) of each sample, from the unit's commands."""
    heating = series.heating_valve > VALVE_OPEN
    cooling = series.cooling > VALVE_OPEN
    known = np.isfinite(series.heating_valve) & np.isfinite(series.cooling)
    open_damper = series.damper >= DAMPER_OPEN
    modes = np.full(series.times_s.shape, int(Mode.OTHER), dtype=np.int64)
    modes[known & heating & ~cooling] = Mode.HEATING
    modes[known & ~heating & ~cooling] = Mode.ECONOMISER
    modes[known & cooling & ~heating & open_damper] = Mode.ECONOMISER_COOLING
    # A damper command still unknown leaves mechanical cooling undecided between OS#3 and #4.
    modes[known & cooling & ~heating & ~open_damper & np.isfinite(series.damper)] = Mode.COOLING
    modes[~series.fan_on] = Mode.OFF
    return modes


def settled(times_s: FloatArray, modes: IntArray, *, delay_s: float = MODE_DELAY_S) -> BoolArray:
    """Samples with the fan running and the mode unchanged for at least ``delay_s``.

    A gap in the data longer than ``delay_s`` restarts the count: what happened in it is
    unknown.
    """
    if times_s.size == 0:
        return np.zeros(0, dtype=bool)
    starts = np.ones(times_s.shape, dtype=bool)
    starts[1:] = (modes[1:] != modes[:-1]) | ~(np.diff(times_s) <= delay_s)
    since_s = times_s[np.flatnonzero(starts)][np.cumsum(starts) - 1]
    keep: BoolArray = (modes != Mode.OFF) & (times_s - since_s >= delay_s)
    return keep


def sample_interval_s(times_s: FloatArray) -> float:
    """The typical time between samples (median step; 60 s when there are fewer than two)."""
    if times_s.size < 2:
        return 60.0
    steps = np.diff(times_s)
    steps = steps[steps > 0]
    return float(np.median(steps)) if steps.size else 60.0


def coil_energy_kwh(
    series: AhuSeries, delta_k: FloatArray, *, mask: BoolArray, interval_s: float
) -> float | None:
    """Heat carried by the air, rho·cp·flow·ΔT summed over the masked samples, in kWh.

    ``None`` when the unit has no airflow point: without it the energy cannot be known.
    """
    if series.airflow_m3_s is None:
        return None
    flow = np.where(np.isfinite(series.airflow_m3_s), series.airflow_m3_s, 0.0)
    kw = AIR_KJ_PER_M3_K * flow * np.abs(np.nan_to_num(delta_k))
    return float(np.sum(kw[mask]) * interval_s / SECONDS_PER_HOUR)


__all__ = [
    "AIR_KJ_PER_M3_K",
    "ALARM_DELAY_S",
    "DAMPER_OPEN",
    "DUCT_PRESSURE_ERROR_PA",
    "FAN_HEAT_K",
    "FAN_SPEED_TOLERANCE",
    "MIN_OUTDOOR_RETURN_K",
    "MIXED_ERROR_K",
    "MODE_DELAY_S",
    "OUTDOOR_ERROR_K",
    "PA_PER_INCH_WATER",
    "RETURN_ERROR_K",
    "SUPPLY_ERROR_K",
    "VALVE_FULL",
    "VALVE_OPEN",
    "AhuSeries",
    "Mode",
    "coil_energy_kwh",
    "operating_modes",
    "sample_interval_s",
    "settled",
]
