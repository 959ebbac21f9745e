"""What a partner, gateway or operator is told along with a broker login: where the broker is,
and a command that tries the login.

One place for it, so that the API, ``byggpuls admin`` and the demo print the same thing.
"""

from __future__ import annotations

import shlex
from typing import Final
from urllib.parse import urlsplit

from byggpuls.settings import MQTT_SCHEMES, without_login

#: Where ``mosquitto_sub`` finds the system's CA certificates for ``mqtts``.
CA_PATH: Final = "/etc/ssl/certs"


def public_url(broker_public_url: str | None, mqtt_url: str) -> str:
    """The broker as partners and gateways reach it: ``BYGGPULS_BROKER_PUBLIC_URL``, else the
    platform's own ``BYGGPULS_MQTT_URL`` without its login."""
    return broker_public_url or without_login(mqtt_url)


def mosquitto_sub(url: str, username: str, password: str, topic: str) -> str:
    """A shell command that prints the messages of ``topic`` on ``url``'s broker with this
    login. It names its client (``{username}-1``): the broker refuses a client without an id,
    and ``mosquitto_sub`` sends none unless told."""
    parts = urlsplit(url)
    port = parts.port or MQTT_SCHEMES.get(parts.scheme, 1883)
    words = ["mosquitto_sub", "-h", parts.hostname or "localhost", "-p", str(port)]
    if parts.scheme == "mqtts":
        words += ["--capath", CA_PATH]
    words += ["-i", f"{username}-1", "-u", username, "-P", password, "-t", topic, "-v"]
    return shlex.join(words)
