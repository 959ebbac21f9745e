"""The one backoff policy: the delay grows, is capped, and is jittered (equal jitter)."""

from __future__ import annotations

from byggpuls.mqtt.backoff import backoff_delay, reconnect_delay


def test_reconnect_delay_grows_is_capped_and_jittered() -> None:
    early = [reconnect_delay(0) for _ in range(50)]
    late = [reconnect_delay(30) for _ in range(50)]
    assert max(early) <= 0.5
    assert max(late) <= 30.0
    assert min(late) >= 15.0
    assert len(set(late)) > 1


def test_every_delay_lies_between_half_its_ceiling_and_the_ceiling() -> None:
    for attempt, ceiling in [(0, 0.2), (1, 0.4), (2, 0.8), (3, 1.0), (40, 1.0)]:
        delays = [backoff_delay(attempt, first_s=0.2, max_s=1.0) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays), attempt
