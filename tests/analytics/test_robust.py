"""The robust spread every detector judges noise by."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.robust import robust_sd


def test_it_is_the_standard_deviation_of_normal_noise() -> None:
    values = np.random.default_rng(1).normal(10.0, 2.0, 100_000)
    assert robust_sd(values) == pytest.approx(2.0, rel=0.02)


def test_a_fault_in_a_tenth_of_the_values_hardly_moves_it() -> None:
    values = np.random.default_rng(2).normal(10.0, 2.0, 10_000)
    faulty = values.copy()
    faulty[:1_000] += 50.0
    assert robust_sd(faulty) < 1.3 * robust_sd(values)
    assert np.std(faulty) > 5 * np.std(values)


def test_no_values_have_no_spread() -> None:
    assert robust_sd(np.zeros(0)) == 0.0
