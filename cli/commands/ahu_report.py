"""``byggpuls analytics scan`` of an air handling unit's trend export: every AHU rule once over
the file with its default (G36) tolerances, the episodes on stdout as a table or as JSON lines,
and what was read on stderr, as the meter scan does.

Imported only when such a scan runs; the rules and the reader are imported by :func:`scan_ahu`.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from cli.commands.scan_text import Column, iso, local, local_iso, or_dash, progress, table

if TYPE_CHECKING:
    from analytics.equipment import AhuEpisode, AhuRule, AhuSeries
    from analytics.equipment.export import AhuExport

#: A rule and the episodes it raised.
Judged = tuple["AhuRule", list["AhuEpisode"]]
#: The table's columns: (title, the cell of an episode's row, right-aligned).
TABLE: Final[tuple[Column, ...]] = (
    ("rule", lambda row: str(row["kind"]), False),
    ("fault condition", lambda row: row["fault_condition"] or "-", False),
    ("start", lambda row: local_iso(row["start"]), False),
    ("end", lambda row: local_iso(row["end"]), False),
    ("hours", lambda row: f"{row['hours']:.1f}", True),
    ("energy kWh", lambda row: or_dash("{:.1f}", row["energy_kwh"]), True),
    ("detail", lambda row: str(row["detail"]), False),
)


def scan_ahu(args: argparse.Namespace) -> int:
    """Read the export, run every rule, print the episodes; what was read goes to stderr."""
    from analytics.equipment import default_rules
    from analytics.equipment.export import FIELDS, read_ahu_export

    started = time.monotonic()
    export = read_ahu_export(
        args.file,
        columns=columns_of(args.column or ()),
        temperature_unit=args.temperature_unit,
        progress=progress,
    )
    progress(
        f"{args.file.name}: an air handling unit's trend export, {export.rows} rows, one every "
        f"{export.step_s / 60:g} min"
    )
    for field, column in export.used.items():
        progress(f"{FIELDS[field].label}: {column}")
    for note in export.notes:
        progress(f"note: {note}")
    series = export.series
    rules = default_rules(building_type=args.type)
    progress(f"judging with {len(rules)} rules, each with its default (G36) tolerances")
    judged = [(rule, rule.fit(series).episodes(series)) for rule in rules]
    name = args.building or args.file.stem
    rows = sorted(
        (episode_row(episode, rule, building=name) for rule, found in judged for episode in found),
        key=lambda row: (row["start"], row["kind"]),
    )
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        print(report(name, export, judged, rows))
    progress(f"done in {time.monotonic() - started:.1f} s")
    return 0


def columns_of(options: Sequence[str]) -> dict[str, str]:
    """``--column FIELD=HEADER`` options as field -> header."""
    from analytics.scan import ScanError

    columns = {}
    for option in options:
        field, equals, header = option.partition("=")
        if not equals or not field.strip() or not header.strip():
            raise ScanError(
                f"--column {option}: write the field, '=' and the column's header, such as "
                "--column supply_c='Tilluft temperatur'"
            )
        columns[field.strip()] = header.strip()
    return columns


def episode_row(episode: AhuEpisode, rule: AhuRule, *, building: str) -> dict[str, Any]:
    """An episode as the table and the JSON lines show it."""
    energy = episode.energy_kwh
    return {
        "building": building,
        "kind": episode.kind,
        "fault_condition": rule.fault_condition,
        "start": iso(episode.start_s),
        "end": iso(episode.end_s),
        "hours": round((episode.end_s - episode.start_s) / 3600, 2),
        "faulty_hours": round(episode.faulty_s / 3600, 2),
        "energy_kwh": None if energy is None else round(energy, 1),
        "peak_score": round(episode.peak_score, 2),
        "detail": episode.detail,
    }


def report(
    name: str, export: AhuExport, judged: Sequence[Judged], rows: Sequence[dict[str, Any]]
) -> str:
    """The episodes as a table, then what each rule found or why it could not judge."""
    times_s = export.series.times_s
    span = f"{local(float(times_s[0]))} to {local(float(times_s[-1]) + export.step_s)}"
    days = times_s.size * export.step_s / 86_400
    lines = [f"{name} (air handling unit), {span}: {days:.1f} days of data", ""]
    if rows:
        lines += table(TABLE, rows)
    else:
        lines.append("no episodes: no rule found a fault")
    lines += ["", "per rule:"]
    lines += [f"  {_summary(rule, found, export.series)}" for rule, found in judged]
    return "\n".join(lines)


def _summary(rule: AhuRule, found: list[AhuEpisode], series: AhuSeries) -> str:
    """One rule's episodes in a line, or the points it could not judge without."""
    from analytics.equipment.export import FIELDS

    title = f"{rule.kind} ({rule.fault_condition or 'no G36 number'})"
    if not rule.has_points(series):
        missing = [FIELDS[name].label for name in rule.needs if not _has(series, name)]
        return f"{title}: not judged: no {' or '.join(missing)} column"
    if not found:
        return f"{title}: nothing found"
    hours = sum(e.end_s - e.start_s for e in found) / 3600
    text = f"{title}: {len(found)} episode{'s' * (len(found) > 1)}, {hours:.1f} h"
    energy = [e.energy_kwh for e in found if e.energy_kwh is not None]
    if energy:
        text += f", {sum(energy):.0f} kWh"
    elif rule.energy_delta_k(series) is not None:
        text += ", energy unknown (no supply airflow column)"
    return text


def _has(series: AhuSeries, name: str) -> bool:
    import numpy as np

    values = getattr(series, name)
    return values is not None and (values.dtype == np.bool_ or bool(np.isfinite(values).any()))
