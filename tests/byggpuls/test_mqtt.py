"""MqttSession against real brokers: sessions, acknowledgements, reconnects, protocol fallback."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
import trustme

from byggpuls.mqtt import MqttSession, reconnect_delay
from byggpuls.settings import CommonSettings, MqttProtocol
from sandbox.broker import EmbeddedBroker
from sandbox.servers import MosquittoServer, TlsFiles

pytestmark = pytest.mark.integration
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


def test_reconnect_delay_grows_is_capped_and_jittered() -> None:
    early = [reconnect_delay(0) for _ in range(50)]
    late = [reconnect_delay(30) for _ in range(50)]
    assert max(early) <= 0.5
    assert max(late) <= 30.0
    assert min(late) >= 15.0
    assert len(set(late)) > 1


class Pki:
    """A test CA with a certificate for the broker (127.0.0.1) and one for a client, as PEM."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir()
        self.ca = trustme.CA()
        self.ca_file = directory / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.server = self._issue(directory, "server", "127.0.0.1", "localhost")
        self.client = self._issue(directory, "client", "gw-skole-01.byggpuls.test")

    def _issue(self, directory: Path, name: str, *identities: str) -> tuple[Path, Path]:
        cert = self.ca.issue_cert(*identities)
        cert_file, key_file = directory / f"{name}.pem", directory / f"{name}.key"
        cert.cert_chain_pems[0].write_to_path(str(cert_file))
        cert.private_key_pem.write_to_path(str(key_file))
        return cert_file, key_file


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path / "pki")


@pytest.fixture
def tls_mosquitto(tmp_path: Path, pki: Pki) -> Iterator[MosquittoServer]:
    cert_file, key_file = pki.server
    tls = TlsFiles(pki.ca_file, cert_file, key_file, require_certificate=True)
    with MosquittoServer(workdir=tmp_path / "tls", tls=tls) as server:
        yield server


def test_tls_with_a_client_certificate_carries_messages(
    tls_mosquitto: MosquittoServer, pki: Pki
) -> None:
    cert_file, key_file = pki.client
    settings = CommonSettings(
        mqtt_url=tls_mosquitto.url,
        mqtt_ca_file=pki.ca_file,
        mqtt_cert_file=cert_file,
        mqtt_key_file=key_file,
    )
    assert settings.mqtt_url.startswith("mqtts://")
    inbox = Inbox(ack=True)
    session = subscriber(settings, inbox)
    try:
        publish_all(settings, [b"over TLS"])
        wait_for(lambda: inbox.payloads == [b"over TLS"], "a message over TLS")
    finally:
        session.stop()


@pytest.mark.parametrize("case", ["unknown CA", "no client certificate"])
def test_tls_refuses_an_unknown_broker_and_a_client_without_certificate(
    tls_mosquitto: MosquittoServer,
    pki: Pki,
    tmp_path: Path,
    case: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if case == "unknown CA":
        # A broker whose certificate no trusted CA signed, as a man in the middle would be.
        other = Pki(tmp_path / "other")
        cert_file, key_file = other.client
        ca_file, expected = other.ca_file, "CERTIFICATE_VERIFY_FAILED"
    else:
        cert_file = key_file = None
        ca_file, expected = pki.ca_file, "connection lost"
    settings = CommonSettings(
        mqtt_url=tls_mosquitto.url,
        mqtt_ca_file=ca_file,
        mqtt_cert_file=cert_file,
        mqtt_key_file=key_file,
    )
    session = MqttSession(settings=settings, client_id="refused")
    with caplog.at_level("WARNING", logger="byggpuls.mqtt"):
        session.start()
        try:
            wait_for(lambda: expected in caplog.text, f"a warning that says {expected!r}")
            assert not session.connected
            assert session.generation == 0
        finally:
            session.stop()
