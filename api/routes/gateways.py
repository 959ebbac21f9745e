"""``/api/v1/gateways``: whether each building's gateways are online and getting their data
through.

A gateway publishes its status (``online`` in its birth message, ``offline`` as its MQTT last
will, with its spool's backlog and what the spool had to drop); ingest keeps the newest and
counts the gateway's packs by sequence number. Both are read from the registry's completeness
accounting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path

from api import problems, schemas
from api.auth import PrincipalDep
from api.deps import AccountingDep, RegistryDep, WorkersDep
from api.openapi import responses
from byggpuls.reading import is_id
from byggpuls.registry.accounting import Accounting, GatewaySequenceRow, GatewayStateRow

router = APIRouter(tags=["gateways"])


@router.get(
    "/gateways",
    summary="The portfolio's gateways",
    response_model=schemas.GatewayList,
    responses=responses(),
)
async def list_gateways(
    accounting: AccountingDep, workers: WorkersDep, principal: PrincipalDep
) -> schemas.GatewayList:
    """Every gateway ingest has heard from in the buildings the caller may see, by building
    and id: online or offline as last reported, when it was last heard from, its spool backlog
    and dropped readings, and its missing and repeated packs."""
    return await _gateways(None, accounting=accounting, workers=workers, sees=principal.sees)


@router.get(
    "/buildings/{building_id}/gateways",
    summary="A building's gateways",
    response_model=schemas.GatewayList,
    responses=responses(problems.NOT_FOUND),
)
async def list_building_gateways(
    building_id: Annotated[str, Path(description="The building id.", examples=["nordnes-skole"])],
    registry: RegistryDep,
    accounting: AccountingDep,
    workers: WorkersDep,
) -> schemas.GatewayList:
    """The building's gateways, as GET /api/v1/gateways shows them."""
    if not is_id(building_id) or await workers.run(registry.building, building_id) is None:
        raise problems.not_found(f"There is no building {building_id!r}.")
    return await _gateways(building_id, accounting=accounting, workers=workers)


async def _gateways(
    building: str | None,
    *,
    accounting: Accounting,
    workers: WorkersDep,
    sees: Callable[[str], bool] = lambda _: True,
) -> schemas.GatewayList:
    states, sequences = await asyncio.gather(
        workers.run(accounting.gateway_states, building),
        workers.run(accounting.gateway_sequences, building),
    )
    state_of = {(row.building, row.gateway): row for row in states}
    sequence_of = {(row.building, row.gateway): row for row in sequences}
    items = [
        gateway(state_of.get(key), sequence_of.get(key))
        for key in sorted(state_of.keys() | sequence_of.keys())
        if sees(key[0])
    ]
    return schemas.GatewayList(
        items=items,
        count=len(items),
        online=sum(item.state == "online" for item in items),
        offline=sum(item.state == "offline" for item in items),
    )


def gateway(state: GatewayStateRow | None, sequence: GatewaySequenceRow | None) -> schemas.Gateway:
    """A gateway as the API shows it, from its status, its sequence accounting, or both."""
    known = state or sequence
    assert known is not None
    heard = [
        moment
        for moment in (
            None if sequence is None else sequence.last_seen,
            None if state is None else state.updated_at,
        )
        if moment is not None
    ]
    return schemas.Gateway(
        building=known.building,
        gateway=known.gateway,
        state=None if state is None else state.state,
        last_seen=max(heard, default=None),
        last_pack_at=None if sequence is None else sequence.last_seen,
        reported_at=None if state is None else state.reported_at,
        spool_depth=None if state is None else state.spool_depth,
        spool_dropped=None if state is None else state.spool_dropped,
        packs=None if sequence is None else sequence.packs,
        missing_packs=None if sequence is None else sequence.missing,
        duplicates=None if sequence is None else sequence.duplicates,
    )
