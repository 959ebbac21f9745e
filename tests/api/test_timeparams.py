"""Instants and durations as the API's query parameters take them."""

from __future__ import annotations

import pytest

from api.timeparams import (
    bucket_count,
    format_duration,
    nice_step,
    parse_duration,
    parse_instant,
)

T0_MS = 1_738_281_600_000  # 2025-01-31T00:00:00Z


@pytest.mark.parametrize(
    ("text", "expected_ms"),
    [
        ("2025-01-31T00:00:00Z", T0_MS),
        ("2025-01-31T01:00:00+01:00", T0_MS),
        ("2025-01-31T00:00:00.250Z", T0_MS + 250),
        ("1738281600", T0_MS),
        ("1738281600.5", T0_MS + 500),
        (" 1738281600 ", T0_MS),
    ],
)
def test_instants_are_rfc3339_or_epoch_seconds(text: str, expected_ms: int) -> None:
    assert parse_instant(text) == expected_ms


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("2025-01-31T00:00:00", "time zone"),
        ("2025-01-31", "time zone"),
        ("yesterday", "not a time"),
        ("-5", "between 1970 and 2200"),
        ("99999999999", "between 1970 and 2200"),
        ("1738281600000", "not milliseconds"),
    ],
)
def test_bad_instants_say_what_to_do(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_instant(text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15m", 900),
        ("1h", 3600),
        ("1d", 86_400),
        ("1w", 604_800),
        ("1h30m", 5400),
        ("90s", 90),
        ("PT15M", 900),
        ("pt1h", 3600),
        ("P1D", 86_400),
        ("P1DT12H", 129_600),
        ("P2W", 1_209_600),
        ("PT0.5M", None),
        ("PT30S", 30),
    ],
)
def test_durations_compact_and_iso(text: str, seconds: int | None) -> None:
    if seconds is None:
        with pytest.raises(ValueError, match=r"whole number of seconds|not an ISO"):
            parse_duration(text)
    else:
        assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("1y", "not a duration"),
        ("P1Y", "years and months"),
        ("P1M", "years and months"),
        ("15", "not a duration"),
        ("m", "not a duration"),
        ("", "empty"),
        ("0s", "at least 1 s"),
        ("400d", "at most 366 days"),
        ("P", "not an ISO 8601 duration"),
        ("PT", "not an ISO 8601 duration"),
    ],
)
def test_bad_durations_say_what_to_do(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_duration(text)


@pytest.mark.parametrize("seconds", [1, 59, 60, 900, 5400, 86_400, 93_784, 604_800])
def test_format_duration_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_format_duration_is_compact() -> None:
    assert format_duration(5400) == "1h30m"
    assert format_duration(604_800 + 86_400) == "1w1d"


def test_bucket_count_counts_epoch_aligned_buckets() -> None:
    hour_ms = 3_600_000
    assert bucket_count(start_ms=T0_MS, end_ms=T0_MS + 3 * hour_ms, every_ms=hour_ms) == 3
    # A range that straddles bucket edges touches one more bucket than it is long.
    assert bucket_count(start_ms=T0_MS + 1, end_ms=T0_MS + 3 * hour_ms + 1, every_ms=hour_ms) == 4
    assert bucket_count(start_ms=T0_MS, end_ms=T0_MS, every_ms=hour_ms) == 0


def test_nice_step_is_the_smallest_that_fits() -> None:
    day_ms = 86_400_000
    assert nice_step(start_ms=T0_MS, end_ms=T0_MS + day_ms, max_buckets=1000) == 300
    assert nice_step(start_ms=T0_MS, end_ms=T0_MS + day_ms, max_buckets=10_000) == 60
    assert nice_step(start_ms=T0_MS, end_ms=T0_MS + 28 * day_ms, max_buckets=1000) == 3600
    # Beyond the ladder: whole days.
    step_s = nice_step(start_ms=0, end_ms=T0_MS, max_buckets=100)
    assert step_s % 86_400 == 0
    assert bucket_count(start_ms=0, end_ms=T0_MS, every_ms=step_s * 1000) <= 100
