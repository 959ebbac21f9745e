"""The retry delay: it grows, is capped, and is jittered."""

from __future__ import annotations

from byggpuls.mqtt import reconnect_delay


def test_reconnect_delay_grows_is_capped_and_jittered() -> None:
    early = [reconnect_delay(0) for _ in range(50)]
    late = [reconnect_delay(30) for _ in range(50)]
    assert max(early) <= 0.5
    assert max(late) <= 30.0
    assert min(late) >= 15.0
    assert len(set(late)) > 1
