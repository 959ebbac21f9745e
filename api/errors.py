"""Exception handlers: every error leaves the app as problem details (see :mod:`api.problems`).

========================================  =====  ===========================================
Raised                                    HTTP   Problem type
========================================  =====  ===========================================
:class:`ProblemError`                     its    its own
request validation (FastAPI)              422    ``/problems/invalid-parameters``
unknown route                             404    ``/problems/not-found``
other HTTP errors (405, ...)              its    ``about:blank``
registry ``NotFound``                     404    ``/problems/not-found``
registry ``InvalidTransition``            409    ``/problems/invalid-transition``
registry ``InvalidValue``                 422    ``/problems/invalid-parameters``
``StoreUnavailable``, ``ConfigError``     503    ``/problems/service-unavailable``
anything else                             500    ``/problems/internal-error``
========================================  =====  ===========================================

Store and internal errors are logged in full and answered in general terms: their messages
name hosts and databases, which a client has no business knowing. A browser asking for a
dashboard page (``Accept: text/html``) gets the same problem as an HTML page.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from api import problems
from api.problems import ProblemError, ProblemKind
from byggpuls.errors import ConfigError, StoreError, StoreUnavailable
from byggpuls.registry.errors import InvalidTransition, InvalidValue, NotFound

logger = logging.getLogger(__name__)

#: Renders a problem as an HTML page: (request, problem body, headers) -> response.
HtmlRenderer = Callable[[Request, Mapping[str, Any], Mapping[str, str]], Response]

#: Paths that are API, never pages, whatever the client accepts.
_MACHINE_PREFIXES = ("/api/", "/healthz", "/metrics", "/openapi.json", "/static/")
_LOCATIONS = frozenset({"query", "path", "header", "cookie"})


def install(app: FastAPI, *, render_html: HtmlRenderer | None = None) -> None:
    """Register the handlers that turn every error of ``app`` into problem details."""

    def respond(
        request: Request,
        *,
        kind: ProblemKind | None,
        status: int,
        detail: str | None,
        extensions: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        body = problems.problem_body(
            kind=kind,
            status=status,
            detail=detail,
            instance=_instance(request),
            extensions=extensions,
        )
        if render_html is not None and wants_html(request):
            return render_html(request, body, headers or {})
        return problems.problem_response(body, headers=headers)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return respond(
            request,
            kind=exc.kind,
            status=exc.kind.status,
            detail=exc.detail,
            extensions=exc.extensions,
            headers=exc.headers,
        )

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problem = problems.invalid_parameters([_invalid_parameter(e) for e in exc.errors()])
        return await on_problem(request, problem)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        status = exc.status_code
        kind = problems.NOT_FOUND if status == 404 else None
        detail = exc.detail if exc.detail != problems.status_phrase(status) else None
        if status == 404 and detail in (None, "Not Found"):
            detail = f"There is nothing at {request.url.path}."
        return respond(request, kind=kind, status=status, detail=detail, headers=exc.headers)

    async def on_not_found(request: Request, exc: Exception) -> Response:
        return respond(request, kind=problems.NOT_FOUND, status=404, detail=str(exc))

    async def on_transition(request: Request, exc: Exception) -> Response:
        return respond(request, kind=problems.INVALID_TRANSITION, status=409, detail=str(exc))

    async def on_invalid_value(request: Request, exc: Exception) -> Response:
        problem = problems.invalid_parameters([{"detail": str(exc)}])
        return await on_problem(request, problem)

    async def on_unavailable(request: Request, exc: Exception) -> Response:
        logger.warning("%s %s: a store is unavailable: %s", request.method, request.url.path, exc)
        return respond(
            request,
            kind=problems.SERVICE_UNAVAILABLE,
            status=503,
            detail="The reading store or the registry database did not answer. Try again later.",
            headers={"Retry-After": str(problems.RETRY_AFTER_S)},
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        error_id = uuid.uuid4().hex[:12]
        logger.error(
            "%s %s failed (error id %s)", request.method, request.url.path, error_id, exc_info=exc
        )
        return respond(
            request,
            kind=problems.INTERNAL_ERROR,
            status=500,
            detail=f"The server failed to answer; operators can find error id {error_id} in"
            " its log.",
            extensions={"error_id": error_id},
        )

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(NotFound, on_not_found)
    app.add_exception_handler(InvalidTransition, on_transition)
    app.add_exception_handler(InvalidValue, on_invalid_value)
    app.add_exception_handler(StoreUnavailable, on_unavailable)
    app.add_exception_handler(ConfigError, on_unavailable)
    # Any other store failure (a refused query, a broken schema) is the server's fault.
    app.add_exception_handler(StoreError, on_unexpected)
    app.add_exception_handler(Exception, on_unexpected)


def wants_html(request: Request) -> bool:
    """Whether the client is a browser asking for a page rather than a program asking the API."""
    path = request.url.path
    if path.startswith(_MACHINE_PREFIXES) or path.startswith("/docs") or path == "/redoc":
        return False
    return "text/html" in request.headers.get("accept", "")


def _instance(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def _invalid_parameter(error: Mapping[str, Any]) -> dict[str, Any]:
    location = tuple(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if location and location[0] in _LOCATIONS:
        # A repeated parameter's item is named by the parameter (``type``, not ``type.0``):
        # its values are the same name given several times.
        name = location[1] if len(location) > 1 else ""
        return {"detail": message, "parameter": name, "in": location[0]}
    if location and location[0] == "body":
        return {"detail": message, "pointer": "#/" + "/".join(location[1:])}
    return {"detail": message}
