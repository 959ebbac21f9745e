"""What the pages need: templates with the Norwegian formatting filters, static files, security
headers, and problem details rendered as a page for browsers."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api import formatting
from api.errors import HtmlRenderer

PACKAGE_DIR: Final = Path(__file__).resolve().parent
TEMPLATES_DIR: Final = PACKAGE_DIR / "templates"
STATIC_DIR: Final = PACKAGE_DIR / "static"
#: Where the vendored Swagger UI is served (static/vendor/README.md says which release).
SWAGGER_UI: Final = "/static/vendor/swagger-ui"

#: Scripts, styles, images and API calls from this server only: an injected script or a
#: script from elsewhere does not run, whatever a building's name contains.
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
        " frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def make_templates() -> Jinja2Templates:
    """The page templates: autoescaped, strict about undefined names, with the formatting filters.

    Static URLs carry a digest of the file, so browsers cache them and still see a new version.
    """
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        # Every template is HTML: escape everything, whatever the file name.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(formatting.FILTERS)
    digests = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in STATIC_DIR.iterdir()
        if path.is_file()
    }

    def static_url(root: str, name: str) -> str:
        return f"{root}/static/{name}?v={digests.get(name, '0')}"

    environment.globals["static_url"] = static_url
    return Jinja2Templates(env=environment)


def static_files() -> StaticFiles:
    """The dashboard's CSS and JavaScript."""
    return StaticFiles(directory=STATIC_DIR)


def render(
    templates: Jinja2Templates,
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A page, with the security headers every page carries."""
    merged = {**SECURITY_HEADERS, **(headers or {})}
    page_context = {
        "root": request.scope.get("root_path", ""),
        # Who is logged in, where the page's route asked (None on public pages).
        "principal": getattr(request.state, "principal", None),
        **context,
    }
    return templates.TemplateResponse(
        request, name, page_context, status_code=status_code, headers=merged
    )


def problem_renderer(templates: Jinja2Templates) -> HtmlRenderer:
    """Renders problem details as a page, for a browser that asked for one."""

    def render_problem(
        request: Request, problem: Mapping[str, Any], headers: Mapping[str, str]
    ) -> Response:
        return render(
            templates,
            request,
            "error.html",
            {"problem": problem},
            status_code=int(problem["status"]),
            headers=headers,
        )

    return render_problem


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Stop the worker threads when the server stops; the adapters belong to the caller."""
    try:
        yield
    finally:
        app.state.byggpuls.workers.close()
