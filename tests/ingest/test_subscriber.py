"""The subscriber: what arrives is queued in order and counted until it is acknowledged."""

from __future__ import annotations

import time

import paho.mqtt.client as paho
import pytest

from byggpuls.mqtt import FakeSession, MqttSession
from ingest.metrics import IngestMetrics
from ingest.settings import IngestSettings
from ingest.subscriber import BROKER_DROPPED_TOPIC, Subscriber


def message(mid: int, topic: bytes, payload: bytes = b"{}") -> paho.MQTTMessage:
    msg = paho.MQTTMessage(mid=mid, topic=topic)
    msg.payload = payload
    msg.qos = 1
    return msg


def test_a_session_that_acknowledges_by_itself_is_refused(
    settings: IngestSettings, metrics: IngestMetrics
) -> None:
    session = MqttSession(settings=settings, client_id="ingest-unit")

    with pytest.raises(ValueError, match="acknowledges only when told"):
        Subscriber(settings, session=session, metrics=metrics)


def test_messages_are_queued_in_order_and_in_flight_until_acknowledged(
    subscriber: Subscriber, metrics: IngestMetrics
) -> None:
    deliver = subscriber.session.on_message
    assert deliver is not None
    deliver(message(1, b"byggpuls/v1/skole-01/energy"))
    deliver(message(2, b"byggpuls/v1/\xff/energy"))
    deliver(message(3, BROKER_DROPPED_TOPIC.encode(), b"12"))

    first, second = subscriber.inbound.get_nowait(), subscriber.inbound.get_nowait()
    assert subscriber.inbound.empty()
    assert (first.mid, first.topic, first.topic_error) == (1, "byggpuls/v1/skole-01/energy", None)
    assert (second.mid, second.topic_error) == (2, "topic is not valid UTF-8")
    sample = metrics.registry.get_sample_value
    assert sample("byggpuls_ingest_broker_dropped_messages") == 12.0

    subscriber.tick(first.received_s + 5.0)
    assert sample("byggpuls_ingest_inflight_messages") == 2.0
    assert sample("byggpuls_ingest_oldest_unacknowledged_age_seconds") == 5.0

    # Not connected: the acknowledgements cannot be sent, and the broker will deliver again.
    subscriber.ack([first, second])
    subscriber.tick(time.monotonic())
    assert sample("byggpuls_ingest_inflight_messages") == 0.0
    assert sample("byggpuls_ingest_oldest_unacknowledged_age_seconds") == 0.0
    assert sample("byggpuls_ingest_acks_dropped_total") == 2.0
    assert sample("byggpuls_ingest_messages_acknowledged_total") == 0.0


def test_each_connection_subscribes_again_and_acks_only_what_came_on_it(
    settings: IngestSettings, metrics: IngestMetrics
) -> None:
    session = FakeSession(client_id="ingest-unit", manual_ack=True)
    subscriber = Subscriber(settings, session=session, metrics=metrics)
    session.connect()
    assert subscriber.subscribed
    assert [f for f, _ in session.subscriptions] == [
        "$share/ingest/byggpuls/v1/+/+",
        "byggpuls/v1/+/meta/+",
        "byggpuls/v1/+/status/+",
        BROKER_DROPPED_TOPIC,
    ]
    session.deliver("byggpuls/v1/skole-01/energy", b"{}")
    earlier = subscriber.inbound.get_nowait()

    session.disconnect()
    assert not subscriber.subscribed
    session.connect()
    assert subscriber.subscribed
    assert len(session.subscriptions) == 8
    session.deliver("byggpuls/v1/skole-01/energy", b"{}")
    current = subscriber.inbound.get_nowait()

    subscriber.ack([earlier, current])
    # The broker delivers the earlier one again on this connection; only this one's is sent.
    assert session.acks == [(current.mid, 1)]
    sample = metrics.registry.get_sample_value
    assert sample("byggpuls_ingest_messages_acknowledged_total") == 1.0
    assert sample("byggpuls_ingest_acks_dropped_total") == 1.0
    assert subscriber.inflight == 0
