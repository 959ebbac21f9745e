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


def test_legitimate_use_round_trips_and_says_it_is_not_a_fault(tmp_path: Path, backfill) -> None:
    records = backfill.truth + backfill.legitimate
    assert len(backfill.legitimate) > 100
    path = tmp_path / "truth.jsonl"
    write_ground_truth(path, records)
    assert read_ground_truth(path) == records
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["fault"] for line in lines] == [r.fault for r in records]
    legitimate = [line for line in lines if not line["fault"]]
    assert {line["kind"] for line in legitimate} == {"legitimate_use"}
    assert {line["params"]["activity"] for line in legitimate} >= {"cleaning", "community_use"}


def test_a_file_written_before_legitimate_use_existed_is_read_as_faults(tmp_path: Path) -> None:
    # The fields of an older file: no "fault" (every record was a fault then).
    old = {
        "building": "skole-01",
        "kind": "after_hours_ventilation",
        "start": 1767801600.0,
        "end": 1768024800.0,
        "points": ["ahu1.supply_fan_status", "el.power"],
        "extra_energy_kwh": 812.4,
        "extra_electricity_kwh": 455.1,
        "extra_heat_kwh": 357.3,
        "accounted_until": 1768111200.0,
        "params": {},
        "start_utc": "2026-01-07T16:00:00+00:00",
        "end_utc": "2026-01-10T06:00:00+00:00",
    }
    path = tmp_path / "truth.jsonl"
    path.write_text(json.dumps(old) + "\n", encoding="utf-8")
    (record,) = read_ground_truth(path)
    assert record.fault is True
    assert record.kind == "after_hours_ventilation"
    assert record.extra_heat_kwh == 357.3
    write_ground_truth(path, [record])
    assert json.loads(path.read_text(encoding="utf-8"))["fault"] is True


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
        (
            '{"building": "b", "kind": "k", "start": 1, "end": 2, "points": [],'
            ' "extra_energy_kwh": 0, "fault": "no"}',
            "'fault' must be true or false",
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
