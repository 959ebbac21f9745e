"""The CSV replay driver: the LBNL SZCAV AHU file as one building's AHU, pacing, bad files."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from byggpuls.errors import ConfigError
from byggpuls.reading import BuildingInfo
from byggpuls.settings import CommonSettings
from cli.bootstrap import build_gateway
from gateway.config import GatewayConfig, load_config, parse_config
from gateway.drivers.csv_replay import CsvReplayDriver, CsvReplayOptions
from gateway.spool import Spool
from sandbox.servers import MosquittoServer
from tests.conftest import SHARED_DATA

REPO = Path(__file__).resolve().parents[3]
SZCAV_CONFIG = REPO / "deploy" / "gateway" / "lbnl-szcav.toml"
#: The shared data lives beside the checkout, never in it (BYGGPULS_SHARED_DATA may say where).
SZCAV = SHARED_DATA / "lbnl_ahu" / "SZCAV.csv"
#: The file's first row: 3/11/2017 0:00 in Pacific Standard Time.
FIRST_ROW_MS = round(datetime(2017, 3, 11, 8, 0, tzinfo=UTC).timestamp() * 1000)


def szcav(**changes: Any) -> GatewayConfig:
    """The sample configuration, reading the shared file wherever it is, with ``changes``."""
    config = load_config(SZCAV_CONFIG)
    assert isinstance(config.driver_options, CsvReplayOptions)
    options = config.driver_options.model_copy(update={"path": SZCAV, **changes})
    return GatewayConfig(
        source=config.source,
        gateway=config.gateway,
        building=config.building,
        spool=config.spool,
        driver=config.driver,
        driver_options=options,
    )


def create(config: GatewayConfig) -> CsvReplayDriver:
    driver = config.driver.create(config.driver_options, config.context())
    assert isinstance(driver, CsvReplayDriver)
    return driver


def test_the_sample_config_finds_the_shared_file_beside_the_checkout() -> None:
    config = load_config(SZCAV_CONFIG)
    assert isinstance(config.driver_options, CsvReplayOptions)
    beside = REPO.parent / "shared" / "data" / "lbnl_ahu" / "SZCAV.csv"
    assert config.context().resolve(config.driver_options.path).resolve() == beside.resolve()


def test_szcav_points_have_brick_classes_and_si_units() -> None:
    driver = create(szcav())
    try:
        points = {p.point: p for p in driver.points()}
    finally:
        driver.close()
    assert len(points) == 14
    assert all(p.brick_class for p in points.values())
    assert all(p.domain == "hvac" for p in points.values())
    assert all(p.interval_s == 60 for p in points.values())
    assert {p.unit for p in points.values()} == {"Cel", "%", "/"}
    expected = {
        "ahu1.supply_air_temp": ("Supply_Air_Temperature_Sensor", "Cel", "temperature"),
        "ahu1.mixed_air_temp": ("Mixed_Air_Temperature_Sensor", "Cel", "temperature"),
        "ahu1.outdoor_air_temp": ("Outside_Air_Temperature_Sensor", "Cel", "temperature"),
        "ahu1.return_air_temp": ("Return_Air_Temperature_Sensor", "Cel", "temperature"),
        "ahu1.heating_valve": ("Heating_Valve", "%", "valve_position"),
        "ahu1.cooling_valve": ("Cooling_Valve", "%", "valve_position"),
        "ahu1.outdoor_air_damper": ("Outside_Air_Damper", "%", "damper_position"),
    }
    for point, (brick, unit, quantity) in expected.items():
        assert (points[point].brick_class, points[point].unit, points[point].quantity) == (
            brick,
            unit,
            quantity,
        )


def test_a_known_row_is_converted_from_fahrenheit_and_fractions() -> None:
    driver = create(szcav(speed=0, chunk_rows=1))
    try:
        assert driver.next_poll_s(1000.0) == 1000.0
        first = {r.point: r for r in driver.poll(1000.0)}
    finally:
        driver.close()
    # 3/11/2017 0:00,72.99,50,86,62.57,72.11,72.36,1,0.5,0,1,0,0,0,0,1
    assert {r.time_ms for r in first.values()} == {FIRST_ROW_MS}
    assert first["ahu1.supply_air_temp"].value == pytest.approx((72.99 - 32) * 5 / 9)
    assert first["ahu1.supply_air_temp"].value == pytest.approx(22.7722222)
    assert first["ahu1.supply_air_temp_heating_setpoint"].value == pytest.approx(10.0)
    assert first["ahu1.supply_air_temp_cooling_setpoint"].value == pytest.approx(30.0)
    assert first["ahu1.outdoor_air_temp"].value == pytest.approx(16.983333, abs=1e-5)
    assert first["ahu1.supply_fan_speed"].value == pytest.approx(50.0)
    assert first["ahu1.return_air_damper"].value == pytest.approx(100.0)
    assert first["ahu1.outdoor_air_damper"].value == 0.0
    assert first["ahu1.supply_fan_status"].value == 1.0
    assert first["ahu1.supply_fan_status"].unit == "/"
    assert first["ahu1.supply_air_temp"].quantity == "temperature"
    assert len(first) == 14


def test_the_clock_of_the_file_has_no_daylight_saving_jump() -> None:
    """12 March 2017 (the change to PDT) has all 1440 minutes: read as PST, they stay apart."""
    driver = create(szcav(speed=0, chunk_rows=2 * 1440, max_rows=2 * 1440))
    try:
        times = sorted({r.time_ms for r in driver.poll(0.0)})
        assert driver.next_poll_s(0.0) is None
    finally:
        driver.close()
    assert len(times) == 2 * 1440  # 11 and 12 March
    assert {b - a for a, b in itertools.pairwise(times)} == {60_000}


def test_rows_are_paced_by_the_replay_speed(tmp_path: Path) -> None:
    path = tmp_path / "meter.csv"
    path.write_text(
        "time;power_w\n2025-01-06T00:00:00;1000\n2025-01-06T00:01:00;;\n"
        "2025-01-06T00:02:00;3000\nnot a time;4000\n2025-01-06T00:03:00;4000\n"
    )
    data = {
        "gateway": {"id": "gw-1"},
        "building": {"id": "b1", "name": "B1", "type": "school"},
        "driver": {
            "type": "csv_replay",
            "path": "meter.csv",
            "delimiter": ";",
            "time_column": "time",
            "timezone": "Europe/Oslo",
            "speed": 60,
            "shift_to_now": True,
            "domain": "energy",
            "columns": [
                {"column": "power_w", "point": "el.power", "source_unit": "W", "unit": "kW"}
            ],
        },
    }
    config = parse_config(data, source=tmp_path / "gw.toml")
    driver = create(config)
    try:
        start = 1_800_000_000.0
        assert driver.next_poll_s(start) == start
        assert [(r.time_ms, r.value) for r in driver.poll(start)] == [(1_800_000_000_000, 1.0)]
        # The next row is a minute later in the file: one second later at 60x.
        assert driver.next_poll_s(start + 0.1) == pytest.approx(start + 1.0)
        assert driver.poll(start + 0.5) == []
        # The empty cell is skipped; the row with an unreadable time too.
        got = [(r.time_ms, r.value) for r in driver.poll(start + 2.0)]
        assert got == [(1_800_000_120_000, 3.0)]
        assert driver.skipped_cells == 1
        assert [(r.time_ms, r.value) for r in driver.poll(start + 10)] == [(1_800_000_180_000, 4.0)]
        assert driver.next_poll_s(start + 10) is None
    finally:
        driver.close()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_column": "When"}, "column 'When' is not in the header"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"time_format": "MM/DD/YYYY"}, "neither a strptime format"),
        ({"speed": -1}, "greater than or equal to 0"),
        ({"colums": []}, "unknown key"),
    ],
)
def test_bad_options_say_what_to_fix(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = tmp_path / "data.csv"
    path.write_text("Time,T\n2025-01-06T00:00:00,20\n")
    driver: dict[str, Any] = {
        "type": "csv_replay",
        "path": str(path),
        "time_column": "Time",
        "domain": "climate",
        "columns": [{"column": "T", "point": "room1.temp", "unit": "Cel"}],
        **change,
    }
    data = {
        "gateway": {"id": "gw-1"},
        "building": {"id": "b1", "name": "B1", "type": "school"},
        "driver": driver,
    }
    with pytest.raises(ConfigError, match=message) as info:
        create(parse_config(data, source=tmp_path / "gw.toml"))
    assert "driver." in str(info.value)


@pytest.mark.integration
def test_szcav_replays_onto_the_broker(
    mosquitto: MosquittoServer,
    collector: Any,
    wait_until: Callable[..., None],
    tmp_path: Path,
) -> None:
    config = szcav(speed=0, max_rows=1440)
    gateway = build_gateway(
        CommonSettings(mqtt_url=mosquitto.url),
        gateway_id=config.gateway.id,
        driver=create(config),
        spool=Spool(
            tmp_path / "spool", building="lbnl-flexlab", gateway=config.gateway.id,
            max_readings=100_000,
        ),
        max_inflight_packs=16,
        status_interval_s=60,
    )  # fmt: skip
    gateway.start()
    try:
        wait_until(lambda: gateway.exhausted and gateway.spool.depth == 0, "the replay to drain")
        expected = 1440 * 14 - gateway.driver.skipped_cells  # type: ignore[attr-defined]
        assert gateway.spool.stats().delivered == expected
        wait_until(lambda: collector.reading_count(config.gateway.id) >= expected, "every reading")
    finally:
        gateway.stop()
    received = collector.readings(config.gateway.id)
    assert len(received) == expected
    first = {
        point: (value, unit) for point, time_ms, value, unit in received if time_ms == FIRST_ROW_MS
    }
    assert first["ahu1.supply_air_temp"][0] == pytest.approx(22.7722222)
    assert first["ahu1.supply_air_temp"][1] == "Cel"
    assert first["ahu1.mixed_air_temp"][0] == pytest.approx((72.11 - 32) * 5 / 9)
    meta = collector.metas["byggpuls/v1/lbnl-flexlab/meta/gw-flexlab-ahu"][-1]
    assert {p.point: p.brick_class for p in meta.points}["ahu1.mixed_air_temp"] == (
        "Mixed_Air_Temperature_Sensor"
    )
    assert {pack.topic for pack in collector.unique_packs(config.gateway.id)} == {
        "byggpuls/v1/lbnl-flexlab/hvac"
    }


def test_a_fast_replay_polls_once_a_second_and_takes_every_row_due(tmp_path: Path) -> None:
    path = tmp_path / "fast.csv"
    path.write_text("t,v\n" + "".join(f"{1_700_000_000 + 60 * i},{i}\n" for i in range(100)))
    options = CsvReplayOptions.model_validate(
        {
            "path": str(path),
            "time_column": "t",
            "time_format": "epoch_s",
            "speed": 600,  # a row every 0.1 s
            "domain": "energy",
            "columns": [{"column": "v", "point": "el.energy", "unit": "kWh"}],
        }
    )
    driver = CsvReplayDriver(
        options, building=BuildingInfo(id="b1", name="B1", type="office"), path=path
    )
    try:
        assert driver.next_poll_s(0.0) == 0.0
        assert [r.value for r in driver.poll(0.0)] == [0.0]
        assert driver.next_poll_s(0.05) == 1.0  # not 0.1: a commit a second is enough
        assert [r.value for r in driver.poll(1.0)] == [float(i) for i in range(1, 11)]
    finally:
        driver.close()
