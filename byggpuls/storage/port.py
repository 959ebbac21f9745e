"""The storage port: what the services need from a time-series store, and nothing more."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from byggpuls.reading import Reading


class Aggregation(StrEnum):
    """How readings in one time bucket become one sample."""

    MEAN = "mean"
    MIN = "min"
    MAX = "max"
    LAST = "last"


@dataclass(frozen=True, slots=True)
class SeriesQuery:
    """One point's readings in ``[start_ms, end_ms)``, raw or aggregated into buckets.

    With ``every_ms`` set, buckets are aligned to the Unix epoch, a sample's time is its bucket's
    start, and empty buckets are left out. Without it, the raw readings come back.
    """

    building: str
    point: str
    quantity: str
    start_ms: int
    end_ms: int
    every_ms: int | None = None
    aggregation: Aggregation = Aggregation.MEAN


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of a series at one time (a reading or a bucket's aggregate)."""

    time_ms: int
    value: float


class Probe(Protocol):
    """A store that can say whether it is usable now."""

    def ping(self) -> None:
        """Check that the store answers and accepts our credentials and database.

        Raises :class:`byggpuls.errors.StoreUnavailable` when it cannot be reached now (try
        again later) and :class:`byggpuls.errors.ConfigError` when it refuses the credentials
        or lacks the database (a setting to fix). For start-up and health checks alike.
        """
        ...


class ReadingWriter(Probe, Protocol):
    """Where ingest puts readings."""

    def write(self, readings: Sequence[Reading]) -> None:
        """Store ``readings`` durably; rewriting the same (building, point, time) overwrites.

        Raises :class:`byggpuls.errors.StoreUnavailable` when the store may accept the same
        write later (retry it), and :class:`byggpuls.errors.StoreRejected` when it never will.
        """
        ...


class ReadingReader(Probe, Protocol):
    """What the API and analytics read."""

    def query_series(self, query: SeriesQuery) -> list[Sample]:
        """Return the samples of one series, oldest first."""
        ...

    def latest(self, building: str) -> list[Reading]:
        """Return the most recent reading of every point of ``building``."""
        ...


class ReadingStore(ReadingWriter, ReadingReader, Protocol):
    """A store that can be written and read, and closed."""

    def close(self) -> None:
        """Release connections and files."""
        ...
