"""``byggpuls admin`` for partners, their grants, and the audit trail.

A partner gets an API key and a broker login at once (``create-partner``), then grants of
domains of buildings, or of every building of a type (``grant``): what it may read through the
API and subscribe to on the broker. A sensitive domain is granted only with a reason
(:mod:`byggpuls.privacy`), which the registry keeps. Registered by :mod:`cli.commands.admin`;
nothing heavy is imported at the top.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final

from byggpuls.auth import Role
from byggpuls.reading import BuildingType
from cli.commands.admin_broker import (
    Action,
    Refused,
    actor,
    broker_passwords,
    positive,
    print_login,
    print_table,
    shown_once,
)

if TYPE_CHECKING:
    from byggpuls.registry.repository import Registry
    from byggpuls.registry.rows import GrantRow
    from cli.commands.admin_settings import AdminSettings

#: Each subcommand: (help, what it does).
SUBCOMMANDS: Final = {
    "create-partner": "add a partner with an API key and a broker login, printed this once",
    "grant": "let a partner read domains of buildings (or of a building type) until a day",
    "revoke-grant": "revoke a grant for good",
    "list-grants": "list the grants: the active ones, or --all",
    "audit": "show the audit trail, newest first",
}
EXAMPLES: Final = """\
  byggpuls admin create-partner innovasjon-as --name "Innovasjon AS" --key-expires-days 365
  byggpuls admin grant innovasjon-as --building bergen-skole-1 --domain energy hvac --days 90
  byggpuls admin grant innovasjon-as --type nursing_home --domain climate --expires 2027-01-01 \\
      --reason "Indoor climate study with the municipality, case 2026/1234"
  byggpuls admin list-grants --partner innovasjon-as --all
  byggpuls admin revoke-grant 7
  byggpuls admin audit --action grant.create --limit 20"""
#: How long a grant lasts unless told otherwise.
DEFAULT_GRANT_DAYS: Final = 365
DEFAULT_AUDIT_LIMIT: Final = 50


def add_arguments(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to ``byggpuls admin``'s ``actions``."""
    sub = {
        name: actions.add_parser(name, help=text, description=text)
        for name, text in SUBCOMMANDS.items()
    }
    partner = sub["create-partner"]
    partner.add_argument("username", metavar="USERNAME", help="1-64 of a-z 0-9 . _ @ -")
    partner.add_argument("--name", metavar="TEXT", help="how to show it (default: USERNAME)")
    partner.add_argument(
        "--key-name",
        metavar="TEXT",
        default="partner API access",
        help="what the API key is for (default: %(default)s)",
    )
    partner.add_argument(
        "--key-expires-days",
        type=positive,
        metavar="N",
        help="the API key expires after N days (default: never)",
    )
    grant = sub["grant"]
    grant.add_argument("partner", metavar="PARTNER", help="the partner's username")
    scope = grant.add_mutually_exclusive_group(required=True)
    scope.add_argument(
        "--building", metavar="ID", nargs="+", action="extend", help="the buildings, by id"
    )
    scope.add_argument(
        "--type",
        choices=[kind.value for kind in BuildingType],
        help="every building of this type, those added later too",
    )
    grant.add_argument(
        "--domain",
        metavar="D",
        nargs="+",
        action="extend",
        required=True,
        help="the domains, e.g. energy hvac",
    )
    until = grant.add_mutually_exclusive_group()
    until.add_argument(
        "--expires", type=_day, metavar="YYYY-MM-DD", help="expires at 00:00 UTC of that day"
    )
    until.add_argument(
        "--days",
        type=positive,
        metavar="N",
        help=f"expires after N days (default: {DEFAULT_GRANT_DAYS})",
    )
    grant.add_argument(
        "--reason", metavar="TEXT", help="why it is shared; needed for a sensitive domain"
    )
    sub["revoke-grant"].add_argument(
        "grant_id", type=int, metavar="ID", help="as list-grants shows"
    )
    grants = sub["list-grants"]
    grants.add_argument("--partner", metavar="P", help="this partner's grants only")
    grants.add_argument("--all", action="store_true", help="revoked and expired ones too")
    audit = sub["audit"]
    audit.add_argument("--action", metavar="A", help="this action only, e.g. grant.create")
    audit.add_argument(
        "--limit",
        type=positive,
        metavar="N",
        default=DEFAULT_AUDIT_LIMIT,
        help="at most N events (default: %(default)s)",
    )


def _create_partner(registry: Registry, settings: AdminSettings, args: argparse.Namespace) -> int:
    from byggpuls.registry.credentials import checked_name
    from byggpuls.registry.rows import BrokerClientKind

    # Everything that can be refused is, before anything is created.
    passwords = broker_passwords(settings)
    key_name = checked_name(args.key_name, what="key name")
    who = actor()
    expires = None
    if args.key_expires_days is not None:
        expires = datetime.now(UTC) + timedelta(days=args.key_expires_days)
    user = registry.user(args.username.strip().lower())
    if user is not None and user.role is not Role.PARTNER:
        raise Refused(f"{user.username!r} is a {user.role}, not a partner")
    if user is not None and registry.broker_client(user.username) is not None:
        raise Refused(
            f"partner {user.username!r} has a broker login already: `byggpuls admin "
            f"reissue-mqtt {user.username}` issues a new password, `create-key` another key"
        )
    with registry.transaction():  # the user, its key and its login: all, or none
        if user is None:
            user = registry.create_user(
                args.username, role=Role.PARTNER, display_name=args.name, actor=who
            )
        else:  # made by create-user before partners had broker logins: give it the rest
            print(f"partner {user.username!r} exists: it gets an API key and a broker login")
        key, token = registry.create_api_key(
            user.username, name=key_name, expires_at=expires, actor=who
        )
        login, password = registry.create_broker_client(
            kind=BrokerClientKind.PARTNER, partner=user.username, passwords=passwords, actor=who
        )
    until = f"until {key.expires_at:%Y-%m-%d %H:%M} UTC" if key.expires_at else "no expiry"
    print(f"partner {user.username!r} ({user.display_name})")
    print(f"  API key {key.key_id} ({key.name!r}, {until}): {token}")
    print_login(settings, login, password)
    print(f"It reads nothing until granted: byggpuls admin grant {user.username} ...")
    shown_once("the API key and the password above")
    return 0


def _grant(registry: Registry, settings: AdminSettings, args: argparse.Namespace) -> int:
    if args.expires is not None:
        expires = datetime.combine(args.expires, time(), UTC)
    else:
        expires = datetime.now(UTC) + timedelta(days=args.days or DEFAULT_GRANT_DAYS)
    grant = registry.create_grant(
        args.partner,
        buildings=args.building or (),
        building_type=args.type,
        domains=args.domain,
        expires_at=expires,
        reason=args.reason,
        actor=actor(),
    )
    print(f"grant {grant.id}: {grant.partner!r} may read {_where(grant)}")
    print(f"  domains: {_classes(registry, grant)}")
    print(f"  expires: {grant.expires_at:%Y-%m-%d %H:%M} UTC")
    if grant.reason is not None:
        print(f"  reason: {grant.reason}")
    return 0


def _where(grant: GrantRow) -> str:
    if grant.building_type is not None:
        return f"every {grant.building_type} building, those added later too"
    return ", ".join(grant.buildings)


def _classes(registry: Registry, grant: GrantRow) -> str:
    """The grant's domains, each with its privacy class in the grant's buildings (the most
    private one where they differ)."""
    from byggpuls.privacy import privacy_class

    types: set[str | None] = set()
    if grant.building_type is not None:
        types.add(grant.building_type)
    for id in grant.buildings:
        building = registry.building(id)
        types.add(None if building is None else str(building.type))
    shown = []
    for domain in grant.domains:
        classes = [privacy_class(domain, kind) for kind in types]
        shown.append(f"{domain} ({max(classes, key=lambda cls: cls.rank)})")
    return ", ".join(shown)


def _revoke_grant(registry: Registry, settings: AdminSettings, args: argparse.Namespace) -> int:
    from byggpuls.registry.errors import NotFound

    before = registry.grant_by_id(args.grant_id)
    if before is None:
        raise NotFound(f"no grant {args.grant_id}")
    if before.revoked_at is not None:
        print(f"grant {before.id} was revoked already, {before.revoked_at:%Y-%m-%d %H:%M} UTC")
        return 0
    grant = registry.revoke_grant(args.grant_id, actor=actor())
    print(f"grant {grant.id} of {grant.partner!r} ({_where(grant)}) is revoked")
    return 0


def _list_grants(registry: Registry, settings: AdminSettings, args: argparse.Namespace) -> int:
    from byggpuls.registry.rows import GrantStatus

    now = datetime.now(UTC)
    status = None if args.all else GrantStatus.ACTIVE
    rows = [("id", "partner", "buildings", "domains", "expires", "status", "reason")]
    for grant in registry.grants(partner=args.partner, status=status, now=now):
        scope = ",".join(grant.buildings) or f"type:{grant.building_type}"
        rows.append(
            (
                str(grant.id),
                grant.partner,
                scope,
                ",".join(grant.domains),
                f"{grant.expires_at:%Y-%m-%d %H:%M}",
                grant.status_at(now).value,
                grant.reason or "-",
            )
        )
    if len(rows) == 1:
        print("no grants" if args.all else "no active grants (--all lists all)", file=sys.stderr)
        return 0
    print_table(rows)
    return 0


def _audit(registry: Registry, settings: AdminSettings, args: argparse.Namespace) -> int:
    rows = [("at (UTC)", "actor", "action", "target", "detail")]
    for event in registry.audit_events(action=args.action, limit=args.limit):
        detail = {key: value for key, value in event.detail.items() if value not in (None, [])}
        rows.append(
            (
                f"{event.at.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
                event.actor,
                event.action,
                event.target or "-",
                json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "-",
            )
        )
    if len(rows) == 1:
        print("no events", file=sys.stderr)
        return 0
    print_table(rows)
    return 0


ACTIONS: Final[dict[str, Action]] = {
    "create-partner": _create_partner,
    "grant": _grant,
    "revoke-grant": _revoke_grant,
    "list-grants": _list_grants,
    "audit": _audit,
}


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a day as YYYY-MM-DD, not {value!r}") from None
