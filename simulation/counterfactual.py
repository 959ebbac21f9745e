"""What a physical fault costs: the building run again without it, alongside the real run.

For each physical fault the building keeps a twin: the same building with every fault except
that one, started from the real state when the fault begins and run until 24 hours after it
ends (so the recovery counts: a zone cooled by an open window must be heated back up). The
twin sees the same weather, people and noise, because those are functions of time alone, so
the difference of the two meters is what the fault added, step by step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from simulation.faults import FaultSpec
from simulation.model import BuildingModel
from simulation.physics import STEP_S, Piece, State, simulate
from simulation.weather import Weather

#: How long after a fault ends its effect is still counted (recovery), seconds.
TAIL_S: Final = 86_400


def first_step(time_s: float) -> int:
    """The first step whose midpoint is at or after ``time_s`` (faults act on midpoints)."""
    return math.ceil(time_s / STEP_S - 0.5)


@dataclass(slots=True)
class Counterfactual:
    """The building without one fault; accumulates the extra energy the fault caused."""

    fault: FaultSpec
    others: tuple[FaultSpec, ...]
    start_step: int
    stop_step: int
    state: State | None = None
    #: The grid index up to which the difference has been counted.
    counted_to: int | None = None
    extra_electricity_kwh: float = 0.0
    extra_heat_kwh: float = 0.0

    @classmethod
    def for_fault(cls, fault: FaultSpec, all_faults: tuple[FaultSpec, ...]) -> Counterfactual:
        others = tuple(f for f in all_faults if f is not fault and f.physical)
        stop = first_step(fault.end_s) + TAIL_S // STEP_S
        return cls(fault=fault, others=others, start_step=first_step(fault.start_s), stop_step=stop)

    def follow(self, model: BuildingModel, weather: Weather, real: Piece) -> None:
        """Run the twin over the part of ``real`` inside its window and count the difference."""
        begin = max(real.k0, self.start_step)
        end = min(real.k1, self.stop_step)
        if begin >= end:
            return
        if self.state is None:
            # Until the fault begins the twin is the real building: start from the real state.
            self.state = real.state_at(begin)
        twin = simulate(
            model, weather, self.state, k0=begin, k1=end, faults=self.others, energy_only=True
        )
        hours = STEP_S / 3600.0
        offset = begin - real.k0
        span = slice(offset, offset + end - begin)
        el = (real.steps["el_power"][span] - twin.steps["el_power"]) * hours
        heat = (real.steps["dh_power"][span] - twin.steps["dh_power"]) * hours
        # Left-to-right sums: the total does not depend on how the run was cut into pieces.
        for value in el.tolist():
            self.extra_electricity_kwh += value
        for value in heat.tolist():
            self.extra_heat_kwh += value
        self.state = twin.state_at(end)
        self.counted_to = end
