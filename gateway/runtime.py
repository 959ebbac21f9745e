"""One running gateway: a driver feeding its spool, and a publisher draining it.

The driver runs in a thread of its own, so that a slow device never holds up publishing and an
outage of the broker never holds up reading the device: readings go to the disk spool first,
whatever the broker does. Sources whose readings keep (files, simulations, a backfill) wait
for the broker instead (back-pressure above ``high_water_readings``), so the spool bound is
spent on live readings only.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from byggpuls.reading import Reading
from gateway.drivers import Backfill, Driver
from gateway.errors import DriverError, SpoolError
from gateway.publisher import SpoolPublisher
from gateway.spool import Spool, SpoolStats

logger = logging.getLogger(__name__)

#: Readings a historic source may have waiting before it pauses: a few windows' worth of full
#: packs keeps the publisher busy without filling the spool.
DEFAULT_HIGH_WATER_READINGS: Final = 50_000
#: Pause after a failed poll, so a driver that keeps failing does not spin.
_RETRY_SECONDS: Final = 1.0


@dataclass(frozen=True, slots=True)
class BackfillPlan:
    """Publish the history ``[start_s, end_s)`` sampled every ``interval_s`` before going live."""

    start_s: float
    end_s: float
    interval_s: float

    @property
    def days(self) -> float:
        return (self.end_s - self.start_s) / 86400.0


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a gateway is, for progress lines."""

    gateway: str
    spool: SpoolStats
    #: Days of the backfill done (``None`` when there is no backfill).
    backfill_days_done: float | None
    backfilling: bool
    #: The driver has nothing more (a replay at its end).
    exhausted: bool
    failed: str | None


class Gateway:
    """A driver, its spool and its publisher, as one unit to start and stop.

    It is given all three (``cli.bootstrap`` builds them) and owns them from then on: :meth:`stop`
    closes the driver and the spool.
    """

    def __init__(
        self,
        *,
        gateway_id: str,
        driver: Driver,
        spool: Spool,
        publisher: SpoolPublisher,
        backfill: BackfillPlan | None = None,
        high_water_readings: int = DEFAULT_HIGH_WATER_READINGS,
        driver_name: str = "",
    ) -> None:
        self.gateway_id = gateway_id
        self.driver = driver
        self.spool = spool
        self.publisher = publisher
        self.backfill_plan = backfill
        self.high_water_readings = high_water_readings
        self._domain_of = {point.point: point.domain for point in driver.points()}
        self._room = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._driver_name = driver_name
        self._backfilled_until_s: float | None = None
        self._backfilling = False
        self.exhausted = False
        self.failed: str | None = None
        self.poll_errors = 0
        self.lost = 0
        #: The spool's figures when the gateway stopped (the spool is closed then).
        self.spool_stats_at_stop: SpoolStats | None = None
        publisher.detail = self._status_detail
        publisher.on_delivered = self._room.set

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self.publisher.start()
        self._thread = threading.Thread(
            target=self._run, name=f"driver-{self.gateway_id}", daemon=True
        )
        self._thread.start()

    def stop(self, *, timeout_s: float = 5.0) -> None:
        """Stop the driver, then the publisher (``offline`` status), then close the spool.

        Once: stopping a stopped gateway does nothing.
        """
        if self.spool_stats_at_stop is not None:
            return
        self._stopping.set()
        self._room.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                logger.warning("gateway %s: driver did not stop in time", self.gateway_id)
            self._thread = None
        self.publisher.stop(timeout_s=timeout_s)
        self.driver.close()
        self.spool_stats_at_stop = self.spool.stats()
        self.spool.close()

    def progress(self) -> Progress:
        plan = self.backfill_plan
        done = None
        if plan is not None:
            until = self._backfilled_until_s or plan.start_s
            done = max(0.0, min(until, plan.end_s) - plan.start_s) / 86400.0
        return Progress(
            gateway=self.gateway_id,
            spool=self.spool.stats(),
            backfill_days_done=done,
            backfilling=self._backfilling,
            exhausted=self.exhausted,
            failed=self.failed,
        )

    def _status_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"driver": self._driver_name} if self._driver_name else {}
        if self.poll_errors:
            detail["poll_errors"] = self.poll_errors
        if self.lost:
            detail["spool_errors_lost"] = self.lost
        if self.failed:
            detail["driver_failed"] = self.failed[:200]
        return detail

    # -- driver thread -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            if self.backfill_plan is not None:
                self._run_backfill(self.backfill_plan)
            self._run_live()
        except Exception as exc:
            # A bug in a driver must not take the publisher (and the spooled readings) down.
            logger.exception("gateway %s: driver stopped", self.gateway_id)
            self.failed = f"{type(exc).__name__}: {exc}"

    def _run_backfill(self, plan: BackfillPlan) -> None:
        if not isinstance(self.driver, Backfill):
            logger.warning(
                "gateway %s: driver %s cannot backfill; going live",
                self.gateway_id,
                self._driver_name,
            )
            return
        self._backfilling = True
        logger.info(
            "gateway %s: backfilling %.1f days every %.0f s",
            self.gateway_id,
            plan.days,
            plan.interval_s,
        )
        try:
            chunks = self.driver.backfill(
                start_s=plan.start_s, end_s=plan.end_s, interval_s=plan.interval_s
            )
            for chunk in chunks:
                if self._stopping.is_set():
                    return
                self._wait_for_room()
                self._append(chunk)
                if chunk:
                    self._backfilled_until_s = max(r.time_ms for r in chunk) / 1000.0
            self._backfilled_until_s = plan.end_s
        finally:
            self._backfilling = False

    def _run_live(self) -> None:
        driver = self.driver
        while not self._stopping.is_set():
            now_s = time.time()
            due_s = driver.next_poll_s(now_s)
            if due_s is None:
                self.exhausted = True
                logger.info("gateway %s: driver has nothing more", self.gateway_id)
                return
            if due_s > now_s:
                self._stopping.wait(due_s - now_s)
                continue
            if driver.historic:
                self._wait_for_room()
                if self._stopping.is_set():
                    return
            try:
                readings = driver.poll(time.time())
            except DriverError as exc:
                self.poll_errors += 1
                logger.warning("gateway %s: %s", self.gateway_id, exc)
                self._stopping.wait(_RETRY_SECONDS)
                continue
            self._append(readings)

    def _wait_for_room(self) -> None:
        while self.spool.depth >= self.high_water_readings and not self._stopping.is_set():
            self._room.wait(_RETRY_SECONDS)
            self._room.clear()

    def _append(self, readings: Sequence[Reading]) -> None:
        if not readings:
            return
        try:
            self.spool.append(readings, domain_of=self._domain_of)
        except SpoolError:
            # Disk full or a damaged file: these readings cannot be kept. Count them, say so
            # in the status, and keep trying with the next ones.
            self.lost += len(readings)
            logger.exception(
                "gateway %s: %d readings could not be spooled", self.gateway_id, len(readings)
            )
            return
        self.publisher.wake()


def backfill_plan(*, now_s: float, days: float, interval_s: float) -> BackfillPlan | None:
    """The backfill of ``days`` before ``now_s`` (aligned to ``interval_s``), or ``None``."""
    if days <= 0:
        return None
    end_s = math.floor(now_s / interval_s) * interval_s
    return BackfillPlan(start_s=end_s - days * 86400.0, end_s=end_s, interval_s=interval_s)


__all__ = ["BackfillPlan", "Gateway", "Progress", "backfill_plan"]
