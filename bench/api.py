"""Requests per second and latency of the API's busiest pages, next to a bare FastAPI endpoint.

    .venv/bin/python bench/api.py [--buildings 1000] [--seconds 10] [--concurrency 8]
                                  [--ledger-buildings 100] [--database-url URL]

Seeds a portfolio into a fresh data directory: ``--buildings`` buildings, each with six points
and their newest readings, a year of findings (about 40 a building, a tenth still unresolved)
and a year of daily health; a year of the hourly energy ledger (electricity and heat) for the
first ``--ledger-buildings`` of them (a building's consumption is read through its own rows of
an index on building, carrier and hour, so the others' rows would only deepen that index).
Then ``byggpuls api`` serves it as in production (``api_auth = required``, a bearer API key on
every request, embedded SQLite or ``--database-url``), and a bare FastAPI app with one
endpoint is served by the same uvicorn on the same machine: the reference, in the same run.

Each endpoint is loaded for ``--seconds`` with ``--concurrency`` requests in flight from one
asyncio client (after a warm-up), measuring requests per second and the latency percentiles;
the ratio is the endpoint's rate over the bare endpoint's. The client shares the two cores
with the server, for the bare endpoint as for the others. Progress goes to stderr; the last
line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script, this folder would come first on the path and shadow the project's packages.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import numpy as np
import sqlalchemy as sa

from byggpuls.reading import BuildingInfo, PointInfo, Reading
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.energy import EnergyHour
from byggpuls.registry.health import HealthDay
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import NewFinding
from byggpuls.storage.sqlite import SQLiteStore
from sandbox.api_server import ApiServer
from sandbox.servers import _ChildServer

REPO = Path(__file__).resolve().parent.parent
TYPES = ("school", "kindergarten", "office", "nursing_home", "sports_hall")
KINDS = (
    "after_hours_operation",
    "after_hours_heating",
    "baseload_drift",
    "window_open",
    "simultaneous_heating_cooling",
    "meter_fault",
)
POINTS = (
    PointInfo("el.power", "energy", "power", "kW", "Electric_Power_Sensor", interval_s=900),
    PointInfo("dh.power", "energy", "power", "kW", "Thermal_Power_Sensor", interval_s=900),
    PointInfo(
        "room-1.temp", "climate", "temperature", "Cel", "Zone_Air_Temperature_Sensor",
        "Rom 1", 900,
    ),
    PointInfo("room-1.co2", "climate", "co2", "ppm", "CO2_Level_Sensor", "Rom 1", 900),
    PointInfo(
        "room-2.temp", "climate", "temperature", "Cel", "Zone_Air_Temperature_Sensor",
        "Rom 2", 900,
    ),
    PointInfo("room-2.co2", "climate", "co2", "ppm", "CO2_Level_Sensor", "Rom 2", 900),
)  # fmt: skip
FINDINGS_PER_YEAR = 40
WARMUP_S = 2.0


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _since(began: float) -> str:
    return f"{time.perf_counter() - began:.1f} s"


def building_id(index: int) -> str:
    return f"bygg-{index:04d}"


def seed(registry: Registry, store: SQLiteStore, *, buildings: int, ledger: int) -> str:
    """The portfolio; returns an admin's API key."""
    rng = random.Random(7)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    year_ago = now - timedelta(days=365)
    began = time.perf_counter()
    for index in range(buildings):
        registry.upsert_building(
            BuildingInfo(
                building_id(index),
                f"Bygg {index}",
                TYPES[index % len(TYPES)],
                rng.uniform(500, 12_000),
            )
        )
        registry.upsert_points(
            building=building_id(index), gateway=f"gw-{index}", points=POINTS, source="meta"
        )
    now_ms = int(now.timestamp() * 1000)
    store.write(
        [
            Reading(
                building=building_id(index),
                point=point.point,
                quantity=point.quantity,
                time_ms=now_ms - 900_000 * step,
                value=rng.uniform(10, 900),
                unit=point.unit,
                zone=point.zone,
            )
            for index in range(buildings)
            for point in POINTS
            for step in range(4)
        ]
    )
    log(f"seed: {buildings} buildings with points and readings ({_since(began)})")
    findings = []
    for index in range(buildings):
        for number in range(FINDINGS_PER_YEAR):
            start = year_ago + timedelta(hours=rng.uniform(0, 365 * 24 - 48))
            findings.append(
                NewFinding(
                    building=building_id(index),
                    kind=KINDS[number % len(KINDS)],
                    points=("el.power",),
                    start=start,
                    end=start + timedelta(hours=rng.uniform(2, 48)),
                    evidence={"baseline_kw": 12.0, "observed_kw": 30.0},
                    waste_kwh=rng.uniform(0, 2_000),
                    waste_nok=rng.uniform(0, 2_600),
                    score=rng.uniform(0, 1),
                )
            )
    for chunk in range(0, len(findings), 5_000):
        registry.upsert_findings(findings[chunk : chunk + 5_000])
    # Nine in ten resolved, as a year's findings are: in one statement (the lifecycle's one
    # transaction per move would make the seeding the benchmark).
    with registry.engine.begin() as conn:
        resolved = conn.execute(
            sa.text("UPDATE findings SET status = 'resolved' WHERE id % 10 <> 0")
        ).rowcount
    log(f"seed: {len(findings)} findings, {resolved} resolved ({_since(began)})")
    parts = {
        name: {"score": 80.0, "weight": weight, "reasons": []}
        for name, weight in (
            ("energy", 0.4),
            ("indoor_climate", 0.3),
            ("equipment", 0.2),
            ("data_quality", 0.1),
        )
    }
    for day in range(365):
        registry.record_health(
            [
                HealthDay(
                    building_id(index), (now - timedelta(days=day)).date(), score, band, parts
                )
                for index in range(buildings)
                for score in [rng.uniform(30, 100)]
                for band in ["good" if score >= 80 else "watch" if score >= 60 else "act"]
            ]
        )
    log(f"seed: a year of health ({_since(began)})")
    hours = [year_ago + timedelta(hours=h) for h in range(365 * 24)]
    for index in range(min(ledger, buildings)):
        load = rng.uniform(10, 80)
        registry.record_energy_hours(
            [
                EnergyHour(
                    building=building_id(index),
                    carrier=carrier,
                    hour=hour,
                    point=point,
                    measured_kwh=load * factor * (1.5 if 6 <= hour.hour < 16 else 0.6),
                    baseline_kwh=load * factor,
                    cost_nok=load * factor * 1.1,
                )
                for carrier, point, factor in (
                    ("electricity", "el.power", 1.0),
                    ("heat", "dh.power", 2.0),
                )
                for hour in hours
            ]
        )
    log(
        f"seed: a year of the energy ledger of {min(ledger, buildings)} buildings ({_since(began)})"
    )
    registry.create_user("bench", role="admin", actor="bench")
    _key, token = registry.create_api_key("bench", name="bench", actor="bench")
    return token


async def _load(
    base: str,
    paths: Callable[[], str],
    *,
    headers: dict[str, str],
    seconds: float,
    concurrency: int,
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:

        async def worker(until: float, keep: bool) -> None:
            nonlocal errors
            while time.perf_counter() < until:
                began = time.perf_counter()
                response = await client.get(paths())
                elapsed = time.perf_counter() - began
                if response.status_code != 200:
                    errors += 1
                elif keep:
                    latencies.append(elapsed)

        warm = time.perf_counter() + WARMUP_S
        await asyncio.gather(*(worker(warm, False) for _ in range(concurrency)))
        began = time.perf_counter()
        until = began + seconds
        await asyncio.gather(*(worker(until, True) for _ in range(concurrency)))
        wall = time.perf_counter() - began
    values = np.array(latencies) * 1000.0
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": round(float(np.percentile(values, 50)), 2) if values.size else None,
        "p99_ms": round(float(np.percentile(values, 99)), 2) if values.size else None,
        "max_ms": round(float(values.max()), 2) if values.size else None,
    }


@dataclass
class BareServer(_ChildServer):
    """This script's bare FastAPI app (``--bare-server PORT``) under the same uvicorn, as a
    child server like the API (:class:`sandbox.api_server.ApiServer`)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _command(self) -> tuple[list[str], dict[str, str]]:
        return [sys.executable, __file__, "--bare-server", str(self.port)], dict(os.environ)


def bare_app() -> Any:
    """The reference: FastAPI with one endpoint that answers a small JSON object."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buildings", type=int, default=1000)
    parser.add_argument("--ledger-buildings", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0, help="load per endpoint")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--database-url", help="registry database (default: embedded SQLite)")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server is not None:
        import uvicorn

        uvicorn.run(bare_app(), host="127.0.0.1", port=args.bare_server, log_level="warning")
        return

    with tempfile.TemporaryDirectory(prefix="byggpuls-bench-api-") as tmp:
        data_dir = Path(tmp)
        url = args.database_url or f"sqlite:///{data_dir / 'registry.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        registry = Registry(engine)
        with SQLiteStore(data_dir / "readings.sqlite3") as store:
            token = seed(registry, store, buildings=args.buildings, ledger=args.ledger_buildings)
        engine.dispose()
        env = {"BYGGPULS_LOG_LEVEL": "WARNING"}
        if args.database_url:
            env["BYGGPULS_DATABASE_URL"] = args.database_url
        rng = random.Random(11)
        ledger = max(1, min(args.ledger_buildings, args.buildings))
        endpoints: dict[str, Callable[[], str]] = {
            "portfolio": lambda: "/api/v1/buildings?sort=health",
            "building": lambda: f"/api/v1/buildings/{building_id(rng.randrange(args.buildings))}",
            "consumption_day": lambda: (
                f"/api/v1/buildings/{building_id(rng.randrange(ledger))}/consumption?resolution=day"
            ),
            "consumption_month": lambda: (
                f"/api/v1/buildings/{building_id(rng.randrange(ledger))}/consumption"
                f"?resolution=month&start={(datetime.now(UTC) - timedelta(days=365)).date()}"
                "T00:00:00Z"
            ),
            # What a partner reads first: a page of 100 buildings with their points, and one.
            "catalog": lambda: "/api/v1/catalog",
            "catalog_building": lambda: (
                f"/api/v1/catalog?building={building_id(rng.randrange(args.buildings))}"
            ),
        }
        figures: dict[str, Any] = {}
        headers = {"Authorization": f"Bearer {token}"}
        with BareServer(workdir=data_dir / "bare") as bare:
            log(f"load: bare FastAPI endpoint for {args.seconds:g} s ...")
            figures["bare"] = asyncio.run(
                _load(bare.url, lambda: "/ping", headers=headers, seconds=args.seconds,
                      concurrency=args.concurrency)
            )  # fmt: skip
        with ApiServer(workdir=data_dir, auth="required", env=env) as api:
            for name, paths in endpoints.items():
                log(f"load: {name} for {args.seconds:g} s ...")
                figures[name] = asyncio.run(
                    _load(api.url, paths, headers=headers, seconds=args.seconds,
                          concurrency=args.concurrency)
                )  # fmt: skip
    bare_rps = figures["bare"]["rps"] or 1.0
    print(
        f"{'endpoint':20s} {'req/s':>8s} {'ratio':>7s} {'p50 ms':>8s} {'p99 ms':>8s} "
        f"{'max ms':>8s} {'errors':>6s}"
    )
    for name, figure in figures.items():
        figure["ratio_to_bare"] = round(figure["rps"] / bare_rps, 4)
        print(
            f"{name:20s} {figure['rps']:8.1f} {figure['ratio_to_bare']:7.3f} "
            f"{figure['p50_ms']:8.2f} {figure['p99_ms']:8.2f} {figure['max_ms']:8.2f} "
            f"{figure['errors']:6d}"
        )
    print(
        json.dumps(
            {
                "buildings": args.buildings,
                "ledger_buildings": ledger,
                "findings": args.buildings * FINDINGS_PER_YEAR,
                "seconds": args.seconds,
                "concurrency": args.concurrency,
                "database": "postgresql" if args.database_url else "sqlite",
                "target_p99_ms": 50,
                "endpoints": figures,
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
