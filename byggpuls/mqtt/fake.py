"""An in-memory :class:`~byggpuls.mqtt.port.Session`: no broker, no thread; the test is the broker.

It keeps what a client sends (:attr:`FakeSession.sent`, in order, resends included) and answers
only when told: :meth:`~FakeSession.connect`, :meth:`~FakeSession.disconnect`,
:meth:`~FakeSession.puback` (delivered, or refused: an error reason or "no matching
subscribers"), :meth:`~FakeSession.refuse_connection` (bad credentials) and
:meth:`~FakeSession.deliver` (a message on a subscription). Handlers run in the thread of the
call that triggers them, never under the fake's lock.

Like paho, it keeps a QoS 1 publish until answered: one made while disconnected goes out on the
next connect, and one unanswered at a disconnect is sent again after the next ``on_connect``
unless :meth:`~FakeSession.drop_unacknowledged` forgot it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as paho

from byggpuls.mqtt.port import MessageHandler, PublishHandler


@dataclass(eq=False)
class FakePublish:
    """One publish the client made: an :class:`~byggpuls.mqtt.port.Outgoing`."""

    mid: int
    topic: str
    payload: bytes
    qos: int
    retain: bool
    #: Whether the broker answered it (PUBACK), delivered or not; QoS 0 needs no answer.
    answered: bool = False
    #: Whether the answer said delivered (``on_publish`` ran).
    delivered: bool = False
    #: The connection (generation) it was last sent on; 0 while it waits for one.
    sent_on: int = 0

    def is_published(self) -> bool:
        return self.answered


class FakeSession:
    """A session whose broker is the test: see the module's docstring."""

    def __init__(self, *, client_id: str = "fake", manual_ack: bool = False) -> None:
        self.client_id = client_id
        self.manual_ack = manual_ack
        self.on_connect: Callable[[FakeSession], None] | None = None
        self.on_message: MessageHandler | None = None
        self.on_publish: PublishHandler | None = None
        self.generation = 0
        self.fatal_error: str | None = None
        self.started = False
        #: Every publish put on a connection, in order: the same object again when resent.
        self.sent: list[FakePublish] = []
        #: Subscriptions made, as ``(filter, qos)``, in order.
        self.subscriptions: list[tuple[str, int]] = []
        #: Acknowledgements of received messages sent: ``(mid, qos)``.
        self.acks: list[tuple[int, int]] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        #: QoS 1 publishes not answered yet, oldest first.
        self._unanswered: list[FakePublish] = []
        self._next_mid = 1
        self._in_connect_hook = False
        #: Message ids of the subscriptions (all granted).
        self._granted: set[int] = set()

    # -- the session, as its user sees it ----------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self.started = True

    def stop(self, *, timeout: float = 10.0) -> None:
        self.started = False
        self._connected.clear()

    def wait_connected(self, timeout: float | None = None) -> bool:
        return self._connected.wait(timeout)

    def publish(
        self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False
    ) -> FakePublish:
        with self._lock:
            message = FakePublish(self._mid(), topic, payload, qos, retain, answered=qos == 0)
            if qos > 0:
                self._unanswered.append(message)
            if self.connected or self._in_connect_hook:
                self._send(message)
        return message

    def drop_unacknowledged(self) -> int:
        with self._lock:
            dropped, self._unanswered = len(self._unanswered), []
        return dropped

    def subscribe(self, topic_filter: str | list[tuple[str, int]], *, qos: int = 1) -> int:
        """Record the subscription; the fake broker grants every one at once."""
        with self._lock:
            filters = [(topic_filter, qos)] if isinstance(topic_filter, str) else topic_filter
            self.subscriptions.extend(filters)
            mid = self._mid()
            self._granted.add(mid)
            return mid

    def is_subscribed(self, mid: int) -> bool:
        with self._lock:
            return mid in self._granted

    def wait_subscribed(self, mid: int, timeout: float | None = None) -> bool:
        return self.is_subscribed(mid)

    def ack(self, mid: int, qos: int, generation: int) -> bool:
        if generation != self.generation or not self.connected:
            return False
        with self._lock:
            self.acks.append((mid, qos))
        return True

    def _send(self, message: FakePublish) -> None:
        message.sent_on = self.generation
        self.sent.append(message)

    def _mid(self) -> int:
        mid = self._next_mid
        self._next_mid += 1
        return mid

    # -- the broker, as the test plays it ----------------------------------------------------

    def connect(self) -> None:
        """A successful CONNACK: ``on_connect`` runs (what it publishes goes out at once), then
        every publish still unanswered goes out again, oldest first."""
        if self.fatal_error is not None:
            raise RuntimeError(f"the session stopped for good: {self.fatal_error}")
        with self._lock:
            self.generation += 1
            self._in_connect_hook = True
        try:
            if self.on_connect is not None:
                self.on_connect(self)
        finally:
            with self._lock:
                self._in_connect_hook = False
                for message in self._unanswered:
                    if message.sent_on != self.generation:
                        self._send(message)
                self._connected.set()

    def disconnect(self) -> None:
        """The connection is lost; unanswered publishes stay for the next connect."""
        self._connected.clear()

    def refuse_connection(self, reason: str = "Not authorized") -> None:
        """The broker refused us for a reason retrying cannot fix (as bad credentials)."""
        self.fatal_error = f"broker refused {self.client_id}: {reason}"
        self._connected.clear()

    def puback(self, mid: int | None = None, *, delivered: bool = True) -> FakePublish:
        """Answer publish ``mid`` (default: the oldest unanswered): delivered, or refused."""
        with self._lock:
            waiting = [
                m
                for m in self._unanswered
                if (mid is None or m.mid == mid) and m.sent_on == self.generation
            ]
            if not waiting or not self.connected:
                raise LookupError(f"publish {mid or ''} was not sent on this connection")
            message = waiting[0]
            self._unanswered.remove(message)
            message.answered = True
            message.delivered = delivered
        if delivered and self.on_publish is not None:
            self.on_publish(message.mid)
        return message

    def puback_all(self, *, delivered: bool = True) -> list[FakePublish]:
        """Answer every publish waiting, in order; what was answered."""
        with self._lock:
            count = sum(m.sent_on == self.generation for m in self._unanswered)
        return [self.puback(delivered=delivered) for _ in range(count)]

    def deliver(self, topic: str, payload: bytes, *, qos: int = 1) -> paho.MQTTMessage:
        """A message arrives on a subscription: ``on_message`` gets it."""
        with self._lock:
            message = paho.MQTTMessage(self._mid(), topic.encode())
        message.payload = payload
        message.qos = qos
        if self.on_message is not None:
            self.on_message(message)
        return message


__all__ = ["FakePublish", "FakeSession"]
