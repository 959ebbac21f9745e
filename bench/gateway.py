"""The gateway's own cost: CPU and memory of one simulated building at ~1 000 readings/s.

    .venv/bin/python bench/gateway.py [--rate 1000] [--seconds 60] [--warmup 10]
                                      [--sources simulated,csv]

Starts Mosquitto (sandbox.servers) in a temporary directory and one gateway as a subprocess
(``python -m cli gateway``, as ``byggpuls gateway`` runs it) running the
first simulated building, sampled every second on a simulated clock sped up so that the
building makes ``--rate`` readings a second: the full path of drivers -> disk spool (SQLite,
synchronous=FULL) -> MQTT with QoS 1 and PUBACKs -> ingest's end-to-end acknowledgements back
(``byggpuls/v1/{building}/ack/{gateway}``), on which alone the gateway deletes packs from its
spool. A subscriber counts what reaches the broker and plays ingest's part: it acknowledges
every pack as ingest does, coalesced to at most one message per gateway every 0.2 s (without
it the gateway's window of unacknowledged packs would fill, and it would stall and send again).
The same rate is then replayed from a CSV file (same number of points), which measures the
gateway without the simulation (numpy) that a real device would not run.

The gateway runs as the README installs it on a device: with its modules' bytecode compiled
ahead of time, and with ``PYTHONOPTIMIZE=2`` (no docstrings nor asserts; ``--optimize 0`` runs
it without). A short first run fills a bytecode cache in the temporary directory
(``PYTHONPYCACHEPREFIX``). ``--compile-at-start`` measures the gateway compiling every module
from source instead, as with ``PYTHONDONTWRITEBYTECODE`` and no cache.

After ``--warmup`` seconds (imports, first connection), the gateway's CPU time (user + sys,
from /proc/PID/stat) is measured over ``--seconds`` of steady state, with the readings
delivered in that window; peak RSS is the process's VmHWM. Targets for a Raspberry-Pi-class
device: under 60 MB RSS and under 5 % of one core at 1 000 readings/s. Nearly all of that memory
is code the gateway imports, not its data: the interpreter, pydantic and pydantic-settings,
paho, OpenSSL and SQLite (~40 MB: the CSV replay), and the simulation's numpy (~18 MB more).
How much of a shared library counts as resident depends on the machine: the same code measured
5 MB more on one machine of this kind than on another.

The last line printed is one JSON object with the figures, among them the acknowledgements a
second the gateway took in, and the packs it sent again (from its last status: none is the
expected figure, since every pack is acknowledged within a fraction of a second).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# This file is bench/gateway.py: run as a script, its folder would shadow the gateway package.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

import paho.mqtt.client as paho

from byggpuls import topics, wire
from byggpuls.mqtt import MqttSession
from byggpuls.settings import CommonSettings
from ingest.acker import Acker
from ingest.metrics import IngestMetrics
from sandbox.servers import MosquittoServer

REPO = Path(__file__).resolve().parent.parent
TARGET_RSS_MB = 60.0
TARGET_CPU_PERCENT = 5.0
SEED = 1


class Counter:
    """Counts the readings that reach the broker and acknowledges every pack, as ingest does.

    A gateway deletes a pack from its spool only on ingest's end-to-end acknowledgement, and
    sends at most 64 packs ahead of it: without one, its window fills and it stalls, then sends
    again. So the counter plays ingest's part with ingest's own :class:`~ingest.acker.Acker`:
    the ``seq`` of each pack (from its first record) goes, coalesced per gateway to at most
    one message every 0.2 s, to ``byggpuls/v1/{building}/ack/{gateway}`` with QoS 1. The only
    difference is when: ingest acknowledges a pack once its batch is stored, the counter as it
    arrives, so the gateway is measured without the store's latency.
    """

    def __init__(self, url: str) -> None:
        self.readings = 0
        #: The detail of the last status of each gateway (its last is ``offline``, on stopping).
        self.status_detail: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.metrics = IngestMetrics()
        subscribed: list[int] = []
        self.session = MqttSession(
            settings=CommonSettings(mqtt_url=url),
            client_id="bench-counter",
            # As ingest: the gateways' spools hold what a counter that is not there misses.
            persistent=False,
            receive_maximum=1000,
            on_connect=lambda s: subscribed.append(
                s.subscribe([(topics.TELEMETRY_FILTER, 1), (topics.STATUS_FILTER, 1)])
            ),
            on_message=self._on_message,
        )
        self.acker = Acker(self.session, metrics=self.metrics)
        self.stopping = threading.Event()
        self.acker_thread = threading.Thread(
            target=self.acker.run, args=(self.stopping,), name="bench-acker", daemon=True
        )
        self.session.start()
        if not self.session.wait_connected(30):
            raise RuntimeError("the counter did not connect to the broker")
        deadline = time.monotonic() + 30
        while not subscribed and time.monotonic() < deadline:
            time.sleep(0.01)
        if not subscribed or not self.session.wait_subscribed(subscribed[0], 30):
            raise RuntimeError("the subscription was not acknowledged")
        self.acker_thread.start()

    def _on_message(self, message: paho.MQTTMessage) -> None:
        parsed = topics.parse(message.topic)
        if isinstance(parsed, topics.StatusTopic):
            status = wire.decode_status(bytes(message.payload))
            with self.lock:
                self.status_detail[parsed.gateway] = status.detail or {}
            return
        records = json.loads(message.payload)
        first = records[0]
        with self.lock:
            self.readings += len(records)
        self.acker.add([(parsed.building, first["gw"], first["seq"])])

    def count(self) -> int:
        with self.lock:
            return self.readings

    def acks(self) -> tuple[float, float]:
        """Acknowledgement messages published so far, and the packs they covered."""
        registry = self.metrics.registry
        sent = registry.get_sample_value("byggpuls_ingest_gateway_acks_published_total")
        packs = registry.get_sample_value("byggpuls_ingest_gateway_packs_acknowledged_total")
        return sent or 0.0, packs or 0.0

    def stop(self) -> None:
        self.stopping.set()
        self.acker_thread.join(10)
        self.session.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (its own, not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmHWM in /proc/PID/status")


def points_of_first_building() -> int:
    from gateway.drivers.simulated import portfolio_drivers

    portfolio = portfolio_drivers(1, seed=SEED, start_s=time.time(), interval_s=1)
    return len(portfolio.drivers[0].points())


def csv_source(workdir: Path, *, points: int, speed: float, seconds: float) -> Path:
    """A CSV file of ``points`` columns a second apart, and a gateway config replaying it."""
    rows = int(seconds * speed) + 100
    start = 1_767_225_600  # 2026-01-01T00:00:00Z
    header = ",".join(["time", *(f"p{i}" for i in range(points))])
    lines = [header]
    for row in range(rows):
        values = ",".join(f"{20 + (row * 7 + i) % 97 * 0.01:.2f}" for i in range(points))
        lines.append(f"{start + row},{values}")
    (workdir / "source.csv").write_text("\n".join(lines) + "\n")
    columns = "".join(
        f'[[driver.columns]]\ncolumn = "p{i}"\npoint = "room{i}.temp"\nunit = "Cel"\n\n'
        for i in range(points)
    )
    config = workdir / "csv.toml"
    config.write_text(
        f"""[gateway]
id = "gw-bench"

[building]
id = "bench"
name = "Benchmark building"
type = "office"

[driver]
type = "csv_replay"
path = "source.csv"
time_column = "time"
time_format = "epoch_s"
speed = {speed}
shift_to_now = true
domain = "climate"

{columns}"""
    )
    return config


def gateway_env(
    command: list[str],
    *,
    broker: MosquittoServer,
    workdir: Path,
    source: str,
    compile_at_start: bool,
    optimize: int,
) -> dict[str, str]:
    """The gateway's environment; unless ``compile_at_start``, with its bytecode cached.

    As installed on a device (pip compiles bytecode at install): a first short run fills a
    bytecode cache in the temporary directory, which the measured run then loads.
    """
    env = {
        **os.environ,
        "BYGGPULS_MQTT_URL": broker.url,
        "BYGGPULS_DATA_DIR": str(workdir / f"data-{source}"),
        "BYGGPULS_LOG_LEVEL": "WARNING",
    }
    env.pop("PYTHONOPTIMIZE", None)
    if optimize:
        env["PYTHONOPTIMIZE"] = str(optimize)
    if compile_at_start:
        return env
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    warm = [*command[: command.index("--duration")], "--duration", "2"]
    warm_env = {**env, "BYGGPULS_DATA_DIR": str(workdir / f"warm-{source}")}
    subprocess.run(warm, cwd=REPO, env=warm_env, capture_output=True, check=True, timeout=120)
    return env


def measure(source: str, *, args: argparse.Namespace, points: int, workdir: Path) -> dict[str, Any]:
    """Run one gateway on ``source`` and measure it; the figures."""
    speed = args.rate / points
    total = args.warmup + args.seconds + 5
    command = [sys.executable, "-m", "cli", "gateway"]
    if source == "simulated":
        command += ["--simulate", "1", "--seed", str(SEED), "--interval", "1"]
        command += ["--speed", f"{speed:.4f}"]
    else:
        config = csv_source(workdir, points=points, speed=speed, seconds=total)
        command += ["--config", str(config)]
    command += ["--duration", str(total)]
    print(f"{source}: {points} points a second on a clock x{speed:.2f} = {points * speed:.0f}/s")

    broker = MosquittoServer(workdir=workdir / f"mosquitto-{source}").start()
    counter = Counter(broker.url)
    env = gateway_env(
        command,
        broker=broker,
        workdir=workdir,
        source=source,
        compile_at_start=args.compile_at_start,
        optimize=args.optimize,
    )
    log_path = workdir / f"gateway-{source}.log"
    with log_path.open("wb") as log:
        gateway = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            time.sleep(args.warmup)
            if gateway.poll() is not None:
                raise RuntimeError(log_path.read_text()[-3000:])
            cpu_start, received_start = cpu_seconds(gateway.pid), counter.count()
            acks_start, acked_start = counter.acks()
            started = time.monotonic()
            time.sleep(args.seconds)
            cpu_end, received_end = cpu_seconds(gateway.pid), counter.count()
            acks_end, acked_end = counter.acks()
            ended = time.monotonic()
            rss_mb = peak_rss_mb(gateway.pid)
        finally:
            if gateway.poll() is None:
                gateway.send_signal(signal.SIGTERM)
            code = gateway.wait(60)
            counter.stop()
            broker.stop()
    if code != 0:
        print(log_path.read_text()[-3000:])
        raise RuntimeError(f"the gateway exited with code {code}")

    window = ended - started
    rate = (received_end - received_start) / window
    cpu_per_s = (cpu_end - cpu_start) / window
    acks = acks_end - acks_start
    # The gateway's last status is the offline one it publishes on stopping, with its totals.
    last_status = next(iter(counter.status_detail.values()), {})
    figures = {
        "source": source,
        "readings_per_s": round(rate, 1),
        "cpu_s_per_s": round(cpu_per_s, 4),
        "cpu_percent_of_core": round(100 * cpu_per_s, 2),
        "cpu_us_per_reading": round(1e6 * cpu_per_s / rate, 1) if rate else None,
        "cpu_s_including_start": round(cpu_end, 2),
        "peak_rss_mb": round(rss_mb, 1),
        "acks_per_s": round(acks / window, 1),
        "packs_per_ack": round((acked_end - acked_start) / acks, 1) if acks else None,
        "resent_packs": last_status.get("resent_packs", 0),
        "refused_packs": last_status.get("refused_packs", 0),
        "within_targets": rss_mb < TARGET_RSS_MB and 100 * cpu_per_s < TARGET_CPU_PERCENT,
    }
    print(f"  readings delivered: {rate:.0f}/s over {window:.0f} s")
    print(
        f"  gateway CPU: {cpu_per_s:.4f} s/s = {100 * cpu_per_s:.2f} % of one core "
        f"(target < {TARGET_CPU_PERCENT:.0f} %), {figures['cpu_us_per_reading']} us/reading"
    )
    print(f"  gateway peak RSS: {rss_mb:.1f} MB (target < {TARGET_RSS_MB:.0f} MB)")
    print(
        f"  acknowledgements: {figures['acks_per_s']}/s, {figures['packs_per_ack']} packs each; "
        f"the gateway sent {figures['resent_packs']} packs again"
    )
    return figures


def spool_figures(workdir: Path, *, readings: int) -> dict[str, Any]:
    """Append ``readings`` to a spool as a backfill does (50 000 a transaction), then drain it."""
    from byggpuls.reading import Reading
    from gateway.spool import Spool

    points = [f"zone{i // 5}.p{i % 5}" for i in range(50)]
    domain_of = {point: ("climate" if i % 3 else "hvac") for i, point in enumerate(points)}
    batch = 50_000
    spool = Spool(
        workdir / "bench.spool.sqlite3",
        building="bench",
        gateway="gw-bench",
        max_readings=2 * readings,
    )
    start_ms = 1_767_225_600_000
    wall = cpu = 0.0
    for first in range(0, readings, batch):
        chunk = [
            Reading("bench", points[i % 50], "temperature", start_ms + (i // 50) * 900_000,
                    20.0 + (i % 997) * 0.01, "Cel")
            for i in range(first, min(first + batch, readings))
        ]  # fmt: skip
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        spool.append(chunk, domain_of=domain_of)
        wall += time.perf_counter() - wall_start
        cpu += time.process_time() - cpu_start
    size_mb = (workdir / "bench.spool.sqlite3").stat().st_size / 2**20
    drain_start = time.perf_counter()
    while packs := spool.take(64):
        spool.ack([pack.seq for pack in packs])
    drain = time.perf_counter() - drain_start
    stats = spool.stats()
    spool.close()
    assert stats.depth == 0
    assert stats.delivered == readings
    print(
        f"spool: {readings} readings appended in {wall:.1f} s ({readings / wall:.0f}/s, "
        f"{cpu:.1f} s CPU, {size_mb:.0f} MB on disk), taken and acknowledged in {drain:.1f} s"
    )
    return {
        "spool_readings": readings,
        "spool_append_s": round(wall, 2),
        "spool_append_cpu_s": round(cpu, 2),
        "spool_append_readings_per_s": round(readings / wall),
        "spool_file_mb": round(size_mb, 1),
        "spool_drain_s": round(drain, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="readings per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured steady state")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before measuring")
    parser.add_argument(
        "--sources",
        default="simulated,csv",
        help="comma-separated: simulated (the simulated building) and/or csv (the same rate "
        "from a CSV file: the gateway without the simulation's numpy)",
    )
    parser.add_argument(
        "--spool-readings",
        type=int,
        default=1_000_000,
        help="readings for the spool's own append/drain measurement (0: skip it)",
    )
    parser.add_argument(
        "--compile-at-start",
        action="store_true",
        help="run the gateway without a bytecode cache, compiling every module as it starts"
        " (the freed compile memory stays in its heap: about 3 MB more)",
    )
    parser.add_argument(
        "--optimize",
        type=int,
        choices=[0, 1, 2],
        default=2,
        help="the gateway's PYTHONOPTIMIZE: 2 (the default, as the README runs a gateway on a"
        " device) leaves out docstrings and asserts, about 3 MB; 0 runs it as plain"
        " `byggpuls gateway` does",
    )
    args = parser.parse_args()
    points = points_of_first_building()
    results = {}
    spool: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="byggpuls-bench-gateway-") as tmp:
        if args.spool_readings:
            spool = spool_figures(Path(tmp), readings=args.spool_readings)
        for source in args.sources.split(","):
            results[source] = measure(source, args=args, points=points, workdir=Path(tmp))
    headline = results.get("simulated") or next(iter(results.values()))
    summary = {
        "target_readings_per_s": args.rate,
        "points": points,
        "measured_s": args.seconds,
        "python_optimize": args.optimize,
        "bytecode": "compiled at start" if args.compile_at_start else "cached",
        **{k: v for k, v in headline.items() if k != "source"},
        "target_cpu_percent": TARGET_CPU_PERCENT,
        "target_rss_mb": TARGET_RSS_MB,
        "by_source": results,
        **spool,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
