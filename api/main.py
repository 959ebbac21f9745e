"""The app: the routers, wired to the adapters the composition root hands in."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import RedirectResponse, Response

from api import docs, errors, openapi, web
from api.auth import LoginRequired, authorize
from api.deps import Services, forget_portfolio_after_change
from api.metrics import ApiMetrics, MetricsMiddleware
from api.routes import api_router, catalog, dashboard, health, login, partners_page
from api.routes import metrics as metrics_route
from api.settings import ApiSettings
from api.snapshot import PortfolioCache
from api.workers import Workers
from byggpuls.access.sync import AccessSync
from byggpuls.registry.accounting import Accounting
from byggpuls.registry.repository import Registry
from byggpuls.storage.port import ReadingReader


def create_app(
    *,
    store: ReadingReader,
    registry: Registry,
    accounting: Accounting,
    settings: ApiSettings,
    access: AccessSync | None = None,
) -> FastAPI:
    """The API and dashboard over the adapters given, which stay the caller's to close.

    ``access``, when given, is started with the app and stopped with it: it keeps the broker's
    access control at the registry's grants, and every change made through the API pokes it.
    """
    templates = web.make_templates()
    app = FastAPI(
        title=docs.TITLE,
        summary=docs.SUMMARY,
        description=docs.DESCRIPTION,
        version=_version(),
        openapi_tags=docs.TAGS,
        lifespan=web.lifespan,
        # Served from the vendored assets instead (docs_page): /docs works offline.
        docs_url=None,
        redoc_url=None,
    )
    app.state.byggpuls = Services(
        store=store,
        registry=registry,
        accounting=accounting,
        settings=settings,
        workers=Workers(settings.api_workers),
        templates=templates,
        portfolio_cache=PortfolioCache(settings.api_portfolio_cache_s),
        access=access,
    )
    app.state.metrics = ApiMetrics()
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    errors.install(app, render_html=web.problem_renderer(templates))
    openapi.install(app)

    # Every /api/v1 route signs the request in and checks its scope (api.auth).
    app.include_router(
        api_router,
        prefix="/api/v1",
        dependencies=[Depends(authorize), Depends(forget_portfolio_after_change)],
    )
    app.include_router(login.api, prefix="/api/v1")
    app.include_router(login.pages)
    app.add_exception_handler(LoginRequired, _to_login)
    app.include_router(health.router)
    app.include_router(metrics_route.router)
    app.include_router(dashboard.router)
    app.include_router(partners_page.router)
    app.include_router(catalog.pages)
    app.add_api_route("/docs", docs_page, include_in_schema=False)
    app.mount("/static", web.static_files(), name="static")
    return app


async def docs_page(request: Request) -> Response:
    """Swagger UI over the OpenAPI document, from the vendored assets (no CDN)."""
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title=f"{docs.TITLE} · Swagger UI",
        swagger_js_url=f"{root}{web.SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{web.SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{root}/static/favicon.svg",
        # No badge from the public validator: it would send the document elsewhere.
        swagger_ui_parameters={"validatorUrl": None},
    )


async def _to_login(request: Request, exc: Exception) -> Response:
    """A page asked for without a session: the login page, then back."""
    assert isinstance(exc, LoginRequired)
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/login?{urlencode({'next': exc.next_path})}", status_code=303)


def _version() -> str:
    try:
        return version("byggpuls")
    except PackageNotFoundError:
        return "0+unknown"
