"""``/api/v1/buildings``: the portfolio, and each building with its points and newest readings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import problems, schemas
from api.deps import PortfolioDep
from api.openapi import responses
from api.portfolio import BuildingState, Tally
from api.timeutil import from_ms
from byggpuls.reading import BuildingType

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
    latest: Annotated[
        bool,
        Query(
            description="Look up each building's newest reading (last_reading_at). Set false to"
            " answer from the registry alone, which is faster for a large portfolio."
        ),
    ] = True,
) -> schemas.BuildingList:
    """Every building by id: its description, how many points it has, when it last sent a
    reading, and its unresolved findings with the waste they add up to."""
    states = await portfolio.buildings(latest=latest, tolerate_store_errors=False)
    items = [summary(state) for state in states]
    return schemas.BuildingList(items=items, count=len(items))


@router.get(
    "/{building_id}",
    summary="One building with its points and their newest readings",
    response_model=schemas.Building,
    responses=responses(problems.NOT_FOUND),
)
async def read_building(building_id: BuildingId, portfolio: PortfolioDep) -> schemas.Building:
    """The building, its points as the registry describes them (domain, quantity, unit, Brick
    class, zone, interval) and each point's newest value and time."""
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
    )


def tally(value: Tally) -> schemas.FindingTally:
    return schemas.FindingTally(
        open=value.open,
        acknowledged=value.acknowledged,
        waste_kwh=value.waste_kwh,
        waste_nok=value.waste_nok,
    )
