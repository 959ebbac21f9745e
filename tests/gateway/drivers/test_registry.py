"""The driver registry: built-in drivers by name, lazily imported; new drivers register."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from byggpuls.errors import ConfigError
from byggpuls.reading import BuildingInfo, PointInfo, Reading
from gateway import drivers
from gateway.drivers import Backfill, DriverContext
from gateway.drivers.csv_replay import CsvReplayDriver, CsvReplayOptions
from gateway.drivers.modbus import ModbusDriver, ModbusOptions
from gateway.drivers.simulated import SimulatedDriver, SimulatedOptions


def test_built_in_drivers_are_found_by_name() -> None:
    assert drivers.available() == ["csv_replay", "modbus", "simulated"]
    assert drivers.get("csv_replay").options is CsvReplayOptions
    assert drivers.get("modbus").options is ModbusOptions
    assert drivers.get("simulated").options is SimulatedOptions
    assert drivers.get("simulated").needs_building is False
    assert drivers.get("modbus").needs_building is True


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="no driver named 'bacnet'; available: csv_replay, "):
        drivers.get("bacnet")


def test_only_drivers_with_history_offer_a_backfill() -> None:
    assert issubclass(SimulatedDriver, Backfill)
    assert not issubclass(CsvReplayDriver, Backfill)
    assert not issubclass(ModbusDriver, Backfill)


class _ConstantOptions(BaseModel):
    value: float = 1.0


class _ConstantDriver:
    historic = False

    def __init__(self, options: _ConstantOptions, building: BuildingInfo) -> None:
        self.value = options.value
        self._building = building

    def building(self) -> BuildingInfo:
        return self._building

    def points(self) -> list[PointInfo]:
        return [PointInfo(point="x", domain="energy", quantity="power", unit="kW")]

    def next_poll_s(self, now_s: float) -> float | None:
        return now_s

    def poll(self, now_s: float) -> list[Reading]:
        return [Reading("b1", "x", "power", round(now_s * 1000), self.value, "kW")]

    def close(self) -> None:
        pass


def test_a_new_driver_registers_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drivers, "_registry", dict(drivers._registry))

    @drivers.register("constant", options=_ConstantOptions, summary="one constant point")
    def create(options: _ConstantOptions, context: DriverContext) -> _ConstantDriver:
        assert context.building is not None
        return _ConstantDriver(options, context.building)

    building = BuildingInfo(id="b1", name="B1", type="office")
    spec = drivers.get("constant")
    assert "constant" in drivers.available()
    context = DriverContext(building=building, base_dir=Path("."))
    driver = spec.create(spec.options.model_validate({"value": 4.5}), context)
    assert [r.value for r in driver.poll(1_800_000_000.0)] == [4.5]

    with pytest.raises(ValueError, match="registered twice"):
        drivers.register("constant", options=_ConstantOptions, summary="again")(
            lambda options, context: _ConstantDriver(options, building)
        )
