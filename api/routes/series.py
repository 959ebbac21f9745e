"""``/api/v1/buildings/{id}/series``: one point's values over time, raw or in buckets."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query

from api import problems, schemas, timeparams
from api.auth import PARTNER_ACCESS, PrincipalDep
from api.deps import RegistryDep, SettingsDep, StoreDep, WorkersDep
from api.openapi import responses
from api.timeutil import from_ms, now_ms
from byggpuls.storage.port import Aggregation, SeriesQuery

router = APIRouter(prefix="/buildings", tags=["series"])

RAW: Final = "raw"
DEFAULT_RANGE_MS: Final = 24 * 3_600_000
#: Buckets ``every`` defaults to at most: enough for a chart as wide as a screen.
DEFAULT_BUCKETS: Final = 1_000

_TIME_HELP = (
    "RFC 3339 with a time zone (`2025-01-31T06:00:00Z`, `2025-01-31T07:00:00+01:00`) or seconds"
    " since the Unix epoch (`1738303200`, fractions allowed)."
)


@router.get(
    "/{building_id}/series",
    summary="One point's values over a time range",
    openapi_extra=PARTNER_ACCESS,
    response_model=schemas.Series,
    responses=responses(
        problems.INVALID_RANGE,
        problems.TOO_MANY_POINTS,
        problems.NOT_FOUND,
        problems.INVALID_PARAMETERS,
    ),
)
async def read_series(
    *,
    building_id: Annotated[str, Path(description="The building id.", examples=["nordnes-skole"])],
    point: Annotated[
        str,
        Query(
            description="The point id (as in GET /api/v1/buildings/{id}).", examples=["el.power"]
        ),
    ],
    store: StoreDep,
    registry: RegistryDep,
    workers: WorkersDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    start: Annotated[
        str | None,
        Query(
            description=f"Start of the range, inclusive. {_TIME_HELP} Default: 24 h before `end`."
        ),
    ] = None,
    end: Annotated[
        str | None,
        Query(description=f"End of the range, exclusive. {_TIME_HELP} Default: now."),
    ] = None,
    every: Annotated[
        str | None,
        Query(
            description="Bucket width: a number and a unit (`s`, `m`, `h`, `d`, `w`), largest"
            " first (`15m`, `1h30m`, `7d`), or ISO 8601 (`PT15M`, `P1D`); from 1 s to 366 d."
            " `raw` returns the readings as stored. Default: the smallest of 1m, 5m, 15m, 30m,"
            " 1h, 3h, 6h, 12h, 1d, 7d, 28d that gives at most 1 000 buckets.",
            examples=["15m"],
        ),
    ] = None,
    agg: Annotated[
        Aggregation, Query(description="How a bucket's readings become one value.")
    ] = Aggregation.MEAN,
) -> schemas.Series:
    """The values of one point between `start` and `end`, aggregated into buckets of `every`
    (aligned to the Unix epoch, each sample at its bucket's start, empty buckets left out) or
    raw. One response carries at most `max_points` samples (10 000 by default): ask for a
    larger `every` or a shorter range beyond that."""
    errors: list[dict[str, Any]] = []
    start_ms = _instant(start, "start", errors)
    end_ms = _instant(end, "end", errors)
    every_s = None if every is None or every.strip().lower() == RAW else _duration(every, errors)
    if errors:
        raise problems.invalid_parameters(errors)
    if end_ms is None:
        end_ms = now_ms()
    if start_ms is None:
        start_ms = end_ms - DEFAULT_RANGE_MS
    if start_ms >= end_ms:
        raise problems.ProblemError(
            problems.INVALID_RANGE,
            f"start ({from_ms(start_ms).isoformat()}) must lie before end"
            f" ({from_ms(end_ms).isoformat()}).",
        )

    building_row, point_row = await asyncio.gather(
        workers.run(registry.building, building_id), workers.run(registry.point, building_id, point)
    )
    if building_row is None:
        raise problems.not_found(f"There is no building {building_id!r}.")
    if point_row is None or not principal.reads(building_id, point_row.domain):
        # A point of a domain a partner was not granted does not exist for them.
        raise problems.not_found(f"Building {building_id!r} has no point {point!r}.")

    max_points = settings.api_series_max_points
    raw = every is not None and every_s is None
    if every is None:
        every_s = timeparams.nice_step(
            start_ms=start_ms, end_ms=end_ms, max_buckets=min(DEFAULT_BUCKETS, max_points)
        )
    if every_s is not None:
        buckets = timeparams.bucket_count(start_ms=start_ms, end_ms=end_ms, every_ms=every_s * 1000)
        if buckets > max_points:
            raise _too_many(
                start_ms=start_ms, end_ms=end_ms, requested=buckets, max_points=max_points
            )
    elif point_row.interval_s:
        expected = (end_ms - start_ms) // (point_row.interval_s * 1000)
        if expected > max_points:
            raise _too_many(
                start_ms=start_ms, end_ms=end_ms, requested=expected, max_points=max_points
            )

    query = SeriesQuery(
        building=building_id,
        point=point,
        quantity=point_row.quantity,
        start_ms=start_ms,
        end_ms=end_ms,
        every_ms=None if every_s is None else every_s * 1000,
        aggregation=agg,
    )
    samples = await workers.run(store.query_series, query)
    if len(samples) > max_points:
        raise _too_many(
            start_ms=start_ms, end_ms=end_ms, requested=len(samples), max_points=max_points
        )
    return schemas.Series(
        building=building_id,
        point=point,
        quantity=point_row.quantity,
        unit=point_row.unit,
        start=from_ms(start_ms),
        end=from_ms(end_ms),
        every=None if raw or every_s is None else timeparams.format_duration(every_s),
        every_s=None if raw else every_s,
        aggregation=None if raw else agg,
        count=len(samples),
        samples=[schemas.Sample(time=from_ms(s.time_ms), value=s.value) for s in samples],
    )


def _instant(text: str | None, name: str, errors: list[dict[str, Any]]) -> int | None:
    if text is None:
        return None
    try:
        return timeparams.parse_instant(text)
    except ValueError as exc:
        errors.append({"detail": str(exc), "parameter": name, "in": "query"})
        return None


def _duration(text: str, errors: list[dict[str, Any]]) -> int | None:
    try:
        return timeparams.parse_duration(text)
    except ValueError as exc:
        errors.append({"detail": str(exc), "parameter": "every", "in": "query"})
        return None


def _too_many(
    *, start_ms: int, end_ms: int, requested: int, max_points: int
) -> problems.ProblemError:
    suggested = timeparams.format_duration(
        timeparams.nice_step(start_ms=start_ms, end_ms=end_ms, max_buckets=max_points)
    )
    return problems.ProblemError(
        problems.TOO_MANY_POINTS,
        f"The range holds up to {requested} samples; one response carries at most {max_points}."
        f" Use every={suggested} or larger, or a shorter range.",
        extensions={
            "max_points": max_points,
            "requested_points": requested,
            "suggested_every": suggested,
        },
    )
