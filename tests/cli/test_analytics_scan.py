"""``byggpuls analytics scan FILE.csv``: a building's export in, its findings out; and
``byggpuls analytics [--once]`` as it always was."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cli.main import build_parser, main
from simulation.faults import GroundTruthFault
from tests.analytics.test_scan import (
    assert_found_when,
    at,
    write_school_export,
    write_synthetic,
)
from tests.processes import REFUSAL_DEADLINE_S, REPO, byggpuls

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruthFault]:
    path = tmp_path_factory.mktemp("scan") / "skole.csv"
    return path, write_school_export(path)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    """``byggpuls ARGS`` in this process: its exit code, stdout and stderr. The logging it
    configures is undone afterwards."""
    loggers = [logging.getLogger(), *map(logging.getLogger, logging.root.manager.loggerDict)]
    saved = [(logger, logger.handlers[:], logger.level) for logger in loggers]

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    for logger, handlers, level in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)


def scan(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYGGPULS_")}
    return subprocess.run(
        byggpuls("analytics", "scan", *args),
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=REFUSAL_DEADLINE_S,
        check=False,
    )


@pytest.mark.slow
def test_the_table_shows_the_ventilation_left_on_and_each_baselines_fit(
    school: tuple[Path, GroundTruthFault],
) -> None:
    path, fault = school
    result = scan(str(path), "--type", "school", "--building", "Minde skole")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Minde skole (school), judged 2026-01-19 00:00 to 2026-02-09 00:00"
    header = next(line for line in lines if line.startswith("finding"))
    for title in ("points", "start", "end", "hours", "waste kWh", "NOK", "confidence", "detail"):
        assert title in header
    (row,) = [line for line in lines if line.startswith("running outside opening hours")]
    cells = row.split()
    assert cells[4:6] == ["el,", "dh"]  # the fans' electricity and their heating coil's heat
    start, end = (f"{cells[i]} {cells[i + 1]}+01:00" for i in (6, 8))
    assert_found_when(at(start), at(end), fault)
    waste_kwh = float(cells[11])
    assert waste_kwh > 0.5 * (fault.extra_electricity_kwh + fault.extra_heat_kwh)
    # Priced with the flat defaults: 1.25 NOK/kWh electricity all in, 1.00 district heat.
    assert int(cells[12]) >= round(1.0 * waste_kwh) - 1
    assert cells[13].endswith("%")
    assert "hours outside opening hours" in row
    assert any(line.startswith("  el (electricity): CV(RMSE)") for line in lines)
    assert any(line.startswith("  dh (heat): CV(RMSE)") for line in lines)
    # What was read goes to stderr, for the person to check.
    assert "electricity: el [kWh] (kWh used in each 15 min)" in result.stderr
    assert "outdoor: utetemp [°C]" in result.stderr


def test_json_lines_one_finding_each_and_nothing_else(
    run: Run, school: tuple[Path, GroundTruthFault]
) -> None:
    path, fault = school
    code, out, err = run("analytics", "scan", str(path), "--type", "school", "--json")

    assert code == 0, err
    findings = [json.loads(line) for line in out.splitlines()]
    assert findings
    for finding in findings:
        assert {"start", "end", "kind", "points", "waste_kwh", "confidence", "detail"} <= set(
            finding
        )
        assert finding["start"][-6:] in ("+01:00", "+02:00")
    (found,) = [f for f in findings if f["kind"] == "after_hours_operation"]
    assert found["points"] == ["el", "dh"]
    assert_found_when(at(found["start"]), at(found["end"]), fault)
    assert found["waste_kwh"] > 0.5 * fault.extra_electricity_kwh
    assert 0 < found["confidence"] <= 1
    # Priced with the flat defaults: 1.25 NOK/kWh electricity all in, 1.00 district heat.
    assert found["waste_nok"] >= round(1.00 * found["waste_kwh"]) - 1
    assert found["prices"]["price_source"] == "flat default"
    # 0.136 kg/kWh electricity, 0.030 district heat (the defaults).
    assert 0.030 * found["waste_kwh"] < found["co2e_kg"] < 0.136 * found["waste_kwh"]
    assert found["fit"]["passes"] is True
    assert set(found["fit"]) == {"cv_rmse_pct", "nmbe_pct", "hours", "passes"}
    assert found["baseline_out_of_sample"]["cv_rmse_pct"] <= 30
    assert "judged from 2026-01-19 00:00" in err


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("el [kWh];dh [kWh]\n12,5;3,1", ["no time column"]),
        ("time;el [kWh]\n2026-01-05 07:00;12,5\n5th of January;3,1", ["line 3", "not a time"]),
        ("time;utetemp [°C]\n2026-01-05 07:00;-3,5", ["no energy column found"]),
        ("time;el\n2026-01-05 07:00;12,5", ["'el' has no unit"]),
        ("time;el [kVAh]\n2026-01-05 07:00;12,5", ["unknown unit, 'kVAh'"]),
    ],
    ids=["no time column", "a bad time", "no energy column", "no unit", "an unknown unit"],
)
def test_a_file_it_cannot_read_exits_2_saying_what_to_fix(
    run: Run, tmp_path: Path, text: str, words: list[str]
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(text + "\n")
    assert_refused(run("analytics", "scan", str(path)), *words)


def test_less_than_three_weeks_exits_2(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "two-weeks.csv"
    write_synthetic(path, days=14)
    assert_refused(run("analytics", "scan", str(path)), "needs at least 3 weeks")


def test_a_missing_file_exits_2(run: Run, tmp_path: Path) -> None:
    assert_refused(run("analytics", "scan", str(tmp_path / "nowhere.csv")), "cannot read")


def assert_refused(result: tuple[int, str, str], *words: str) -> None:
    """Exit code 2, nothing on stdout, one paragraph on stderr with ``words``."""
    code, out, err = result
    assert code == 2, err
    assert out == ""
    message = err.strip()
    assert message.startswith("byggpuls analytics: ")
    assert "\n" not in message
    for word in words:
        assert word in message


@pytest.mark.slow
def test_analytics_and_its_once_option_still_run_the_service(tmp_path: Path) -> None:
    assert build_parser(["analytics", "--once"]).parse_args(["analytics", "--once"]).once
    args = build_parser(["analytics"]).parse_args(["analytics", "--interval", "60"])
    assert (args.analytics_command, args.once, args.interval) == (None, False, 60)

    env = {k: v for k, v in os.environ.items() if not k.startswith("BYGGPULS_")}
    env["BYGGPULS_DATA_DIR"] = str(tmp_path / "var")
    result = subprocess.run(
        byggpuls("analytics", "--once"),
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=REFUSAL_DEADLINE_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "analysed 0 of 0 buildings" in result.stderr
    assert (tmp_path / "var").is_dir()  # the service opened its embedded stores


def test_the_help_says_how_to_scan_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser(["analytics"])
    with pytest.raises(SystemExit, match="0"):
        parser.parse_args(["analytics", "--help"])
    assert "scan" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="0"):
        parser.parse_args(["analytics", "scan", "--help"])
    usage = capsys.readouterr().out
    for words in ("FILE.csv", "el_counter [kWh]", "--electricity COLUMN", "--json", "--type"):
        assert words in usage
    for words in ("--ahu", "--column FIELD=HEADER", "--fahrenheit", "--celsius", "'tilluft'"):
        assert words in usage


AHU_HEADER = (
    "Datetime,AHU: Supply Air Temperature [°C],AHU: Supply Air Temperature Set Point [°C],"
    "AHU: Mixed Air Temperature [°C],AHU: Return Air Temperature [°C],"
    "AHU: Outdoor Air Temperature [°C],AHU: Heating Coil Valve Control Signal [%],"
    "AHU: Cooling Coil Valve Control Signal [%],AHU: Outdoor Air Damper Control Signal [%],"
    "AHU: Supply Air Fan Status,Occupancy Mode Indicator"
)


def write_ahu_export(path: Path) -> Path:
    """Three hours of a unit heating on a winter morning, 1-minute rows, with both valves 30 %
    open throughout: the heating and the cooling coil fight each other."""
    start = dt.datetime(2026, 1, 5, 8, 0)
    rows = [
        f"{(start + dt.timedelta(minutes=m)).strftime('%Y-%m-%d %H:%M')},16,16,15,21,0,30,30,20,1,1"
        for m in range(180)
    ]
    path.write_text("\n".join([AHU_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_an_ahu_export_gets_the_ahu_rules_and_a_table_of_episodes(run: Run, tmp_path: Path) -> None:
    path = write_ahu_export(tmp_path / "aggregat.csv")
    code, out, err = run("analytics", "scan", str(path), "--building", "Minde skole")

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "Minde skole (air handling unit), 2026-01-05 08:00 to 2026-01-05 11:00: 0.1 days of data"
    )
    header = next(line for line in lines if line.startswith("rule"))
    for title in ("fault condition", "start", "end", "hours", "energy kWh", "detail"):
        assert title in header
    (row,) = [line for line in lines if line.startswith("simultaneous_heating_cooling ")]
    assert "G36 FC#14/FC#15 (FC#5, FC#12)" in row
    # Judged once the mode has held for G36's 15 minutes, to the end of the file.
    assert "2026-01-05 08:15  2026-01-05 11:00" in row
    assert "2.8" in row.split()
    summary = lines[lines.index("per rule:") + 1 :]
    assert summary[0] == (
        "  simultaneous_heating_cooling (G36 FC#14/FC#15 (FC#5, FC#12)): 1 episode, 2.8 h, "
        "energy unknown (no supply airflow column)"
    )
    for kind in ("damper_out_of_position", "supply_temp_off_setpoint", "mixed_air_out_of_range"):
        assert any(line.startswith(f"  {kind} (") and "nothing found" in line for line in summary)
    assert "  fan_outside_hours (no G36 number): nothing found" in summary
    # What was read goes to stderr, for the person to check.
    assert "an air handling unit's trend export, 180 rows, one every 1 min" in err
    assert (
        "heating coil valve: AHU: Heating Coil Valve Control Signal [%] (%, converted to 0-1)"
        in err
    )
    assert "supply air temperature: AHU: Supply Air Temperature [°C] (°C)" in err


def test_an_ahu_scan_prints_json_lines_one_episode_each(run: Run, tmp_path: Path) -> None:
    path = write_ahu_export(tmp_path / "aggregat.csv")
    code, out, err = run("analytics", "scan", str(path), "--json")

    assert code == 0, err
    (episode,) = [json.loads(line) for line in out.splitlines()]
    assert episode["building"] == "aggregat"
    assert episode["kind"] == "simultaneous_heating_cooling"
    assert episode["fault_condition"] == "G36 FC#14/FC#15 (FC#5, FC#12)"
    assert (episode["start"], episode["end"]) == (
        "2026-01-05T08:15:00+01:00",
        "2026-01-05T11:00:00+01:00",
    )
    assert episode["hours"] == 2.75
    assert episode["faulty_hours"] == 2.75
    assert episode["energy_kwh"] is None
    assert episode["peak_score"] > 0


def test_ahu_options_on_a_file_without_a_supply_air_column_exit_2(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "aggregat.csv"
    path.write_text("time;blandeluft [°C];varmeventil [%];vifte\n2026-01-05 07:00;12;40;1\n")
    assert_refused(
        run("analytics", "scan", str(path), "--ahu"),
        "no supply air temperature column",
        "the file has: 'time', 'blandeluft [°C]', 'varmeventil [%]', 'vifte'",
    )
    assert_refused(
        run("analytics", "scan", str(path), "--column", "supply_c"), "--column supply_c: write"
    )


def test_a_file_with_a_supply_air_column_alone_is_read_as_a_meter_export(
    run: Run, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("time;tilluft [°C];utetemp [°C]\n2026-01-05 07:00;20;-3\n")
    assert_refused(run("analytics", "scan", str(path)), "no energy column found")


def test_the_lbnl_single_zone_unit_is_flagged_on_the_days_lbnl_labels_faulty(
    run: Run, shared_data: Path
) -> None:
    path = shared_data / "lbnl_ahu" / "SZCAV.csv"
    faulty: dict[str, bool] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            day = dt.datetime.strptime(row["Datetime"], "%m/%d/%Y %H:%M").date().isoformat()
            faulty[day] = faulty.get(day, False) or float(row["Fault Detection Ground Truth"]) > 0

    code, out, err = run("analytics", "scan", str(path), "--json")

    assert code == 0, err
    episodes = [json.loads(line) for line in out.splitlines()]
    # The fan-schedule rule reports the unit's schedule, not LBNL's faults: judge the others.
    days = {e["start"][:10] for e in episodes if e["kind"] != "fan_outside_hours"}
    assert days <= {day for day, fault in faulty.items() if fault}
    assert len(days) >= 9, days
    assert {e["kind"] for e in episodes} >= {
        "simultaneous_heating_cooling",
        "damper_out_of_position",
        "supply_temp_off_setpoint",
    }
    assert "SZCAV.csv: an air handling unit's trend export, 21600 rows" in err
    assert "read as °F" in err
