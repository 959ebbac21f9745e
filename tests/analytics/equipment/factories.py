"""The AHU rules' test factory: a healthy unit, with points replaced where a test needs."""

from __future__ import annotations

import numpy as np

from analytics.equipment.ahu import AhuSeries

MINUTE = 60.0
N = 180


def unit(**overrides: object) -> AhuSeries:
    """Three hours of a healthy unit heating, 1-minute samples; ``overrides`` replace points."""
    base: dict[str, object] = {
        "times_s": np.arange(N) * MINUTE,
        "supply_c": np.full(N, 20.0),
        "mixed_c": np.full(N, 15.0),
        "return_c": np.full(N, 21.0),
        "outdoor_c": np.full(N, 0.0),
        "supply_setpoint_c": np.full(N, 20.0),
        "heating_valve": np.full(N, 0.4),
        "cooling_valve": np.zeros(N),
        "damper": np.full(N, 0.2),
        "fan_on": np.ones(N),
        "occupied": np.ones(N),
    }
    base.update(overrides)
    return AhuSeries.from_points({k: v for k, v in base.items() if v is not None})  # type: ignore[misc]
