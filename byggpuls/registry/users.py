"""Users: who they are, what they may see, how they sign in; and the audit trail.

A user has a role (:class:`~byggpuls.auth.Role`): an admin sees every building; a manager the
buildings of their scope (:meth:`Users.set_user_buildings`); a partner's scope is their grants,
which a later part of the registry keeps, so until then a partner sees no building.
:meth:`Users.building_scope` answers for all three, so that the API asks one question, and
a building outside the answer is 404.

People sign in with a password (:meth:`Users.authenticate`, then
:meth:`~byggpuls.registry.credentials.Credentials.create_session`); systems with API keys. Keys
and sessions are :mod:`~byggpuls.registry.credentials`, which :class:`Users` builds on, so that
disabling a user or changing their password ends their sessions in the same transaction.

Whatever an admin would want to know of afterwards is written to the audit trail in the
transaction of the change (:class:`~byggpuls.registry.credentials.AuditAction`;
:meth:`Users.audit_events`), with the actor the caller names: a username, or
``cli:<system user>`` for ``byggpuls admin``. Passwords and secrets never go there. Argon2 runs
before a transaction opens, never while it holds the database's write lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from byggpuls import auth
from byggpuls.auth import Role
from byggpuls.registry import _checks as check
from byggpuls.registry import _sql as sql
from byggpuls.registry import credentials as cred
from byggpuls.registry.credentials import AuditAction, Credentials
from byggpuls.registry.errors import InvalidValue, NotFound
from byggpuls.registry.models import BUILDINGS, SESSIONS, USER_BUILDINGS, USERS, AuditEvent, User
from byggpuls.registry.rows import AuditEventRow, UserRow

#: The actor of a failed login whose username names nobody. What was typed is not recorded: it
#: is as often a password typed into the wrong field.
ANONYMOUS_ACTOR: Final = "anonymous"
_U, _S = USERS.c, SESSIONS.c


class Users(Credentials):
    """Users, their keys and sessions, and the audit trail (see
    :class:`~byggpuls.registry._sql.Repository`).

    Unknown usernames raise :class:`NotFound` where a change names one, and give None (or an
    empty list) where a read does; a weak password raises :class:`~byggpuls.auth.WeakPassword`.
    """

    def create_user(
        self,
        username: str,
        *,
        role: str,
        display_name: str | None = None,
        password: str | None = None,
        buildings: Iterable[str] = (),
        actor: str,
    ) -> UserRow:
        """Add a user; ``buildings`` is a manager's scope (buildings of the registry).

        The username is stored lower-case and must be new; without a password the user can
        only use API keys; the display name defaults to the username.
        """
        name, who = cred.checked_username(username), cred.checked_actor(actor)
        kind = _role(role)
        scope = _scope(kind, buildings)
        shown = name
        if display_name is not None:
            shown = cred.checked_name(display_name, what="display name")
        hashed = None
        if password is not None:
            hashed = auth.hash_password(auth.check_password(password, username=name))
        now = check.now_utc()
        with self._writing() as conn:
            if conn.execute(sa.select(_U.id).where(_U.username == name)).first() is not None:
                raise InvalidValue(f"there is a user {name!r} already")
            _require_buildings(conn, scope)
            values = {
                "username": name,
                "display_name": shown,
                "role": kind.value,
                "password_hash": hashed,
                "disabled": False,
                "created_at": now,
            }
            id = conn.execute(sa.insert(USERS).values(values).returning(_U.id)).scalar_one()
            _insert_scope(conn, id, scope)
            detail = {"role": kind.value, "buildings": sorted(scope), "password": bool(hashed)}
            cred.record_event(conn, AuditAction.USER_CREATE, who, name, detail, at=now)
        return UserRow(id, name, shown, kind, hashed is not None, False, now)

    def user(self, username: str) -> UserRow | None:
        """The user ``username`` (in any case), or None."""
        name = auth.canonical_username(username)
        if name is None:
            return None
        with self._reading() as session:
            row = session.scalars(sa.select(User).where(User.username == name)).first()
            return None if row is None else cred.user_row(row)

    def user_by_id(self, id: int) -> UserRow | None:
        """The user ``id``, or None."""
        with self._reading() as session:
            row = session.get(User, id)
            return None if row is None else cred.user_row(row)

    def users(self) -> list[UserRow]:
        """Every user, by username."""
        with self._reading() as session:
            rows = session.scalars(sa.select(User).order_by(User.username))
            return [cred.user_row(row) for row in rows]

    def set_password(self, username: str, password: str | None, *, actor: str) -> None:
        """Give a user a new password (None: none, API keys only), and end their sessions."""
        name, who = cred.checked_username(username), cred.checked_actor(actor)
        hashed = None
        if password is not None:
            hashed = auth.hash_password(auth.check_password(password, username=name))
        with self._writing() as conn:
            id = cred.user_id_of(conn, name)
            conn.execute(sa.update(USERS).where(_U.id == id).values(password_hash=hashed))
            conn.execute(sa.delete(SESSIONS).where(_S.user_id == id))
            detail = {"password": bool(hashed)}
            cred.record_event(conn, AuditAction.USER_PASSWORD, who, name, detail)

    def set_user_buildings(self, username: str, buildings: Iterable[str], *, actor: str) -> None:
        """Replace a manager's scope with ``buildings`` (buildings of the registry)."""
        name, who = cred.checked_username(username), cred.checked_actor(actor)
        wanted = frozenset(buildings)
        with self._writing() as conn:
            found = conn.execute(sa.select(_U.id, _U.role).where(_U.username == name)).first()
            if found is None:
                raise NotFound(f"no user {name!r}")
            scope = _scope(Role(found.role), wanted)
            _require_buildings(conn, scope)
            conn.execute(sa.delete(USER_BUILDINGS).where(USER_BUILDINGS.c.user_id == found.id))
            _insert_scope(conn, found.id, scope)
            detail = {"buildings": sorted(scope)}
            cred.record_event(conn, AuditAction.USER_SCOPE, who, name, detail)

    def set_user_disabled(self, username: str, disabled: bool = True, *, actor: str) -> None:
        """Disable a user (ending their sessions; their keys stop working) or enable them again.

        Setting what is already so does nothing and records nothing.
        """
        name, who = cred.checked_username(username), cred.checked_actor(actor)
        with self._writing() as conn:
            found = conn.execute(
                sa.select(_U.id, _U.disabled).where(_U.username == name).with_for_update()
            ).first()
            if found is None:
                raise NotFound(f"no user {name!r}")
            if found.disabled == disabled:
                return
            conn.execute(sa.update(USERS).where(_U.id == found.id).values(disabled=disabled))
            if disabled:
                conn.execute(sa.delete(SESSIONS).where(_S.user_id == found.id))
            action = AuditAction.USER_DISABLE if disabled else AuditAction.USER_ENABLE
            cred.record_event(conn, action, who, name)

    def authenticate(self, username: str, password: str) -> UserRow | None:
        """The user whose username and password these are; None for an unknown or disabled
        user or a wrong password, which is recorded (without the password).

        As slow for an unknown user as for a known one. A hash made with older parameters is
        replaced by one of the current parameters.
        """
        name = auth.canonical_username(username)
        row, stored = None, None
        if name is not None:
            with self._reading() as session:
                found = session.scalars(sa.select(User).where(User.username == name)).first()
                if found is not None:
                    row, stored = cred.user_row(found), found.password_hash
        verified = auth.verify_password(password, stored)
        if row is None or not verified.matches or row.disabled:
            reason = "unknown user" if row is None else "wrong password"
            if row is not None and verified.matches:
                reason = "disabled"
            target = None if row is None else row.username
            with self._writing() as conn:
                failed, who = AuditAction.SESSION_LOGIN_FAILED, target or ANONYMOUS_ACTOR
                cred.record_event(conn, failed, who, target, {"reason": reason})
            return None
        if verified.rehashed is not None:
            with self._writing() as conn:
                # Unless the password changed meanwhile.
                conn.execute(
                    sa.update(USERS)
                    .where(_U.id == row.id, _U.password_hash == stored)
                    .values(password_hash=verified.rehashed)
                )
        return row

    def audit_events(
        self, *, since: datetime | None = None, limit: int = 100, action: str | None = None
    ) -> list[AuditEventRow]:
        """The audit trail, newest first: at most ``limit`` events, from ``since`` on (included),
        of one ``action`` if given."""
        count = check.positive_int(limit, what="limit")
        query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        if since is not None:
            query = query.where(AuditEvent.at >= check.aware(since, what="since"))
        if action is not None:
            query = query.where(AuditEvent.action == action)
        with self._reading() as session:
            return [sql.detached(AuditEventRow, row) for row in session.scalars(query.limit(count))]

    def building_scope(self, user: UserRow) -> frozenset[str] | None:
        """The buildings ``user`` may see: None for all (an admin), else their ids.

        A partner's scope is their grants, which this registry does not keep yet: until it
        does, a partner sees no building.
        """
        if user.role is Role.ADMIN:
            return None
        if user.role is not Role.MANAGER:
            return frozenset()
        column = USER_BUILDINGS.c.building_id
        with self._reading() as session:
            query = sa.select(column).where(USER_BUILDINGS.c.user_id == user.id)
            return frozenset(session.scalars(query))


def _require_buildings(conn: Connection, ids: frozenset[str]) -> None:
    """Refuse a scope with buildings the registry does not have (a typo would hide them)."""
    known = set(
        conn.execute(sa.select(BUILDINGS.c.id).where(BUILDINGS.c.id.in_(sorted(ids)))).scalars()
    )
    missing = sorted(ids - known)
    if missing:
        raise NotFound(f"no building {', '.join(map(repr, missing))} in the registry")


def _insert_scope(conn: Connection, user_id: int, scope: frozenset[str]) -> None:
    if scope:
        rows = [{"user_id": user_id, "building_id": id} for id in sorted(scope)]
        conn.execute(sa.insert(USER_BUILDINGS), rows)


def _scope(role: Role, buildings: Iterable[str]) -> frozenset[str]:
    scope = frozenset(check.building_id(id) for id in buildings)
    if scope and role is not Role.MANAGER:
        raise InvalidValue(f"only a manager has buildings of their own; an {role} has none")
    return scope


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidValue(f"role {value!r} is not one of {', '.join(Role)}") from None
