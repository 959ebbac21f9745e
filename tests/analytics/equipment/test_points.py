"""From a building's points to its air handling units' series."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.equipment.points import REQUIRED, ahu_series, ahu_units
from byggpuls.reading import PointInfo
from simulation.portfolio import Portfolio

START_S = 1_762_128_000.0  # Monday 2025-11-03 00:00 UTC, outside the autumn break


def point(point: str, unit: str = "Cel", brick: str | None = None) -> PointInfo:
    return PointInfo(point=point, domain="hvac", quantity="q", unit=unit, brick_class=brick)


def simulated(n: int = 3) -> Portfolio:
    return Portfolio.generate(n, seed=5, start_s=START_S, interval_s=900, faults=False)


def test_finds_the_simulators_unit_from_brick_classes() -> None:
    portfolio = simulated()
    for building in portfolio.buildings:
        block = building.advance_block(START_S + 6 * 3600.0)
        units = ahu_units(block.points)
        assert list(units) == ["ahu1"]  # meters, the radiator circuit and zones are not AHUs
        fields = units["ahu1"]
        assert fields["supply_c"] == "ahu1.supply_air_temp"
        assert fields["mixed_c"] == "ahu1.mixed_air_temp"
        assert fields["return_c"] == "ahu1.return_air_temp"
        assert fields["outdoor_c"] == "ahu1.outdoor_air_temp"
        assert fields["supply_setpoint_c"] == "ahu1.supply_air_temp_setpoint"
        assert fields["heating_valve"] == "ahu1.heating_valve"
        assert fields["damper"] == "ahu1.outdoor_air_damper"
        assert fields["fan_on"] == "ahu1.supply_fan_status"
        assert fields["fan_speed"] == "ahu1.supply_fan_speed"
        assert fields["airflow_m3_s"] == "ahu1.supply_air_flow"
        has_cooling = building.model.ahu.has_cooling
        assert ("cooling_valve" in fields) == has_cooling
        if has_cooling:
            assert fields["cooling_valve"] == "ahu1.cooling_valve"


def test_series_of_the_simulators_unit_in_the_rules_units() -> None:
    building = simulated(1).buildings[0]
    block = building.advance_block(START_S + 2 * 86_400.0)
    names = [p.point for p in block.points]
    fields = ahu_units(block.points)["ahu1"]
    values = {p: block.values[names.index(p)] for p in fields.values()}
    units = {p.point: p.unit for p in block.points}
    series = ahu_series(
        times_s=block.times_s.astype(np.float64), values=values, fields=fields, units=units
    )
    raw_damper = block.values[names.index("ahu1.outdoor_air_damper")]
    np.testing.assert_allclose(series.damper, raw_damper / 100.0)
    np.testing.assert_allclose(series.supply_c, block.values[names.index("ahu1.supply_air_temp")])
    status = block.values[names.index("ahu1.supply_fan_status")]
    np.testing.assert_array_equal(series.fan_on, np.nan_to_num(status) != 0)
    assert series.fan_on.any()
    assert not series.fan_on.all()
    assert np.nanmax(series.heating_valve) <= 1.0
    assert np.nanmax(series.airflow_m3_s) < 100.0  # m³/s, not m³/h


def test_words_of_the_id_where_the_class_is_missing() -> None:
    points = [
        point("lb02.supply_air_temp"),
        point("lb02.mixed_air_temp"),
        point("lb02.return_air_temp"),
        point("lb02.outdoor_air_temp"),
        point("lb02.outdoor_air_humidity", unit="%RH"),
        point("lb02.supply_air_temp_setpoint"),
        point("lb02.heating_valve", unit="%"),
        point("lb02.cooling_valve", unit="%"),
        point("lb02.outdoor_air_damper", unit="%"),
        point("lb02.exhaust_fan_status", unit="/"),
        point("lb02.supply_fan_status", unit="/"),
        point("lb02.supply_fan_speed", unit="%"),
        point("lb02.supply_air_flow", unit="m3/h"),
    ]
    assert ahu_units(points) == {
        "lb02": {
            "airflow_m3_s": "lb02.supply_air_flow",
            "cooling_valve": "lb02.cooling_valve",
            "damper": "lb02.outdoor_air_damper",
            "fan_on": "lb02.supply_fan_status",
            "fan_speed": "lb02.supply_fan_speed",
            "heating_valve": "lb02.heating_valve",
            "mixed_c": "lb02.mixed_air_temp",
            "outdoor_c": "lb02.outdoor_air_temp",
            "return_c": "lb02.return_air_temp",
            "supply_c": "lb02.supply_air_temp",
            "supply_setpoint_c": "lb02.supply_air_temp_setpoint",
        }
    }


def test_the_class_wins_over_the_words_and_a_known_other_class_is_not_guessed() -> None:
    points = [
        point("ahu3.t1", brick="Discharge_Air_Temperature_Sensor"),
        point("ahu3.supply_air_temp_old"),  # no class: a candidate by words only
        point("ahu3.fan", unit="/", brick="Fan_Status"),
        # Tagged with a class that is not an AHU field: its id's words are not used.
        point("ahu3.supply_water_temp_sensor", brick="Hot_Water_Supply_Temperature_Sensor"),
    ]
    assert ahu_units(points) == {"ahu3": {"fan_on": "ahu3.fan", "supply_c": "ahu3.t1"}}


def test_units_lacking_a_required_point_are_left_out() -> None:
    assert REQUIRED == ("supply_c", "fan_on")
    no_fan = [point("ahu4.supply_air_temp"), point("ahu4.mixed_air_temp")]
    no_supply = [point("ahu5.supply_fan_status", unit="/"), point("ahu5.mixed_air_temp")]
    speed_only = [point("ahu6.supply_air_temp"), point("ahu6.supply_fan_speed", unit="%")]
    assert list(ahu_units(no_fan + no_supply + speed_only)) == ["ahu6"]


def test_conversions_of_senml_units() -> None:
    times = np.arange(4) * 60.0
    fields = {
        "supply_c": "a.sat",
        "outdoor_c": "a.oat",
        "heating_valve": "a.hv",
        "damper": "a.d",
        "fan_on": "a.fan",
        "airflow_m3_s": "a.flow",
    }
    units = {"a.sat": "K", "a.oat": "Cel", "a.hv": "%", "a.d": "/", "a.fan": "/", "a.flow": "m3/h"}
    values = {
        "a.sat": np.array([293.15, 294.15, np.nan, 290.15]),
        "a.oat": np.array([-5.0, 0.0, 5.0, 10.0]),
        "a.hv": np.array([0.0, 50.0, 100.0, np.nan]),
        "a.d": np.array([0.2, 0.2, 1.0, 0.0]),
        "a.fan": np.array([0.0, 1.0, 2.0, np.nan]),
        "a.flow": np.array([3600.0, 7200.0, 0.0, 1800.0]),
    }
    series = ahu_series(times_s=times, values=values, fields=fields, units=units)
    np.testing.assert_allclose(series.supply_c, [20.0, 21.0, np.nan, 17.0])
    np.testing.assert_allclose(series.outdoor_c, [-5.0, 0.0, 5.0, 10.0])
    np.testing.assert_allclose(series.heating_valve, [0.0, 0.5, 1.0, np.nan])
    np.testing.assert_allclose(series.damper, [0.2, 0.2, 1.0, 0.0])
    np.testing.assert_array_equal(series.fan_on, [False, True, True, False])
    assert series.airflow_m3_s is not None
    np.testing.assert_allclose(series.airflow_m3_s, [1.0, 2.0, 0.0, 0.5])
    assert np.isnan(series.mixed_c).all()  # not mapped: all missing, so its rules stay quiet
    assert series.cooling_valve is None


def test_fan_speed_stands_in_for_a_missing_status() -> None:
    times = np.arange(3) * 60.0
    series = ahu_series(
        times_s=times,
        values={"u.sat": np.full(3, 20.0), "u.speed": np.array([0.0, 40.0, np.nan])},
        fields={"supply_c": "u.sat", "fan_speed": "u.speed"},
        units={"u.sat": "Cel", "u.speed": "%"},
    )
    np.testing.assert_array_equal(series.fan_on, [False, True, False])


@pytest.mark.parametrize(
    ("field", "unit", "message"),
    [
        ("supply_c", "degF", "'degF', which is not known"),
        ("damper", "Cel", "must be one of ['%', '/']"),
        ("airflow_m3_s", "l/s", "must be one of ['m3/h', 'm3/s']"),
    ],
)
def test_refuses_a_unit_it_does_not_know(field: str, unit: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ahu_series(
            times_s=np.arange(2) * 60.0,
            values={"u.p": np.zeros(2)},
            fields={field: "u.p"},
            units={"u.p": unit},
        )


def test_refuses_missing_readings_or_units_and_a_wrong_length() -> None:
    times = np.arange(3) * 60.0
    with pytest.raises(ValueError, match="no readings"):
        ahu_series(times_s=times, values={}, fields={"supply_c": "u.p"}, units={"u.p": "Cel"})
    with pytest.raises(ValueError, match="no unit"):
        ahu_series(times_s=times, values={"u.p": np.zeros(3)}, fields={"supply_c": "u.p"}, units={})
    with pytest.raises(ValueError, match="time axis"):
        ahu_series(
            times_s=times,
            values={"u.p": np.zeros(2)},
            fields={"supply_c": "u.p"},
            units={"u.p": "Cel"},
        )


def test_a_heat_recovery_point_found_by_its_words() -> None:
    points = [
        point("ahu7.supply_air_temp"),
        point("ahu7.supply_fan_status", unit="/"),
        point("ahu7.heat_recovery_wheel_speed", unit="%"),
        point("ahu7.heat_recovery_temp"),  # a temperature, not the wheel's share in use
    ]
    fields = ahu_units(points)["ahu7"]
    assert fields["heat_recovery"] == "ahu7.heat_recovery_wheel_speed"
    series = ahu_series(
        times_s=np.arange(2) * 60.0,
        values={
            "ahu7.supply_air_temp": np.full(2, 19.0),
            "ahu7.supply_fan_status": np.ones(2),
            "ahu7.heat_recovery_wheel_speed": np.array([0.0, 80.0]),
        },
        fields=fields,
        units={
            "ahu7.supply_air_temp": "Cel",
            "ahu7.supply_fan_status": "/",
            "ahu7.heat_recovery_wheel_speed": "%",
        },
    )
    assert series.heat_recovery is not None
    np.testing.assert_allclose(series.heat_recovery, [0.0, 0.8])


def test_duct_pressure_and_its_setpoint_come_from_their_brick_classes_in_pa() -> None:
    points = [
        point("ahu2.sat", brick="Supply_Air_Temperature_Sensor"),
        point("ahu2.fan", "/", brick="Supply_Fan_Status"),
        point("ahu2.dsp", "kPa", brick="Supply_Air_Static_Pressure_Sensor"),
        point("ahu2.dsp_sp", "Pa", brick="Supply_Air_Static_Pressure_Setpoint"),
    ]
    fields = ahu_units(points)["ahu2"]
    assert fields["duct_pressure_pa"] == "ahu2.dsp"
    assert fields["duct_pressure_setpoint_pa"] == "ahu2.dsp_sp"
    times = np.array([0.0, 60.0])
    values = {
        "ahu2.sat": np.array([18.0, 18.0]),
        "ahu2.fan": np.array([1.0, 1.0]),
        "ahu2.dsp": np.array([0.3, 0.35]),
        "ahu2.dsp_sp": np.array([350.0, 350.0]),
    }
    units = {p.point: p.unit for p in points}
    series = ahu_series(times_s=times, values=values, fields=fields, units=units)
    np.testing.assert_allclose(series.duct_pressure_pa, [300.0, 350.0])
    np.testing.assert_allclose(series.duct_pressure_setpoint_pa, [350.0, 350.0])
