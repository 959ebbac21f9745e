"""Outdoor-air damper stuck, or out of the position its economiser state calls for.

The outdoor-air fraction the mixing box really delivers follows from three temperatures,
``OAF = (MAT - RAT) / (OAT - RAT)``, wherever outdoor and return air differ by at least G36's
ΔTmin (5.6 K). Its uncertainty is the sensors' stated errors carried through that formula,
``sqrt(εMAT² + ((1 - OAF)·εRAT)² + (OAF·εOAT)²) / |OAT - RAT|``. Four conditions, the first
three judged with the supply fan running and the mode settled:

- The damper does not do what it is told (G36 FC#6 in spirit; FC#10 with the damper fully
  open, OS#3, where the mixed air must be the outdoor air): the fraction differs from the
  damper command by more than ``position_tolerance`` plus that uncertainty. The allowance is
  for the damper's installed characteristic: with ordinary authority the share of outdoor air
  at a command differs from the command by up to a few tenths (0.1-0.15 at minimum position in
  the LBNL units), so 0.3 is where a linkage, actuator or stuck blade begins.
- Excess outdoor air (G36 FC#6, OS#1 and OS#4): while the unit heats with outdoor air colder
  than the return air, or cools mechanically with it warmer, the economiser belongs at its
  minimum position; a damper command or a measured fraction above the minimum by more than the
  same allowance wastes energy (a damper stuck open that reports its position shows here).
  The minimum position is a parameter or, when ``None``, learnt in ``fit`` as the low
  (5th-percentile) damper command while the supply fan runs with the damper open: the position
  the unit ventilates at (a closed damper with the fan running is a night cycle).
- A closed damper that lets outdoor air in (OS#2 with the damper commanded closed): with both
  valves closed the supply air is the mixed air plus the fan's heat (0 to 1.1 K, taken as
  half of it, the other half an error), read by the supply sensor (εSAT 1.1 K) rather than the
  stratified mixed-air one (2.8 K), so the fraction from it is the sharper one. A closed
  damper is closed: beyond its error, a fraction above ``closed_leakage`` (0.1 of the supply
  air, well above a closed damper's rated leakage) is a leak, a blade or linkage stuck.
- The damper open with the supply fan stopped (after the mode delay): every sequence closes
  the outdoor air when the fan stops (against frozen coils and the draught of cold air through
  a stopped unit), so a damper that reads more than ``position_tolerance`` open then is stuck
  or overridden. A damper stuck fully open in a unit whose minimum position is already near
  100 % shows nowhere else.

Heat recovery ahead of the mixing box (a rotary wheel, as in most Nordic units) brings the
outdoor air towards the return air before the mixed-air sensor sees it, so the fraction from
temperatures is the damper's share times ``1 - efficiency``: it can read low, never high. A
fraction above the command is judged always; one below it only where the heat recovery is
known to be off: its point (``AhuSeries.heat_recovery``) at 0, or, without that point, with
the economiser open beyond its minimum position (a sequence stops its heat recovery before it
opens the damper for free cooling, or the two would fight).
"""

from __future__ import annotations

from typing import ClassVar, Final, Self

import numpy as np
from sklearn.utils.validation import check_is_fitted

from analytics.equipment.ahu import (
    ALARM_DELAY_S,
    FAN_HEAT_K,
    MIN_OUTDOOR_RETURN_K,
    MIXED_ERROR_K,
    MODE_DELAY_S,
    OUTDOOR_ERROR_K,
    RETURN_ERROR_K,
    SUPPLY_ERROR_K,
    VALVE_OPEN,
    AhuSeries,
    BoolArray,
    FloatArray,
    Mode,
    operating_modes,
    sample_interval_s,
    settled,
)
from analytics.equipment.rule import AhuRule, IndexArray, beyond

#: Allowance for a damper's installed characteristic (fraction of outdoor air).
POSITION_TOLERANCE: Final = 0.3
#: Outdoor air a damper commanded closed may let in (fraction of the supply air).
CLOSED_LEAKAGE: Final = 0.1
#: The damper command's low percentile taken as the unit's minimum position.
MIN_POSITION_PERCENTILE: Final = 5.0


def outdoor_air_fraction(series: AhuSeries) -> tuple[FloatArray, FloatArray]:
    """The outdoor-air fraction from temperatures and its uncertainty (NaN below ΔTmin)."""
    span_k = series.outdoor_c - series.return_c
    usable = np.abs(span_k) >= MIN_OUTDOOR_RETURN_K
    safe = np.where(usable, span_k, np.nan)
    fraction = (series.mixed_c - series.return_c) / safe
    share = np.clip(fraction, 0.0, 1.0)
    error = np.sqrt(
        MIXED_ERROR_K**2 + ((1.0 - share) * RETURN_ERROR_K) ** 2 + (share * OUTDOOR_ERROR_K) ** 2
    ) / np.abs(safe)
    return fraction, error


def supply_air_fraction(series: AhuSeries) -> tuple[FloatArray, FloatArray]:
    """The outdoor-air fraction from the supply air, for samples with both coils inactive:
    the supply air less half the fan's heat stands for the mixed air (NaN below ΔTmin)."""
    span_k = series.outdoor_c - series.return_c
    safe = np.where(np.abs(span_k) >= MIN_OUTDOOR_RETURN_K, span_k, np.nan)
    fraction = (series.supply_c - FAN_HEAT_K / 2.0 - series.return_c) / safe
    share = np.clip(fraction, 0.0, 1.0)
    error = np.sqrt(
        SUPPLY_ERROR_K**2
        + (FAN_HEAT_K / 2.0) ** 2
        + ((1.0 - share) * RETURN_ERROR_K) ** 2
        + (share * OUTDOOR_ERROR_K) ** 2
    ) / np.abs(safe)
    return fraction, error


class DamperOutOfPosition(AhuRule):
    """Finds an outdoor-air damper that is stuck or lets in more air than its state calls for.

    Sign convention: :meth:`score_samples` is how far the outdoor-air fraction (or the damper
    command, for excess air) lies from where it belongs, in multiples of its tolerance beyond
    it; 0 where fine or not judged. ``fit`` learns the sample interval and, unless
    ``min_position`` is given, the unit's minimum damper position.
    """

    kind: ClassVar[str] = "damper_out_of_position"
    fault_condition: ClassVar[str | None] = "G36 FC#6 (FC#10)"
    needs: ClassVar[tuple[str, ...]] = ("mixed_c", "return_c", "outdoor_c", "damper")

    def __init__(
        self,
        *,
        position_tolerance: float = POSITION_TOLERANCE,
        closed_leakage: float = CLOSED_LEAKAGE,
        min_position: float | None = None,
        mode_delay_s: float = MODE_DELAY_S,
        alarm_delay_s: float = ALARM_DELAY_S,
        join_s: float = MODE_DELAY_S,
        min_samples: int = 10,
    ) -> None:
        self.position_tolerance = position_tolerance
        self.closed_leakage = closed_leakage
        self.min_position = min_position
        self.mode_delay_s = mode_delay_s
        self.alarm_delay_s = alarm_delay_s
        self.join_s = join_s
        self.min_samples = min_samples

    def fit(self, series: AhuSeries) -> Self:
        """Learn the sample interval and the minimum damper position (unless given)."""
        self.interval_s_ = sample_interval_s(series.times_s)
        if self.min_position is not None:
            self.min_position_ = float(self.min_position)
            return self
        # A closed damper with the fan running is a night cycle (G36 closes the outdoor air
        # when unoccupied): the minimum position is the lowest one the unit ventilates at.
        ventilating = series.fan_on & np.isfinite(series.damper) & (series.damper > VALVE_OPEN)
        running = series.damper[ventilating]
        self.min_position_ = (
            float(np.percentile(running, MIN_POSITION_PERCENTILE)) if running.size else 0.0
        )
        return self

    def _score(self, series: AhuSeries) -> FloatArray:
        check_is_fitted(self, "min_position_")
        modes = operating_modes(series)
        judged = settled(series.times_s, modes, delay_s=self.mode_delay_s)
        fraction, error = outdoor_air_fraction(series)
        allowed = self.position_tolerance + error
        gap = fraction - series.damper
        too_little = np.where(self.recovery_off(series), beyond(-gap, allowed), 0.0)
        stuck = np.where(judged, np.fmax(beyond(gap, allowed), too_little), 0.0)

        outdoor_colder = series.outdoor_c < series.return_c
        wasteful = ((modes == Mode.HEATING) & outdoor_colder) | (
            (modes == Mode.COOLING) & ~outdoor_colder
        )
        # The command counts as it is (no temperature error); the fraction with its error.
        command_excess = series.damper - self.min_position_
        fraction_excess = np.fmax(fraction - error, -1.0) - self.min_position_
        excess = np.fmax(command_excess, fraction_excess)
        extra = np.where(judged & wasteful, beyond(excess, self.position_tolerance), 0.0)

        closed = judged & (modes == Mode.ECONOMISER) & (series.damper <= VALVE_OPEN)
        through_supply, supply_error = supply_air_fraction(series)
        leak = np.where(closed, beyond(through_supply, self.closed_leakage + supply_error), 0.0)

        stopped = stopped_for(series.times_s, series.fan_on, delay_s=self.mode_delay_s)
        open_stopped = np.where(stopped, beyond(series.damper, self.position_tolerance), 0.0)
        scores: FloatArray = np.fmax(np.fmax(stuck, extra), np.fmax(leak, open_stopped))
        return scores

    def recovery_off(self, series: AhuSeries) -> BoolArray:
        """Samples where heat recovery ahead of the mixing box is known not to run."""
        if series.heat_recovery is not None:
            known: BoolArray = series.heat_recovery <= VALVE_OPEN
            return known
        economising: BoolArray = series.damper > self.min_position_ + VALVE_OPEN
        return economising

    def describe(self, series: AhuSeries, members: IndexArray) -> str:
        """Median damper command against the median outdoor-air fraction from temperatures."""
        fraction, _ = outdoor_air_fraction(series)
        minutes = members.size * self.interval_s_ / 60.0
        measured = fraction[members]
        shown = f"{np.nanmedian(measured):.2f}" if np.isfinite(measured).any() else "unknown"
        return (
            f"damper command {np.nanmedian(series.damper[members]):.2f}, outdoor-air fraction "
            f"{shown} (minimum position {self.min_position_:.2f}) for {minutes:.0f} min"
        )


def stopped_for(times_s: FloatArray, fan_on: BoolArray, *, delay_s: float) -> BoolArray:
    """Samples with the supply fan stopped for at least ``delay_s`` (a gap restarts the count)."""
    if times_s.size == 0:
        return np.zeros(0, dtype=bool)
    starts = np.ones(times_s.shape, dtype=bool)
    starts[1:] = (fan_on[1:] != fan_on[:-1]) | ~(np.diff(times_s) <= delay_s)
    since_s = times_s[np.flatnonzero(starts)][np.cumsum(starts) - 1]
    stopped: BoolArray = ~fan_on & (times_s - since_s >= delay_s)
    return stopped


__all__ = [
    "CLOSED_LEAKAGE",
    "DamperOutOfPosition",
    "outdoor_air_fraction",
    "stopped_for",
    "supply_air_fraction",
]
