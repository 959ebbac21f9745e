"""Partners' grants and the broker's clients: who may read what, and who may log in where.

A partner is a user with the role ``partner`` (:mod:`~byggpuls.registry.users`). A **grant**
lets a partner read some domains of some buildings until it expires: buildings named one by
one, or every building of a type, so that new buildings of the type follow. A domain that is
sensitive in one of the buildings (:mod:`byggpuls.privacy`) is granted only with a reason,
which is kept with the grant. A grant is revoked, never deleted; an expiry is recorded in the
audit trail once, by whoever notices it first (:meth:`Partners.record_expired_grants`).

A **broker client** is a login on the MQTT broker: a partner's, a gateway's or a platform
service's (ingest). Its rights follow from what it is: a partner's from its active grants, a
gateway's from its building, a service's from its role (:mod:`byggpuls.access.roles`). Its
password is derived (:mod:`byggpuls.access.credentials`), so the registry keeps only the
generation and a hash. :meth:`Partners.access_snapshot` is what the broker should hold, for
:mod:`byggpuls.access.sync`.

Every change is written to the audit trail in its own transaction, as users' are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from byggpuls import privacy, topics
from byggpuls.access.credentials import BrokerPasswords, password_hash
from byggpuls.auth import Role
from byggpuls.registry import _checks as check
from byggpuls.registry import credentials as cred
from byggpuls.registry.errors import InvalidValue, NotFound
from byggpuls.registry.models import (
    BROKER_CLIENTS,
    BUILDINGS,
    GRANT_BUILDINGS,
    GRANTS,
    USERS,
)
from byggpuls.registry.rows import (
    BrokerClientKind,
    BrokerClientRow,
    GrantRow,
    GrantStatus,
    UserRow,
)
from byggpuls.registry.users import Users

#: The beginnings of the platform's own broker logins, which no partner's may have.
RESERVED_PREFIXES: Final = ("gateway.", "service.")
#: The actor of what the platform does by itself (an expiry noticed).
SYSTEM_ACTOR: Final = "system"
#: The longest reason kept with a grant.
REASON_LENGTH: Final = 2_000
_G, _GB, _C, _U, _B = GRANTS.c, GRANT_BUILDINGS.c, BROKER_CLIENTS.c, USERS.c, BUILDINGS.c


class AccessAction:
    """What the audit trail records of grants and broker clients."""

    GRANT_CREATE: Final = "grant.create"
    GRANT_REVOKE: Final = "grant.revoke"
    GRANT_EXPIRE: Final = "grant.expire"
    CLIENT_CREATE: Final = "broker_client.create"
    CLIENT_ISSUE: Final = "broker_client.issue"
    CLIENT_DISABLE: Final = "broker_client.disable"
    CLIENT_ENABLE: Final = "broker_client.enable"
    CLIENT_DELETE: Final = "broker_client.delete"


def gateway_username(building: str, gateway: str) -> str:
    """The broker login of ``gateway`` in ``building``: ``gateway.{building}.{gateway}``
    (dots: no id has one, and a URL's user part needs no escaping for them)."""
    return f"{RESERVED_PREFIXES[0]}{check.building_id(building)}.{check.building_id(gateway)}"


def service_username(service: str) -> str:
    """The broker login of a platform service (``ingest``): ``service.{service}``."""
    return f"{RESERVED_PREFIXES[1]}{check.domain(service)}"


@dataclass(frozen=True, slots=True)
class AccessSnapshot:
    """What the broker should hold: every client, each partner's granted ``(building,
    domain)`` pairs, and the partners who are disabled as users."""

    clients: tuple[BrokerClientRow, ...]
    pairs: dict[str, frozenset[tuple[str, str]]]
    disabled_partners: frozenset[str]


class Partners(Users):
    """Grants and broker clients, beside users (see :class:`~byggpuls.registry._sql.Repository`).

    Changes that name a partner, grant or client that does not exist raise :class:`NotFound`;
    values that cannot be, :class:`InvalidValue`.
    """

    # -- grants ---------------------------------------------------------------------------

    def create_grant(
        self,
        partner: str,
        *,
        buildings: Iterable[str] = (),
        building_type: str | None = None,
        domains: Iterable[str],
        expires_at: datetime,
        reason: str | None = None,
        actor: str,
    ) -> GrantRow:
        """Let ``partner`` read ``domains`` of ``buildings`` (or of every building of
        ``building_type``) until ``expires_at``.

        A domain that is sensitive in one of the buildings needs a ``reason`` of at least
        :data:`~byggpuls.privacy.MIN_REASON_LENGTH` characters.
        """
        name, who = cred.checked_username(partner), cred.checked_actor(actor)
        named = sorted({check.building_id(id) for id in buildings})
        kind = None if building_type is None else check.building_type(building_type)
        if bool(named) == (kind is not None):
            raise InvalidValue("a grant names buildings or a building type, one of the two")
        wanted = sorted({_domain(domain) for domain in domains})
        if not wanted:
            raise InvalidValue("a grant needs at least one domain")
        now = check.now_utc()
        expires = check.aware(expires_at, what="expires_at")
        if expires <= now:
            raise InvalidValue(f"a grant cannot expire in the past ({expires.isoformat()})")
        why = _reason(reason)
        with self._writing() as conn:
            partner_id = _partner_id(conn, name)
            types = [kind] if kind is not None else _building_types(conn, named)
            sensitive = privacy.sensitive_domains(wanted, types)
            if sensitive and why is None:
                raise InvalidValue(
                    f"{', '.join(sensitive)} can reveal a person's presence in these buildings:"
                    f" a grant of it needs a reason (at least {privacy.MIN_REASON_LENGTH}"
                    " characters)"
                )
            values = {
                "partner_id": partner_id,
                "building_type": kind,
                "domains": wanted,
                "reason": why,
                "created_at": now,
                "created_by": who,
                "expires_at": expires,
            }
            id = conn.execute(sa.insert(GRANTS).values(values).returning(_G.id)).scalar_one()
            if named:
                conn.execute(
                    sa.insert(GRANT_BUILDINGS), [{"grant_id": id, "building_id": b} for b in named]
                )
            detail = {
                "partner": name,
                "buildings": named,
                "building_type": kind,
                "domains": wanted,
                "sensitive": sensitive,
                "reason": why,
                "expires_at": cred.iso(expires),
            }
            cred.record_event(conn, AccessAction.GRANT_CREATE, who, f"grant:{id}", detail, at=now)
        return GrantRow(
            id, name, tuple(named), kind, tuple(wanted), why, now, who, expires, None, None
        )

    def revoke_grant(self, id: int, *, actor: str) -> GrantRow:
        """Revoke grant ``id`` for good; revoking it again changes and records nothing."""
        who = cred.checked_actor(actor)
        now = check.now_utc()
        with self._writing() as conn:
            found = conn.execute(
                sa.select(_G.revoked_at, _U.username)
                .join(USERS, _U.id == _G.partner_id)
                .where(_G.id == id)
                .with_for_update()
            ).first()
            if found is None:
                raise NotFound(f"no grant {id}")
            if found.revoked_at is None:
                conn.execute(
                    sa.update(GRANTS).where(_G.id == id).values(revoked_at=now, revoked_by=who)
                )
                detail = {"partner": found.username}
                cred.record_event(conn, AccessAction.GRANT_REVOKE, who, f"grant:{id}", detail)
        revoked = self.grant_by_id(id)
        assert revoked is not None
        return revoked

    def grant_by_id(self, id: int) -> GrantRow | None:
        """Grant ``id``, or None."""
        found = self._grants(_G.id == id)
        return found[0] if found else None

    def grants(
        self,
        *,
        partner: str | None = None,
        status: GrantStatus | None = None,
        now: datetime | None = None,
    ) -> list[GrantRow]:
        """Grants, newest first: of one ``partner`` if given, in one ``status`` at ``now``
        (default: the present) if given."""
        condition: sa.ColumnElement[bool] = sa.true()
        if partner is not None:
            name = cred.checked_username(partner)
            condition = _U.username == name
        rows = self._grants(condition)
        if status is None:
            return rows
        at = check.now_utc() if now is None else check.aware(now, what="now")
        return [row for row in rows if row.status_at(at) is status]

    def _grants(self, condition: sa.ColumnElement[bool]) -> list[GrantRow]:
        query = (
            sa.select(GRANTS, _U.username)
            .join(USERS, _U.id == _G.partner_id)
            .where(condition)
            .order_by(_G.created_at.desc(), _G.id.desc())
        )
        with self._reading() as session:
            found = session.execute(query).all()
            ids = [row.id for row in found]
            named: dict[int, list[str]] = defaultdict(list)
            if ids:
                listed = session.execute(
                    sa.select(_GB.grant_id, _GB.building_id)
                    .where(_GB.grant_id.in_(ids))
                    .order_by(_GB.building_id)
                )
                for grant_id, building in listed:
                    named[grant_id].append(building)
        return [
            GrantRow(
                id=row.id,
                partner=row.username,
                buildings=tuple(named[row.id]),
                building_type=row.building_type,
                domains=tuple(row.domains),
                reason=row.reason,
                created_at=row.created_at,
                created_by=row.created_by,
                expires_at=row.expires_at,
                revoked_at=row.revoked_at,
                revoked_by=row.revoked_by,
            )
            for row in found
        ]

    def record_expired_grants(self, now: datetime, *, actor: str = SYSTEM_ACTOR) -> list[int]:
        """Record in the audit trail each grant that expired by ``now`` and was not recorded
        yet; the ids recorded. Safe to call from several processes: each expiry is recorded
        once."""
        at, who = check.aware(now, what="now"), cred.checked_actor(actor)
        recorded = []
        with self._writing() as conn:
            due = conn.execute(
                sa.select(_G.id, _U.username, _G.expires_at)
                .join(USERS, _U.id == _G.partner_id)
                .where(_G.expires_at <= at, _G.revoked_at.is_(None))
                .where(_G.expiry_recorded_at.is_(None))
                .with_for_update()
            ).all()
            for id, partner, expires in due:
                changed = conn.execute(
                    sa.update(GRANTS)
                    .where(_G.id == id, _G.expiry_recorded_at.is_(None))
                    .values(expiry_recorded_at=at)
                ).rowcount
                if changed:
                    detail = {"partner": partner, "expires_at": cred.iso(expires)}
                    target = f"grant:{id}"
                    cred.record_event(conn, AccessAction.GRANT_EXPIRE, who, target, detail, at=at)
                    recorded.append(id)
        return recorded

    def granted_pairs(
        self, now: datetime, *, partner: str | None = None
    ) -> dict[str, frozenset[tuple[str, str]]]:
        """Each partner's (or one ``partner``'s) ``(building, domain)`` pairs of its grants
        active at ``now``; a grant by type covers the buildings of that type the registry has
        now."""
        at = check.aware(now, what="now")
        active = (_G.revoked_at.is_(None)) & (_G.expires_at > at)
        if partner is not None:
            active = active & (_U.username == partner)
        pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
        with self._reading() as session:
            named = session.execute(
                sa.select(_U.username, _G.domains, _GB.building_id)
                .join(GRANTS, _G.partner_id == _U.id)
                .join(GRANT_BUILDINGS, _GB.grant_id == _G.id)
                .where(active)
            )
            for who, domains, building in named:
                pairs[who].update((building, domain) for domain in domains)
            typed = session.execute(
                sa.select(_U.username, _G.domains, _B.id)
                .join(GRANTS, _G.partner_id == _U.id)
                .join(BUILDINGS, _B.type == _G.building_type)
                .where(active)
            )
            for who, domains, building in typed:
                pairs[who].update((building, domain) for domain in domains)
        return {who: frozenset(found) for who, found in pairs.items()}

    def partner_pairs(self, partner: str, now: datetime) -> frozenset[tuple[str, str]]:
        """The ``(building, domain)`` pairs ``partner`` may read at ``now``."""
        name = cred.checked_username(partner)
        return self.granted_pairs(now, partner=name).get(name, frozenset())

    def building_scope(self, user: UserRow) -> frozenset[str] | None:
        """As :meth:`Users.building_scope`, with a partner's scope: the buildings of its active
        grants."""
        if user.role is not Role.PARTNER:
            return super().building_scope(user)
        return frozenset(b for b, _ in self.partner_pairs(user.username, check.now_utc()))

    # -- broker clients -----------------------------------------------------------------

    def create_broker_client(
        self,
        *,
        kind: BrokerClientKind,
        partner: str | None = None,
        building: str | None = None,
        gateway: str | None = None,
        service: str | None = None,
        passwords: BrokerPasswords,
        actor: str,
    ) -> tuple[BrokerClientRow, str]:
        """A new broker login and its password, returned here only.

        A partner's login is its username, the partner's (one login per partner); a gateway's
        :func:`gateway_username`; a service's :func:`service_username`.
        """
        who = cred.checked_actor(actor)
        values: dict[str, object] = {"kind": kind.value}
        if kind is BrokerClientKind.PARTNER:
            if partner is None:
                raise InvalidValue("a partner's broker login needs the partner")
            username = cred.checked_username(partner)
            if username.startswith(RESERVED_PREFIXES):
                raise InvalidValue(
                    f"{username!r}: logins beginning with {' or '.join(RESERVED_PREFIXES)} are"
                    " the platform's own (gateways and services)"
                )
        elif kind is BrokerClientKind.GATEWAY:
            if building is None or gateway is None:
                raise InvalidValue("a gateway's broker login needs its building and gateway ids")
            username = gateway_username(building, gateway)
            values.update(building_id=building, gateway_id=gateway)
        else:
            if service is None:
                raise InvalidValue("a service's broker login needs the service")
            username = service_username(service)
            values["service"] = service
        now = check.now_utc()
        password = passwords.password(username, 1)
        with self._writing() as conn:
            if kind is BrokerClientKind.PARTNER:
                values["user_id"] = _partner_id(conn, username)
            taken = conn.execute(sa.select(_C.username).where(_C.username == username)).first()
            if taken is not None:
                raise InvalidValue(f"there is a broker login {username!r} already")
            values.update(
                username=username,
                generation=1,
                secret_hash=password_hash(password),
                disabled=False,
                created_at=now,
                issued_at=now,
            )
            conn.execute(sa.insert(BROKER_CLIENTS).values(values))
            detail = {"kind": kind.value, "building": building, "gateway": gateway}
            cred.record_event(conn, AccessAction.CLIENT_CREATE, who, username, detail, at=now)
        row = BrokerClientRow(
            username,
            kind,
            username if kind is BrokerClientKind.PARTNER else None,
            building,
            gateway,
            service,
            1,
            None,
            False,
            now,
            now,
        )
        return row, password

    def reissue_broker_password(
        self, username: str, *, passwords: BrokerPasswords, actor: str
    ) -> tuple[BrokerClientRow, str]:
        """A new password for ``username``; the one before it stops working once the broker
        has the new one."""
        who = cred.checked_actor(actor)
        now = check.now_utc()
        with self._writing() as conn:
            generation = conn.execute(
                sa.select(_C.generation).where(_C.username == username).with_for_update()
            ).scalar()
            if generation is None:
                raise NotFound(f"no broker login {username!r}")
            password = passwords.password(username, generation + 1)
            conn.execute(
                sa.update(BROKER_CLIENTS)
                .where(_C.username == username)
                .values(
                    generation=generation + 1, secret_hash=password_hash(password), issued_at=now
                )
            )
            detail = {"generation": generation + 1}
            cred.record_event(conn, AccessAction.CLIENT_ISSUE, who, username, detail, at=now)
        row = self.broker_client(username)
        assert row is not None
        return row, password

    def set_broker_client_disabled(
        self, username: str, disabled: bool = True, *, actor: str
    ) -> None:
        """Disable a broker login (the broker refuses it and ends its sessions) or enable it."""
        who = cred.checked_actor(actor)
        with self._writing() as conn:
            found = conn.execute(
                sa.select(_C.disabled).where(_C.username == username).with_for_update()
            ).first()
            if found is None:
                raise NotFound(f"no broker login {username!r}")
            if found.disabled == disabled:
                return
            conn.execute(
                sa.update(BROKER_CLIENTS).where(_C.username == username).values(disabled=disabled)
            )
            action = AccessAction.CLIENT_DISABLE if disabled else AccessAction.CLIENT_ENABLE
            cred.record_event(conn, action, who, username)

    def delete_broker_client(self, username: str, *, actor: str) -> None:
        """Delete a broker login; the broker forgets it at its next reconcile."""
        who = cred.checked_actor(actor)
        with self._writing() as conn:
            deleted = conn.execute(sa.delete(BROKER_CLIENTS).where(_C.username == username))
            if not deleted.rowcount:
                raise NotFound(f"no broker login {username!r}")
            cred.record_event(conn, AccessAction.CLIENT_DELETE, who, username)

    def broker_client(self, username: str) -> BrokerClientRow | None:
        """The broker login ``username``, or None."""
        found = self._clients(_C.username == username)
        return found[0] if found else None

    def broker_clients(self, kind: BrokerClientKind | None = None) -> list[BrokerClientRow]:
        """Every broker login (of one ``kind`` if given), by username."""
        return self._clients(sa.true() if kind is None else _C.kind == kind.value)

    def _clients(self, condition: sa.ColumnElement[bool]) -> list[BrokerClientRow]:
        query = (
            sa.select(BROKER_CLIENTS, _U.username.label("partner"))
            .outerjoin(USERS, _U.id == _C.user_id)
            .where(condition)
            .order_by(_C.username)
        )
        with self._reading() as session:
            return [_client_row(row) for row in session.execute(query)]

    def mark_broker_applied(self, generations: Mapping[str, int]) -> None:
        """Note that the broker holds these logins' passwords of these generations."""
        if not generations:
            return
        with self._writing() as conn:
            for username, generation in sorted(generations.items()):
                conn.execute(
                    sa.update(BROKER_CLIENTS)
                    .where(_C.username == username)
                    .values(applied_generation=generation)
                )

    def access_snapshot(self, now: datetime) -> AccessSnapshot:
        """What the broker should hold at ``now`` (:mod:`byggpuls.access.sync` makes it so)."""
        clients = tuple(self.broker_clients())
        with self._reading() as session:
            disabled = frozenset(
                session.scalars(
                    sa.select(_U.username).where(
                        _U.role == Role.PARTNER.value, _U.disabled.is_(True)
                    )
                )
            )
        return AccessSnapshot(clients, self.granted_pairs(now), disabled)


def _client_row(row: sa.Row[tuple[object, ...]]) -> BrokerClientRow:
    values = row._mapping
    return BrokerClientRow(
        username=values["username"],
        kind=BrokerClientKind(values["kind"]),
        partner=values["partner"],
        building=values["building_id"],
        gateway=values["gateway_id"],
        service=values["service"],
        generation=values["generation"],
        applied_generation=values["applied_generation"],
        disabled=values["disabled"],
        created_at=values["created_at"],
        issued_at=values["issued_at"],
    )


def _partner_id(conn: Connection, username: str) -> int:
    found = conn.execute(sa.select(_U.id, _U.role).where(_U.username == username)).first()
    if found is None:
        raise NotFound(f"no partner {username!r}")
    if found.role != Role.PARTNER.value:
        raise InvalidValue(f"{username!r} is a {found.role}, not a partner")
    return int(found.id)


def _building_types(conn: Connection, ids: Sequence[str]) -> list[str]:
    found = dict(conn.execute(sa.select(_B.id, _B.type).where(_B.id.in_(ids))).all())
    missing = [id for id in ids if id not in found]
    if missing:
        raise NotFound(f"no building {', '.join(map(repr, missing))} in the registry")
    return sorted(set(found.values()))


def _domain(value: str) -> str:
    domain = check.domain(value)
    if domain in topics.RESERVED_DOMAINS:
        raise InvalidValue(f"{domain!r} is not a domain of data")
    return domain


def _reason(value: str | None) -> str | None:
    reason = (check.text(value) or "").strip()
    if not reason:
        return None
    if len(reason) < privacy.MIN_REASON_LENGTH or len(reason) > REASON_LENGTH:
        raise InvalidValue(
            f"a reason needs {privacy.MIN_REASON_LENGTH} to {REASON_LENGTH} characters"
        )
    return reason
