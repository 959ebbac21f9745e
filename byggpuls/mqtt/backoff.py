"""The one backoff policy of Byggpuls: capped exponential growth, equal jitter.

Used for a session's reconnects (:class:`~byggpuls.mqtt.MqttSession`), for the gateway's
resends of a pack the broker refused (:mod:`gateway.publisher`), and for ingest's retries of a
store or registry that does not answer (:mod:`ingest.retry`, with its own first and last
ceilings).

The ceiling doubles with each attempt from the first (:data:`RECONNECT_MIN_SECONDS` for MQTT)
up to the cap (:data:`RECONNECT_MAX_SECONDS`), and the delay is drawn from
``[ceiling / 2, ceiling]``: *equal* jitter. (Full jitter would be ``uniform(0, ceiling)``: it
spreads clients a little more, but any retry may come at once.) So every retry waits at least
half its ceiling, and a thousand gateways that lost their broker together still come back
spread over the other half.
"""

from __future__ import annotations

import random
from typing import Final

#: The ceiling of the first delay (attempt 0): a dropped connection is retried within 0.5 s.
RECONNECT_MIN_SECONDS: Final = 0.5
#: The ceiling of every delay: a broker that is back is found within this long.
RECONNECT_MAX_SECONDS: Final = 30.0
#: Doublings after which the ceiling stops growing (long past the cap; bounds the float).
_MAX_DOUBLINGS: Final = 16


def backoff_delay(attempt: int, *, first_s: float, max_s: float) -> float:
    """Seconds to wait before retry ``attempt`` (0-based): equal jitter under a ceiling that
    starts at ``first_s`` and doubles up to ``max_s``."""
    doublings = min(max(attempt, 0), _MAX_DOUBLINGS)
    ceiling = min(max_s, first_s * 2.0**doublings)
    return random.uniform(ceiling / 2, ceiling)


def reconnect_delay(attempt: int) -> float:
    """Seconds to wait before MQTT retry ``attempt`` (0-based), from 0.5 s up to 30 s."""
    return backoff_delay(attempt, first_s=RECONNECT_MIN_SECONDS, max_s=RECONNECT_MAX_SECONDS)


__all__ = ["RECONNECT_MAX_SECONDS", "RECONNECT_MIN_SECONDS", "backoff_delay", "reconnect_delay"]
