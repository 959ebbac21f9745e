"""``byggpuls admin`` for broker logins: gateways', partners' and services' passwords, and
bringing the broker to the registry.

A gateway gets a broker login of its own (``add-gateway``), printed as the ``[gateway]`` and
``[mqtt]`` tables of its TOML file (:class:`gateway.config.MqttSection`). Passwords are derived
from ``BYGGPULS_BROKER_CREDENTIAL_KEY`` (:mod:`byggpuls.access.credentials`), so the registry
cannot show them again: they are printed once, when issued.

After each change, with ``BYGGPULS_BROKER_ACCESS=mosquitto``, :func:`follow_broker` brings the
broker up to date at once; a broker that does not answer is only a warning, since the change is
in the registry and the API's sync applies it. Registered by :mod:`cli.commands.admin`, with
the helpers it shares with :mod:`cli.commands.admin_partners`; nothing heavy is imported at the
top.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from byggpuls.access.credentials import BrokerPasswords
    from byggpuls.registry.repository import Registry
    from byggpuls.registry.rows import BrokerClientRow
    from cli.commands.admin_settings import AdminSettings

#: Each subcommand: (help, what it does).
SUBCOMMANDS: Final = {
    "add-gateway": "add a gateway's broker login and print its TOML tables, this once",
    "add-service": "add a platform service's broker login (ingest) and print it, this once",
    "reissue-mqtt": "issue a new broker password for a partner or gateway, printed this once",
    "list-broker-logins": "list the broker logins of partners, gateways and services",
    "sync-broker": "bring the broker's access control to the registry now, in full",
}
EXAMPLES: Final = """\
  byggpuls admin add-gateway radhus-01 --gateway gw-radhus-01 >> /etc/byggpuls/gateway.toml
  byggpuls admin add-service ingest
  byggpuls admin reissue-mqtt gateway.radhus-01.gw-radhus-01
  byggpuls admin list-broker-logins
  byggpuls admin sync-broker"""
#: The commands that change what the broker should hold: each is followed by a sync.
CHANGES_BROKER: Final = frozenset(
    {
        "create-partner",
        "grant",
        "revoke-grant",
        "add-gateway",
        "add-service",
        "reissue-mqtt",
        "disable-user",
    }
)
#: Exit status of ``sync-broker`` when the broker did not answer, or refused its admin.
UNREACHABLE: Final = 3
#: Where a gateway's TOML file is, in what is printed (as in the README).
GATEWAY_CONFIG: Final = "/etc/byggpuls/gateway.toml"
#: A granted topic is subscribed to by its full name; a partner's example names one.
EXAMPLE_TOPIC: Final = "byggpuls/v1/BUILDING/DOMAIN"


class Refused(Exception):
    """What was given cannot be used; the message says why (exit status 2)."""


Action = Callable[["Registry", "AdminSettings", argparse.Namespace], int]


def add_arguments(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to ``byggpuls admin``'s ``actions``."""
    sub = {
        name: actions.add_parser(name, help=text, description=text)
        for name, text in SUBCOMMANDS.items()
    }
    gateway = sub["add-gateway"]
    gateway.add_argument("building", metavar="BUILDING", help="the building's id")
    gateway.add_argument(
        "--gateway", metavar="ID", help="the gateway's id (default: gw-BUILDING, as simulated)"
    )
    sub["add-service"].add_argument(
        "service", choices=["ingest"], help="the service: ingest reads every building's data"
    )
    sub["reissue-mqtt"].add_argument("username", metavar="USERNAME", help="a broker login")


def follow_broker(registry: Registry, settings: AdminSettings) -> None:
    """Bring the broker up to date after a change, saying on stderr what changed."""
    from byggpuls.access.sync import describe
    from cli.bootstrap import build_access_sync

    if settings.broker_access == "off":
        print(
            "the broker follows when `byggpuls api` runs with BYGGPULS_BROKER_ACCESS=mosquitto",
            file=sys.stderr,
        )
        return
    sync = build_access_sync(settings, registry)
    assert sync is not None  # the settings refuse mosquitto without a key or admin URL
    changes = sync.sync_once()
    if changes is None and sync.status.last_error is not None:
        print(
            f"warning: the broker did not take it now ({sync.status.last_error}). The change "
            "is in the registry: `byggpuls api` (or `byggpuls admin sync-broker`) applies it.",
            file=sys.stderr,
        )
        return
    print(f"broker: {describe(changes) if changes else 'nothing to change'}", file=sys.stderr)


def _add_gateway(registry: Registry, settings: AdminSettings, args: argparse.Namespace) -> int:
    from byggpuls.registry.rows import BrokerClientKind

    passwords = broker_passwords(settings)
    building = args.building.strip()
    # As gateway.drivers.simulated.gateway_id names them, without importing the simulation.
    gateway = args.gateway or f"gw-{building}"[:64]
    login, password = registry.create_broker_client(
        kind=BrokerClientKind.GATEWAY,
        building=building,
        gateway=gateway,
        passwords=passwords,
        actor=actor(),
    )
    print(gateway_toml(settings, login, password), end="")
    if registry.building(building) is None:
        print(
            f"building {building!r} is not in the registry yet: it is once the gateway's "
            "first birth message arrives",
            file=sys.stderr,
        )
    shown_once("the password above")
    return 0


def _add_service(registry: Registry, settings: AdminSettings, args: argparse.Namespace) -> int:
    from byggpuls.registry.rows import BrokerClientKind

    passwords = broker_passwords(settings)
    login, password = registry.create_broker_client(
        kind=BrokerClientKind.SERVICE, service=args.service, passwords=passwords, actor=actor()
    )
    print(f"broker login of {args.service} (give its workers this BYGGPULS_MQTT_URL):")
    print_login(settings, login, password)
    shown_once("the password above")
    return 0


def _reissue(registry: Registry, settings: AdminSettings, args: argparse.Namespace) -> int:
    from byggpuls.registry.rows import BrokerClientKind

    passwords = broker_passwords(settings)
    login, password = registry.reissue_broker_password(
        args.username, passwords=passwords, actor=actor()
    )
    if login.kind is BrokerClientKind.GATEWAY:
        print(gateway_toml(settings, login, password), end="")
    else:
        print(f"new password of {login.kind} login {login.username!r} (#{login.generation})")
        print_login(settings, login, password)
    shown_once("the password above", "The old one works until the broker has the new one.")
    return 0


def gateway_toml(settings: AdminSettings, login: BrokerClientRow, password: str) -> str:
    """The ``[gateway]`` and ``[mqtt]`` tables a gateway needs to log in as ``login``."""
    issued = f"{login.issued_at:%Y-%m-%d %H:%M} UTC"
    return f"""\
# Broker login of gateway {login.gateway} in building {login.building}, issued {issued}.
# Shown this once: keep the gateway's TOML file readable by its own user only. Merge these
# tables into it; its [building] id (or the building its driver describes) must be
# {login.building}, for the broker lets this login publish that building's data only. Then
#   byggpuls gateway --config {GATEWAY_CONFIG}

[gateway]
id = {_toml(login.gateway or "")}

[mqtt]
url = {_toml(public_url(settings))}
username = {_toml(login.username)}
password = {_toml(password)}
"""


def print_login(settings: AdminSettings, login: BrokerClientRow, password: str) -> None:
    """The broker, ``login`` and ``password`` of a partner or service, and how to use them."""
    from byggpuls.access.instructions import mosquitto_sub
    from byggpuls.settings import with_login

    url = public_url(settings)
    print(f"  MQTT broker: {url}")
    print(f"  MQTT username: {login.username}")
    print(f"  MQTT password: {password}")
    if login.partner is None:  # a platform service: as its setting
        print(f"  BYGGPULS_MQTT_URL={with_login(url, login.username, password)}")
        return
    print("Each granted topic is subscribed to by its full name (no wildcards), e.g.")
    print("  " + mosquitto_sub(url, login.username, password, EXAMPLE_TOPIC))


def public_url(settings: AdminSettings) -> str:
    """The broker as partners and gateways reach it, without a login."""
    from byggpuls.access.instructions import public_url

    return public_url(settings.broker_public_url, settings.mqtt_url)


def _list_logins(registry: Registry, settings: AdminSettings, args: argparse.Namespace) -> int:
    rows = [("username", "kind", "of", "generation", "issued", "on broker", "disabled")]
    for login in registry.broker_clients():
        of = login.partner or login.service or f"{login.building}/{login.gateway}"
        applied = login.applied_generation
        on_broker = "yes" if applied == login.generation else "older" if applied else "no"
        rows.append(
            (
                login.username,
                login.kind.value,
                of,
                str(login.generation),
                f"{login.issued_at:%Y-%m-%d %H:%M}",
                on_broker,
                "yes" if login.disabled else "no",
            )
        )
    if len(rows) == 1:
        print("no broker logins yet: create-partner, add-gateway", file=sys.stderr)
        return 0
    print_table(rows)
    return 0


def _sync(registry: Registry, settings: AdminSettings, args: argparse.Namespace) -> int:
    from byggpuls.access.sync import describe
    from cli.bootstrap import build_access_sync

    sync = None if settings.broker_access == "off" else build_access_sync(settings, registry)
    if sync is None:
        raise Refused(
            "the broker's access control is not managed here: set"
            " BYGGPULS_BROKER_ACCESS=mosquitto, BYGGPULS_BROKER_ADMIN_URL and"
            " BYGGPULS_BROKER_CREDENTIAL_KEY"
        )
    changes = sync.sync_once(full=True)
    if changes is None:
        print(f"byggpuls admin: the broker: {sync.status.last_error}", file=sys.stderr)
        return UNREACHABLE
    print(describe(changes) if changes else "nothing to change: the broker matches the registry")
    return 0


ACTIONS: Final[dict[str, Action]] = {
    "add-gateway": _add_gateway,
    "add-service": _add_service,
    "reissue-mqtt": _reissue,
    "list-broker-logins": _list_logins,
    "sync-broker": _sync,
}


# -- shared with cli.commands.admin and cli.commands.admin_partners -------------------------


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """``rows`` (a header first) in columns, the last one as long as it is."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def actor() -> str:
    """Who the audit trail names for what this command does: the system user running it."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:  # no user name for this uid (a container, say)
        return "cli"


def positive(value: str) -> int:
    """A whole number, 1 or more (argparse refuses anything else)."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"1 or more, not {value}")
    return number


def broker_passwords(settings: AdminSettings) -> BrokerPasswords:
    """Where broker passwords come from; :class:`Refused` without the key, before anything
    is created."""
    passwords = settings.broker_passwords
    if passwords is None:
        raise Refused(
            "broker passwords are derived from BYGGPULS_BROKER_CREDENTIAL_KEY: set it (at least"
            " 32 characters, `openssl rand -base64 32`), the same as for `byggpuls api`."
            " Nothing was changed"
        )
    return passwords


def shown_once(what: str, more: str = "") -> None:
    """Say on stderr that ``what`` (secrets printed on stdout) will not be shown again."""
    print(f"Shown this once: keep {what} in a secret store now. {more}".rstrip(), file=sys.stderr)


def _toml(value: str) -> str:
    """``value`` as a TOML basic string: JSON's escapes are TOML's, but for DEL."""
    return json.dumps(value).replace("\x7f", "\\u007f")
