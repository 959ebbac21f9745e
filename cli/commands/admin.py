"""``byggpuls admin``: users and API keys in the registry, from the machine it runs on; with
:mod:`~cli.commands.admin_partners` and :mod:`~cli.commands.admin_broker`, partners, grants,
broker logins and the audit trail.

Whoever can run this command can reach the registry database itself, so it asks for no login:
it is how the first admin is made, and the way back in when nobody can sign in. Each change is
recorded in the audit trail with the actor ``cli:<system user>``.

This module is imported to build the command line of every ``byggpuls admin`` command, so it
imports nothing heavy at the top; :func:`run` does.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from byggpuls.auth import Role
from cli.commands import admin_broker, admin_partners
from cli.commands.admin_broker import Refused, actor, print_table

if TYPE_CHECKING:
    from byggpuls.registry.repository import Registry

DESCRIPTION = """\
Manage who may use Byggpuls: create users (the first admin too) and API keys, list them,
disable users, revoke keys; partners, their grants and broker logins, gateways' broker logins,
the audit trail. Works on the registry database directly, without signing in."""
EPILOG = f"""\
examples:
  byggpuls admin create-user kari --role admin --name "Kari Nordmann"
  byggpuls admin create-user ola --role manager --building bergen-skole-1 bergen-kontor-1
  printf '%s\\n' "$PASSWORD" | byggpuls admin create-user ola --role manager --password-stdin
  byggpuls admin create-user innovasjon-as --role partner --no-password
  byggpuls admin create-key innovasjon-as --name "pilot dashboard" --expires-days 90
  byggpuls admin list-users
  byggpuls admin disable-user ola
  byggpuls admin revoke-key 3f9a0c1d2e4b
{admin_partners.EXAMPLES}
{admin_broker.EXAMPLES}

The registry is the one BYGGPULS_DATABASE_URL names (else SQLite under BYGGPULS_DATA_DIR), as
for every service, and is migrated first. Broker passwords are derived from
BYGGPULS_BROKER_CREDENTIAL_KEY; with BYGGPULS_BROKER_ACCESS=mosquitto (and
BYGGPULS_BROKER_ADMIN_URL) each change reaches the broker at once. Exit status: 0 done, 1 no
such user, key, grant or login, 2 refused (a weak password, a bad value or setting),
{admin_broker.UNREACHABLE} the broker did not answer sync-broker."""
#: Each subcommand: (help, what it does).
SUBCOMMANDS: Final = {
    "create-user": "add a user; asks for the password twice unless told otherwise",
    "create-key": "add an API key to a user and print its token, this once",
    "list-users": "list the users, their role, state and buildings",
    "disable-user": "disable a user: their sessions end and their keys stop working",
    "revoke-key": "revoke an API key for good",
}
#: Exit status when the user or key named does not exist.
NOT_FOUND: Final = 1
#: Exit status when a value is refused (as for a wrong setting).
REFUSED: Final = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--database-url", help="registry database (BYGGPULS_DATABASE_URL)")
    parser.add_argument("--data-dir", help="state of the embedded stores (BYGGPULS_DATA_DIR)")
    actions = parser.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    sub = {
        name: actions.add_parser(name, help=text, description=text)
        for name, text in SUBCOMMANDS.items()
    }
    create = sub["create-user"]
    create.add_argument("username", metavar="USERNAME", help="1-64 of a-z 0-9 . _ @ -")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--name", metavar="TEXT", help="how to show the user (default: USERNAME)")
    create.add_argument(
        "--building",
        metavar="ID",
        nargs="+",
        action="extend",
        default=[],
        help="a building of a manager's scope; repeat or list several",
    )
    password = create.add_mutually_exclusive_group()
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    password.add_argument(
        "--no-password", action="store_true", help="no password: the user has API keys only"
    )
    key = sub["create-key"]
    key.add_argument("username", metavar="USERNAME")
    key.add_argument("--name", required=True, help="what the key is for, e.g. 'BMS export'")
    key.add_argument(
        "--expires-days",
        type=_days,
        metavar="N",
        help="expires after N days (default: never)",
    )
    sub["disable-user"].add_argument("username", metavar="USERNAME")
    sub["revoke-key"].add_argument(
        "key_id", metavar="KEY_ID", help="the id in the token bpk_<KEY_ID>_..."
    )
    admin_partners.add_arguments(actions)
    admin_broker.add_arguments(actions)


def run(args: argparse.Namespace) -> int:
    """Do what ``args`` ask on the migrated registry; 1 for a missing user or key, 2 when
    refused, each said in one line on stderr."""
    from byggpuls.auth import WeakPassword
    from byggpuls.registry.errors import InvalidValue, NotFound
    from byggpuls.settings import load
    from cli.bootstrap import open_registry
    from cli.commands.admin_settings import AdminSettings

    command = args.admin_command
    try:
        # Asked first, so that a weak password is refused before anything is opened.
        password = _password(args) if command == "create-user" else None
        settings = load(AdminSettings, database_url=args.database_url, data_dir=args.data_dir)
        registry = open_registry(settings)
        try:
            if command in _ACTIONS:
                code = _ACTIONS[command](registry, args, password)
            else:
                code = {**admin_partners.ACTIONS, **admin_broker.ACTIONS}[command](
                    registry, settings, args
                )
            if code == 0 and command in admin_broker.CHANGES_BROKER:
                admin_broker.follow_broker(registry, settings)
            return code
        finally:
            registry.engine.dispose()
    except NotFound as exc:
        return _refuse(exc, NOT_FOUND)
    except (InvalidValue, WeakPassword, Refused) as exc:
        return _refuse(exc, REFUSED)


def _create_user(registry: Registry, args: argparse.Namespace, password: str | None) -> int:
    user = registry.create_user(
        args.username,
        role=args.role,
        display_name=args.name,
        password=password,
        buildings=args.building,
        actor=actor(),
    )
    scope = f", buildings {', '.join(sorted(args.building))}" if args.building else ""
    how = "signs in with a password" if user.has_password else "API keys only"
    print(f"created {user.role} {user.username!r} ({user.display_name}), {how}{scope}")
    return 0


def _create_key(registry: Registry, args: argparse.Namespace, password: str | None) -> int:
    expires = None
    if args.expires_days is not None:
        expires = datetime.now(UTC) + timedelta(days=args.expires_days)
    key, token = registry.create_api_key(
        args.username, name=args.name, expires_at=expires, actor=actor()
    )
    print(token)
    until = f"until {key.expires_at:%Y-%m-%d %H:%M} UTC" if key.expires_at else "without expiry"
    print(
        f"API key {key.key_id} ({key.name!r}) of {key.username!r}, {until}. The token above will "
        "not be shown again: keep it in a secret store now.",
        file=sys.stderr,
    )
    return 0


def _list_users(registry: Registry, args: argparse.Namespace, password: str | None) -> int:
    now = datetime.now(UTC)
    rows = [("username", "role", "name", "state", "sign-in", "keys", "buildings")]
    for user in registry.users():
        scope = registry.building_scope(user)
        buildings = "all" if scope is None else ", ".join(sorted(scope)) or "-"
        if user.role is Role.PARTNER:
            buildings = "by grants"
        keys = sum(key.usable_at(now) for key in registry.api_keys(user.username))
        state = "disabled" if user.disabled else "active"
        sign_in = "password" if user.has_password else "keys only"
        rows.append(
            (user.username, user.role, user.display_name, state, sign_in, str(keys), buildings)
        )
    if len(rows) == 1:
        print("no users yet: byggpuls admin create-user NAME --role admin", file=sys.stderr)
        return 0
    print_table(rows)
    return 0


def _disable_user(registry: Registry, args: argparse.Namespace, password: str | None) -> int:
    registry.set_user_disabled(args.username, actor=actor())
    print(f"{args.username.strip().lower()!r} is disabled: signed out, and their keys refused")
    return 0


def _revoke_key(registry: Registry, args: argparse.Namespace, password: str | None) -> int:
    registry.revoke_api_key(args.key_id, actor=actor())
    print(f"API key {args.key_id} is revoked")
    return 0


_ACTIONS: Final[dict[str, Callable[[Registry, argparse.Namespace, str | None], int]]] = {
    "create-user": _create_user,
    "create-key": _create_key,
    "list-users": _list_users,
    "disable-user": _disable_user,
    "revoke-key": _revoke_key,
}


def _password(args: argparse.Namespace) -> str | None:
    """The new user's password: none, one line of stdin, or typed twice at the terminal."""
    from byggpuls.auth import check_password

    if args.no_password:
        return None
    if args.password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    elif not sys.stdin.isatty():
        raise Refused(
            "no terminal to ask for the password on: give it with --password-stdin, or "
            "--no-password for a user with API keys only"
        )
    else:
        password = getpass.getpass(f"Password for {args.username}: ")
        check_password(password, username=args.username)
        if getpass.getpass("Again: ") != password:
            raise Refused("the two passwords differ; nothing was changed")
    return check_password(password, username=args.username)


def _days(value: str) -> int:
    """A number of days, 1 or more (argparse refuses anything else)."""
    days = int(value)
    if days < 1:
        raise argparse.ArgumentTypeError(f"a key expires after 1 day or more, not {value}")
    return days


def _refuse(problem: object, code: int) -> int:
    print(f"byggpuls admin: {problem}", file=sys.stderr)
    return code
