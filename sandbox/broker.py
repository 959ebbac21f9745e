"""An MQTT broker for zero-setup trials: Mosquitto as a child process, or amqtt in-process.

Mosquitto runs with its dynamic-security plugin, as in production: only the clients the
platform created may connect, each to its own topics (``docs/access.md``), driven as an admin
whose password is made for this run. Mosquitto carries the delivery guarantee.

amqtt is the fallback when Mosquitto is not installed. It lets any client do anything; it
speaks MQTT 3.1.1 only, has no shared subscriptions, and amqtt 0.12.1 was seen not to
redeliver unacknowledged QoS 1 messages when a persistent session resumes, so with it the
guarantee does not hold. :attr:`DemoBroker.guarantee` says which one runs.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from byggpuls.settings import with_login
from sandbox.servers import DynsecMosquittoServer, find_binary, free_port

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 15.0


class EmbeddedBroker:
    """amqtt running on an event loop in a thread of this process."""

    def __init__(self, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> EmbeddedBroker:
        from amqtt.broker import Broker

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
        started: Future[None] = Future()

        async def run() -> None:
            try:
                self._broker = Broker(config, loop=self._loop)
                await self._broker.start()
            except Exception as exc:  # handed to the starting thread, which raises it
                started.set_exception(exc)
                return
            started.set_result(None)

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.create_task(run())
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="amqtt-broker", daemon=True)
        self._thread.start()
        started.result(START_TIMEOUT_SECONDS)
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        if self._broker is not None:
            asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(
                START_TIMEOUT_SECONDS
            )
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT_SECONDS)
        self._thread = None


@dataclass
class DemoBroker:
    """Whichever broker the demo could start, and what it can promise."""

    url: str
    kind: str
    #: Whether a reading accepted by a gateway is guaranteed to reach the store.
    guarantee: bool
    #: Whether ``$share`` subscriptions work (several ingest workers).
    shared_subscriptions: bool
    _server: DynsecMosquittoServer | EmbeddedBroker
    #: ``mqtt://ADMIN:PASSWORD@host:port`` of the access control's admin
    #: (``BYGGPULS_BROKER_ADMIN_URL``); None when the broker lets every client do anything.
    admin_url: str | None = None

    @property
    def port(self) -> int:
        return self._server.port

    def stop(self) -> None:
        self._server.stop()


def start_demo_broker(workdir: Path, *, prefer_embedded: bool = False) -> DemoBroker:
    """Start Mosquitto with its access control on a free port if it is installed (or amqtt,
    without, if not, or if asked)."""
    if not prefer_embedded and find_binary("mosquitto") is not None:
        mosquitto = DynsecMosquittoServer(
            workdir=workdir / "mosquitto", admin_password=secrets.token_urlsafe(32)
        ).start()
        return DemoBroker(
            url=mosquitto.url,
            kind="mosquitto",
            guarantee=True,
            shared_subscriptions=True,
            _server=mosquitto,
            admin_url=with_login(mosquitto.url, mosquitto.admin_username, mosquitto.admin_password),
        )
    embedded = EmbeddedBroker().start()
    return DemoBroker(
        url=embedded.url,
        kind="amqtt",
        guarantee=False,
        shared_subscriptions=False,
        _server=embedded,
    )
