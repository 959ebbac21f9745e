"""MqttSession against real brokers: sessions, acknowledgements, reconnects, protocol fallback."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import pytest

from byggpuls.mqtt import MqttSession
from byggpuls.settings import CommonSettings, MqttProtocol
from sandbox.broker import EmbeddedBroker
from sandbox.servers import MosquittoServer
from tests.byggpuls.mqtt.conftest import DEADLINE_SECONDS, Inbox, publish_all, subscriber, wait_for

pytestmark = pytest.mark.integration


def test_delivers_and_acknowledges_over_mqtt5(settings: CommonSettings) -> None:
    inbox = Inbox(ack=True)
    session = subscriber(settings, inbox)
    try:
        assert session.is_v5
        publish_all(settings, [str(i).encode() for i in range(200)])
        wait_for(lambda: len(inbox.payloads) == 200, "200 messages")
        assert inbox.payloads == [str(i).encode() for i in range(200)]
    finally:
        session.stop()


@pytest.mark.parametrize("protocol", [MqttProtocol.V5, MqttProtocol.V311])
def test_persistent_session_queues_while_away_and_survives_a_new_client(
    mosquitto: MosquittoServer, protocol: MqttProtocol
) -> None:
    settings = CommonSettings(mqtt_url=mosquitto.url, mqtt_protocol=protocol)
    first = Inbox(ack=True)
    subscriber(settings, first, client_id="durable").stop()
    publish_all(settings, [b"while-away-1", b"while-away-2"])
    # A new session object with the same client id stands for a restarted process.
    second = Inbox(ack=True)
    session = subscriber(settings, second, client_id="durable")
    try:
        wait_for(lambda: len(second.payloads) == 2, "queued messages")
        assert second.payloads == [b"while-away-1", b"while-away-2"]
    finally:
        session.stop()


def test_unacknowledged_messages_are_redelivered_to_the_next_session(
    settings: CommonSettings,
) -> None:
    holding = Inbox(ack=False)
    session = subscriber(settings, holding, client_id="worker")
    publish_all(settings, [b"a", b"b", b"c"])
    wait_for(lambda: len(holding.payloads) == 3, "first delivery")
    session.stop()
    again = Inbox(ack=True)
    session = subscriber(settings, again, client_id="worker")
    try:
        wait_for(lambda: len(again.payloads) == 3, "redelivery")
        assert again.payloads == [b"a", b"b", b"c"]
    finally:
        session.stop()


def test_reconnects_after_a_broker_restart_and_refuses_stale_acks(
    mosquitto: MosquittoServer, settings: CommonSettings
) -> None:
    connects: list[int] = []
    session = MqttSession(
        settings=settings, client_id="reconnecting", on_connect=lambda s: connects.append(1)
    )
    session.start()
    try:
        assert session.wait_connected(DEADLINE_SECONDS)
        first_generation = session.generation
        mosquitto.stop()
        wait_for(lambda: not session.connected, "disconnect")
        mosquitto.start()
        wait_for(lambda: session.connected and len(connects) == 2, "reconnect")
        assert session.generation == first_generation + 1
        assert session.ack(1, 1, first_generation) is False
    finally:
        session.stop()


def test_falls_back_to_mqtt311_when_the_broker_refuses_mqtt5() -> None:
    broker = EmbeddedBroker().start()
    try:
        settings = CommonSettings(mqtt_url=broker.url)
        inbox = Inbox(ack=True)
        session = subscriber(settings, inbox)
        try:
            assert not session.is_v5
            publish_all(settings, [b"hello"])
            wait_for(lambda: inbox.payloads == [b"hello"], "message over 3.1.1")
        finally:
            session.stop()
    finally:
        broker.stop()


class HangingUp:
    """A TCP server that reads each CONNECT, notes its protocol level, and closes the socket
    without a CONNACK, as RabbitMQ 3.10 does to an MQTT 5 client."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        #: The protocol level of each CONNECT received: 5 for MQTT 5, 4 for MQTT 3.1.1.
        self.levels: list[int] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # Shutting the listener down wakes the accept() waiting in the thread; close() does not.
        self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(DEADLINE_SECONDS)

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # shut down by __exit__
                return
            with connection:
                connection.settimeout(DEADLINE_SECONDS)
                self.levels.append(self._level(connection.recv(4096)))

    @staticmethod
    def _level(packet: bytes) -> int:
        # Fixed header (type, then a variable-length remaining length), then the protocol
        # name as a length-prefixed "MQTT", then the level.
        offset = 1
        while packet[offset] & 0x80:
            offset += 1
        return packet[offset + 1 + 2 + len(b"MQTT")]


def test_falls_back_to_mqtt311_when_the_broker_hangs_up_on_mqtt5() -> None:
    with HangingUp() as broker:
        settings = CommonSettings(mqtt_url=f"mqtt://127.0.0.1:{broker.port}")
        session = MqttSession(settings=settings, client_id="hung-up-on")
        session.start()
        try:
            wait_for(lambda: len(broker.levels) >= 2, "a second CONNECT")
            assert not session.is_v5
        finally:
            session.stop()
    assert broker.levels[:2] == [5, 4]


def test_keeps_mqtt5_when_told_to_even_if_the_broker_hangs_up() -> None:
    with HangingUp() as broker:
        settings = CommonSettings(
            mqtt_url=f"mqtt://127.0.0.1:{broker.port}", mqtt_protocol=MqttProtocol.V5
        )
        session = MqttSession(settings=settings, client_id="hung-up-on")
        session.start()
        try:
            wait_for(lambda: len(broker.levels) >= 2, "a second CONNECT")
            assert session.is_v5
        finally:
            session.stop()
    assert broker.levels[:2] == [5, 5]


@pytest.fixture
def secured_mosquitto(tmp_path: Path) -> Iterator[MosquittoServer]:
    password_file = tmp_path / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(password_file), "gateway", "right"], check=True
    )
    password_file.chmod(0o600)
    with MosquittoServer(workdir=tmp_path / "secured", password_file=password_file) as server:
        yield server


def test_wrong_credentials_stop_the_session_with_a_reason(
    secured_mosquitto: MosquittoServer,
) -> None:
    url = f"mqtt://gateway:wrong@127.0.0.1:{secured_mosquitto.port}"
    session = MqttSession(settings=CommonSettings(mqtt_url=url), client_id="bad")
    session.start()
    try:
        wait_for(lambda: session.fatal_error is not None, "fatal error")
        assert "BYGGPULS_MQTT_URL" in (session.fatal_error or "")
        assert not session.connected
    finally:
        session.stop()
    good = f"mqtt://gateway:right@127.0.0.1:{secured_mosquitto.port}"
    session = MqttSession(settings=CommonSettings(mqtt_url=good), client_id="good")
    session.start()
    try:
        assert session.wait_connected(DEADLINE_SECONDS)
    finally:
        session.stop()
