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
(readings sampled in (previous, until_s]), ``faults`` (ground truth so far) and
``legitimate_use`` (use outside opening hours that is not a fault, as ground-truth records with
``fault`` False; ``Portfolio.ground_truth(legitimate_use=True)`` gives both).

Buildings are not ideal: their meters carry auto-correlated occupant and measurement noise
(5-15 % of hourly electricity and heat), their base load drifts by a few per cent a month,
daylight dims their lights, and they are cleaned, let and used in the evening and at weekends.
All of it is on by default and configurable per building; ``Portfolio.generate(...,
variability=False)`` or ``variability = false`` in a config gives the clean series of the
timetable and physics alone (see :mod:`simulation.config`).

Same seed and configuration, same calls: the same readings, bit for bit. The physics steps on
a fixed epoch-aligned grid (:data:`STEP_S`, 5 minutes) and everything random is drawn from a
hash of (seed, point or zone, time), so how ``advance`` is called (one call for four weeks or
one a minute) and the sampling interval change which values are read, never the values.

Modules: ``weather`` (Bergen climate), ``days`` (Norwegian calendar), ``schedules``,
``profiles`` (building types), ``physics`` (zones, meters), ``ahu``, ``faults``,
``counterfactual`` (extra energy of a fault), ``variability`` (noise, drift, daylight),
``activities`` (legitimate use outside hours), ``building``, ``portfolio``, ``config``,
``groundtruth``.
"""

from __future__ import annotations

from byggpuls.reading import BuildingType
from simulation.activities import LEGITIMATE_USE_KIND, Activity
from simulation.building import SampleBlock, SimulatedBuilding
from simulation.faults import FaultKind, FaultSpec, GroundTruthFault
from simulation.groundtruth import GroundTruthError, read_ground_truth, write_ground_truth
from simulation.physics import STEP_S
from simulation.portfolio import Portfolio
from simulation.variability import VariabilityConfig
from simulation.weather import Weather

__all__ = [
    "LEGITIMATE_USE_KIND",
    "STEP_S",
    "Activity",
    "BuildingType",
    "FaultKind",
    "FaultSpec",
    "GroundTruthError",
    "GroundTruthFault",
    "Portfolio",
    "SampleBlock",
    "SimulatedBuilding",
    "VariabilityConfig",
    "Weather",
    "read_ground_truth",
    "write_ground_truth",
]
