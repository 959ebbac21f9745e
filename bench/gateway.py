"""The gateway's own cost: CPU and memory of one simulated building at ~1 000 readings/s.

    .venv/bin/python bench/gateway.py [--rate 1000] [--seconds 60] [--warmup 10]
                                      [--sources simulated,csv]

Starts Mosquitto (sandbox.servers) in a temporary directory and one gateway as a subprocess
(``python -m cli gateway``, as ``byggpuls gateway`` runs it) running the
first simulated building, sampled every second on a simulated clock sped up so that the
building makes ``--rate`` readings a second: the full path of drivers -> disk spool (SQLite,
synchronous=FULL) -> MQTT with QoS 1 and PUBACKs. A subscriber counts what reaches the broker.
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

The last line printed is one JSON object with the figures.
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
from paho.mqtt.enums import CallbackAPIVersion

from sandbox.servers import MosquittoServer

REPO = Path(__file__).resolve().parent.parent
TARGET_RSS_MB = 60.0
TARGET_CPU_PERCENT = 5.0
SEED = 1


class Counter:
    """Counts the readings that reach the broker, with a plain paho subscriber."""

    def __init__(self, port: int) -> None:
        self.readings = 0
        self.lock = threading.Lock()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-counter", protocol=paho.MQTTv5
        )
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe("byggpuls/v1/+/+", qos=1)
        if not subscribed.wait(30):
            raise RuntimeError("the subscription was not acknowledged")

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        records = json.loads(message.payload)
        with self.lock:
            self.readings += len(records)

    def count(self) -> int:
        with self.lock:
            return self.readings

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


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
    counter = Counter(broker.port)
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
            started = time.monotonic()
            time.sleep(args.seconds)
            cpu_end, received_end = cpu_seconds(gateway.pid), counter.count()
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
    figures = {
        "source": source,
        "readings_per_s": round(rate, 1),
        "cpu_s_per_s": round(cpu_per_s, 4),
        "cpu_percent_of_core": round(100 * cpu_per_s, 2),
        "cpu_us_per_reading": round(1e6 * cpu_per_s / rate, 1) if rate else None,
        "cpu_s_including_start": round(cpu_end, 2),
        "peak_rss_mb": round(rss_mb, 1),
        "within_targets": rss_mb < TARGET_RSS_MB and 100 * cpu_per_s < TARGET_CPU_PERCENT,
    }
    print(f"  readings delivered: {rate:.0f}/s over {window:.0f} s")
    print(
        f"  gateway CPU: {cpu_per_s:.4f} s/s = {100 * cpu_per_s:.2f} % of one core "
        f"(target < {TARGET_CPU_PERCENT:.0f} %), {figures['cpu_us_per_reading']} us/reading"
    )
    print(f"  gateway peak RSS: {rss_mb:.1f} MB (target < {TARGET_RSS_MB:.0f} MB)")
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
