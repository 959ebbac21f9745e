"""The physical description of one simulated building: zones, air handling unit, loads, meters.

A :class:`BuildingModel` is immutable and fully determined by the building's type, floor area
and seed (see :mod:`simulation.profiles`); the state that changes with time lives in
:class:`simulation.physics.State`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from byggpuls.reading import BuildingInfo, BuildingType

#: Volumetric heat capacity of air, W per (m³/h) per kelvin (1.2 kg/m³ x 1005 J/(kg K) / 3600 s).
AIR_W_PER_M3H_K: Final = 1.2 * 1005.0 / 3600.0
#: Density of air, kg/m³.
AIR_DENSITY_KG_M3: Final = 1.2


#: The kinds of building the simulation has profiles for: all but "other".
SIMULATED_TYPES: Final = tuple(t for t in BuildingType if t is not BuildingType.OTHER)


@dataclass(frozen=True, slots=True)
class ZoneModel:
    """One monitored zone: a part of the building with its own sensors and radiators."""

    id: str
    label: str
    #: Occupancy profile and activity ("classroom", "office", "hall", ...).
    kind: str
    area_m2: float
    volume_m3: float
    #: People present at full occupancy.
    peak_people: float
    #: CO₂ generated per person, m³/h.
    co2_m3_h_per_person: float
    #: Water vapour released per person, kg/h.
    moisture_kg_h_per_person: float
    #: Sensible heat per person, W.
    heat_w_per_person: float
    #: Water used per person present, litres per hour.
    water_l_h_per_person: float
    #: Supply (and extract) airflow at 100 % fan speed, m³/h.
    design_airflow_m3_h: float
    infiltration_m3_h: float
    #: Heat loss to outdoors through the envelope and infiltration, W/K.
    loss_w_k: float
    #: Effective heat capacity of air, furniture and the surface layer of the structure, J/K.
    capacity_j_k: float
    #: Radiator output per kelvin between supply water and room at a fully open valve, W/K.
    radiator_w_k: float
    comfort_setpoint_c: float
    #: How far the setpoint drops outside hours (night setback), K.
    setback_k: float
    #: Effective glazing for solar gains (area x transmittance x shading), m².
    solar_aperture_m2: float


@dataclass(frozen=True, slots=True)
class AhuModel:
    """The air handling unit: mixing box, rotary heat recovery, heating and cooling coil, fan."""

    design_airflow_m3_h: float
    #: Specific fan power of supply and extract fans together at design flow, kW per m³/s.
    sfp_kw_per_m3_s: float
    #: Temperature efficiency of the heat recovery wheel at full speed.
    heat_recovery_max: float
    #: Outdoor-air damper position while heating (fraction of supply that is outdoor air).
    min_outdoor_air: float
    #: Supply air temperature setpoint at cold weather (<= 10 °C outdoors) and warm (>= 20 °C).
    supply_setpoint_cold_c: float
    supply_setpoint_warm_c: float
    heating_coil_kw: float
    #: 0 when the unit has no cooling coil.
    cooling_coil_kw: float
    chiller_cop: float
    #: Fan speed at no occupancy during hours: 1.0 is constant air volume, lower is demand control.
    min_speed: float

    @property
    def has_cooling(self) -> bool:
        """Whether the unit has a cooling coil (fed by an electric chiller)."""
        return self.cooling_coil_kw > 0.0


@dataclass(frozen=True, slots=True)
class ScheduleModel:
    """When the building is used and its technical systems run (local hours)."""

    hvac_start_h: float
    hvac_stop_h: float
    #: Weekend hours for buildings used at weekends (sports halls); None: closed.
    weekend_start_h: float | None
    weekend_stop_h: float | None
    #: Comfort heating starts this long before the ventilation does.
    preheat_h: float
    #: Fan speed outside hours: 0 stops the unit; nursing homes run at reduced speed.
    night_speed: float


@dataclass(frozen=True, slots=True)
class Variability:
    """How far a building departs from its timetable and the ideal meter (all zero: not at all).

    See :mod:`simulation.variability` (noise, drift, daylight) and :mod:`simulation.activities`
    (legitimate use outside opening hours). None of it is a fault.
    """

    #: Relative standard deviation of hourly electricity around what the timetable gives.
    electricity_noise: float = 0.0
    #: The same for district heat.
    heat_noise: float = 0.0
    #: Standard deviation of the slow wander of zone temperature readings, K.
    temperature_noise_k: float = 0.0
    #: Standard deviation of the change of equipment base load over 30 days (relative).
    drift_per_month: float = 0.0
    #: Kinds of legitimate use outside hours the building has (see ``activities.Activity``).
    activities: frozenset[str] = field(default_factory=frozenset)
    #: Whether lights are dimmed by daylight (so electricity follows the season and the sky).
    daylight: bool = False


@dataclass(frozen=True, slots=True)
class BuildingModel:
    """Everything that stays fixed about one simulated building."""

    info: BuildingInfo
    building_type: BuildingType
    seed: int
    zones: tuple[ZoneModel, ...]
    ahu: AhuModel
    schedule: ScheduleModel
    lighting_w_m2: float
    plug_peak_w_m2: float
    #: Share of the peak plug load that stays on around the clock (fridges, servers, standby).
    plug_base_fraction: float
    #: Constant electric load: lifts, IT, security, heat tracing, W/m².
    constant_w_m2: float
    #: Heating circulation pumps while the heating is on, W/m².
    pump_w_m2: float
    #: Losses of the domestic hot water circulation loop, W/m² (district heating).
    dhw_circulation_w_m2: float
    #: Supply water temperature of the radiator circuit at design outdoor temperature, °C.
    heating_water_design_c: float
    has_water_meter: bool
    initial_electricity_kwh: float
    initial_heat_kwh: float
    initial_water_m3: float
    #: Noise, drift and legitimate after-hours use; none by default.
    variability: Variability = field(default_factory=Variability)

    @property
    def area_m2(self) -> float:
        """Heated floor area, m²."""
        return sum(zone.area_m2 for zone in self.zones)
