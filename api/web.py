"""What the pages need: templates in the reader's language (gettext catalogs, Babel formatting
filters), static files, security headers, and problem details rendered as a page for browsers."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import anyio
import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api import formatting, i18n
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
    """The page templates: autoescaped, strict about undefined names, translated with gettext
    (``_()``, ``{% trans %}``) and formatted by the filters, both in the page's ``lang``.

    Static URLs carry a digest of the file, so browsers cache them and still see a new version.
    """
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        # Every template is HTML: escape everything, whatever the file name.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        _page_gettext, _page_ngettext, newstyle=True
    )
    environment.filters.update(formatting.FILTERS)
    environment.filters.update(
        {name: _localized(function) for name, function in formatting.LOCALIZED.items()}
    )
    digests = {
        path.relative_to(STATIC_DIR).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in STATIC_DIR.rglob("*")
        if path.is_file()
    }

    def static_url(root: str, name: str) -> str:
        return f"{root}/static/{name}?v={digests.get(name, '0')}"

    environment.globals["static_url"] = static_url
    return Jinja2Templates(env=environment)


@jinja2.pass_context
def _page_gettext(context: jinja2.runtime.Context, message: str) -> str:
    return i18n.gettext(context.get("lang", i18n.DEFAULT_LANGUAGE), message)


@jinja2.pass_context
def _page_ngettext(context: jinja2.runtime.Context, singular: str, plural: str, count: int) -> str:
    return i18n.ngettext(context.get("lang", i18n.DEFAULT_LANGUAGE), singular, plural, count)


def _localized(function: Callable[..., str]) -> Callable[..., str]:
    """A formatting function as a filter that formats in the page's language."""

    @jinja2.pass_context
    def localized(context: jinja2.runtime.Context, *args: Any, **kwargs: Any) -> str:
        return function(*args, lang=context.get("lang", i18n.DEFAULT_LANGUAGE), **kwargs)

    return localized


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
    """A page in the reader's language, with the security headers every page carries.

    ``?lang=`` on the request chooses the language and keeps the choice in a cookie.
    """
    merged = {**SECURITY_HEADERS, **(headers or {})}
    lang = i18n.language_of(request)
    page_context = {
        "root": request.scope.get("root_path", ""),
        "lang": lang,
        "html_lang": i18n.html_lang(lang),
        "other_languages": _language_links(request, lang),
        # Who is logged in, where the page's route asked (None on public pages).
        "principal": getattr(request.state, "principal", None),
        **context,
    }
    response = templates.TemplateResponse(
        request, name, page_context, status_code=status_code, headers=merged
    )
    if i18n.requested_language(request) is not None:
        response.set_cookie(
            i18n.COOKIE,
            lang,
            max_age=i18n.COOKIE_MAX_AGE_S,
            path=page_context["root"] or "/",
            samesite="lax",
        )
    return response


#: Each language's name in itself, for the language switch.
_LANGUAGE_NAMES: Final = {"nb": "Norsk", "en": "English"}


def _language_links(request: Request, lang: str) -> list[tuple[str, str, str]]:
    """The other languages as ``(code, name, href)``: this page, with ``lang`` set."""
    kept = [(key, value) for key, value in request.query_params.multi_items() if key != i18n.QUERY]
    return [
        (other, _LANGUAGE_NAMES[other], "?" + urlencode([*kept, (i18n.QUERY, other)]))
        for other in i18n.LANGUAGES
        if other != lang
    ]


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
    """Bring the broker's access to the registry's grants and keep it there (when the API
    manages it); stop that and the worker threads when the server stops. The adapters belong
    to the caller."""
    access = app.state.byggpuls.access
    if access is not None:
        access.start()  # its first look runs in its own thread
    try:
        yield
    finally:
        if access is not None:
            await anyio.to_thread.run_sync(access.stop)
        app.state.byggpuls.workers.close()
