"""FakeSession: the broker a test plays keeps and resends publishes as paho does."""

from __future__ import annotations

import paho.mqtt.client as paho
import pytest

from byggpuls.mqtt import FakeSession, Session


def topics_sent(session: FakeSession) -> list[str]:
    return [message.topic for message in session.sent]


def test_publishes_wait_for_a_connection_and_go_out_after_the_connect_hook() -> None:
    session = FakeSession()

    def birth(connected: FakeSession) -> None:
        connected.publish("birth", b"hello", retain=True)

    session.on_connect = birth
    session.publish("early", b"1")
    assert session.sent == []
    session.connect()
    assert topics_sent(session) == ["birth", "early"]
    assert session.connected
    assert session.generation == 1


def test_unanswered_publishes_are_resent_on_reconnect_unless_dropped() -> None:
    session = FakeSession()
    session.connect()
    first, second = session.publish("a", b"1"), session.publish("b", b"2")
    session.puback(first.mid)
    session.disconnect()
    session.connect()
    assert session.sent == [first, second, second]
    session.disconnect()

    def forget(connected: FakeSession) -> None:
        assert connected.drop_unacknowledged() == 1

    session.on_connect = forget
    session.connect()
    assert session.sent == [first, second, second]


def test_a_puback_says_delivered_or_refused_and_only_a_delivery_is_reported() -> None:
    session = FakeSession()
    delivered: list[int] = []
    session.on_publish = delivered.append
    session.connect()
    ok, refused = session.publish("a", b"1"), session.publish("b", b"2")
    assert not ok.is_published()
    session.puback(refused.mid, delivered=False)
    session.puback()  # the oldest waiting
    assert ok.is_published()
    assert refused.is_published()
    assert delivered == [ok.mid]
    assert session.publish("c", b"3", qos=0).is_published()  # QoS 0 waits for nothing


def test_only_what_went_out_on_this_connection_can_be_answered() -> None:
    session = FakeSession()
    queued = session.publish("a", b"1")
    with pytest.raises(LookupError):
        session.puback(queued.mid)
    session.connect()
    session.disconnect()
    with pytest.raises(LookupError):
        session.puback(queued.mid)
    session.connect()
    assert session.puback_all() == [queued]


def test_a_refused_connection_is_for_good() -> None:
    session = FakeSession(client_id="gw-1")
    session.connect()
    session.refuse_connection("Bad user name or password")
    assert not session.connected
    assert session.fatal_error == "broker refused gw-1: Bad user name or password"
    with pytest.raises(RuntimeError, match="for good"):
        session.connect()


def test_messages_arrive_and_acknowledgements_belong_to_their_connection() -> None:
    session = FakeSession()
    received: list[paho.MQTTMessage] = []
    session.on_message = received.append

    subscribed: list[int] = []

    def subscribe(connected: FakeSession) -> None:
        subscribed.append(connected.subscribe([("t/#", 1), ("u", 0)]))

    session.on_connect = subscribe
    session.connect()
    assert session.subscriptions == [("t/#", 1), ("u", 0)]
    assert session.wait_subscribed(subscribed[0], 0)
    message = session.deliver("t/x", b"payload")
    assert received == [message]
    assert (message.topic, message.payload, message.qos) == ("t/x", b"payload", 1)
    generation = session.generation
    session.disconnect()
    session.connect()
    assert not session.ack(message.mid, 1, generation)
    assert session.ack(message.mid, 1, session.generation)
    assert session.acks == [(message.mid, 1)]


def test_it_is_a_session() -> None:
    session: Session = FakeSession()
    session.start()
    assert not session.wait_connected(0)
    session.stop()
