"""Supply duct static pressure off its setpoint with the supply fan at full speed (G36 FC#1).

A variable-volume unit's fan speed follows a pressure loop: below the setpoint it speeds up,
above it slows down. With the fan at full speed (its command at or above 99 % less G36's VFD
speed tolerance of 5 %) the loop has nothing left, so the pressure says whether the fan and
ducts do their job. Two conditions, judged with the supply fan running and the mode settled
(the pressure needs the mode delay to build after a start):

- G36 FC#1: the pressure below its setpoint by more than the sensor's error (εDSP, 0.1 inch of
  water, 25 Pa) with the fan at full speed: the fan cannot deliver (a slipping belt, a failed
  drive, a duct leak or a damper or filter blocking the air).
- Its converse: the pressure above its setpoint by more than εDSP with the fan at full speed.
  A pressure loop above its setpoint lowers the speed, so a fan held at full speed is not
  under that loop (a drive in hand, an override, a speed fixed by a fault) or the pressure
  sensor reads high: the fan spends power on pressure nobody asked for.

Needs the duct pressure, its setpoint and the fan speed command; a constant-volume unit has
neither and stays unjudged.
"""

from __future__ import annotations

from typing import ClassVar, Final

import numpy as np

from analytics.equipment.ahu import (
    ALARM_DELAY_S,
    DUCT_PRESSURE_ERROR_PA,
    FAN_SPEED_TOLERANCE,
    MODE_DELAY_S,
    VALVE_FULL,
    AhuSeries,
    FloatArray,
    operating_modes,
    settled,
)
from analytics.equipment.rule import AhuRule, IndexArray, beyond

#: The fan speed command at or above which the fan runs at full speed (G36: 99 % less εVFDSPD).
FULL_SPEED: Final = VALVE_FULL - FAN_SPEED_TOLERANCE


class DuctPressureOffSetpoint(AhuRule):
    """Finds the duct static pressure off its setpoint while the supply fan runs at full speed.

    Sign convention: :meth:`score_samples` is the pressure's distance from its setpoint (either
    side), in multiples of ``pressure_error_pa`` beyond it; 0 where fine or not judged.
    """

    kind: ClassVar[str] = "duct_pressure_off_setpoint"
    fault_condition: ClassVar[str | None] = "G36 FC#1"
    needs: ClassVar[tuple[str, ...]] = (
        "duct_pressure_pa",
        "duct_pressure_setpoint_pa",
        "fan_speed",
    )

    def __init__(
        self,
        *,
        pressure_error_pa: float = DUCT_PRESSURE_ERROR_PA,
        full_speed: float = FULL_SPEED,
        mode_delay_s: float = MODE_DELAY_S,
        alarm_delay_s: float = ALARM_DELAY_S,
        join_s: float = MODE_DELAY_S,
        min_samples: int = 10,
    ) -> None:
        self.pressure_error_pa = pressure_error_pa
        self.full_speed = full_speed
        self.mode_delay_s = mode_delay_s
        self.alarm_delay_s = alarm_delay_s
        self.join_s = join_s
        self.min_samples = min_samples

    def _score(self, series: AhuSeries) -> FloatArray:
        pressure_pa, setpoint_pa, speed = (
            series.duct_pressure_pa,
            series.duct_pressure_setpoint_pa,
            series.fan_speed,
        )
        if pressure_pa is None or setpoint_pa is None or speed is None:
            return np.zeros(series.times_s.shape)
        modes = operating_modes(series)
        judged = settled(series.times_s, modes, delay_s=self.mode_delay_s)
        full = speed >= self.full_speed
        offset_pa = np.abs(pressure_pa - setpoint_pa)
        scores: FloatArray = np.where(judged & full, beyond(offset_pa, self.pressure_error_pa), 0.0)
        return scores

    def describe(self, series: AhuSeries, members: IndexArray) -> str:
        """Median pressure against its setpoint, and which side (FC#1 or its converse)."""
        nan = np.full(series.times_s.shape, np.nan)
        pressure_pa = nan if series.duct_pressure_pa is None else series.duct_pressure_pa
        setpoint_pa = (
            nan if series.duct_pressure_setpoint_pa is None else series.duct_pressure_setpoint_pa
        )
        pressure = float(np.nanmedian(pressure_pa[members]))
        setpoint = float(np.nanmedian(setpoint_pa[members]))
        minutes = members.size * self.interval_s_ / 60.0
        side = (
            "too low: the fan cannot deliver (G36 FC#1)"
            if pressure < setpoint
            else "too high: the fan is not under its pressure loop"
        )
        return (
            f"duct static pressure {pressure:.0f} Pa against its setpoint {setpoint:.0f} Pa "
            f"with the supply fan at full speed for {minutes:.0f} min, {side}"
        )


__all__ = ["FULL_SPEED", "DuctPressureOffSetpoint"]
