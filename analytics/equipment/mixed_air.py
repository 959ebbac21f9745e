"""Mixed air outside the range of the return and outdoor air it is mixed from (G36 FC#2, FC#3).

Mixing cannot make air colder than the colder of its two streams nor warmer than the warmer,
so a mixed-air reading outside that range, by more than the three sensors' stated errors,
means a sensor that reads wrong (misplaced in stratified air, drifted, swapped) — and every
rule that uses the mixed air then judges on a false reading. G36 FC#2 (too low):
``MAT + εMAT < min(RAT - εRAT, OAT - εOAT)``; FC#3 (too high):
``MAT - εMAT > max(RAT + εRAT, OAT + εOAT)``. Judged in every mode with the supply fan running
and settled: with the fan stopped the duct sensors read the plant room.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from analytics.equipment.ahu import (
    ALARM_DELAY_S,
    MIXED_ERROR_K,
    MODE_DELAY_S,
    OUTDOOR_ERROR_K,
    RETURN_ERROR_K,
    AhuSeries,
    FloatArray,
    operating_modes,
    settled,
)
from analytics.equipment.rule import AhuRule


class MixedAirOutOfRange(AhuRule):
    """Finds mixed air colder or warmer than both air streams it is mixed from.

    Sign convention: :meth:`score_samples` is how far the mixed air lies beyond G36's limit,
    in multiples of the mixed-air sensor's error ``mixed_error_k`` (0: within or not judged).
    Needs mixed, return and outdoor air temperatures; the fan status gates it.
    """

    kind: ClassVar[str] = "mixed_air_out_of_range"
    fault_condition: ClassVar[str | None] = "G36 FC#2/FC#3"
    needs: ClassVar[tuple[str, ...]] = ("mixed_c", "return_c", "outdoor_c")

    def __init__(
        self,
        *,
        mixed_error_k: float = MIXED_ERROR_K,
        return_error_k: float = RETURN_ERROR_K,
        outdoor_error_k: float = OUTDOOR_ERROR_K,
        mode_delay_s: float = MODE_DELAY_S,
        alarm_delay_s: float = ALARM_DELAY_S,
        join_s: float = MODE_DELAY_S,
        min_samples: int = 10,
    ) -> None:
        self.mixed_error_k = mixed_error_k
        self.return_error_k = return_error_k
        self.outdoor_error_k = outdoor_error_k
        self.mode_delay_s = mode_delay_s
        self.alarm_delay_s = alarm_delay_s
        self.join_s = join_s
        self.min_samples = min_samples

    def _score(self, series: AhuSeries) -> FloatArray:
        modes = operating_modes(series)
        judged = settled(series.times_s, modes, delay_s=self.mode_delay_s)
        low_c = np.minimum(
            series.return_c - self.return_error_k, series.outdoor_c - self.outdoor_error_k
        )
        high_c = np.maximum(
            series.return_c + self.return_error_k, series.outdoor_c + self.outdoor_error_k
        )
        too_low_k = low_c - (series.mixed_c + self.mixed_error_k)
        too_high_k = (series.mixed_c - self.mixed_error_k) - high_c
        beyond_k = np.fmax(too_low_k, too_high_k)
        scores: FloatArray = np.where(judged & (beyond_k > 0), beyond_k / self.mixed_error_k, 0.0)
        return scores


__all__ = ["MixedAirOutOfRange"]
