"""Progress lines on stdout: what the gateways spooled and ingest stored, and how fast.

During a backfill::

    backfill: 3.2/28.0 days, 412345 readings spooled, 400000 stored (52000/s),
    spool 12345, dropped 0   (on one line)

then, once the history is on the broker, one line a minute::

    live: 20 gateways, 2712345 readings stored (+1200 in 60 s), spool 0, dropped 0
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from gateway.runtime import Gateway, Progress


@dataclass(frozen=True, slots=True)
class Totals:
    """The sums over every gateway."""

    appended: int
    delivered: int
    depth: int
    dropped: int
    rejected: int
    backfilling: bool
    backfill_days: float | None
    backfill_days_done: float | None

    @classmethod
    def of(cls, progress: Sequence[Progress], plans: Sequence[float | None]) -> Totals:
        days = [d for d in plans if d is not None]
        done = [p.backfill_days_done for p in progress if p.backfill_days_done is not None]
        return cls(
            appended=sum(p.spool.appended for p in progress),
            delivered=sum(p.spool.delivered for p in progress),
            depth=sum(p.spool.depth for p in progress),
            dropped=sum(p.spool.dropped for p in progress),
            rejected=sum(p.spool.rejected for p in progress),
            backfilling=any(p.backfilling for p in progress),
            backfill_days=max(days) if days else None,
            # The slowest gateway says how far the portfolio is.
            backfill_days_done=min(done) if done else None,
        )


class ProgressReporter:
    """Prints progress lines for ``gateways`` to ``out``."""

    def __init__(self, gateways: Sequence[Gateway], *, out: TextIO) -> None:
        self.gateways = list(gateways)
        self.out = out
        self._plans = [
            None if g.backfill_plan is None else g.backfill_plan.days for g in self.gateways
        ]
        self._started = time.monotonic()
        first = self.totals()
        self._delivered_at_start = first.delivered
        self._appended_at_start = first.appended
        self._last = (self._started, first.delivered)
        self.backfilling = any(days is not None for days in self._plans)
        #: Readings spooled by the time the backfill's production ended, once it has.
        self._backfill_target: int | None = None

    def totals(self) -> Totals:
        return Totals.of([g.progress() for g in self.gateways], self._plans)

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def report(self) -> None:
        """Print one progress line (and the end of the backfill when it came)."""
        now = time.monotonic()
        totals = self.totals()
        last_time, last_delivered = self._last
        rate = (totals.delivered - last_delivered) / max(now - last_time, 1e-9)
        self._last = (now, totals.delivered)
        if self.backfilling:
            done, days = totals.backfill_days_done or 0.0, totals.backfill_days or 0.0
            spooled = totals.appended - self._appended_at_start
            self._print(
                f"backfill: {done:.1f}/{days:.1f} days, {spooled} readings spooled, "
                f"{totals.delivered - self._delivered_at_start} stored ({rate:.0f}/s), "
                f"spool {totals.depth}, dropped {totals.dropped}"
            )
            if self._backfill_target is None and not totals.backfilling:
                self._backfill_target = totals.appended
            if self._backfill_target is not None and totals.delivered >= self._backfill_target:
                elapsed = now - self._started
                stored = totals.delivered - self._delivered_at_start
                self._print(
                    f"backfill done: {stored} readings stored in {elapsed:.0f} s "
                    f"({stored / max(elapsed, 1e-9):.0f}/s); live from now on"
                )
                self.backfilling = False
            return
        self._print(
            f"live: {len(self.gateways)} gateway(s), {totals.delivered - self._delivered_at_start} "
            f"readings stored ({rate:.0f}/s), spool {totals.depth}, dropped {totals.dropped}"
        )

    def final(self) -> None:
        """The last line, after the gateways stopped."""
        totals = Totals.of(
            [
                Progress(
                    gateway=g.gateway_id,
                    spool=g.spool_stats_at_stop,
                    backfill_days_done=None,
                    backfilling=False,
                    exhausted=g.exhausted,
                    failed=g.failed,
                )
                for g in self.gateways
                if g.spool_stats_at_stop is not None
            ],
            [],
        )
        self._print(
            f"stopped: {totals.delivered - self._delivered_at_start} readings stored, "
            f"{totals.depth} kept in the spool for the next start, {totals.dropped} dropped"
        )
