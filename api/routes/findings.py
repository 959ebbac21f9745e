"""``/api/v1/findings``: what the analytics flagged, what to do about it, and its lifecycle.

A finding moves open → acknowledged → resolved; an open one may be resolved at once (a false
alarm, a fault fixed on the spot); a resolved one is reopened (``FINDING_TRANSITIONS`` in
``byggpuls.registry.rows`` is the one table of the moves, and the API offers exactly those).
Each move is a POST to ``/api/v1/findings/{id}/{action}`` with an optional comment, and is kept
in the finding's audit trail with who made it and when. Repeating a move that is done already
changes nothing and records nothing, so a retried request is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Final

from fastapi import APIRouter, Body, Depends, Header, Path, Query

from api import problems, schemas, timeparams
from api.advice import ADVICE, Words, advice_for
from api.auth import Principal, PrincipalDep
from api.deps import RegistryDep, WorkersDep
from api.identity import ActorDep
from api.openapi import responses
from api.timeutil import from_ms
from byggpuls.reading import is_id
from byggpuls.registry.errors import InvalidTransition, NotFound
from byggpuls.registry.findings import FindingFilter, FindingSort
from byggpuls.registry.rows import (
    FINDING_TRANSITIONS,
    FindingAction,
    FindingRow,
    FindingStatus,
)

router = APIRouter(prefix="/findings", tags=["findings"])
#: The findings of one building, under the building.
building_router = APIRouter(prefix="/buildings", tags=["findings"])

#: Action -> the status it moves a finding to.
ACTIONS: Final[dict[schemas.FindingAction, FindingStatus]] = {
    "acknowledge": FindingStatus.ACKNOWLEDGED,
    "resolve": FindingStatus.RESOLVED,
    "reopen": FindingStatus.OPEN,
}
_ACTION_OF: Final = {status: action for action, status in ACTIONS.items()}
#: Sec-Fetch-Site values of requests a browser makes from this site, or on a person's own.
_OWN_SITE: Final = frozenset({"same-origin", "none"})
DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1000

#: Ids are 64-bit in the database: a larger number is a bad parameter, not a server error.
FindingId = Annotated[int, Path(description="The finding id.", examples=[17], ge=1, le=2**63 - 1)]
_TIME_HELP = "RFC 3339 with a time zone (`2025-01-31T06:00:00Z`) or seconds since the Unix epoch."


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


@dataclass(frozen=True, slots=True)
class ListParams:
    """The filters, order and page of a list of findings, checked."""

    where: FindingFilter
    sort: FindingSort
    limit: int
    offset: int


async def list_params(
    *,
    kind: Annotated[
        list[str] | None,
        Query(
            description="Only findings of these kinds (repeat for several; GET"
            " /api/v1/findings/kinds lists them).",
            examples=[["after_hours_operation"]],
        ),
    ] = None,
    status: Annotated[
        list[FindingStatus] | None,
        Query(description="Only findings in these statuses (repeat for several)."),
    ] = None,
    start: Annotated[
        str | None,
        Query(description=f"Only episodes that end after this instant or go on. {_TIME_HELP}"),
    ] = None,
    end: Annotated[
        str | None, Query(description=f"Only episodes that start before this instant. {_TIME_HELP}")
    ] = None,
    sort: Annotated[
        FindingSort,
        Query(description="`start`: the latest start first; `waste`: the most NOK first."),
    ] = "start",
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="The most findings on one page.")
    ] = DEFAULT_LIMIT,
    offset: Annotated[
        int, Query(ge=0, le=1_000_000_000, description="Matching findings to skip.")
    ] = 0,
) -> ListParams:
    """The query parameters both lists share, parsed: each bad one is listed in one 422."""
    errors: list[dict[str, str]] = []
    # Kinds are ids; anything else matches nothing, and a NUL would not even reach PostgreSQL.
    errors += [
        {"detail": f"{value!r} is not a kind of finding", "parameter": "kind", "in": "query"}
        for value in kind or ()
        if not is_id(value)
    ]
    instants: dict[str, int] = {}
    for name, text in (("start", start), ("end", end)):
        if text is None:
            continue
        try:
            instants[name] = timeparams.parse_instant(text)
        except ValueError as exc:
            errors.append({"detail": str(exc), "parameter": name, "in": "query"})
    if errors:
        raise problems.invalid_parameters(errors)
    if len(instants) == 2 and instants["start"] >= instants["end"]:
        raise problems.ProblemError(
            problems.INVALID_RANGE,
            f"start ({from_ms(instants['start']).isoformat()}) must lie before end"
            f" ({from_ms(instants['end']).isoformat()}).",
        )
    where = FindingFilter(
        kinds=kind or None,
        statuses=[value.value for value in status] if status else None,
        start=from_ms(instants["start"]) if "start" in instants else None,
        end=from_ms(instants["end"]) if "end" in instants else None,
    )
    return ListParams(where, sort, limit, offset)


ListParamsDep = Annotated[ListParams, Depends(list_params)]
_LIST_RESPONSES = responses(problems.NOT_FOUND, problems.INVALID_RANGE, problems.INVALID_PARAMETERS)


@router.get(
    "",
    summary="List findings of the portfolio",
    response_model=schemas.FindingList,
    responses=_LIST_RESPONSES,
)
async def list_findings(
    registry: RegistryDep,
    workers: WorkersDep,
    principal: PrincipalDep,
    params: ListParamsDep,
    building: Annotated[
        str | None, Query(description="Only this building's findings.", examples=["nordnes-skole"])
    ] = None,
) -> schemas.FindingList:
    """Findings with their evidence, waste in kWh and NOK, likely cause and what to check;
    filtered by building, kind, status and the period they overlap; the latest start or the
    largest waste first, a page at a time. `count`, `waste_kwh` and `waste_nok` are of all the
    findings that match, not only the page's. Only the buildings the caller may see are
    listed. An unknown building is a 404, not an empty list, so that a typo does not pass for a
    building without findings."""
    if building is not None and not (is_id(building) and principal.sees(building)):
        raise problems.not_found(f"There is no building {building!r}.")
    scope = None if building is not None else principal.scope
    return await _page(building, params, scope=scope, registry=registry, workers=workers)


@building_router.get(
    "/{building_id}/findings",
    summary="List a building's findings",
    response_model=schemas.FindingList,
    responses=_LIST_RESPONSES,
)
async def list_building_findings(
    building_id: Annotated[str, Path(description="The building id.", examples=["nordnes-skole"])],
    registry: RegistryDep,
    workers: WorkersDep,
    params: ListParamsDep,
) -> schemas.FindingList:
    """The building's findings, filtered, sorted and paged as GET /api/v1/findings does."""
    return await _page(building_id, params, scope=None, registry=registry, workers=workers)


async def _page(
    building: str | None,
    params: ListParams,
    *,
    scope: frozenset[str] | None,
    registry: RegistryDep,
    workers: WorkersDep,
) -> schemas.FindingList:
    """One page of the findings of ``building`` (None: of ``scope``, None: of all)."""
    if building is not None and (
        not is_id(building) or await workers.run(registry.building, building) is None
    ):
        raise problems.not_found(f"There is no building {building!r}.")
    where = params.where
    if building is not None or scope is not None:
        where = replace(where, buildings=[building] if building is not None else scope)
    page = await workers.run(
        registry.finding_page, where, sort=params.sort, limit=params.limit, offset=params.offset
    )
    return schemas.FindingList(
        items=[finding(row) for row in page.items],
        count=page.count,
        limit=params.limit,
        offset=params.offset,
        waste_kwh=page.waste_kwh,
        waste_nok=page.waste_nok,
    )


@router.get(
    "/kinds", summary="The kinds of finding, with advice", response_model=schemas.FindingKinds
)
async def list_kinds() -> schemas.FindingKinds:
    """Every kind of finding the analytics report: its title, the likely cause and what to
    check, in bokmål and English. The same texts come with each finding."""
    return schemas.FindingKinds(
        items=[
            schemas.FindingKind(
                kind=kind,
                title=_text(advice.title),
                cause=_text(advice.cause),
                check=_text(advice.check),
            )
            for kind, advice in ADVICE.items()
        ]
    )


@router.get(
    "/{finding_id}",
    summary="One finding",
    response_model=schemas.Finding,
    responses=responses(problems.NOT_FOUND, problems.INVALID_PARAMETERS),
)
async def read_finding(
    finding_id: FindingId, registry: RegistryDep, workers: WorkersDep, principal: PrincipalDep
) -> schemas.Finding:
    """The finding with its evidence, waste, likely cause, what to check, and status."""
    return finding(await _row(finding_id, principal, registry=registry, workers=workers))


@router.get(
    "/{finding_id}/events",
    summary="A finding's audit trail",
    response_model=schemas.FindingEvents,
    responses=responses(problems.NOT_FOUND, problems.INVALID_PARAMETERS),
)
async def read_events(
    finding_id: FindingId, registry: RegistryDep, workers: WorkersDep, principal: PrincipalDep
) -> schemas.FindingEvents:
    """Every change of the finding, first first: when, who, which action, from and to which
    status, and the comment given. The analytics appear as `analytics` (they detect a finding,
    close it when its problem stopped recurring and reopen it when it recurs)."""
    await _row(finding_id, principal, registry=registry, workers=workers)
    rows = await workers.run(registry.finding_events, finding_id)
    items = [
        schemas.FindingEvent(
            occurred_at=row.occurred_at,
            actor=row.actor,
            action=FindingAction(row.action),
            from_status=None if row.from_status is None else FindingStatus(row.from_status),
            to_status=FindingStatus(row.to_status),
            comment=row.comment,
        )
        for row in rows
    ]
    return schemas.FindingEvents(finding=finding_id, count=len(items), items=items)


_CHANGE_RESPONSES = responses(
    problems.NOT_FOUND,
    problems.INVALID_TRANSITION,
    problems.CROSS_SITE,
    problems.INVALID_PARAMETERS,
)
_CHANGE_DEPENDENCIES = [Depends(refuse_cross_site)]
ChangeBody = Annotated[schemas.FindingChange | None, Body()]


@router.post(
    "/{finding_id}/acknowledge",
    summary="Acknowledge a finding",
    response_model=schemas.Finding,
    responses=_CHANGE_RESPONSES,
    dependencies=_CHANGE_DEPENDENCIES,
)
async def acknowledge(
    *,
    finding_id: FindingId,
    registry: RegistryDep,
    workers: WorkersDep,
    actor: ActorDep,
    principal: PrincipalDep,
    body: ChangeBody = None,
) -> schemas.Finding:
    """Someone has seen the finding and takes care of it: open → acknowledged."""
    return await _move(
        finding_id,
        "acknowledge",
        body,
        actor,
        principal=principal,
        registry=registry,
        workers=workers,
    )


@router.post(
    "/{finding_id}/resolve",
    summary="Resolve a finding",
    response_model=schemas.Finding,
    responses=_CHANGE_RESPONSES,
    dependencies=_CHANGE_DEPENDENCIES,
)
async def resolve(
    *,
    finding_id: FindingId,
    registry: RegistryDep,
    workers: WorkersDep,
    actor: ActorDep,
    principal: PrincipalDep,
    body: ChangeBody = None,
) -> schemas.Finding:
    """The cause is fixed, or the finding was a false alarm: acknowledged → resolved, and also
    open → resolved, in one step (one event in the trail): a finding need not be acknowledged
    before it is resolved."""
    return await _move(
        finding_id, "resolve", body, actor, principal=principal, registry=registry, workers=workers
    )


@router.post(
    "/{finding_id}/reopen",
    summary="Reopen a finding",
    response_model=schemas.Finding,
    responses=_CHANGE_RESPONSES,
    dependencies=_CHANGE_DEPENDENCIES,
)
async def reopen(
    *,
    finding_id: FindingId,
    registry: RegistryDep,
    workers: WorkersDep,
    actor: ActorDep,
    principal: PrincipalDep,
    body: ChangeBody = None,
) -> schemas.Finding:
    """The problem is back: resolved → open."""
    return await _move(
        finding_id, "reopen", body, actor, principal=principal, registry=registry, workers=workers
    )


async def _row(
    finding_id: int, principal: Principal, *, registry: RegistryDep, workers: WorkersDep
) -> FindingRow:
    """The finding, if it exists for the caller: one of a building they may not see does not."""
    row = await workers.run(registry.finding, finding_id)
    if row is None or not principal.sees(row.building):
        raise problems.not_found(f"There is no finding {finding_id}.")
    return row


async def _move(
    finding_id: int,
    action: schemas.FindingAction,
    body: schemas.FindingChange | None,
    actor: str,
    *,
    principal: Principal,
    registry: RegistryDep,
    workers: WorkersDep,
) -> schemas.Finding:
    await _row(finding_id, principal, registry=registry, workers=workers)
    comment = None if body is None else body.comment
    try:
        await workers.run(
            registry.set_finding_status,
            finding_id,
            ACTIONS[action].value,
            actor=actor,
            comment=comment,
        )
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
    # Deleted in between: a 404 all the same.
    return finding(await _row(finding_id, principal, registry=registry, workers=workers))


def actions(row: FindingRow) -> list[schemas.FindingAction]:
    """The lifecycle actions a finding accepts in its status."""
    targets = FINDING_TRANSITIONS.get(FindingStatus(row.status), frozenset())
    return sorted(_ACTION_OF[target] for target in targets)


def _text(words: Words) -> schemas.LocalText:
    return schemas.LocalText(nb=words.nb, en=words.en)


def finding(row: FindingRow) -> schemas.Finding:
    """A finding as the API shows it, with the advice on its kind."""
    advice = advice_for(row.kind)
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
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        title=None if advice is None else _text(advice.title),
        cause=None if advice is None else _text(advice.cause),
        check=None if advice is None else _text(advice.check),
    )
