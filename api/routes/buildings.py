"""``/api/v1/buildings``: the portfolio, and each building with its points and newest readings."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api import problems, schemas
from api.auth import PrincipalDep
from api.deps import PortfolioDep
from api.openapi import responses
from api.ordering import Order, order_key
from api.portfolio import BuildingState, Tally
from api.timeutil import from_ms
from byggpuls.reading import BuildingType
from byggpuls.registry.health import HealthDayRow

router = APIRouter(prefix="/buildings", tags=["buildings"])

#: The most buildings one page of the list holds: the whole of a large municipality's portfolio.
MAX_LIMIT: Final = 1000


class BandFilter(StrEnum):
    """A health band to filter the list by."""

    GOOD = "good"
    WATCH = "watch"
    ACT = "act"
    UNKNOWN = "unknown"


BuildingId = Annotated[
    str,
    Path(description="The building id (as in GET /api/v1/buildings).", examples=["nordnes-skole"]),
]


@router.get(
    "",
    summary="List every building",
    response_model=schemas.BuildingList,
    responses=responses(),
)
async def list_buildings(
    *,
    portfolio: PortfolioDep,
    principal: PrincipalDep,
    latest: Annotated[
        bool,
        Query(
            description="Look up each building's newest reading (last_reading_at). Set false to"
            " answer from the registry alone, which is faster for a large portfolio."
        ),
    ] = True,
    sort: Annotated[
        Order,
        Query(
            description="id or name; health: worst first, buildings never scored or unknown"
            " last; waste: the unresolved findings' waste in NOK, largest first; intensity:"
            " kWh per m² and year, largest first, unknown last."
        ),
    ] = Order.ID,
    type_: Annotated[
        list[BuildingType] | None,
        Query(alias="type", description="Only buildings of these types (repeatable)."),
    ] = None,
    band: Annotated[
        list[BandFilter] | None,
        Query(
            description="Only buildings in these health bands (repeatable); `unknown` is a"
            " building never scored or with too little data."
        ),
    ] = None,
    open_findings: Annotated[
        bool | None,
        Query(
            description="true: only buildings with unresolved findings; false: only those without."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Buildings on one page.")] = (
        MAX_LIMIT
    ),
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Buildings to skip.")] = 0,
) -> Response:
    """The buildings the caller may see, filtered, sorted and a page at a time: each with its
    description, how many points it has, when it last sent a reading, its unresolved findings
    with the waste they add up to, and its newest health score. ``count`` is how many match."""
    states = await portfolio.buildings(
        latest=latest, tolerate_store_errors=False, scope=principal.scope
    )
    if type_:
        states = [s for s in states if s.row.type in {t.value for t in type_}]
    if band:
        wanted = {b.value for b in band}
        states = [s for s in states if _band_of(s) in wanted]
    if open_findings is not None:
        states = [s for s in states if (s.tally.unresolved > 0) == open_findings]
    if sort is Order.INTENSITY:
        await portfolio.add_intensity(states, now=datetime.now(UTC))
    ordered = sorted(states, key=order_key(sort))
    items = [summary(state) for state in ordered[offset : offset + limit]]
    body = schemas.BuildingList(items=items, count=len(ordered), limit=limit, offset=offset)
    # Serialised here, once: FastAPI would validate the thousand items of the model it was
    # just given again before serialising them.
    return Response(body.model_dump_json(), media_type="application/json")


def _band_of(state: BuildingState) -> str:
    health = state.health
    return "unknown" if health is None or health.band is None else health.band


@router.get(
    "/{building_id}",
    summary="One building with its points and their newest readings",
    response_model=schemas.Building,
    responses=responses(problems.NOT_FOUND),
)
async def read_building(building_id: BuildingId, portfolio: PortfolioDep) -> schemas.Building:
    """The building, its health with the breakdown and reasons and the trend of the last 30
    days, its points as the registry describes them (domain, quantity, unit, Brick class, zone,
    interval) and each point's newest value and time."""
    state = await portfolio.building(building_id, tolerate_store_errors=False)
    if state is None:
        raise problems.not_found(f"There is no building {building_id!r}.")
    row = state.row
    last = state.last_reading_ms
    return schemas.Building(
        id=row.id,
        name=row.name,
        type=BuildingType(row.type),
        floor_area_m2=row.floor_area_m2,
        address=row.address,
        last_reading_at=None if last is None else from_ms(last),
        findings=tally(state.tally),
        health=health(state.health),
        health_trend=[
            schemas.HealthTrendDay(day=day.day, score=day.score, band=_band(day.band))
            for day in state.health_trend
        ],
        points=[
            schemas.Point(
                id=point.row.point,
                domain=point.row.domain,
                quantity=point.row.quantity,
                unit=point.row.unit,
                brick_class=point.row.brick_class,
                zone=point.row.zone,
                interval_s=point.row.interval_s,
                description=point.row.description,
                latest=None
                if point.latest is None
                else schemas.LatestValue(
                    time=from_ms(point.latest.time_ms), value=point.latest.value
                ),
            )
            for point in state.points
        ],
    )


def summary(state: BuildingState) -> schemas.BuildingSummary:
    """A building as the list shows it."""
    row = state.row
    last = state.last_reading_ms
    return schemas.BuildingSummary(
        id=row.id,
        name=row.name,
        type=BuildingType(row.type),
        floor_area_m2=row.floor_area_m2,
        address=row.address,
        point_count=len(state.points),
        last_reading_at=None if last is None else from_ms(last),
        findings=tally(state.tally),
        health=health_summary(state.health),
        intensity_kwh_m2_year=None
        if state.intensity_kwh_m2 is None
        else round(state.intensity_kwh_m2, 1),
    )


def health_summary(day: HealthDayRow | None) -> schemas.HealthSummary | None:
    """The newest day's score and each part's score, as the list shows them."""
    if day is None:
        return None
    return schemas.HealthSummary(
        score=day.score,
        band=_band(day.band),
        day=day.day,
        parts={name: part.get("score") for name, part in day.parts.items()},
    )


def health(day: HealthDayRow | None) -> schemas.BuildingHealth | None:
    """The newest day's health with each part's weight and reasons."""
    if day is None:
        return None
    return schemas.BuildingHealth(
        score=day.score,
        band=_band(day.band),
        day=day.day,
        parts={name: schemas.HealthPart.model_validate(part) for name, part in day.parts.items()},
    )


_BANDS: dict[str | None, schemas.HealthBand] = {"good": "good", "watch": "watch", "act": "act"}


def _band(band: str | None) -> schemas.HealthBand | None:
    """The recorded band as the schema names it (an unknown score has none)."""
    return _BANDS.get(band)


def tally(value: Tally) -> schemas.FindingTally:
    return schemas.FindingTally(
        open=value.open,
        acknowledged=value.acknowledged,
        waste_kwh=value.waste_kwh,
        waste_nok=value.waste_nok,
    )
