"""The analytics run over real stores and the registry: findings with kWh and NOK."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.service import AFTER_HOURS_KIND, run_once
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.repository import Registry
from byggpuls.storage.sqlite import SQLiteStore
from simulation import Portfolio

DAY_S = 86_400.0
START_S = dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp()
END_S = START_S + 21 * DAY_S


@pytest.fixture
def registry(database_url: str) -> Iterator[Registry]:
    engine = make_engine(database_url)
    migrate(engine)
    yield Registry(engine)
    engine.dispose()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "readings.sqlite3")
    yield store
    store.close()


def load_portfolio(store: SQLiteStore, registry: Registry) -> float:
    """Two schools, one with ventilation left on over a weekend; the fault's true extra kWh."""
    fault = {
        "kind": "after_hours_ventilation",
        "start": START_S + 11 * DAY_S + 15 * 3600,
        "end": START_S + 14 * DAY_S + 5 * 3600,
    }
    config = {
        "seed": 1,
        "start": START_S,
        "interval_s": 900,
        "buildings": [
            {"id": "skole-a", "type": "school", "seed": 3, "faults": [fault]},
            {"id": "skole-b", "type": "school", "seed": 4, "faults": "none"},
        ],
    }
    portfolio = Portfolio.from_config(config)
    for building in portfolio.buildings:
        registry.upsert_building(building.info)
        registry.upsert_points(
            building=building.info.id, gateway="gw", points=building.points(), source="meta"
        )
        store.write(building.advance(END_S))
    (truth,) = portfolio.ground_truth()
    return truth.extra_electricity_kwh


def test_finds_the_waste_and_keeps_it_once(store: SQLiteStore, registry: Registry) -> None:
    true_kwh = load_portfolio(store, registry)
    summary = run_once(
        store=store,
        registry=registry,
        now_ms=int(END_S * 1000),
        window_days=21,
        price_nok_per_kwh=1.25,
    )
    assert (summary.buildings, summary.analysed, summary.findings) == (2, 2, 1)
    (finding,) = registry.findings()
    assert finding.building == "skole-a"
    assert finding.kind == AFTER_HOURS_KIND
    assert finding.points == ("el.power",)
    assert finding.waste_kwh == pytest.approx(true_kwh, rel=0.15)
    assert finding.waste_nok == pytest.approx(finding.waste_kwh * 1.25, abs=1)
    assert finding.evidence["measured_kwh"] > finding.evidence["expected_kwh"]
    assert "outside opening hours" in finding.evidence["summary"]
    # A second run finds the same episode and updates it instead of adding another.
    run_once(
        store=store,
        registry=registry,
        now_ms=int(END_S * 1000),
        window_days=21,
        price_nok_per_kwh=1.25,
    )
    assert len(registry.findings()) == 1


def test_too_little_history_gives_no_findings(store: SQLiteStore, registry: Registry) -> None:
    load_portfolio(store, registry)
    summary = run_once(
        store=store,
        registry=registry,
        now_ms=int((START_S + 5 * DAY_S) * 1000),
        window_days=21,
        price_nok_per_kwh=1.25,
    )
    assert summary.findings == 0
    assert registry.findings() == []
