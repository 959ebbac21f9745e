"""Log lines: structured fields are visible in text and in JSON."""

from __future__ import annotations

import json
import logging

import pytest

from byggpuls import logs


@pytest.fixture
def restore_logging() -> object:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_text_lines_carry_the_structured_fields(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(level="INFO")
    logging.getLogger("byggpuls.test").info("ingest summary", extra={"readings_written": 42})
    line = capsys.readouterr().err.strip()
    assert line.endswith("byggpuls.test: ingest summary readings_written=42")


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_are_objects_with_the_fields(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(level="INFO", json_lines=True)
    logging.getLogger("byggpuls.test").warning("spool full", extra={"dropped": 7})
    record = json.loads(capsys.readouterr().err)
    assert record["message"] == "spool full"
    assert record["level"] == "WARNING"
    assert record["logger"] == "byggpuls.test"
    assert record["dropped"] == 7


@pytest.mark.usefixtures("restore_logging")
def test_chatty_libraries_are_quiet_at_info(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(level="INFO")
    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    assert capsys.readouterr().err == ""
