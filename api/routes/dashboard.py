"""The dashboard: all buildings at a glance (``/``), one in depth (``/buildings/{id}``).

Pages are rendered on the server from the same :class:`~api.portfolio.Portfolio` the JSON API
uses; ``static/dashboard.js`` draws the chart from ``/api/v1/.../series`` and sends the
finding lifecycle actions. When the reading store does not answer, the pages still show what
the registry knows, with a notice, rather than an error.
"""

from __future__ import annotations

from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api import problems
from api.auth import PagePrincipalDep
from api.deps import PortfolioDep, RegistryDep, TemplatesDep, WorkersDep
from api.formatting import decimals_for
from api.keypoints import KeyKind
from api.portfolio import BuildingState, Order, PointState, order_key
from api.routes.findings import actions
from api.timeutil import now_ms
from api.web import render
from byggpuls.registry.rows import FindingStatus

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

#: Chart ranges: (label, milliseconds, bucket width). Widths keep each chart near 300 points.
RANGES: Final = {
    "24h": ("24 h", 24 * 3_600_000, "5m"),
    "7d": ("7 days", 7 * 86_400_000, "30m"),
    "28d": ("28 days", 28 * 86_400_000, "2h"),
}
DEFAULT_RANGE: Final = "24h"
#: Reload the overview this often, so a screen on the wall stays current.
INDEX_REFRESH_S: Final = 60
#: A point whose newest reading is older than this many intervals (or 1 h) is marked stale.
STALE_INTERVALS: Final = 3
STALE_DEFAULT_MS: Final = 3_600_000
#: Resolved findings shown on a building page; older ones are in the API.
RESOLVED_SHOWN: Final = 20


@router.get("/")
async def index(
    request: Request, portfolio: PortfolioDep, templates: TemplatesDep, principal: PagePrincipalDep
) -> Response:
    """Every building the person may see, with its health, key readings and unresolved
    findings, worst health first."""
    states = await portfolio.buildings(
        latest=True, tolerate_store_errors=True, scope=principal.scope
    )
    states.sort(key=order_key(Order.HEALTH))
    totals = {
        "buildings": len(states),
        "points": sum(len(state.points) for state in states),
        "open": sum(state.tally.open for state in states),
        "acknowledged": sum(state.tally.acknowledged for state in states),
        "waste_kwh": sum(state.tally.waste_kwh for state in states),
        "waste_nok": sum(state.tally.waste_nok for state in states),
    }
    rows = [
        {
            "state": state,
            "figures": {figure.kind: figure for figure in state.key_figures()},
            "stale": _stale_building(state),
        }
        for state in states
    ]
    return render(
        templates,
        request,
        "index.html",
        {
            "rows": rows,
            "totals": totals,
            "kinds": KeyKind,
            "store_failed": any(state.readings_failed for state in states),
            "refresh_s": INDEX_REFRESH_S,
        },
    )


@router.get("/buildings/{building_id}")
async def building_page(
    *,
    request: Request,
    building_id: Annotated[str, Path()],
    portfolio: PortfolioDep,
    registry: RegistryDep,
    workers: WorkersDep,
    templates: TemplatesDep,
    principal: PagePrincipalDep,
    point: Annotated[str | None, Query()] = None,
    range_: Annotated[str, Query(alias="range")] = DEFAULT_RANGE,
) -> Response:
    """One building: its findings, a chart of one point, and every point's newest reading."""
    state = await portfolio.building(building_id, tolerate_store_errors=True)
    if state is None:
        raise problems.not_found(f"There is no building {building_id!r}.")
    findings = await workers.run(registry.findings, building=building_id)
    # Open before acknowledged, each newest first (the registry's order).
    unresolved = sorted(
        (f for f in findings if f.status != FindingStatus.RESOLVED),
        key=lambda f: f.status != FindingStatus.OPEN,
    )
    resolved = [f for f in findings if f.status == FindingStatus.RESOLVED][:RESOLVED_SHOWN]
    selected = _selected_point(state, point)
    range_key = range_ if range_ in RANGES else DEFAULT_RANGE
    chart = None
    if selected is not None:
        typical = selected.latest.value if selected.latest is not None else 0.0
        chart = {
            "point": selected,
            "series_url": f"/api/v1/buildings/{building_id}/series?"
            + urlencode({"point": selected.row.point}),
            "range_ms": RANGES[range_key][1],
            "every": RANGES[range_key][2],
            "decimals": decimals_for(selected.row.unit, typical),
        }
    return render(
        templates,
        request,
        "building.html",
        {
            "state": state,
            "points": [(p, _stale_point(p, state)) for p in state.points],
            "unresolved": [(f, actions(f)) for f in unresolved],
            "resolved": [(f, actions(f)) for f in resolved],
            "chart": chart,
            "ranges": RANGES,
            "resolved_shown": RESOLVED_SHOWN,
            "range_key": range_key,
            "selected": selected,
            "kinds": KeyKind,
        },
    )


@router.get("/problems/{slug}")
async def problem_page(
    request: Request, slug: Annotated[str, Path()], templates: TemplatesDep
) -> Response:
    """What a problem type means: the page a problem's ``type`` URI points to."""
    kind = problems.KINDS.get(slug)
    if kind is None:
        raise problems.not_found(f"There is no problem type {slug!r}.")
    return render(templates, request, "problem_type.html", {"kind": kind})


def _selected_point(state: BuildingState, requested: str | None) -> PointState | None:
    """The point to chart: the one asked for, else the first key point with a reading."""
    by_id = {point.row.point: point for point in state.points}
    if requested is not None and requested in by_id:
        return by_id[requested]
    with_reading = [point for point in state.points if point.latest is not None]
    if with_reading:
        return with_reading[0]
    return state.points[0] if state.points else None


def _stale_point(point: PointState, state: BuildingState) -> bool:
    if point.latest is None:
        return True
    newest = state.last_reading_ms or point.latest.time_ms
    limit_ms = (
        point.row.interval_s * 1000 * STALE_INTERVALS if point.row.interval_s else STALE_DEFAULT_MS
    )
    # Against the building's newest reading, not the clock: a replay of old data is not stale.
    return newest - point.latest.time_ms > limit_ms


def _stale_building(state: BuildingState) -> bool:
    last = state.last_reading_ms
    return last is not None and now_ms() - last > STALE_DEFAULT_MS
