"""Simultaneous heating and cooling: a coil that heats or cools while its valve is closed.

A leaking or stuck valve lets one coil work against the other, and the controller hides it by
opening the other coil further: the energy is paid twice. Without temperature sensors between
the coils (G36 FC#14 and FC#15 use the coils' entering and leaving temperatures), the air's
change from the mixing box to the supply duct tells it, judged in the modes where one coil is
meant to be closed:

- G36 FC#14 / FC#5, cooling coil inactive (OS#1 heating, OS#2 economiser): the supply air must
  be at least as warm as the mixed air plus the fan's heat; colder by more than the sensors'
  stated errors, ``sqrt(εSAT² + εMAT²)`` (3.0 K), means the cooling coil cools.
- G36 FC#15 / FC#12, heating coil inactive (OS#2, #3, #4): the supply air may be no warmer than
  the mixed air plus the fan's heat; warmer by more than the same error means the heating coil
  heats. (In OS#3/#4 the open cooling coil hides a small leak: what is left over is a large one.)
- The mixed air lies between the return and the outdoor air it is mixed from (whatever the
  damper does: a leak or a heat-recovery wheel only moves it within that range), so the air
  entering the coils is no warmer than the warmer of the two and no colder than the colder.
  Where that bound, read by the return and outdoor sensors (εRAT, εOAT 1.1 K), is tighter
  than the mixed-air reading with its 2.8 K (stratified air; recirculating, the mixed air is
  the return air), the same two checks are made against it, with ``sqrt(εSAT² + εRAT²)``
  (1.6 K); the supply air colder than the colder stream counts without the fan's heat (which
  may be nil), warmer than the warmer with it (which may be the full 1.1 K).
- In OS#3 (economiser fully open, cooling coil open) the air entering the coils is the outdoor
  air: where the mixed-air sensor agrees with the outdoor one within G36 FC#10's tolerance
  (``sqrt(εMAT² + εOAT²)``, 3.0 K: the damper really is open), the supply air warmer than the
  outdoor air plus the fan's heat by more than ``sqrt(εSAT² + εOAT²)`` (1.6 K) is a heating
  coil that heats: the rise a leaking heating valve leaves while the cooling coil works
  against it, which the mixed-air reading's 3.0 K hides.
- Both valves open at once (each above 2 %) for the alarm delay (G36 OS#5 held as a steady
  state): a control sequence with a dead band never does that.

Energy: the temperature change beyond the fan's heat, times rho·cp·flow, over the faulty samples
(kWh) where the unit reports its airflow; ``None`` where it does not. It is a lower bound: the
coil that fights the leak spends as much again, and with both valves open the two cancel in the
air temperatures.
"""

from __future__ import annotations

import math
from typing import ClassVar, Final

import numpy as np

from analytics.equipment.ahu import (
    ALARM_DELAY_S,
    FAN_HEAT_K,
    MIXED_ERROR_K,
    MODE_DELAY_S,
    RETURN_ERROR_K,
    SUPPLY_ERROR_K,
    VALVE_OPEN,
    AhuSeries,
    FloatArray,
    Mode,
    operating_modes,
    settled,
)
from analytics.equipment.rule import AhuRule, beyond

#: Root-sum-square of the supply and mixed air sensors' G36 errors (K).
COIL_TOLERANCE_K: Final = math.hypot(SUPPLY_ERROR_K, MIXED_ERROR_K)
#: Root-sum-square of the supply and the return (or outdoor: G36 gives both 2 °F) air sensors'
#: errors (K), for the checks against the streams the mixed air comes from.
STREAM_TOLERANCE_K: Final = math.hypot(SUPPLY_ERROR_K, RETURN_ERROR_K)
#: Both valves count as open together above this (each): the threshold the operating modes
#: use. Held settled for the alarm delay, any overlap is a fault (a sequence with a dead band
#: never opens both), and a stuck cooling valve shows only as a small heating valve where the
#: heating coil is several times the cooling coil's size.
OVERLAP_VALVE: Final = VALVE_OPEN


class SimultaneousHeatingCooling(AhuRule):
    """Finds a coil that works while its valve is closed, or both valves open at once.

    Sign convention: :meth:`score_samples` is the unexplained temperature change across the
    coils, or the smaller of the two valve positions, in multiples of its tolerance beyond
    that tolerance; 0 where fine or not judged. Judged with the supply fan running and the mode
    settled; needs supply, mixed air, the heating valve (the cooling valve where the unit has
    one: without it only the heating side and FC#5 are judged).
    """

    kind: ClassVar[str] = "simultaneous_heating_cooling"
    fault_condition: ClassVar[str | None] = "G36 FC#14/FC#15 (FC#5, FC#12)"
    needs: ClassVar[tuple[str, ...]] = ("supply_c", "mixed_c", "heating_valve")

    def __init__(
        self,
        *,
        tolerance_k: float = COIL_TOLERANCE_K,
        stream_tolerance_k: float = STREAM_TOLERANCE_K,
        fan_heat_k: float = FAN_HEAT_K,
        overlap_valve: float = OVERLAP_VALVE,
        mode_delay_s: float = MODE_DELAY_S,
        alarm_delay_s: float = ALARM_DELAY_S,
        join_s: float = MODE_DELAY_S,
        min_samples: int = 10,
    ) -> None:
        self.tolerance_k = tolerance_k
        self.stream_tolerance_k = stream_tolerance_k
        self.fan_heat_k = fan_heat_k
        self.overlap_valve = overlap_valve
        self.mode_delay_s = mode_delay_s
        self.alarm_delay_s = alarm_delay_s
        self.join_s = join_s
        self.min_samples = min_samples

    def _score(self, series: AhuSeries) -> FloatArray:
        modes = operating_modes(series)
        judged = settled(series.times_s, modes, delay_s=self.mode_delay_s)
        change_k = series.supply_c - series.mixed_c - self.fan_heat_k
        cooling_off = (modes == Mode.HEATING) | (modes == Mode.ECONOMISER)
        heating_off = (
            (modes == Mode.ECONOMISER)
            | (modes == Mode.ECONOMISER_COOLING)
            | (modes == Mode.COOLING)
        )
        # The air entering the coils, bounded by the streams it is mixed from (NaN: unknown).
        warmest_c = np.maximum(series.return_c, series.outdoor_c)
        coldest_c = np.minimum(series.return_c, series.outdoor_c)
        # No credit for the fan's heat here: it may be nil (a blow-through fan, a slow one).
        below_k = coldest_c - series.supply_c
        above_k = series.supply_c - self.fan_heat_k - warmest_c
        drop_k = np.fmax(
            beyond(-change_k, self.tolerance_k), beyond(below_k, self.stream_tolerance_k)
        )
        rise_k = np.fmax(
            beyond(change_k, self.tolerance_k), beyond(above_k, self.stream_tolerance_k)
        )
        # OS#3: with the economiser fully open the air entering the coils is the outdoor air
        # (G36 FC#10), read by its sharper sensor where the mixed-air sensor agrees with it.
        outdoor_only = (modes == Mode.ECONOMISER_COOLING) & (
            np.abs(series.mixed_c - series.outdoor_c) <= self.tolerance_k
        )
        outdoor_rise_k = series.supply_c - self.fan_heat_k - series.outdoor_c
        rise_k = np.where(
            outdoor_only,
            np.fmax(rise_k, beyond(outdoor_rise_k, self.stream_tolerance_k)),
            rise_k,
        )
        drop = np.where(judged & cooling_off, drop_k, 0.0)
        rise = np.where(judged & heating_off, rise_k, 0.0)
        both = np.zeros(series.times_s.shape)
        if series.cooling_valve is not None:
            overlap = np.minimum(series.heating_valve, series.cooling_valve)
            both = np.where(
                judged & (modes == Mode.OTHER), beyond(overlap, self.overlap_valve), 0.0
            )
        scores: FloatArray = np.fmax(np.fmax(drop, rise), both)
        return scores

    def energy_delta_k(self, series: AhuSeries) -> FloatArray | None:
        """The coils' net effect beyond the fan's heat: what the leaking coil moves."""
        change: FloatArray = series.supply_c - series.mixed_c - self.fan_heat_k
        return change


__all__ = [
    "COIL_TOLERANCE_K",
    "OVERLAP_VALVE",
    "STREAM_TOLERANCE_K",
    "SimultaneousHeatingCooling",
]
