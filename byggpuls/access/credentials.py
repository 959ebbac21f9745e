"""Broker passwords, derived rather than stored.

A broker keeps only a hash of each client's password, so a broker that lost its state (its
file deleted, a new node) can be brought back to the platform's grants only if the platform
can hand each password over again. The platform does not keep the passwords either: each is
an HMAC-SHA256 of the client's username and *generation* under one credential key
(``BYGGPULS_BROKER_CREDENTIAL_KEY``), which only the services that manage the broker hold.
The registry keeps the generation and the password's SHA-256; issuing a new password is
raising the generation, which makes the old one worthless.

So a copy of the registry database gives no password away. The key does, together with the
database: keep it as the broker's admin password is kept. A new key makes every password new:
issue each login anew (``byggpuls admin reissue-mqtt USERNAME``) and hand it out again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Final

#: The shortest key accepted: 32 characters of a password generator's output.
MIN_KEY_LENGTH: Final = 32
#: Binds the derived passwords to their use, so the key cannot be turned against another one.
_CONTEXT: Final = b"byggpuls/broker-password/v1"


class BrokerPasswords:
    """Derives each client's password from the credential key."""

    def __init__(self, key: str) -> None:
        if len(key) < MIN_KEY_LENGTH:
            raise ValueError(
                f"the broker credential key must be at least {MIN_KEY_LENGTH} characters"
                " (e.g. `openssl rand -base64 32`)"
            )
        self._key = key.encode()

    def password(self, username: str, generation: int) -> str:
        """The password of ``username``'s ``generation``: 43 URL-safe characters (256 bits)."""
        message = b"\0".join((_CONTEXT, username.encode(), str(generation).encode()))
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def __repr__(self) -> str:
        return "BrokerPasswords(key=***)"


def password_hash(password: str) -> str:
    """The SHA-256 (hex) the registry keeps of an issued password: a 256-bit random-like
    secret needs no slow hash."""
    return hashlib.sha256(password.encode()).hexdigest()
