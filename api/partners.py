"""Partners and grants as the admin API and its page show them, from the registry's rows.

A grant's domains carry their privacy class in the grant's buildings (:mod:`byggpuls.privacy`);
a partner comes with its broker login (never a password) and its grants with their status now.
:func:`~byggpuls.access.instructions.mosquitto_sub` is the command a partner can try its
broker credentials with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Final

from api.partner_schemas import (
    BrokerLogin,
    Grant,
    GrantDomain,
    MqttCredentials,
    NewGrant,
    Partner,
)
from api.settings import ApiSettings
from byggpuls import privacy, topics
from byggpuls.access.instructions import mosquitto_sub, public_url
from byggpuls.auth import Role
from byggpuls.privacy import PrivacyClass
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import BrokerClientKind, BrokerClientRow, GrantRow, UserRow

#: The topic a ``mosquitto_sub`` example shows while nothing is granted.
PLACEHOLDER_TOPIC: Final = f"{topics.PREFIX}/<building>/<domain>"


def building_types(registry: Registry) -> dict[str, str]:
    """Each building's type, by id."""
    return {row.id: row.type for row in registry.buildings()}


def domain_class(domain: str, types: Iterable[str | None]) -> PrivacyClass:
    """The most private class ``domain`` has in buildings of ``types`` (an unknown type, or
    none: the most private it has in any)."""
    found = [privacy.privacy_class(domain, type_) for type_ in types] or [
        privacy.privacy_class(domain)
    ]
    return max(found, key=lambda cls: cls.rank)


def grant_view(row: GrantRow, types: Mapping[str, str], now: datetime) -> Grant:
    """A grant as the API shows it, with its status at ``now``."""
    kinds = [row.building_type] if row.building_type else [types.get(b) for b in row.buildings]
    return Grant(
        id=row.id,
        partner=row.partner,
        buildings=list(row.buildings),
        building_type=row.building_type,
        domains=[GrantDomain(domain=d, privacy_class=domain_class(d, kinds)) for d in row.domains],
        reason=row.reason,
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        status=row.status_at(now),
    )


def partner_views(registry: Registry, only: str | None) -> list[Partner]:
    """Every partner (or the one named ``only``) with its login and grants, by username."""
    now = datetime.now(UTC)
    users = [u for u in registry.users() if u.role is Role.PARTNER and only in (None, u.username)]
    logins = {
        row.partner: row
        for row in registry.broker_clients(BrokerClientKind.PARTNER)
        if row.partner is not None
    }
    grants: dict[str, list[Grant]] = {user.username: [] for user in users}
    types = building_types(registry)
    for row in registry.grants(partner=only):
        if row.partner in grants:
            grants[row.partner].append(grant_view(row, types, now))
    return [_partner_view(user, logins.get(user.username), grants[user.username]) for user in users]


def _partner_view(user: UserRow, login: BrokerClientRow | None, grants: list[Grant]) -> Partner:
    return Partner(
        username=user.username,
        display_name=user.display_name,
        disabled=user.disabled,
        created_at=user.created_at,
        broker_login=None
        if login is None
        else BrokerLogin(
            username=login.username,
            generation=login.generation,
            issued_at=login.issued_at,
            disabled=login.disabled,
        ),
        grants=grants,
    )


def unreasoned_sensitive(grant: NewGrant, types: Mapping[str, str]) -> tuple[list[str], str]:
    """The domains of ``grant`` that are sensitive in its buildings (``types``: each known
    building's type), and where, in words; for a grant that gives no reason."""
    if grant.building_type is not None:
        kinds, where = [grant.building_type.value], f"buildings of type {grant.building_type}"
    else:
        kinds, where = [types[b] for b in grant.buildings if b in types], "these buildings"
    # A reserved name is no domain at all, which the registry says.
    wanted = [domain for domain in grant.domains if domain not in topics.RESERVED_DOMAINS]
    return privacy.sensitive_domains(wanted, kinds), where


def mqtt_credentials(
    login: BrokerClientRow,
    password: str,
    *,
    url: str,
    pairs: Iterable[tuple[str, str]],
) -> MqttCredentials:
    """What a partner needs to read its granted ``pairs`` from the broker at ``url``."""
    granted = sorted(topics.telemetry(building, domain) for building, domain in pairs)
    example = granted[0] if granted else PLACEHOLDER_TOPIC
    return MqttCredentials(
        url=url,
        username=login.username,
        password=password,
        generation=login.generation,
        topics=granted,
        command=mosquitto_sub(url, login.username, password, example),
    )


def public_broker_url(settings: ApiSettings) -> str:
    """The broker as partners reach it."""
    return public_url(settings.broker_public_url, settings.mqtt_url)
