"""``byggpuls analytics scan FILE.csv``: a building's export in, its findings out; and
``byggpuls analytics [--once]`` as it always was."""

from __future__ import annotations

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
