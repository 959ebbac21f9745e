"""The dashboard: all buildings at a glance (``/``), one in depth (``/buildings/{id}``).

Pages are rendered on the server from the same :class:`~api.portfolio.Portfolio` the JSON API
uses, in the reader's language (:mod:`api.i18n`); ``static/dashboard.js`` draws the charts with
the vendored Apache ECharts from the JSON API (``.../series``, ``.../consumption``,
``.../consumption/heatmap``, ``.../intensity``) and sends the finding lifecycle actions. When
the reading store does not answer, the pages still show what the registry knows, with a
notice, rather than an error.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import problems, timeparams
from api.advice import ADVICE
from api.auth import PARTNER_ACCESS, PagePrincipalDep
from api.deps import AccountingDep, PortfolioDep, RegistryDep, TemplatesDep, WorkersDep
from api.formatting import decimals_for, unit_label
from api.keypoints import KeyKind
from api.ordering import PortfolioView
from api.portfolio import BuildingState, PointState
from api.routes.findings import actions
from api.routes.gateways import gateway
from api.timeutil import now_ms
from api.web import render
from byggpuls.auth import Role
from byggpuls.calendar import TIMEZONE
from byggpuls.registry.rows import FindingRow, FindingStatus

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

#: Chart ranges: (message id of the label, milliseconds, bucket width). Widths keep each chart
#: near 300 points.
RANGES: Final = {
    "24h": ("24 h", 24 * 3_600_000, "5m"),
    "7d": ("7 days", 7 * 86_400_000, "30m"),
    "28d": ("28 days", 28 * 86_400_000, "2h"),
}
DEFAULT_RANGE: Final = "24h"
#: Points one chart shows at most: more lines than this are unreadable, and each is a request.
MAX_CHART_POINTS: Final = 6
#: Buckets a chart of a finding's period aims at.
CHART_BUCKETS: Final = 300
#: A finding's period is shown with this share of its length before and after, at least 6 h.
PERIOD_MARGIN: Final = 0.25
PERIOD_MARGIN_MIN_MS: Final = 6 * 3_600_000
#: Buildings the portfolio's waste chart shows at most: the most wasteful.
WASTE_CHART_TOP: Final = 15
#: Reload the overview this often, so a screen on the wall stays current.
INDEX_REFRESH_S: Final = 60
#: A point whose newest reading is older than this many intervals (or 1 h) is marked stale.
STALE_INTERVALS: Final = 3
STALE_DEFAULT_MS: Final = 3_600_000
#: Resolved findings shown on a building page; older ones are in the API.
RESOLVED_SHOWN: Final = 20
#: Days of hourly consumption in the heat map, and months of the monthly energy view.
HEATMAP_DAYS: Final = 28
ENERGY_MONTHS: Final = 12
#: The main meter kinds whose points get the energy ledger's hourly baseline in the chart.
CARRIERS: Final = {KeyKind.ELECTRICITY_POWER: "electricity", KeyKind.HEATING_POWER: "heat"}


@router.get("/", openapi_extra=PARTNER_ACCESS)
async def index(
    *,
    request: Request,
    portfolio: PortfolioDep,
    templates: TemplatesDep,
    principal: PagePrincipalDep,
    type_: Annotated[str | None, Query(alias="type")] = None,
    health: Annotated[str | None, Query()] = None,
    open_: Annotated[str | None, Query(alias="open")] = None,
    sort: Annotated[str | None, Query()] = None,
    desc: Annotated[str | None, Query()] = None,
) -> Response:
    """Every building the person may see, with its health, key readings and unresolved
    findings, worst health first; filtered and sorted as the query asks. A partner's start is
    the data catalogue: the portfolio's health is not theirs to see."""
    if principal.role is Role.PARTNER:
        return RedirectResponse(f"{request.scope.get('root_path', '')}/catalog", status_code=303)
    states = await portfolio.buildings(
        latest=True, tolerate_store_errors=True, scope=principal.scope
    )
    view = PortfolioView.from_query(type_=type_, health=health, open_=open_, sort=sort, desc=desc)
    shown = view.apply(states)
    totals = {
        "buildings": len(shown),
        "all_buildings": len(states),
        "points": sum(len(state.points) for state in shown),
        "open": sum(state.tally.open for state in shown),
        "acknowledged": sum(state.tally.acknowledged for state in shown),
        "waste_kwh": sum(state.tally.waste_kwh for state in shown),
        "waste_nok": sum(state.tally.waste_nok for state in shown),
    }
    rows = []
    for state in shown:
        stale = _stale_building(state)
        rows.append(
            {
                "state": state,
                "figures": {figure.kind: figure for figure in state.key_figures()},
                "stale": stale,
                # Red only for what is wrong now: an old reading out of band is not.
                "alerts": not stale and not state.readings_failed,
            }
        )
    return render(
        templates,
        request,
        "index.html",
        {
            "rows": rows,
            "totals": totals,
            "kinds": KeyKind,
            "view": view,
            "types": sorted({state.row.type for state in states}),
            "waste_chart": _waste_chart(shown),
            "waste_top": WASTE_CHART_TOP,
            "store_failed": any(state.readings_failed for state in shown),
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
    accounting: AccountingDep,
    workers: WorkersDep,
    templates: TemplatesDep,
    principal: PagePrincipalDep,
    point: Annotated[list[str] | None, Query()] = None,
    range_: Annotated[str, Query(alias="range")] = DEFAULT_RANGE,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: Annotated[str | None, Query()] = None,
) -> Response:
    """One building: its health, findings with advice, a chart of chosen points (with the
    meter's baseline and a finding's period), its energy, the points and their data."""
    state = await portfolio.building(building_id, tolerate_store_errors=True)
    if state is None:
        raise problems.not_found(f"There is no building {building_id!r}.")
    today = datetime.now(TIMEZONE).date()
    findings, completeness, states, sequences = await asyncio.gather(
        workers.run(registry.findings, building=building_id),
        workers.run(accounting.completeness, building_id, today),
        workers.run(accounting.gateway_states, building_id),
        workers.run(accounting.gateway_sequences, building_id),
    )
    # Open before acknowledged, each newest first (the registry's order).
    unresolved = sorted(
        (f for f in findings if f.status != FindingStatus.RESOLVED),
        key=lambda f: f.status != FindingStatus.OPEN,
    )
    resolved = [f for f in findings if f.status == FindingStatus.RESOLVED][:RESOLVED_SHOWN]
    range_key = range_ if range_ in RANGES else DEFAULT_RANGE
    by_point = {row.point: row for row in completeness}
    state_of = {row.gateway: row for row in states}
    sequence_of = {row.gateway: row for row in sequences}
    gateways = [
        gateway(state_of.get(name), sequence_of.get(name))
        for name in sorted(state_of.keys() | sequence_of.keys())
    ]
    countable = [row for row in completeness if row.countable]
    expected = sum(row.expected or 0 for row in countable)
    missing = sum(row.missing or 0 for row in countable)
    return render(
        templates,
        request,
        "building.html",
        {
            "state": state,
            "points": [
                (p, _stale_point(p, state), by_point.get(p.row.point)) for p in state.points
            ],
            "unresolved": [(f, actions(f)) for f in unresolved],
            "resolved": [(f, actions(f)) for f in resolved],
            "advice": ADVICE,
            "chart_links": {f.id: _chart_link(f) for f in findings},
            "chart": _chart(state, point, range_key, from_, to),
            "ranges": RANGES,
            "resolved_shown": RESOLVED_SHOWN,
            "range_key": range_key,
            "kinds": KeyKind,
            "energy": _energy_urls(building_id, today),
            "completeness": {
                "day": today,
                "expected": expected,
                "received": sum(row.received for row in countable),
                "missing": missing,
                "ratio": (expected - missing) / expected if expected else None,
            },
            "gateways": gateways,
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


def _chart(
    state: BuildingState,
    requested: list[str] | None,
    range_key: str,
    from_: str | None,
    to: str | None,
) -> dict[str, Any] | None:
    """What the chart shows: the points, their series URLs and the time window.

    With ``from`` and ``to`` (a finding's period) the window is that period with a margin, and
    the period is marked; else the last :data:`RANGES` ``range_key`` up to now.
    """
    selected = _selected_points(state, requested)
    if not selected:
        return None
    building = state.row.id
    mark = _period(from_, to)
    window: dict[str, Any]
    if mark is None:
        _label, range_ms, every = RANGES[range_key]
        window = {"range_ms": range_ms, "every": every, "start_ms": None, "end_ms": None}
    else:
        start_ms, end_ms = mark
        margin_ms = max(int((end_ms - start_ms) * PERIOD_MARGIN), PERIOD_MARGIN_MIN_MS)
        first, last = start_ms - margin_ms, min(end_ms + margin_ms, now_ms())
        last = max(last, first + 3_600_000)
        step_s = timeparams.nice_step(start_ms=first, end_ms=last, max_buckets=CHART_BUCKETS)
        window = {
            "range_ms": last - first,
            "every": timeparams.format_duration(step_s),
            "start_ms": first,
            "end_ms": last,
        }
    main_meters = {kind: _main_meter(state, kind) for kind in CARRIERS}
    series = []
    for point in selected:
        typical = point.latest.value if point.latest is not None else 0.0
        carrier = next(
            (CARRIERS[kind] for kind, main in main_meters.items() if main is point), None
        )
        series.append(
            {
                "point": point.row.point,
                "label": point.row.point + (f" ({point.row.zone})" if point.row.zone else ""),
                "url": f"/api/v1/buildings/{building}/series?"
                + urlencode({"point": point.row.point}),
                "unit": unit_label(point.row.unit) or point.row.unit,
                "decimals": decimals_for(point.row.unit, typical),
                "interval_s": point.row.interval_s,
                # The ledger's hourly kWh is the hour's mean kW: comparable with a kW meter.
                "baseline_url": None
                if carrier is None or point.row.unit != "kW"
                else f"/api/v1/buildings/{building}/consumption?"
                + urlencode({"resolution": "hour", "carrier": carrier}),
            }
        )
    return {
        "points": selected,
        "series": series,
        "mark": mark,
        **window,
    }


def _selected_points(state: BuildingState, requested: list[str] | None) -> list[PointState]:
    """The points to chart: those asked for (known ones, at most :data:`MAX_CHART_POINTS`),
    else the first key point with a reading."""
    by_id = {point.row.point: point for point in state.points}
    chosen = list(dict.fromkeys(p for p in requested or [] if p in by_id))
    if chosen:
        return [by_id[p] for p in chosen[:MAX_CHART_POINTS]]
    with_reading = [point for point in state.points if point.latest is not None]
    if with_reading:
        return with_reading[:1]
    return state.points[:1]


def _main_meter(state: BuildingState, kind: KeyKind) -> PointState | None:
    """The building's main meter of ``kind``: the first point of its kind (key points sort
    main meters first), as the energy ledger and the key figures take it."""
    return next((point for point in state.points if point.kind is kind), None)


def _period(from_: str | None, to: str | None) -> tuple[int, int] | None:
    """A finding's period from the query, in epoch ms; None unless both ends parse in order."""
    if not from_ or not to:
        return None
    try:
        start_ms, end_ms = timeparams.parse_instant(from_), timeparams.parse_instant(to)
    except ValueError:
        return None
    return (start_ms, end_ms) if start_ms < end_ms else None


def _chart_link(finding: FindingRow) -> str:
    """The building page's chart of a finding's points over its period ("show in chart")."""
    end = finding.end or datetime.now(TIMEZONE)
    query = [("point", point) for point in finding.points]
    query += [("from", finding.start.isoformat()), ("to", end.isoformat())]
    return "?" + urlencode(query) + "#chart-section"


def _energy_urls(building: str, today: date) -> dict[str, str]:
    """The JSON API's energy views of the building: the last 31 days by day, the last
    :data:`ENERGY_MONTHS` months by month, the heat map and the intensity."""
    base = f"/api/v1/buildings/{building}"
    months_back = today.year * 12 + today.month - 1 - (ENERGY_MONTHS - 1)
    first = date(months_back // 12, months_back % 12 + 1, 1)
    following = today.year * 12 + today.month
    end = date(following // 12, following % 12 + 1, 1)
    monthly = {"resolution": "month", "start": first.isoformat(), "end": end.isoformat()}
    return {
        "day": f"{base}/consumption?resolution=day",
        "day_csv": f"{base}/consumption?resolution=day&format=csv",
        "month": f"{base}/consumption?{urlencode(monthly)}",
        "month_csv": f"{base}/consumption?{urlencode({**monthly, 'format': 'csv'})}",
        "heatmap": f"{base}/consumption/heatmap?"
        + urlencode({"carrier": "electricity", "days": HEATMAP_DAYS}),
        "intensity": f"{base}/intensity",
    }


def _waste_chart(states: list[BuildingState]) -> list[dict[str, object]]:
    """The :data:`WASTE_CHART_TOP` buildings with the most unresolved waste in NOK, most first:
    what the portfolio's waste chart draws."""
    wasteful = sorted(
        (state for state in states if state.tally.waste_nok > 0),
        key=lambda state: (-state.tally.waste_nok, state.row.id),
    )
    return [
        {"id": s.row.id, "name": s.row.name, "nok": round(s.tally.waste_nok)}
        for s in wasteful[:WASTE_CHART_TOP]
    ]


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
