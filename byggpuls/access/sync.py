"""Keeping the broker at the registry's grants: the desired state, and the thread that keeps it.

The registry is the source of truth: its broker logins, each partner's active grants and
which partners are disabled (:class:`~byggpuls.registry.partners.AccessSnapshot`).
:func:`desired_state` turns that into the roles and clients a broker should hold, with the
passwords derived again (:mod:`byggpuls.access.credentials`), and :func:`reconcile` makes the
broker hold it.

:class:`AccessSync` does that in a thread of the service that manages access (``byggpuls
api``): at its start, whenever it is told of a change (:meth:`AccessSync.poke`), and every
``sync_s`` seconds it looks at the registry, so that a grant that expires, or a change made by
``byggpuls admin`` from another process, reaches the broker within that time. As long as the
desired state stays the same, the broker is compared with it only every ``full_sync_s``
seconds, which also repairs what was changed on the broker behind the platform's back, or a
broker that restarted without its state. A broker that does not answer is tried again at the
next look; nothing is lost, since the registry holds it all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, Protocol

from byggpuls.access.errors import AccessError
from byggpuls.access.port import AccessState, BrokerAccess, Changes, Client, Role, reconcile
from byggpuls.access.roles import (
    INGEST_ROLE,
    gateway_role,
    gateway_role_name,
    ingest_role,
    partner_role,
    partner_role_name,
)
from byggpuls.errors import StoreUnavailable

if TYPE_CHECKING:
    from byggpuls.access.credentials import BrokerPasswords
    from byggpuls.access.settings import BrokerAccessSettings
    from byggpuls.registry.partners import AccessSnapshot
    from byggpuls.registry.rows import BrokerClientRow

logger = logging.getLogger(__name__)

#: The platform services that have a broker login, and the role each gets.
SERVICE_ROLES: Final[dict[str, Callable[[], Role]]] = {INGEST_ROLE: ingest_role}


class AccessRegistry(Protocol):
    """What the sync needs of the registry (:class:`~byggpuls.registry.partners.Partners`)."""

    def access_snapshot(self, now: datetime) -> AccessSnapshot: ...

    def mark_broker_applied(self, generations: Mapping[str, int]) -> None: ...

    def record_expired_grants(self, now: datetime, *, actor: str = ...) -> list[int]: ...


def desired_state(snapshot: AccessSnapshot, passwords: BrokerPasswords) -> AccessState:
    """The roles and clients a broker should hold for ``snapshot``: each client with its
    current password, its role, and disabled if it or its partner is."""
    roles: dict[str, Role] = {}
    clients: list[Client] = []
    # Services first, then partners, then gateways: a broker that lost its state gets ingest
    # back first, and a gateway waits meanwhile with its spool.
    for row in sorted(snapshot.clients, key=_bring_back_order):
        role = _role_of(row, snapshot)
        if role is None:
            logger.error("broker login %r has no role the platform knows: left out", row.username)
            continue
        roles[role.name] = role
        disabled = row.disabled or (row.partner in snapshot.disabled_partners)
        clients.append(
            Client(
                username=row.username,
                roles=(role.name,),
                password=passwords.password(row.username, row.generation),
                disabled=disabled,
            )
        )
    # Each client has a role of its own, which reconcile writes just before the client.
    in_order = [roles[client.roles[0]] for client in clients]
    return AccessState(roles=tuple(in_order), clients=tuple(clients))


def _bring_back_order(row: BrokerClientRow) -> tuple[int, str]:
    kind = 0 if row.service is not None else 1 if row.partner is not None else 2
    return kind, row.username


def _role_of(row: BrokerClientRow, snapshot: AccessSnapshot) -> Role | None:
    if row.partner is not None:
        return partner_role(row.partner, snapshot.pairs.get(row.partner, frozenset()))
    if row.building is not None and row.gateway is not None:
        return gateway_role(row.building, row.gateway)
    if row.service is not None and row.service in SERVICE_ROLES:
        return SERVICE_ROLES[row.service]()
    return None


def role_name_of(row: BrokerClientRow) -> str | None:
    """The name of the role a broker login gets (None for one the platform does not know)."""
    if row.partner is not None:
        return partner_role_name(row.partner)
    if row.building is not None and row.gateway is not None:
        return gateway_role_name(row.building, row.gateway)
    return row.service if row.service in SERVICE_ROLES else None


class ClosingBrokerAccess(BrokerAccess, AbstractContextManager["ClosingBrokerAccess"], Protocol):
    """A broker connection that is closed when its ``with`` ends."""


def broker_opener(
    settings: BrokerAccessSettings,
) -> Callable[[], AbstractContextManager[BrokerAccess]] | None:
    """How to reach the broker's access control that ``settings`` name; None when it is off."""
    if settings.broker_access == "off":
        return None
    from byggpuls.access.mosquitto import MosquittoDynsec  # paho: only when driving a broker
    from byggpuls.access.settings import admin_login

    parts = settings.broker_admin
    assert parts is not None  # the settings refuse mosquitto without it
    host, port, username, password, tls = admin_login(parts)

    @contextmanager
    def open_mosquitto() -> Iterator[BrokerAccess]:
        import ssl

        context = ssl.create_default_context() if tls else None
        with MosquittoDynsec(
            host=host, port=port, username=username, password=password, tls=context
        ) as broker:
            yield broker

    return open_mosquitto


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """How the last look went: when the broker last matched, and the last error."""

    last_success: datetime | None = None
    last_error: str | None = None
    last_changes: Changes | None = None


class AccessSync:
    """Keeps a broker at the registry's grants, in a thread of its own (module docstring)."""

    def __init__(
        self,
        registry: AccessRegistry,
        open_broker: Callable[[], AbstractContextManager[BrokerAccess]],
        passwords: BrokerPasswords,
        *,
        sync_s: float = 2.0,
        full_sync_s: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._registry = registry
        self._clock = clock
        self._open_broker = open_broker
        self._passwords = passwords
        self._sync_s = sync_s
        self._full_sync_s = full_sync_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._applied: AccessState | None = None
        self._full_at = 0.0
        self._lock = threading.Lock()
        self.status = SyncStatus()

    def start(self) -> None:
        """Bring the broker to the registry and keep it there, in a thread of its own.

        The first look begins at once, in the thread: against a broker that lost its state it
        recreates every login, which Mosquitto 2.0's plugin takes a minute over at a thousand
        gateways (it rewrites its state file after every change), and the service that starts
        this must not wait for that. :attr:`status` says when it is done.
        """
        self._wake.set()
        self._thread = threading.Thread(target=self._run, name="broker-access", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (a look in progress finishes first)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def poke(self) -> None:
        """Look at the registry now: something changed."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._sync_s)
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                self.sync_once()
            except Exception as exc:  # a fault of ours or the registry's: say so, keep looking
                logger.exception("broker access: the look failed")
                with self._lock:
                    self._applied = None
                    self.status = SyncStatus(self.status.last_success, repr(exc), None)

    def sync_once(self, *, full: bool = False) -> Changes | None:
        """One look: record expiries, and reconcile the broker if the desired state changed,
        a full comparison is due, or ``full``. What changed, or None when the broker was not
        asked (or could not be reached, which :attr:`status` says)."""
        with self._lock:
            try:
                return self._sync(full=full)
            except (AccessError, StoreUnavailable) as exc:
                self._applied = None  # compare in full once it answers again
                self.status = SyncStatus(self.status.last_success, str(exc), None)
                logger.warning("broker access not brought up to date: %s", exc)
                return None

    def _sync(self, *, full: bool) -> Changes | None:
        now = self._clock()
        expired = self._registry.record_expired_grants(now)
        if expired:
            logger.info("grants expired: %s", ", ".join(map(str, expired)))
        snapshot = self._registry.access_snapshot(now)
        desired = desired_state(snapshot, self._passwords)
        # A password the broker was never given (a login that may exist there already), or
        # one issued anew since: the registry knows which generation the broker holds.
        unapplied = [row for row in snapshot.clients if row.applied_generation != row.generation]
        due = time.monotonic() >= self._full_at
        if not full and not due and not unapplied and desired == self._applied:
            return None
        renewed = [row.username for row in unapplied if row.applied_generation is not None]
        first = [row.username for row in unapplied if row.applied_generation is None]
        with self._open_broker() as broker:
            changes = reconcile(desired, broker, set_passwords=first, renewed=renewed)
        self._registry.mark_broker_applied({row.username: row.generation for row in unapplied})
        self._applied = desired
        self._full_at = time.monotonic() + self._full_sync_s
        self.status = SyncStatus(datetime.now(UTC), None, changes)
        if changes:
            logger.info("broker access brought up to date: %s", describe(changes))
        return changes


def describe(changes: Changes) -> str:
    """What :func:`reconcile` changed, in one line (``nothing`` when nothing)."""
    parts = []
    for label, names in (
        ("roles created", changes.roles_created),
        ("roles updated", changes.roles_updated),
        ("roles deleted", changes.roles_deleted),
        ("clients created", changes.clients_created),
        ("clients updated", changes.clients_updated),
        ("clients deleted", changes.clients_deleted),
        ("clients disabled", changes.clients_disabled),
        ("clients enabled", changes.clients_enabled),
        ("clients disconnected", changes.clients_kicked),
    ):
        if names:
            parts.append(f"{label}: {', '.join(names)}")
    return "; ".join(parts) or "nothing"
