"""The building's physics on a fixed grid of steps, and the energy its meters see.

Time is cut into steps of :data:`STEP_S` seconds aligned to the Unix epoch; step ``k`` runs from
``k * STEP_S`` to ``(k + 1) * STEP_S`` with its inputs taken at the midpoint. State (zone
temperature, CO₂, humidity, meter counters) is known at the grid times; powers and control
signals are averages over a step.

- Zone temperature: one thermal capacity per zone, losing heat to outdoors (envelope,
  infiltration, open windows), gaining it from people, lights, equipment, sun, supply air and
  radiators. A proportional thermostat (1 K band) opens the radiator valve; the radiator gives
  at most ``radiator_w_k x (water - room)``, and the water follows the outdoor temperature
  (heating curve) with a night setback. Explicit Euler at 5-minute steps: the time constants
  are hours, the thermostat's loop gain is well below the stability limit.
- CO₂ and humidity: dC/dt = (G·N - Q·(C - C_out)) / V with Q the outdoor air reaching the zone
  (the damper's outdoor share of the supply air, plus infiltration, windows and draughts),
  integrated exactly over each step (inputs held constant within a step).
- Electricity = fans + lighting + plug loads + constant loads + pumps + chiller + any drift;
  district heat = radiators + heating coil + domestic hot water + its circulation losses.
  Each is multiplied by the building's meter and occupant noise factor
  (:mod:`simulation.variability`, 1 when it has none); the counters integrate these noisy
  powers exactly, so they agree with each other step by step and never run backwards.
- Zone temperature *readings* (``zone_temp_sensed``) are the zone temperature plus the slow
  wander a sensor sees near people and doors; the physics uses the zone temperature itself.

Everything is elementwise or a sequential loop, so a step's result does not depend on how the
run was cut into calls: one call over four weeks and 8 064 calls of one step give the same bits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from simulation import ahu as ahu_module
from simulation import inputs as inputs_module
from simulation import variability
from simulation.faults import FaultSpec
from simulation.model import AIR_DENSITY_KG_M3, AIR_W_PER_M3H_K, BuildingModel
from simulation.noise import FloatArray
from simulation.weather import Weather, relative_humidity

STEP_S: Final = 300
#: Thermostat proportional band, K; the valve is fully open this far below setpoint + 0.5 K.
THERMOSTAT_BAND_K: Final = 1.0
#: Extract air picks up heat from lights in the ceiling on its way back, K.
RETURN_RISE_K: Final = 0.3
#: Domestic hot water: 40 % of water used is hot, heated from 8 °C to 55 °C (W per l/h).
DHW_W_PER_L_H: Final = 0.4 * 4186.0 * 47.0 / 3600.0


@dataclass(frozen=True, slots=True)
class State:
    """What a building carries from one step to the next."""

    zone_temp_c: tuple[float, ...]
    zone_co2_ppm: tuple[float, ...]
    zone_ratio: tuple[float, ...]  # water vapour, kg/kg
    electricity_kwh: float
    heat_kwh: float
    water_m3: float


@dataclass(frozen=True, slots=True)
class Piece:
    """The result of a run of steps ``[k0, k1)``.

    ``states`` hold values at the grid times ``k0 .. k1`` (one more than steps); ``steps`` hold
    step averages. Arrays with a zone axis have it first.
    """

    k0: int
    k1: int
    states: dict[str, FloatArray]
    steps: dict[str, FloatArray]

    def state_at(self, k: int) -> State:
        """The state at grid index ``k`` (``k0 <= k <= k1``)."""
        i = k - self.k0
        s = self.states
        return State(
            zone_temp_c=tuple(float(v) for v in s["zone_temp"][:, i]),
            zone_co2_ppm=tuple(float(v) for v in s["zone_co2"][:, i]),
            zone_ratio=tuple(float(v) for v in s["zone_ratio"][:, i]),
            electricity_kwh=float(s["el_energy"][i]),
            heat_kwh=float(s["dh_energy"][i]),
            water_m3=float(s["water_volume"][i]),
        )


def initial_state(model: BuildingModel, weather: Weather, *, k: int) -> State:
    """A plausible state at grid index ``k``: zones at setpoint, air as outdoors."""
    sky = weather.sample(np.array([k * float(STEP_S)]))
    ratio = float(sky.humidity_ratio[0])
    return State(
        zone_temp_c=tuple(zone.comfort_setpoint_c - 0.5 * zone.setback_k for zone in model.zones),
        zone_co2_ppm=tuple(450.0 for _ in model.zones),
        zone_ratio=tuple(ratio for _ in model.zones),
        electricity_kwh=model.initial_electricity_kwh,
        heat_kwh=model.initial_heat_kwh,
        water_m3=model.initial_water_m3,
    )


def simulate(
    model: BuildingModel,
    weather: Weather,
    state: State,
    *,
    k0: int,
    k1: int,
    faults: Sequence[FaultSpec],
    energy_only: bool = False,
) -> Piece:
    """Run ``model`` from ``state`` at grid index ``k0`` over steps ``[k0, k1)``.

    ``energy_only`` skips CO₂ and humidity (they do not affect energy): for counterfactual runs.
    """
    steps = np.arange(k0, k1, dtype=np.int64)
    inputs = inputs_module.compute(
        model, weather, steps=steps, step_s=float(STEP_S), faults=[f for f in faults if f.physical]
    )
    ahu = model.ahu
    running = inputs.fan_speed > 0.0
    weights = np.array([zone.design_airflow_m3_h for zone in model.zones]) / ahu.design_airflow_m3_h
    zone_flow = np.outer(weights, ahu.design_airflow_m3_h * inputs.fan_speed)  # m³/h per zone
    temps, radiator_w, return_c, supply_c = _zone_loop(model, state, inputs, zone_flow)
    zone_mean = (weights @ temps[:, :-1]) if len(steps) else np.zeros(0)
    unit = ahu_module.operate(
        ahu,
        running=running,
        speed=inputs.fan_speed,
        outdoor_c=inputs.outdoor_c,
        return_c=return_c,
        supply_c=supply_c,
        zone_mean_c=zone_mean,
        min_damper=inputs.min_damper,
        damper_stuck=inputs.damper_stuck,
        leak_cooling=inputs.leak_cooling,
        leak_heating=inputs.leak_heating,
    )
    area = model.area_m2
    water_per_person = np.array([z.water_l_h_per_person for z in model.zones])
    water_l_h = water_per_person @ inputs.people
    electricity_w = (
        unit.fan_w
        + inputs.lighting_w
        + inputs.plug_w
        + inputs.drift_w
        + model.constant_w_m2 * area * inputs.base_load_factor
        + model.pump_w_m2 * area * inputs.heating_on
        + unit.cooling_w / ahu.chiller_cop
    )
    heat_w = (
        radiator_w.sum(axis=0)
        + unit.heating_w
        + DHW_W_PER_L_H * water_l_h
        + model.dhw_circulation_w_m2 * area
    )
    # What legitimate use outside hours added itself: its lights and equipment, and the fans,
    # chiller and air heating of the ventilation run for it, and its people's hot water.
    vent_only = inputs.activity_ventilation
    activity_el_w = inputs.activity_w + vent_only * (unit.fan_w + unit.cooling_w / ahu.chiller_cop)
    activity_heat_w = vent_only * unit.heating_w + DHW_W_PER_L_H * (
        water_per_person @ inputs.activity_people
    )
    el_factor = variability.electricity_factor(model, inputs.times_s)
    if el_factor is not None:
        electricity_w = electricity_w * el_factor
        activity_el_w = activity_el_w * el_factor
    heat_factor = variability.heat_factor(model, inputs.times_s)
    if heat_factor is not None:
        heat_w = heat_w * heat_factor
        activity_heat_w = activity_heat_w * heat_factor
    hours = STEP_S / 3600.0
    states: dict[str, FloatArray] = {
        "zone_temp": temps,
        "el_energy": _counter(state.electricity_kwh, electricity_w * hours / 1e3),
        "dh_energy": _counter(state.heat_kwh, heat_w * hours / 1e3),
        "water_volume": _counter(state.water_m3, water_l_h * hours / 1e3),
    }
    fresh = unit.damper * zone_flow * running + inputs.extra_fresh_m3_h
    fresh = fresh + np.array([[zone.infiltration_m3_h] for zone in model.zones])
    if energy_only:
        states["zone_co2"] = np.repeat(np.array(state.zone_co2_ppm)[:, None], len(steps) + 1, 1)
        states["zone_ratio"] = np.repeat(np.array(state.zone_ratio)[:, None], len(steps) + 1, 1)
    else:
        co2, ratio = _air_quality(model, state, inputs, fresh)
        states["zone_co2"] = co2
        states["zone_ratio"] = ratio
        states["zone_rh"] = relative_humidity(temps, ratio)
        grid_s = np.arange(k0, k1 + 1, dtype=np.float64) * STEP_S
        wander = variability.temperature_wander(model, grid_s)
        states["zone_temp_sensed"] = temps if wander is None else temps + wander
    step_values: dict[str, FloatArray] = {
        "el_power": electricity_w / 1e3,
        "dh_power": heat_w / 1e3,
        "outdoor_temp": inputs.outdoor_c,
        "outdoor_rh": inputs.outdoor_rh_pct,
        "supply_temp": unit.supply_c,
        "supply_setpoint": inputs.supply_setpoint_c,
        "return_temp": unit.return_c,
        "mixed_temp": unit.mixed_c,
        "heating_valve": 100.0 * unit.heating_valve,
        "cooling_valve": 100.0 * unit.cooling_valve,
        "damper": 100.0 * unit.damper,
        "fan_status": running.astype(np.float64),
        "fan_speed": 100.0 * inputs.fan_speed,
        "airflow": unit.airflow_m3_h / 3600.0,
        "water_temp": inputs.water_c,
        "zone_setpoint": inputs.setpoint_c,
        "zone_people": inputs.people,
        "activity_el_power": activity_el_w / 1e3,
        "activity_heat_power": activity_heat_w / 1e3,
    }
    return Piece(k0=k0, k1=k1, states=states, steps=step_values)


def _counter(start: float, increments: FloatArray) -> FloatArray:
    # Accumulate from the start value itself, left to right, so that the sum does not depend on
    # where a run was split.
    result: FloatArray = np.cumsum(np.concatenate(([start], increments)))
    return result


def _zone_loop(
    model: BuildingModel, state: State, inputs: inputs_module.Inputs, zone_flow: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Zone temperatures (zones, n+1), radiator heat (zones, n), return and supply temperature."""
    zones = model.zones
    n = len(inputs.times_s)
    ahu = model.ahu
    has_cooling = ahu.has_cooling
    weights = [zone.design_airflow_m3_h / ahu.design_airflow_m3_h for zone in zones]
    dt_over_c = [STEP_S / zone.capacity_j_k for zone in zones]
    radiator = [zone.radiator_w_k for zone in zones]
    vent = [(AIR_W_PER_M3H_K * row).tolist() for row in zone_flow]
    loss = [row.tolist() for row in inputs.loss_w_k]
    gains = [row.tolist() for row in inputs.gains_w]
    setpoint = [(row + 0.5).tolist() for row in inputs.setpoint_c]
    outdoor = inputs.outdoor_c.tolist()
    supply_sp = inputs.supply_setpoint_c.tolist()
    water = inputs.water_c.tolist()
    heating_on = inputs.heating_on.tolist()
    running = (inputs.fan_speed > 0.0).tolist()
    min_damper = inputs.min_damper.tolist()
    current = list(state.zone_temp_c)
    temps = [[t] for t in current]
    heat = [[0.0] * n for _ in zones]
    return_c = [0.0] * n
    supply_c = [0.0] * n
    band = THERMOSTAT_BAND_K
    z_range = range(len(zones))
    for k in range(n):
        t_out = outdoor[k]
        t_return = RETURN_RISE_K
        for z in z_range:
            t_return += weights[z] * current[z]
        if running[k]:
            t_supply = ahu_module.supply_temperature(
                has_cooling=has_cooling,
                setpoint_c=supply_sp[k],
                outdoor_c=t_out,
                return_c=t_return,
                min_damper=min_damper[k],
            )
        else:
            t_supply = t_return
        return_c[k] = t_return
        supply_c[k] = t_supply
        t_water = water[k]
        for z in z_range:
            t = current[z]
            opening = (setpoint[z][k] - t) / band
            if heating_on[k] and opening > 0.0 and t_water > t:
                phi = radiator[z] * (t_water - t) * (opening if opening < 1.0 else 1.0)
            else:
                phi = 0.0
            flow = loss[z][k] * (t_out - t) + vent[z][k] * (t_supply - t) + gains[z][k] + phi
            t += flow * dt_over_c[z]
            current[z] = t
            temps[z].append(t)
            heat[z][k] = phi
    return (
        np.array(temps),
        np.array(heat).reshape(len(zones), n),
        np.array(return_c),
        np.array(supply_c),
    )


def _air_quality(
    model: BuildingModel, state: State, inputs: inputs_module.Inputs, fresh_m3_h: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """CO₂ (ppm) and humidity ratio (kg/kg) per zone at the grid times, exact per step."""
    hours = STEP_S / 3600.0
    co2_rows = []
    ratio_rows = []
    for z, zone in enumerate(model.zones):
        flow = fresh_m3_h[z]
        decay = np.exp(-flow * hours / zone.volume_m3)
        people = inputs.people[z]
        co2_eq = inputs.outdoor_co2_ppm + 1e6 * zone.co2_m3_h_per_person * people / flow
        ratio_eq = inputs.outdoor_ratio + zone.moisture_kg_h_per_person * people / (
            AIR_DENSITY_KG_M3 * flow
        )
        co2_rows.append(_relax(state.zone_co2_ppm[z], decay, co2_eq))
        ratio_rows.append(_relax(state.zone_ratio[z], decay, ratio_eq))
    return np.array(co2_rows), np.array(ratio_rows)


def _relax(start: float, decay: FloatArray, target: FloatArray) -> list[float]:
    """x[k+1] = target[k] + (x[k] - target[k]) * decay[k], sequentially (bit-stable)."""
    values = [start]
    x = start
    for a, eq in zip(decay.tolist(), target.tolist(), strict=True):
        x = eq + (x - eq) * a
        values.append(x)
    return values
