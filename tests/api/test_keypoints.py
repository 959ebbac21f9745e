"""Recognising the points a facility manager looks at first."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from api.keypoints import KeyKind, classify, climate_alert, out_of_band, sort_key
from byggpuls.registry.rows import PointRow

NOW = datetime(2025, 1, 31, tzinfo=UTC)


def point(
    point_id: str,
    quantity: str,
    *,
    domain: str = "energy",
    unit: str = "kW",
    brick_class: str | None = None,
    zone: str | None = None,
    description: str | None = None,
) -> PointRow:
    return PointRow(
        building="b",
        point=point_id,
        domain=domain,
        quantity=quantity,
        unit=unit,
        brick_class=brick_class,
        zone=zone,
        interval_s=60,
        description=description,
        gateway=None,
        source="meta",
        first_seen=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize(
    ("row", "kind"),
    [
        (
            point("el.power", "power", brick_class="Electric_Power_Sensor"),
            KeyKind.ELECTRICITY_POWER,
        ),
        (point("hovedmaaler_el", "power"), KeyKind.ELECTRICITY_POWER),
        (point("dh.power", "power", brick_class="Thermal_Power_Sensor"), KeyKind.HEATING_POWER),
        (point("fjernvarme.effekt", "power"), KeyKind.HEATING_POWER),
        (
            point(
                "dh.power",
                "power",
                brick_class="Heating_Thermal_Power_Sensor",
                description="District heating meter, heat power",
            ),
            KeyKind.HEATING_POWER,
        ),
        (
            point(
                "el.power",
                "power",
                brick_class="Electric_Power_Sensor",
                description="Electricity meter, active power",
            ),
            KeyKind.ELECTRICITY_POWER,
        ),
        (
            point(
                "z3.air_temp_setpoint",
                "temperature_setpoint",
                domain="climate",
                unit="Cel",
                zone="z3",
                brick_class="Zone_Air_Temperature_Setpoint",
            ),
            KeyKind.OTHER,
        ),
        (point("pv.power", "power"), KeyKind.OTHER),
        (
            point("r1.temp", "temperature", domain="climate", unit="Cel", zone="Rom 1"),
            KeyKind.ZONE_TEMPERATURE,
        ),
        (
            point("t1", "temperature", unit="Cel", brick_class="Zone_Air_Temperature_Sensor"),
            KeyKind.ZONE_TEMPERATURE,
        ),
        (
            point(
                "ahu1.sat",
                "temperature",
                domain="hvac",
                unit="Cel",
                brick_class="Supply_Air_Temperature_Sensor",
            ),
            KeyKind.OTHER,
        ),
        (
            point("outdoor.temp", "temperature", domain="climate", unit="Cel", zone="ute"),
            KeyKind.OTHER,
        ),
        (point("r1.co2", "co2", domain="climate", unit="ppm"), KeyKind.CO2),
    ],
)
def test_classify(row: PointRow, kind: KeyKind) -> None:
    assert classify(row) is kind


def test_main_meters_sort_before_sub_meters_and_key_points_before_others() -> None:
    rows = [
        point("co2", "co2", unit="ppm"),
        point("el.kitchen.power", "power", brick_class="Electric_Power_Sensor"),
        point("el.main.power", "power", brick_class="Electric_Power_Sensor"),
        point("ahu.fan", "rotational_speed", unit="1/min"),
    ]
    ordered = [row.point for row in sorted(rows, key=sort_key)]
    assert ordered == ["el.main.power", "el.kitchen.power", "co2", "ahu.fan"]


def test_indoor_climate_bands_follow_tek17() -> None:
    assert out_of_band(KeyKind.CO2, "ppm", 1001.0)
    assert not out_of_band(KeyKind.CO2, "ppm", 1000.0)
    assert out_of_band(KeyKind.ZONE_TEMPERATURE, "Cel", 18.9)
    assert out_of_band(KeyKind.ZONE_TEMPERATURE, "Cel", 26.1)
    assert not out_of_band(KeyKind.ZONE_TEMPERATURE, "Cel", 21.0)
    # A band applies in its own unit only, and not to other kinds.
    assert not out_of_band(KeyKind.ZONE_TEMPERATURE, "K", 290.0)
    assert not out_of_band(KeyKind.ELECTRICITY_POWER, "kW", 5000.0)


@pytest.mark.parametrize(
    ("building_type", "local", "marked"),
    [
        ("school", datetime(2026, 1, 5, 10, 0), True),  # a Monday morning in term
        ("school", datetime(2026, 1, 5, 23, 0), False),  # the night setback
        ("school", datetime(2026, 1, 10, 10, 0), False),  # a Saturday
        ("nursing_home", datetime(2026, 1, 5, 3, 0), True),  # in use around the clock
    ],
)
def test_room_climate_is_marked_only_in_opening_hours(
    building_type: str, local: datetime, marked: bool
) -> None:
    time_ms = int(local.replace(tzinfo=ZoneInfo("Europe/Oslo")).timestamp() * 1000)
    kwargs = {"building_type": building_type, "time_ms": time_ms}
    assert climate_alert(KeyKind.ZONE_TEMPERATURE, "Cel", 17.0, **kwargs) is marked
    assert climate_alert(KeyKind.CO2, "ppm", 1400.0, **kwargs) is marked
    assert climate_alert(KeyKind.ZONE_TEMPERATURE, "Cel", 21.0, **kwargs) is False
