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
    _tune_garbage_collector()
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


#: Allocations between young-generation collections (Python's default is 700).
GC_YOUNG_THRESHOLD = 10_000


def _tune_garbage_collector() -> None:
    """Keep the collector's pauses out of the requests' latency.

    A full collection walks every object the process holds: with the modules, schemas and
    templates loaded and a thousand buildings' portfolio cached, one took 110-140 ms, and a
    list of the portfolio triggered one every few requests (measured by bench/api.py). What
    is loaded by now lives as long as the process, so it is frozen out of the collections
    (``gc.freeze``), and the young generation is collected after 10 000 allocations instead of
    700, which makes full collections about fifty times rarer. Reference counting still frees
    what is not in a cycle at once.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)


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
