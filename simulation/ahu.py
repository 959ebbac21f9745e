"""The air handling unit's control sequence and coil loads, for a run of steps at once.

Air path: outdoor air -> rotary heat recovery (against the extract air) -> mixing box (outdoor
air share = damper position, the rest recirculated return air) -> heating coil -> cooling coil
-> supply fan. The supply temperature is held at its setpoint in the usual Norwegian sequence:
as less heat is needed, first the heating coil closes, then the wheel slows, then the damper
opens from its minimum towards 100 % (free cooling), then the cooling coil opens. A unit without
a cooling coil supplies what the outdoor air gives once the damper is fully open.

The zone loop decides the supply temperature step by step (it needs the return temperature of
the previous step, see :func:`supply_temperature`); this module then works out, for the same
steps, the damper, wheel and coils that produce it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from byggpuls.calendar import BoolArray
from simulation.model import AIR_W_PER_M3H_K, AhuModel
from simulation.noise import FloatArray

#: Chilled water supply temperature, °C.
CHILLED_WATER_C: Final = 7.0
#: Heating coil water temperature, °C.
COIL_WATER_C: Final = 70.0


@dataclass(frozen=True, slots=True)
class AhuState:
    """What the unit does at each step."""

    mixed_c: FloatArray
    supply_c: FloatArray
    return_c: FloatArray
    damper: FloatArray  # 0-1 outdoor-air share
    heat_recovery: FloatArray  # 0-1 wheel efficiency in use
    heating_w: FloatArray
    cooling_w: FloatArray
    heating_valve: FloatArray  # 0-1 position
    cooling_valve: FloatArray
    fan_w: FloatArray
    airflow_m3_h: FloatArray


def supply_temperature(
    *, has_cooling: bool, setpoint_c: float, outdoor_c: float, return_c: float, min_damper: float
) -> float:
    """The supply temperature the unit achieves (scalar: called once per step in the zone loop).

    With a cooling coil it always reaches the setpoint; without one it cannot go below what
    outdoor air with the damper fully open (or, when outdoor air is warmer than the return air,
    at its minimum) gives.
    """
    if has_cooling:
        return setpoint_c
    # Outdoor air colder than return air: all outdoor air; warmer: as little as the damper allows.
    colder = outdoor_c < return_c
    floor = outdoor_c if colder else return_c + min_damper * (outdoor_c - return_c)
    return setpoint_c if setpoint_c > floor else floor


def operate(
    ahu: AhuModel,
    *,
    running: BoolArray,
    speed: FloatArray,
    outdoor_c: FloatArray,
    return_c: FloatArray,
    supply_c: FloatArray,
    zone_mean_c: FloatArray,
    min_damper: FloatArray,
    damper_stuck: BoolArray,
    leak_cooling: FloatArray,
    leak_heating: FloatArray,
) -> AhuState:
    """The damper, wheel and coils that give ``supply_c`` from ``outdoor_c`` and ``return_c``."""
    eta_max = ahu.heat_recovery_max
    d_lo = min_damper
    delta = return_c - outdoor_c  # > 0: outdoor air cools
    need = return_c - supply_c  # cooling the outdoor air must provide
    colder = delta > 1e-9
    safe_delta = np.where(colder, delta, 1.0)
    full = d_lo * (1.0 - eta_max) * delta  # cooling effect with the wheel at full speed
    slow_wheel = colder & (need > full) & (need <= d_lo * delta)
    open_damper = colder & (need > d_lo * delta) & (need <= delta)
    too_warm = colder & (need > delta)
    eta = np.where(slow_wheel, 1.0 - need / (d_lo * safe_delta), eta_max)
    eta = np.where(open_damper | too_warm | ~colder, 0.0, eta)
    damper = np.where(open_damper, need / safe_delta, d_lo)
    damper = np.where(too_warm, 1.0, damper)
    mixed = return_c - damper * (1.0 - eta) * delta

    airflow = ahu.design_airflow_m3_h * speed * running
    capacity = AIR_W_PER_M3H_K * airflow
    net_w = capacity * (supply_c - mixed)
    cooling_cap_w = 1e3 * ahu.cooling_coil_kw
    heating_cap_w = 1e3 * ahu.heating_coil_kw
    cold_span = np.clip((mixed - CHILLED_WATER_C) / (25.0 - CHILLED_WATER_C), 0.2, 1.0)
    warm_span = np.clip((COIL_WATER_C - mixed) / (COIL_WATER_C + 12.0), 0.0, 1.0)
    leak_cool_w = leak_cooling * cooling_cap_w * cold_span * running * speed
    leak_heat_w = leak_heating * heating_cap_w * warm_span * running * speed
    heating = np.maximum(np.maximum(net_w + leak_cool_w, leak_heat_w), 0.0)
    cooling = np.maximum(heating - net_w, 0.0) if ahu.has_cooling else np.zeros_like(heating)

    heating_valve = np.clip(heating / heating_cap_w, 0.0, 1.0)
    cooling_valve = np.clip(cooling / cooling_cap_w, 0.0, 1.0) if ahu.has_cooling else cooling
    # A stuck valve reads its stuck position whether or not the fans run.
    heating_valve = np.maximum(heating_valve, leak_heating)
    cooling_valve = np.maximum(cooling_valve, leak_cooling)

    # A stopped unit's duct sensors settle between plant-room and outdoor temperature.
    outdoor_share = np.where(damper_stuck, 0.7, 0.4)
    plant_c = (1.0 - outdoor_share) * zone_mean_c + outdoor_share * outdoor_c
    design_m3_s = ahu.design_airflow_m3_h / 3600.0
    return AhuState(
        mixed_c=np.where(running, mixed, plant_c),
        supply_c=np.where(running, supply_c, plant_c + 0.3),
        return_c=np.where(running, return_c, zone_mean_c - 0.5),
        damper=np.where(damper_stuck, 1.0, np.where(running, damper, 0.0)),
        heat_recovery=np.where(running, eta, 0.0),
        heating_w=heating,
        cooling_w=cooling,
        heating_valve=heating_valve,
        cooling_valve=cooling_valve,
        fan_w=1e3 * ahu.sfp_kw_per_m3_s * design_m3_s * speed**2.5 * running,
        airflow_m3_h=airflow,
    )
