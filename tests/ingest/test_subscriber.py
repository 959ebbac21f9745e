"""The subscriber: what arrives is queued in order and counted until it is acknowledged."""

from __future__ import annotations

import time

import paho.mqtt.client as paho
import pytest

from byggpuls import wire
from byggpuls.mqtt import FakeSession, MqttSession
from ingest.metrics import IngestMetrics
from ingest.settings import IngestSettings
from ingest.subscriber import BROKER_DROPPED_TOPIC, PROBE_TIMEOUT_S, Subscriber


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
        "$share/ingest/byggpuls/v1/_probe/ingest-unit",
        BROKER_DROPPED_TOPIC,
    ]
    session.deliver("byggpuls/v1/skole-01/energy", b"{}")
    earlier = subscriber.inbound.get_nowait()

    session.disconnect()
    assert not subscriber.subscribed
    session.connect()
    assert subscriber.subscribed
    assert len(session.subscriptions) == 10
    session.deliver("byggpuls/v1/skole-01/energy", b"{}")
    current = subscriber.inbound.get_nowait()

    subscriber.ack([earlier, current])
    # The broker delivers the earlier one again on this connection; only this one's is sent.
    assert session.acks == [(current.mid, 1)]
    sample = metrics.registry.get_sample_value
    assert sample("byggpuls_ingest_messages_acknowledged_total") == 1.0
    assert sample("byggpuls_ingest_acks_dropped_total") == 1.0
    assert subscriber.inflight == 0


def connected(settings: IngestSettings, metrics: IngestMetrics) -> tuple[FakeSession, Subscriber]:
    """A subscriber on a fake session, connected once."""
    session = FakeSession(client_id="ingest-unit", manual_ack=True)
    subscriber = Subscriber(settings, session=session, metrics=metrics)
    session.connect()
    return session, subscriber


def probes(session: FakeSession) -> list[bytes]:
    return [m.payload for m in session.sent if m.topic == "byggpuls/v1/_probe/ingest-unit"]


def test_a_shared_subscription_receives_once_its_probe_came_back(
    settings: IngestSettings, metrics: IngestMetrics
) -> None:
    session, subscriber = connected(settings, metrics)
    assert subscriber.subscribed
    assert not subscriber.receiving
    [probe] = probes(session)
    assert [m.qos for m in session.sent] == [0]

    session.deliver("byggpuls/v1/_probe/ingest-unit", b"not this worker's", qos=0)
    assert not subscriber.receiving
    session.deliver("byggpuls/v1/_probe/ingest-unit", probe, qos=0)
    assert subscriber.receiving
    subscriber.tick(time.monotonic() + PROBE_TIMEOUT_S + 1)
    assert subscriber.refusal is None
    assert probes(session) == [probe]


def test_probes_are_never_decoded_stored_or_dead_lettered(
    settings: IngestSettings, metrics: IngestMetrics
) -> None:
    session, subscriber = connected(settings, metrics)
    # Another worker's probe, arriving on the telemetry filter; one at QoS 1 is acknowledged
    # at once, so that it does not hold a place in the window.
    session.deliver("byggpuls/v1/_probe/ingest-other", b"x", qos=0)
    quoted = session.deliver("byggpuls/v1/_probe/ingest-other", b"x", qos=1)

    assert subscriber.inbound.empty()
    assert subscriber.inflight == 0
    assert session.acks == [(quoted.mid, 1)]


def test_a_probe_that_does_not_come_back_refuses_the_broker(
    settings: IngestSettings, metrics: IngestMetrics
) -> None:
    session, subscriber = connected(settings, metrics)
    subscriber.tick(time.monotonic())
    # Published again while waiting: QoS 0 may be lost.
    assert len(probes(session)) == 2
    assert subscriber.refusal is None

    subscriber.tick(time.monotonic() + PROBE_TIMEOUT_S + 1)

    assert subscriber.refusal is not None
    assert "BYGGPULS_INGEST_SHARED_SUBSCRIPTION=false" in subscriber.refusal
    assert not subscriber.receiving


def test_a_plain_subscription_needs_no_probe(
    settings: IngestSettings, metrics: IngestMetrics
) -> None:
    plain = settings.model_copy(update={"ingest_shared_subscription": False})
    session, subscriber = connected(plain, metrics)
    subscriber.tick(time.monotonic() + PROBE_TIMEOUT_S + 1)

    assert subscriber.receiving
    assert subscriber.refusal is None
    assert session.sent == []
    assert "byggpuls/v1/+/+" in [f for f, _ in session.subscriptions]


#: The largest pack, in MiB: the least bound a Receive Maximum of one allows.
PACK_MB = wire.PACK_MAX_BYTES / 2**20
HALF_PACK = b"[" + b" " * (wire.PACK_MAX_BYTES // 2 - 2) + b"]"


def test_telemetry_beyond_the_bound_is_acknowledged_at_once_and_dropped(
    settings: IngestSettings, metrics: IngestMetrics
) -> None:
    bounded = IngestSettings(ingest_receive_maximum=1, ingest_max_held_mb=PACK_MB)
    session, subscriber = connected(bounded, metrics)
    sample = metrics.registry.get_sample_value
    # Two halves of the bound fill it.
    held = [session.deliver("byggpuls/v1/skole-01/energy", HALF_PACK) for _ in range(2)]
    assert subscriber.inflight == 2
    assert subscriber.held_bytes == 2 * len(HALF_PACK)

    # A broker that ignores the Receive Maximum sends more: taken off it, not kept. Its gateway
    # gets no acknowledgement from ingest for it, and sends it again.
    shed = session.deliver("byggpuls/v1/skole-01/energy", b"[]")
    session.deliver("byggpuls/v1/skole-01/climate", b"[]", qos=0)  # nothing to acknowledge
    assert subscriber.held_bytes <= bounded.max_held_bytes
    assert session.acks == [(shed.mid, 1)]
    assert sample("byggpuls_ingest_messages_shed_total") == 2.0
    assert subscriber.inflight == 2

    # Births and statuses are few, and a birth comes once a connection: always kept.
    session.deliver("byggpuls/v1/skole-01/meta/gw-1", b"{}")
    session.deliver("byggpuls/v1/skole-01/status/gw-1", b"{}")
    assert subscriber.inflight == 4
    queued = [subscriber.inbound.get_nowait() for _ in range(4)]
    assert subscriber.inbound.empty()
    assert [m.mid for m in queued[:2]] == [m.mid for m in held]
    assert [m.topic for m in queued[2:]] == [
        "byggpuls/v1/skole-01/meta/gw-1",
        "byggpuls/v1/skole-01/status/gw-1",
    ]
    assert sample("byggpuls_ingest_messages_shed_total") == 2.0

    # Below the bound again, telemetry is kept again; the peak stays on record.
    subscriber.ack(queued)
    kept = session.deliver("byggpuls/v1/skole-01/energy", b"[]")
    assert subscriber.inbound.get_nowait().mid == kept.mid
    assert subscriber.inflight == 1
    assert subscriber.inflight_max == 4
    subscriber.tick(time.monotonic())
    assert sample("byggpuls_ingest_inflight_messages_max") == 4.0
    assert sample("byggpuls_ingest_inflight_messages") == 1.0
    assert sample("byggpuls_ingest_held_bytes_max") == 2 * len(HALF_PACK) + 4
    assert sample("byggpuls_ingest_held_bytes") == 2.0


def test_the_peak_of_messages_held_is_recorded(
    settings: IngestSettings, metrics: IngestMetrics
) -> None:
    session, subscriber = connected(settings, metrics)
    assert subscriber.inflight_max == 0
    for _ in range(3):
        session.deliver("byggpuls/v1/skole-01/energy", b"[]")
    subscriber.ack([subscriber.inbound.get_nowait() for _ in range(3)])
    session.deliver("byggpuls/v1/skole-01/energy", b"[]")
    assert subscriber.inflight == 1
    assert subscriber.inflight_max == 3
    subscriber.tick(time.monotonic())
    assert metrics.registry.get_sample_value("byggpuls_ingest_inflight_messages_max") == 3.0
    assert metrics.registry.get_sample_value("byggpuls_ingest_messages_shed_total") == 0.0
