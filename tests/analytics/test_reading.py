"""Reading a building's air handling units from the store: in 15-minute means, whatever
interval the points declare, so that history sent at a coarser step than the live readings
still fills the series."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np

from analytics.reading import air_handling_units, zone_series
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.repository import Registry
from byggpuls.storage.sqlite import SQLiteStore
from simulation import Portfolio

DAY_S = 86_400.0
START_S = dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp()
END_S = START_S + 3 * DAY_S


def test_units_and_zones_are_read_from_the_store(tmp_path: Path) -> None:
    config = {
        "seed": 1,
        "start": START_S,
        "interval_s": 900,
        "buildings": [{"id": "b", "type": "school", "seed": 3, "faults": "none"}],
    }
    building = Portfolio.from_config(config).buildings[0]
    engine = make_engine(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    migrate(engine)
    registry = Registry(engine)
    store = SQLiteStore(tmp_path / "readings.sqlite3")
    try:
        registry.upsert_building(building.info)
        # The live readings come every minute; the history was sent every 15 minutes.
        points = [dataclasses.replace(p, interval_s=60) for p in building.points()]
        registry.upsert_points(building="b", gateway="gw", points=points, source="meta")
        store.write(building.advance(END_S))
        row = registry.building("b")
        assert row is not None
        stored = registry.points("b")
        (unit,) = air_handling_units(store, row, stored, start_s=START_S, end_s=END_S)
        assert unit.unit == "ahu1"
        assert np.diff(unit.series.times_s).min() == 900.0
        assert np.isfinite(unit.series.supply_c[1:]).all()  # the first reading comes at 00:15
        assert 0.0 <= np.nanmin(unit.series.damper) <= np.nanmax(unit.series.damper) <= 1.0
        zones = zone_series(store, row, stored, grid_s=START_S + 3600.0 * np.arange(72))
        assert [z.zone for z in zones] == ["zone1", "zone2", "zone3", "zone4"]
        assert zones[0].name == "Klasserom 1. etasje"
        assert zones[0].setpoint == "zone1.air_temp_setpoint"
        assert zones[0].co2_ppm is not None
        assert np.isfinite(zones[0].co2_ppm).all()
    finally:
        store.close()
        engine.dispose()
