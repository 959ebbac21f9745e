"""The gateway's composition root: settings and options in, running gateways out.

:func:`main` builds one :class:`~gateway.runtime.Gateway` per configured or simulated building,
runs them until SIGINT/SIGTERM (or ``--duration``, or ``--exit-when-drained``), prints progress
lines on stdout, and stops them cleanly (each says ``offline``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Final

from byggpuls.errors import ConfigError
from byggpuls.mqtt import check_settings
from byggpuls.settings import load, redact
from gateway.config import (
    DEFAULT_MAX_INFLIGHT_PACKS,
    DEFAULT_SPOOL_MAX_READINGS,
    GatewayConfig,
    GatewaySettings,
    load_config,
)
from gateway.memory import limit_malloc_arenas, release_free_memory
from gateway.progress import ProgressReporter
from gateway.runtime import Gateway, backfill_plan
from gateway.spool import Spool

logger = logging.getLogger(__name__)

#: Live progress lines come at most this often: a line a minute is plenty for a log.
LIVE_PROGRESS_MIN_SECONDS: Final = 60.0
#: Longest a stopping gateway waits for the broker to acknowledge its goodbye.
STOP_TIMEOUT_SECONDS: Final = 5.0


@dataclass
class Run:
    """The gateways to run, and what to do now and then while they run."""

    gateways: list[Gateway]
    #: Called with every progress line and at the end (the simulation's ground truth).
    on_tick: Callable[[], None] | None = None


def _settings(args: argparse.Namespace) -> GatewaySettings:
    overrides = {"mqtt_url": args.mqtt_url, "data_dir": args.data_dir}
    if args.status_interval is not None:
        overrides["gateway_status_interval_s"] = args.status_interval
    settings = load(GatewaySettings, **overrides)
    check_settings(settings)
    return settings


def _check_args(args: argparse.Namespace) -> None:
    if args.simulate is not None and args.simulate < 1:
        raise ConfigError("--simulate needs a number of buildings of 1 or more")
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


def _config_run(config: GatewayConfig, args: argparse.Namespace, settings: GatewaySettings) -> Run:
    plan = backfill_plan(
        now_s=time.time(), days=args.backfill_days, interval_s=args.backfill_interval
    )
    context = config.context(history_start_s=None if plan is None else plan.start_s)
    driver = config.driver.create(config.driver_options, context)
    try:
        building = driver.building()
        spool = Spool(
            config.spool_path(settings),
            building=building.id,
            gateway=config.gateway.id,
            max_readings=args.spool_max_readings or config.spool.max_readings,
            durable=config.spool.durable,
        )
    except BaseException:
        driver.close()
        raise
    gateway = Gateway(
        gateway_id=config.gateway.id,
        driver=driver,
        spool=spool,
        settings=settings,
        max_inflight_packs=args.max_inflight_packs or config.gateway.max_inflight_packs,
        status_interval_s=config.gateway.status_interval_s or settings.gateway_status_interval_s,
        backfill=plan,
        driver_name=config.driver.name,
    )
    return Run(gateways=[gateway])


def _simulated_run(args: argparse.Namespace, settings: GatewaySettings) -> Run:
    from gateway.drivers import simulated  # the simulation's numpy only when simulating

    release_free_memory()  # what compiling numpy's modules left, before the spools allocate
    now_s = time.time()
    plan = backfill_plan(now_s=now_s, days=args.backfill_days, interval_s=args.backfill_interval)
    portfolio = simulated.portfolio_drivers(
        args.simulate,
        seed=args.seed,
        start_s=plan.start_s if plan is not None else now_s,
        interval_s=args.interval,
        speed=args.speed,
        # Faults fall into the backfill's history, after its first quarter (clean baseline).
        fault_window_days=plan.days if plan is not None else simulated.DEFAULT_FAULT_WINDOW_DAYS,
    )
    ground_truth: Path = args.ground_truth or settings.data_dir / "ground_truth.jsonl"
    portfolio.write_ground_truth(ground_truth)
    print(
        f"simulating {len(portfolio.drivers)} buildings (seed {args.seed}) with "
        f"{portfolio.fault_count} injected faults; ground truth of those begun in {ground_truth}",
        flush=True,
    )
    gateways = []
    for driver in portfolio.drivers:
        building = driver.building()
        gateway_id = simulated.gateway_id(building.id)
        spool = Spool(
            settings.spool_dir() / f"{gateway_id}.spool.sqlite3",
            building=building.id,
            gateway=gateway_id,
            max_readings=args.spool_max_readings or DEFAULT_SPOOL_MAX_READINGS,
        )
        gateways.append(
            Gateway(
                gateway_id=gateway_id,
                driver=driver,
                spool=spool,
                settings=settings,
                max_inflight_packs=args.max_inflight_packs or DEFAULT_MAX_INFLIGHT_PACKS,
                status_interval_s=settings.gateway_status_interval_s,
                backfill=plan,
                driver_name="simulated",
            )
        )

    def write_ground_truth() -> None:
        portfolio.write_ground_truth(ground_truth)

    return Run(gateways=gateways, on_tick=write_ground_truth)


@contextmanager
def _stop_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (instead of raising or killing) while inside."""

    def handler(signum: int, frame: FrameType | None) -> None:
        logger.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def main(args: argparse.Namespace) -> int:
    """Run the gateways that ``args`` describe; the exit code."""
    _check_args(args)
    limit_malloc_arenas()  # before any thread starts
    settings = _settings(args)
    if args.simulate is not None:
        run = _simulated_run(args, settings)
    else:
        path = args.config or settings.gateway_config
        if path is None:
            raise ConfigError(
                "say what to run: --config PATH (or BYGGPULS_GATEWAY_CONFIG) or --simulate N"
            )
        run = _config_run(load_config(path), args, settings)
    release_free_memory()  # what imports and set-up freed, before the threads start
    logger.info(
        "%d gateway(s) publishing to %s, spools in %s",
        len(run.gateways),
        redact(settings.mqtt_url),
        settings.spool_dir(),
    )
    stop = threading.Event()
    reporter = ProgressReporter(run.gateways, out=sys.stdout)
    with _stop_signals(stop):
        for gateway in run.gateways:
            gateway.start()
        try:
            code = _supervise(run, args=args, stop=stop, reporter=reporter)
        finally:
            for gateway in run.gateways:
                gateway.stop(timeout_s=STOP_TIMEOUT_SECONDS)
            if run.on_tick is not None:
                run.on_tick()
    reporter.final()
    return code


def _supervise(
    run: Run, *, args: argparse.Namespace, stop: threading.Event, reporter: ProgressReporter
) -> int:
    """Print progress until it is time to stop; the exit code."""
    gateways = run.gateways
    started = time.monotonic()
    deadline = None if args.duration is None else started + args.duration
    next_line = started + args.progress_interval
    while not stop.is_set():
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            break
        fatal = [g.publisher.session.fatal_error for g in gateways]
        if any(fatal):
            print(f"byggpuls gateway: {next(f for f in fatal if f)}", file=sys.stderr, flush=True)
            return 1
        if args.exit_when_drained and all(g.exhausted and g.spool.depth == 0 for g in gateways):
            break
        if now >= next_line:
            reporter.report()
            if run.on_tick is not None:
                run.on_tick()
            interval = args.progress_interval
            if not reporter.backfilling:
                interval = max(interval, LIVE_PROGRESS_MIN_SECONDS)
            next_line = now + interval
        wait = min(0.5, next_line - now)
        if deadline is not None:
            wait = min(wait, deadline - now)
        stop.wait(max(wait, 0.01))
    return 0


__all__ = ["Run", "main"]
