"""The MQTT side of a worker: subscriptions in, messages queued, acknowledgements out in order.

The first stage of the pipeline. It runs in the network thread of the session it is given (a
:class:`~byggpuls.mqtt.Session`: :class:`~byggpuls.mqtt.MqttSession` in a worker, a
:class:`~byggpuls.mqtt.FakeSession` in a test), and only wraps each message (with its
connection generation and receipt time) as an :class:`Inbound` and queues it. How many messages
are outstanding is bounded by the broker: the Receive Maximum the session announces (MQTT 5) or
the broker's max_inflight_messages (3.1.1), since nothing is acknowledged before it is stored.
And by the worker itself, whatever the broker does (Mosquitto 2.0.11 overshoots the Receive
Maximum): telemetry that would take what it holds past ``ingest_max_held_mb`` is acknowledged
to the broker at once and dropped (counted as shed). Its gateway has no
end-to-end acknowledgement for it, so it sends it again.

Some brokers (NATS 2.9, RabbitMQ 3.10) grant a ``$share`` subscription and then deliver nothing
to it, so a worker would acknowledge nothing and store nothing while gateways' packs pile up or
are lost. With a shared subscription, the subscriber therefore publishes a probe (QoS 0) under
its shared group and counts as receiving only once the probe came back; if it does not within
:data:`PROBE_TIMEOUT_S`, :attr:`Subscriber.refusal` says why and what to set. Probes arrive at
every worker's telemetry filter too, and are dropped on arrival: never decoded, stored or
dead-lettered.
"""

from __future__ import annotations

import logging
import queue
import time
import uuid
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
#: Probes go to ``<prefix>/<client id>``. ``_probe`` is not a valid building id, so no
#: gateway's telemetry topic can be a probe's.
PROBE_PREFIX: Final = f"{topics.PREFIX}/_probe/"
#: How long a shared subscription may take to deliver the probe before the worker refuses it.
#: A broker that honours ``$share`` returns it in milliseconds; the bound is wide so that a
#: loaded machine or broker never makes a worker refuse one that works.
PROBE_TIMEOUT_S: Final = 30.0
#: ``byggpuls/v1/{building}/{domain}``: what may be shed (:meth:`Subscriber._on_message`).
_TELEMETRY_SLASHES: Final = topics.TELEMETRY_FILTER.count("/")


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
        #: (receipt time, payload bytes) of the messages not yet acknowledged, oldest first
        #: (acks go in order).
        self._unacked: deque[tuple[float, int]] = deque()
        self._bound = settings.max_held_bytes
        #: Payload bytes ever held, and ever acknowledged: each written by one thread only (the
        #: network thread, the accountant's), so that neither loses the other's updates.
        self._bytes_in = 0
        self._bytes_out = 0
        #: The most messages, and the most bytes, held unacknowledged at once.
        self.inflight_max = 0
        self.held_bytes_max = 0
        self._broker_dropped = 0
        #: (connection generation, message id) of the telemetry subscription last sent.
        self._subscription: tuple[int, int] | None = None
        #: The probe of a shared subscription (see the module's docstring); without one, the
        #: broker delivers what it has acknowledged a subscription for.
        self._probe_topic = PROBE_PREFIX + settings.ingest_client_id
        self._probe_payload = uuid.uuid4().hex.encode()
        self._probed = not settings.ingest_shared_subscription
        #: When this connection's probe was first published (``time.monotonic()``).
        self._probe_sent_s = 0.0
        #: Why the worker must not go on with this broker, once the probe timed out.
        self.refusal: str | None = None
        self.session = session
        session.on_connect = self._subscribe
        session.on_message = self._on_message

    @property
    def subscribed(self) -> bool:
        """Whether the broker acknowledged this connection's subscriptions: from then on it routes
        telemetry to the worker (and, the session not being persistent, only while connected)."""
        subscription = self._subscription
        return (
            subscription is not None
            and subscription[0] == self.session.generation
            and self.session.connected
            and self.session.is_subscribed(subscription[1])
        )

    @property
    def receiving(self) -> bool:
        """Whether the broker was seen to deliver to the shared subscription (always true for a
        plain one): until then, a worker that takes traffic may acknowledge nothing."""
        return self._probed

    @property
    def inflight(self) -> int:
        """Messages received and not acknowledged yet."""
        return len(self._unacked)

    @property
    def held_bytes(self) -> int:
        """Payload bytes received and not acknowledged yet."""
        return self._bytes_in - self._bytes_out

    def oldest_unacked_age_s(self, now_s: float) -> float:
        """How long the oldest unacknowledged message has waited at ``now_s``; 0 without one."""
        try:
            return now_s - self._unacked[0][0]
        except IndexError:
            return 0.0

    def tick(self, now_s: float) -> None:
        """Show the backlog: messages in flight, and how long the oldest of them has waited.

        Until the probe came back, publish it again (QoS 0 may be lost), or refuse the broker
        once :data:`PROBE_TIMEOUT_S` has passed on this connection.
        """
        self.metrics.inflight.set(self.inflight)
        self.metrics.inflight_max.set(self.inflight_max)
        self.metrics.held_bytes.set(self.held_bytes)
        self.metrics.held_bytes_max.set(self.held_bytes_max)
        self.metrics.oldest_unacked_age.set(self.oldest_unacked_age_s(now_s))
        if self._probed or self.refusal is not None or not self.subscribed:
            return
        if now_s - self._probe_sent_s < PROBE_TIMEOUT_S:
            self._publish_probe()
            return
        self.refusal = (
            f"BYGGPULS_INGEST_SHARED_SUBSCRIPTION: the broker granted "
            f"{self._shared_filter()} but did not deliver a probe to "
            f"{self._probe_topic} within {PROBE_TIMEOUT_S:.0f} s: it does not honour $share "
            "(NATS, RabbitMQ), or its ACL does not let ingest publish to "
            f"{PROBE_PREFIX}#. Set BYGGPULS_INGEST_SHARED_SUBSCRIPTION=false and run one "
            "worker on such a broker"
        )
        logger.error("%s", self.refusal)

    def ack(self, messages: Sequence[Inbound]) -> None:
        """Acknowledge ``messages`` in the order given (the order they arrived)."""
        # MqttSession queues the PUBACKs for its network thread, in this order.
        sent = [self.session.ack(m.mid, m.qos, m.generation) for m in messages]
        for _ in messages:
            self._bytes_out += self._unacked.popleft()[1]
        acked = sum(sent)
        self.metrics.messages_acked.inc(acked)
        if acked < len(messages):
            # Received on an earlier connection: the broker delivers them again.
            self.metrics.acks_dropped.inc(len(messages) - acked)

    # -- network thread -------------------------------------------------------------------------

    def _shared_filter(self) -> str:
        return topics.shared(topics.TELEMETRY_FILTER, self.settings.ingest_shared_group)

    def _subscribe(self, session: Session) -> None:
        shared = self.settings.ingest_shared_subscription
        telemetry = self._shared_filter() if shared else topics.TELEMETRY_FILTER
        # Every worker reads every birth and status itself: each keeps its own point cache.
        filters = [(telemetry, 1), (topics.META_FILTER, 1), (topics.STATUS_FILTER, 1)]
        if shared:
            # A filter of this worker's alone in its group, so that no other worker can take
            # the probe; QoS 0, so that the broker never keeps a probe for an absent session.
            filters.append((topics.shared(self._probe_topic, self.settings.ingest_shared_group), 0))
        mid = session.subscribe(filters)
        self._subscription = (session.generation, mid)
        session.subscribe(BROKER_DROPPED_TOPIC, qos=0)
        logger.info("subscribed to %s, meta and status", telemetry)
        if not self._probed:
            # Sent after the SUBSCRIBE on the same connection: a broker handles it after it.
            self._probe_sent_s = time.monotonic()
            self._publish_probe()

    def _publish_probe(self) -> None:
        self.session.publish(self._probe_topic, self._probe_payload, qos=0)

    def _on_probe(self, msg: paho.MQTTMessage, topic: str) -> None:
        if topic == self._probe_topic and msg.payload == self._probe_payload and not self._probed:
            self._probed = True
            logger.info("the broker delivers to the shared subscription")
        if msg.qos > 0:
            # Probes are QoS 0; one published otherwise is acknowledged at once, so that it
            # holds no place in the window. That it overtakes the acknowledgements of readings
            # still being written costs nothing: brokers match them by packet id.
            self.session.ack(msg.mid, msg.qos, self.session.generation)

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
        if topic.startswith(PROBE_PREFIX):
            self._on_probe(msg, topic)
            return
        size = len(payload)
        if self.held_bytes + size > self._bound and topic.count("/") == _TELEMETRY_SLASHES:
            # Over the bound (a broker that overshoots Receive Maximum): not kept. Births and
            # statuses are always kept: they are few, and a birth comes once a connect.
            if msg.qos > 0:
                self.session.ack(msg.mid, msg.qos, self.session.generation)
            self.metrics.messages_shed.inc()
            return
        self._unacked.append((received_s, size))
        self._bytes_in += size
        self.inflight_max = max(self.inflight_max, len(self._unacked))
        self.held_bytes_max = max(self.held_bytes_max, self.held_bytes)
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
