"""Logging set-up for every service: human-readable lines, or one JSON object per line.

Structured fields passed with ``extra=`` appear as ``key=value`` after a text line, and as
fields of the object in JSON lines.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# Libraries that log every packet, migration step or state change at INFO.
_QUIET = ("alembic", "amqtt", "transitions", "httpx", "httpcore", "uvicorn.access", "pymodbus")
#: Attributes every LogRecord has; anything else on a record came in through ``extra=``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class LogLevel(StrEnum):
    """The levels a service may log at (``BYGGPULS_LOG_LEVEL``, ``--log-level``)."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class TextFormatter(logging.Formatter):
    """The text format, with the record's structured fields appended as ``key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        if not fields:
            return line
        return line + " " + " ".join(f"{key}={value}" for key, value in fields.items())


def configure(*, level: str = "INFO", json_lines: bool = False) -> None:
    """Send log records to stderr, as text or as JSON lines (for a log shipper)."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        from pythonjsonlogger.json import JsonFormatter  # only then: a gateway's memory counts

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
