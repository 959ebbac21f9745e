"""The AHU rules on LBNL's labelled AHU data: the day-level figures they reach.

The thresholds are the figures measured with the default (G36) tolerances, rounded down to
0.05: a change that makes the rules worse on real faults fails here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bench.evaluation.lbnl import FILES, evaluate_lbnl

DEFAULT_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
ROWS = {"SZCAV.csv": 21_600, "MZVAV-2-2.csv": 37_440}
DAYS = {"SZCAV.csv": (15, 14), "MZVAV-2-2.csv": (26, 13)}


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    data = Path(os.environ.get("BYGGPULS_SHARED_DATA", DEFAULT_DATA)) / "lbnl_ahu"
    missing = [name for name in FILES if not (data / name).is_file()]
    if missing:
        pytest.fail(f"LBNL AHU data not found: looked for {missing} in {data.resolve()}")
    return evaluate_lbnl(data)


def test_every_file_read_whole(result: dict[str, Any]) -> None:
    for name, figures in result["files"].items():
        assert figures["rows"] == ROWS[name]
        assert (figures["days"], figures["fault_days"]) == DAYS[name]


@pytest.mark.parametrize(
    ("name", "precision", "recall"),
    [("SZCAV.csv", 0.9, 1.0), ("MZVAV-2-2.csv", 1.0, 0.9)],
)
def test_all_rules(result: dict[str, Any], name: str, precision: float, recall: float) -> None:
    figures = result["files"][name]
    assert figures["precision"] >= precision
    assert figures["recall"] >= recall


@pytest.mark.parametrize(
    ("name", "precision", "recall"),
    [("SZCAV.csv", 1.0, 0.7), ("MZVAV-2-2.csv", 1.0, 0.75)],
)
def test_fault_rules_without_the_schedule(
    result: dict[str, Any], name: str, precision: float, recall: float
) -> None:
    figures = result["files"][name]["without_schedule"]
    assert figures["precision"] >= precision
    assert figures["recall"] >= recall


def test_fault_rules_raise_no_false_alarm(result: dict[str, Any]) -> None:
    for figures in result["files"].values():
        for kind, rule in figures["per_rule"].items():
            if kind != "fan_outside_hours":
                assert rule["fp"] == 0, f"{kind} flagged a fault-free day: {rule['days']}"
