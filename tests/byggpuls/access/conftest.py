"""A Mosquitto with the dynamic-security plugin, its admin adapter, and MQTT clients to probe it.

The broker runs with ``deploy/mosquitto/dynsec.conf`` on a free port, its plugin state in the
test's own directory. :class:`Probe` is a real paho client that records what the broker does
to it: CONNACK, SUBACK and PUBACK reason codes, messages, and being disconnected.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from byggpuls.access import MosquittoDynsec
from sandbox.servers import DynsecMosquittoServer

#: Ends a test whose broker stopped answering; never reached when the broker works.
STUCK_S = 30.0


class Probe:
    """One MQTT 5 client of a test; it does not reconnect, so a kick stays visible."""

    def __init__(
        self, port: int, username: str | None, password: str | None, *, clean_start: bool = True
    ) -> None:
        self.port = port
        self.clean_start = clean_start
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"probe-{uuid.uuid4().hex[:10]}",
            protocol=paho.MQTTv5,
            reconnect_on_failure=False,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.messages: list[tuple[str, bytes]] = []
        self.connack: ReasonCode | None = None
        self.disconnected = threading.Event()
        self._changed = threading.Condition()
        self._acks: dict[int, list[ReasonCode]] = {}
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_ack
        self.client.on_publish = self._on_publish

    def _on_connect(self, c: Any, u: Any, f: Any, reason: ReasonCode, p: Any) -> None:
        with self._changed:
            self.connack = reason
            self._changed.notify_all()

    def _on_disconnect(self, c: Any, u: Any, f: Any, reason: ReasonCode, p: Any) -> None:
        self.disconnected.set()
        with self._changed:
            self._changed.notify_all()

    def _on_message(self, c: Any, u: Any, msg: paho.MQTTMessage) -> None:
        with self._changed:
            self.messages.append((msg.topic, bytes(msg.payload)))
            self._changed.notify_all()

    def _on_ack(self, c: Any, u: Any, mid: int, reasons: list[ReasonCode], p: Any) -> None:
        with self._changed:
            self._acks[mid] = reasons
            self._changed.notify_all()

    def _on_publish(self, c: Any, u: Any, mid: int, reason: ReasonCode, p: Any) -> None:
        self._on_ack(c, u, mid, [reason], p)

    def connect(self) -> ReasonCode:
        """Connect and return the CONNACK's reason code."""
        self.disconnected.clear()
        with self._changed:
            self.connack = None
        self.client.connect("127.0.0.1", self.port, clean_start=self.clean_start)
        self.client.loop_start()
        with self._changed:
            assert self._changed.wait_for(lambda: self.connack is not None, STUCK_S)
        return self._reason()

    def _reason(self) -> ReasonCode:
        assert self.connack is not None, "not connected"
        return self.connack

    @property
    def refused(self) -> bool:
        """Whether the broker refused the connection (a CONNACK with an error)."""
        return self._reason().is_failure

    def await_ack(self, mid: int) -> ReasonCode | None:
        with self._changed:
            assert self._changed.wait_for(
                lambda: mid in self._acks or self.disconnected.is_set(), STUCK_S
            )
            return self._acks.pop(mid)[0] if mid in self._acks else None

    def subscribe(self, topic_filter: str) -> ReasonCode:
        """Subscribe (QoS 1) and return the SUBACK's reason code."""
        _, mid = self.client.subscribe(topic_filter, qos=1)
        assert mid is not None
        reason = self.await_ack(mid)
        assert reason is not None, "disconnected instead of a SUBACK"
        return reason

    def publish(self, topic: str, payload: bytes) -> bool:
        """Publish (QoS 1); whether the broker took it (PUBACK without error).

        A refused publish is answered with a PUBACK "Not authorized", or (Debian's Mosquitto
        2.0.11) with the end of the connection; either way the broker has dealt with it.
        """
        reason = self.await_ack(self.client.publish(topic, payload, qos=1).mid)
        return reason is not None and not reason.is_failure

    def wait_for(self, payload: bytes) -> None:
        """Wait until a message with ``payload`` arrived."""
        with self._changed:
            assert self._changed.wait_for(
                lambda: any(got == payload for _, got in self.messages), STUCK_S
            ), f"{payload!r} never arrived"

    def payloads(self) -> list[bytes]:
        with self._changed:
            return [payload for _, payload in self.messages]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def dynsec_broker(tmp_path: Path) -> Iterator[DynsecMosquittoServer]:
    """A Mosquitto with the dynamic-security plugin, knowing only its admin; stopped afterwards."""
    server = DynsecMosquittoServer(workdir=tmp_path / "mosquitto").start()
    try:
        yield server
    finally:
        server.stop()


def admin_of(server: DynsecMosquittoServer) -> MosquittoDynsec:
    """An adapter for ``server``, not yet connected."""
    return MosquittoDynsec(
        host="127.0.0.1",
        port=server.port,
        username=server.admin_username,
        password=server.admin_password,
    )


@pytest.fixture
def broker_access(dynsec_broker: DynsecMosquittoServer) -> Iterator[MosquittoDynsec]:
    """The dynamic-security adapter, connected as the broker's admin."""
    with admin_of(dynsec_broker) as access:
        yield access


@pytest.fixture
def probe(dynsec_broker: DynsecMosquittoServer) -> Iterator[Callable[..., Probe]]:
    """Makes connected :class:`Probe` clients (``probe(username, password)``), closed afterwards."""
    made: list[Probe] = []

    def make(username: str | None, password: str | None, *, clean_start: bool = True) -> Probe:
        client = Probe(dynsec_broker.port, username, password, clean_start=clean_start)
        made.append(client)
        client.connect()
        return client

    yield make
    for client in made:
        client.close()
