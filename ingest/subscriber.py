"""The MQTT side of a worker: subscriptions in, messages queued, acknowledgements out in order.

The first stage of the pipeline. It runs in the network thread of the session it is given (a
:class:`~byggpuls.mqtt.Session`: :class:`~byggpuls.mqtt.MqttSession` in a worker, a
:class:`~byggpuls.mqtt.FakeSession` in a test), and only wraps each message (with its
connection generation and receipt time) as an :class:`Inbound` and queues it. How many messages
are outstanding is bounded by the broker: the Receive Maximum the session announces (MQTT 5) or
the broker's max_inflight_messages (3.1.1), since nothing is acknowledged before it is stored.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import paho.mqtt.client as paho

from byggpuls import topics
from byggpuls.mqtt import Session
from ingest.metrics import IngestMetrics
from ingest.settings import IngestSettings

logger = logging.getLogger(__name__)

#: Mosquitto publishes how many messages it dropped here (every sys_interval, 10 s by default).
BROKER_DROPPED_TOPIC: Final = "$SYS/broker/publish/messages/dropped"


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message as received: enough to decode it, dead-letter it and acknowledge it."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    #: The connection it arrived on; an acknowledgement on a later one is not sent.
    generation: int
    #: ``time.monotonic()`` at receipt.
    received_s: float
    #: Set when the topic itself was unreadable (not UTF-8).
    topic_error: str | None = None


class Subscriber:
    """Subscribes on every connect, queues what arrives, and acknowledges it when told.

    ``session`` must acknowledge manually: nothing is acknowledged before it is stored. The
    subscriber installs its connect and message hooks on it.
    """

    def __init__(
        self, settings: IngestSettings, *, session: Session, metrics: IngestMetrics
    ) -> None:
        if not session.manual_ack:
            raise ValueError("ingest needs an MQTT session that acknowledges only when told")
        self.settings = settings
        self.metrics = metrics
        #: Messages received, in order, for the batcher (:mod:`ingest.batch`).
        self.inbound: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
        #: Receipt times of messages not yet acknowledged, oldest first (acks go in order).
        self._unacked: deque[float] = deque()
        self._broker_dropped = 0
        #: (connection generation, message id) of the telemetry subscription last sent.
        self._subscription: tuple[int, int] | None = None
        self.session = session
        session.on_connect = self._subscribe
        session.on_message = self._on_message

    @property
    def subscribed(self) -> bool:
        """Whether the broker acknowledged this connection's subscriptions: from then on it keeps
        the worker's telemetry for it (queued in the session while it is away)."""
        subscription = self._subscription
        return (
            subscription is not None
            and subscription[0] == self.session.generation
            and self.session.connected
            and self.session.is_subscribed(subscription[1])
        )

    @property
    def inflight(self) -> int:
        """Messages received and not acknowledged yet."""
        return len(self._unacked)

    def oldest_unacked_age_s(self, now_s: float) -> float:
        """How long the oldest unacknowledged message has waited at ``now_s``; 0 without one."""
        try:
            return now_s - self._unacked[0]
        except IndexError:
            return 0.0

    def tick(self, now_s: float) -> None:
        """Show the backlog: messages in flight, and how long the oldest of them has waited."""
        self.metrics.inflight.set(self.inflight)
        self.metrics.oldest_unacked_age.set(self.oldest_unacked_age_s(now_s))

    def ack(self, messages: Sequence[Inbound]) -> None:
        """Acknowledge ``messages`` in the order given (the order they arrived)."""
        # MqttSession queues the PUBACKs for its network thread, in this order.
        sent = [self.session.ack(m.mid, m.qos, m.generation) for m in messages]
        for _ in messages:
            self._unacked.popleft()
        acked = sum(sent)
        self.metrics.messages_acked.inc(acked)
        if acked < len(messages):
            # Received on an earlier connection: the broker delivers them again.
            self.metrics.acks_dropped.inc(len(messages) - acked)

    # -- network thread -------------------------------------------------------------------------

    def _subscribe(self, session: Session) -> None:
        s = self.settings
        telemetry = (
            topics.shared(topics.TELEMETRY_FILTER, s.ingest_shared_group)
            if s.ingest_shared_subscription
            else topics.TELEMETRY_FILTER
        )
        # Every worker reads every birth and status itself: each keeps its own point cache.
        mid = session.subscribe(
            [(telemetry, 1), (topics.META_FILTER, 1), (topics.STATUS_FILTER, 1)]
        )
        self._subscription = (session.generation, mid)
        session.subscribe(BROKER_DROPPED_TOPIC, qos=0)
        logger.info("subscribed to %s, meta and status", telemetry)

    def _on_message(self, msg: paho.MQTTMessage) -> None:
        # Everything comes here: paho's per-filter callbacks never fire for $share filters.
        received_s = time.monotonic()
        topic_error = None
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = bytes(msg._topic).decode("utf-8", "replace")
            topic_error = "topic is not valid UTF-8"
        payload = msg.payload if isinstance(msg.payload, bytes) else bytes(msg.payload)
        if topic.startswith("$SYS/"):
            self._broker_stats(topic, payload)
            return
        self._unacked.append(received_s)
        self.inbound.put(
            Inbound(
                topic=topic,
                payload=payload,
                mid=msg.mid,
                qos=msg.qos,
                generation=self.session.generation,
                received_s=received_s,
                topic_error=topic_error,
            )
        )

    def _broker_stats(self, topic: str, payload: bytes) -> None:
        try:
            dropped = int(payload)
        except ValueError:
            return
        if topic == BROKER_DROPPED_TOPIC:
            if dropped > self._broker_dropped:
                logger.error(
                    "the broker has dropped %d messages: raise its queue limits or add workers",
                    dropped,
                    extra={"broker_dropped": dropped},
                )
            self._broker_dropped = dropped
            self.metrics.broker_dropped.set(dropped)
