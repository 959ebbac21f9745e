"""Whether a worker is healthy and ready: what it depends on, and since when it has been down.

The broker, the store and the registry each have an :class:`Outage`. Failing calls mark theirs
down (the retriers, :mod:`ingest.retry`); when nobody has called the store or the registry for
a while, :meth:`Health.tick` asks it through the storage port's ``ping()``, so that /healthz
knows without traffic.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from byggpuls.storage.port import Probe
from ingest.metrics import IngestMetrics
from ingest.settings import IngestSettings
from ingest.subscriber import Subscriber

logger = logging.getLogger(__name__)

#: How often :meth:`Health.wait_ready` looks again.
READY_POLL_S = 0.02


class Outage:
    """Since when something has been unreachable, for /healthz; thread-safe enough (floats)."""

    def __init__(self) -> None:
        self.since: float | None = None
        #: When it was last seen to answer.
        self.last_up: float = 0.0
        #: When a call to it last started (a write or a probe): only an idle target is probed.
        self.last_called: float = time.monotonic()

    def down(self, *, seen_at: float | None = None) -> None:
        """It did not answer a call made at ``seen_at`` (default now).

        A call that started before the last success says nothing new: a slow probe that failed
        while a write got through must not mark a store down that is up.
        """
        if seen_at is not None and seen_at < self.last_up:
            return
        if self.since is None:
            self.since = time.monotonic()

    def up(self) -> None:
        self.last_up = time.monotonic()
        self.since = None

    def seconds(self) -> float:
        since = self.since
        return 0.0 if since is None else time.monotonic() - since


class Health:
    """The outages of a worker, why it cannot go on (if so), and the answers to /healthz and
    /readyz."""

    def __init__(
        self,
        settings: IngestSettings,
        *,
        subscriber: Subscriber,
        store: Probe,
        registry: Probe,
        metrics: IngestMetrics,
    ) -> None:
        self._threshold_s = settings.ingest_health_threshold_s
        self._subscriber = subscriber
        self._store = store
        self._registry = registry
        self._metrics = metrics
        self.broker_outage = Outage()
        self.store_outage = Outage()
        self.registry_outage = Outage()
        #: Set when the worker cannot go on (refused credentials, a bug); see :attr:`error`.
        self.failed = threading.Event()
        self.error: str | None = None
        #: Whether :attr:`error` is a wrong setting (the command then exits with 2, not 1).
        self.wrong_setting = False

    def fail(self, message: str, *, wrong_setting: bool = False) -> None:
        """The worker cannot go on, for the reason ``message``."""
        self.error = message
        self.wrong_setting = wrong_setting
        self.failed.set()

    def tick(self, now_s: float) -> None:
        """Note whether the broker is connected; ask an idle store and registry if they answer.

        A broker that does not deliver to the worker's shared subscription (the subscriber's
        probe, ticked before) is a wrong setting: the worker fails with what to set.
        """
        refusal = self._subscriber.refusal
        if refusal is not None and not self.failed.is_set():
            self.fail(refusal, wrong_setting=True)
        connected = self._subscriber.session.connected
        self._metrics.broker_connected.set(1 if connected else 0)
        if connected:
            self.broker_outage.up()
        else:
            self.broker_outage.down()
        self._probe("store", self._store, self.store_outage, now_s)
        self._probe("registry", self._registry, self.registry_outage, now_s)

    def _probe(self, target: str, probe: Probe, outage: Outage, now_s: float) -> None:
        if now_s - outage.last_called < self._threshold_s / 2:
            return
        outage.last_called = started = time.monotonic()
        try:
            probe.ping()
        except Exception as exc:  # the target's own errors, translated or not
            outage.down(seen_at=started)
            logger.warning("%s does not answer: %s", target, exc)
        else:
            outage.up()

    def wait_ready(self, timeout_s: float) -> bool:
        """Block until :meth:`ready` (or ``timeout_s``, or a failure); whether it is."""
        deadline = time.monotonic() + timeout_s
        while not self.ready()[0]:
            if time.monotonic() > deadline or self.failed.is_set():
                return False
            time.sleep(READY_POLL_S)
        return True

    def ready(self) -> tuple[bool, dict[str, Any]]:
        """Whether the worker takes telemetry now: subscribed (and seen to receive on a shared
        subscription), store and registry answering.

        Unlike :meth:`health`, which tolerates short outages, this is what to wait for before
        sending a worker traffic (a gateway, a test, the demo).
        """
        subscribed = self._subscriber.subscribed
        problems = []
        if not subscribed:
            problems.append("not subscribed yet")
        elif not self._subscriber.receiving:
            problems.append("shared subscription not confirmed yet")
        if self.store_outage.since is not None:
            problems.append("store unreachable")
        if self.registry_outage.since is not None:
            problems.append("registry unreachable")
        return not problems, {"subscribed": subscribed, "problems": problems}

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Whether the worker is healthy, and why not."""
        threshold = self._threshold_s
        broker_s = self.broker_outage.seconds()
        store_s = self.store_outage.seconds()
        registry_s = self.registry_outage.seconds()
        problems = []
        if self.error is not None:
            problems.append(self.error)
        if broker_s > threshold:
            problems.append(f"broker unreachable for {broker_s:.0f} s")
        if store_s > threshold:
            problems.append(f"store unreachable for {store_s:.0f} s")
        if registry_s > threshold:
            problems.append(f"registry unreachable for {registry_s:.0f} s")
        detail = {
            "broker_connected": self._subscriber.session.connected,
            "broker_down_s": round(broker_s, 1),
            "store_down_s": round(store_s, 1),
            "registry_down_s": round(registry_s, 1),
            "inflight": self._subscriber.inflight,
            "problems": problems,
        }
        return not problems, detail
