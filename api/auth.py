"""Who is asking: a session cookie (the dashboard) or a bearer API key (programs), and what
they may see.

Every ``/api/v1`` route and every dashboard page depends on :func:`authorize`, which finds the
:class:`Principal` of the request and applies the rules that hold for every route:

* without credentials the API answers 401 (``WWW-Authenticate: Bearer``) and a page sends the
  browser to ``/login``; with ``api_auth = demo`` the request is the demo user's instead, an
  admin, and the pages say so;
* a building outside the principal's scope does not exist for them: a route with a
  ``building_id`` in its path answers 404 before it runs, so no route can forget it; lists
  filter by :meth:`Principal.sees`;
* a partner reads only: any change is 403; and it reads only what it was granted: the
  catalogue (``/api/v1/catalog``, the ``/catalog`` page), its own account and the series of
  its granted ``(building, domain)`` pairs: the routes marked with :data:`PARTNER_ACCESS`
  (which the OpenAPI document shows); any other route is 403, and a building or point outside
  its grants is 404, as for a manager's scope;
* a change made with the session cookie must carry the session's CSRF token in the
  ``X-CSRF-Token`` header (or the ``csrf_token`` field of a form): a cookie is sent by the
  browser whatever page asks, a token only by our own pages. A bearer key is never sent by a
  browser on its own, so it needs none.

The session cookie is ``HttpOnly`` and ``SameSite=Lax``, ``Secure`` when the request came over
HTTPS. See ``docs/auth.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Final, Literal

from fastapi import Depends, Request

from api import problems
from api.deps import RegistryDep, SettingsDep, WorkersDep
from byggpuls import auth
from byggpuls.auth import Role
from byggpuls.registry.rows import UserRow

SESSION_COOKIE: Final = "byggpuls_session"
CSRF_HEADER: Final = "X-CSRF-Token"
#: How long a dashboard session lasts: a working day and then some.
SESSION_TTL: Final = timedelta(hours=12)
#: The principal of every request without credentials when ``api_auth`` is ``demo``.
DEMO_USER: Final = "demo"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
#: Marks a route a partner may use: ``@router.get(..., openapi_extra=PARTNER_ACCESS)``. Such a
#: route shows only what the partner's grants allow (``Principal.reads``).
PARTNER_ACCESS: Final = {"x-partner-access": True}


@dataclass(frozen=True, slots=True)
class Principal:
    """The person or program behind a request.

    ``scope``: the buildings they may see (None: every building). ``via``: how they proved who
    they are. ``csrf``: the session's CSRF token (sessions only). ``grants``: a partner's
    granted ``(building, domain)`` pairs, the only data they may read (None: every domain of
    the buildings in scope).
    """

    username: str
    display_name: str
    role: Role
    scope: frozenset[str] | None
    via: Literal["session", "key", "demo"]
    csrf: str | None = None
    grants: frozenset[tuple[str, str]] | None = None

    def sees(self, building: str) -> bool:
        """Whether the building exists for them."""
        return self.scope is None or building in self.scope

    def reads(self, building: str, domain: str) -> bool:
        """Whether they may read ``domain`` data of ``building`` (its points, its series)."""
        if not self.sees(building):
            return False
        return self.grants is None or (building, domain) in self.grants

    @property
    def may_change(self) -> bool:
        """Whether they may act (on findings): everyone but partners."""
        return self.role is not Role.PARTNER


class LoginRequired(Exception):
    """A page was asked for without a session: the browser goes to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


async def principal_of(
    request: Request, registry: RegistryDep, workers: WorkersDep, settings: SettingsDep
) -> Principal | None:
    """The request's principal, or None without (valid) credentials; read once per request."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    found = await _find_principal(request, registry=registry, workers=workers, demo=_demo(settings))
    request.state.principal = found
    return found


async def _find_principal(
    request: Request, *, registry: RegistryDep, workers: WorkersDep, demo: bool
) -> Principal | None:
    now = datetime.now(UTC)
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated("Send an API key as 'Authorization: Bearer bpk_...'.")
        user = await workers.run(lambda: registry.key_user(token.strip(), now=now))
        if user is None:
            raise _unauthenticated("The API key is not valid: unknown, revoked or expired.")
        return await _principal(user, "key", None, registry=registry, workers=workers)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = await workers.run(lambda: registry.session_user(cookie, now=now))
        if found is not None:
            user, csrf = found
            return await _principal(user, "session", csrf, registry=registry, workers=workers)
    if demo:
        return Principal(DEMO_USER, "Demo", Role.ADMIN, None, "demo")
    return None


async def _principal(
    user: UserRow,
    via: Literal["session", "key"],
    csrf: str | None,
    *,
    registry: RegistryDep,
    workers: WorkersDep,
) -> Principal:
    if user.role is Role.PARTNER:
        now = datetime.now(UTC)
        grants = await workers.run(registry.partner_pairs, user.username, now)
        granted = frozenset(building for building, _ in grants)
        return Principal(user.username, user.display_name, user.role, granted, via, csrf, grants)
    scope = await workers.run(registry.building_scope, user)
    return Principal(user.username, user.display_name, user.role, scope, via, csrf)


def _demo(settings: SettingsDep) -> bool:
    return settings.api_auth == "demo"


def _unauthenticated(detail: str) -> problems.ProblemError:
    return problems.ProblemError(
        problems.UNAUTHENTICATED, detail, headers={"WWW-Authenticate": 'Bearer realm="byggpuls"'}
    )


async def authorize(
    request: Request, principal: Annotated[Principal | None, Depends(principal_of)]
) -> Principal:
    """The principal of an API request, with the rules every route shares (module docstring)."""
    if principal is None:
        raise _unauthenticated(
            "Sign in: send an API key as 'Authorization: Bearer bpk_...', or log in on the"
            " dashboard."
        )
    return await _checked(request, principal)


async def authorize_page(
    request: Request, principal: Annotated[Principal | None, Depends(principal_of)]
) -> Principal:
    """The principal of a dashboard page; without one, the browser goes to the login page."""
    if principal is None:
        raise LoginRequired(_local_path(request))
    return await _checked(request, principal)


async def _checked(request: Request, principal: Principal) -> Principal:
    if principal.role is Role.PARTNER and not _for_partners(request):
        raise problems.ProblemError(
            problems.FORBIDDEN,
            "A partner reads the data catalogue (/api/v1/catalog) and the series of its grants"
            " (/api/v1/buildings/{id}/series); this is not among them.",
        )
    building = request.path_params.get("building_id")
    if isinstance(building, str) and not principal.sees(building):
        raise problems.not_found(f"There is no building {building!r}.")
    if request.method not in SAFE_METHODS:
        if not principal.may_change:
            raise problems.ProblemError(
                problems.FORBIDDEN, "A partner's access is read-only: nothing can be changed."
            )
        if principal.via == "session":
            await _check_csrf(request, principal)
    return principal


async def _check_csrf(request: Request, principal: Principal) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        sent = (await form_fields(request)).get("csrf_token")
    if principal.csrf is None or sent is None or not auth.same_token(sent, principal.csrf):
        raise problems.ProblemError(
            problems.CROSS_SITE,
            f"A change made with the dashboard's session needs its {CSRF_HEADER} header; reload"
            " the page and try again.",
        )


async def form_fields(request: Request) -> Mapping[str, str]:
    """The fields of a URL-encoded form body (the last value of each)."""
    from urllib.parse import parse_qsl

    body = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _for_partners(request: Request) -> bool:
    """Whether the route the request matched is marked with :data:`PARTNER_ACCESS`."""
    extra = getattr(request.scope.get("route"), "openapi_extra", None)
    return isinstance(extra, dict) and extra.get("x-partner-access") is True


def _local_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a path on this server only (never ``//host`` or a URL)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


PrincipalDep = Annotated[Principal, Depends(authorize)]
PagePrincipalDep = Annotated[Principal, Depends(authorize_page)]
