"""``/api/v1/buildings/{id}/series``: aggregation through the API against real stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from byggpuls.reading import Reading
from byggpuls.registry.repository import Registry
from byggpuls.storage.influx import InfluxStore
from byggpuls.storage.port import ReadingWriter
from byggpuls.storage.sqlite import SQLiteStore

SCHOOL = "nordnes-skole"
SERIES = f"/api/v1/buildings/{SCHOOL}/series"
T0 = datetime(2025, 1, 31, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)
T0_S = T0_MS // 1000
HOUR_MS = 3_600_000
#: el.power over three hours, a reading every 10 minutes: 0, 1, ..., 17 kW.
VALUES = [float(i) for i in range(18)]
#: Per one-hour bucket: (mean, min, max, last).
EXPECTED = {
    "mean": [2.5, 8.5, 14.5],
    "min": [0.0, 6.0, 12.0],
    "max": [5.0, 11.0, 17.0],
    "last": [5.0, 11.0, 17.0],
}


def write_three_hours(store: ReadingWriter) -> None:
    store.write(
        [
            Reading(
                building=SCHOOL,
                point="el.power",
                quantity="power",
                time_ms=T0_MS + index * 600_000,
                value=value,
                unit="kW",
            )
            for index, value in enumerate(VALUES)
        ]
    )


@pytest.fixture
def series_client(client: TestClient, store: SQLiteStore) -> TestClient:
    """The seeded app, with three hours of el.power at the start of 2025-01-31."""
    write_three_hours(store)
    return client


@pytest.mark.parametrize("agg", ["mean", "min", "max", "last"])
def test_hourly_aggregation_on_sqlite(series_client: TestClient, agg: str) -> None:
    response = series_client.get(
        SERIES,
        params={
            "point": "el.power",
            "start": "2025-01-31T00:00:00Z",
            "end": "2025-01-31T03:00:00Z",
            "every": "1h",
            "agg": agg,
        },
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["building"] == SCHOOL
    assert body["point"] == "el.power"
    assert body["quantity"] == "power"
    assert body["unit"] == "kW"
    assert body["start"] == "2025-01-31T00:00:00Z"
    assert body["end"] == "2025-01-31T03:00:00Z"
    assert (body["every"], body["every_s"], body["aggregation"]) == ("1h", 3600, agg)
    assert body["count"] == 3
    assert [sample["time"] for sample in body["samples"]] == [
        "2025-01-31T00:00:00Z",
        "2025-01-31T01:00:00Z",
        "2025-01-31T02:00:00Z",
    ]
    assert [sample["value"] for sample in body["samples"]] == EXPECTED[agg]


@pytest.mark.parametrize(
    "params",
    [
        {"start": str(T0_S), "end": str(T0_S + 3 * 3600), "every": "PT1H"},
        {"start": "2025-01-31T01:00:00+01:00", "end": "2025-01-31T04:00:00+01:00", "every": "60m"},
        {"start": f"{T0_S}.0", "end": "2025-01-31T03:00:00.000Z", "every": "P0DT1H"},
    ],
)
def test_time_and_duration_spellings_agree(
    series_client: TestClient, params: dict[str, str]
) -> None:
    body = series_client.get(SERIES, params={"point": "el.power", **params}).json()
    assert body["every"] == "1h"
    assert [sample["value"] for sample in body["samples"]] == EXPECTED["mean"]


def test_raw_readings(series_client: TestClient) -> None:
    body = series_client.get(
        SERIES,
        params={"point": "el.power", "start": str(T0_S), "end": str(T0_S + 3600), "every": "raw"},
    ).json()
    assert (body["every"], body["every_s"], body["aggregation"]) == (None, None, None)
    assert [sample["value"] for sample in body["samples"]] == VALUES[:6]
    assert body["samples"][1]["time"] == "2025-01-31T00:10:00Z"


def test_defaults_are_the_last_24_hours_in_at_most_1000_buckets(client: TestClient) -> None:
    body = client.get(SERIES, params={"point": "el.power"}).json()
    start = datetime.fromisoformat(body["start"])
    end = datetime.fromisoformat(body["end"])
    assert (end - start).total_seconds() == 86_400
    assert abs((datetime.now(UTC) - end).total_seconds()) < 60
    assert (body["every"], body["aggregation"]) == ("5m", "mean")
    # The three seeded readings of the last minutes (41.25, 42.25 after 40.25) are in there.
    assert body["samples"]
    assert body["samples"][-1]["value"] <= 42.25


def test_empty_range_is_an_empty_series(series_client: TestClient) -> None:
    body = series_client.get(
        SERIES,
        params={
            "point": "el.power",
            "start": "2024-01-01T00:00:00Z",
            "end": "2024-01-02T00:00:00Z",
        },
    ).json()
    assert body["count"] == 0
    assert body["samples"] == []


def test_unknown_building_and_point_are_404(client: TestClient, assert_problem) -> None:
    problem = assert_problem(
        client.get("/api/v1/buildings/nowhere/series", params={"point": "el.power"}),
        404,
        "not-found",
    )
    assert "nowhere" in str(problem["detail"])
    problem = assert_problem(client.get(SERIES, params={"point": "gas.power"}), 404, "not-found")
    assert problem["detail"] == "Building 'nordnes-skole' has no point 'gas.power'."


def test_missing_point_is_a_validation_problem(client: TestClient, assert_problem) -> None:
    problem = assert_problem(client.get(SERIES), 422, "invalid-parameters")
    assert problem["errors"] == [
        {"detail": problem["errors"][0]["detail"], "parameter": "point", "in": "query"}
    ]


def test_each_invalid_parameter_is_listed(client: TestClient, assert_problem) -> None:
    problem = assert_problem(
        client.get(
            SERIES,
            params={
                "point": "el.power",
                "start": "2025-01-31T00:00:00",
                "end": "soon",
                "every": "1y",
            },
        ),
        422,
        "invalid-parameters",
    )
    errors = {error["parameter"]: error for error in problem["errors"]}  # type: ignore[attr-defined]
    assert sorted(errors) == ["end", "every", "start"]
    assert "time zone" in errors["start"]["detail"]
    assert errors["every"]["in"] == "query"
    assert problem["detail"] == "3 parameters are invalid: start, end, every."


def test_unknown_aggregation_is_a_validation_problem(client: TestClient, assert_problem) -> None:
    problem = assert_problem(
        client.get(SERIES, params={"point": "el.power", "agg": "median"}),
        422,
        "invalid-parameters",
    )
    [error] = problem["errors"]  # type: ignore[misc]
    assert error["parameter"] == "agg"
    assert "mean" in error["detail"]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2025-01-31T03:00:00Z", "2025-01-31T00:00:00Z"),
        ("2025-01-31T00:00:00Z", "2025-01-31T00:00:00Z"),
    ],
)
def test_start_must_lie_before_end(
    client: TestClient,
    assert_problem,
    start: str,
    end: str,
) -> None:
    problem = assert_problem(
        client.get(SERIES, params={"point": "el.power", "start": start, "end": end}),
        400,
        "invalid-range",
    )
    assert "must lie before end" in str(problem["detail"])


def test_too_many_buckets_suggests_a_larger_every(client: TestClient, assert_problem) -> None:
    problem = assert_problem(
        client.get(
            SERIES,
            params={
                "point": "el.power",
                "start": str(T0_S),
                "end": str(T0_S + 86_400),
                "every": "1s",
            },
        ),
        400,
        "too-many-points",
    )
    assert problem["max_points"] == 10_000
    assert problem["requested_points"] == 86_400
    assert problem["suggested_every"] == "1m"
    assert "every=1m" in str(problem["detail"])


def test_raw_over_a_long_range_is_refused_from_the_point_interval(
    client: TestClient,
    assert_problem,
) -> None:
    # el.power reports every 60 s: 28 days raw would be 40 320 readings.
    problem = assert_problem(
        client.get(
            SERIES,
            params={
                "point": "el.power",
                "start": str(T0_S),
                "end": str(T0_S + 28 * 86_400),
                "every": "raw",
            },
        ),
        400,
        "too-many-points",
    )
    assert problem["requested_points"] == 40_320


def test_raw_beyond_the_cap_is_refused_after_counting(
    *,
    make_client,
    settings,
    registry: Registry,
    store: SQLiteStore,
    seed,
    assert_problem,
) -> None:
    seed(registry, store)
    # The supply air temperature announces no interval, so only the answer shows its size.
    store.write(
        [
            Reading(SCHOOL, "ahu1.supply_air_temp", "temperature", T0_MS + i * 1000, 18.0)
            for i in range(150)
        ]
    )
    client = make_client(
        store=store,
        registry=registry,
        settings=settings.model_copy(update={"api_series_max_points": 100}),
    )
    path = SERIES
    params = {"point": "ahu1.supply_air_temp", "start": str(T0_S), "end": str(T0_S + 3600)}

    problem = assert_problem(
        client.get(path, params={**params, "every": "raw"}), 400, "too-many-points"
    )
    assert problem["requested_points"] == 150
    assert problem["max_points"] == 100
    ok = client.get(path, params={**params, "every": "1m"}).json()
    assert [sample["value"] for sample in ok["samples"]] == [18.0, 18.0, 18.0]


@pytest.fixture
def influx_store(influx_url: str) -> Iterator[InfluxStore]:
    with InfluxStore.from_url(influx_url) as opened:
        yield opened


@pytest.mark.integration
@pytest.mark.parametrize("agg", ["mean", "min", "max", "last"])
def test_hourly_aggregation_on_influxdb(
    *,
    make_client,
    registry: Registry,
    influx_store: InfluxStore,
    seed,
    agg: str,
) -> None:
    seed(registry, influx_store)
    write_three_hours(influx_store)
    client = make_client(store=influx_store, registry=registry)

    body = client.get(
        SERIES,
        params={
            "point": "el.power",
            "start": "2025-01-31T00:00:00Z",
            "end": "2025-01-31T03:00:00Z",
            "every": "1h",
            "agg": agg,
        },
    ).json()

    assert (body["unit"], body["quantity"], body["aggregation"]) == ("kW", "power", agg)
    assert [sample["time"] for sample in body["samples"]] == [
        "2025-01-31T00:00:00Z",
        "2025-01-31T01:00:00Z",
        "2025-01-31T02:00:00Z",
    ]
    assert [sample["value"] for sample in body["samples"]] == EXPECTED[agg]
    raw = client.get(
        SERIES,
        params={"point": "el.power", "start": str(T0_S), "end": str(T0_S + 3600), "every": "raw"},
    ).json()
    assert [sample["value"] for sample in raw["samples"]] == VALUES[:6]
    latest = client.get(f"/api/v1/buildings/{SCHOOL}").json()
    assert {p["id"]: p["latest"]["value"] for p in latest["points"]}["el.power"] == 42.25
