"""A simulated portfolio of Bergen municipal buildings, with injected faults and their ground truth.

The data source for the demo and for judging the analytics. Pure computation: it publishes
nothing and writes no file except the ground truth (:func:`write_ground_truth`).

    portfolio = Portfolio.generate(20, seed=2026, start_s=now - 28 * 86_400, interval_s=900)
    for block in portfolio.advance_blocks(now):      # 28 days of history, 15-minute samples
        publish(block.readings())
    portfolio.set_interval(60)
    while True:                                      # live, one sample a minute
        publish(portfolio.advance(time.time()))
    write_ground_truth("var/ground_truth.jsonl", portfolio.ground_truth())

Each :class:`SimulatedBuilding` has ``info`` (:class:`byggpuls.reading.BuildingInfo`),
``points()`` (:class:`byggpuls.reading.PointInfo`, interval included), ``advance(until_s)``
(readings sampled in (previous, until_s]) and ``faults`` (ground truth so far).

Same seed and configuration, same calls: the same readings, bit for bit. The physics steps on
a fixed epoch-aligned grid (:data:`STEP_S`, 5 minutes) and everything random is drawn from a
hash of (seed, point or zone, time), so how ``advance`` is called (one call for four weeks or
one a minute) and the sampling interval change which values are read, never the values.

Modules: ``weather`` (Bergen climate), ``days`` (Norwegian calendar), ``schedules``,
``profiles`` (building types), ``physics`` (zones, meters), ``ahu``, ``faults``,
``counterfactual`` (extra energy of a fault), ``building``, ``portfolio``, ``config``,
``groundtruth``.
"""

from __future__ import annotations

from byggpuls.reading import BuildingType
from simulation.building import SampleBlock, SimulatedBuilding
from simulation.faults import FaultKind, FaultSpec, GroundTruthFault
from simulation.groundtruth import GroundTruthError, read_ground_truth, write_ground_truth
from simulation.physics import STEP_S
from simulation.portfolio import Portfolio
from simulation.weather import Weather

__all__ = [
    "STEP_S",
    "BuildingType",
    "FaultKind",
    "FaultSpec",
    "GroundTruthError",
    "GroundTruthFault",
    "Portfolio",
    "SampleBlock",
    "SimulatedBuilding",
    "Weather",
    "read_ground_truth",
    "write_ground_truth",
]
