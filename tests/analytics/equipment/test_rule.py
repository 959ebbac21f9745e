"""The decision every AHU rule shares, and the registry's estimator contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from analytics.equipment import RULES, default_rules
from analytics.equipment.ahu import AhuSeries
from analytics.equipment.rule import AhuRule

MINUTE = 60.0


def series(n: int, *, step_s: float = MINUTE) -> AhuSeries:
    return AhuSeries.from_points(
        {
            "times_s": np.arange(n) * step_s,
            "supply_c": np.full(n, 9.0),
            "mixed_c": np.full(n, 15.0),
            "return_c": np.full(n, 21.0),
            "outdoor_c": np.full(n, 0.0),
            "supply_setpoint_c": np.full(n, 20.0),
            "heating_valve": np.full(n, 0.4),
            "damper": np.full(n, 0.2),
            "fan_on": np.ones(n),
        }
    )


def scored(flags: list[int]) -> np.ndarray:  # type: ignore[type-arg]
    return np.array(flags, dtype=np.float64)


def test_decision_needs_the_alarm_delay_and_joins_short_gaps() -> None:
    rule = RULES["mixed_air_out_of_range"](alarm_delay_s=10 * MINUTE, min_samples=5)
    data = series(40)
    rule.fit(data)
    short = np.zeros(40)
    short[:9] = 1.0
    assert rule.decide(data, short) == []
    gapped = np.zeros(40)
    gapped[:6] = 1.0
    gapped[10:16] = 2.0  # 3-minute gap, within join_s (15 min): one episode of 12 minutes
    (episode,) = rule.decide(data, gapped)
    assert episode.start_s == 0.0
    assert episode.end_s == 16 * MINUTE
    assert episode.faulty_s == 12 * MINUTE
    assert episode.peak_score == 2.0


def test_decision_counts_durations_in_the_units_sample_interval() -> None:
    rule = RULES["mixed_air_out_of_range"](min_samples=2)
    data = series(4, step_s=15 * MINUTE)
    rule.fit(data)
    assert rule.interval_s_ == 15 * MINUTE
    assert len(rule.decide(data, np.ones(4))) == 1  # 4 x 15 min >= the 30-minute alarm delay


@pytest.mark.parametrize("cls", list(RULES.values()), ids=list(RULES))
def test_every_rule_keeps_the_estimator_contract(cls: type[AhuRule]) -> None:
    rule = cls()
    assert cls.kind in RULES
    assert clone(rule).get_params() == rule.get_params()
    assert not any(name.endswith("_") for name in vars(rule))
    data = series(120)
    assert rule.fit(data) is rule
    first = rule.score_samples(data)
    assert first.shape == (120,)
    assert (first >= 0).all()
    np.testing.assert_array_equal(first, rule.score_samples(data))


def test_default_rules_one_of_each_kind() -> None:
    assert [rule.kind for rule in default_rules()] == list(RULES)
    assert {rule.fault_condition is None for rule in default_rules()} == {True, False}
