"""``/metrics``: the API's Prometheus metrics, in the text exposition format."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from api.deps import RegistryDep, StoreDep, WorkersDep, services
from api.metrics import AccessCollector, ApiMetrics, BuildingFigures, PortfolioCollector
from api.timeutil import from_ms
from api.workers import Workers
from byggpuls.errors import ByggpulsError
from byggpuls.registry.findings import UnresolvedTally
from byggpuls.registry.repository import Registry
from byggpuls.storage.port import ReadingReader

logger = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
async def metrics(
    request: Request, store: StoreDep, registry: RegistryDep, workers: WorkersDep
) -> Response:
    """Requests by method, route template and status, their latency, and process metrics; per
    building, the open and acknowledged findings, their waste (kWh, NOK) and the age of the
    newest reading; and, when the API keeps the broker's access control, whether that works."""
    collected: ApiMetrics = request.app.state.metrics
    portfolio = await read_portfolio(store=store, registry=registry, workers=workers)
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(portfolio)
    access = services(request).access
    if access is not None:
        scraped.register(AccessCollector(access.status))
    body = generate_latest(collected.registry) + generate_latest(scraped)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


async def read_portfolio(
    *, store: ReadingReader, registry: Registry, workers: Workers
) -> PortfolioCollector:
    """The per-building gauges now: one query for the buildings, one for the findings of all
    of them, and the store's newest readings of each building (as the building list reads them).

    A registry or store that does not answer leaves out what it would have said, and the
    collector says it is incomplete: request metrics are served all the same.
    """
    try:
        buildings, tallies = await asyncio.gather(
            workers.run(registry.buildings), workers.run(registry.unresolved_tallies)
        )
    except ByggpulsError as exc:
        logger.warning("portfolio metrics left out: the registry did not answer: %s", exc)
        return PortfolioCollector([], now=datetime.now(UTC), complete=False)
    ids = [row.id for row in buildings]
    newest = await asyncio.gather(
        *(_newest_reading(store, building, workers=workers) for building in ids)
    )
    # After the reads: a reading stored meanwhile must not come out younger than zero.
    now = datetime.now(UTC)
    tally_of = {tally.building: tally for tally in tallies}
    figures = []
    for building, (_, newest_at) in zip(ids, newest, strict=True):
        tally = tally_of.get(building, UnresolvedTally(building, 0, 0, 0.0, 0.0))
        figures.append(
            BuildingFigures(
                building=building,
                open_findings=tally.open,
                acknowledged_findings=tally.acknowledged,
                waste_kwh=tally.waste_kwh,
                waste_nok=tally.waste_nok,
                newest_reading_at=newest_at,
            )
        )
    complete = all(answered for answered, _ in newest)
    return PortfolioCollector(figures, now=now, complete=complete)


async def _newest_reading(
    store: ReadingReader, building: str, *, workers: Workers
) -> tuple[bool, datetime | None]:
    """Whether the store answered, and the time of the building's newest reading."""
    try:
        readings = await workers.run(store.latest, building)
    except ByggpulsError as exc:
        logger.warning("no newest reading of building %s for the metrics: %s", building, exc)
        return False, None
    newest_ms = max((reading.time_ms for reading in readings), default=None)
    return True, None if newest_ms is None else from_ms(newest_ms)
