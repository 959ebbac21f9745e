"""``byggpuls analytics``: run the detectors now and then, and keep their findings."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="run once and exit")
    parser.add_argument(
        "--interval", type=int, help="seconds between runs (env BYGGPULS_ANALYTICS_INTERVAL_S)"
    )
    parser.add_argument(
        "--window-days",
        type=int,
        help="days of history to learn from and look at (env BYGGPULS_ANALYTICS_WINDOW_DAYS)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the detectors once, or every interval until SIGTERM or SIGINT."""
    from analytics.settings import AnalyticsSettings
    from byggpuls.settings import load
    from cli.bootstrap import build_analytics

    settings = load(
        AnalyticsSettings,
        analytics_interval_s=args.interval,
        analytics_window_days=args.window_days,
    )
    built = build_analytics(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        with built.resources:
            while True:
                summary = built.service.run_once(now_ms=int(time.time() * 1000))
                logger.info(
                    "analysed %d of %d buildings: %d after-hours findings, %.0f kWh, %.0f NOK",
                    summary.analysed,
                    summary.buildings,
                    summary.findings,
                    summary.waste_kwh,
                    summary.waste_nok,
                )
                if args.once or stop.wait(settings.analytics_interval_s):
                    return 0
    except KeyboardInterrupt:
        return 0
