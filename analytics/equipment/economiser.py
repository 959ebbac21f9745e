"""Mechanical cooling with 100 % outdoor air that is cold enough on its own (G36 FC#11).

In G36 OS#3 the economiser is fully open and the cooling coil trims what the outdoor air
leaves: the air reaching the coil is the outdoor air, warmed by the supply fan's heat. When
that air is colder than the supply air setpoint by more than the outdoor and supply sensors'
stated errors, ``OAT + εOAT < SATSP - ΔTSF - εSAT``, the coil has nothing to cool; that it is
open all the same means heat enters the air between the damper and the supply sensor (a
leaking heating valve: its rise hides inside the cooling the coil then does), a sensor reads
wrong (outdoor or supply air), or the loop fights itself. Judged in OS#3 only, with the
supply fan running, the mode settled and the setpoint steady (a setpoint step takes minutes to
follow); the setpoint is the cooling one where the unit holds the supply air in a band.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from analytics.equipment.ahu import (
    ALARM_DELAY_S,
    FAN_HEAT_K,
    MODE_DELAY_S,
    OUTDOOR_ERROR_K,
    SUPPLY_ERROR_K,
    AhuSeries,
    FloatArray,
    Mode,
    operating_modes,
    settled,
)
from analytics.equipment.rule import AhuRule, IndexArray, beyond
from analytics.equipment.supply import steady


class CoolingWithColdOutdoorAir(AhuRule):
    """Finds the cooling coil open at 100 % outdoor air that needs no cooling (G36 FC#11).

    Sign convention: :meth:`score_samples` is how far the outdoor air plus the fan's heat lies
    below the supply setpoint, in multiples of ``εOAT + εSAT`` beyond them; 0 where fine or
    not judged. Needs outdoor air, the supply setpoint and the cooling valve.
    """

    kind: ClassVar[str] = "cooling_with_cold_outdoor_air"
    fault_condition: ClassVar[str | None] = "G36 FC#11"
    needs: ClassVar[tuple[str, ...]] = ("outdoor_c", "supply_setpoint_c", "cooling_valve")

    def __init__(
        self,
        *,
        outdoor_error_k: float = OUTDOOR_ERROR_K,
        supply_error_k: float = SUPPLY_ERROR_K,
        fan_heat_k: float = FAN_HEAT_K,
        mode_delay_s: float = MODE_DELAY_S,
        alarm_delay_s: float = ALARM_DELAY_S,
        join_s: float = MODE_DELAY_S,
        min_samples: int = 10,
    ) -> None:
        self.outdoor_error_k = outdoor_error_k
        self.supply_error_k = supply_error_k
        self.fan_heat_k = fan_heat_k
        self.mode_delay_s = mode_delay_s
        self.alarm_delay_s = alarm_delay_s
        self.join_s = join_s
        self.min_samples = min_samples

    def _score(self, series: AhuSeries) -> FloatArray:
        modes = operating_modes(series)
        judged = settled(series.times_s, modes, delay_s=self.mode_delay_s)
        judged &= modes == Mode.ECONOMISER_COOLING
        judged &= steady(
            series.times_s,
            series.setpoint_high_c,
            window_s=self.mode_delay_s,
            tolerance_k=self.supply_error_k,
        )
        margin_k = series.setpoint_high_c - self.fan_heat_k - series.outdoor_c
        tolerance_k = self.outdoor_error_k + self.supply_error_k
        scores: FloatArray = np.where(judged, beyond(margin_k, tolerance_k), 0.0)
        return scores

    def describe(self, series: AhuSeries, members: IndexArray) -> str:
        """Median outdoor air against the supply setpoint, and the cooling valve."""
        outdoor = float(np.nanmedian(series.outdoor_c[members]))
        setpoint = float(np.nanmedian(series.setpoint_high_c[members]))
        valve = float(np.nanmedian(series.cooling[members]))
        minutes = members.size * self.interval_s_ / 60.0
        return (
            f"cooling valve {valve:.0%} open at 100 % outdoor air of {outdoor:.1f} °C against a "
            f"supply setpoint of {setpoint:.1f} °C for {minutes:.0f} min (G36 FC#11)"
        )


__all__ = ["CoolingWithColdOutdoorAir"]
