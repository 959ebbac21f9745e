"""Settings of ``byggpuls api``: where to listen, and how much one response may carry."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import Field, model_validator

from byggpuls.access.settings import BrokerAccessSettings
from byggpuls.settings import CommonSettings, Environment, is_loopback

logger = logging.getLogger(__name__)


class ApiSettings(CommonSettings, BrokerAccessSettings):
    """``BYGGPULS_API_*``: the HTTP server, on top of the settings every service shares, and
    ``BYGGPULS_BROKER_*``: the broker's access control, which the API keeps at the registry's
    grants (:mod:`byggpuls.access.settings`)."""

    #: Loopback by default: the network is offered the API only when someone decides to
    #: (``--host 0.0.0.0``, behind a proxy that terminates TLS).
    api_host: str = "127.0.0.1"
    #: ``required``: every request signs in (a session from the login page, or an API key).
    #: ``demo``: a request without credentials is the demo user's, an admin, and the pages say
    #: so; ``byggpuls demo`` sets it. Production refuses ``demo``.
    api_auth: Literal["required", "demo"] = "required"
    api_port: int = Field(default=8000, ge=0, le=65535)
    #: The most samples one series response carries; a larger request is refused with a hint
    #: to use a larger ``every``. 10 000 is ~400 kB of JSON and more than any chart can show.
    api_series_max_points: int = Field(default=10_000, ge=100, le=1_000_000)
    #: Threads that call the reading store and the registry. They live as long as the app, so
    #: the per-thread connections of the embedded store are reused, not piled up.
    api_workers: int = Field(default=8, ge=1, le=64)
    #: Seconds the portfolio's shared part (every building's registry rows and newest
    #: readings) is kept between requests (api/snapshot.py); 0 reads it afresh every time.
    api_portfolio_cache_s: float = Field(default=10.0, ge=0.0, le=300.0)

    @model_validator(mode="after")
    def _refuse_demo_in_production(self) -> ApiSettings:
        if self.environment is Environment.PRODUCTION and self.api_auth != "required":
            raise ValueError(
                "BYGGPULS_API_AUTH=demo lets anyone in as an admin: production needs"
                " BYGGPULS_API_AUTH=required (the default); create the first admin with"
                " `byggpuls admin create-user NAME --role admin`"
            )
        if self.environment is Environment.PRODUCTION and not is_loopback(self.api_host):
            logger.info(
                "the API listens on %s: serve it behind a proxy that terminates TLS, so that"
                " passwords, keys and session cookies never cross the network in clear",
                self.api_host,
            )
        return self

    @property
    def dashboard_url(self) -> str:
        """The URL a person opens for the dashboard (loopback when listening everywhere)."""
        return dashboard_url(self.api_host, self.api_port)


def dashboard_url(host: str, port: int) -> str:
    """``http://host:port/`` for a person to open: ``0.0.0.0`` and ``::`` become loopback."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - naming the wildcard, not binding to it
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"
