"""Settings of ``byggpuls api``: where to listen, and how much one response may carry."""

from __future__ import annotations

import logging

from pydantic import Field, model_validator

from byggpuls.settings import CommonSettings, Environment, is_loopback

logger = logging.getLogger(__name__)


class ApiSettings(CommonSettings):
    """``BYGGPULS_API_*``: the HTTP server, on top of the settings every service shares."""

    #: Loopback by default: the API has no authentication yet, so it is not offered to the
    #: network unless someone decides to (``--host 0.0.0.0`` behind a proxy that authenticates).
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=0, le=65535)
    #: The most samples one series response carries; a larger request is refused with a hint
    #: to use a larger ``every``. 10 000 is ~400 kB of JSON and more than any chart can show.
    api_series_max_points: int = Field(default=10_000, ge=100, le=1_000_000)
    #: Threads that call the reading store and the registry. They live as long as the app, so
    #: the per-thread connections of the embedded store are reused, not piled up.
    api_workers: int = Field(default=8, ge=1, le=64)

    @model_validator(mode="after")
    def _warn_open_production(self) -> ApiSettings:
        if self.environment is Environment.PRODUCTION and not is_loopback(self.api_host):
            logger.warning(
                "the API listens on %s without authentication: put it behind a proxy that"
                " authenticates facility managers and partners",
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
