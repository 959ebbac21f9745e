"""Typical Norwegian values per building type, and the random draw of one building from them.

Figures are round, typical values for Norwegian public buildings of mixed age (TEK10/TEK17 for
the newer ones, 1970s-1990s stock for the older): airflow per floor area and per person after
TEK17 §13-2 and its guidance, lighting 4-10 W/m², heat loss 0.6-1.4 W/(m² K) of floor area,
specific fan power 1.5-2.8 kW/(m³/s), rotary heat recovery 60-80 %, supply air 17-19 °C. Each
building draws its own values within the ranges from its seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from byggpuls.reading import BuildingInfo, BuildingType
from simulation.model import (
    AIR_W_PER_M3H_K,
    AhuModel,
    BuildingModel,
    ScheduleModel,
    Variability,
    ZoneModel,
)
from simulation.naming import address_for, name_for
from simulation.noise import draws

#: Design outdoor temperature for heating in Bergen, °C.
DESIGN_OUTDOOR_C: Final = -12.0


@dataclass(frozen=True, slots=True)
class ZoneKind:
    """What the people in a kind of zone do, and the air and water they need."""

    m2_per_person: float
    co2_l_h: float
    moisture_g_h: float
    heat_w: float
    water_l_h: float
    airflow_m3_h_m2: float
    height_m: float
    setpoint_c: float


ZONE_KINDS: Final[dict[str, ZoneKind]] = {
    # Teaching floors with corridors: ~4 m² per pupil; children breathe out less CO₂ than adults.
    "classroom": ZoneKind(4.0, 14.0, 50.0, 70.0, 0.8, 9.0, 3.0, 21.0),
    "gym": ZoneKind(10.0, 40.0, 150.0, 200.0, 2.0, 8.0, 7.0, 18.0),
    "office": ZoneKind(12.0, 18.0, 60.0, 100.0, 2.5, 5.0, 2.8, 21.0),
    "meeting": ZoneKind(4.0, 18.0, 60.0, 100.0, 0.5, 10.0, 2.8, 21.0),
    "playroom": ZoneKind(6.0, 10.0, 40.0, 60.0, 2.5, 8.0, 2.7, 21.0),
    "resident": ZoneKind(25.0, 16.0, 50.0, 90.0, 8.0, 4.0, 2.7, 22.0),
    "common": ZoneKind(8.0, 18.0, 60.0, 100.0, 3.0, 6.0, 3.0, 21.0),
    "hall": ZoneKind(25.0, 50.0, 200.0, 250.0, 1.0, 5.0, 9.0, 18.0),
    "changing": ZoneKind(8.0, 25.0, 300.0, 120.0, 25.0, 12.0, 3.0, 22.0),
}


@dataclass(frozen=True, slots=True)
class TypeProfile:
    """Ranges a building of one type is drawn from."""

    id_prefix: str
    area_m2: tuple[float, float]
    zones: tuple[tuple[str, str, float], ...]  # kind, label, share of floor area
    lighting_w_m2: tuple[float, float]
    plug_peak_w_m2: tuple[float, float]
    plug_base_fraction: float
    constant_w_m2: tuple[float, float]
    dhw_circulation_w_m2: float
    setback_k: float
    cooling_probability: float
    water_probability: float
    schedule: ScheduleModel


PROFILES: Final[dict[BuildingType, TypeProfile]] = {
    BuildingType.SCHOOL: TypeProfile(
        id_prefix="skole",
        area_m2=(2_500.0, 9_000.0),
        zones=(
            ("classroom", "Klasserom 1. etasje", 0.35),
            ("classroom", "Klasserom 2. etasje", 0.35),
            ("gym", "Gymsal", 0.15),
            ("office", "Personalrom og administrasjon", 0.15),
        ),
        lighting_w_m2=(5.0, 10.0),
        plug_peak_w_m2=(5.0, 7.0),
        plug_base_fraction=0.25,
        constant_w_m2=(0.8, 1.5),
        dhw_circulation_w_m2=1.0,
        setback_k=3.0,
        cooling_probability=0.3,
        water_probability=0.7,
        schedule=ScheduleModel(6.0, 16.5, None, None, 1.5, 0.0),
    ),
    BuildingType.KINDERGARTEN: TypeProfile(
        id_prefix="barnehage",
        area_m2=(400.0, 1_400.0),
        zones=(
            ("playroom", "Avdeling Blåbær", 0.4),
            ("playroom", "Avdeling Tyttebær", 0.4),
            ("office", "Personalrom og kjøkken", 0.2),
        ),
        lighting_w_m2=(5.0, 9.0),
        plug_peak_w_m2=(5.0, 8.0),
        plug_base_fraction=0.3,
        constant_w_m2=(0.5, 1.0),
        dhw_circulation_w_m2=1.5,
        setback_k=3.0,
        cooling_probability=0.1,
        water_probability=0.7,
        schedule=ScheduleModel(6.0, 17.5, None, None, 1.5, 0.0),
    ),
    BuildingType.NURSING_HOME: TypeProfile(
        id_prefix="sykehjem",
        area_m2=(2_500.0, 8_000.0),
        zones=(
            ("resident", "Avdeling A", 0.35),
            ("resident", "Avdeling B", 0.35),
            ("common", "Kantine og fellesareal", 0.15),
            ("office", "Administrasjon", 0.15),
        ),
        lighting_w_m2=(5.0, 9.0),
        plug_peak_w_m2=(7.0, 10.0),
        plug_base_fraction=0.45,
        constant_w_m2=(1.0, 2.0),
        dhw_circulation_w_m2=2.5,
        setback_k=0.0,
        cooling_probability=0.6,
        water_probability=0.9,
        schedule=ScheduleModel(6.0, 22.0, 6.0, 22.0, 0.0, 0.6),
    ),
    BuildingType.OFFICE: TypeProfile(
        id_prefix="kontor",
        area_m2=(1_500.0, 10_000.0),
        zones=(
            ("office", "Kontor 1. etasje", 0.3),
            ("office", "Kontor 2. etasje", 0.3),
            ("office", "Kontor 3. etasje", 0.25),
            ("meeting", "Møterom", 0.15),
        ),
        lighting_w_m2=(4.0, 9.0),
        plug_peak_w_m2=(8.0, 12.0),
        plug_base_fraction=0.3,
        constant_w_m2=(1.0, 2.0),
        dhw_circulation_w_m2=0.8,
        setback_k=3.0,
        cooling_probability=0.9,
        water_probability=0.5,
        schedule=ScheduleModel(6.0, 18.0, None, None, 1.5, 0.0),
    ),
    BuildingType.SPORTS_HALL: TypeProfile(
        id_prefix="idrettshall",
        area_m2=(1_200.0, 4_000.0),
        zones=(
            ("hall", "Idrettshall", 0.6),
            ("changing", "Garderober", 0.2),
            ("common", "Foajé og kiosk", 0.2),
        ),
        lighting_w_m2=(6.0, 10.0),
        plug_peak_w_m2=(2.0, 4.0),
        plug_base_fraction=0.3,
        constant_w_m2=(0.8, 1.5),
        dhw_circulation_w_m2=2.0,
        setback_k=2.0,
        cooling_probability=0.1,
        water_probability=0.8,
        schedule=ScheduleModel(7.0, 23.0, 8.5, 21.0, 1.0, 0.0),
    ),
}


def build_model(
    *,
    building_id: str,
    building_type: BuildingType,
    seed: int,
    area_m2: float | None = None,
    name: str | None = None,
    address: str | None = None,
    water_meter: bool | None = None,
    cooling: bool | None = None,
    variability: Variability | None = None,
) -> BuildingModel:
    """Draw one building of ``building_type`` from its profile; same arguments, same building.

    Arguments left as ``None`` are drawn too (area, name, address, meters, cooling coil);
    ``variability`` (noise, drift, legitimate use outside hours) is none unless given.
    """
    profile = PROFILES[building_type]
    rng = draws(seed, 0x5EED)

    def between(bounds: tuple[float, float]) -> float:
        return rng.uniform(*bounds)

    low, high = profile.area_m2
    drawn_area = float(np.round(np.exp(rng.uniform(np.log(low), np.log(high))), -1))
    area = drawn_area if area_m2 is None else float(area_m2)
    has_cooling = rng.random() < profile.cooling_probability if cooling is None else cooling
    has_water = rng.random() < profile.water_probability if water_meter is None else water_meter
    # Age drives the envelope, fans and heat recovery together: old buildings are worse at all.
    age = rng.random()
    envelope_w_m2k = 0.6 + 0.8 * age
    water_design_c = 60.0 + 15.0 * age
    supply_cold_c = float(np.round(rng.uniform(18.0, 19.5), 1))
    schedule = profile.schedule
    jitter = rng.choice([-0.5, 0.0, 0.0, 0.5])
    schedule = ScheduleModel(
        hvac_start_h=schedule.hvac_start_h + (0.0 if schedule.night_speed else jitter),
        hvac_stop_h=schedule.hvac_stop_h
        + (0.0 if schedule.night_speed else rng.choice([0.0, 0.5])),
        weekend_start_h=schedule.weekend_start_h,
        weekend_stop_h=schedule.weekend_stop_h,
        preheat_h=schedule.preheat_h,
        night_speed=schedule.night_speed,
    )
    ventilation_factor = rng.uniform(0.75, 1.1)  # older units deliver less than today's rules
    setpoint_offset = float(np.round(rng.uniform(-0.5, 0.5), 1))
    zones = []
    for index, (kind_name, label, share) in enumerate(profile.zones, start=1):
        kind = ZONE_KINDS[kind_name]
        zone_area = area * share
        volume = zone_area * kind.height_m
        airflow = kind.airflow_m3_h_m2 * zone_area * ventilation_factor
        infiltration = rng.uniform(0.08, 0.2) * volume
        loss = envelope_w_m2k * zone_area * (1.0 + 0.15 * (kind.height_m / 3.0 - 1.0))
        loss += AIR_W_PER_M3H_K * infiltration
        setpoint = kind.setpoint_c + setpoint_offset
        supply_c = supply_cold_c
        design_load = loss * (setpoint - DESIGN_OUTDOOR_C) + AIR_W_PER_M3H_K * airflow * max(
            setpoint - supply_c, 0.0
        )
        radiator_w = design_load * rng.uniform(1.3, 1.7)
        zones.append(
            ZoneModel(
                id=f"zone{index}",
                label=label,
                kind=kind_name,
                area_m2=zone_area,
                volume_m3=volume,
                peak_people=zone_area / kind.m2_per_person,
                co2_m3_h_per_person=kind.co2_l_h / 1000.0,
                moisture_kg_h_per_person=kind.moisture_g_h / 1000.0,
                heat_w_per_person=kind.heat_w,
                water_l_h_per_person=kind.water_l_h,
                design_airflow_m3_h=airflow,
                infiltration_m3_h=infiltration,
                loss_w_k=loss,
                capacity_j_k=rng.uniform(60e3, 100e3) * zone_area * np.sqrt(kind.height_m / 3.0),
                radiator_w_k=radiator_w / (water_design_c - setpoint),
                comfort_setpoint_c=setpoint,
                setback_k=profile.setback_k,
                solar_aperture_m2=rng.uniform(0.005, 0.015) * zone_area,
            )
        )
    design_airflow = sum(zone.design_airflow_m3_h for zone in zones)
    ahu = AhuModel(
        design_airflow_m3_h=design_airflow,
        sfp_kw_per_m3_s=1.5 + 1.3 * age,
        heat_recovery_max=0.8 - 0.2 * age,
        min_outdoor_air=float(np.round(rng.uniform(0.6, 1.0), 2)),
        supply_setpoint_cold_c=supply_cold_c,
        supply_setpoint_warm_c=supply_cold_c - 2.0,
        # Sized for the design outdoor temperature with the wheel stopped (frost protection).
        heating_coil_kw=AIR_W_PER_M3H_K * design_airflow * (supply_cold_c - DESIGN_OUTDOOR_C) / 1e3,
        cooling_coil_kw=AIR_W_PER_M3H_K * design_airflow * 10.0 / 1e3 if has_cooling else 0.0,
        chiller_cop=3.0,
        min_speed=rng.choice([1.0, 0.6]) if building_type != BuildingType.NURSING_HOME else 1.0,
    )
    info = BuildingInfo(
        id=building_id,
        name=name if name is not None else name_for(building_type, seed=seed),
        type=building_type.value,
        floor_area_m2=area,
        address=address if address is not None else address_for(seed=seed),
    )
    return BuildingModel(
        info=info,
        building_type=building_type,
        seed=seed,
        zones=tuple(zones),
        ahu=ahu,
        schedule=schedule,
        lighting_w_m2=between(profile.lighting_w_m2),
        plug_peak_w_m2=between(profile.plug_peak_w_m2),
        plug_base_fraction=profile.plug_base_fraction,
        constant_w_m2=between(profile.constant_w_m2),
        pump_w_m2=0.2,
        dhw_circulation_w_m2=profile.dhw_circulation_w_m2,
        heating_water_design_c=water_design_c,
        has_water_meter=has_water,
        initial_electricity_kwh=float(np.round(area * rng.uniform(50.0, 900.0), 2)),
        initial_heat_kwh=float(np.round(area * rng.uniform(80.0, 1500.0), 2)),
        initial_water_m3=float(np.round(area * rng.uniform(0.2, 4.0), 3)),
        variability=variability if variability is not None else Variability(),
    )
