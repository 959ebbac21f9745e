"""How the TOWT baseline compares with opendsm, the reference CalTRACK implementation.

Each meter is fitted on its first ``train_weeks`` weeks of hours and judged on the
``test_weeks`` after them, out of sample, by ASHRAE Guideline 14 (CV(RMSE) <= 30 %,
|NMBE| <= 10 %), with the time each model takes to fit and to predict. The models:

- ``towt``: :class:`TOWTBaseline`; ``towt_robust``: the same with Huber weights.
- ``caltrack``: opendsm's ``HourlyCaltrackModel``, the CalTRACK 2.0 hourly method (TOWT with a
  model per month, each weighting its neighbouring months by half): the reference
  implementation of the method Byggpuls uses. A reporting month the baseline barely covers
  gets a model fitted on the few days it has (December here: on 1-9 November).
- ``caltrack_single``: the same with one model for the whole baseline (its ``"single"``
  segmentation), which is what Byggpuls fits.
- ``opendsm_hourly``: opendsm's ``HourlyModel``, its current hourly model (elastic net on
  temperature bins within clusters of month and weekday). It is built for a year of baseline:
  its clustering's default PCA needs more (month, weekday) rows than ten weeks give, so it runs
  here with components chosen by explained variance (95 %) instead. Even so, opendsm 1.2.7
  cannot predict a month the baseline never saw (``ValueError: Lengths must match to
  compare``, from comparing two pandas indexes of different lengths), and fails to fit a meter
  on which its elastic net zeroes every coefficient of an hour of the day
  (``BaselineMetrics.num_model_params`` must be at least 1).

opendsm gets what its documentation asks for: temperatures in °F, times as local time
(Europe/Oslo), electricity meters flagged as such (a zero reading is missing to it). Its
sufficiency rules want a year of baseline, so a ten-week one is fitted with
``ignore_disqualification``. A model that raises is recorded with its error, not dropped.
BLAS is held to one thread throughout: the analytics run one fit per core, and on a loaded
two-core machine LAPACK's threads make opendsm's fits some twenty times slower.

Our fit and predict times are the median of a few runs; opendsm's, one run each.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import statistics
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from analytics.baselines.towt import TOWTBaseline, g14
from simulation import Portfolio

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: (name, building type, hour starts as UTC epoch seconds, hourly kWh, outdoor °C).
Meter = tuple[str, str, FloatArray, FloatArray, FloatArray]
#: What a model gives for the test hours: predictions, fit seconds, predict seconds.
Fitter = Callable[[Meter, BoolArray, BoolArray], tuple[FloatArray, float, float]]

SECONDS_PER_HOUR: Final = 3_600.0
SECONDS_PER_WEEK: Final = 7 * 86_400.0
#: Autumn into winter: the heating season starts inside the baseline.
START_S: Final = dt.datetime(2025, 9, 1, tzinfo=dt.UTC).timestamp()
TIMEZONE: Final = "Europe/Oslo"
#: Meters whose name ends so are electricity meters (opendsm drops their zero readings).
ELECTRICITY_SUFFIX: Final = "/el"
OURS: Final = ("towt", "towt_robust")
REFERENCES: Final = ("caltrack", "caltrack_single", "opendsm_hourly")
MODELS: Final = OURS + REFERENCES
#: Runs timed of our fit and predict (the median is reported).
OUR_REPEATS: Final = 5
_HOURLY_SETTINGS: Final[dict[str, Any]] = {
    "seed": 11,
    "temporal_cluster": {
        "wavelet_transform": {"pca_min_variance_ratio_explained": 0.95, "pca_n_components": None}
    },
}


@dataclass(frozen=True, slots=True)
class Score:
    """One model on one meter, out of sample; ``error`` when the model raised instead."""

    cv_rmse: float | None = None
    nmbe: float | None = None
    passes: bool | None = None
    hours: int = 0
    fit_ms: float | None = None
    predict_ms: float | None = None
    error: str | None = None


def simulated_meters(
    *, seed: int = 11, n_buildings: int = 20, days: int = 98, start_s: float = START_S
) -> list[Meter]:
    """The electricity and heat meters of ``n_buildings`` simulated buildings (15-minute
    readings with meter noise, occupant variability and drift, no faults) as hourly kWh, with
    the outdoor temperature each building's air handling unit measures, from ``start_s``."""
    portfolio = Portfolio.generate(
        n_buildings, seed=seed, start_s=start_s, interval_s=900, faults=False, variability=True
    )
    blocks = portfolio.advance_blocks(start_s + days * 86_400.0)
    meters: list[Meter] = []
    for building, block in zip(portfolio.buildings, blocks, strict=True):
        row = {point.point: i for i, point in enumerate(block.points)}
        starts, index = np.unique(np.floor(block.times_s / SECONDS_PER_HOUR), return_inverse=True)
        hours_s = starts * SECONDS_PER_HOUR
        outdoor_c = _hourly_means(block.values[row["ahu1.outdoor_air_temp"]], index)
        kind = str(building.info.type)
        # kW averaged over an hour is kWh in that hour.
        for point, suffix in (("el.power", ELECTRICITY_SUFFIX), ("dh.power", "/heat")):
            load_kwh = _hourly_means(block.values[row[point]], index)
            meters.append((f"{block.building}{suffix}", kind, hours_s, load_kwh, outdoor_c))
    return meters


def _hourly_means(series: FloatArray, index: npt.NDArray[np.intp]) -> FloatArray:
    """The mean of the known readings in each hour (NaN where none is)."""
    known = np.isfinite(series)
    count = np.bincount(index, weights=known)
    total = np.bincount(index, weights=np.where(known, series, 0.0))
    mean: FloatArray = np.where(count > 0, total / np.maximum(count, 1.0), np.nan)
    return mean


def opendsm_status() -> dict[str, Any]:
    """Whether opendsm can be imported here, and which version; the reason when not."""
    try:
        importlib.import_module("opendsm.eemeter")
    except Exception as exc:  # not installed, or it fails on import: the report says which
        return {
            "available": False,
            "reason": f"{type(exc).__name__}: {exc} (install it with `uv sync --group opendsm`)",
        }
    versions = {
        name: importlib.metadata.version(name) for name in ("opendsm", "multimethod", "pandas")
    }
    return {"available": True, **versions}


def compare_baselines(
    meters: Sequence[Meter],
    *,
    train_weeks: int = 10,
    test_weeks: int = 4,
    reference_limit: int | None = None,
    models: Sequence[str] = MODELS,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fit every model on each meter's first ``train_weeks`` weeks and judge it on the
    ``test_weeks`` after them. opendsm's models fit only the first ``reference_limit`` meters
    (all when None): they take seconds a meter; without opendsm only ours run, and
    ``result["opendsm"]`` says why. Returns the scores per meter, a summary per model and our
    TOWT against each reference model."""
    unknown = set(models) - set(MODELS)
    if unknown:
        raise ValueError(f"unknown models {sorted(unknown)}; choose from {MODELS}")
    status = opendsm_status()
    fitters: dict[str, Fitter] = {"towt": _towt(robust=False), "towt_robust": _towt(robust=True)}
    if not status["available"]:  # the result says why; our models still run
        models = [model for model in models if model not in REFERENCES]
    else:
        fitters |= {
            "caltrack": _caltrack(segments="three_month_weighted"),
            "caltrack_single": _caltrack(segments="single"),
            "opendsm_hourly": _opendsm_hourly,
        }
    rows: list[dict[str, Any]] = []
    with threadpool_limits(limits=1, user_api="blas"), _quiet_opendsm():
        for number, meter in enumerate(meters):
            name, building_type, times_s, _, _ = meter
            train = times_s < times_s[0] + train_weeks * SECONDS_PER_WEEK
            test = ~train & (times_s < times_s[0] + (train_weeks + test_weeks) * SECONDS_PER_WEEK)
            row: dict[str, Any] = {"meter": name, "building_type": building_type}
            for model in models:
                if (
                    model in REFERENCES
                    and reference_limit is not None
                    and number >= reference_limit
                ):
                    continue
                row[model] = _score(fitters[model], meter, train=train, test=test)
            rows.append(row)
            if progress is not None:
                progress(_progress_line(number, len(meters), row))
    return {
        "protocol": {
            "train_weeks": train_weeks,
            "test_weeks": test_weeks,
            "meters": len(meters),
            "models": list(models),
            "reference_limit": reference_limit,
            "blas_threads": 1,
        },
        "opendsm": status,
        "models": {model: _summary(rows, model) for model in models},
        "versus": {
            reference: _versus(rows, reference) for reference in REFERENCES if reference in models
        },
        "meters": [
            {
                key: asdict(value) if isinstance(value, Score) else value
                for key, value in row.items()
            }
            for row in rows
        ],
    }


def _score(fitter: Fitter, meter: Meter, *, train: BoolArray, test: BoolArray) -> Score:
    try:
        predicted, fit_s, predict_s = fitter(meter, train, test)
    except Exception as exc:  # a reference model that fails is a result, not a crash
        return Score(error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
    measured = meter[3][test]
    if not np.isfinite(predicted).any():
        return Score(error="no prediction", fit_ms=fit_s * 1e3, predict_ms=predict_s * 1e3)
    fit = g14(measured, predicted)
    return Score(
        cv_rmse=fit.cv_rmse,
        nmbe=fit.nmbe,
        passes=fit.passes,
        hours=fit.hours,
        fit_ms=fit_s * 1e3,
        predict_ms=predict_s * 1e3,
    )


def _towt(*, robust: bool) -> Fitter:
    def run(meter: Meter, train: BoolArray, test: BoolArray) -> tuple[FloatArray, float, float]:
        _, building_type, times_s, load, outdoor_c = meter
        fits, predicts = [], []
        for _ in range(OUR_REPEATS):
            began = time.perf_counter()
            model = TOWTBaseline(building_type=building_type, robust=robust)
            model.fit(times_s[train], load[train], outdoor_c[train])
            fitted = time.perf_counter()
            predicted = model.predict(times_s[test], outdoor_c[test])
            fits.append(fitted - began)
            predicts.append(time.perf_counter() - fitted)
        return predicted, statistics.median(fits), statistics.median(predicts)

    return run


def _caltrack(*, segments: str) -> Fitter:
    def run(meter: Meter, train: BoolArray, test: BoolArray) -> tuple[FloatArray, float, float]:
        import pandas as pd
        from opendsm import eemeter

        name, _, times_s, load, outdoor_c = meter
        index = _local_index(times_s)
        electricity = name.endswith(ELECTRICITY_SUFFIX)
        fahrenheit = pd.Series(outdoor_c * 1.8 + 32.0, index=index)
        began = time.perf_counter()
        observed = pd.Series(load[train], index=index[train])
        baseline = eemeter.HourlyCaltrackBaselineData.from_series(
            observed, fahrenheit[train], is_electricity_data=electricity
        )
        model = eemeter.HourlyCaltrackModel()
        model.segment_type = segments  # its constructor takes no settings
        model.fit(baseline)
        fitted = time.perf_counter()
        reporting = eemeter.HourlyCaltrackReportingData.from_series(
            None, fahrenheit[test], is_electricity_data=electricity
        )
        result = model.predict(reporting)
        predicted = result["predicted"].reindex(index[test]).to_numpy(dtype=np.float64)
        return predicted, fitted - began, time.perf_counter() - fitted

    return run


def _opendsm_hourly(
    meter: Meter, train: BoolArray, test: BoolArray
) -> tuple[FloatArray, float, float]:
    import pandas as pd
    from opendsm import eemeter

    name, _, times_s, load, outdoor_c = meter
    index = _local_index(times_s)
    electricity = name.endswith(ELECTRICITY_SUFFIX)
    frame = pd.DataFrame({"observed": load, "temperature": outdoor_c * 1.8 + 32.0}, index=index)
    began = time.perf_counter()
    baseline = eemeter.HourlyBaselineData(frame[train], is_electricity_data=electricity)
    model = eemeter.HourlyModel(settings=_HOURLY_SETTINGS)
    model.fit(baseline, ignore_disqualification=True)
    fitted = time.perf_counter()
    reporting = eemeter.HourlyReportingData(
        frame[test].drop(columns="observed"), is_electricity_data=electricity
    )
    result = model.predict(reporting, ignore_disqualification=True)
    predicted = result["predicted"].reindex(index[test]).to_numpy(dtype=np.float64)
    return predicted, fitted - began, time.perf_counter() - fitted


def _local_index(times_s: FloatArray) -> Any:
    import pandas as pd

    return pd.to_datetime(times_s, unit="s", utc=True).tz_convert(TIMEZONE)


@contextmanager
def _quiet_opendsm() -> Iterator[None]:
    """opendsm warns and logs about every short baseline; the scores say what matters."""
    logger = logging.getLogger("eemeter")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _summary(rows: list[dict[str, Any]], model: str) -> dict[str, Any]:
    scores = [row[model] for row in rows if model in row]
    good = [s for s in scores if s.error is None and s.cv_rmse is not None]
    errors: dict[str, int] = {}
    for score in scores:
        if score.error is not None:
            errors[score.error] = errors.get(score.error, 0) + 1
    return {
        "meters": len(scores),
        "scored": len(good),
        "failed": len(scores) - len(good),
        "errors": errors,
        "g14_pass_share": _share([s.passes is True for s in good]),
        "median_cv_rmse": _median([s.cv_rmse for s in good]),
        "median_abs_nmbe": _median([abs(s.nmbe) for s in good if s.nmbe is not None]),
        "median_fit_ms": _median([s.fit_ms for s in good]),
        "median_predict_ms": _median([s.predict_ms for s in good]),
    }


def _versus(rows: list[dict[str, Any]], reference: str) -> dict[str, Any]:
    """Our TOWT against ``reference`` on the meters both scored."""
    pairs = [
        (row["towt"], row[reference])
        for row in rows
        if "towt" in row
        and reference in row
        and row["towt"].error is None
        and row[reference].error is None
    ]
    return {
        "meters": len(pairs),
        "towt_lower_cv_rmse": sum(ours.cv_rmse < theirs.cv_rmse for ours, theirs in pairs),
        "towt_passes_only": sum(bool(ours.passes and not theirs.passes) for ours, theirs in pairs),
        "reference_passes_only": sum(
            bool(theirs.passes and not ours.passes) for ours, theirs in pairs
        ),
        "median_fit_time_ratio": _median([theirs.fit_ms / ours.fit_ms for ours, theirs in pairs]),
        "median_predict_time_ratio": _median(
            [theirs.predict_ms / ours.predict_ms for ours, theirs in pairs]
        ),
    }


def _progress_line(number: int, total: int, row: dict[str, Any]) -> str:
    parts = [f"[{number + 1}/{total}] {row['meter']}"]
    for model in MODELS:
        score = row.get(model)
        if isinstance(score, Score):
            shown = "error" if score.error else f"{score.cv_rmse:.3f} in {score.fit_ms:.1f} ms"
            parts.append(f"{model} {shown}")
    return ", ".join(parts)


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None and np.isfinite(v)]
    return float(statistics.median(known)) if known else None


__all__ = [
    "MODELS",
    "START_S",
    "Meter",
    "Score",
    "compare_baselines",
    "opendsm_status",
    "simulated_meters",
]
