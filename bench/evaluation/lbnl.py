"""Day-level evaluation of the AHU rules on LBNL's labelled AHU data.

Granderson et al. (2020) label each day of their AHU trends faulted or fault-free
(``Fault Detection Ground Truth``, constant over a day). This module reads such a file with
the product's reader, :func:`analytics.equipment.export.read_ahu_export` (°F → °C; the
columns differ per unit: a single-zone unit has a heating and a cooling supply setpoint, a
multi-zone unit one; ``Datetime`` is ``M/D/YYYY H:MM`` local time, read as if it were UTC so
that days stay local days), runs every rule of :func:`analytics.equipment.default_rules` with
its default tolerances (one set for all files) and counts a day as flagged when any rule
raises an episode overlapping it. The file's ``Occupancy Mode Indicator`` is the unit's
schedule. The trend-export reader has no duct static pressure field; this module reads
those columns of a variable-volume unit itself (inch of water → Pa) for the FC#1 rule.

``python -m bench.evaluation.lbnl [DATA_DIR]`` prints a table and, as its last line, the
result of :func:`evaluate_lbnl` as one JSON object.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from analytics.equipment import AhuEpisode, AhuSeries, default_rules
from analytics.equipment.export import read_ahu_export

FloatArray = npt.NDArray[np.float64]
SECONDS_PER_DAY: Final = 86_400.0
FILES: Final = ("SZCAV.csv", "MZVAV-2-2.csv")
#: The rule whose finding (a fan running outside the schedule) is not the labelled fault: the
#: figures are given with and without it.
SCHEDULE_KIND: Final = "fan_outside_hours"
#: The column of LBNL's day label.
LABEL: Final = "Fault Detection Ground Truth"


def read_lbnl(path: Path) -> tuple[AhuSeries, FloatArray]:
    """One LBNL AHU file as an :class:`AhuSeries` (SI units) and its per-sample fault label.

    Read as ``byggpuls analytics scan`` reads it (:func:`read_ahu_export`; the duct static
    pressure, logged in inch of water without a unit, in Pa), but with the times read as UTC:
    the day numbers below are then the file's own days.
    """
    export = read_ahu_export(path, timezone=dt.UTC, extra_columns=(LABEL,))
    return export.series, export.extra[LABEL]


def days_of(episodes: Iterable[AhuEpisode]) -> set[int]:
    """Day numbers (days since the epoch) that the episodes overlap."""
    found: set[int] = set()
    for episode in episodes:
        first = int(episode.start_s // SECONDS_PER_DAY)
        last = int(np.ceil(episode.end_s / SECONDS_PER_DAY)) - 1
        found.update(range(first, last + 1))
    return found


def scores_of(flagged: set[int], truth: dict[int, bool]) -> dict[str, Any]:
    """Day-level confusion counts, precision, recall and F1 of ``flagged`` against ``truth``."""
    tp = sum(1 for day, faulty in truth.items() if faulty and day in flagged)
    fp = sum(1 for day, faulty in truth.items() if not faulty and day in flagged)
    fn = sum(1 for day, faulty in truth.items() if faulty and day not in flagged)
    tn = len(truth) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def _date(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


def evaluate_file(path: Path) -> dict[str, Any]:
    """Run every rule on one file and score its days."""
    series, label = read_lbnl(path)
    day_index = np.floor(series.times_s / SECONDS_PER_DAY).astype(np.int64)
    truth = {
        int(day): bool(np.nanmax(label[day_index == day]) > 0.5) for day in np.unique(day_index)
    }
    per_rule: dict[str, Any] = {}
    flagged_all: set[int] = set()
    flagged_faults: set[int] = set()
    for rule in default_rules():
        episodes = rule.fit(series).episodes(series)
        days = days_of(episodes) & truth.keys()
        flagged_all |= days
        if rule.kind != SCHEDULE_KIND:
            flagged_faults |= days
        energy = [e.energy_kwh for e in episodes if e.energy_kwh is not None]
        per_rule[rule.kind] = {
            "fault_condition": rule.fault_condition,
            "episodes": len(episodes),
            "days": [_date(day) for day in sorted(days)],
            "energy_kwh": round(sum(energy), 1) if energy else None,
            **scores_of(days, truth),
        }
    return {
        "rows": int(series.times_s.size),
        "days": len(truth),
        "fault_days": sum(truth.values()),
        "truth": {_date(day): faulty for day, faulty in sorted(truth.items())},
        **scores_of(flagged_all, truth),
        "flagged_days": [_date(day) for day in sorted(flagged_all)],
        "without_schedule": scores_of(flagged_faults, truth),
        "per_rule": per_rule,
    }


def evaluate_lbnl(data_dir: Path) -> dict[str, Any]:
    """Day-level precision, recall and F1 of the AHU rules on each LBNL file in ``data_dir``.

    Per file: rows and days read, the figures with all rules (a day is flagged when any rule
    flags it) and without :data:`SCHEDULE_KIND`, the flagged days, and per rule its days and
    figures. ``seconds``: the run time.
    """
    started = time.perf_counter()
    files: dict[str, Any] = {}
    for name in FILES:
        path = Path(data_dir) / name
        if not path.is_file():
            raise FileNotFoundError(f"LBNL AHU file not found: {path}")
        print(f"evaluating {name} ...", file=sys.stderr, flush=True)
        files[name] = evaluate_file(path)
    return {"files": files, "seconds": round(time.perf_counter() - started, 2)}


def _table(result: dict[str, Any]) -> list[str]:
    lines = []
    for name, figures in result["files"].items():
        lines.append(
            f"{name}: {figures['rows']} rows, {figures['days']} days, "
            f"{figures['fault_days']} faulted"
        )
        lines.append(f"  {'rule':32s} {'P':>6s} {'R':>6s} {'F1':>6s}  TP FP FN TN")
        rows = [
            *figures["per_rule"].items(),
            ("all rules", figures),
            ("all but " + SCHEDULE_KIND, figures["without_schedule"]),
        ]
        for kind, scores in rows:
            lines.append(
                f"  {kind:32s} {scores['precision']:6.2f} {scores['recall']:6.2f} "
                f"{scores['f1']:6.2f}  {scores['tp']:2d} {scores['fp']:2d} "
                f"{scores['fn']:2d} {scores['tn']:2d}"
            )
        for day, faulty in figures["truth"].items():
            kinds = [k for k, s in figures["per_rule"].items() if day in s["days"]]
            lines.append(f"    {day} {'fault' if faulty else 'ok   '} {', '.join(kinds) or '-'}")
    lines.append(f"run time {result['seconds']:.1f} s")
    return lines


def main(argv: list[str]) -> None:
    """Print the table and, last, the result as one JSON line."""
    default = Path(__file__).resolve().parents[3] / "shared" / "data" / "lbnl_ahu"
    data_dir = Path(argv[1]) if len(argv) > 1 else default
    result = evaluate_lbnl(data_dir)
    print("\n".join(_table(result)))
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv)
