"""The analytics run over real stores and the registry: findings with kWh and NOK."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analytics import service
from analytics.findings import Pricing
from analytics.pipeline import Analysis, BuildingData
from analytics.reading import hourly_series
from analytics.service import AFTER_HOURS_KIND, METER_FAULT_KIND, run_once
from analytics.settings import AnalyticsSettings
from analytics.waste import FilePrices, Tariff
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.repository import Registry
from byggpuls.storage.sqlite import SQLiteStore
from simulation import Portfolio

DAY_S = 86_400.0
START_S = dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp()
#: Five weeks: each week's models learn from the weeks before it, two at the least.
END_S = START_S + 35 * DAY_S
#: Ventilation left on from a Friday afternoon to Monday morning.
FAULT_START_S = START_S + 25 * DAY_S + 15 * 3600
#: All-in flat electricity price, NOK/kWh (no spot source configured).
PRICE = 1.25
PRICING = Pricing(
    tariff=Tariff.from_settings(AnalyticsSettings(analytics_electricity_price_nok_per_kwh=PRICE)),
    source=None,
    area="NO5",
)


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


def load_portfolio(
    store: SQLiteStore, registry: Registry, *, until_s: float = END_S
) -> tuple[float, float]:
    """Two schools, one with ventilation left on over a weekend; the fault's true extra kWh of
    electricity and of heat."""
    fault = {
        "kind": "after_hours_ventilation",
        "start": FAULT_START_S,
        "end": START_S + 28 * DAY_S + 5 * 3600,
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
        store.write(building.advance(until_s))
    truths = portfolio.ground_truth()
    if not truths:  # stored before the fault began
        return 0.0, 0.0
    (truth,) = truths
    return truth.extra_electricity_kwh, truth.extra_heat_kwh


def test_finds_the_waste_and_keeps_it_once(store: SQLiteStore, registry: Registry) -> None:
    true_kwh, true_heat_kwh = load_portfolio(store, registry)
    summary = run_once(
        store=store,
        registry=registry,
        now_ms=int(END_S * 1000),
        window_days=21,
        pricing=PRICING,
    )
    # The fans left on use electricity, and their air heating coil heat: one finding, both.
    assert (summary.buildings, summary.analysed, summary.findings) == (2, 2, 1)
    (finding,) = registry.findings()
    assert finding.building == "skole-a"
    assert finding.kind == AFTER_HOURS_KIND
    assert finding.points == ("el.power", "dh.power")
    assert finding.evidence["waste_kwh"] == pytest.approx(true_kwh, rel=0.15)
    (heat,) = finding.evidence["also"]
    assert (heat["point"], heat["carrier"]) == ("dh.power", "heat")
    assert heat["waste_kwh"] == pytest.approx(true_heat_kwh, rel=0.25)
    assert finding.waste_kwh == pytest.approx(finding.evidence["waste_kwh"] + heat["waste_kwh"])
    # 1.25 NOK/kWh electricity (flat, all in), 1.00 district heat, plus any capacity part.
    assert finding.waste_nok >= round(
        finding.evidence["waste_kwh"] * PRICE + heat["waste_kwh"] * 1.00 - 1
    )
    assert heat["prices"]["price_source"] == "district-heat tariff"
    assert finding.evidence["measured_kwh"] > finding.evidence["baseline_kwh"]
    assert finding.evidence["prices"]["price_source"] == "flat default"
    assert finding.evidence["baseline_g14"]["passes"]
    assert "outside opening hours" in finding.evidence["summary"]
    # A second run finds the same episode and updates it instead of adding another.
    run_once(
        store=store,
        registry=registry,
        now_ms=int(END_S * 1000),
        window_days=21,
        pricing=PRICING,
    )
    assert len(registry.findings()) == 1


def test_too_little_history_gives_no_findings(store: SQLiteStore, registry: Registry) -> None:
    load_portfolio(store, registry)
    summary = run_once(
        store=store,
        registry=registry,
        now_ms=int((START_S + 5 * DAY_S) * 1000),
        window_days=21,
        pricing=PRICING,
    )
    assert summary.findings == 0
    assert registry.findings() == []


def test_scores_each_buildings_health_and_keeps_a_day_once(
    store: SQLiteStore, registry: Registry
) -> None:
    load_portfolio(store, registry)
    first = run_once(
        store=store, registry=registry, now_ms=int(END_S * 1000), window_days=21, pricing=PRICING
    )
    assert first.health == 2
    latest = registry.latest_health()
    faulty, healthy = latest["skole-a"], latest["skole-b"]
    assert faulty.day == healthy.day == dt.date(2026, 2, 9)
    assert faulty.score is not None
    assert healthy.score is not None
    # The weekend's ventilation costs the faulty school energy points; the other keeps them.
    assert faulty.parts["energy"]["score"] < healthy.parts["energy"]["score"]
    assert faulty.score < healthy.score
    (reason, *_) = faulty.parts["energy"]["reasons"]
    assert reason["finding_id"] == registry.findings(building="skole-a")[0].id
    # The zones' temperatures and CO2 were judged in opening hours.
    assert healthy.parts["indoor_climate"]["score"] is not None
    assert healthy.parts["data_quality"]["score"] is not None
    # The same day again: scored again, the day's record replaced, not added.
    again = run_once(
        store=store, registry=registry, now_ms=int(END_S * 1000), window_days=21, pricing=PRICING
    )
    assert again.health == 2
    (day,) = registry.health_days("skole-a")
    assert day.score == faulty.score


def test_one_building_failing_does_not_stop_the_others(
    store: SQLiteStore,
    registry: Registry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    load_portfolio(store, registry)
    real = service.analyse

    def fails_for_skole_a(data: BuildingData, **kwargs: Any) -> Analysis:
        if data.building == "skole-a":
            raise FloatingPointError("an odd series")
        return real(data, **kwargs)

    monkeypatch.setattr(service, "analyse", fails_for_skole_a)
    resume: dict[str, int] = {}
    summary = run_once(
        store=store,
        registry=registry,
        now_ms=int(END_S * 1000),
        window_days=21,
        pricing=PRICING,
        resume=resume,
    )
    assert (summary.buildings, summary.analysed, summary.failed) == (2, 1, 1)
    assert list(resume) == ["skole-b"]  # skole-a is tried again from the same hour
    assert "skole-a: analysis failed" in caplog.text
    assert "an odd series" in caplog.text


def findings_of(
    registry: Registry,
) -> list[tuple[str, str, dt.datetime, dt.datetime | None, float]]:
    return sorted((f.building, f.kind, f.start, f.end, f.waste_kwh) for f in registry.findings())


@pytest.mark.parametrize(("every_minutes", "days"), [(60, 9), (15, 2)])
def test_runs_every_hour_or_quarter_find_what_one_run_finds(
    store: SQLiteStore, tmp_path: Path, every_minutes: int, days: int
) -> None:
    """The service run from a day into the fault for ``days``, every hour or quarter of an
    hour, ends with the findings, and the waste, of one run at the end: no episode is cut into
    several by a moving window, and no hour is counted twice. (On SQLite registries only: the
    property is the service's, and the registry tests cover PostgreSQL.)"""
    until_s = FAULT_START_S + (1 + days) * DAY_S
    once_engine = make_engine(f"sqlite:///{tmp_path / 'once.sqlite3'}")
    migrate(once_engine)
    registry = Registry(once_engine)
    load_portfolio(store, registry)
    run_once(
        store=store,
        registry=registry,
        now_ms=int(until_s * 1000),
        window_days=21,
        pricing=PRICING,
    )
    once = findings_of(registry)
    assert once, "the injected fault must be found for the comparison to mean anything"

    engine = make_engine(f"sqlite:///{tmp_path / 'repeated.sqlite3'}")
    migrate(engine)
    repeated = Registry(engine)
    load_portfolio(store, repeated)  # the same buildings and points; the readings again, alike
    resume: dict[str, int] = {}
    now_s = FAULT_START_S + DAY_S  # inside the fault: the run at its start sees part of it
    while now_s <= until_s:
        run_once(
            store=store,
            registry=repeated,
            now_ms=int(now_s * 1000),
            window_days=21,
            pricing=PRICING,
            resume=resume,
        )
        now_s += every_minutes * 60
    try:
        assert findings_of(repeated) == once
        assert sum(f.waste_kwh for f in repeated.findings()) == pytest.approx(
            sum(f.waste_kwh for f in registry.findings())
        )
    finally:
        engine.dispose()
        once_engine.dispose()


def test_runs_without_resume_points_find_the_same_as_with_them(
    store: SQLiteStore, registry: Registry
) -> None:
    """A restarted service (no resume points) scores the whole window again: same findings."""
    load_portfolio(store, registry)
    for now_s in (END_S - 2 * DAY_S, END_S - DAY_S, END_S):
        run_once(
            store=store,
            registry=registry,
            now_ms=int(now_s * 1000),
            window_days=21,
            pricing=PRICING,
        )
    assert {(f.building, f.kind) for f in registry.findings()} == {("skole-a", AFTER_HOURS_KIND)}


def test_a_meter_spike_is_a_meter_fault_and_never_priced_as_waste(
    store: SQLiteStore, registry: Registry
) -> None:
    night = START_S + 26 * DAY_S + 2 * 3600  # a Saturday, 03:00 in Oslo: after hours
    config = {
        "seed": 1,
        "start": START_S,
        "interval_s": 900,
        "buildings": [
            {
                "id": "skole-c",
                "type": "school",
                "seed": 5,
                "faults": [
                    {
                        "kind": "meter_spike",
                        "start": night,
                        "end": night + 900,
                        "points": ["el.power"],
                        "factor": 12,
                    }
                ],
            }
        ],
    }
    building = Portfolio.from_config(config).buildings[0]
    registry.upsert_building(building.info)
    registry.upsert_points(
        building=building.info.id, gateway="gw", points=building.points(), source="meta"
    )
    store.write(building.advance(END_S))
    run_once(
        store=store,
        registry=registry,
        now_ms=int(END_S * 1000),
        window_days=21,
        pricing=PRICING,
    )
    found = registry.findings()
    assert [(f.kind, f.points) for f in found] == [(METER_FAULT_KIND, ("el.power",))], found
    (finding,) = found
    assert finding.kind == METER_FAULT_KIND
    assert finding.points == ("el.power",)
    assert finding.start == dt.datetime.fromtimestamp(night, dt.UTC)
    assert (finding.waste_kwh, finding.waste_nok) == (0.0, 0.0)
    assert "spike" in finding.evidence["summary"]


def test_readings_that_arrive_late_are_still_scored(store: SQLiteStore, tmp_path: Path) -> None:
    """A run while the gateways are still sending their history must not resume past what it
    has seen: the history's later weeks are scored once they arrive, with the findings of one
    run over all of it. (On SQLite registries only, as above.)"""
    once_engine = make_engine(f"sqlite:///{tmp_path / 'once.sqlite3'}")
    migrate(once_engine)
    once = Registry(once_engine)
    load_portfolio(store, once)
    run_once(store=store, registry=once, now_ms=int(END_S * 1000), window_days=35, pricing=PRICING)
    expected = findings_of(once)
    assert expected, "the injected fault must be found for the comparison to mean anything"

    partial = SQLiteStore(tmp_path / "partial.sqlite3")
    engine = make_engine(f"sqlite:///{tmp_path / 'late.sqlite3'}")
    migrate(engine)
    late = Registry(engine)
    try:
        # The first run sees 23 of the 35 days: the fault's weekend has not arrived yet.
        load_portfolio(partial, late, until_s=START_S + 23 * DAY_S)
        resume: dict[str, int] = {}
        run_once(
            store=partial,
            registry=late,
            now_ms=int(END_S * 1000),
            window_days=35,
            pricing=PRICING,
            resume=resume,
        )
        assert late.findings() == []
        load_portfolio(partial, late)  # the rest of the history arrives
        run_once(
            store=partial,
            registry=late,
            now_ms=int(END_S * 1000) + 3_600_000,
            window_days=35,
            pricing=PRICING,
            resume=resume,
        )
        assert [f[:3] for f in findings_of(late)] == [f[:3] for f in expected]
    finally:
        partial.close()
        engine.dispose()
        once_engine.dispose()


def test_records_each_main_meters_hours_in_the_ledger_and_a_rerun_replaces_them(
    store: SQLiteStore, registry: Registry, tmp_path: Path
) -> None:
    load_portfolio(store, registry)
    window_start = dt.datetime.fromtimestamp(END_S - 21 * DAY_S, dt.UTC)
    end = dt.datetime.fromtimestamp(END_S, dt.UTC)
    summary = run_once(
        store=store, registry=registry, now_ms=int(END_S * 1000), window_days=21, pricing=PRICING
    )
    rows = registry.energy_hours("skole-b", since=window_start - dt.timedelta(days=7), until=end)
    assert summary.energy_hours == 2 * len(rows)  # both schools, alike in shape
    by_carrier = {c: [r for r in rows if r.carrier == c] for c in ("electricity", "heat")}
    # Every hour of the window, nothing before it; each carrier its main meter.
    for carrier, point in (("electricity", "el.power"), ("heat", "dh.power")):
        hours = by_carrier[carrier]
        assert [r.hour for r in hours] == [
            window_start + dt.timedelta(hours=h) for h in range(21 * 24)
        ]
        assert {r.point for r in hours} == {point}
    electricity = by_carrier["electricity"]
    # The hours' kWh are the meter's hourly mean kW, as the analysis read them.
    (point,) = [p for p in registry.points("skole-b") if p.point == "el.power"]
    grid = np.array([r.hour.timestamp() for r in electricity])
    means = hourly_series(store, registry.building("skole-b"), point, grid_s=grid, target_unit="kW")  # type: ignore[arg-type]
    assert [r.measured_kwh for r in electricity] == pytest.approx(list(means))
    # Flat all in for electricity, the district-heat price for heat: the energy part alone.
    assert [r.cost_nok for r in electricity] == pytest.approx(
        [r.measured_kwh * PRICE for r in electricity]  # type: ignore[operator]
    )
    assert [r.cost_nok for r in by_carrier["heat"]] == pytest.approx(
        [r.measured_kwh * 1.00 for r in by_carrier["heat"]]  # type: ignore[operator]
    )
    # A trusted baseline of the school without faults comes close to what it used.
    baselined = [r for r in electricity if r.baseline_kwh is not None]
    assert len(baselined) > len(electricity) / 2
    used = sum(r.measured_kwh for r in baselined)  # type: ignore[misc]
    assert sum(r.baseline_kwh for r in baselined) == pytest.approx(used, rel=0.1)  # type: ignore[misc]

    # Again with spot prices: the same hours, replaced, now at spot plus the grid energy part.
    prices = tmp_path / "spot.csv"
    hours = [window_start + dt.timedelta(hours=h) for h in range(21 * 24)]
    prices.write_text(
        "time,area,nok_per_kwh\n" + "".join(f"{h.isoformat()},NO5,0.80\n" for h in hours)
    )
    spot = Pricing(tariff=PRICING.tariff, source=FilePrices(prices), area="NO5")
    again = run_once(
        store=store, registry=registry, now_ms=int(END_S * 1000), window_days=21, pricing=spot
    )
    assert again.energy_hours == summary.energy_hours
    rerun = registry.energy_hours("skole-b", since=window_start, until=end, carrier="electricity")
    assert [(r.hour, r.measured_kwh, r.baseline_kwh) for r in rerun] == [
        (r.hour, r.measured_kwh, r.baseline_kwh) for r in electricity
    ]
    assert [r.cost_nok for r in rerun] == pytest.approx(
        [r.measured_kwh * (0.80 + 0.05) for r in rerun]  # type: ignore[operator]
    )
