"""The health ranking's figures, on hand-made scores whose answer is known."""

from __future__ import annotations

import pytest

from bench.evaluation.health import Scored, ranking


def scored(score: float | None, faulty: bool, kwh: float = 0.0) -> Scored:
    return Scored(building="b", score=score, faulty=faulty, injected_kwh=kwh)


def test_separated_when_every_fault_free_building_is_above_every_faulty_one() -> None:
    figures = ranking(
        [
            scored(98.0, False),
            scored(95.5, False),
            scored(90.0, True, 500.0),
            scored(70.0, True, 3000.0),
        ]
    )
    assert figures["separated"] is True
    assert figures["pairs_ordered_share"] == 1.0
    assert (figures["lowest_fault_free"], figures["highest_faulty"]) == (95.5, 90.0)
    assert figures["spearman_score_vs_injected_kwh"] == pytest.approx(-0.949, abs=1e-3)


def test_not_separated_when_a_faulty_building_scores_above_a_fault_free_one() -> None:
    figures = ranking([scored(80.0, False), scored(99.0, False), scored(90.0, True, 100.0)])
    assert figures["separated"] is False
    assert figures["pairs_ordered_share"] == 0.5
    assert figures["unknown"] == 0


def test_unknown_scores_are_counted_and_left_out() -> None:
    figures = ranking([scored(None, False), scored(99.0, False), scored(90.0, True, 100.0)])
    assert figures["unknown"] == 1
    assert figures["fault_free"] == 1
    assert figures["separated"] is True
