"""API keys and sessions: the credentials of users, and the audit trail they are recorded in.

Systems use API keys (:meth:`Credentials.create_api_key`, :meth:`Credentials.key_user`); people
signed in to the dashboard have a server-side session (:meth:`Credentials.create_session`): the
cookie holds a random token and the registry its SHA-256, so ending a session, or disabling its
user, takes effect at the next request. Each session has a CSRF token, which the API compares
(:func:`byggpuls.auth.same_token`) with the one a form or header sends back. How each secret is
hashed, and why, is in :mod:`byggpuls.auth`.

:func:`record_event` writes the audit trail in the transaction of the change it records; the
users' repository (:mod:`~byggpuls.registry.users`) builds on this one, and so will the
partners' grants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from byggpuls import auth
from byggpuls.auth import Role
from byggpuls.registry import _checks as check
from byggpuls.registry import _sql as sql
from byggpuls.registry.errors import InvalidValue, NotFound
from byggpuls.registry.findings import ACTOR_LENGTH
from byggpuls.registry.models import (
    API_KEYS,
    AUDIT_EVENTS,
    SESSIONS,
    USERS,
    ApiKey,
    User,
    UserSession,
)
from byggpuls.registry.rows import ApiKeyRow, UserRow


class AuditAction(StrEnum):
    """What the audit trail records of users, keys and sessions."""

    USER_CREATE = "user.create"
    USER_PASSWORD = "user.password"  # noqa: S105 (an action, not a password)
    USER_SCOPE = "user.scope"
    USER_DISABLE = "user.disable"
    USER_ENABLE = "user.enable"
    KEY_CREATE = "key.create"
    KEY_REVOKE = "key.revoke"
    SESSION_LOGIN = "session.login"
    SESSION_LOGIN_FAILED = "session.login_failed"
    SESSION_LOGOUT = "session.logout"


#: A key's ``last_used_at`` is written at most this often, not on every request.
LAST_USED_RESOLUTION: Final = timedelta(minutes=1)
#: The longest display name and key name accepted.
NAME_LENGTH: Final = 200
#: A session cookie longer than this is no token of ours: refused without hashing it.
MAX_TOKEN_LENGTH: Final = 256
_U, _K, _S = USERS.c, API_KEYS.c, SESSIONS.c


class Credentials(sql.Repository):
    """API keys and sessions (see :class:`~byggpuls.registry._sql.Repository`).

    Checking a credential gives the user it belongs to, or None, never an error: a bad token
    is what the API answers with 401.
    """

    def create_api_key(
        self, username: str, *, name: str, expires_at: datetime | None = None, actor: str
    ) -> tuple[ApiKeyRow, str]:
        """A new API key of ``username``, named for what uses it; its token is returned here
        only, and the registry keeps just its hash."""
        user, who = checked_username(username), checked_actor(actor)
        key_name = checked_name(name, what="key name")
        now = check.now_utc()
        expires = None if expires_at is None else check.aware(expires_at, what="expires_at")
        if expires is not None and expires <= now:
            raise InvalidValue(f"a key cannot expire in the past ({expires.isoformat()})")
        token = auth.new_key_token()
        with self._writing() as conn:
            values = {
                "key_id": token.key_id,
                "user_id": user_id_of(conn, user),
                "name": key_name,
                "secret_hash": auth.secret_hash(token.secret),
                "created_at": now,
                "expires_at": expires,
            }
            id = conn.execute(sa.insert(API_KEYS).values(values).returning(_K.id)).scalar_one()
            detail = {"user": user, "name": key_name, "expires_at": iso(expires)}
            record_event(conn, AuditAction.KEY_CREATE, who, token.key_id, detail, at=now)
        row = ApiKeyRow(id, token.key_id, user, key_name, now, expires, None, None)
        return row, token.token

    def key_user(self, token: str, *, now: datetime) -> UserRow | None:
        """The user an API key's token belongs to; None for a malformed or unknown token, a
        revoked or expired key, or a disabled user. Notes when the key was used, to the
        minute."""
        now = check.aware(now, what="now")
        parts = auth.parse_key_token(token)
        if parts is None:
            return None
        query = sa.select(ApiKey, User).join(User).where(ApiKey.key_id == parts.key_id)
        with self._reading() as session:
            found = session.execute(query).first()
            if found is None:
                return None
            key, user = found
            if not auth.secret_matches(parts.secret, key.secret_hash):
                return None
            last_used, row = key.last_used_at, user_row(user)
            usable = _key_row(key, row.username).usable_at(now) and not row.disabled
        if not usable:
            return None
        due = now - LAST_USED_RESOLUTION
        if last_used is None or last_used <= due:
            with self._writing() as conn:
                conn.execute(
                    sa.update(API_KEYS)
                    .where(_K.key_id == parts.key_id)
                    .where(sa.or_(_K.last_used_at.is_(None), _K.last_used_at <= due))
                    .values(last_used_at=now)
                )
        return row

    def revoke_api_key(self, key_id: str, *, actor: str) -> None:
        """Revoke a key for good; revoking it again does nothing and records nothing."""
        who = checked_actor(actor)
        now = check.now_utc()
        with self._writing() as conn:
            found = conn.execute(
                sa.select(_K.revoked_at, _U.username)
                .join(USERS, _U.id == _K.user_id)
                .where(_K.key_id == key_id)
                .with_for_update()
            ).first()
            if found is None:
                raise NotFound(f"no API key {key_id!r}")
            if found.revoked_at is not None:
                return
            conn.execute(sa.update(API_KEYS).where(_K.key_id == key_id).values(revoked_at=now))
            record_event(
                conn,
                AuditAction.KEY_REVOKE,
                actor=who,
                target=key_id,
                detail={"user": found.username},
            )

    def api_keys(self, username: str) -> list[ApiKeyRow]:
        """A user's keys, revoked and expired ones too, oldest first; empty for an unknown user."""
        name = auth.canonical_username(username) or ""
        query = sa.select(ApiKey).join(User).where(User.username == name)
        with self._reading() as session:
            keys = session.scalars(query.order_by(ApiKey.created_at, ApiKey.id))
            return [_key_row(key, name) for key in keys]

    def create_session(self, user_id: int, *, ttl: timedelta) -> tuple[str, str]:
        """A new session of an enabled user, ending after ``ttl``: its token (for the cookie)
        and its CSRF token. Records the login; the user's expired sessions are removed."""
        if ttl <= timedelta(0):
            raise InvalidValue(f"a session must last a while, not {ttl}")
        token, csrf = auth.new_secret(), auth.new_secret()
        now = check.now_utc()
        with self._writing() as conn:
            found = conn.execute(
                sa.select(_U.username, _U.disabled).where(_U.id == user_id)
            ).first()
            if found is None:
                raise NotFound(f"no user {user_id}")
            if found.disabled:
                raise InvalidValue(f"user {found.username!r} is disabled")
            conn.execute(sa.delete(SESSIONS).where(_S.user_id == user_id, _S.expires_at <= now))
            values = {
                "token_hash": auth.secret_hash(token),
                "user_id": user_id,
                "csrf_token": csrf,
                "created_at": now,
                "expires_at": now + ttl,
            }
            conn.execute(sa.insert(SESSIONS).values(values))
            detail = {"expires_at": iso(now + ttl)}
            name = found.username
            record_event(conn, AuditAction.SESSION_LOGIN, name, name, detail, at=now)
        return token, csrf

    def session_user(self, token: str, *, now: datetime) -> tuple[UserRow, str] | None:
        """The user of a session and its CSRF token; None for an unknown or expired session
        or a disabled user."""
        now = check.aware(now, what="now")
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        query = sa.select(UserSession, User).join(User)
        with self._reading() as session:
            found = session.execute(
                query.where(UserSession.token_hash == auth.secret_hash(token))
            ).first()
            if found is None:
                return None
            kept, user = found
            if kept.expires_at <= now or user.disabled:
                return None
            return user_row(user), kept.csrf_token

    def end_session(self, token: str) -> None:
        """End a session (sign out), recorded; an unknown token is ignored."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return
        hashed = auth.secret_hash(token)
        with self._writing() as conn:
            name = conn.execute(
                sa.select(_U.username)
                .join(SESSIONS, _S.user_id == _U.id)
                .where(_S.token_hash == hashed)
            ).scalar_one_or_none()
            if name is not None:
                conn.execute(sa.delete(SESSIONS).where(_S.token_hash == hashed))
                record_event(conn, AuditAction.SESSION_LOGOUT, name, name)


_ACTION: Final = re.compile(r"[a-z][a-z_]*\.[a-z][a-z_]*")


def record_event(
    conn: Connection,
    action: str,
    actor: str,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> None:
    """Add an event to the audit trail in ``conn``'s transaction, the one of the change it
    records; for the other repositories (grants) too. ``action`` is ``noun.verb``."""
    if not _ACTION.fullmatch(action):
        raise InvalidValue(f"audit action {action!r} is not of the form noun.verb")
    values = {
        "at": at or check.now_utc(),
        "actor": checked_actor(actor),
        "action": action,
        "target": target,
        "detail": check.json_object(detail or {}, what="audit detail"),
    }
    conn.execute(sa.insert(AUDIT_EVENTS).values(values))


def user_id_of(conn: Connection, username: str) -> int:
    """The id of the user ``username`` (as stored); :class:`NotFound` without one."""
    id: int | None = conn.execute(sa.select(_U.id).where(_U.username == username)).scalar()
    if id is None:
        raise NotFound(f"no user {username!r}")
    return id


def checked_username(value: str) -> str:
    """``value`` as the username it names (lower-case), if it can be one."""
    name = auth.canonical_username(value)
    if name is None:
        raise InvalidValue(f"username {value!r} does not match [a-z0-9._@-]{{1,64}}")
    return name


def checked_actor(value: str) -> str:
    """``value`` trimmed, if it can name who did something (the rule of findings' actors)."""
    actor = (check.text(value) or "").strip()
    if not actor or len(actor) > ACTOR_LENGTH:
        raise InvalidValue(f"actor {value!r} must have 1 to {ACTOR_LENGTH} characters")
    return actor


def checked_name(value: str, *, what: str) -> str:
    """``value`` trimmed, if it can be a display name or a key's name."""
    name = (check.text(value) or "").strip()
    if not name or len(name) > NAME_LENGTH:
        raise InvalidValue(f"{what} {value!r} must have 1 to {NAME_LENGTH} characters")
    return name


def iso(value: datetime | None) -> str | None:
    """A time as the audit trail's JSON holds it."""
    return None if value is None else value.isoformat()


def user_row(row: User) -> UserRow:
    """A user as the registry hands it out: without the password's hash."""
    return sql.detached(
        UserRow, row, role=Role(row.role), has_password=row.password_hash is not None
    )


def _key_row(key: ApiKey, username: str) -> ApiKeyRow:
    return sql.detached(ApiKeyRow, key, username=username)
