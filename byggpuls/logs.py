"""Logging set-up for every service: human-readable lines, or one JSON object per line."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# Libraries that log every packet or state change at INFO.
_QUIET = ("amqtt", "transitions", "httpx", "httpcore", "uvicorn.access", "pymodbus")


def configure(*, level: str = "INFO", json_lines: bool = False) -> None:
    """Send log records to stderr, as text or as JSON lines (for a log shipper)."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
