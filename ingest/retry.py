"""Retries of calls to one target (the store, the registry) with capped, jittered backoff.

The delays are Byggpuls' one backoff policy (:func:`byggpuls.mqtt.backoff.backoff_delay`,
equal jitter), from :data:`RETRY_FIRST_MAX_S` up to ``BYGGPULS_INGEST_RETRY_MAX_S``.

A transient failure (:class:`~byggpuls.errors.StoreUnavailable`) is retried until the call
succeeds or the worker shuts down, while nothing of the batch is acknowledged; a permanent one
(:class:`~byggpuls.errors.StoreRejected`) goes to the caller at once. Each target has its own
retrier, outage and availability gauge: the registry being down says nothing about the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from prometheus_client import Counter, Gauge
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_when_event_set,
)

from byggpuls.errors import StoreUnavailable
from byggpuls.mqtt.backoff import backoff_delay
from ingest.health import Outage

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: The first retry waits up to this long (at least half); each further one up to twice as long,
#: to the cap.
RETRY_FIRST_MAX_S = 0.2


class Aborted(Exception):
    """Retrying was given up because the worker is shutting down; nothing was acknowledged."""


class Retrier:
    """Runs calls to ``target`` until they stop failing transiently, or until ``abort`` is set.

    While a call is being retried, ``outage`` is down, ``available`` is 0 and every retry
    counts in ``retries``; a success sets them back. Safe to share between threads.
    """

    def __init__(
        self,
        target: str,
        *,
        max_s: float,
        abort: threading.Event,
        outage: Outage,
        retries: Counter,
        available: Gauge,
    ) -> None:
        self.target = target
        self._max_s = max_s
        self._abort = abort
        self._outage = outage
        self._retries = retries
        self._available = available

    def __call__(self, call: Callable[[], T]) -> T:
        """``call()``, retried while it raises :class:`StoreUnavailable`.

        Raises :class:`Aborted` when the worker shuts down first.
        """
        target = self.target

        def before_sleep(state: RetryCallState) -> None:
            self._outage.down()
            self._retries.inc()
            self._available.set(0)
            exc = state.outcome.exception() if state.outcome is not None else None
            wait_s = state.next_action.sleep if state.next_action is not None else 0.0
            logger.warning(
                "%s unavailable, retrying in %.1f s: %s",
                target,
                wait_s,
                exc,
                extra={"target": target, "attempt": state.attempt_number},
            )

        def sleep(seconds: float) -> None:
            self._abort.wait(seconds)

        def wait(state: RetryCallState) -> float:
            return backoff_delay(
                state.attempt_number - 1, first_s=RETRY_FIRST_MAX_S, max_s=self._max_s
            )

        retrying = Retrying(
            retry=retry_if_exception_type(StoreUnavailable),
            wait=wait,
            stop=stop_when_event_set(self._abort),
            sleep=sleep,
            before_sleep=before_sleep,
        )
        self._outage.last_called = time.monotonic()
        try:
            result = retrying(call)
        except RetryError as exc:
            raise Aborted(f"gave up writing to the {target}: shutting down") from exc
        if self._outage.since is not None:
            logger.info("%s is available again", target)
        self._outage.up()
        self._available.set(1)
        return result


__all__ = ["Aborted", "Retrier"]
