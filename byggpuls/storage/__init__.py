"""Storage port for readings, and its adapters.

The port is two small Protocols: :class:`ReadingWriter` (ingest) and :class:`ReadingReader`
(API, analytics). Adapters: :mod:`byggpuls.storage.influx` (InfluxDB over its 1.x HTTP API) and
:mod:`byggpuls.storage.sqlite` (embedded). Both pass the same contract tests.
"""

from byggpuls.storage.port import (
    Aggregation,
    ReadingReader,
    ReadingStore,
    ReadingWriter,
    Sample,
    SeriesQuery,
)

__all__ = [
    "Aggregation",
    "ReadingReader",
    "ReadingStore",
    "ReadingWriter",
    "Sample",
    "SeriesQuery",
]
