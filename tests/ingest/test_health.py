"""Health and readiness: an idle store and registry are asked through their ping(), and each
outage is reported as what it is."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.engine import Engine

from byggpuls.mqtt import FakeSession
from byggpuls.registry import Registry
from byggpuls.storage.sqlite import SQLiteStore
from ingest.health import Health, Outage
from ingest.metrics import IngestMetrics
from ingest.settings import IngestSettings
from ingest.subscriber import PROBE_TIMEOUT_S, Subscriber


@pytest.fixture
def health(
    settings: IngestSettings,
    subscriber: Subscriber,
    store: SQLiteStore,
    unreachable_engine: Engine,
    metrics: IngestMetrics,
) -> Health:
    """The health of a worker whose store answers and whose registry does not."""
    return Health(
        settings,
        subscriber=subscriber,
        store=store,
        registry=Registry(unreachable_engine),
        metrics=metrics,
    )


def idle_for(outage: Outage, seconds: float) -> None:
    outage.last_called = time.monotonic() - seconds


def test_an_idle_registry_that_does_not_answer_is_down_and_the_store_is_not(
    health: Health, settings: IngestSettings
) -> None:
    idle_for(health.store_outage, settings.ingest_health_threshold_s)
    idle_for(health.registry_outage, settings.ingest_health_threshold_s)

    health.tick(time.monotonic())

    assert health.store_outage.since is None
    assert health.store_outage.last_up > 0
    assert health.registry_outage.since is not None
    ready, detail = health.ready()
    assert not ready
    assert detail["problems"] == ["not subscribed yet", "registry unreachable"]


def test_a_target_called_lately_is_not_asked(health: Health) -> None:
    health.tick(time.monotonic())

    assert health.registry_outage.since is None
    assert health.store_outage.last_up == 0.0


def test_healthz_fails_once_an_outage_is_longer_than_the_threshold(
    health: Health, settings: IngestSettings
) -> None:
    threshold_s = settings.ingest_health_threshold_s
    health.broker_outage.up()
    health.registry_outage.since = time.monotonic() - threshold_s / 2
    assert health.health()[0]

    health.registry_outage.since = time.monotonic() - threshold_s - 1
    healthy, detail = health.health()

    assert not healthy
    assert [p.split(" for ")[0] for p in detail["problems"]] == ["registry unreachable"]
    assert detail["store_down_s"] == 0.0
    assert detail["registry_down_s"] > threshold_s


def test_a_failure_is_a_problem_until_the_worker_stops(health: Health) -> None:
    health.broker_outage.up()
    health.fail("writer failed: the store refused our credentials")

    assert health.failed.is_set()
    assert health.health()[1]["problems"] == ["writer failed: the store refused our credentials"]
    assert not health.wait_ready(timeout_s=5)


def test_the_broker_gauge_and_outage_follow_the_session(
    health: Health, metrics: IngestMetrics
) -> None:
    health.tick(time.monotonic())

    assert metrics.registry.get_sample_value("byggpuls_ingest_broker_connected") == 0.0
    assert health.broker_outage.since is not None


def test_a_broker_that_does_not_deliver_the_probe_fails_the_worker(
    settings: IngestSettings, store: SQLiteStore, unreachable_engine: Engine, metrics: IngestMetrics
) -> None:
    session = FakeSession(client_id="ingest-unit", manual_ack=True)
    subscriber = Subscriber(settings, session=session, metrics=metrics)
    health = Health(
        settings,
        subscriber=subscriber,
        store=store,
        registry=Registry(unreachable_engine),
        metrics=metrics,
    )
    session.connect()
    assert health.ready()[1]["problems"] == ["shared subscription not confirmed yet"]

    subscriber.tick(time.monotonic() + PROBE_TIMEOUT_S + 1)
    health.tick(time.monotonic())

    assert health.failed.is_set()
    assert "BYGGPULS_INGEST_SHARED_SUBSCRIPTION" in (health.error or "")
