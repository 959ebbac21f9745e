"""The ``/partners`` page: innovation partners, their grants, the audit trail and the broker's
access sync, for admins.

The page shows; ``static/partners.js`` changes, through the JSON API
(:mod:`api.routes.partners`) with the session's CSRF token, as the finding actions do. The
credentials a change issues are shown by the script from the API's answer, once: the page
itself never holds one.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api import problems
from api.auth import PagePrincipalDep, Principal
from api.deps import RegistryDep, SettingsDep, TemplatesDep, WorkersDep, services
from api.partners import domain_class, partner_views, public_broker_url
from api.web import render
from byggpuls import privacy
from byggpuls.access.sync import describe
from byggpuls.auth import Role
from byggpuls.calendar import TIMEZONE
from byggpuls.privacy import PrivacyClass
from byggpuls.reading import BuildingType
from byggpuls.registry.rows import GrantStatus
from byggpuls.topics import KNOWN_DOMAINS

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

#: Audit events the page shows, newest first; the rest are in GET /api/v1/audit.
AUDIT_SHOWN: Final = 50
#: A new grant's expiry, by default: a year from today.
DEFAULT_GRANT_DAYS: Final = 365


async def require_admin_page(principal: PagePrincipalDep) -> Principal:
    """The page's principal, if an admin; anyone else gets the 403 page."""
    if principal.role is not Role.ADMIN:
        raise problems.ProblemError(problems.FORBIDDEN, "The partners page is for admins.")
    return principal


@router.get("/partners")
async def partners_page(
    *,
    request: Request,
    registry: RegistryDep,
    workers: WorkersDep,
    templates: TemplatesDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require_admin_page)],
) -> Response:
    """Partners with their grants, the forms to create a partner and to grant data, the last
    audit events and how the broker's access sync is doing."""
    partners, events, buildings = await asyncio.gather(
        workers.run(partner_views, registry, None),
        workers.run(lambda: registry.audit_events(limit=AUDIT_SHOWN)),
        workers.run(registry.buildings),
    )
    grants = sorted(
        (grant for partner in partners for grant in partner.grants),
        key=lambda grant: (grant.created_at, grant.id),
        reverse=True,
    )
    today = datetime.now(TIMEZONE).date()
    domains = _domains()
    return render(
        templates,
        request,
        "partners.html",
        {
            "partners": partners,
            "grants": grants,
            "active": GrantStatus.ACTIVE,
            "events": events,
            "audit_shown": AUDIT_SHOWN,
            "access": _access(request, settings.broker_passwords is not None),
            "public_url": public_broker_url(settings),
            "domains": domains,
            "descriptions": list(privacy.DESCRIPTIONS.items()),
            "types": list(BuildingType),
            "buildings": buildings,
            "min_reason": privacy.MIN_REASON_LENGTH,
            "default_expiry": (today + timedelta(days=DEFAULT_GRANT_DAYS)).isoformat(),
            "tomorrow": (today + timedelta(days=1)).isoformat(),
            "page_data": {
                "types": {row.id: row.type for row in buildings},
                "classes": {item["domain"]: item["classes"] for item in domains},
                "min_reason": privacy.MIN_REASON_LENGTH,
            },
        },
    )


def _domains() -> list[dict[str, Any]]:
    """The domains the grant form offers: each one's class in each building type, the class
    it has in most, where it differs, and whether it is ticked at first (open ones only)."""
    found = []
    for domain in KNOWN_DOMAINS:
        classes = {type_.value: domain_class(domain, [type_.value]) for type_ in BuildingType}
        usual = privacy.DOMAIN_CLASSES.get(domain, PrivacyClass.SENSITIVE)
        found.append(
            {
                "domain": domain,
                "usual": usual,
                "exceptions": [(t, c) for t, c in classes.items() if c is not usual],
                "checked": domain_class(domain, []) is PrivacyClass.OPEN,
                "classes": {t: c.value for t, c in classes.items()},
            }
        )
    return found


def _access(request: Request, credential_key: bool) -> dict[str, Any]:
    """The access sync's status, for the page."""
    sync = services(request).access
    status = None if sync is None else sync.status
    changes = None if status is None else status.last_changes
    return {
        "managed": sync is not None,
        "credential_key": credential_key,
        "last_success": None if status is None else status.last_success,
        "last_error": None if status is None else status.last_error,
        "last_changes": None if changes is None else describe(changes),
    }
