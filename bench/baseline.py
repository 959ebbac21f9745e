"""The TOWT baseline next to opendsm, the reference CalTRACK implementation, on simulated meters.

    .venv/bin/python bench/baseline.py [--buildings 20] [--seed 11] [--weeks 14]
                                       [--reference-meters N] [--models towt,caltrack,...]

Simulates the buildings (15-minute readings from 2025-09-01 UTC, autumn into winter, with meter
and occupant noise, no faults), takes each one's electricity and heat meters as hourly kWh,
fits every model on the first 10 weeks and judges it on the 4 after them (ASHRAE Guideline 14,
out of sample): see :mod:`bench.evaluation.baseline`. opendsm's models take seconds a meter;
``--reference-meters`` fits them on the first N meters only, and the output says so. opendsm is
an optional dependency group (``uv sync --group opendsm``); without it the table says why and
only our models run. Progress goes to stderr; the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

# Run as a script, this folder would come first on the path and shadow the project's packages.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.evaluation.baseline import MODELS, compare_baselines, simulated_meters

TRAIN_WEEKS = 10
TEST_WEEKS = 4


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(result: dict[str, Any], models: list[str]) -> None:
    """Per meter, then per model, then our TOWT against each reference."""
    print(f"{'meter':<22} {'type':<13}" + "".join(f" {m + ' cv/nmbe':>24}" for m in models))
    for row in result["meters"]:
        cells = []
        for model in models:
            score = row.get(model)
            if score is None:
                cells.append(f" {'(not fitted)':>24}")
            elif score["error"] is not None:
                cells.append(f" {'error':>24}")
            else:
                mark = "" if score["passes"] else " x"
                cells.append(
                    f" {_fmt(score['cv_rmse']) + ' / ' + _fmt(score['nmbe'], '+.3f') + mark:>24}"
                )
        print(f"{row['meter']:<22} {row['building_type']:<13}" + "".join(cells))
    print("(x: fails ASHRAE Guideline 14, CV(RMSE) <= 0.30 and |NMBE| <= 0.10, out of sample)")
    print()
    print(
        f"{'model':<15} {'scored':>7} {'failed':>7} {'G14 pass':>9} {'med CV':>7} "
        f"{'med |NMBE|':>10} {'fit ms':>9} {'predict ms':>10}"
    )
    for model in models:
        s = result["models"][model]
        print(
            f"{model:<15} {s['scored']:>7} {s['failed']:>7} {_fmt(s['g14_pass_share'], '.0%'):>9} "
            f"{_fmt(s['median_cv_rmse']):>7} {_fmt(s['median_abs_nmbe']):>10} "
            f"{_fmt(s['median_fit_ms'], '.2f'):>9} {_fmt(s['median_predict_ms'], '.2f'):>10}"
        )
        for error, count in s["errors"].items():
            print(f"    {count} x {error}")
    for reference, v in result["versus"].items():
        print(
            f"towt vs {reference}: {v['meters']} meters both scored; towt has the lower CV(RMSE) "
            f"on {v['towt_lower_cv_rmse']}; passes G14 where it does not on "
            f"{v['towt_passes_only']}, fails where it passes on {v['reference_passes_only']}; "
            f"{reference} takes {_fmt(v['median_fit_time_ratio'], ',.0f')} times as long to fit "
            f"(median) and {_fmt(v['median_predict_time_ratio'], ',.0f')} times as long to predict"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=20, help="simulated buildings")
    parser.add_argument("--seed", type=int, default=11, help="portfolio seed")
    parser.add_argument(
        "--weeks", type=int, default=TRAIN_WEEKS + TEST_WEEKS, help="weeks simulated"
    )
    parser.add_argument(
        "--reference-meters",
        type=int,
        default=None,
        help="fit opendsm's models on the first N meters only (default: all)",
    )
    parser.add_argument(
        "--models", default=",".join(MODELS), help=f"comma-separated, of {','.join(MODELS)}"
    )
    args = parser.parse_args()
    if args.weeks < TRAIN_WEEKS + 1:
        parser.error(f"--weeks must leave at least a week to judge after the {TRAIN_WEEKS} fitted")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    began = time.perf_counter()
    log(f"simulating {args.buildings} buildings x {args.weeks} weeks, seed {args.seed}")
    meters = simulated_meters(seed=args.seed, n_buildings=args.buildings, days=7 * args.weeks)
    simulated_s = time.perf_counter() - began
    log(f"{len(meters)} meters in {simulated_s:.0f} s; fitting")
    result = compare_baselines(
        meters,
        train_weeks=TRAIN_WEEKS,
        test_weeks=min(TEST_WEEKS, args.weeks - TRAIN_WEEKS),
        reference_limit=args.reference_meters,
        models=models,
        progress=log,
    )
    status = result["opendsm"]
    print(
        f"{args.buildings} buildings (seed {args.seed}), {len(meters)} meters, "
        f"fitted on {TRAIN_WEEKS} weeks from 2025-09-01, judged on the "
        f"{result['protocol']['test_weeks']} after"
    )
    if status["available"]:
        print(f"opendsm {status['opendsm']} (multimethod {status['multimethod']})", end="")
        limit = args.reference_meters
        if limit is not None and limit < len(meters):
            print(f"; its models fitted on the first {limit} of {len(meters)} meters only", end="")
        print()
    else:
        print(f"opendsm is not available here: {status['reason']}; only our models ran")
    print()
    print_table(result, result["protocol"]["models"])
    result["seconds"] = {"simulation": simulated_s, "total": time.perf_counter() - began}
    result["seed"], result["buildings"], result["weeks"] = args.seed, args.buildings, args.weeks
    print(json.dumps(result))


if __name__ == "__main__":
    main()
