"""The LBNL SZCAV air handler replayed into a running pipeline (gateway, Mosquitto, ingest).

Its points must reach the registry with their Brick classes and SI units, and its readings the
store, converted: the file's °F as °C, its 0-1 control signals as %.
"""

from __future__ import annotations

import csv
import os
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from byggpuls.registry.db import make_engine
from byggpuls.registry.repository import Registry
from byggpuls.storage.influx import InfluxStore
from byggpuls.storage.port import SeriesQuery
from sandbox.servers import MosquittoServer, free_port
from tests.conftest import REPO
from tests.gateway.conftest import wait_for
from tests.processes import Service, byggpuls

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS = 300
CONFIG = REPO / "deploy" / "gateway" / "lbnl-szcav.toml"
#: The file's clock is Pacific Standard Time all year (see the configuration).
PST = timezone(timedelta(hours=-8))


def replay_config(tmp_path: Path, shared_data: Path) -> Path:
    """The deployed configuration, replaying the first rows as fast as the broker takes them."""
    text = CONFIG.read_text()
    csv_path = shared_data / "lbnl_ahu" / "SZCAV.csv"
    text = text.replace('path = "../../../shared/data/lbnl_ahu/SZCAV.csv"', f"path = '{csv_path}'")
    text = text.replace("speed = 60", f"speed = 0\nmax_rows = {ROWS}")
    assert f"path = '{csv_path}'" in text, "the deployed configuration changed shape"
    assert f"max_rows = {ROWS}" in text, "the deployed configuration changed shape"
    path = tmp_path / "szcav.toml"
    path.write_text(text)
    return path


def test_szcav_replays_into_the_registry_and_the_store(
    mosquitto: MosquittoServer,
    influx_url: str,
    postgres_url: str,
    shared_data: Path,
    tmp_path: Path,
) -> None:
    env = dict(
        os.environ,
        BYGGPULS_MQTT_URL=mosquitto.url,
        BYGGPULS_INFLUX_URL=influx_url,
        BYGGPULS_DATABASE_URL=postgres_url,
        BYGGPULS_DATA_DIR=str(tmp_path / "data"),
        BYGGPULS_INGEST_CLIENT_ID="ingest-replay-test",
        BYGGPULS_INGEST_METRICS_PORT=str(free_port()),
    )
    config = replay_config(tmp_path, shared_data)
    columns = tomllib.loads(CONFIG.read_text())["driver"]["columns"]
    ingest = Service(byggpuls("ingest"), env)
    store = InfluxStore.from_url(influx_url)
    engine = make_engine(postgres_url)
    try:
        gateway = Service(byggpuls("gateway", "--config", str(config), "--exit-when-drained"), env)
        gateway.process.wait(120)  # --exit-when-drained: every reading acknowledged by the broker
        assert gateway.stop() == 0, "".join(gateway.lines[-30:])
        registry = Registry(engine)

        def all_points_registered() -> bool:
            return len(registry.points("lbnl-flexlab")) == len(columns)

        wait_for(all_points_registered, "the points in the registry", timeout=60)
        points = {p.point: p for p in registry.points("lbnl-flexlab")}
        for column in columns:
            point = points[column["point"]]
            assert point.brick_class == column["brick_class"]
            assert point.unit == column["unit"]
            assert point.unit in {"Cel", "%", "/"}  # SI-based SenML units, no °F, no 0-1 as %
            assert point.quantity == column["quantity"]
            assert point.source == "meta"

        with (shared_data / "lbnl_ahu" / "SZCAV.csv").open() as file:
            first = next(csv.DictReader(file, skipinitialspace=True))
        start = datetime.strptime(first["Datetime"], "%m/%d/%Y %H:%M").replace(tzinfo=PST)
        start_ms = int(start.timestamp() * 1000)
        query = SeriesQuery(
            building="lbnl-flexlab",
            point="ahu1.supply_air_temp",
            quantity="temperature",
            start_ms=start_ms,
            end_ms=start_ms + ROWS * 60_000,
        )
        wait_for(lambda: len(store.query_series(query)) == ROWS, "every row stored", timeout=60)
        supply = store.query_series(query)
        assert supply[0].time_ms == start_ms
        fahrenheit = float(first["AHU: Supply Air Temperature"])
        assert supply[0].value == pytest.approx((fahrenheit - 32) * 5 / 9, abs=0.01)
        damper = store.query_series(
            SeriesQuery(
                building="lbnl-flexlab",
                point="ahu1.return_air_damper",
                quantity="damper_position",
                start_ms=start_ms,
                end_ms=start_ms + 60_000,
            )
        )
        assert [s.value for s in damper] == [
            pytest.approx(100 * float(first["AHU: Return Air Damper Control Signal"]))
        ]
    finally:
        assert ingest.stop() == 0, "".join(ingest.lines[-30:])
        store.close()
        engine.dispose()
