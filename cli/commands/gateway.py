"""``byggpuls gateway``: run one gateway from its TOML file, or N simulated ones.

This module is imported to build the command line of every ``byggpuls`` command, so it imports
nothing heavy at the top; :func:`run` does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from byggpuls.errors import ConfigError

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
  byggpuls gateway --simulate 4 --broker-logins var/gateway-logins.json

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
        "--broker-logins",
        type=Path,
        metavar="FILE",
        help="each simulated gateway's own broker login, from a JSON or TOML file (mode 600) "
        'mapping gateway id to username and password: {"gw-skole-01": {"username": ..., '
        '"password": ...}}; a gateway it does not name stops the start (default: all use '
        "the login of BYGGPULS_MQTT_URL)",
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


def _check_args(args: argparse.Namespace) -> None:
    if args.simulate is not None and args.simulate < 1:
        raise ConfigError("--simulate needs a number of buildings of 1 or more")
    if args.broker_logins is not None and args.simulate is None:
        raise ConfigError(
            "--broker-logins is for --simulate; a gateway of its own file has one login,"
            " the one its settings give it"
        )
    if args.interval <= 0 or args.backfill_interval <= 0:
        raise ConfigError("--interval and --backfill-interval must be positive seconds")
    if args.backfill_days < 0:
        raise ConfigError("--backfill-days cannot be negative")
    if args.speed <= 0:
        raise ConfigError("--speed must be positive")
    if args.spool_max_readings is not None and args.spool_max_readings < 1:
        raise ConfigError("--spool-max-readings must be at least 1")
    if args.max_inflight_packs is not None and not 1 <= args.max_inflight_packs <= 1000:
        raise ConfigError("--max-inflight-packs must be between 1 and 1000")


def run(args: argparse.Namespace) -> int:
    """Run the gateway(s) until stopped; the exit code."""
    # Imported here: `byggpuls --help` must stay fast.
    from byggpuls.mqtt import check_settings
    from byggpuls.settings import load
    from cli.bootstrap import build_gateways
    from gateway.config import GatewayOptions, GatewaySettings
    from gateway.memory import limit_malloc_arenas, release_free_memory
    from gateway.supervisor import Schedule, supervise

    _check_args(args)
    limit_malloc_arenas()  # before any thread starts
    overrides = {"mqtt_url": args.mqtt_url, "data_dir": args.data_dir}
    if args.status_interval is not None:
        overrides["gateway_status_interval_s"] = args.status_interval
    settings = load(GatewaySettings, **overrides)
    check_settings(settings)
    options = GatewayOptions(
        config=args.config,
        simulate=args.simulate,
        seed=args.seed,
        interval_s=args.interval,
        backfill_days=args.backfill_days,
        backfill_interval_s=args.backfill_interval,
        speed=args.speed,
        ground_truth=args.ground_truth,
        spool_max_readings=args.spool_max_readings,
        max_inflight_packs=args.max_inflight_packs,
        broker_logins=args.broker_logins,
    )
    built = build_gateways(settings, options)
    with built.resources:
        release_free_memory()  # what imports and set-up freed, before the threads start
        return supervise(
            built.service,
            Schedule(
                duration_s=args.duration,
                exit_when_drained=args.exit_when_drained,
                progress_interval_s=args.progress_interval,
            ),
        )
