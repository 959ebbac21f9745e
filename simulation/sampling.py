"""Reading the physics off at sample times, as sensors and meters would report it.

A sample at time t uses the physics step that covers (step start, step end] around t: states
(temperatures, CO₂, humidity, counters) are interpolated linearly between the grid times, so a
counter read between two grid times is the exact integral of the step's power; step values
(powers, valves, fan, setpoints, people) are that step's average. Sensors add a fixed
calibration offset and a little noise, both drawn from the point and the sample time alone,
then round to their resolution. Meters' counters carry neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulation.noise import FloatArray, IntArray, derive_key, normal
from simulation.physics import STEP_S, Piece
from simulation.points import PointSpec


@dataclass(frozen=True, slots=True)
class Sensor:
    """A point as installed in one building: its spec, noise stream and calibration offset."""

    spec: PointSpec
    key: int
    bias: float


def install(specs: Sequence[PointSpec], *, seed: int) -> tuple[Sensor, ...]:
    """The sensors of a building with ``seed``: each point's offset and noise stream."""
    sensors = []
    for spec in specs:
        point = spec.info.point
        draw = float(normal(derive_key(seed, "bias", point), np.zeros(1, dtype=np.int64))[0])
        sensors.append(Sensor(spec, derive_key(seed, "noise", point), spec.bias_sd * draw))
    return tuple(sensors)


def sample(piece: Piece, sensors: Sequence[Sensor], times_s: IntArray) -> FloatArray:
    """Values of ``sensors`` (rows) at ``times_s`` (columns), which must lie in the piece.

    The piece covers grid times ``k0 * STEP_S`` to ``k1 * STEP_S``; a time must be after the
    first and at most the last.
    """
    times = np.asarray(times_s, dtype=np.int64)
    step = (times - 1) // STEP_S  # the step whose (start, end] holds the time
    index = step - piece.k0
    if times.size and (index.min() < 0 or index.max() >= piece.k1 - piece.k0):
        raise ValueError("sample times outside the simulated piece")
    frac = (times - step * STEP_S) / STEP_S
    out = np.empty((len(sensors), times.size))
    for i, sensor in enumerate(sensors):
        spec = sensor.spec
        if spec.state:
            series = piece.states[spec.source]
            if spec.row is not None:
                series = series[spec.row]
            # (1 - f) * a + f * b gives b exactly at f == 1, i.e. on the grid.
            value = (1.0 - frac) * series[index] + frac * series[index + 1]
        else:
            series = piece.steps[spec.source]
            if spec.row is not None:
                series = series[spec.row]
            value = series[index]
        spread = spec.noise + spec.relative_noise * np.abs(value)
        if spec.noise or spec.relative_noise:
            value = value + spread * normal(sensor.key, times)
        value = value + sensor.bias
        if spec.low is not None or spec.high is not None:
            value = np.clip(value, spec.low, spec.high)
        out[i] = np.round(value, spec.decimals)
    return out
