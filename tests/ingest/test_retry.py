"""Retries per target: transient failures retried, permanent ones not, and a registry outage
is the registry's alone (its gauge, its outage), never the store's."""

from __future__ import annotations

import threading

import pytest

from byggpuls.errors import StoreRejected, StoreUnavailable
from ingest.health import Outage
from ingest.metrics import IngestMetrics
from ingest.retry import Aborted
from tests.ingest.conftest import retrier


class Flaky:
    """Fails transiently ``failures`` times, then answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise StoreUnavailable("down for now")
        return "answer"


def sample(metrics: IngestMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(f"byggpuls_ingest_{name}", labels)


def test_a_registry_outage_leaves_the_store_available(metrics: IngestMetrics) -> None:
    store_outage, registry_outage = Outage(), Outage()
    store = retrier("store", metrics, outage=store_outage)
    registry = retrier("registry", metrics, outage=registry_outage)
    assert store(lambda: "written") == "written"
    flaky = Flaky(failures=2)
    seen_while_retrying: list[tuple[float | None, float | None, bool, bool]] = []

    def registry_call() -> str:
        if flaky.calls:
            seen_while_retrying.append(
                (
                    sample(metrics, "store_available"),
                    sample(metrics, "registry_available"),
                    store_outage.since is None,
                    registry_outage.since is None,
                )
            )
        return flaky()

    assert registry(registry_call) == "answer"

    # While the registry was retried: the store available and up, the registry neither.
    assert seen_while_retrying == [(1.0, 0.0, True, False)] * 2
    assert sample(metrics, "registry_available") == 1.0
    assert registry_outage.since is None
    assert sample(metrics, "write_retries_total", target="registry") == 2.0
    assert sample(metrics, "write_retries_total", target="store") == 0.0


def test_a_store_outage_leaves_the_registry_available(metrics: IngestMetrics) -> None:
    store_outage, registry_outage = Outage(), Outage()
    store = retrier("store", metrics, outage=store_outage)
    registry = retrier("registry", metrics, outage=registry_outage)
    registry(lambda: None)
    abort = threading.Event()
    stuck = retrier("store", metrics, outage=store_outage, abort=abort)

    def store_down() -> None:
        # The outage is noted before the first retry; this is the second attempt.
        if store_outage.since is not None:
            abort.set()
        raise StoreUnavailable("InfluxDB is down")

    with pytest.raises(Aborted):
        stuck(store_down)

    assert sample(metrics, "store_available") == 0.0
    assert sample(metrics, "registry_available") == 1.0
    assert registry_outage.since is None
    assert store_outage.since is not None
    # It comes back: the store's outage ends, and its gauge says so.
    store(lambda: None)
    assert store_outage.since is None
    assert sample(metrics, "store_available") == 1.0


def test_a_permanent_failure_is_not_retried(metrics: IngestMetrics) -> None:
    outage = Outage()
    calls = []

    def refused() -> None:
        calls.append(1)
        raise StoreRejected("field type conflict")

    with pytest.raises(StoreRejected):
        retrier("store", metrics, outage=outage)(refused)

    assert calls == [1]
    assert outage.since is None
    assert sample(metrics, "write_retries_total", target="store") == 0.0


def test_shutting_down_gives_up_retrying(metrics: IngestMetrics) -> None:
    abort = threading.Event()
    abort.set()
    flaky = Flaky(failures=1)

    with pytest.raises(Aborted, match="shutting down"):
        retrier("registry", metrics, abort=abort)(flaky)

    assert flaky.calls == 1
