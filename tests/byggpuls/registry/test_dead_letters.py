"""Dead letters: kept byte for byte, newest first, with their time in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from byggpuls.registry import InvalidValue, Registry
from byggpuls.registry.dead_letters import DeadLetters


def _utc_aware(value: datetime) -> bool:
    return value.utcoffset() == timedelta(0)


def test_dead_letters_are_kept_newest_first(registry: Registry) -> None:
    when = datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    first = registry.add_dead_letter(
        topic="byggpuls/v1/b1/energy", reason="not SenML", payload=b"{", received_at=when
    )
    second = registry.add_dead_letter(
        topic="byggpuls/v1/b1/meta/gw1", reason="unknown unit", payload=b"[]", gateway="gw1"
    )
    assert second > first
    assert registry.count_dead_letters() == 2
    newest, oldest = registry.dead_letters()
    assert (newest.id, newest.gateway, newest.payload) == (second, "gw1", b"[]")
    assert _utc_aware(newest.received_at)
    assert (oldest.id, oldest.topic, oldest.reason, oldest.gateway) == (
        first,
        "byggpuls/v1/b1/energy",
        "not SenML",
        None,
    )
    assert oldest.received_at == when
    assert oldest.received_at.tzinfo == UTC
    assert [row.id for row in registry.dead_letters(limit=1)] == [second]
    assert registry.dead_letters(limit=0) == []


def test_dead_letter_text_with_nul_characters_is_kept(registry: Registry) -> None:
    registry.add_dead_letter(topic="bad\x00topic", reason="nul\x00", payload=b"\x00")
    (row,) = registry.dead_letters()
    assert (row.topic, row.reason, row.payload) == ("bad\ufffdtopic", "nul\ufffd", b"\x00")


def test_dead_letter_refuses_a_naive_time(registry: Registry) -> None:
    with pytest.raises(InvalidValue):
        registry.add_dead_letter(
            topic="t",
            reason="r",
            payload=b"",
            received_at=datetime(2025, 1, 1),
        )
    assert registry.count_dead_letters() == 0


@settings(
    max_examples=40,
    deadline=None,
    # The database is shared between examples on purpose: each example adds and reads its own row.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(payload=st.binary(max_size=4096))
def test_dead_letter_payload_round_trips_any_bytes(registry: Registry, payload: bytes) -> None:
    id_ = registry.add_dead_letter(topic="t", reason="r", payload=payload)
    (row,) = registry.dead_letters(limit=1)
    assert row.id == id_
    assert row.payload == payload
    assert type(row.payload) is bytes


def test_dead_letter_payload_round_trips_every_byte_value_and_a_large_message(
    registry: Registry,
) -> None:
    every_byte = bytes(range(256)) * 4
    large = bytes(range(256)) * 8192  # 2 MiB
    for payload in (b"", every_byte, large):
        registry.add_dead_letter(topic="t", reason="r", payload=payload)
        assert registry.dead_letters(limit=1)[0].payload == payload


def test_the_dead_letters_repository_works_on_its_own(engine: Engine) -> None:
    letters = DeadLetters(engine)
    id_ = letters.add_dead_letter(topic="t", reason="r", payload=b"\xff")
    assert [(row.id, row.payload) for row in letters.dead_letters()] == [(id_, b"\xff")]
