"""A worker whose registry does not answer: the outage is the registry's, and it still stops."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from byggpuls import topics, wire
from byggpuls.reading import Reading
from byggpuls.registry import Registry
from byggpuls.registry.accounting import Accounting
from byggpuls.storage.sqlite import SQLiteStore
from ingest.metrics import IngestMetrics
from ingest.service import IngestService
from ingest.settings import IngestSettings
from ingest.subscriber import Subscriber
from sandbox.loadgen import wait_until
from tests.ingest.conftest import inbound


def test_a_registry_outage_is_not_a_store_outage_and_the_worker_still_stops(
    settings: IngestSettings,
    subscriber: Subscriber,
    store: SQLiteStore,
    unreachable_engine: Engine,
    metrics: IngestMetrics,
) -> None:
    service = IngestService(
        settings.model_copy(update={"ingest_shutdown_grace_s": 0.5}),
        store=store,
        registry=Registry(unreachable_engine),
        accounting=Accounting(unreachable_engine),
        subscriber=subscriber,
        metrics=metrics,
    )
    reading = Reading("skole-01", "m0", "energy", 1_764_201_600_000, 1.0, unit="kWh")
    payload = wire.encode_telemetry([reading], building="skole-01", gateway="gw-1", seq=1)
    sample = metrics.registry.get_sample_value
    service.start()
    try:
        # Decoding it needs the building's points from the registry, which does not answer.
        subscriber.inbound.put(inbound(1, topics.telemetry("skole-01", "energy"), payload))
        assert wait_until(
            lambda: (
                (sample("byggpuls_ingest_write_retries_total", {"target": "registry"}) or 0) > 0
            ),
            timeout_s=30,
        )
        ready, detail = service.health.ready()
        assert not ready
        assert detail["problems"] == ["not subscribed yet", "registry unreachable"]
        assert sample("byggpuls_ingest_registry_available") == 0.0
        assert service.health.store_outage.since is None
    finally:
        # The batcher is retrying the registry: stopping gives up on it.
        service.stop()
    assert service.error is None
