"""Robust statistics every detector and the baselines share.

A meter's noise is judged by the median absolute deviation, not the standard deviation: a fault,
a spike or a gap inside the history then does not widen what counts as normal.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
#: The standard deviation of a normal distribution is 1.4826 times its MAD.
MAD_TO_SD: Final = 1.4826


def robust_sd(values: FloatArray) -> float:
    """1.4826 times the median absolute deviation from the median (0 for no values)."""
    if not values.size:
        return 0.0
    return MAD_TO_SD * float(np.median(np.abs(values - np.median(values))))


__all__ = ["MAD_TO_SD", "robust_sd"]
