"""The broker access port: who may connect, and where each client may publish and subscribe.

The platform's database says which clients (partners, gateways, ingest) exist and what their
roles allow; the broker enforces it. :class:`BrokerAccess` is what the platform needs of a
broker's own access control, and :func:`reconcile` brings a broker to a desired
:class:`AccessState`. Two adapters implement the port: :class:`~byggpuls.access.memory.
MemoryBrokerAccess` (in memory, for tests of the logic) and :class:`~byggpuls.access.mosquitto.
MosquittoDynsec` (Mosquitto's dynamic-security plugin).

Semantics every adapter keeps:

- what no rule allows is denied: publishing, subscribing, and receiving a message;
- a role's rules are tried in order and the first whose topic matches decides; a client's
  roles are tried in order, and the first role with a matching rule decides;
- a ``subscribe`` rule whose topic has no wildcard allows exactly that filter and no other
  (so no wildcard subscription reaches above it); one with wildcards allows the filters it
  covers;
- a password is handed over in clear and the broker keeps only its hash: no adapter can read
  it back, so :func:`reconcile` sets passwords only when it creates a client.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, fields
from typing import Literal, Protocol

#: ``subscribe``: may subscribe with the filter; ``publish``: may publish to the topic;
#: ``read``: may receive a message published on the topic (through any subscription).
RuleKind = Literal["subscribe", "publish", "read"]


@dataclass(frozen=True, slots=True)
class TopicRule:
    """One access rule: ``kind`` on ``topic`` (a topic filter) is allowed or denied."""

    kind: RuleKind
    topic: str
    allow: bool = True


@dataclass(frozen=True, slots=True)
class Role:
    """A named, ordered list of rules that clients are given."""

    name: str
    rules: tuple[TopicRule, ...] = ()


@dataclass(frozen=True, slots=True)
class Client:
    """A broker login: the username a device or service connects with, and its roles in order.

    ``password`` is in clear, and only in a desired state: a broker never reveals it, so a
    client read from a broker has ``None``. A client without a password cannot log in.
    """

    username: str
    roles: tuple[str, ...] = ()
    password: str | None = field(default=None, repr=False)
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class AccessState:
    """Every role and client the broker should know (besides its own administrator)."""

    roles: tuple[Role, ...] = ()
    clients: tuple[Client, ...] = ()


class BrokerAccess(Protocol):
    """A broker's access control as the platform drives it.

    Every method acts at once, on live connections too, and is idempotent: ``ensure_*`` creates
    or updates, ``delete_*`` of what does not exist does nothing. The broker's own
    administrator is not among what the ``list_*`` methods return, and cannot be changed here.
    """

    def ensure_role(self, name: str, acls: Sequence[TopicRule]) -> None:
        """Create role ``name``, or replace its rules, with ``acls`` in order."""
        ...

    def delete_role(self, name: str) -> None:
        """Delete role ``name``; clients that had it lose it."""
        ...

    def ensure_client(self, username: str, password: str | None, roles: Sequence[str]) -> None:
        """Create client ``username`` with ``roles`` (which must exist), or set its roles.

        ``password`` (clear text) is set when given; ``None`` leaves an existing client's
        password as it is, and creates a client that cannot log in.
        """
        ...

    def delete_client(self, username: str) -> None:
        """Delete client ``username`` and disconnect its live sessions."""
        ...

    def disable_client(self, username: str) -> None:
        """Refuse client ``username`` further logins and disconnect its live sessions."""
        ...

    def enable_client(self, username: str) -> None:
        """Let a disabled client ``username`` log in again."""
        ...

    def kick_client(self, username: str) -> None:
        """Disconnect the live sessions of ``username``: a reconnect gets the current rights."""
        ...

    def list_clients(self) -> list[Client]:
        """Every client, without passwords."""
        ...

    def list_roles(self) -> list[Role]:
        """Every role with its rules in order."""
        ...


@dataclass(frozen=True, slots=True)
class Changes:
    """What :func:`reconcile` changed, by name; false when the broker already matched."""

    roles_created: tuple[str, ...] = ()
    roles_updated: tuple[str, ...] = ()
    roles_deleted: tuple[str, ...] = ()
    clients_created: tuple[str, ...] = ()
    clients_updated: tuple[str, ...] = ()
    clients_deleted: tuple[str, ...] = ()
    clients_disabled: tuple[str, ...] = ()
    clients_enabled: tuple[str, ...] = ()
    #: Existing clients given their password again (see :func:`reconcile`'s ``set_passwords``).
    passwords_set: tuple[str, ...] = ()
    #: Connected clients whose rights or password changed, disconnected so that they
    #: reconnect with the current ones.
    clients_kicked: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def _check(desired: AccessState) -> None:
    role_names = [role.name for role in desired.roles]
    usernames = [client.username for client in desired.clients]
    for kind, names in (("role", role_names), ("client", usernames)):
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"desired state names the {kind}s {duplicates} more than once")
    known = set(role_names)
    for client in desired.clients:
        missing = [role for role in client.roles if role not in known]
        if missing:
            raise ValueError(f"client {client.username!r} has roles not in the state: {missing}")


def reconcile(
    desired: AccessState,
    broker: BrokerAccess,
    *,
    set_passwords: Collection[str] = (),
    renewed: Collection[str] = (),
) -> Changes:
    """Make ``broker`` hold exactly the roles and clients of ``desired``; return what changed.

    Clients are brought up to date in ``desired``'s order, each just after its roles (so that
    the first clients of a broker that lost everything are back before the others), then the
    roles no client has, then what the state no longer has is deleted. A connected client whose
    rights changed (its roles, or the rules of one of its roles) is disconnected, so that
    nothing it was allowed before outlives the change.

    An existing client's password is left alone, since a broker cannot tell whether it
    differs, unless the caller knows: the clients named in ``set_passwords`` are given their
    desired password, and those in ``renewed`` too, and then disconnected (a password replaced
    because the old one leaked must not keep its sessions). A created client gets its password
    in any case. Raises :class:`ValueError` for a state that is not consistent, before changing
    anything.
    """
    _check(desired)
    have_roles = {role.name: role for role in broker.list_roles()}
    have_clients = {client.username: client for client in broker.list_clients()}
    done: dict[str, list[str]] = {f.name: [] for f in fields(Changes)}

    wanted_roles = {role.name: role for role in desired.roles}
    written: set[str] = set()

    def write_role(name: str) -> None:
        if name in written:
            return
        written.add(name)
        role, have_role = wanted_roles[name], have_roles.get(name)
        if have_role is None or have_role.rules != role.rules:
            broker.ensure_role(role.name, role.rules)
            done["roles_created" if have_role is None else "roles_updated"].append(role.name)

    for client in desired.clients:
        for name in client.roles:
            write_role(name)
        changed_roles = frozenset(done["roles_updated"])
        have = have_clients.get(client.username)
        if have is None:
            broker.ensure_client(client.username, client.password, client.roles)
            done["clients_created"].append(client.username)
            if client.disabled:
                broker.disable_client(client.username)
                done["clients_disabled"].append(client.username)
        else:
            renew = client.username in renewed
            reset = client.password is not None and (renew or client.username in set_passwords)
            _update_client(
                broker,
                client,
                have,
                changed_roles=changed_roles,
                reset=reset,
                renew=renew,
                done=done,
            )

    for role in desired.roles:
        write_role(role.name)
    wanted_clients = {client.username for client in desired.clients}
    done["clients_deleted"] = sorted(set(have_clients) - wanted_clients)
    for username in done["clients_deleted"]:
        broker.delete_client(username)
    done["roles_deleted"] = sorted(set(have_roles) - set(wanted_roles))
    for name in done["roles_deleted"]:
        broker.delete_role(name)
    for username in done["clients_kicked"]:
        broker.kick_client(username)
    return Changes(**{name: tuple(names) for name, names in done.items()})


def _update_client(
    broker: BrokerAccess,
    client: Client,
    have: Client,
    *,
    changed_roles: frozenset[str],
    reset: bool,
    renew: bool,
    done: dict[str, list[str]],
) -> None:
    """Bring an existing client to ``client``, noting in ``done`` what changed: its roles, its
    password if ``reset``, its state; a connected client whose rights changed (or whose
    password was ``renew``ed) is to be disconnected."""
    roles_changed = have.roles != client.roles
    if roles_changed or reset:
        broker.ensure_client(client.username, client.password if reset else None, client.roles)
    if roles_changed:
        done["clients_updated"].append(client.username)
    if reset:
        done["passwords_set"].append(client.username)
    if client.disabled and not have.disabled:
        broker.disable_client(client.username)  # disconnects it too
        done["clients_disabled"].append(client.username)
    elif not client.disabled and have.disabled:
        broker.enable_client(client.username)
        done["clients_enabled"].append(client.username)
    elif not client.disabled and (
        roles_changed or changed_roles.intersection(have.roles) or (reset and renew)
    ):
        done["clients_kicked"].append(client.username)
