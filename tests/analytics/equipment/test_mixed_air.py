"""Mixed air outside the range of return and outdoor air (G36 FC#2, FC#3)."""

from __future__ import annotations

import numpy as np

from analytics.equipment.mixed_air import MixedAirOutOfRange
from tests.analytics.equipment.factories import N, unit


def test_fc2_too_low_and_fc3_too_high() -> None:
    low = unit(mixed_c=np.full(N, -6.0))
    high = unit(mixed_c=np.full(N, 27.0))
    assert MixedAirOutOfRange().fit(low).episodes(low)
    assert MixedAirOutOfRange().fit(high).episodes(high)


def test_quiet_within_the_sensor_errors() -> None:
    # 3 K above the return air: within 2.8 K (mixed) + 1.1 K (return).
    series = unit(mixed_c=np.full(N, 24.0))
    assert MixedAirOutOfRange().fit(series).episodes(series) == []


def test_quiet_with_the_fan_off_settling_or_points_missing() -> None:
    off = unit(mixed_c=np.full(N, 27.0), fan_on=np.zeros(N))
    assert MixedAirOutOfRange().fit(off).episodes(off) == []
    short = unit(mixed_c=np.where(np.arange(N) < 40, 27.0, 15.0))  # 25 settled minutes
    assert MixedAirOutOfRange().fit(short).episodes(short) == []
    missing = unit(mixed_c=np.full(N, 27.0), outdoor_c=None)
    assert not MixedAirOutOfRange().fit(missing).score_samples(missing).any()
