"""The MQTT session port: what a publisher or subscriber needs of its connection to the broker.

Two adapters implement it: :class:`~byggpuls.mqtt.MqttSession` (paho-mqtt, a real broker) and
:class:`~byggpuls.mqtt.FakeSession` (in memory, for tests, which decide what the broker does).
A service is given its session and sets the handlers it needs; the composition root
(``cli.bootstrap``) chooses the adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import paho.mqtt.client as paho

#: A message received on a subscription.
MessageHandler = Callable[[paho.MQTTMessage], None]
#: A QoS 1 publish ``mid`` was delivered (PUBACK without error).
PublishHandler = Callable[[int], None]


class Outgoing(Protocol):
    """A publish on its way (paho's ``MQTTMessageInfo``): its message id, and whether the broker
    has answered it (PUBACK), delivered or not."""

    mid: int

    def is_published(self) -> bool: ...


class Session(Protocol):
    """One client connection to the broker, kept up (reconnecting) between start and stop.

    Handlers run in the session's own thread. ``on_connect(session)`` runs after every
    successful CONNACK, before :attr:`connected` is true: subscribe and publish births there.
    ``on_publish(mid)`` runs only for a delivered publish, never for one the broker refused.
    """

    #: Called with the session itself (typed ``Any``: each adapter hands over its own type).
    on_connect: Callable[[Any], None] | None
    on_message: MessageHandler | None
    on_publish: PublishHandler | None
    #: Received QoS 1 messages are acknowledged only by :meth:`ack`, not on arrival.
    manual_ack: bool

    @property
    def generation(self) -> int:
        """Successful connects so far: an acknowledgement belongs to the connection it came on."""
        ...

    @property
    def connected(self) -> bool: ...

    @property
    def fatal_error(self) -> str | None:
        """Why the broker refused us for good (bad credentials), else ``None``."""
        ...

    def start(self) -> None: ...

    def stop(self, *, timeout: float = 10.0) -> None: ...

    def wait_connected(self, timeout: float | None = None) -> bool: ...

    def publish(
        self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False
    ) -> Outgoing: ...

    def drop_unacknowledged(self) -> int:
        """Forget every publish still waiting for its PUBACK, so that it is not resent by the
        session after a reconnect; the caller publishes again what it still wants sent. The
        number forgotten."""
        ...

    def subscribe(self, topic_filter: str | list[tuple[str, int]], *, qos: int = 1) -> int: ...

    def is_subscribed(self, mid: int) -> bool: ...

    def wait_subscribed(self, mid: int, timeout: float | None = None) -> bool: ...

    def ack(self, mid: int, qos: int, generation: int) -> bool: ...


__all__ = ["MessageHandler", "Outgoing", "PublishHandler", "Session"]
