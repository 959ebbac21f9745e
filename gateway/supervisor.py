"""Runs built gateways: until SIGINT/SIGTERM (or a duration, or drained), with progress lines.

:func:`supervise` starts the gateways of a :class:`Run` (``cli.bootstrap.build_gateways``
builds it), prints progress lines on stdout, and stops them cleanly (each says ``offline``).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Final, TextIO

from gateway.progress import ProgressReporter
from gateway.runtime import Gateway

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
    #: Said on stdout before the gateways start (what a simulation injected, and where).
    announcement: str | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    """When to stop, and how often to say how it goes."""

    #: Stop cleanly after this long; ``None``: only on a signal.
    duration_s: float | None = None
    #: Stop once every driver has nothing more and every spool is empty (replays).
    exit_when_drained: bool = False
    #: Seconds between progress lines during a backfill (live: at least a minute).
    progress_interval_s: float = 5.0


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


def supervise(run: Run, schedule: Schedule, *, out: TextIO = sys.stdout) -> int:
    """Run the gateways of ``run`` until it is time to stop, then stop them; the exit code."""
    if run.announcement is not None:
        print(run.announcement, file=out, flush=True)
    stop = threading.Event()
    reporter = ProgressReporter(run.gateways, out=out)
    with _stop_signals(stop):
        for gateway in run.gateways:
            gateway.start()
        try:
            code = _watch(run, schedule=schedule, stop=stop, reporter=reporter)
        finally:
            _stop_all(run.gateways)
            if run.on_tick is not None:
                run.on_tick()
    reporter.final()
    return code


def _stop_all(gateways: Sequence[Gateway]) -> None:
    """Stop every gateway at once: each may wait up to :data:`STOP_TIMEOUT_SECONDS` for its
    driver and then for the broker, so one after the other a portfolio of simulated gateways
    took that long times their number to stop (and a loaded machine more)."""
    threads = [
        threading.Thread(
            target=gateway.stop,
            kwargs={"timeout_s": STOP_TIMEOUT_SECONDS},
            name=f"stop-{gateway.gateway_id}",
        )
        for gateway in gateways
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _watch(
    run: Run, *, schedule: Schedule, stop: threading.Event, reporter: ProgressReporter
) -> int:
    """Print progress until it is time to stop; the exit code."""
    gateways = run.gateways
    started = time.monotonic()
    deadline = None if schedule.duration_s is None else started + schedule.duration_s
    next_line = started + schedule.progress_interval_s
    while not stop.is_set():
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            break
        fatal = [g.publisher.session.fatal_error for g in gateways]
        if any(fatal):
            print(f"byggpuls gateway: {next(f for f in fatal if f)}", file=sys.stderr, flush=True)
            return 1
        if schedule.exit_when_drained and all(g.exhausted and g.spool.depth == 0 for g in gateways):
            break
        if now >= next_line:
            reporter.report()
            if run.on_tick is not None:
                run.on_tick()
            interval = schedule.progress_interval_s
            if not reporter.backfilling:
                interval = max(interval, LIVE_PROGRESS_MIN_SECONDS)
            next_line = now + interval
        wait = min(0.5, next_line - now)
        if deadline is not None:
            wait = min(wait, deadline - now)
        stop.wait(max(wait, 0.01))
    return 0


__all__ = ["LIVE_PROGRESS_MIN_SECONDS", "STOP_TIMEOUT_SECONDS", "Run", "Schedule", "supervise"]
