"""What routes depend on, as typed aliases: ``def route(store: StoreDep)``.

The adapters are created by the composition root and handed to :func:`api.main.create_app`,
which keeps them in ``app.state.byggpuls``; these functions hand them to the routes. They are
``async`` so FastAPI calls them on the event loop rather than on a thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from api.portfolio import Portfolio
from api.settings import ApiSettings
from api.snapshot import PortfolioCache
from api.workers import Workers
from byggpuls.registry.accounting import Accounting
from byggpuls.registry.repository import Registry
from byggpuls.storage.port import ReadingReader

if TYPE_CHECKING:
    from byggpuls.access.sync import AccessSync


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the routes use, created once per app."""

    store: ReadingReader
    registry: Registry
    accounting: Accounting
    settings: ApiSettings
    workers: Workers
    templates: Jinja2Templates
    portfolio_cache: PortfolioCache
    #: Keeps the broker's access control at the registry's grants; None when it is off.
    access: AccessSync | None = None


def services(request: Request) -> Services:
    """The app's :class:`Services`."""
    found: Services = request.app.state.byggpuls
    return found


async def get_store(request: Request) -> ReadingReader:
    return services(request).store


async def get_registry(request: Request) -> Registry:
    return services(request).registry


async def get_accounting(request: Request) -> Accounting:
    return services(request).accounting


async def get_settings(request: Request) -> ApiSettings:
    return services(request).settings


async def get_workers(request: Request) -> Workers:
    return services(request).workers


async def get_templates(request: Request) -> Jinja2Templates:
    return services(request).templates


StoreDep = Annotated[ReadingReader, Depends(get_store)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
AccountingDep = Annotated[Accounting, Depends(get_accounting)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
WorkersDep = Annotated[Workers, Depends(get_workers)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]


async def forget_portfolio_after_change(request: Request) -> AsyncIterator[None]:
    """After a change made through the API (a finding acknowledged, a grant revoked), the
    cached portfolio is forgotten, so that the next page shows it, and the broker's access is
    brought up to date at once."""
    yield
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        found = services(request)
        found.portfolio_cache.clear()
        if found.access is not None:
            found.access.poke()


async def get_portfolio(
    request: Request, store: StoreDep, registry: RegistryDep, workers: WorkersDep
) -> Portfolio:
    return Portfolio(
        store=store, registry=registry, workers=workers, cache=services(request).portfolio_cache
    )


PortfolioDep = Annotated[Portfolio, Depends(get_portfolio)]
