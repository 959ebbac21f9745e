"""``/api/v1/audit`` and ``/api/v1/broker-access``: what was changed by whom, and whether the
broker has caught up. Admins only, as the partners' routes (:mod:`api.routes.partners`)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query, Request

from api import problems, timeparams
from api.deps import RegistryDep, SettingsDep, WorkersDep, services
from api.openapi import responses
from api.partner_schemas import AuditEvent, AuditTrail, BrokerAccess
from api.partners import public_broker_url
from api.routes.partners import require_admin
from api.timeutil import from_ms
from byggpuls.access.sync import describe

router = APIRouter(tags=["audit"], dependencies=[Depends(require_admin)])

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 500
#: An action is ``noun.verb`` (``grant.create``), as the registry records it.
ACTION_PATTERN: Final = r"^[a-z][a-z_]{0,31}\.[a-z][a-z_]{0,31}$"


@router.get(
    "/audit",
    summary="The audit trail",
    response_model=AuditTrail,
    responses=responses(problems.FORBIDDEN, problems.INVALID_PARAMETERS),
)
async def read_audit(
    *,
    registry: RegistryDep,
    workers: WorkersDep,
    action: Annotated[
        str | None,
        Query(
            description="Only this action: user.create, user.disable, key.create,"
            " key.revoke, session.login_failed, grant.create, grant.revoke, grant.expire,"
            " broker_client.create, broker_client.issue, ...",
            examples=["grant.create"],
            pattern=ACTION_PATTERN,
        ),
    ] = None,
    since: Annotated[
        str | None,
        Query(
            description="Only events from this instant on: RFC 3339 with a time zone"
            " (`2025-01-31T06:00:00Z`) or seconds since the Unix epoch."
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="The most events in the answer.")
    ] = DEFAULT_LIMIT,
) -> AuditTrail:
    """Who changed what, newest first: users, API keys, logins, grants (made, revoked,
    expired) and broker logins. Never a password or a token."""
    start = None
    if since is not None:
        try:
            start = from_ms(timeparams.parse_instant(since))
        except ValueError as exc:
            raise problems.invalid_parameter("since", str(exc)) from None
    rows = await workers.run(lambda: registry.audit_events(since=start, limit=limit, action=action))
    items = [
        AuditEvent(
            id=row.id,
            at=row.at,
            actor=row.actor,
            action=row.action,
            target=row.target,
            detail=dict(row.detail),
        )
        for row in rows
    ]
    return AuditTrail(items=items, count=len(items), limit=limit)


@router.get(
    "/broker-access",
    summary="Whether the broker follows the grants",
    response_model=BrokerAccess,
    responses=responses(problems.FORBIDDEN),
)
async def read_broker_access(request: Request, settings: SettingsDep) -> BrokerAccess:
    """Whether this API keeps the broker's access control at the registry's grants
    (BYGGPULS_BROKER_ACCESS=mosquitto), when the broker last matched them, the last error, and
    what the last successful look changed. A change made here reaches the broker within
    seconds; a failed look is tried again (see docs/access.md)."""
    access = services(request).access
    status = None if access is None else access.status
    changes = None if status is None else status.last_changes
    return BrokerAccess(
        managed=access is not None,
        credential_key=settings.broker_passwords is not None,
        public_url=public_broker_url(settings),
        last_success=None if status is None else status.last_success,
        last_error=None if status is None else status.last_error,
        last_changes=None if changes is None else describe(changes),
    )
