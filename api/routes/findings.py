"""``/api/v1/findings``: what the analytics flagged, and its lifecycle.

A finding moves open → acknowledged → resolved, and resolved → open again
(``byggpuls.registry.rows.FINDING_TRANSITIONS``). Each move is a POST to
``/api/v1/findings/{id}/{action}``; repeating a move that is done already changes nothing, so a
retried request is harmless.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Header, Path, Query

from api import problems, schemas
from api.deps import RegistryDep, WorkersDep
from api.openapi import responses
from byggpuls.registry.errors import InvalidTransition, NotFound
from byggpuls.registry.rows import FINDING_TRANSITIONS, FindingRow, FindingStatus

router = APIRouter(prefix="/findings", tags=["findings"])

#: Action -> the status it moves a finding to.
ACTIONS: Final[dict[schemas.FindingAction, FindingStatus]] = {
    "acknowledge": FindingStatus.ACKNOWLEDGED,
    "resolve": FindingStatus.RESOLVED,
    "reopen": FindingStatus.OPEN,
}
_ACTION_OF: Final = {status: action for action, status in ACTIONS.items()}
#: Sec-Fetch-Site values of requests a browser makes from this site, or on a person's own.
_OWN_SITE: Final = frozenset({"same-origin", "none"})

FindingId = Annotated[int, Path(description="The finding id.", examples=[17])]


async def refuse_cross_site(
    sec_fetch_site: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    """Refuse a change a browser sends on behalf of another site (cross-site request forgery).

    Browsers say where a request comes from in Sec-Fetch-Site; programs send no such header.
    """
    if sec_fetch_site is not None and sec_fetch_site.lower() not in _OWN_SITE:
        raise problems.ProblemError(
            problems.CROSS_SITE, f"Changes are not accepted from a {sec_fetch_site} page."
        )


@router.get(
    "",
    summary="List findings",
    response_model=schemas.FindingList,
    responses=responses(problems.NOT_FOUND, problems.INVALID_PARAMETERS),
)
async def list_findings(
    registry: RegistryDep,
    workers: WorkersDep,
    building: Annotated[
        str | None, Query(description="Only this building's findings.", examples=["nordnes-skole"])
    ] = None,
    status: Annotated[
        FindingStatus | None, Query(description="Only findings in this status.")
    ] = None,
) -> schemas.FindingList:
    """Findings, latest start first, with their evidence and the waste in kWh and NOK; filtered
    by building and status. An unknown building is a 404, not an empty list, so that a typo
    does not pass for a building without findings."""
    if building is not None and await workers.run(registry.building, building) is None:
        raise problems.not_found(f"There is no building {building!r}.")
    rows = await workers.run(
        registry.findings, building=building, status=None if status is None else status.value
    )
    items = [finding(row) for row in rows]
    return schemas.FindingList(
        items=items,
        count=len(items),
        waste_kwh=sum(item.waste_kwh for item in items),
        waste_nok=sum(item.waste_nok for item in items),
    )


@router.get(
    "/{finding_id}",
    summary="One finding",
    response_model=schemas.Finding,
    responses=responses(problems.NOT_FOUND, problems.INVALID_PARAMETERS),
)
async def read_finding(
    finding_id: FindingId, registry: RegistryDep, workers: WorkersDep
) -> schemas.Finding:
    """The finding with its evidence, waste and status."""
    row = await workers.run(registry.finding, finding_id)
    if row is None:
        raise problems.not_found(f"There is no finding {finding_id}.")
    return finding(row)


_CHANGE_RESPONSES = responses(
    problems.NOT_FOUND,
    problems.INVALID_TRANSITION,
    problems.CROSS_SITE,
    problems.INVALID_PARAMETERS,
)
_CHANGE_DEPENDENCIES = [Depends(refuse_cross_site)]


@router.post(
    "/{finding_id}/acknowledge",
    summary="Acknowledge a finding",
    response_model=schemas.Finding,
    responses=_CHANGE_RESPONSES,
    dependencies=_CHANGE_DEPENDENCIES,
)
async def acknowledge(
    finding_id: FindingId, registry: RegistryDep, workers: WorkersDep
) -> schemas.Finding:
    """Someone has seen the finding and takes care of it: open → acknowledged."""
    return await _move(finding_id, "acknowledge", registry=registry, workers=workers)


@router.post(
    "/{finding_id}/resolve",
    summary="Resolve a finding",
    response_model=schemas.Finding,
    responses=_CHANGE_RESPONSES,
    dependencies=_CHANGE_DEPENDENCIES,
)
async def resolve(
    finding_id: FindingId, registry: RegistryDep, workers: WorkersDep
) -> schemas.Finding:
    """The cause is fixed: acknowledged → resolved. An open finding is acknowledged first."""
    return await _move(finding_id, "resolve", registry=registry, workers=workers)


@router.post(
    "/{finding_id}/reopen",
    summary="Reopen a finding",
    response_model=schemas.Finding,
    responses=_CHANGE_RESPONSES,
    dependencies=_CHANGE_DEPENDENCIES,
)
async def reopen(
    finding_id: FindingId, registry: RegistryDep, workers: WorkersDep
) -> schemas.Finding:
    """The problem is back: resolved → open."""
    return await _move(finding_id, "reopen", registry=registry, workers=workers)


async def _move(
    finding_id: int,
    action: schemas.FindingAction,
    *,
    registry: RegistryDep,
    workers: WorkersDep,
) -> schemas.Finding:
    try:
        await workers.run(registry.set_finding_status, finding_id, ACTIONS[action].value)
    except NotFound:
        raise problems.not_found(f"There is no finding {finding_id}.") from None
    except InvalidTransition as exc:
        row = await workers.run(registry.finding, finding_id)
        now = "unknown" if row is None else row.status
        allowed = [] if row is None else actions(row)
        raise problems.ProblemError(
            problems.INVALID_TRANSITION,
            f"Finding {finding_id} is {now}, so {action!r} is not possible; it accepts"
            f" {', '.join(allowed) or 'no action'}.",
            extensions={"finding_status": now, "allowed": allowed},
        ) from exc
    row = await workers.run(registry.finding, finding_id)
    if row is None:  # deleted in between
        raise problems.not_found(f"There is no finding {finding_id}.")
    return finding(row)


def actions(row: FindingRow) -> list[schemas.FindingAction]:
    """The lifecycle actions a finding accepts in its status."""
    targets = FINDING_TRANSITIONS.get(FindingStatus(row.status), frozenset())
    return sorted(_ACTION_OF[target] for target in targets)


def finding(row: FindingRow) -> schemas.Finding:
    """A finding as the API shows it."""
    return schemas.Finding(
        id=row.id,
        building=row.building,
        kind=row.kind,
        points=list(row.points),
        start=row.start,
        end=row.end,
        evidence=dict(row.evidence),
        waste_kwh=row.waste_kwh,
        waste_nok=row.waste_nok,
        score=row.score,
        status=FindingStatus(row.status),
        actions=actions(row),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
