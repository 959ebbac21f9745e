"""``byggpuls api``: serve the HTTP API and the dashboard with uvicorn."""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=None,
        help="address to listen on (default 127.0.0.1, env BYGGPULS_API_HOST); 0.0.0.0 for all",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="TCP port (default 8000, env BYGGPULS_API_PORT); 0 picks a free one",
    )


def run(args: argparse.Namespace) -> int:
    """Build the API on its store and registry, serve until interrupted, then close them."""
    # Imported here: `byggpuls --help` and the other commands need none of this.
    from api.settings import ApiSettings
    from byggpuls.errors import ConfigError
    from byggpuls.settings import load
    from cli.bootstrap import build_api

    settings = load(ApiSettings, api_host=args.host, api_port=args.port)
    built = build_api(settings)
    # uvicorn stops gracefully on SIGTERM, then raises the signal again for the previous
    # handler; this one ends the command normally, so the store is closed on the way out.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        with built.resources:
            server = _server(built.service, host=settings.api_host, port=settings.api_port)
            try:
                server.run()
            except SystemExit as exc:
                # uvicorn exits when it cannot listen; it has logged why.
                raise ConfigError(
                    f"cannot serve on {settings.api_host}:{settings.api_port}: see the log above;"
                    " choose another --port or --host"
                ) from exc
    except _Terminated:
        logger.info("stopped by SIGTERM")
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


class _Terminated(Exception):
    """SIGTERM arrived: stop serving and return."""


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def _server(app: FastAPI, *, host: str, port: int) -> uvicorn.Server:
    import uvicorn

    from api.settings import dashboard_url

    class Server(uvicorn.Server):
        """uvicorn, saying where the dashboard is once it listens."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                bound = self.servers[0].sockets[0].getsockname()[1] if self.servers else port
                print(f"Byggpuls dashboard: {dashboard_url(host, bound)}", flush=True)
                sys.stdout.flush()

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        # Our logging is configured by the CLI; uvicorn's own config would replace it.
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
    )
    return Server(config)
