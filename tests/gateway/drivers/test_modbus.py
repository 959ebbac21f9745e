"""The Modbus driver against pymodbus's own TCP server: decoding, scaling, units, read planning,
and the readings on a real broker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pymodbus.client import ModbusTcpClient

from byggpuls.errors import ConfigError
from byggpuls.reading import BuildingInfo
from byggpuls.settings import CommonSettings
from cli.bootstrap import build_gateway
from gateway.config import parse_config
from gateway.drivers.modbus import ModbusDriver, ModbusOptions, Register, plan_reads
from gateway.errors import DriverError
from gateway.spool import Spool
from sandbox.servers import MosquittoServer

BUILDING: dict[str, Any] = {"id": "radhus-1", "name": "Rådhuset", "type": "office"}
DATATYPE = ModbusTcpClient.DATATYPE


def registers(value: float, data_type: Any, word_order: str = "big") -> list[int]:
    return ModbusTcpClient.convert_to_registers(value, data_type, word_order=word_order)  # type: ignore[arg-type]


#: What the device holds, and the readings it must give.
HOLDING = {
    0: registers(21.5, DATATYPE.FLOAT32),
    2: registers(-125, DATATYPE.INT16),
    3: registers(4500, DATATYPE.UINT16),
    10: registers(123_456_789, DATATYPE.UINT32, "little"),
}
INPUT = {
    0: registers(-200_000, DATATYPE.INT32),
    5: registers(740, DATATYPE.UINT16),
    20: registers(3.25, DATATYPE.FLOAT32, "little"),
}
REGISTER_MAP: list[dict[str, Any]] = [
    {"point": "ahu1.supply_air_temp", "address": 0, "data_type": "float32", "unit": "Cel",
     "brick_class": "Supply_Air_Temperature_Sensor", "domain": "hvac"},
    {"point": "room1.temp", "address": 2, "data_type": "int16", "scale": 0.1, "unit": "Cel",
     "zone": "room1"},
    {"point": "room1.humidity", "address": 3, "data_type": "uint16", "count": 1, "scale": 0.01,
     "unit": "%RH"},
    {"point": "el.energy", "address": 10, "data_type": "uint32", "word_order": "little",
     "source_unit": "Wh", "unit": "kWh", "domain": "energy",
     "brick_class": "Electric_Energy_Sensor"},
    {"point": "el.export_power", "table": "input", "address": 0, "data_type": "int32",
     "scale": 0.01, "source_unit": "W", "unit": "kW", "domain": "energy"},
    {"point": "room1.co2", "table": "input", "address": 5, "unit": "ppm"},
    {"point": "pv.power", "table": "input", "address": 20, "data_type": "float32",
     "word_order": "little", "offset": 0.5, "unit": "kW", "domain": "energy"},
]  # fmt: skip
EXPECTED = {
    "ahu1.supply_air_temp": (21.5, "Cel"),
    "room1.temp": (-12.5, "Cel"),
    "room1.humidity": (45.0, "%RH"),
    "el.energy": (123_456.789, "kWh"),
    "el.export_power": (-2.0, "kW"),
    "room1.co2": (740.0, "ppm"),
    "pv.power": (3.75, "kW"),
}


def options(port: int, **extra: Any) -> ModbusOptions:
    return ModbusOptions.model_validate(
        {"host": "127.0.0.1", "port": port, "domain": "climate", "registers": REGISTER_MAP, **extra}
    )


@pytest.fixture
def device(modbus_server_factory: Callable[..., Any]) -> Any:
    return modbus_server_factory(holding=HOLDING, input=INPUT)


def building_info() -> BuildingInfo:
    return BuildingInfo(**BUILDING)


def test_registers_are_decoded_scaled_and_converted(device: Any) -> None:
    driver = ModbusDriver(options(device.port), building=building_info())
    try:
        readings = driver.poll(1_764_201_600.25)
    finally:
        driver.close()
    got = {r.point: (r.value, r.unit) for r in readings}
    assert set(got) == set(EXPECTED)
    for point, (value, unit) in EXPECTED.items():
        assert got[point][0] == pytest.approx(value, abs=1e-9), point
        assert got[point][1] == unit
    assert {r.time_ms for r in readings} == {1_764_201_600_250}
    quantities = {r.point: r.quantity for r in readings}
    assert quantities["room1.humidity"] == "relative_humidity"
    assert quantities["el.energy"] == "energy"


def test_points_carry_metadata_and_the_poll_interval(device: Any) -> None:
    driver = ModbusDriver(options(device.port, interval_s=15), building=building_info())
    points = {p.point: p for p in driver.points()}
    driver.close()
    assert points["ahu1.supply_air_temp"].brick_class == "Supply_Air_Temperature_Sensor"
    assert points["ahu1.supply_air_temp"].domain == "hvac"
    assert points["room1.temp"].domain == "climate"
    assert points["room1.temp"].zone == "room1"
    assert points["el.energy"].unit == "kWh"
    assert {p.interval_s for p in points.values()} == {15}


def test_reads_are_planned_in_few_requests() -> None:
    entries = [Register.model_validate(entry) for entry in REGISTER_MAP]
    plan = plan_reads(entries)
    assert [(b.table, b.address, b.count) for b in plan] == [
        ("holding", 0, 4),
        ("holding", 10, 2),
        ("input", 0, 2),
        ("input", 5, 1),
        ("input", 20, 2),
    ]
    assert [(b.table, b.address, b.count) for b in plan_reads(entries, max_gap=8)] == [
        ("holding", 0, 12),
        ("input", 0, 6),
        ("input", 20, 2),
    ]
    # 70 float32 values in a row: 140 registers, more than one request may ask for.
    row = [
        Register(point=f"p{i}", address=2 * i, data_type="float32", unit="Cel") for i in range(70)
    ]
    assert [(b.address, b.count) for b in plan_reads(row)] == [(0, 124), (124, 16)]


def test_a_silent_device_raises_driver_error_and_recovers(
    modbus_server_factory: Callable[..., Any],
) -> None:
    server = modbus_server_factory(holding=HOLDING, input=INPUT)
    driver = ModbusDriver(options(server.port, timeout_s=0.5, retries=0), building=building_info())
    try:
        assert len(driver.poll(1_764_201_600.0)) == len(EXPECTED)
        server.stop()
        with pytest.raises(DriverError, match="did not answer"):
            driver.poll(1_764_201_660.0)
        server.start()
        assert len(driver.poll(1_764_201_720.0)) == len(EXPECTED)
    finally:
        driver.close()


def test_the_schedule_keeps_its_phase_and_skips_missed_polls(device: Any) -> None:
    driver = ModbusDriver(options(device.port, interval_s=60), building=building_info())
    try:
        assert driver.next_poll_s(1000.0) == 1000.0
        driver.poll(1000.5)
        assert driver.next_poll_s(1001.0) == 1060.0
        driver.poll(1250.0)  # late: the polls at 1120 and 1180 are skipped, not made up
        assert driver.next_poll_s(1250.0) == 1300.0
    finally:
        driver.close()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"data_type": "float32", "count": 1}, "float32 occupies 2 register"),
        ({"data_type": "int24"}, "data_type"),
        ({"word_order": "middle"}, "word_order"),
        ({"source_unit": "degF", "unit": "kWh"}, "no conversion from 'degF' to 'kWh'"),
        ({"address": 65535, "data_type": "uint32"}, "passes 65535"),
    ],
)
def test_bad_register_entries_are_refused_with_a_reason(
    entry: dict[str, Any], message: str
) -> None:
    data = {
        "gateway": {"id": "gw-1"},
        "building": BUILDING,
        "driver": {
            "type": "modbus",
            "host": "127.0.0.1",
            "domain": "energy",
            "registers": [{"point": "p", "address": 0, "unit": "Cel", **entry}],
        },
    }
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(data, source=Path("/etc/byggpuls/meter.toml"))
    assert "/etc/byggpuls/meter.toml: driver.registers.0" in str(info.value)


@pytest.mark.integration
def test_readings_of_the_device_arrive_on_the_broker(
    device: Any,
    mosquitto: MosquittoServer,
    collector: Any,
    wait_until: Callable[..., None],
    tmp_path: Path,
) -> None:
    data = {
        "gateway": {"id": "gw-radhus-1", "status_interval_s": 1},
        "building": BUILDING,
        "driver": {
            "type": "modbus",
            "host": "127.0.0.1",
            "port": device.port,
            "interval_s": 0.2,
            "domain": "climate",
            "registers": REGISTER_MAP,
        },
    }
    config = parse_config(data, source=tmp_path / "gw.toml")
    driver = config.driver.create(config.driver_options, config.context())
    gateway = build_gateway(
        CommonSettings(mqtt_url=mosquitto.url),
        gateway_id="gw-radhus-1",
        driver=driver,
        spool=Spool(tmp_path / "spool", building=BUILDING["id"], gateway="gw-radhus-1",
                    max_readings=10_000),
        max_inflight_packs=4,
        status_interval_s=1,
    )  # fmt: skip
    gateway.start()
    try:
        wanted = 3 * len(EXPECTED)
        wait_until(lambda: len(collector.readings("gw-radhus-1")) >= wanted, "three polls")
    finally:
        gateway.stop()
    received = collector.readings("gw-radhus-1")
    by_point: dict[str, set[tuple[float, str | None]]] = {}
    for point, _time_ms, value, unit in received:
        by_point.setdefault(point, set()).add((round(value, 6), unit))
    assert by_point == {
        point: {(round(value, 6), unit)} for point, (value, unit) in EXPECTED.items()
    }
    topics_seen = {pack.topic for pack in collector.unique_packs("gw-radhus-1")}
    assert topics_seen == {
        "byggpuls/v1/radhus-1/hvac",
        "byggpuls/v1/radhus-1/climate",
        "byggpuls/v1/radhus-1/energy",
    }
    meta = collector.metas["byggpuls/v1/radhus-1/meta/gw-radhus-1"][-1]
    assert {p.point: p.brick_class for p in meta.points}["el.energy"] == "Electric_Energy_Sensor"
