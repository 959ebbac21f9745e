"""``/api/v1/buildings``: the portfolio, and each building with its points and newest readings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import problems, schemas
from api.auth import PrincipalDep
from api.deps import PortfolioDep
from api.openapi import responses
from api.portfolio import BuildingState, Order, Tally, order_key
from api.timeutil import from_ms
from byggpuls.reading import BuildingType
from byggpuls.registry.health import HealthDayRow

router = APIRouter(prefix="/buildings", tags=["buildings"])

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
            " last; waste: the unresolved findings' waste in NOK, largest first."
        ),
    ] = Order.ID,
) -> schemas.BuildingList:
    """Every building the caller may see: its description, how many points it has, when it
    last sent a reading, its unresolved findings with the waste they add up to, and its newest
    health score."""
    states = await portfolio.buildings(
        latest=latest, tolerate_store_errors=False, scope=principal.scope
    )
    items = [summary(state) for state in sorted(states, key=order_key(sort))]
    return schemas.BuildingList(items=items, count=len(items))


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
