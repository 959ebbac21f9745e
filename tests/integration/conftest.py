"""Helpers for the integration tests that run ingest in the test process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cli.bootstrap import build_ingest
from ingest.service import IngestService
from ingest.settings import IngestSettings

#: How long a started service may take to subscribe; the servers run on a loaded machine.
READY_TIMEOUT_S = 30


@contextmanager
def running_ingest(settings: IngestSettings) -> Iterator[IngestService]:
    """An ingest service built from ``settings``, started and subscribed; stopped on exit."""
    built = build_ingest(settings)
    service = built.service
    with built.resources:
        service.start()
        try:
            assert service.wait_ready(READY_TIMEOUT_S)
            yield service
        finally:
            service.stop()
