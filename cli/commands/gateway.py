"""``byggpuls gateway``: run one gateway from its TOML file, or N simulated ones.

This module is imported to build the command line of every ``byggpuls`` command, so it imports
nothing heavy at the top; :func:`run` does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DESCRIPTION = """\
Run an edge gateway: a driver reads sensors, every reading goes to a disk spool (SQLite) first,
and a publisher sends the spool to the MQTT broker (QoS 1, in order, deleting only what the
broker acknowledged). The broker, its TLS files and the data directory come from BYGGPULS_*
settings: BYGGPULS_MQTT_URL (mqtt://user:password@host:1883 or mqtts://...),
BYGGPULS_MQTT_CA_FILE, BYGGPULS_MQTT_CERT_FILE, BYGGPULS_MQTT_KEY_FILE, BYGGPULS_DATA_DIR.
"""

EPILOG = """\
examples:
  byggpuls gateway --config deploy/gateway/modbus-meter.toml
  byggpuls gateway --config deploy/gateway/lbnl-szcav.toml --exit-when-drained
  byggpuls gateway --simulate 20 --seed 7 --backfill-days 28 --backfill-interval 900 --interval 60

Each gateway publishes a retained status (online/offline, spool depth, readings dropped) on
byggpuls/v1/{building}/status/{gateway} and its points on byggpuls/v1/{building}/meta/{gateway}.
SIGINT or SIGTERM stops it cleanly: it says "offline" and keeps its spool for the next start.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``byggpuls gateway``."""
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="the gateway's TOML file (see deploy/gateway/); env BYGGPULS_GATEWAY_CONFIG",
    )
    source.add_argument(
        "--simulate",
        type=int,
        metavar="N",
        help="run N simulated buildings, each as its own gateway (own id, MQTT connection, "
        "Last Will, spool and sequence numbers)",
    )

    simulation = parser.add_argument_group("simulated buildings (with --simulate)")
    simulation.add_argument(
        "--seed", type=int, default=1, help="seed of the simulated portfolio (default: %(default)s)"
    )
    simulation.add_argument(
        "--interval",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="seconds between live readings of each point (default: %(default)s)",
    )
    simulation.add_argument(
        "--backfill-days",
        type=float,
        default=0.0,
        metavar="D",
        help="first publish D days of history, as fast as the broker takes it, then go live "
        "(default: none)",
    )
    simulation.add_argument(
        "--backfill-interval",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="seconds between readings of the backfill (default: %(default)s)",
    )
    simulation.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="run the simulated clock FACTOR times faster than real time once live, "
        "e.g. for benchmarks (default: %(default)s: readings stamped with the real time)",
    )
    simulation.add_argument(
        "--ground-truth",
        type=Path,
        metavar="PATH",
        help="where to write the injected faults begun so far, as JSON lines, rewritten as "
        "the simulation advances (default: DATA_DIR/ground_truth.jsonl)",
    )

    settings = parser.add_argument_group("settings (override BYGGPULS_* environment variables)")
    settings.add_argument("--mqtt-url", metavar="URL", help="broker URL (BYGGPULS_MQTT_URL)")
    settings.add_argument(
        "--data-dir", type=Path, metavar="DIR", help="spools live here (BYGGPULS_DATA_DIR)"
    )

    running = parser.add_argument_group("running")
    running.add_argument(
        "--spool-max-readings",
        type=int,
        metavar="N",
        help="readings each spool may hold; past that the oldest are dropped and counted "
        "(default: the file's [spool] max_readings, else 1000000)",
    )
    running.add_argument(
        "--status-interval",
        type=float,
        metavar="SECONDS",
        help="seconds between status messages (default: BYGGPULS_GATEWAY_STATUS_INTERVAL_S, 60)",
    )
    running.add_argument(
        "--max-inflight-packs",
        type=int,
        metavar="N",
        help="packs published and not yet acknowledged, per gateway (default: 16)",
    )
    running.add_argument(
        "--progress-interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="seconds between progress lines on stdout during a backfill (default: "
        "%(default)s; live: at least 60)",
    )
    running.add_argument(
        "--duration",
        type=float,
        metavar="SECONDS",
        help="stop cleanly after this long (default: run until SIGINT/SIGTERM)",
    )
    running.add_argument(
        "--exit-when-drained",
        action="store_true",
        help="stop once every driver has nothing more and every spool is empty (replays)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the gateway(s) until stopped; the exit code."""
    from gateway.app import main  # keep `byggpuls --help` fast

    return main(args)
