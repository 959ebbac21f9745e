"""How the scan commands write times and missing values, and their progress lines: shared by
the meter scan (:mod:`cli.commands.analytics`) and the AHU scan
(:mod:`cli.commands.ahu_report`), so both read alike. Like every command module it imports
nothing heavy at the top: ``byggpuls --help`` loads it."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from typing import Any

#: A table's column: its title, how a row's cell is written, and whether it aligns right.
Column = tuple[str, Callable[[dict[str, Any]], str], bool]


def or_dash(form: str, value: float | None) -> str:
    """``value`` in ``form``, or ``-`` when there is none."""
    return "-" if value is None else form.format(value)


def local_iso(iso: str) -> str:
    """An ISO 8601 time with offset as the local time it names, to the minute."""
    return iso[:16].replace("T", " ")


def iso(time_s: float) -> str:
    """A UTC epoch time as ISO 8601 in Norwegian time, with its offset."""
    from byggpuls.calendar import TIMEZONE

    return dt.datetime.fromtimestamp(time_s, TIMEZONE).isoformat(timespec="seconds")


def local(time_s: float) -> str:
    """A UTC epoch time as Norwegian local time, to the minute."""
    from byggpuls.calendar import TIMEZONE

    return dt.datetime.fromtimestamp(time_s, TIMEZONE).strftime("%Y-%m-%d %H:%M")


def progress(line: str) -> None:
    """A line of what the command read or does, on stderr (stdout carries the findings)."""
    print(line, file=sys.stderr, flush=True)


def table(columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> list[str]:
    """``rows`` as the lines of a text table under the columns' titles, each column as wide
    as its widest cell, numbers aligned right."""
    cells = [[title for title, _, _ in columns]]
    cells += [[cell(row) for _, cell, _ in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = []
    for line in cells:
        padded = [
            text.rjust(width) if right else text.ljust(width)
            for text, width, (_, _, right) in zip(line, widths, columns, strict=True)
        ]
        lines.append("  ".join(padded).rstrip())
    return lines
