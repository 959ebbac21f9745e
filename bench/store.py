"""How fast readings reach each store, in readings per second, and what InfluxDB allows at most.

Writes 500 000 readings (20 buildings x 50 points x 500 minutes) in ingest-sized batches of
5 000 through :class:`InfluxStore` to a fresh influxd 1.6.7 (``wal-fsync-delay = 0s``, as
deployed), and through :class:`SQLiteStore` to a file. The InfluxDB ceiling is a bare POST of
the same line protocol, encoded beforehand, to another database of the same server, batch for
batch in turn with the adapter: the adapter's rate over it says what encoding and HTTP handling
cost. Line-protocol
encoding alone is timed too (and influxdb-client's ``Point``, when that package is importable;
Byggpuls does not depend on it). Takes well under a minute. The last line printed is one JSON
object with the figures.
"""

from __future__ import annotations

import importlib
import json
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from byggpuls.reading import Reading
from byggpuls.storage.influx import InfluxStore
from byggpuls.storage.lineprotocol import encode, encode_lines
from byggpuls.storage.sqlite import SQLiteStore
from sandbox.servers import InfluxServer

BUILDINGS = 20
POINTS_PER_BUILDING = 50
MINUTES = 500
BATCH_READINGS = 5_000
T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
ENCODE_SAMPLE = 100_000

_POINTS = (
    ("zone{}.air_temp", "temperature", 18.0, 24.0),
    ("zone{}.rel_humidity", "relative_humidity", 20.0, 60.0),
    ("zone{}.co2", "co2_concentration", 400.0, 1400.0),
    ("ahu{}.supply_damper", "damper_position", 0.0, 1.0),
    ("meter{}.power", "power", 0.0, 50_000.0),
)


def make_readings(rng: random.Random) -> list[Reading]:
    """A minute's readings of every point, minute after minute, as ingest batches arrive."""
    points = []
    for building in range(BUILDINGS):
        for index in range(POINTS_PER_BUILDING):
            pattern, quantity, low, high = _POINTS[index % len(_POINTS)]
            number = index // len(_POINTS)
            zone = f"room-{number}" if pattern.startswith("zone") else None
            point = pattern.format(number)
            points.append((f"school-{building:02d}", point, quantity, zone, low, high))
    return [
        Reading(
            building=building,
            point=point,
            quantity=quantity,
            time_ms=T0_MS + minute * 60_000 + rng.randrange(1_000),
            value=round(rng.uniform(low, high), 2),
            zone=zone,
        )
        for minute in range(MINUTES)
        for building, point, quantity, zone, low, high in points
    ]


def batches(readings: Sequence[Reading]) -> list[Sequence[Reading]]:
    return [readings[i : i + BATCH_READINGS] for i in range(0, len(readings), BATCH_READINGS)]


def rate(work: Callable[[], object], count: int) -> tuple[float, float]:
    """Readings per second of one run of ``work``, and its seconds."""
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    return count / seconds, seconds


def point_encoder() -> Callable[[Sequence[Reading]], object] | None:
    """influxdb-client's Point encoding of the same readings, if that package is importable."""
    try:
        client = importlib.import_module("influxdb_client")
    except ImportError:
        return None
    point_class: Any = client.Point
    precision_ms: Any = client.WritePrecision.MS

    def encode_points(readings: Sequence[Reading]) -> object:
        lines = []
        for r in readings:
            point = point_class(r.quantity).tag("building", r.building).tag("point", r.point)
            if r.zone:
                point.tag("zone", r.zone)
            lines.append(point.field("value", float(r.value)).time(r.time_ms, precision_ms))
        return "\n".join(p.to_line_protocol() for p in lines).encode()

    return encode_points


def bench_influx(
    server: InfluxServer, readings: list[Reading], chunks: list[Sequence[Reading]]
) -> dict[str, float]:
    """Adapter and bare POST, batch by batch in turn, so that drift hits both alike."""
    bodies = [encode(chunk) for chunk in chunks]
    for database in ("ceiling", "adapter"):
        server.create_database(database)
    ceiling_s = adapter_s = 0.0
    with (
        httpx.Client(auth=(server.username, server.password), timeout=60) as client,
        InfluxStore.from_url(server.url_for("adapter"), timeout_s=60) as store,
    ):
        for chunk, body in zip(chunks, bodies, strict=True):
            start = time.perf_counter()
            client.post(
                f"{server.http_url}/write",
                params={"db": "ceiling", "precision": "ms"},
                content=body,
            ).raise_for_status()
            middle = time.perf_counter()
            store.write(chunk)
            adapter_s += time.perf_counter() - middle
            ceiling_s += middle - start
        assert len(store.latest("school-00")) == POINTS_PER_BUILDING
        start = time.perf_counter()
        store.latest("school-07")
        latest_ms = (time.perf_counter() - start) * 1000
    ceiling, adapter = len(readings) / ceiling_s, len(readings) / adapter_s
    print(f"influxdb bare POST of pre-encoded bodies (ceiling): {ceiling:,.0f} readings/s")
    print(
        f"influxdb InfluxStore.write: {adapter:,.0f} readings/s"
        f" ({adapter / ceiling:.0%} of the ceiling; {adapter_s:.1f} s vs {ceiling_s:.1f} s)"
    )
    print(f"influxdb latest() of one building, {POINTS_PER_BUILDING} points: {latest_ms:.1f} ms")
    return {
        "influx_ceiling_readings_per_s": round(ceiling),
        "influx_store_readings_per_s": round(adapter),
        "influx_store_to_ceiling_ratio": round(adapter / ceiling, 3),
        "influx_latest_ms": round(latest_ms, 1),
    }


def bench_sqlite(workdir: Path, chunks: list[Sequence[Reading]], count: int) -> dict[str, float]:
    with SQLiteStore(workdir / "readings.sqlite3") as store:

        def write_all() -> None:
            for chunk in chunks:
                store.write(chunk)

        sqlite, _ = rate(write_all, count)
        start = time.perf_counter()
        last = store.latest("school-07")
        latest_ms = (time.perf_counter() - start) * 1000
        assert len(last) == POINTS_PER_BUILDING, len(last)
    print(f"sqlite SQLiteStore.write: {sqlite:,.0f} readings/s")
    print(f"sqlite latest() of one building, {POINTS_PER_BUILDING} points: {latest_ms:.1f} ms")
    return {"sqlite_store_readings_per_s": round(sqlite), "sqlite_latest_ms": round(latest_ms, 1)}


def bench_encoding(readings: list[Reading]) -> dict[str, float]:
    sample = readings[:ENCODE_SAMPLE]
    ours = max(rate(lambda: encode(sample), len(sample))[0] for _ in range(3))
    print(f"line protocol encoding (byggpuls): {ours:,.0f} readings/s")
    figures: dict[str, float] = {"encode_readings_per_s": round(ours)}
    encode_points = point_encoder()
    if encode_points is None:
        print("line protocol encoding (influxdb-client Point): not installed, not measured")
    else:
        theirs = max(rate(lambda: encode_points(sample), len(sample))[0] for _ in range(3))
        print(f"line protocol encoding (influxdb-client Point): {theirs:,.0f} readings/s")
        figures["influxdb_client_point_encode_readings_per_s"] = round(theirs)
    return figures


def main() -> None:
    readings = make_readings(random.Random(8428))
    chunks = batches(readings)
    line = encode_lines(readings[:1])[0]
    print(f"{len(readings):,} readings in {len(chunks)} batches of {BATCH_READINGS:,}; e.g. {line}")
    figures: dict[str, float] = {"readings": len(readings), "batch_readings": BATCH_READINGS}
    figures |= bench_encoding(readings)
    with tempfile.TemporaryDirectory(prefix="byggpuls-bench-") as tmp:
        with InfluxServer(workdir=Path(tmp) / "influxd") as server:
            figures |= bench_influx(server, readings, chunks)
        figures |= bench_sqlite(Path(tmp), chunks, len(readings))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
