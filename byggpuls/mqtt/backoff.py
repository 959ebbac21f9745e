"""The one backoff policy of Byggpuls' MQTT clients: capped exponential growth, equal jitter.

Used for a session's reconnects (:class:`~byggpuls.mqtt.MqttSession`) and for the gateway's
resends of a pack the broker refused (:mod:`gateway.publisher`).

The ceiling doubles with each attempt from :data:`RECONNECT_MIN_SECONDS` up to
:data:`RECONNECT_MAX_SECONDS`, and the delay is drawn from ``[ceiling / 2, ceiling]``: *equal*
jitter. (Full jitter would be ``uniform(0, ceiling)``: it spreads clients a little more, but
any retry may come at once.) So every retry waits at least half its ceiling, and a thousand
gateways that lost their broker together still come back spread over the other half.
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


def reconnect_delay(attempt: int) -> float:
    """Seconds to wait before retry ``attempt`` (0-based): equal jitter under a capped ceiling."""
    doublings = min(attempt, _MAX_DOUBLINGS)
    ceiling = min(RECONNECT_MAX_SECONDS, RECONNECT_MIN_SECONDS * 2.0**doublings)
    return random.uniform(ceiling / 2, ceiling)


__all__ = ["RECONNECT_MAX_SECONDS", "RECONNECT_MIN_SECONDS", "reconnect_delay"]
