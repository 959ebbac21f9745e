"""The storage port's contract, run against every adapter: InfluxDB (a real influxd) and SQLite."""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from byggpuls.errors import StoreRejected
from byggpuls.reading import Reading
from byggpuls.storage import Aggregation, ReadingStore, Sample, SeriesQuery
from byggpuls.storage.influx import InfluxStore
from byggpuls.storage.sqlite import SQLiteStore

pytestmark = pytest.mark.integration

T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z, a multiple of every bucket size used here
MINUTE_MS = 60_000


@pytest.fixture(params=["influx", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadingStore]:
    """Each adapter, on a store of this test's own."""
    opened: InfluxStore | SQLiteStore
    if request.param == "influx":
        opened = InfluxStore.from_url(request.getfixturevalue("influx_url"))
    else:
        opened = SQLiteStore(tmp_path / "readings.sqlite3")
    try:
        yield opened
    finally:
        opened.close()


def reading(
    time_ms: int,
    value: float,
    *,
    building: str = "school-1",
    point: str = "ahu1.supply_air_temp",
    quantity: str = "temperature",
    zone: str | None = None,
) -> Reading:
    return Reading(
        building=building, point=point, quantity=quantity, time_ms=time_ms, value=value, zone=zone
    )


def series(
    start_ms: int,
    end_ms: int,
    *,
    every_ms: int | None = None,
    aggregation: Aggregation = Aggregation.MEAN,
    building: str = "school-1",
    point: str = "ahu1.supply_air_temp",
    quantity: str = "temperature",
) -> SeriesQuery:
    return SeriesQuery(
        building=building,
        point=point,
        quantity=quantity,
        start_ms=start_ms,
        end_ms=end_ms,
        every_ms=every_ms,
        aggregation=aggregation,
    )


def test_readings_come_back_raw_oldest_first(store: ReadingStore) -> None:
    times = [T0_MS + 3 * MINUTE_MS, T0_MS, T0_MS + MINUTE_MS, T0_MS + 2 * MINUTE_MS]
    store.write([reading(t, 20.0 + i) for i, t in enumerate(times)])

    samples = store.query_series(series(T0_MS, T0_MS + 10 * MINUTE_MS))

    assert samples == [
        Sample(T0_MS, 21.0),
        Sample(T0_MS + MINUTE_MS, 22.0),
        Sample(T0_MS + 2 * MINUTE_MS, 23.0),
        Sample(T0_MS + 3 * MINUTE_MS, 20.0),
    ]


def test_raw_range_includes_start_and_excludes_end(store: ReadingStore) -> None:
    store.write([reading(T0_MS + i * MINUTE_MS, float(i)) for i in range(5)])

    samples = store.query_series(series(T0_MS + MINUTE_MS, T0_MS + 3 * MINUTE_MS))

    assert samples == [Sample(T0_MS + MINUTE_MS, 1.0), Sample(T0_MS + 2 * MINUTE_MS, 2.0)]


def test_rewriting_a_reading_overwrites_it(store: ReadingStore) -> None:
    store.write([reading(T0_MS, 1.0), reading(T0_MS + MINUTE_MS, 2.0)])
    store.write([reading(T0_MS, 10.0)])
    store.write([reading(T0_MS, 11.0), reading(T0_MS, 12.0)])  # the later one in a batch wins

    samples = store.query_series(series(T0_MS, T0_MS + 10 * MINUTE_MS))

    assert samples == [Sample(T0_MS, 12.0), Sample(T0_MS + MINUTE_MS, 2.0)]


# Values in three 10-minute buckets; the bucket at +10 min is empty; a reading sits exactly on
# the query's end. The query starts mid-bucket: the first sample is still at its bucket start.
BUCKET_MS = 10 * MINUTE_MS
AGGREGATION_DATA = [
    (T0_MS + 2 * MINUTE_MS, 4.0),  # before the query's start: left out
    (T0_MS + 5 * MINUTE_MS, 1.0),  # the query's start: in
    (T0_MS + 9 * MINUTE_MS, 8.0),
    (T0_MS + 7 * MINUTE_MS, 3.0),  # written out of order; 9 min is still the bucket's last
    (T0_MS + 20 * MINUTE_MS, 5.0),  # a bucket's first instant belongs to it
    (T0_MS + 29 * MINUTE_MS, 2.5),
    (T0_MS + 25 * MINUTE_MS, 9.0),
    (T0_MS + 39 * MINUTE_MS, -6.0),
    (T0_MS + 40 * MINUTE_MS, 100.0),  # the query's end: left out
]
AGGREGATION_EXPECTED = {
    Aggregation.MEAN: [4.0, 5.5, -6.0],
    Aggregation.MIN: [1.0, 2.5, -6.0],
    Aggregation.MAX: [8.0, 9.0, -6.0],
    Aggregation.LAST: [8.0, 2.5, -6.0],
}


@pytest.mark.parametrize("aggregation", list(Aggregation))
def test_aggregation_in_epoch_aligned_buckets(
    store: ReadingStore, aggregation: Aggregation
) -> None:
    store.write([reading(t, v) for t, v in AGGREGATION_DATA])

    samples = store.query_series(
        series(
            T0_MS + 5 * MINUTE_MS,
            T0_MS + 40 * MINUTE_MS,
            every_ms=BUCKET_MS,
            aggregation=aggregation,
        )
    )

    bucket_starts = [T0_MS, T0_MS + 20 * MINUTE_MS, T0_MS + 30 * MINUTE_MS]
    assert samples == [
        Sample(t, v) for t, v in zip(bucket_starts, AGGREGATION_EXPECTED[aggregation], strict=True)
    ]


def test_buckets_align_to_the_epoch_not_to_the_query(store: ReadingStore) -> None:
    # 7-minute buckets: T0 is not a multiple of 7 min, so the buckets start off T0.
    every_ms = 7 * MINUTE_MS
    store.write([reading(T0_MS + i * MINUTE_MS, float(i)) for i in range(10)])

    samples = store.query_series(
        series(T0_MS, T0_MS + 10 * MINUTE_MS, every_ms=every_ms, aggregation=Aggregation.MAX)
    )

    assert [s.time_ms % every_ms for s in samples] == [0] * len(samples)
    assert [s.time_ms for s in samples] == sorted(
        {(T0_MS + i * MINUTE_MS) // every_ms * every_ms for i in range(10)}
    )
    assert samples[-1].value == 9.0


def test_a_series_is_one_building_point_and_quantity(store: ReadingStore) -> None:
    store.write(
        [
            reading(T0_MS, 1.0),
            reading(T0_MS, 2.0, building="school-2"),
            reading(T0_MS, 3.0, point="ahu1.return_air_temp"),
            reading(T0_MS + MINUTE_MS, 4.0, quantity="relative_humidity"),
        ]
    )

    window = (T0_MS, T0_MS + 10 * MINUTE_MS)
    assert store.query_series(series(*window)) == [Sample(T0_MS, 1.0)]
    assert store.query_series(series(*window, building="school-2")) == [Sample(T0_MS, 2.0)]
    assert store.query_series(series(*window, quantity="relative_humidity")) == [
        Sample(T0_MS + MINUTE_MS, 4.0)
    ]
    assert store.query_series(series(*window, building="school-3")) == []
    assert store.query_series(series(*window, quantity="co2_concentration")) == []


def test_latest_is_the_newest_reading_of_every_point(store: ReadingStore) -> None:
    store.write(
        [
            reading(T0_MS, 20.0, point="r101.temp", zone="r101"),
            reading(T0_MS + 2 * MINUTE_MS, 21.5, point="r101.temp", zone="r101"),
            reading(T0_MS + MINUTE_MS, 21.0, point="r101.temp", zone="r101"),
            reading(T0_MS, 650.0, point="r101.co2", quantity="co2_concentration", zone="r101"),
            reading(T0_MS + 5 * MINUTE_MS, 12.5, point="main.power", quantity="power"),
            reading(T0_MS, 11.0, point="main.power", quantity="power"),
        ]
    )

    assert store.latest("school-1") == [
        Reading("school-1", "main.power", "power", T0_MS + 5 * MINUTE_MS, 12.5),
        Reading("school-1", "r101.co2", "co2_concentration", T0_MS, 650.0, zone="r101"),
        Reading("school-1", "r101.temp", "temperature", T0_MS + 2 * MINUTE_MS, 21.5, zone="r101"),
    ]


def test_buildings_are_isolated(store: ReadingStore) -> None:
    store.write(
        [
            reading(T0_MS, 1.0, building="school-1", point="p"),
            reading(T0_MS, 2.0, building="school-10", point="p"),
            reading(T0_MS, 3.0, building="school-10", point="q", zone="hall"),
        ]
    )

    assert store.latest("school-1") == [Reading("school-1", "p", "temperature", T0_MS, 1.0)]
    assert [r.point for r in store.latest("school-10")] == ["p", "q"]
    assert store.latest("school-2") == []
    assert store.query_series(series(T0_MS, T0_MS + 1, point="q")) == []


def test_a_large_write_arrives_whole(store: ReadingStore) -> None:
    points = [f"meter{i}.energy" for i in range(4)]
    readings = [
        reading(T0_MS + i * MINUTE_MS, i + p / 10, point=point, quantity="energy")
        for i in range(5_000)
        for p, point in enumerate(points)
    ]

    store.write(readings)

    for p, point in enumerate(points):
        samples = store.query_series(
            series(T0_MS, T0_MS + 5_000 * MINUTE_MS, point=point, quantity="energy")
        )
        assert samples == [Sample(T0_MS + i * MINUTE_MS, i + p / 10) for i in range(5_000)]


def test_values_round_trip_exactly(store: ReadingStore) -> None:
    rng = random.Random(8428)
    finite: list[float] = []
    while len(finite) < 300:  # doubles of every exponent, from random bit patterns
        (value,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
        if math.isfinite(value):
            finite.append(value)
    special = [
        0.1,
        1 / 3,
        math.pi,
        5e-324,
        2.2250738585072014e-308,
        1.7976931348623157e308,
        -1e16,
        9007199254740993.0,
        123456.789,
        0.0,
        7.0,
        -273.15,
    ]
    values = special + finite
    store.write([reading(T0_MS + i, v) for i, v in enumerate(values)])

    samples = store.query_series(series(T0_MS, T0_MS + len(values)))

    assert [s.value for s in samples] == values
    assert all(type(s.value) is float for s in samples)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_value_rejects_the_whole_batch(store: ReadingStore, bad: float) -> None:
    with pytest.raises(StoreRejected, match="NaN or inf"):
        store.write([reading(T0_MS, 1.0), reading(T0_MS + 1, bad)])

    assert store.query_series(series(T0_MS, T0_MS + MINUTE_MS)) == []


def test_an_empty_write_is_harmless(store: ReadingStore) -> None:
    store.write([])

    assert store.latest("school-1") == []


def test_an_empty_range_is_empty(store: ReadingStore) -> None:
    store.write([reading(T0_MS, 1.0)])

    assert store.query_series(series(T0_MS, T0_MS)) == []
    assert store.query_series(series(T0_MS + 1, T0_MS, every_ms=MINUTE_MS)) == []
