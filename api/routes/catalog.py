"""``/api/v1/catalog`` and the ``/catalog`` page: what data exists, per building type and per
building, how it is published and how private it is, for innovation partners.

Both read every building's registry rows and points as the portfolio's cache holds them
(:mod:`api.snapshot`: two queries at most every few seconds), or one building's now, and
leave out what the caller may not read (:mod:`api.catalog`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api import catalog, catalog_schemas, problems
from api.auth import PARTNER_ACCESS, PagePrincipalDep, PrincipalDep
from api.deps import PortfolioDep, RegistryDep, TemplatesDep, WorkersDep
from api.openapi import responses
from api.web import render
from byggpuls.reading import BuildingInfo, BuildingType, PointInfo, is_id
from byggpuls.topics import KNOWN_DOMAINS

router = APIRouter(prefix="/catalog", tags=["catalog"])
pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

#: Buildings on one page of the dashboard's catalogue: each comes with all its points.
PAGE_LIMIT: Final = 25


@router.get(
    "",
    summary="What data exists: per building type, per building, its payload and privacy",
    response_model=catalog_schemas.Catalog,
    responses={
        200: {
            "content": {"application/json": {"example": catalog.example().model_dump(mode="json")}}
        },
        **responses(problems.NOT_FOUND, problems.INVALID_PARAMETERS),
    },
    # Partners read it: what they are told is what their grants let them read.
    openapi_extra=PARTNER_ACCESS,
)
async def read_catalog(
    *,
    registry: RegistryDep,
    workers: WorkersDep,
    portfolio: PortfolioDep,
    principal: PrincipalDep,
    building_type: Annotated[
        BuildingType | None, Query(description="Only buildings of this type.")
    ] = None,
    domain: Annotated[
        str | None,
        Query(
            description="Only this domain (energy, climate, hvac, occupancy, water, ...);"
            " buildings without it are left out.",
            examples=["climate"],
        ),
    ] = None,
    building: Annotated[
        str | None,
        Query(
            description="Only this building; an unknown one is a 404.", examples=["nordnes-skole"]
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=catalog.MAX_LIMIT, description="Buildings on one page.")
    ] = catalog.DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Buildings to skip.")] = 0,
) -> Response:
    """For each building type: how many buildings, which domains they have with each one's
    privacy class there, and per domain the quantities with their units, Brick classes and
    typical update interval. For each building (a page at a time, by id; `count` is every
    match): its domains with their MQTT topic, privacy class, update interval and points.
    Then the payload's shape (SenML JSON, RFC 8428) with an example pack as gateways publish
    it, and what each privacy class means.

    Only the buildings the caller may see are listed, and of each only the domains the caller
    may read (a partner: the granted ones). The per-type summary counts those alone, over
    every page: it never tells of data the caller may not read."""
    if domain is not None and not is_id(domain):
        raise problems.invalid_parameter(
            "domain", f"{domain[:80]!r} is not a domain id: 1-64 of a-z, 0-9, '_' and '-'"
        )
    if building is not None and not (is_id(building) and principal.sees(building)):
        raise problems.not_found(f"There is no building {building!r}.")
    buildings, points = await _registry_part(registry, workers, portfolio, building)
    if building is not None and not buildings:
        raise problems.not_found(f"There is no building {building!r}.")
    body = catalog.catalogue(
        buildings=buildings,
        points=points,
        access=principal,
        filters=catalog.Filters(
            building_type=None if building_type is None else building_type.value,
            domain=domain,
            building=building,
        ),
        limit=limit,
        offset=offset,
    )
    # Serialised here, once: FastAPI would validate the model it was just given again.
    return Response(body.model_dump_json(), media_type="application/json")


async def _registry_part(
    registry: RegistryDep, workers: WorkersDep, portfolio: PortfolioDep, building: str | None
) -> tuple[Sequence[BuildingInfo], Mapping[str, Sequence[PointInfo]]]:
    """The buildings and their points by building: one building's, read now, or every
    building's, as the portfolio's cache holds them (a few seconds old at most)."""
    if building is not None:
        row, rows = await asyncio.gather(
            workers.run(registry.building, building), workers.run(registry.points, building)
        )
        return ([] if row is None else [row]), {building: rows}
    part = await portfolio.registry_part()
    return part.rows, part.points


@pages.get("/catalog", openapi_extra=PARTNER_ACCESS)
async def catalog_page(
    *,
    request: Request,
    registry: RegistryDep,
    workers: WorkersDep,
    portfolio: PortfolioDep,
    templates: TemplatesDep,
    principal: PagePrincipalDep,
    type_: Annotated[str | None, Query(alias="type")] = None,
    domain: Annotated[str | None, Query()] = None,
    offset: Annotated[str | None, Query()] = None,
) -> Response:
    """The catalogue as a page: the same content as the JSON, a page of buildings at a time.
    A filter value the page does not know is ignored, as the portfolio page does."""
    filters = catalog.Filters(
        building_type=type_ if type_ in BuildingType.__members__.values() else None,
        domain=domain if domain and is_id(domain) else None,
    )
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    start = int(offset) if offset and offset.isascii() and offset.isdigit() else 0
    buildings, points = await _registry_part(registry, workers, portfolio, None)
    found = catalog.catalogue(
        buildings=buildings,
        points=points,
        access=principal,
        filters=filters,
        limit=PAGE_LIMIT,
        offset=start,
    )
    return render(
        templates,
        request,
        "catalog.html",
        {
            "catalog": found,
            "filters": filters,
            "types": list(BuildingType),
            "domains": sorted({*KNOWN_DOMAINS, *([filters.domain] if filters.domain else [])}),
            "pack_lines": catalog.pack_lines(found.payload.example),
            "page_limit": PAGE_LIMIT,
            "previous": _page_query(filters, start - PAGE_LIMIT) if start > 0 else None,
            "next": _page_query(filters, start + PAGE_LIMIT)
            if start + PAGE_LIMIT < found.count
            else None,
        },
    )


def _page_query(filters: catalog.Filters, offset: int) -> str:
    """The query string of another page of the same filters."""
    query = [("type", filters.building_type), ("domain", filters.domain)]
    kept = [(name, value) for name, value in query if value]
    return "?" + urlencode([*kept, ("offset", str(max(offset, 0)))]) + "#buildings"
