"""Point roles: by Brick class first, then by quantity and the words of the point."""

from __future__ import annotations

import pytest

from byggpuls.reading import PointInfo
from byggpuls.roles import Role, main_point, role_of
from simulation import Portfolio


def point(
    name: str, quantity: str, *, brick: str | None = None, domain: str = "energy"
) -> PointInfo:
    unit = {"power": "kW", "energy": "kWh", "temperature": "Cel", "co2": "ppm"}[quantity]
    return PointInfo(point=name, domain=domain, quantity=quantity, unit=unit, brick_class=brick)


@pytest.mark.parametrize(
    ("info", "role"),
    [
        (point("meter1", "power", brick="Electric_Power_Sensor"), Role.ELECTRICITY),
        (point("hovedmaaler_el", "power"), Role.ELECTRICITY),
        (point("el.energy", "energy"), Role.ELECTRICITY),
        (point("fjernvarme.effekt", "power"), Role.HEAT),
        (point("x", "power", brick="Heating_Thermal_Power_Sensor"), Role.HEAT),
        (point("ute_temp", "temperature", domain="hvac"), Role.OUTDOOR_TEMPERATURE),
        (point("ahu1.outdoor_air_temp", "temperature", domain="hvac"), Role.OUTDOOR_TEMPERATURE),
        (point("room12.temp", "temperature", domain="climate"), Role.ZONE_TEMPERATURE),
        (point("ahu1.supply_air_temp", "temperature", domain="hvac"), Role.OTHER),
        (point("rom3.co2", "co2", domain="climate"), Role.CO2),
        (point("pump7.power", "power"), Role.OTHER),
    ],
)
def test_roles_of_points_named_in_many_ways(info: PointInfo, role: Role) -> None:
    assert role_of(info) is role


def test_the_main_meter_comes_before_a_sub_meter() -> None:
    points = [point("el.sub_kitchen", "power"), point("el.main", "power")]
    chosen = main_point(points, Role.ELECTRICITY)
    assert chosen is not None
    assert chosen.point == "el.main"
    assert main_point(points, Role.HEAT) is None


def test_every_simulated_building_has_its_meters_and_outdoor_temperature() -> None:
    portfolio = Portfolio.generate(5, seed=1, start_s=1_767_225_600)
    for building in portfolio.buildings:
        points = building.points()
        for role in (Role.ELECTRICITY, Role.HEAT, Role.OUTDOOR_TEMPERATURE):
            assert main_point(points, role) is not None, (building.info.id, role)
        electricity = main_point(points, Role.ELECTRICITY, quantity="power")
        assert electricity is not None
        assert electricity.point == "el.power"
