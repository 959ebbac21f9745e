from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulation import (
    GroundTruthError,
    GroundTruthFault,
    read_ground_truth,
    write_ground_truth,
)


def test_ground_truth_round_trips_through_the_file(tmp_path: Path, backfill) -> None:
    faults = backfill.truth
    assert len(faults) >= 8
    assert any(f.kind == "meter_gap" or f.params for f in faults)
    path = tmp_path / "truth.jsonl"
    write_ground_truth(path, faults)
    assert read_ground_truth(path) == faults
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(faults)
    first = json.loads(lines[0])
    assert first["start_utc"].endswith("+00:00")
    assert set(first) >= {"building", "kind", "start", "end", "points", "extra_energy_kwh"}


def test_an_empty_list_and_unknown_fields_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "truth.jsonl"
    write_ground_truth(path, [])
    assert read_ground_truth(path) == []
    minimal = {"building": "b-01", "kind": "window_open", "start": 1, "end": 2.5, "points": []}
    path.write_text(json.dumps({**minimal, "extra_energy_kwh": 3, "note": "by hand"}) + "\n\n")
    assert read_ground_truth(path) == [
        GroundTruthFault("b-01", "window_open", 1.0, 2.5, (), 3.0, accounted_until=None)
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "Expecting value"),
        ('["a list"]', "expected a JSON object"),
        ('{"building": "b", "kind": "k", "start": 1, "end": 2, "points": []}', "extra_energy_kwh"),
        (
            '{"building": "b", "kind": "k", "start": "soon", "end": 2, "points": [],'
            ' "extra_energy_kwh": 0}',
            "'start' must be a finite number",
        ),
    ],
)
def test_a_malformed_line_is_reported_with_its_number(
    tmp_path: Path, line: str, reason: str
) -> None:
    good = (
        '{"building": "b", "kind": "k", "start": 1, "end": 2, "points": [], "extra_energy_kwh": 0}'
    )
    path = tmp_path / "truth.jsonl"
    path.write_text(good + "\n" + line + "\n")
    with pytest.raises(GroundTruthError, match=f"line 2: .*{reason}"):
        read_ground_truth(path)
