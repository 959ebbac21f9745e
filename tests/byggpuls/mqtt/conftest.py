"""Helpers of the MQTT session tests: an inbox that acknowledges when told, a subscriber, and
a publisher that waits for its PUBACKs; and the settings of the test's broker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import paho.mqtt.client as paho
import pytest

from byggpuls.mqtt import MqttSession
from byggpuls.settings import CommonSettings
from sandbox.servers import MosquittoServer

DEADLINE_SECONDS = 20.0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Inbox:
    """Collects messages; acknowledges them only when told to."""

    def __init__(self, *, ack: bool) -> None:
        self.ack = ack
        self.payloads: list[bytes] = []
        self.lock = threading.Lock()
        self.session: MqttSession | None = None

    def __call__(self, message: paho.MQTTMessage) -> None:
        with self.lock:
            self.payloads.append(message.payload)
        if self.ack and self.session is not None:
            self.session.ack(message.mid, message.qos, self.session.generation)


def subscriber(
    settings: CommonSettings, inbox: Inbox, client_id: str = "sub", topic: str = "t/#"
) -> MqttSession:
    subscriptions: list[int] = []
    session = MqttSession(
        settings=settings,
        client_id=client_id,
        manual_ack=True,
        receive_maximum=100,
        on_connect=lambda s: subscriptions.append(s.subscribe(topic)),
        on_message=inbox,
    )
    inbox.session = session
    session.start()
    assert session.wait_connected(DEADLINE_SECONDS)
    assert session.wait_subscribed(subscriptions[0], DEADLINE_SECONDS)
    return session


def publish_all(settings: CommonSettings, payloads: list[bytes], topic: str = "t/x") -> None:
    acked: list[int] = []
    publisher = MqttSession(settings=settings, client_id="pub", on_publish=acked.append)
    publisher.start()
    try:
        assert publisher.wait_connected(DEADLINE_SECONDS)
        for payload in payloads:
            publisher.publish(topic, payload)
        wait_for(lambda: len(acked) == len(payloads), "PUBACKs")
    finally:
        publisher.stop()


@pytest.fixture
def settings(mosquitto: MosquittoServer) -> CommonSettings:
    return CommonSettings(mqtt_url=mosquitto.url)
