"""One MQTT connection with its own network thread, for the gateway and ingest.

:class:`MqttSession` wraps a paho-mqtt client and adds what both services need and paho leaves
to its user: a persistent session set up correctly for MQTT 5 *and* 3.1.1, protocol detection
(``auto``: try 5, fall back to 3.1.1 when the broker refuses it, does not answer it, or closes
the socket on it as RabbitMQ 3.10 does), reconnection with capped, jittered backoff
(:mod:`byggpuls.mqtt.backoff`), and a hook that runs on every (re)connect so subscriptions are
renewed even when the broker forgot them (Mosquitto before 2.0.12 loses ``$share``
subscriptions of durable clients). It implements :class:`~byggpuls.mqtt.port.Session`.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from byggpuls.mqtt.backoff import reconnect_delay
from byggpuls.mqtt.port import MessageHandler, PublishHandler
from byggpuls.mqtt.tls import TlsContext
from byggpuls.settings import CommonSettings, MqttProtocol, redact

logger = logging.getLogger(__name__)

#: How long the broker keeps a persistent session (and queues QoS 1 messages for it) while the
#: client is away. Long enough to ride out a weekend without anyone on call.
SESSION_EXPIRY_SECONDS = 7 * 24 * 3600
#: A broker that has not answered CONNECT by then is treated as refusing it. Some MQTT 3.1.1
#: brokers never answer an MQTT 5 CONNECT that carries properties.
CONNACK_TIMEOUT_SECONDS = 5.0
#: How long :meth:`MqttSession.stop` lets the network thread send what is queued and DISCONNECT.
STOP_FLUSH_SECONDS = 2.0
#: CONNACK reasons that retrying cannot fix: stop and say so.
_FATAL_CONNACK = {
    "Bad user name or password",
    "Not authorized",
    "Client identifier not valid",
    "Banned",
    "Bad authentication method",
}
_UNSUPPORTED_PROTOCOL = "Unsupported protocol version"
#: MQTT 5 PUBACK reason: the broker accepted the message but no subscription matched it.
NO_MATCHING_SUBSCRIBERS = 0x10


@dataclass(frozen=True, slots=True)
class Will:
    """A Last Will: what the broker publishes when the client vanishes without a goodbye."""

    topic: str
    payload: bytes
    retain: bool = True


def _network_thread_writes(client: paho.Client, userdata: Any, sock: Any) -> None:
    """paho's register-write callback: that it is set is what matters (see ``_make_client``)."""


def _no_delay(client: paho.Client, userdata: Any, sock: Any) -> None:
    """Send small packets at once (``TCP_NODELAY``). With Nagle's algorithm on, a PUBACK or an
    acknowledgement waits for the peer's delayed ACK: about 40 ms per hop on Linux, which a
    round trip from gateway to ingest and back pays four times over."""
    # Not a TCP socket (a Unix socket, a test double): nothing to set.
    with contextlib.suppress(AttributeError, OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


ConnectHandler = Callable[["MqttSession"], None]


class MqttSession:
    """A paho-mqtt client connected to the broker of ``settings``, run by its own thread.

    ``persistent`` keeps the session (subscriptions and queued QoS 1 messages) on the broker
    across disconnects and process restarts: clean start off with a session expiry on MQTT 5,
    clean session off on 3.1.1. ``on_connect`` runs after every successful CONNACK, in the network
    thread; subscribe there. ``on_publish(mid)`` runs when the broker acknowledged a QoS 1
    publish (PUBACK) - with ``require_subscribers`` (MQTT 5), not when the broker answered that
    no subscription matched, since then nobody got the message. With ``manual_ack``, a
    received QoS 1 message is acknowledged only when :meth:`ack` is called. The handlers are
    attributes too: a service given its session sets its own before :meth:`start`.
    """

    def __init__(
        self,
        *,
        settings: CommonSettings,
        client_id: str,
        persistent: bool = True,
        manual_ack: bool = False,
        will: Will | None = None,
        receive_maximum: int | None = None,
        max_inflight: int = 100,
        require_subscribers: bool = False,
        on_connect: ConnectHandler | None = None,
        on_message: MessageHandler | None = None,
        on_publish: PublishHandler | None = None,
    ) -> None:
        self.settings = settings
        self.client_id = client_id
        self.persistent = persistent
        self.manual_ack = manual_ack
        self.will = will
        self.receive_maximum = receive_maximum
        self.max_inflight = max_inflight
        self.require_subscribers = require_subscribers
        self.on_connect = on_connect
        self.on_message = on_message
        self.on_publish = on_publish
        self.protocol = (
            paho.MQTTv311 if settings.mqtt_protocol is MqttProtocol.V311 else paho.MQTTv5
        )
        #: Incremented on every successful CONNACK. Messages carry the generation they arrived
        #: in, so an acknowledgement from before a reconnect is never sent on the new connection.
        self.generation = 0
        #: Set when the broker refused us for a reason retrying cannot fix.
        self.fatal_error: str | None = None
        self._attempt = 0
        self._renegotiate = False
        #: Whether the broker answered this connection's CONNECT at all (success or refusal).
        self._connack_seen = False
        #: Once MQTT 5 worked with this broker, a silent broker is an outage, not a version issue.
        self._spoke_v5 = False
        self._subacks: set[int] = set()
        self._subacks_changed = threading.Condition()
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = self._make_client()

    @property
    def is_v5(self) -> bool:
        return self.protocol == paho.MQTTv5

    def _make_client(self) -> paho.Client:
        kwargs: dict[str, Any] = {}
        if self.protocol != paho.MQTTv5:
            kwargs["clean_session"] = not self.persistent
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=MQTTProtocolVersion(self.protocol),
            manual_ack=self.manual_ack,
            reconnect_on_failure=False,
            **kwargs,
        )
        parts = self.settings.mqtt
        if parts.username is not None:
            # Percent-encoded in the URL, as a password with ':', '@' or '/' must be.
            password = None if parts.password is None else unquote(parts.password)
            client.username_pw_set(unquote(parts.username), password)
        self._tls: TlsContext | None = None
        if parts.scheme == "mqtts":
            self._tls = TlsContext.for_settings(self.settings)
            client.tls_set_context(self._tls)
        if self.will is not None:
            client.will_set(self.will.topic, self.will.payload, qos=1, retain=self.will.retain)
        client.max_inflight_messages_set(self.max_inflight)
        client.max_queued_messages_set(0)
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        client.on_publish = self._handle_publish
        client.on_subscribe = self._handle_subscribe
        # Without paho's own loop thread, paho would write a packet to the socket from whichever
        # thread publishes or acknowledges, at the same time as the network thread: packets
        # could overtake each other or interleave. With this callback set, paho only queues
        # the packet and wakes the network thread, which is then the socket's only writer.
        client.on_socket_register_write = _network_thread_writes
        client.on_socket_open = _no_delay
        return client

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the network thread; it connects and keeps reconnecting until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"mqtt-{self.client_id}", daemon=True
        )
        self._thread.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        """Disconnect cleanly (no Last Will) and stop the network thread.

        What was queued before (publishes, acknowledgements) is sent first, then DISCONNECT.
        """
        self._stopping.set()
        if self._connected.is_set():
            self._client.disconnect()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._connected.clear()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Block until connected (or ``timeout``); whether it is."""
        return self._connected.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # -- operations --------------------------------------------------------------------------

    def publish(
        self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False
    ) -> paho.MQTTMessageInfo:
        """Queue a publish; the network thread sends it now or after the next reconnect.

        Safe from any thread; publishes are sent in the order they were queued.
        """
        return self._client.publish(topic, payload, qos=qos, retain=retain)

    def drop_unacknowledged(self) -> int:
        """Forget every QoS 1 publish still waiting for its PUBACK; the number forgotten.

        paho resends those from memory right after the next CONNACK's ``on_connect``, ahead of
        what the hook publishes; a caller that publishes again itself, in its own order, calls
        this first (in ``on_connect``).
        """
        return len(self._client.drop_out_messages())

    def subscribe(self, topic_filter: str | list[tuple[str, int]], *, qos: int = 1) -> int:
        """Subscribe to one filter, or to several ``(filter, qos)`` in one packet.

        Returns the message id, for :meth:`is_subscribed` and :meth:`wait_subscribed`.
        """
        if isinstance(topic_filter, str):
            _, mid = self._client.subscribe(topic_filter, qos=qos)
        else:
            _, mid = self._client.subscribe(topic_filter)
        return mid if mid is not None else -1

    def is_subscribed(self, mid: int) -> bool:
        """Whether the broker acknowledged subscription ``mid`` (SUBACK)."""
        with self._subacks_changed:
            return mid in self._subacks

    def wait_subscribed(self, mid: int, timeout: float | None = None) -> bool:
        """Block until the broker acknowledged subscription ``mid`` (SUBACK); whether it did."""
        with self._subacks_changed:
            return self._subacks_changed.wait_for(lambda: mid in self._subacks, timeout)

    def ack(self, mid: int, qos: int, generation: int) -> bool:
        """Acknowledge message ``mid`` received in connection ``generation`` (from any thread).

        An acknowledgement for an earlier connection is dropped: the broker redelivers that
        message on this connection, perhaps under another packet id. Whether it was sent.
        """
        if generation != self.generation or not self._connected.is_set():
            return False
        return self._client.ack(mid, qos) == MQTTErrorCode.MQTT_ERR_SUCCESS

    # -- network thread ----------------------------------------------------------------------

    def _connect_properties(self) -> Properties | None:
        if not self.is_v5:
            return None
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS if self.persistent else 0
        if self.receive_maximum is not None:
            properties.ReceiveMaximum = self.receive_maximum
        return properties

    def _open(self) -> None:
        host = self.settings.mqtt.hostname or "127.0.0.1"
        if self.is_v5:
            # paho's default (clean start on the first connect only) would wipe the session
            # on every process restart: say what we mean on every connect.
            self._client.connect(
                host,
                self.settings.mqtt_port,
                keepalive=self.settings.mqtt_keepalive_s,
                clean_start=not self.persistent,
                properties=self._connect_properties(),
            )
        else:
            self._client.connect(
                host, self.settings.mqtt_port, keepalive=self.settings.mqtt_keepalive_s
            )

    def _run(self) -> None:
        while not self._stopping.is_set() and self.fatal_error is None:
            try:
                self._open()
            except (OSError, ssl.SSLError) as exc:
                if self._tls is not None:
                    self._tls.close_unclaimed(self._client.socket())
                self._backoff(f"cannot connect to {redact(self.settings.mqtt_url)}: {exc}")
                continue
            self._connack_seen = False
            self._serve()
            self._connected.clear()
            if self._stopping.is_set() or self.fatal_error is not None:
                break
            if not (self._connack_seen or self._renegotiate or self._spoke_v5):
                # A broker without MQTT 5 may close the socket instead of answering CONNECT.
                # Once MQTT 5 worked with it, that is an outage, and the protocol stays.
                self._fall_back("broker closed the connection on an MQTT 5 CONNECT")
            if self._renegotiate:
                self._renegotiate = False
                self._client = self._make_client()
                continue
            self._backoff("connection lost")
        if self.fatal_error is not None:
            logger.error("MQTT client %s stopped: %s", self.client_id, self.fatal_error)

    def _serve(self) -> None:
        """Run one connection until it is lost, refused, or closed by :meth:`stop`."""
        opened = time.monotonic()
        flush_deadline = None
        while self._client.loop(timeout=0.2) == MQTTErrorCode.MQTT_ERR_SUCCESS:
            if self._stopping.is_set():
                # stop() queued a DISCONNECT; this thread writes it, then paho closes.
                flush_deadline = flush_deadline or time.monotonic() + STOP_FLUSH_SECONDS
                if not self._connected.is_set() or time.monotonic() > flush_deadline:
                    return
            elif (
                not self._connected.is_set() and time.monotonic() - opened > CONNACK_TIMEOUT_SECONDS
            ):
                self._no_connack()
                return

    def _no_connack(self) -> None:
        self._client.disconnect()
        if self._spoke_v5 or not self._fall_back("broker did not answer an MQTT 5 CONNECT"):
            logger.warning("broker did not answer CONNECT within %.0f s", CONNACK_TIMEOUT_SECONDS)

    def _fall_back(self, reason: str) -> bool:
        """Speak MQTT 3.1.1 from the next connect on, if ``auto`` allows it; whether it does."""
        if not (self.is_v5 and self.settings.mqtt_protocol is MqttProtocol.AUTO):
            return False
        logger.info("%s; trying MQTT 3.1.1", reason)
        self.protocol = paho.MQTTv311
        self._renegotiate = True
        return True

    def _backoff(self, reason: str) -> None:
        delay = reconnect_delay(self._attempt)
        self._attempt += 1
        logger.warning(
            "MQTT client %s: %s; retrying in %.1f s (attempt %d)",
            self.client_id,
            reason,
            delay,
            self._attempt,
        )
        self._stopping.wait(delay)

    def _handle_connect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._connack_seen = True
        if reason.is_failure:
            name = reason.getName()
            if name in _FATAL_CONNACK:
                self.fatal_error = (
                    f"broker refused {self.client_id}: {name}; check the credentials in "
                    "BYGGPULS_MQTT_URL and the broker's ACL"
                )
            elif not (name == _UNSUPPORTED_PROTOCOL and self._fall_back("broker lacks MQTT 5")):
                logger.warning("broker refused the connection: %s", name)
            client.disconnect()
            return
        self._attempt = 0
        self._spoke_v5 = self._spoke_v5 or self.is_v5
        self.generation += 1
        if not flags.session_present and self.persistent and self.generation > 1:
            logger.warning("broker lost the session of %s; subscribing again", self.client_id)
        logger.info(
            "MQTT client %s connected to %s (MQTT %s, session present: %s)",
            self.client_id,
            redact(self.settings.mqtt_url),
            "5" if self.is_v5 else "3.1.1",
            flags.session_present,
        )
        if self.on_connect is not None:
            self.on_connect(self)
        # Only now: whoever waits for the connection may rely on the hook's subscriptions.
        self._connected.set()

    def _handle_disconnect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._connected.clear()
        if not self._stopping.is_set():
            logger.warning("MQTT client %s disconnected: %s", self.client_id, reason.getName())

    def _handle_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        if self.on_message is not None:
            self.on_message(msg)

    def _handle_subscribe(
        self,
        client: paho.Client,
        userdata: Any,
        mid: int,
        reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = [reason.getName() for reason in reasons if reason.is_failure]
        if refused:
            logger.error("broker refused subscription %d of %s: %s", mid, self.client_id, refused)
            return
        with self._subacks_changed:
            self._subacks.add(mid)
            self._subacks_changed.notify_all()

    def _handle_publish(
        self,
        client: paho.Client,
        userdata: Any,
        mid: int,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            # MQTT 5 brokers may refuse a publish (quota, not authorised). It stays unconfirmed.
            logger.warning("broker refused publish %d: %s", mid, reason.getName())
            return
        if reason.value == NO_MATCHING_SUBSCRIBERS and self.require_subscribers:
            # Accepted, but no one will get it: not delivered, as far as the sender is concerned.
            logger.debug("publish %d of %s reached no subscriber", mid, self.client_id)
            return
        if self.on_publish is not None:
            self.on_publish(mid)


__all__ = [
    "CONNACK_TIMEOUT_SECONDS",
    "NO_MATCHING_SUBSCRIBERS",
    "SESSION_EXPIRY_SECONDS",
    "STOP_FLUSH_SECONDS",
    "ConnectHandler",
    "MqttSession",
    "Will",
]
