"""Logging in and out of the dashboard, and ``GET /api/v1/me``: who the credentials are.

``POST /login`` checks the password (Argon2, on a worker thread: it takes a few hundred
milliseconds by design), starts a server-side session and sets its cookie; ``POST /logout``
ends it. A failed login says only that the username or password is wrong, whichever it was,
and the registry records it in the audit trail.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from api import problems
from api.auth import (
    PARTNER_ACCESS,
    SESSION_COOKIE,
    SESSION_TTL,
    PrincipalDep,
    form_fields,
    principal_of,
    safe_next,
)
from api.deps import RegistryDep, SettingsDep, TemplatesDep, WorkersDep
from api.openapi import responses
from api.routes.findings import refuse_cross_site
from api.web import render
from byggpuls.auth import same_token

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["auth"])


class Me(BaseModel):
    """Who the request's credentials are, and what they may see."""

    username: str = Field(examples=["kari"])
    display_name: str = Field(examples=["Kari Nordmann"])
    role: str = Field(description="admin, manager or partner.", examples=["manager"])
    buildings: list[str] | None = Field(
        description="The buildings they may see; null: every building.",
        examples=[["nordnes-skole"]],
    )
    via: str = Field(description="session, key or demo.", examples=["key"])


@api.get(
    "/me",
    summary="Who the credentials are",
    response_model=Me,
    openapi_extra=PARTNER_ACCESS,
    responses=responses(problems.UNAUTHENTICATED),
)
async def me(principal: PrincipalDep) -> Me:
    """The user behind the session or API key, their role and the buildings they may see."""
    return Me(
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role.value,
        buildings=None if principal.scope is None else sorted(principal.scope),
        via=principal.via,
    )


@pages.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request,
    templates: TemplatesDep,
    next_: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """The login form."""
    return _form(request, templates, next_path=safe_next(next_))


@pages.post("/login", dependencies=[Depends(refuse_cross_site)])
async def login(
    request: Request,
    registry: RegistryDep,
    workers: WorkersDep,
    templates: TemplatesDep,
) -> Response:
    """Check the password; on success start a session and go where the person was headed."""
    fields = await form_fields(request)
    username = fields.get("username", "").strip()
    password = fields.get("password", "")
    next_path = safe_next(fields.get("next"))
    user = None
    if username and password:
        user = await workers.run(registry.authenticate, username, password)
    if user is None:
        return _form(
            request,
            templates,
            next_path=next_path,
            username=username,
            error=True,
            status_code=401,
        )
    token, _csrf = await workers.run(lambda: registry.create_session(user.id, ttl=SESSION_TTL))
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    return response


@pages.post("/logout", dependencies=[Depends(refuse_cross_site)])
async def logout(
    request: Request,
    registry: RegistryDep,
    workers: WorkersDep,
    settings: SettingsDep,
) -> Response:
    """End the session (when the form carries its CSRF token) and go to the login page."""
    principal = await principal_of(request, registry, workers, settings)
    token = request.cookies.get(SESSION_COOKIE)
    if principal is not None and principal.via == "session" and token:
        sent = (await form_fields(request)).get("csrf_token", "")
        if principal.csrf is None or not same_token(sent, principal.csrf):
            raise problems.ProblemError(
                problems.CROSS_SITE, "Logging out needs the page's CSRF token; reload the page."
            )
        await workers.run(registry.end_session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _form(
    request: Request,
    templates: TemplatesDep,
    *,
    next_path: str,
    username: str = "",
    error: bool = False,
    status_code: int = 200,
) -> Response:
    return render(
        templates,
        request,
        "login.html",
        {"next_path": next_path, "username": username, "error": error},
        status_code=status_code,
    )
