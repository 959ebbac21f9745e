"""Two ingest workers share the subscription: each reading is written once, and both work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from byggpuls.registry import make_engine
from byggpuls.registry.accounting import Accounting
from cli.bootstrap import Built, build_ingest
from ingest.service import IngestService
from ingest.settings import IngestSettings
from sandbox.loadgen import (
    Publisher,
    expected_series,
    influx_series_counts,
    telemetry_messages,
    wait_until,
)
from sandbox.servers import MosquittoServer

pytestmark = pytest.mark.integration


def worker(
    mosquitto: MosquittoServer, influx_url: str, data_dir: Path, name: str
) -> Built[IngestService]:
    settings = IngestSettings(
        mqtt_url=mosquitto.url,
        influx_url=influx_url,
        database_url=f"sqlite:///{data_dir / 'registry.sqlite3'}",
        data_dir=data_dir,
        ingest_client_id=name,
        ingest_metrics_port=0,
        ingest_batch_max_wait_ms=50,
    )
    built = build_ingest(settings)
    built.resources.callback(built.service.stop)
    built.service.start()
    return built


@pytest.fixture
def workers(
    mosquitto: MosquittoServer, influx_url: str, tmp_path: Path
) -> Iterator[list[IngestService]]:
    with ExitStack() as stack:
        services = []
        for n in (1, 2):
            built = worker(mosquitto, influx_url, tmp_path, f"ingest-{n}")
            stack.enter_context(built.resources)
            services.append(built.service)
        for service in services:
            assert service.wait_ready(30)
        yield services


def test_two_workers_write_each_reading_once(
    workers: list[IngestService], mosquitto: MosquittoServer, influx_url: str
) -> None:
    shape = {"buildings": 6, "packs_per_building": 20, "points_per_pack": 10, "times_per_pack": 2}
    messages = list(telemetry_messages(**shape))
    # Nothing fails here, so nothing needs sending again: a resend would be a repeat, which
    # the accounting below must not see. Only a machine too loaded to acknowledge within a
    # minute would resend.
    publisher = Publisher(mqtt_url=mosquitto.url, client_id="publisher", resend_after_s=60.0)
    try:
        assert publisher.publish(messages) == len(messages)
    finally:
        publisher.close()
    expected = expected_series(**shape)
    total = sum(expected.values())

    def written(service: IngestService) -> float:
        value = service.metrics.registry.get_sample_value("byggpuls_ingest_readings_written_total")
        return value or 0.0

    assert wait_until(lambda: sum(written(s) for s in workers) >= total, timeout_s=60)
    assert influx_series_counts(influx_url) == expected
    assert all(written(service) > 0 for service in workers)
    assert sum(written(s) for s in workers) == total
    # Both saw every pack, none twice: the accounting in the shared registry says so.
    (first, _) = workers
    sequences = Accounting(make_engine(first.settings.registry_url)).gateway_sequences()
    assert len(sequences) == 6
    assert all((row.packs, row.duplicates, row.missing) == (20, 0, 0) for row in sequences)
