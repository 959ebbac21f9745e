"""``byggpuls``: every command refuses a bad setting at its start, in one paragraph, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.processes import assert_refused, run_with


@pytest.mark.parametrize("command", ["ingest", "api", "analytics", "gateway"])
def test_a_bad_log_level_is_refused_at_start(command: str, tmp_path: Path) -> None:
    result = run_with(command, tmp_path / "var", BYGGPULS_LOG_LEVEL="loud")
    assert_refused(
        result,
        f"byggpuls {command}:",
        "BYGGPULS_LOG_LEVEL",
        "'DEBUG', 'INFO', 'WARNING' or 'ERROR'",
    )
    assert not (tmp_path / "var").exists()  # refused before the service opened anything


def test_a_bad_log_format_is_refused_at_start(tmp_path: Path) -> None:
    result = run_with("ingest", tmp_path / "var", BYGGPULS_LOG_JSON="maybe")
    assert_refused(result, "BYGGPULS_LOG_JSON", "use true or false")


def test_a_service_setting_is_refused_the_same_way(tmp_path: Path) -> None:
    result = run_with("api", tmp_path / "var", BYGGPULS_API_PORT="eighty")
    assert_refused(result, "byggpuls api:", "BYGGPULS_API_PORT")
