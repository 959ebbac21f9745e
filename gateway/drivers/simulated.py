"""The ``simulated`` driver: one building of the simulated portfolio (:mod:`simulation`).

``byggpuls gateway --simulate N`` runs the first N buildings of a portfolio, each as its own
gateway (:func:`portfolio_drivers`); a TOML file with ``type = "simulated"`` runs one of them
(``building = 3``: the fourth). A simulated building can first produce its history
(:class:`~gateway.drivers.Backfill`), sampled more sparsely, then goes live: readings are
sampled every ``interval_s`` seconds of wall-clock time, or of a clock that runs ``speed`` times
faster (benchmarks, quick demos).

The buildings of a portfolio share one weather, so their simulation steps are serialised by a
lock of the portfolio; the drivers are otherwise independent.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import Field

from byggpuls.errors import ConfigError
from byggpuls.reading import BuildingInfo, PointInfo, Reading
from gateway.drivers import DriverContext, register
from gateway.drivers.points import Strict
from simulation import GroundTruthFault, Portfolio, SimulatedBuilding, write_ground_truth

logger = logging.getLogger(__name__)

#: A backfill is produced a day at a time: about 3 500 readings per building at 15 minutes.
BACKFILL_CHUNK_S: Final = 86_400.0
#: When the simulated clock runs faster than real time, poll at most this often and take all
#: the samples due since: one spool commit a second, not one per sample.
MIN_POLL_SECONDS: Final = 1.0
#: Faults go into this window from the start unless a backfill says otherwise.
DEFAULT_FAULT_WINDOW_DAYS: Final = 28.0


def gateway_id(building_id: str) -> str:
    """The gateway id of a simulated building."""
    return f"gw-{building_id}"[:64]


def check_interval(interval_s: float, *, option: str) -> int:
    """``interval_s`` as whole seconds the simulation can sample at; ConfigError otherwise."""
    if not float(interval_s).is_integer() or not 1 <= interval_s <= 86_400:
        raise ConfigError(f"{option} must be whole seconds from 1 to 86400, not {interval_s}")
    return int(interval_s)


class SimulatedOptions(Strict):
    """``[driver]`` of ``type = "simulated"``."""

    seed: int = 1
    #: Which building of the portfolio (0: the first, a school).
    building: int = Field(default=0, ge=0, le=999)
    interval_s: int = Field(default=60, ge=1, le=86_400)
    #: How much faster than real time the simulated clock runs.
    speed: float = Field(default=1.0, gt=0, le=10_000)
    faults: bool = True
    fault_window_days: float = Field(default=DEFAULT_FAULT_WINDOW_DAYS, gt=0)


class SimulatedDriver:
    """Readings of one simulated building, live or as history."""

    historic = False

    def __init__(
        self,
        building: SimulatedBuilding,
        *,
        interval_s: int,
        speed: float = 1.0,
        lock: threading.Lock | None = None,
    ) -> None:
        self.simulation = building
        self.interval_s = interval_s
        self.speed = speed
        self._lock = lock or threading.Lock()
        building.interval_s = interval_s
        #: (wall, simulated) time the live clock started at; set on the first live call.
        self._origin: tuple[float, float] | None = None
        self._last_poll_s = -math.inf

    # -- Driver ------------------------------------------------------------------------------

    def building(self) -> BuildingInfo:
        return self.simulation.info

    def points(self) -> list[PointInfo]:
        # The live interval, also while a sparser backfill runs: it is what ``meta`` promises.
        return [
            dataclasses.replace(point, interval_s=self.interval_s)
            for point in self.simulation.points()
        ]

    def _simulated_s(self, now_s: float) -> float:
        if self.speed == 1.0:
            return now_s
        if self._origin is None:
            self._origin = (now_s, self.simulation.now_s)
        wall, simulated = self._origin
        return simulated + (now_s - wall) * self.speed

    def _wall_s(self, simulated_s: float) -> float:
        if self.speed == 1.0 or self._origin is None:
            return simulated_s
        wall, simulated = self._origin
        return wall + (simulated_s - simulated) / self.speed

    def next_poll_s(self, now_s: float) -> float | None:
        self._simulated_s(now_s)  # starts the clock
        interval = self.simulation.interval_s
        next_sample_s = (math.floor(self.simulation.now_s / interval) + 1) * interval
        due = self._wall_s(next_sample_s)
        if self.speed != 1.0:
            due = max(due, self._last_poll_s + MIN_POLL_SECONDS)
        return due

    def poll(self, now_s: float) -> list[Reading]:
        self._last_poll_s = now_s
        until = self._simulated_s(now_s)
        with self._lock:
            return self.simulation.advance(until)

    def close(self) -> None:
        pass

    # -- Backfill ----------------------------------------------------------------------------

    def backfill(
        self, *, start_s: float, end_s: float, interval_s: float
    ) -> Iterator[list[Reading]]:
        simulation = self.simulation
        if simulation.now_s > start_s:
            logger.warning(
                "%s: the simulation is already at %.0f, after the backfill start %.0f",
                simulation.info.id,
                simulation.now_s,
                start_s,
            )
        simulation.interval_s = check_interval(interval_s, option="--backfill-interval")
        try:
            until = simulation.now_s
            while until < end_s:
                until = min(until + BACKFILL_CHUNK_S, end_s)
                with self._lock:
                    block = simulation.advance_block(until)
                yield block.readings()
        finally:
            simulation.interval_s = self.interval_s

    def faults(self) -> list[GroundTruthFault]:
        """Ground truth of the faults begun so far (consistent: taken under the lock)."""
        with self._lock:
            return list(self.simulation.faults)


@dataclass
class SimulatedPortfolio:
    """The drivers of a simulated portfolio, and its ground truth."""

    drivers: list[SimulatedDriver]
    #: Faults injected (begun or not).
    fault_count: int

    def write_ground_truth(self, path: Path) -> int:
        """Write the faults begun so far to ``path`` (JSON lines); how many."""
        faults = [fault for driver in self.drivers for fault in driver.faults()]
        path.parent.mkdir(parents=True, exist_ok=True)
        write_ground_truth(path, faults)
        return len(faults)


def portfolio_drivers(
    count: int,
    *,
    seed: int,
    start_s: float,
    interval_s: float,
    speed: float = 1.0,
    faults: bool = True,
    fault_window_days: float = DEFAULT_FAULT_WINDOW_DAYS,
) -> SimulatedPortfolio:
    """Drivers for the first ``count`` buildings of the portfolio of ``seed``, from ``start_s``.

    With ``faults``, about two thirds of the buildings get faults starting between a quarter of
    ``fault_window_days`` after ``start_s`` and its end (see :mod:`simulation`).
    """
    interval = check_interval(interval_s, option="--interval")
    portfolio = Portfolio.generate(
        count,
        seed=seed,
        start_s=start_s,
        interval_s=interval,
        faults=faults,
        fault_window_days=fault_window_days,
    )
    lock = threading.Lock()
    drivers = [
        SimulatedDriver(building, interval_s=interval, speed=speed, lock=lock)
        for building in portfolio.buildings
    ]
    injected = sum(len(building.fault_specs) for building in portfolio.buildings)
    return SimulatedPortfolio(drivers=drivers, fault_count=injected)


@register(
    "simulated",
    options=SimulatedOptions,
    summary="one building of the simulated portfolio",
    needs_building=False,
)
def create(options: SimulatedOptions, context: DriverContext) -> SimulatedDriver:
    start_s = context.history_start_s if context.history_start_s is not None else time.time()
    portfolio = portfolio_drivers(
        options.building + 1,
        seed=options.seed,
        start_s=start_s,
        interval_s=options.interval_s,
        speed=options.speed,
        faults=options.faults,
        fault_window_days=options.fault_window_days,
    )
    return portfolio.drivers[options.building]


__all__ = [
    "SimulatedDriver",
    "SimulatedOptions",
    "SimulatedPortfolio",
    "check_interval",
    "gateway_id",
    "portfolio_drivers",
]
