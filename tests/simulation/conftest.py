"""Factories shared by the simulation tests: one-building portfolios, and one full backfill."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from simulation import GroundTruthFault, Portfolio, SampleBlock

DAY_S = 86_400.0


@dataclass
class Series:
    """One building's readings as columns, addressable by point id."""

    block: SampleBlock

    @property
    def times(self) -> np.ndarray:
        return self.block.times_s

    def __getitem__(self, point: str) -> np.ndarray:
        ids = [p.point for p in self.block.points]
        return self.block.values[ids.index(point)]

    def has(self, point: str) -> bool:
        return any(p.point == point for p in self.block.points)


class Sim:
    """Builds one-building portfolios (fixed seeds) to compare with and without a fault."""

    #: A Monday in January: heating season and school term.
    start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp()

    def day(self, d: float, hour: float = 0.0) -> float:
        """UTC epoch seconds of day ``d`` after :attr:`start`, at ``hour`` UTC."""
        return self.start + d * DAY_S + hour * 3600.0

    def single(
        self,
        building_type: str,
        faults: Any = "none",
        *,
        start_s: float | None = None,
        interval_s: int = 900,
        **extra: Any,
    ) -> Portfolio:
        """One building ``b-01`` (seed 3); ``extra`` are more of its keys, e.g. ``noise=False``."""
        building = {"id": "b-01", "type": building_type, "seed": 3, "faults": faults, **extra}
        config = {
            "variability": True,
            "seed": 1,
            "start": self.start if start_s is None else start_s,
            "interval_s": interval_s,
            "buildings": [building],
        }
        return Portfolio.from_config(config)

    def run(self, portfolio: Portfolio, until_s: float) -> Series:
        """Advance a one-building portfolio to ``until_s`` and return its readings."""
        return Series(portfolio.buildings[0].advance_block(until_s))


@pytest.fixture
def sim() -> Sim:
    return Sim()


@dataclass
class Backfill:
    """A generated portfolio run for four weeks at 15-minute samples, as the demo does."""

    portfolio: Portfolio
    series: dict[str, Series]
    truth: list[GroundTruthFault]
    #: The legitimate uses outside hours (ground-truth records that are not faults).
    legitimate: list[GroundTruthFault]


@pytest.fixture(scope="session")
def backfill() -> Backfill:
    """20 generated buildings with their default faults, 28 days from 1 February 2026."""
    start = dt.datetime(2026, 2, 1, tzinfo=dt.UTC).timestamp()
    portfolio = Portfolio.generate(20, variability=True, seed=2026, start_s=start, interval_s=900)
    blocks = portfolio.advance_blocks(start + 28 * DAY_S)
    series = {block.building: Series(block) for block in blocks}
    everything = portfolio.ground_truth(legitimate_use=True)
    return Backfill(
        portfolio,
        series,
        [f for f in everything if f.fault],
        [f for f in everything if not f.fault],
    )
