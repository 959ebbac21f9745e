"""How the scan commands write times and missing values."""

from __future__ import annotations

import datetime as dt

import pytest

from cli.commands.scan_text import iso, local, local_iso, or_dash, progress, table

WINTER_S = dt.datetime(2026, 1, 5, 6, 30, tzinfo=dt.UTC).timestamp()
SUMMER_S = dt.datetime(2026, 7, 6, 6, 30, tzinfo=dt.UTC).timestamp()


def test_times_are_norwegian_with_the_offset_of_their_season() -> None:
    assert iso(WINTER_S) == "2026-01-05T07:30:00+01:00"
    assert iso(SUMMER_S) == "2026-07-06T08:30:00+02:00"
    assert local(WINTER_S) == "2026-01-05 07:30"
    assert local_iso(iso(SUMMER_S)) == "2026-07-06 08:30"


def test_a_missing_value_is_a_dash() -> None:
    assert or_dash("{:.1f}", None) == "-"
    assert or_dash("{:.1f}", 2.25) == "2.2"
    assert or_dash("{}", 0.0) == "0.0"


def test_progress_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    progress("reading SZCAV.csv")
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "reading SZCAV.csv\n")


def test_a_table_is_as_wide_as_its_widest_cells_with_numbers_on_the_right() -> None:
    columns = (
        ("rule", lambda row: str(row["kind"]), False),
        ("hours", lambda row: or_dash("{:.1f}", row["hours"]), True),
    )
    rows = [{"kind": "damper_out_of_position", "hours": 3.75}, {"kind": "fan", "hours": None}]
    assert table(columns, rows) == [
        "rule                    hours",
        "damper_out_of_position    3.8",
        "fan                         -",
    ]
