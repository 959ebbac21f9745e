"""MQTT for every service: the session port, its two adapters, TLS and the backoff policy.

- :mod:`byggpuls.mqtt.port`: :class:`Session`, what a publisher or subscriber needs of its
  connection to the broker;
- :mod:`byggpuls.mqtt.session`: :class:`MqttSession`, the paho-mqtt adapter (its own network
  thread, persistent sessions on MQTT 5 and 3.1.1, reconnects);
- :mod:`byggpuls.mqtt.fake`: :class:`FakeSession`, in memory, where a test plays the broker;
- :mod:`byggpuls.mqtt.tls`: the client TLS context and the check of the TLS settings;
- :mod:`byggpuls.mqtt.backoff`: the one retry delay policy (equal jitter, capped).
"""

from byggpuls.mqtt.backoff import (
    RECONNECT_MAX_SECONDS,
    RECONNECT_MIN_SECONDS,
    backoff_delay,
    reconnect_delay,
)
from byggpuls.mqtt.fake import FakePublish, FakeSession
from byggpuls.mqtt.port import MessageHandler, Outgoing, PublishHandler, Session
from byggpuls.mqtt.session import (
    CONNACK_TIMEOUT_SECONDS,
    NO_MATCHING_SUBSCRIBERS,
    SESSION_EXPIRY_SECONDS,
    STOP_FLUSH_SECONDS,
    ConnectHandler,
    MqttSession,
    Will,
)
from byggpuls.mqtt.tls import TlsContext, check_settings

__all__ = [
    "CONNACK_TIMEOUT_SECONDS",
    "NO_MATCHING_SUBSCRIBERS",
    "RECONNECT_MAX_SECONDS",
    "RECONNECT_MIN_SECONDS",
    "SESSION_EXPIRY_SECONDS",
    "STOP_FLUSH_SECONDS",
    "ConnectHandler",
    "FakePublish",
    "FakeSession",
    "MessageHandler",
    "MqttSession",
    "Outgoing",
    "PublishHandler",
    "Session",
    "TlsContext",
    "Will",
    "backoff_delay",
    "check_settings",
    "reconnect_delay",
]
