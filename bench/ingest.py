"""Ingest throughput against a real Mosquitto and InfluxDB, next to InfluxDB's own ceiling.

    .venv/bin/python bench/ingest.py [--readings 1000000] [--workers 1,2] [--publishers 2]

Starts Mosquitto and influxd (sandbox.servers) in a temporary directory, then:

1. the ceiling: the same readings as line protocol, posted straight to ``/write`` in bodies of
   5 000 lines by four threads, into a database of its own; the best of three runs;
2. for each worker count: ``byggpuls ingest`` subprocesses sharing the subscription; each
   gateway's birth (retained ``meta``, its 150 points) is published and stored before the
   clock starts, as gateways announce themselves on connect (``--no-births`` times a cold
   registry instead, where every point is first met in telemetry); then publisher
   processes sending the readings as SenML packs (200 readings each, over many buildings and
   three domains) at QoS 1; the rate runs from the first publish to the moment InfluxDB's
   ``SELECT count`` shows every reading. A publisher takes a pack as delivered only when
   ingest acknowledges it end to end (``byggpuls/v1/{building}/ack/{gateway}``, once it is
   stored and counted), as a gateway does, and sends again, byte for byte, a pack left
   unacknowledged for 10 s (``resent_packs``). ``messages_shed`` are those a worker dropped
   because it already held ``BYGGPULS_INGEST_RECEIVE_MAXIMUM`` (1 000) unacknowledged: a
   broker that sends past the Receive Maximum does that (Mosquitto 2.0.11 does, under a
   burst), and each costs a resend. Then each series is counted against what was published
   (every reading once), and the workers' peak RSS is read from /proc.

Where the time goes (py-spy ``--gil`` profiles of one worker, ``--profile``; two cores): InfluxDB
itself spends 6-8 µs of CPU per reading, so at half its ceiling it would take well over a core,
leaving ingest (and the broker, publishers and PostgreSQL) about 3 µs per reading. A worker
spends 14-16: about 45 % decoding (JSON parsing, SenML checks, the point cache), 15 % writing
(line protocol, HTTP), 15 % accounting (per-day counts, its PostgreSQL transaction), the rest in
the MQTT client, queues and registry; all of it in Python threads that share one GIL.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

# This file is bench/ingest.py: run as a script, its folder would shadow the ingest package.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

import httpx

from byggpuls.storage.lineprotocol import chunked_bodies, encode_lines
from ingest.decode import Decoder, PointCache, TelemetryPack
from sandbox.loadgen import Publisher, birth_messages, expected_series, telemetry_messages
from sandbox.servers import (
    LOCAL_POSTGRES_URL,
    InfluxServer,
    MosquittoServer,
    free_port,
    postgres_schema,
)

#: Seconds before the publisher sends again a pack the worker has not acknowledged.
RESEND_AFTER_S = 60.0
POINTS_PER_PACK = 50
TIMES_PER_PACK = 4
READINGS_PER_PACK = POINTS_PER_PACK * TIMES_PER_PACK
PACKS_PER_BUILDING = 24
CEILING_THREADS = 4
CEILING_REPEATS = 3
LINES_PER_BODY = 5000
REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BYGGPULS_TEST_POSTGRES_URL", LOCAL_POSTGRES_URL)


def _shape(readings: int) -> tuple[int, int]:
    """(buildings, packs per building) for at least ``readings`` readings."""
    per_building = PACKS_PER_BUILDING * READINGS_PER_PACK
    return -(-readings // per_building), PACKS_PER_BUILDING


def _query(influx: InfluxServer, database: str, statement: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{influx.http_url}/query",
        params={"db": database, "q": statement},
        auth=(influx.username, influx.password),
        timeout=60,
    )
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def _count(influx: InfluxServer, database: str) -> int:
    result = _query(influx, database, 'SELECT count("value") FROM /.*/')
    return sum(s["values"][0][1] for r in result["results"] for s in r.get("series", ()))


def _series_counts(influx: InfluxServer, database: str) -> dict[tuple[str, str], int]:
    result = _query(influx, database, 'SELECT count("value") FROM /.*/ GROUP BY "building","point"')
    counts: dict[tuple[str, str], int] = {}
    for r in result["results"]:
        for s in r.get("series", ()):
            key = (s["tags"]["building"], s["tags"]["point"])
            counts[key] = counts.get(key, 0) + s["values"][0][1]
    return counts


def measure_ceiling(
    influx: InfluxServer, *, buildings: int, packs: int, repeats: int = CEILING_REPEATS
) -> dict[str, Any]:
    """InfluxDB's own bulk-write rate for the same readings (line protocol, direct).

    The best of ``repeats`` runs, each into a fresh database: on a shared machine a single run
    varies by a factor of two, and the ceiling is what InfluxDB can do at its best.
    """
    decoder = Decoder(PointCache())
    readings = []
    for message in telemetry_messages(
        buildings=buildings,
        packs_per_building=packs,
        points_per_pack=POINTS_PER_PACK,
        times_per_pack=TIMES_PER_PACK,
    ):
        decoded = decoder.decode(message.topic, message.payload)
        assert isinstance(decoded, TelemetryPack)
        readings.extend(decoded.readings)
    bodies = list(chunked_bodies(encode_lines(readings), max_lines=LINES_PER_BODY))
    client = httpx.Client(auth=(influx.username, influx.password), timeout=120)
    rates = []
    for run in range(repeats):
        database = f"ceiling_{run}"
        influx.create_database(database)

        def post(body: bytes, database: str = database) -> None:
            response = client.post(
                f"{influx.http_url}/write",
                params={"db": database, "precision": "ms"},
                content=body,
            )
            response.raise_for_status()

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(CEILING_THREADS) as pool:
            list(pool.map(post, bodies))
        seconds = time.monotonic() - started
        stored = _count(influx, database)
        if stored != len(readings):
            raise SystemExit(f"ceiling run stored {stored} of {len(readings)} readings")
        rates.append(len(readings) / seconds)
        client.post(f"{influx.http_url}/query", params={"q": f'DROP DATABASE "{database}"'})
    client.close()
    return {
        "readings": len(readings),
        "seconds": len(readings) / max(rates),
        "readings_per_s": max(rates),
        "runs_readings_per_s": [round(rate) for rate in rates],
    }


def _publish(job: tuple[str, int, range, int], go: Event, done: Any) -> None:
    mqtt_url, index, buildings, packs = job
    messages = list(
        telemetry_messages(
            buildings=len(buildings),
            first_building=buildings.start,
            packs_per_building=packs,
            points_per_pack=POINTS_PER_PACK,
            times_per_pack=TIMES_PER_PACK,
            seed=index,
        )
    )
    # The whole load goes out at once (no gateway's window): a resend after a gateway's 30 s
    # would measure the duplicates of a backlog, not the worker. Packs the worker shed still
    # come back, after this long.
    publisher = Publisher(
        mqtt_url=mqtt_url, client_id=f"bench-publisher-{index}", resend_after_s=RESEND_AFTER_S
    )
    publisher.session.wait_connected(30)
    done.put(("ready", index, 0.0, 0))
    go.wait()
    confirmed = publisher.publish(messages, timeout_s=600)
    done.put(("published", index, float(confirmed == len(messages)), publisher.resent))
    publisher.close()


def _ingest_command() -> list[str]:
    """``byggpuls ingest``, as the benchmark's own interpreter runs it."""
    return [sys.executable, "-m", "cli", "ingest"]


def _metric(port: int, name: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and not line.startswith("#")
    )


def _cpu_s(pid: int | None) -> float:
    """CPU seconds (user + system) a process has used so far."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _start_workers(
    *,
    workdir: Path,
    mosquitto: MosquittoServer,
    influx_url: str,
    database_url: str | None,
    workers: int,
) -> list[tuple[subprocess.Popen[bytes], int]]:
    """Start ``workers`` ingest processes; wait until each answers /readyz (subscribed) with 200."""
    processes: list[tuple[subprocess.Popen[bytes], int]] = []
    command = _ingest_command()
    for index in range(workers):
        port = free_port()
        env = dict(
            os.environ,
            BYGGPULS_MQTT_URL=mosquitto.url,
            BYGGPULS_INFLUX_URL=influx_url,
            BYGGPULS_DATA_DIR=str(workdir / f"data-{workers}"),
            BYGGPULS_INGEST_CLIENT_ID=f"bench-ingest-{workers}-{index}",
            BYGGPULS_INGEST_METRICS_PORT=str(port),
            BYGGPULS_INGEST_SHARED_GROUP=f"bench{workers}",
            BYGGPULS_LOG_LEVEL="WARNING",
        )
        if database_url is not None:
            env["BYGGPULS_DATABASE_URL"] = database_url
        log = (workdir / f"ingest-{workers}-{index}.log").open("wb")
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        processes.append((process, port))
    for process, port in processes:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(processes)
                raise SystemExit(f"ingest worker did not become healthy (see {workdir})")
            time.sleep(0.1)
    return processes


def _announce(
    mosquitto: MosquittoServer,
    processes: list[tuple[subprocess.Popen[bytes], int]],
    *,
    buildings: int,
) -> None:
    """Publish every gateway's retained birth (meta), as gateways do when they connect, and
    wait until each worker has stored and acknowledged all of them: the registry knows the
    points before the timed telemetry starts."""
    publisher = Publisher(mqtt_url=mosquitto.url, client_id="bench-births")
    try:
        messages = list(birth_messages(buildings=buildings, points_per_pack=POINTS_PER_PACK))
        if publisher.publish(messages, timeout_s=120) != len(messages):
            raise SystemExit("the broker did not confirm every birth message")
    finally:
        publisher.close()
    deadline = time.monotonic() + 120
    for _, port in processes:
        while _metric(port, "byggpuls_ingest_messages_acknowledged_total") < len(messages):
            if time.monotonic() > deadline:
                raise SystemExit("ingest did not store every birth message in 120 s")
            time.sleep(0.2)


def run_ingest(
    *,
    workdir: Path,
    mosquitto: MosquittoServer,
    database_url: str | None,
    influx: InfluxServer,
    workers: int,
    publishers: int,
    buildings: int,
    packs: int,
    profile: Path | None,
    births: bool,
) -> dict[str, Any]:
    database = f"ingest_{workers}"
    influx.create_database(database)
    processes = _start_workers(
        workdir=workdir,
        mosquitto=mosquitto,
        influx_url=influx.url_for(database),
        database_url=database_url,
        workers=workers,
    )
    try:
        if births:
            _announce(mosquitto, processes, buildings=buildings)
        return _timed_run(
            processes,
            workdir=workdir,
            mosquitto=mosquitto,
            influx=influx,
            database=database,
            publishers=publishers,
            buildings=buildings,
            packs=packs,
            profile=profile,
        )
    finally:
        _stop(processes)


def _stop(processes: list[tuple[subprocess.Popen[bytes], int]]) -> None:
    """Stop the workers (SIGTERM, then SIGKILL after a minute), also when a run failed."""
    for process, _ in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process, _ in processes:
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _timed_run(
    processes: list[tuple[subprocess.Popen[bytes], int]],
    *,
    workdir: Path,
    mosquitto: MosquittoServer,
    influx: InfluxServer,
    database: str,
    publishers: int,
    buildings: int,
    packs: int,
    profile: Path | None,
) -> dict[str, Any]:
    """Publish the telemetry, wait until InfluxDB holds all of it, check it; the figures."""
    workers = len(processes)
    total = buildings * packs * READINGS_PER_PACK
    spy = None
    if profile is not None:
        spy = subprocess.Popen(
            [
                shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--gil",
                "-f",
                "raw",
                "-o",
                str(profile),
                "-p",
                str(processes[0][0].pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    context = multiprocessing.get_context("spawn")
    go = context.Event()
    done = context.Queue()
    share = -(-buildings // publishers)
    children = []
    for index in range(publishers):
        first = index * share
        part = range(first, min(first + share, buildings))
        child = context.Process(
            target=_publish, args=((mosquitto.url, index, part, packs), go, done), daemon=True
        )
        child.start()
        children.append(child)
    for _ in children:
        done.get(timeout=300)
    servers = {
        "influxd": influx.process.pid if influx.process else None,
        "mosquitto": mosquitto.process.pid if mosquitto.process else None,
    }
    cpu_before = {name: _cpu_s(pid) for name, pid in servers.items()}
    cpu_before |= {f"ingest-{n}": _cpu_s(p.pid) for n, (p, _) in enumerate(processes)}
    started = time.monotonic()
    go.set()
    ports = [port for _, port in processes]
    written = 0.0
    while True:
        written = sum(_metric(port, "byggpuls_ingest_readings_written_total") for port in ports)
        if written >= total and _count(influx, database) >= total:
            break
        if any(process.poll() is not None for process, _ in processes):
            raise SystemExit(f"an ingest worker died (see {workdir})")
        time.sleep(0.25)
    seconds = time.monotonic() - started
    cpu_after = {name: _cpu_s(pid) for name, pid in servers.items()}
    cpu_after |= {f"ingest-{n}": _cpu_s(p.pid) for n, (p, _) in enumerate(processes)}
    cpu_us_per_reading = {
        name: round((cpu_after[name] - cpu_before[name]) / total * 1e6, 2) for name in cpu_after
    }
    confirmed = [done.get(timeout=60) for _ in children]
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)
    counts = _series_counts(influx, database)
    expected = expected_series(
        buildings=buildings,
        packs_per_building=packs,
        points_per_pack=POINTS_PER_PACK,
        times_per_pack=TIMES_PER_PACK,
    )
    per_worker = [_metric(port, "byggpuls_ingest_readings_written_total") for _, port in processes]
    acks = sum(_metric(port, "byggpuls_ingest_gateway_acks_published_total") for port in ports)
    shed = sum(_metric(port, "byggpuls_ingest_messages_shed_total") for port in ports)
    rss = [_peak_rss_mb(process.pid) for process, _ in processes]
    return {
        "workers": workers,
        "readings": total,
        "seconds": seconds,
        "readings_per_s": total / seconds,
        "exactly_once": counts == expected,
        "all_confirmed": all(flag == 1.0 for _, _, flag, _ in confirmed),
        "resent_packs": sum(resent for _, _, _, resent in confirmed),
        "messages_shed": shed,
        "acks_published": acks,
        "readings_per_worker": per_worker,
        "peak_rss_mb": rss,
        "cpu_us_per_reading": cpu_us_per_reading,
    }


@contextlib.contextmanager
def _registry(kind: str) -> Iterator[str | None]:
    """The registry URL for one run: a fresh PostgreSQL schema, or None (embedded SQLite)."""
    if kind == "sqlite":
        yield None
        return
    with postgres_schema(POSTGRES_URL, prefix="bench") as url:
        yield url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--readings", type=int, default=1_000_000, help="readings to publish (default 1 000 000)"
    )
    parser.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2")
    parser.add_argument(
        "--publishers", type=int, default=2, help="publishing processes (default 2)"
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy raw profile of worker 0 (needs py-spy)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--births",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="publish each gateway's birth (meta) before the timed run, as gateways do on"
        " connect (default); --no-births times a cold registry, every point found in telemetry",
    )
    parser.add_argument(
        "--registry",
        choices=["postgresql", "sqlite"],
        default="postgresql",
        help="registry database: a fresh schema on the PostgreSQL at 127.0.0.1:5432 (as in"
        " production), or the embedded SQLite",
    )
    args = parser.parse_args()
    buildings, packs = _shape(args.readings)
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    mosquitto = MosquittoServer(workdir=workdir / "mosquitto").start()
    influx = InfluxServer(workdir=workdir / "influxd").start()
    try:
        ceiling = measure_ceiling(influx, buildings=buildings, packs=packs)
        print(
            f"InfluxDB ceiling: {ceiling['readings']} readings in {ceiling['seconds']:.1f} s ="
            f" {ceiling['readings_per_s']:,.0f} readings/s (best of"
            f" {ceiling['runs_readings_per_s']})"
        )
        runs = []
        for workers in (int(n) for n in args.workers.split(",")):
            with _registry(args.registry) as database_url:
                run = run_ingest(
                    workdir=workdir,
                    mosquitto=mosquitto,
                    database_url=database_url,
                    influx=influx,
                    workers=workers,
                    publishers=args.publishers,
                    buildings=buildings,
                    packs=packs,
                    profile=args.profile if workers == 1 else None,
                    births=args.births,
                )
            run["registry"] = args.registry
            run["births"] = args.births
            run["ratio_to_ceiling"] = run["readings_per_s"] / ceiling["readings_per_s"]
            runs.append(run)
            rss = ", ".join(f"{r:.0f}" for r in run["peak_rss_mb"])
            print(
                f"ingest, {workers} worker(s), registry on {args.registry}"
                f" ({'births first' if args.births else 'cold, no births'}): {run['readings']}"
                f" readings in {run['seconds']:.1f} s = {run['readings_per_s']:,.0f} readings/s,"
                f" {run['ratio_to_ceiling']:.2f} of the ceiling; every reading exactly once:"
                f" {run['exactly_once']}; peak RSS {rss} MB;"
                f" readings per worker {run['readings_per_worker']};"
                f" packs sent again {run['resent_packs']}, shed {run['messages_shed']:.0f};"
                f" CPU µs per reading {run['cpu_us_per_reading']}"
            )
    finally:
        mosquitto.stop()
        influx.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(
        json.dumps(
            {
                "ceiling_readings_per_s": round(ceiling["readings_per_s"]),
                "ceiling_runs_readings_per_s": ceiling["runs_readings_per_s"],
                "runs": runs,
            }
        )
    )
    return 0 if all(run["exactly_once"] for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
