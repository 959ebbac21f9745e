"""Everything that drives a building from outside its thermal state, for a run of steps.

Weather, timetable, people, internal gains, setpoints and the radiator circuit are functions of
time alone, so they are computed for a whole run of steps at once (vectorised); physical faults
are applied here as changes to these inputs, and so are the building's legitimate uses outside
hours (:mod:`simulation.activities`), its base-load drift and daylight
(:mod:`simulation.variability`). Only the zone temperatures need a step-by-step loop (see
:mod:`simulation.physics`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from byggpuls.calendar import BoolArray, day_info, local_time
from simulation import activities, schedules, variability
from simulation.faults import FaultKind, FaultSpec
from simulation.model import AIR_W_PER_M3H_K, BuildingModel
from simulation.noise import FloatArray
from simulation.profiles import DESIGN_OUTDOOR_C
from simulation.weather import OUTDOOR_CO2_PPM, Weather

#: The radiator circuit stops above this outdoor temperature (summer shutdown), °C.
HEATING_LIMIT_C: Final = 15.0
#: How much the radiator supply water is lowered at night, K.
WATER_SETBACK_K: Final = 10.0
#: Water temperature of an idle radiator circuit, °C.
IDLE_WATER_C: Final = 25.0
#: Draught through a stopped unit whose outdoor-air damper is open, share of design airflow.
DRAUGHT_SHARE: Final = 0.05
#: Default baseload drift: extra load at the end of the window, W per m² of floor.
DRIFT_W_M2: Final = 3.0
#: Default airflow through an open window, zone volumes per hour.
WINDOW_AIR_CHANGES: Final = 1.5
#: Share of the lighting on outside hours (exit signs, corridors); daylight does not dim it.
NIGHT_LIGHTING: Final = 0.05


@dataclass(frozen=True, slots=True)
class Inputs:
    """Inputs of each step of a run (zones along the first axis where there is one)."""

    times_s: FloatArray  # step midpoints
    outdoor_c: FloatArray
    outdoor_rh_pct: FloatArray
    outdoor_ratio: FloatArray
    outdoor_co2_ppm: FloatArray
    people: FloatArray
    fan_speed: FloatArray  # 0 when the unit is stopped
    setpoint_c: FloatArray
    supply_setpoint_c: FloatArray
    water_c: FloatArray
    heating_on: BoolArray
    gains_w: FloatArray
    loss_w_k: FloatArray  # envelope, infiltration, window and draught together
    extra_fresh_m3_h: FloatArray  # window and draught airflow
    min_damper: FloatArray  # 1 where the damper is stuck open
    damper_stuck: BoolArray
    leak_cooling: FloatArray  # stuck valve position, 0-1
    leak_heating: FloatArray
    lighting_w: FloatArray
    plug_w: FloatArray
    drift_w: FloatArray
    usage: FloatArray
    #: What the equipment base load (plug and constant loads) is multiplied by (drift).
    base_load_factor: FloatArray
    #: Legitimate use outside hours: the lighting and plug load it adds, W ...
    activity_w: FloatArray
    #: ... the steps the ventilation runs only for it ...
    activity_ventilation: BoolArray
    #: ... and the people it brings, per zone.
    activity_people: FloatArray


@dataclass(slots=True)
class _Effects:
    """How the active physical faults change the inputs, step by step."""

    always_on: BoolArray
    forced_comfort: BoolArray
    raised_c: FloatArray  # (zones, steps)
    window_m3_h: FloatArray  # (zones, steps)
    stuck: BoolArray
    leak_cooling: FloatArray
    leak_heating: FloatArray
    drift_w: FloatArray


def _effects(model: BuildingModel, times: FloatArray, faults: Sequence[FaultSpec]) -> _Effects:
    n = len(times)
    zones = model.zones
    fx = _Effects(
        always_on=np.zeros(n, dtype=bool),
        forced_comfort=np.zeros(n, dtype=bool),
        raised_c=np.zeros((len(zones), n)),
        window_m3_h=np.zeros((len(zones), n)),
        stuck=np.zeros(n, dtype=bool),
        leak_cooling=np.zeros(n),
        leak_heating=np.zeros(n),
        drift_w=np.zeros(n),
    )
    for fault in faults:
        active = (times >= fault.start_s) & (times < fault.end_s)
        if not active.any():
            continue
        kind = fault.kind
        rows = [i for i, zone in enumerate(zones) if fault.zone in (None, zone.id)]
        if kind == FaultKind.AFTER_HOURS_VENTILATION:
            fx.always_on |= active
        elif kind == FaultKind.AFTER_HOURS_HEATING:
            fx.forced_comfort |= active
        elif kind == FaultKind.SETPOINT_TOO_HIGH:
            fx.raised_c[rows] += fault.delta_c * active
        elif kind == FaultKind.WINDOW_OPEN:
            opening = fault.opening_m3_h or WINDOW_AIR_CHANGES * zones[rows[0]].volume_m3
            fx.window_m3_h[rows[0]] += opening * active
        elif kind == FaultKind.DAMPER_STUCK_OPEN:
            fx.stuck |= active
        elif kind == FaultKind.SIMULTANEOUS_HEATING_COOLING:
            target = fx.leak_cooling if fault.valve == "cooling" else fx.leak_heating
            np.maximum(target, fault.position_pct / 100.0 * active, out=target)
        elif kind == FaultKind.BASELOAD_DRIFT:
            extra_w = 1e3 * fault.extra_kw if fault.extra_kw else DRIFT_W_M2 * model.area_m2
            ramp = np.clip((times - fault.start_s) / (fault.end_s - fault.start_s), 0.0, 1.0)
            fx.drift_w += extra_w * ramp * active
    return fx


def _heating_curve(
    model: BuildingModel, *, outdoor_c: FloatArray, comfort: BoolArray
) -> FloatArray:
    """Radiator supply water temperature: outdoor-compensated, lower at night, idle in summer."""
    load = np.clip((21.0 - outdoor_c) / (21.0 - DESIGN_OUTDOOR_C), 0.0, 1.2)
    water = 21.0 + (model.heating_water_design_c - 21.0) * load**0.8
    water = water - np.where(comfort, 0.0, WATER_SETBACK_K)
    result: FloatArray = np.where(
        outdoor_c < HEATING_LIMIT_C, np.maximum(water, IDLE_WATER_C), IDLE_WATER_C
    )
    return result


def compute(
    model: BuildingModel,
    weather: Weather,
    *,
    steps: np.ndarray,
    step_s: float,
    faults: Sequence[FaultSpec],
) -> Inputs:
    """The inputs of steps ``steps`` (indices on the epoch-aligned grid of ``step_s``)."""
    times = (steps.astype(np.float64) + 0.5) * step_s
    sky = weather.sample(times)
    local = local_time(times)
    plan = schedules.evaluate(model, local, day_info(local.day))
    extra = activities.evaluate(model, times)
    fx = _effects(model, times, faults)
    zones = model.zones
    area = model.area_m2
    areas = np.array([zone.area_m2 for zone in zones])
    shares = areas / area
    ahu = model.ahu
    occupancy, usage, in_hours, comfort = plan.occupancy, plan.usage, plan.in_hours, plan.comfort
    if extra is not None:
        occupancy = occupancy + extra.occupancy
        usage = (areas @ occupancy) / area
        in_hours = in_hours | extra.ventilation
        comfort = comfort | extra.comfort
    comfort = comfort | fx.forced_comfort
    # Demand control: between the unit's minimum speed and full speed with the occupancy.
    demand = ahu.min_speed + (1.0 - ahu.min_speed) * np.clip(usage, 0.0, 1.0)
    speed = np.where(in_hours, demand, model.schedule.night_speed)
    # Steps the unit runs only for a legitimate use (the timetable has it stopped).
    activity_ventilation = in_hours & ~plan.in_hours & (model.schedule.night_speed <= 0.0)
    # Left in manual: full speed whenever the timetable would have stopped or slowed the fans.
    speed = np.where(fx.always_on & ~in_hours, 1.0, speed)
    comfort_c = np.array([[zone.comfort_setpoint_c] for zone in zones])
    setback = np.array([[zone.setback_k] for zone in zones])
    setpoint = comfort_c - np.where(comfort, 0.0, setback) + fx.raised_c
    # Stopped units with a stuck damper let outdoor air in by stack effect.
    draught = np.array([[zone.design_airflow_m3_h * DRAUGHT_SHARE] for zone in zones])
    extra_fresh = fx.window_m3_h + draught * (fx.stuck & (speed <= 0.0))

    outdoor = sky.temperature_c
    heating_on = outdoor < HEATING_LIMIT_C
    counters = {
        "steps": steps.astype(np.int64),
        "hours": np.floor_divide(times, 3600.0).astype(np.int64),
        "days": local.day,
    }
    people = schedules.people(model, occupancy=occupancy, **counters)
    activity_people = np.zeros_like(people)
    if extra is not None and extra.occupancy.any():
        activity_people = people - schedules.people(model, occupancy=plan.occupancy, **counters)
    base_factor = variability.base_load_factor(model, times)
    base_load = np.ones(len(times)) if base_factor is None else base_factor
    lighting_w, plug_w, activity_w = _loads(
        model, plan, extra, base_load=base_load, irradiance_w_m2=sky.irradiance_w_m2
    )
    heat_per_person = np.array([[zone.heat_w_per_person] for zone in zones])
    aperture = np.array([[zone.solar_aperture_m2] for zone in zones])
    gains = (
        people * heat_per_person
        + shares[:, None] * (lighting_w + plug_w + fx.drift_w)[None, :]
        + aperture * sky.irradiance_w_m2[None, :]
    )
    loss = np.array([[zone.loss_w_k] for zone in zones]) + AIR_W_PER_M3H_K * extra_fresh
    supply_setpoint = np.interp(
        outdoor, [10.0, 20.0], [ahu.supply_setpoint_cold_c, ahu.supply_setpoint_warm_c]
    )
    return Inputs(
        times_s=times,
        outdoor_c=outdoor,
        outdoor_rh_pct=sky.relative_humidity_pct,
        outdoor_ratio=sky.humidity_ratio,
        outdoor_co2_ppm=OUTDOOR_CO2_PPM + 15.0 * np.cos(2.0 * np.pi * (times / 86_400.0 - 0.15)),
        people=people,
        fan_speed=speed,
        setpoint_c=setpoint,
        supply_setpoint_c=supply_setpoint,
        water_c=_heating_curve(model, outdoor_c=outdoor, comfort=comfort),
        heating_on=heating_on,
        gains_w=gains,
        loss_w_k=loss,
        extra_fresh_m3_h=extra_fresh,
        min_damper=np.where(fx.stuck, 1.0, ahu.min_outdoor_air),
        damper_stuck=fx.stuck,
        leak_cooling=fx.leak_cooling,
        leak_heating=fx.leak_heating,
        lighting_w=lighting_w,
        plug_w=plug_w,
        drift_w=fx.drift_w,
        usage=usage,
        base_load_factor=base_load,
        activity_w=activity_w,
        activity_ventilation=activity_ventilation,
        activity_people=activity_people,
    )


def _loads(
    model: BuildingModel,
    plan: schedules.ScheduleArrays,
    extra: activities.ActivityArrays | None,
    *,
    base_load: FloatArray,
    irradiance_w_m2: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Lighting and plug loads, W, and what legitimate use outside hours added to them."""
    area = model.area_m2
    # Lights follow the timetable; a legitimate use turns on at least its share of them.
    lit = np.where(plan.in_hours, np.clip(0.15 + 1.1 * plan.usage, 0.0, 1.0), NIGHT_LIGHTING)
    plug_fraction = model.plug_base_fraction + (1.0 - model.plug_base_fraction) * plan.usage
    dimming = variability.daylight_dimming(model, irradiance_w_m2)
    lighting_w = model.lighting_w_m2 * area * _lights(lit, dimming)
    plug_w = model.plug_peak_w_m2 * area * plug_fraction * base_load
    if extra is None:
        return lighting_w, plug_w, np.zeros(len(lit))
    with_use = model.lighting_w_m2 * area * _lights(np.maximum(lit, extra.lighting), dimming)
    extra_plug_w = model.plug_peak_w_m2 * area * extra.plug * base_load
    return with_use, plug_w + extra_plug_w, with_use - lighting_w + extra_plug_w


def _lights(share_on: FloatArray, dimming: FloatArray | None) -> FloatArray:
    """Share of the lighting drawing power: lights in use dimmed by daylight, if it dims them."""
    if dimming is None:
        return share_on
    in_use = np.maximum(share_on - NIGHT_LIGHTING, 0.0)
    result: FloatArray = np.minimum(share_on, NIGHT_LIGHTING) + in_use * dimming
    return result
