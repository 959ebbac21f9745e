"""``byggpuls analytics``: run the detectors now and then, and keep their findings; or, with
``scan FILE.csv``, run them once over a building's own export and print what they find (the
AHU rules over an air handling unit's export: :mod:`cli.commands.ahu_report`).

This module is imported to build the command line of every ``byggpuls analytics`` command, so
it imports nothing heavy at the top; :func:`run` does.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from byggpuls.reading import BuildingType
from cli.commands.scan_text import Column, iso, local, local_iso, or_dash, progress, table

if TYPE_CHECKING:
    from analytics.baselines.towt import G14
    from analytics.findings import Pricing
    from analytics.pipeline import Analysis, BuildingData, Detection
    from analytics.scan import Export

logger = logging.getLogger(__name__)

DESCRIPTION = (
    "Run the detectors over the stored readings of every building, every interval or --once, "
    "and keep their findings in the registry. `byggpuls analytics scan FILE.csv` runs them "
    "once over one building's CSV export instead, with no services (see scan --help)."
)
SCAN_HELP = (
    "run the detectors once over a building's CSV export (or the AHU rules over an air "
    "handling unit's) and print what they find"
)
SCAN_DESCRIPTION = """\
Run the detectors once over a building's own hourly export (an energy portal's or a BMS's) and
print what they find, with no services running. The first two weeks of the file are the
baselines' history; findings are judged from the first Monday after them.

An air handling unit's trend export (a supply air temperature column with valve, damper or
mixed air columns, and no meter) is judged by every AHU rule instead (see --ahu)."""
SCAN_EPILOG = """\
the file:
  A time column (named time, timestamp, datetime, tid, tidspunkt, dato or date, else the first):
  2026-01-05T07:00:00+01:00, local time in Europe/Oslo (2026-01-05 07:00 or 05.01.2026 07:00)
  or epoch seconds. Hourly rows or finer; each row's time is the start of its interval.
  One column per point, its unit in brackets: 'el [kWh]' (energy used in the row's interval),
  'hovedmaaler_el [kW]' (power, averaged over each hour), 'el_counter [kWh]' (a meter reading:
  its name says counter, cumulative, akkumulert or maalerstand), 'fjernvarme [kWh]',
  'utetemp [°C]'. Separators ';', tab or ','; decimal comma or point. At least 3 weeks.

an AHU export:
  The same time column (or M/D/YYYY H:MM), then the unit's points by name, English or
  Norwegian: 'Supply Air Temperature' / 'tilluft', 'Mixed Air Temperature' / 'blandeluft',
  'Return Air Temperature' / 'avtrekk', 'Outdoor Air Temperature' / 'uteluft', 'Supply Air
  Temperature Set Point' / 'settpunkt tilluft', 'Heating Coil Valve' / 'varmeventil',
  'Cooling Coil Valve' / 'kjøleventil', 'Outdoor Air Damper' / 'spjeld', 'Supply Air Fan
  Status' / 'vifte drift', 'Supply Air Fan Speed' / 'viftehastighet', 'Occupancy Mode
  Indicator' / 'driftstid'. Units in brackets; without them temperatures with a median above
  40 are read as °F and commands above 1.5 as %, with a note.

examples:
  byggpuls analytics scan skole.csv --type school
  byggpuls analytics scan export.csv --electricity Forbruk --building "Minde skole" --json
  byggpuls analytics scan SZCAV.csv
  byggpuls analytics scan aggregat.csv --ahu --column damper="Spjeld inntak" --celsius"""

#: Finding kinds in the words of a facility manager.
KIND_WORDS: Final = {
    "after_hours_operation": "running outside opening hours",
    "after_hours_heating": "heating outside opening hours",
    "baseload_drift": "base load creeping up",
    "heating_out_of_line": "heating out of line with the weather",
    "unusual_day": "unusual day",
    "baseline_review": "baseline needs review",
    "meter_fault": "meter fault",
}
#: Kinds that report something to check, not waste: no hours or kWh of their own.
NOT_WASTE: Final = frozenset({"baseline_review", "meter_fault"})
#: The table's columns: (title, the cell of a finding's row, right-aligned).
TABLE: Final[tuple[Column, ...]] = (
    ("finding", lambda row: KIND_WORDS.get(row["kind"], row["kind"].replace("_", " ")), False),
    ("points", lambda row: ", ".join(row["points"]), False),
    ("start", lambda row: local_iso(row["start"]), False),
    ("end", lambda row: local_iso(row["end"]), False),
    ("hours", lambda row: or_dash("{}", row["hours"]), True),
    ("waste kWh", lambda row: or_dash("{:.1f}", row["waste_kwh"]), True),
    ("NOK", lambda row: or_dash("{:.0f}", row.get("waste_nok")), True),
    ("confidence", lambda row: f"{row['confidence']:.0%}", True),
    ("detail", lambda row: str(row["detail"]), False),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.add_argument("--once", action="store_true", help="run once and exit")
    parser.add_argument(
        "--interval", type=int, help="seconds between runs (env BYGGPULS_ANALYTICS_INTERVAL_S)"
    )
    parser.add_argument(
        "--window-days",
        type=int,
        help="days of history to learn from and look at (env BYGGPULS_ANALYTICS_WINDOW_DAYS)",
    )
    # Optional, so that `byggpuls analytics [--once]` runs the service as it always has.
    actions = parser.add_subparsers(
        dest="analytics_command", metavar="scan FILE.csv", title="a building's export instead"
    )
    scan = actions.add_parser(
        "scan",
        help=SCAN_HELP,
        description=SCAN_DESCRIPTION,
        epilog=SCAN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("file", type=Path, metavar="FILE.csv", help="the building's export")
    scan.add_argument(
        "--type",
        choices=[t.value for t in BuildingType],
        default=BuildingType.OTHER.value,
        help="the building's type, for its opening hours and holidays (default: %(default)s)",
    )
    scan.add_argument("--building", metavar="NAME", help="its name (default: the file's name)")
    for role, example in (
        ("electricity", "el"),
        ("heat", "fjernvarme"),
        ("outdoor temperature", "utetemp"),
    ):
        scan.add_argument(
            f"--{role.split()[0]}",
            metavar="COLUMN",
            help=f"the {role} column, as its header names it (default: found from the names, "
            f"such as '{example}')",
        )
    scan.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per finding (AHU: per episode) instead of the table",
    )
    ahu = scan.add_argument_group("an air handling unit's export")
    ahu.add_argument(
        "--ahu",
        action="store_true",
        help="read FILE.csv as an AHU's trend export (default: when its columns say so)",
    )
    ahu.add_argument(
        "--column",
        action="append",
        metavar="FIELD=HEADER",
        help="the column of an AHU point, over what the names say (fields: supply_c, mixed_c, "
        "return_c, outdoor_c, supply_setpoint_c, supply_setpoint_high_c, heating_valve, "
        "cooling_valve, damper, fan_on, fan_speed, occupied, airflow_m3_s); implies --ahu",
    )
    units = ahu.add_mutually_exclusive_group()
    for flag, unit in (("--fahrenheit", "F"), ("--celsius", "C")):
        units.add_argument(
            flag,
            dest="temperature_unit",
            action="store_const",
            const=unit,
            help=f"temperatures without a unit in their header are °{unit} (default: °F where "
            "their median is above 40); implies --ahu",
        )


def run(args: argparse.Namespace) -> int:
    """Scan a file; else run the detectors once, or every interval until SIGTERM or SIGINT."""
    if getattr(args, "analytics_command", None) == "scan":
        return scan(args)
    from analytics.settings import AnalyticsSettings
    from byggpuls.settings import load
    from cli.bootstrap import build_analytics

    settings = load(
        AnalyticsSettings,
        analytics_interval_s=args.interval,
        analytics_window_days=args.window_days,
    )
    built = build_analytics(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        with built.resources:
            while True:
                summary = built.service.run_once(now_ms=int(time.time() * 1000))
                logger.info(
                    "analysed %d of %d buildings (%d failed): %d findings, %.0f kWh, %.0f NOK;"
                    " health scored for %d",
                    summary.analysed,
                    summary.buildings,
                    summary.failed,
                    summary.findings,
                    summary.waste_kwh,
                    summary.waste_nok,
                    summary.health,
                )
                if args.once or stop.wait(settings.analytics_interval_s):
                    return 0
    except KeyboardInterrupt:
        return 0


def scan(args: argparse.Namespace) -> int:
    """``byggpuls analytics scan``: the findings on stdout, what was read on stderr. An AHU's
    export (as its columns or the options say) is judged by the AHU rules instead."""
    from analytics.equipment.export import looks_like_ahu

    ahu_options = args.ahu or args.column or args.temperature_unit
    if ahu_options or looks_like_ahu(args.file):
        from cli.commands.ahu_report import scan_ahu

        return scan_ahu(args)
    from analytics.pipeline import analyse
    from analytics.scan import read_export

    started = time.monotonic()
    export = read_export(
        args.file,
        building=args.building,
        building_type=args.type,
        electricity=args.electricity,
        heat=args.heat,
        outdoor=args.outdoor,
        progress=progress,
    )
    progress(f"{args.file.name}: {export.rows} rows, one every {export.step_s / 60:g} min")
    for role, column in export.used.items():
        progress(f"{role}: {column}")
    for note in export.notes:
        progress(f"note: {note}")
    data = export.data
    progress(
        f"analysing {(data.times_s[-1] + 3600 - data.times_s[0]) / 86_400:.0f} days, judged "
        f"from {local(export.score_from_s)} (the weeks before are the baselines' history)"
    )
    analysis = analyse(data, score_from_s=export.score_from_s)
    pricing = _pricing()
    rows = [finding_row(d, analysis, data=data, pricing=pricing) for d in analysis.detections]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        print(report(export, analysis, rows))
    progress(f"done in {time.monotonic() - started:.1f} s")
    return 0


def _pricing() -> Pricing:
    """The pricing the analytics settings name (the flat default unless a spot source is set)."""
    from analytics.service import pricing_from
    from analytics.settings import AnalyticsSettings
    from byggpuls.settings import load

    return pricing_from(load(AnalyticsSettings))


def finding_row(
    detection: Detection, analysis: Analysis, *, data: BuildingData, pricing: Pricing
) -> dict[str, Any]:
    """A finding as the table and the JSON lines show it."""
    baseline = analysis.baselines.get(detection.points[0]) if detection.points else None
    waste = detection.kind not in NOT_WASTE
    row: dict[str, Any] = {
        "building": detection.building,
        "kind": detection.kind,
        "points": list(detection.points),
        "carrier": detection.carrier,
        "start": iso(detection.start_s),
        "end": iso(detection.end_s),
        "hours": int(detection.hours_s.size) if waste else None,
        "waste_kwh": round(detection.total_waste_kwh, 1) if waste else None,
        "confidence": detection.confidence,
        "detail": detection.detail,
        # The baseline's Guideline 14 fit over the weeks of the finding, and over every hour
        # judged (out of sample).
        "fit": _g14(detection.fit),
        "baseline_out_of_sample": _g14(baseline.out_of_sample) if baseline else None,
    }
    row.update(priced(detection, data=data, pricing=pricing) if waste else {})
    return row


def priced(detection: Detection, *, data: BuildingData, pricing: Pricing) -> dict[str, Any]:
    """The finding's NOK and CO2e figures and the prices they were made with."""
    from analytics.findings import finding_of

    finding = finding_of(detection, data, pricing=pricing)
    return {
        "waste_nok": finding.waste_nok,
        "co2e_kg": finding.evidence.get("co2e_kg"),
        "prices": finding.evidence.get("prices"),
    }


def report(export: Export, analysis: Analysis, rows: list[dict[str, Any]]) -> str:
    """The findings as a table, then each meter's baseline against Guideline 14."""
    data = export.data
    judged = f"{local(export.score_from_s)} to {local(float(data.times_s[-1]) + 3600)}"
    lines = [f"{data.building} ({data.building_type}), judged {judged}", ""]
    if rows:
        lines += table(TABLE, rows)
    else:
        lines.append("no findings")
    lines += [
        "",
        "baselines, out of sample over the hours judged (ASHRAE Guideline 14 hourly: "
        "CV(RMSE) <= 30 %, |NMBE| <= 10 %):",
    ]
    for point, baseline in analysis.baselines.items():
        fit = baseline.out_of_sample
        verdict = "passes" if fit.passes else "fails"
        lines.append(
            f"  {point} ({baseline.carrier}): CV(RMSE) {_pct(fit.cv_rmse)}, NMBE "
            f"{_pct(fit.nmbe, sign=True)} over {fit.hours} h: {verdict}"
        )
    if not analysis.baselines:
        lines.append("  none: no meter had two weeks of readings before a week to judge")
    waste = {m.carrier: 0.0 for m in data.meters}
    for detection in analysis.detections:
        if detection.carrier is not None and detection.kind not in NOT_WASTE:
            waste[detection.carrier] += detection.total_waste_kwh
    lines += ["", "waste: " + ", ".join(f"{c} {kwh:.0f} kWh" for c, kwh in waste.items())]
    return "\n".join(lines)


def _g14(fit: G14 | None) -> dict[str, Any] | None:
    if fit is None:
        return None
    return {
        "cv_rmse_pct": _round_pct(fit.cv_rmse),
        "nmbe_pct": _round_pct(fit.nmbe),
        "hours": fit.hours,
        "passes": fit.passes,
    }


def _round_pct(fraction: float) -> float | None:
    """A fraction as percent, None where it is not finite (JSON has no infinity)."""
    return round(fraction * 100, 1) if abs(fraction) < float("inf") else None


def _pct(fraction: float, *, sign: bool = False) -> str:
    if not abs(fraction) < float("inf"):
        return "n/a"
    return f"{fraction * 100:+.1f} %" if sign else f"{fraction * 100:.1f} %"
