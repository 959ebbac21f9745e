"""MQTT over TLS against a real Mosquitto: client certificates, and refusals that say why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from byggpuls.mqtt import MqttSession
from byggpuls.settings import CommonSettings
from sandbox.servers import MosquittoServer, TlsFiles
from tests.byggpuls.mqtt.conftest import Inbox, publish_all, subscriber, wait_for

pytestmark = pytest.mark.integration


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
