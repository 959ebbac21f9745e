"""Who may do what: roles, password hashing, and the tokens of API keys and sessions.

Three roles (:class:`Role`): an **admin** sees and manages everything; a **manager** (a facility
manager) sees the buildings of their scope only; a **partner** reads only what their grants
allow. Out of scope is 404, never the data.

What is stored, and why it is hashed the way it is:

- **Passwords** are chosen by people, so they are low in entropy and guessable offline from a
  leaked table. They are hashed with Argon2id (pwdlib's recommended parameters, RFC 9106's
  second choice: 64 MiB, 3 passes), deliberately slow and memory-hard, after Unicode NFKC
  normalisation (NIST SP 800-63B), so that a password typed with composed or decomposed
  letters (``å``) is the same password. :func:`verify_password` also says when a stored hash
  was made with older parameters, so that a login can replace it.
- **API key secrets and session tokens** are 256 bits from :mod:`secrets`, beyond any
  guessing; a slow hash would protect nothing more, and would put tens of milliseconds of
  Argon2 on every API request. They are stored as SHA-256 and compared with
  :func:`hmac.compare_digest`, so a bearer check stays off the request's critical path and a
  leaked table gives no usable credential.
- A key's token is ``bpk_<key id>_<secret>``: the key id is public (stored plain, to find the
  key and to name it in lists and the audit trail), the prefix lets people and secret scanners
  recognise a leaked Byggpuls key.

Checking the password of a user who does not exist, or has none, costs as much as any other
check (:func:`verify_password` with ``None``), so the time a login takes does not tell whether
a username exists.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Final, NamedTuple

from byggpuls.errors import ByggpulsError

if TYPE_CHECKING:
    from pwdlib import PasswordHash


class Role(StrEnum):
    """What a user may see and do."""

    #: Everything: all buildings, users, keys and the audit trail.
    ADMIN = "admin"
    #: A facility manager: the buildings of their scope, read and act on findings there.
    MANAGER = "manager"
    #: An innovation partner: read-only, what their grants allow.
    PARTNER = "partner"


#: Shorter passwords are refused (NIST SP 800-63B asks for at least 8).
MIN_PASSWORD_LENGTH: Final = 10
#: Longer ones are refused too: hashing megabytes on every login attempt would be a way to
#: make the server work for nothing.
MAX_PASSWORD_LENGTH: Final = 1024
USERNAME_LENGTH: Final = 64
USERNAME_PATTERN: Final = re.compile(r"[a-z0-9._@-]{1,64}")
KEY_PREFIX: Final = "bpk_"
#: Hex characters of a key id: 48 random bits, short enough to read out, unique in practice
#: (the database refuses a repeat all the same).
KEY_ID_LENGTH: Final = 12
#: Random bytes in a key secret, a session token and a CSRF token.
SECRET_BYTES: Final = 32
#: A secret's length as :func:`secrets.token_urlsafe` writes it (base64url, unpadded).
SECRET_LENGTH: Final = 43
_KEY_TOKEN: Final = re.compile(
    rf"{KEY_PREFIX}(?P<key_id>[0-9a-f]{{{KEY_ID_LENGTH}}})_(?P<secret>[A-Za-z0-9_-]{{{SECRET_LENGTH}}})"
)


class WeakPassword(ByggpulsError, ValueError):
    """A password the policy refuses; the message says why, and never contains the password."""


class Verified(NamedTuple):
    """What :func:`verify_password` found."""

    #: Whether the password is the one the hash was made from.
    matches: bool
    #: A new hash of the password, when it matches and the stored hash was made with older
    #: parameters or another algorithm: store it in place of the old one.
    rehashed: str | None = None


class KeyToken(NamedTuple):
    """An API key's token in its parts: the public key id and the secret."""

    key_id: str
    secret: str

    @property
    def token(self) -> str:
        """The token as a client sends it: ``bpk_<key id>_<secret>``."""
        return f"{KEY_PREFIX}{self.key_id}_{self.secret}"


def canonical_username(value: str) -> str | None:
    """``value`` as usernames are stored (trimmed, lower-case), or None when it cannot be one:
    1 to 64 of ``a-z 0-9 . _ @ -``."""
    username = value.strip().lower()
    return username if USERNAME_PATTERN.fullmatch(username) else None


def check_password(password: str, *, username: str | None = None) -> str:
    """``password`` if the policy allows it; else :class:`WeakPassword`, saying why.

    At least :data:`MIN_PASSWORD_LENGTH` characters (Unicode characters, not bytes), at most
    :data:`MAX_PASSWORD_LENGTH`, not only spaces, and not the username.
    """
    length = len(_normal(password))
    if length < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters; this one has {length}"
        )
    if length > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise WeakPassword("a password needs more than spaces")
    if username is not None and password.strip().lower() == username.strip().lower():
        raise WeakPassword("a password must not be the username")
    return password


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (PHC string format, salt and parameters included).

    Checks nothing: :func:`check_password` first where a person chooses it.
    """
    return _hasher().hash(_normal(password))


def verify_password(password: str, password_hash: str | None) -> Verified:
    """Whether ``password`` is the one ``password_hash`` was made from.

    With ``None`` (a user who does not exist or has no password) it does the same work against
    a dummy hash and does not match, so that both take as long as a real check. An unreadable
    hash does not match either.
    """
    from pwdlib.exceptions import UnknownHashError

    normal = _normal(password)
    if password_hash is None or len(normal) > MAX_PASSWORD_LENGTH:
        # No stored password is this long: the work of checking one that is not.
        short = normal if len(normal) <= MAX_PASSWORD_LENGTH else ""
        _hasher().verify(short, _dummy_hash())
        return Verified(matches=False)
    try:
        matches, rehashed = _hasher().verify_and_update(normal, password_hash)
    except UnknownHashError:
        return Verified(matches=False)
    return Verified(matches=matches, rehashed=rehashed if matches else None)


def new_key_token() -> KeyToken:
    """A new API key: a random public key id and a random secret."""
    return KeyToken(key_id=secrets.token_hex(KEY_ID_LENGTH // 2), secret=new_secret())


def parse_key_token(token: str) -> KeyToken | None:
    """The parts of an API key's token, or None when it is not one (wrong prefix, lengths,
    characters)."""
    match = _KEY_TOKEN.fullmatch(token)
    if match is None:
        return None
    return KeyToken(key_id=match["key_id"], secret=match["secret"])


def new_secret() -> str:
    """A random token of :data:`SECRET_BYTES` bytes, URL-safe: a key secret, a session token or
    a CSRF token."""
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_hash(secret: str) -> str:
    """The SHA-256 of a high-entropy secret (hex), as it is stored; see the module docstring."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Whether ``secret`` is the one ``stored_hash`` was made from, in constant time."""
    return hmac.compare_digest(secret_hash(secret), stored_hash)


def same_token(given: str, expected: str) -> bool:
    """Whether two tokens (a request's CSRF token and its session's) are equal, in constant
    time."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def _normal(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


@cache
def _hasher() -> PasswordHash:
    # Imported when first needed: a service that never checks a password never loads Argon2.
    from pwdlib import PasswordHash

    return PasswordHash.recommended()


@cache
def _dummy_hash() -> str:
    """A hash to check in place of a missing one; of a random password, so nothing matches."""
    return _hasher().hash(new_secret())


__all__ = [
    "KEY_PREFIX",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "KeyToken",
    "Role",
    "Verified",
    "WeakPassword",
    "canonical_username",
    "check_password",
    "hash_password",
    "new_key_token",
    "new_secret",
    "parse_key_token",
    "same_token",
    "secret_hash",
    "secret_matches",
    "verify_password",
]
