"""Supply air temperature that stays off its setpoint.

The supply temperature loop is the AHU's main job; when it cannot hold the setpoint, a coil, a
valve or the damper does not do what its command says. Three conditions, each judged with the
supply fan running, the mode settled and the setpoint steady (a setpoint step takes minutes to
follow):

- G36 FC#7, heating coil fully open (≥ 99 %, OS#1) and the supply air still colder than the
  setpoint by more than εSAT: the coil does not heat (valve stuck closed, a leaking cooling
  coil fighting it).
- G36 FC#13, cooling coil fully open (≥ 99 %, OS#3/#4) and the supply air still warmer than the
  setpoint by more than εSAT: the coil does not cool (valve stuck closed, a leaking heating coil).
- The supply air off its setpoint band by more than εSAT with the controller not saturated —
  a loop that cannot act on the air (a stuck valve or damper whose command moves, but nothing
  else). Too warm is judged only on a unit with a cooling coil or while its heating coil is
  open: a unit without cooling cannot supply air colder than what the outdoor air gives.

A unit with a heating and a cooling setpoint (single-zone) holds the supply air between them;
the band is ``[supply_setpoint_c, supply_setpoint_high_c]``.
"""

from __future__ import annotations

from typing import ClassVar, Final

import numpy as np

from analytics.equipment.ahu import (
    ALARM_DELAY_S,
    MODE_DELAY_S,
    SUPPLY_ERROR_K,
    VALVE_FULL,
    VALVE_OPEN,
    AhuSeries,
    BoolArray,
    FloatArray,
    Mode,
    operating_modes,
    settled,
)
from analytics.equipment.rule import AhuRule, IndexArray, beyond

#: A change of the correcting outputs (valves and damper, summed with their signs) this large
#: within the mode delay is a loop still acting: 5 % of stroke.
ACTING_CHANGE: Final = 0.05


class SupplyTempOffSetpoint(AhuRule):
    """Finds supply air held off its setpoint (G36 FC#7, FC#13 and a persistent offset).

    Sign convention: :meth:`score_samples` is the supply air's distance outside its setpoint
    band, in multiples of ``tolerance_k`` beyond it; 0 where fine or not judged.
    """

    kind: ClassVar[str] = "supply_temp_off_setpoint"
    fault_condition: ClassVar[str | None] = "G36 FC#7/FC#13"
    needs: ClassVar[tuple[str, ...]] = ("supply_c", "supply_setpoint_c", "heating_valve")

    def __init__(
        self,
        *,
        tolerance_k: float = SUPPLY_ERROR_K,
        mode_delay_s: float = MODE_DELAY_S,
        alarm_delay_s: float = ALARM_DELAY_S,
        join_s: float = MODE_DELAY_S,
        min_samples: int = 10,
    ) -> None:
        self.tolerance_k = tolerance_k
        self.mode_delay_s = mode_delay_s
        self.alarm_delay_s = alarm_delay_s
        self.join_s = join_s
        self.min_samples = min_samples

    def _score(self, series: AhuSeries) -> FloatArray:
        modes = operating_modes(series)
        judged = settled(series.times_s, modes, delay_s=self.mode_delay_s)
        for setpoint_c in (series.supply_setpoint_c, series.setpoint_high_c):
            judged &= steady(
                series.times_s, setpoint_c, window_s=self.mode_delay_s, tolerance_k=self.tolerance_k
            )
        if series.occupied is not None:
            # Unoccupied, a unit runs setback and purge cycles with its supply loop idle.
            judged &= series.occupied
        band_c = np.clip(series.supply_c, series.supply_setpoint_c, series.setpoint_high_c)
        # Averaged over the mode delay: a loop that hunts around its setpoint is not off it.
        offset_k = trailing_mean(series.times_s, series.supply_c - band_c, self.mode_delay_s)
        # A loop still pulling the supply air towards its setpoint is not off it either; one
        # whose offset has not shrunk by a quarter tolerance in the mode delay holds it.
        earlier = np.searchsorted(series.times_s, series.times_s - self.mode_delay_s)
        holding = np.abs(offset_k) > np.abs(offset_k[earlier]) - self.tolerance_k / 4
        # ... nor one whose outputs still move to correct it (a slow integral action).
        warmer = (
            np.nan_to_num(series.heating_valve - series.heating_valve[earlier])
            - np.nan_to_num(series.cooling - series.cooling[earlier])
            - np.nan_to_num(series.damper - series.damper[earlier])
        )
        acting = np.where(offset_k > 0, -warmer, warmer) >= ACTING_CHANGE
        holding &= ~acting
        saturated = ((series.heating_valve >= VALVE_FULL) & (offset_k < 0)) | (
            (series.cooling >= VALVE_FULL) & (offset_k > 0)
        )
        can_cool = series.cooling_valve is not None
        heating_open = series.heating_valve > VALVE_OPEN
        direction_judged = np.where(offset_k > 0, heating_open | can_cool, True)
        judged &= (holding | saturated) & direction_judged
        scores: FloatArray = np.where(judged, beyond(np.abs(offset_k), self.tolerance_k), 0.0)
        return scores

    def describe(self, series: AhuSeries, members: IndexArray) -> str:
        """Mean offset, and whether the coil that should correct it was fully open."""
        offset = series.supply_c[members] - np.where(
            series.supply_c[members] < series.supply_setpoint_c[members],
            series.supply_setpoint_c[members],
            series.setpoint_high_c[members],
        )
        modes = operating_modes(series)[members]
        heat_full = (modes == Mode.HEATING) & (series.heating_valve[members] >= VALVE_FULL)
        cool_full = ((modes == Mode.COOLING) | (modes == Mode.ECONOMISER_COOLING)) & (
            series.cooling[members] >= VALVE_FULL
        )
        minutes = members.size * self.interval_s_ / 60.0
        text = f"supply air {np.nanmean(offset):+.1f} K off its setpoint for {minutes:.0f} min"
        if heat_full.mean() > 0.5:
            text += ", heating coil fully open (G36 FC#7)"
        elif cool_full.mean() > 0.5:
            text += ", cooling coil fully open (G36 FC#13)"
        return text


def trailing_mean(times_s: FloatArray, values: FloatArray, window_s: float) -> FloatArray:
    """Mean of the finite values in ``(t - window_s, t]`` at each time (NaN where none)."""
    finite = np.isfinite(values)
    sums = np.concatenate(([0.0], np.cumsum(np.where(finite, values, 0.0))))
    counts = np.concatenate(([0], np.cumsum(finite)))
    first = np.searchsorted(times_s, times_s - window_s, side="right")
    stop = np.arange(1, times_s.size + 1)
    count = counts[stop] - counts[first]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: FloatArray = np.where(count > 0, (sums[stop] - sums[first]) / count, np.nan)
    return mean


def steady(
    times_s: FloatArray, setpoint_c: FloatArray, *, window_s: float, tolerance_k: float
) -> BoolArray:
    """Samples whose setpoint has stayed within ``tolerance_k`` over the last ``window_s``: a
    setpoint step or ramp needs that long to be followed."""
    index = np.arange(times_s.size)
    earliest = np.searchsorted(times_s, times_s - window_s, side="left")
    low = setpoint_c.copy()
    high = setpoint_c.copy()
    for back in range(1, int((index - earliest).max(initial=0)) + 1):
        valid = index - back >= earliest
        shifted = np.roll(setpoint_c, back)
        low = np.where(valid, np.fmin(low, shifted), low)
        high = np.where(valid, np.fmax(high, shifted), high)
    quiet: BoolArray = np.isfinite(setpoint_c) & (high - low <= tolerance_k)
    return quiet


__all__ = ["SupplyTempOffSetpoint", "steady", "trailing_mean"]
