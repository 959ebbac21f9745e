"""The points of a simulated building: their metadata and where their values come from.

Point ids: ``el.*`` electricity meter, ``dh.*`` district heating meter, ``water.volume``,
``heating.*`` the radiator circuit, ``ahu1.*`` the air handling unit, ``zoneN.*`` each zone.
Units are SenML (RFC 8428 / RFC 8798); Brick classes are those of https://brickschema.org
(valves and the damper use the equipment classes ``Heating_Valve``, ``Cooling_Valve`` and
``Outside_Air_Damper``: the value is the position of that equipment).
"""

from __future__ import annotations

from dataclasses import dataclass

from byggpuls.reading import PointInfo
from simulation.model import BuildingModel


@dataclass(frozen=True, slots=True)
class PointSpec:
    """One point: its metadata and how to read it off the physics."""

    info: PointInfo
    #: Key of the array in :class:`simulation.physics.Piece` (states or steps).
    source: str
    #: Row of that array for zone points.
    row: int | None
    #: True: a state, interpolated between grid times; False: a step value, held.
    state: bool
    #: Standard deviation of the measurement noise (absolute, in the point's unit).
    noise: float
    #: Standard deviation of the noise relative to the value (meters' power readings).
    relative_noise: float
    #: Standard deviation of the sensor's fixed calibration offset.
    bias_sd: float
    decimals: int
    low: float | None = None
    high: float | None = None


def _spec(
    point: str,
    *,
    domain: str,
    quantity: str,
    unit: str,
    brick: str,
    source: str,
    state: bool,
    decimals: int,
    description: str,
    zone: str | None = None,
    row: int | None = None,
    noise: float = 0.0,
    relative_noise: float = 0.0,
    bias_sd: float = 0.0,
    low: float | None = None,
    high: float | None = None,
) -> PointSpec:
    info = PointInfo(
        point=point,
        domain=domain,
        quantity=quantity,
        unit=unit,
        brick_class=brick,
        zone=zone,
        description=description,
    )
    return PointSpec(info, source, row, state, noise, relative_noise, bias_sd, decimals, low, high)


def _temperature(
    point: str, *, brick: str, source: str, noise: float, bias_sd: float, description: str
) -> PointSpec:
    return _spec(point, domain="hvac", quantity="temperature", unit="Cel", brick=brick,
                 source=source, state=False, decimals=2, noise=noise, bias_sd=bias_sd,
                 description=description)  # fmt: skip


def _percent(point: str, *, quantity: str, brick: str, source: str, description: str) -> PointSpec:
    return _spec(point, domain="hvac", quantity=quantity, unit="%", brick=brick, source=source,
                 state=False, decimals=1, low=0.0, high=100.0, description=description)  # fmt: skip


def catalogue(model: BuildingModel) -> tuple[PointSpec, ...]:
    """Every point of ``model``, in a fixed order (meters, heating, air handling unit, zones)."""
    specs = [
        _spec("el.energy", domain="energy", quantity="energy", unit="kWh",
              brick="Electric_Energy_Sensor", source="el_energy", state=True, decimals=2,
              description="Electricity meter, active energy import"),
        _spec("el.power", domain="energy", quantity="power", unit="kW",
              brick="Electric_Power_Sensor", source="el_power", state=False, decimals=2,
              relative_noise=0.01, description="Electricity meter, active power"),
        _spec("dh.energy", domain="energy", quantity="energy", unit="kWh",
              brick="Energy_Sensor", source="dh_energy", state=True, decimals=2,
              description="District heating meter, heat energy"),
        _spec("dh.power", domain="energy", quantity="power", unit="kW",
              brick="Heating_Thermal_Power_Sensor", source="dh_power", state=False, decimals=2,
              relative_noise=0.015, description="District heating meter, heat power"),
    ]  # fmt: skip
    if model.has_water_meter:
        specs.append(
            _spec("water.volume", domain="water", quantity="volume", unit="m3",
                  brick="Water_Usage_Sensor", source="water_volume", state=True, decimals=3,
                  description="Cold water meter, volume")
        )  # fmt: skip
    specs += [
        _temperature("heating.supply_water_temp", brick="Hot_Water_Supply_Temperature_Sensor",
                     source="water_temp", noise=0.2, bias_sd=0.3,
                     description="Radiator circuit supply water temperature"),
        _temperature("ahu1.outdoor_air_temp", brick="Outside_Air_Temperature_Sensor",
                     source="outdoor_temp", noise=0.1, bias_sd=0.3,
                     description="Outdoor air temperature at the air intake"),
        _spec("ahu1.outdoor_air_humidity", domain="hvac", quantity="relative_humidity",
              unit="%RH", brick="Outside_Air_Humidity_Sensor", source="outdoor_rh", state=False,
              decimals=1, noise=1.0, bias_sd=1.5, low=0.0, high=100.0,
              description="Outdoor air relative humidity"),
        _temperature("ahu1.supply_air_temp", brick="Supply_Air_Temperature_Sensor",
                     source="supply_temp", noise=0.1, bias_sd=0.2,
                     description="Supply air temperature after the coils"),
        _spec("ahu1.supply_air_temp_setpoint", domain="hvac", quantity="temperature_setpoint",
              unit="Cel", brick="Supply_Air_Temperature_Setpoint", source="supply_setpoint",
              state=False, decimals=1, description="Supply air temperature setpoint"),
        _temperature("ahu1.return_air_temp", brick="Return_Air_Temperature_Sensor",
                     source="return_temp", noise=0.1, bias_sd=0.2,
                     description="Return (extract) air temperature"),
        _temperature("ahu1.mixed_air_temp", brick="Mixed_Air_Temperature_Sensor",
                     source="mixed_temp", noise=0.15, bias_sd=0.3,
                     description="Air after heat recovery and mixing, before the coils"),
        _percent("ahu1.heating_valve", quantity="valve_position", brick="Heating_Valve",
                 source="heating_valve", description="Heating coil valve position"),
    ]  # fmt: skip
    if model.ahu.has_cooling:
        specs.append(
            _percent("ahu1.cooling_valve", quantity="valve_position", brick="Cooling_Valve",
                     source="cooling_valve", description="Cooling coil valve position")
        )  # fmt: skip
    specs += [
        _percent("ahu1.outdoor_air_damper", quantity="damper_position",
                 brick="Outside_Air_Damper", source="damper",
                 description="Outdoor air damper position"),
        _spec("ahu1.supply_fan_status", domain="hvac", quantity="fan_status", unit="/",
              brick="Fan_Status", source="fan_status", state=False, decimals=0,
              description="Supply fan running (1) or stopped (0)"),
        _percent("ahu1.supply_fan_speed", quantity="fan_speed", brick="Fan_Speed_Command",
                 source="fan_speed", description="Supply fan speed"),
        _spec("ahu1.supply_air_flow", domain="hvac", quantity="air_flow", unit="m3/s",
              brick="Supply_Air_Flow_Sensor", source="airflow", state=False, decimals=3,
              relative_noise=0.02, low=0.0, description="Supply airflow"),
    ]  # fmt: skip
    for row, zone in enumerate(model.zones):
        z = zone.id
        specs += [
            _spec(f"{z}.air_temp", domain="climate", brick="Zone_Air_Temperature_Sensor",
                  quantity="temperature", unit="Cel", source="zone_temp_sensed", state=True,
                  decimals=2, noise=0.05, bias_sd=0.3,
                  description=f"{zone.label}: air temperature", zone=z, row=row),
            _spec(f"{z}.air_temp_setpoint", domain="climate", quantity="temperature_setpoint",
                  unit="Cel", brick="Zone_Air_Temperature_Setpoint", source="zone_setpoint",
                  state=False, decimals=1, description=f"{zone.label}: temperature setpoint",
                  zone=z, row=row),
            _spec(f"{z}.co2", domain="climate", quantity="co2", unit="ppm",
                  brick="CO2_Level_Sensor", source="zone_co2", state=True, decimals=0,
                  noise=8.0, bias_sd=15.0, low=300.0,
                  description=f"{zone.label}: CO2 concentration", zone=z, row=row),
            _spec(f"{z}.humidity", domain="climate", quantity="relative_humidity", unit="%RH",
                  brick="Zone_Air_Humidity_Sensor", source="zone_rh", state=True, decimals=1,
                  noise=0.7, bias_sd=1.5, low=0.0, high=100.0,
                  description=f"{zone.label}: relative humidity", zone=z, row=row),
            _spec(f"{z}.occupancy", domain="occupancy", quantity="occupancy", unit="count",
                  brick="Occupancy_Count_Sensor", source="zone_people", state=False,
                  decimals=0, low=0.0, description=f"{zone.label}: people counted",
                  zone=z, row=row),
        ]  # fmt: skip
    return tuple(specs)
