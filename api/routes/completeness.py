"""``/api/v1/buildings/{id}/completeness``: how much of what the points promise has arrived."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import problems, schemas
from api.deps import AccountingDep, RegistryDep, WorkersDep
from api.openapi import responses
from byggpuls.calendar import TIMEZONE

router = APIRouter(prefix="/buildings", tags=["buildings"])


@router.get(
    "/{building_id}/completeness",
    summary="Readings received versus expected, per point, on one day",
    response_model=schemas.Completeness,
    responses=responses(problems.NOT_FOUND),
)
async def read_completeness(
    building_id: Annotated[str, Path(description="The building id.", examples=["skole-01"])],
    registry: RegistryDep,
    accounting: AccountingDep,
    workers: WorkersDep,
    day: Annotated[
        date | None,
        Query(description="The local (Europe/Oslo) day, YYYY-MM-DD. Default: today (so far)."),
    ] = None,
) -> schemas.Completeness:
    """Per point: readings received on ``day`` against readings expected. A point is expected
    to report once every ``interval_s`` (from its gateway's meta) from the later of the day's
    start and the time the registry first saw the point, to the earlier of the day's end and
    now. Days run from midnight to midnight in Europe/Oslo, so they are 23 or 25 hours long
    when the clocks change; a day before a point existed expects nothing of it; readings a
    gateway did not send while it was down are missing. A point without ``interval_s`` is
    listed as uncountable and left out of the totals rather than guessed at.

    Per gateway: packs received, packs repeated, packs missing between the lowest and highest
    sequence number seen (all time), readings its points owed on ``day`` that did not arrive,
    and its last status, including readings its spool had to drop."""
    building = await workers.run(registry.building, building_id)
    if building is None:
        raise problems.not_found(f"There is no building {building_id!r}.")
    day = day or datetime.now(TIMEZONE).date()
    rows, sequences, states = await asyncio.gather(
        workers.run(accounting.completeness, building_id, day),
        workers.run(accounting.gateway_sequences, building_id),
        workers.run(accounting.gateway_states, building_id),
    )
    points = [
        schemas.PointCompleteness(
            point=row.point,
            gateway=row.gateway,
            received=row.received,
            expected=row.expected,
            missing=row.missing,
            interval_s=row.interval_s,
            ratio=row.ratio,
        )
        for row in rows
    ]
    countable = [row for row in rows if row.countable]
    received = sum(row.received for row in countable)
    expected = sum(row.expected or 0 for row in countable)
    missing = sum(row.missing or 0 for row in countable)
    missing_of: dict[str | None, int] = defaultdict(int)
    for row in countable:
        missing_of[row.gateway] += row.missing or 0
    state_of = {state.gateway: state for state in states}
    gateways = []
    for sequence in sequences:
        state = state_of.get(sequence.gateway)
        gateways.append(
            schemas.GatewayCompleteness(
                gateway=sequence.gateway,
                packs=sequence.packs,
                duplicates=sequence.duplicates,
                missing_packs=sequence.missing,
                missing_readings=missing_of[sequence.gateway],
                first_seq=sequence.first_seq,
                last_seq=sequence.last_seq,
                last_seen=sequence.last_seen,
                state=None if state is None else state.state,
                spool_depth=None if state is None else state.spool_depth,
                spool_dropped=None if state is None else state.spool_dropped,
            )
        )
    return schemas.Completeness(
        building=building_id,
        day=day,
        received=received,
        expected=expected,
        missing=missing,
        ratio=(expected - missing) / expected if expected else None,
        uncountable=[row.point for row in rows if not row.countable],
        points=points,
        gateways=gateways,
    )
