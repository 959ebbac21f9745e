"""An in-memory broker access adapter, for tests of the logic above the port.

It keeps roles and clients as the port describes them and answers the questions a broker
answers on every packet (:meth:`MemoryBrokerAccess.may_subscribe`, ``may_publish``,
``may_receive``), with MQTT topic-filter semantics, so that roles can be tested without a
broker. The tests of the Mosquitto adapter check that both decide alike on the platform's roles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from byggpuls.access.errors import BrokerRefused
from byggpuls.access.port import Client, Role, RuleKind, TopicRule

_WILDCARDS = frozenset({"+", "#"})


def topic_matches(topic_filter: str, topic: str) -> bool:
    """Whether ``topic`` (a name) matches ``topic_filter`` (MQTT 3.1.1 section 4.7).

    A filter that starts with a wildcard matches no topic that starts with ``$``.
    """
    if topic.startswith("$") and topic_filter[:1] in _WILDCARDS:
        return False
    levels = topic.split("/")
    for index, part in enumerate(topic_filter.split("/")):
        if part == "#":
            return True
        if index >= len(levels) or (part not in ("+", levels[index])):
            return False
    return len(topic_filter.split("/")) == len(levels)


def filter_covers(rule: str, topic_filter: str) -> bool:
    """Whether every topic that ``topic_filter`` matches is matched by ``rule`` too."""
    if topic_filter.startswith("$") and rule[:1] in _WILDCARDS:
        return False
    wanted = topic_filter.split("/")
    for index, part in enumerate(rule.split("/")):
        if part == "#":
            return True
        if index >= len(wanted):
            return False
        if part == "+":
            if wanted[index] == "#":
                return False
        elif part != wanted[index]:
            return False
    return len(rule.split("/")) == len(wanted)


def _rule_applies(rule: TopicRule, kind: RuleKind, topic: str) -> bool:
    if rule.kind != kind:
        return False
    if kind != "subscribe":
        return topic_matches(rule.topic, topic)
    if _WILDCARDS.isdisjoint(rule.topic.split("/")):
        return rule.topic == topic  # a literal rule allows exactly its own filter
    return filter_covers(rule.topic, topic)


class MemoryBrokerAccess:
    """:class:`~byggpuls.access.port.BrokerAccess` in memory; :attr:`kicked` lists every
    disconnect in order (kicks, disables and deletions)."""

    def __init__(self) -> None:
        self.roles: dict[str, Role] = {}
        self.clients: dict[str, Client] = {}
        self.kicked: list[str] = []

    # -- the port ---------------------------------------------------------------------------

    def ensure_role(self, name: str, acls: Sequence[TopicRule]) -> None:
        self.roles[name] = Role(name=name, rules=tuple(acls))

    def delete_role(self, name: str) -> None:
        if self.roles.pop(name, None) is None:
            return
        for username, client in self.clients.items():
            if name in client.roles:
                roles = tuple(role for role in client.roles if role != name)
                self.clients[username] = replace(client, roles=roles)

    def ensure_client(self, username: str, password: str | None, roles: Sequence[str]) -> None:
        missing = [role for role in roles if role not in self.roles]
        if missing:
            raise BrokerRefused(f"client {username!r}: role not found: {missing}")
        have = self.clients.get(username)
        if have is None:
            self.clients[username] = Client(username, tuple(roles), password)
        else:
            password = have.password if password is None else password
            self.clients[username] = replace(have, roles=tuple(roles), password=password)

    def delete_client(self, username: str) -> None:
        if self.clients.pop(username, None) is not None:
            self.kicked.append(username)

    def disable_client(self, username: str) -> None:
        self.clients[username] = replace(self._client(username), disabled=True)
        self.kicked.append(username)

    def enable_client(self, username: str) -> None:
        self.clients[username] = replace(self._client(username), disabled=False)

    def kick_client(self, username: str) -> None:
        self._client(username)
        self.kicked.append(username)

    def list_clients(self) -> list[Client]:
        return [replace(client, password=None) for client in self.clients.values()]

    def list_roles(self) -> list[Role]:
        return list(self.roles.values())

    # -- what a broker decides on each packet -----------------------------------------------

    def may_connect(self, username: str, password: str) -> bool:
        """Whether ``username`` may log in with ``password``."""
        client = self.clients.get(username)
        return client is not None and not client.disabled and client.password == password

    def may_subscribe(self, username: str, topic_filter: str) -> bool:
        """Whether ``username`` may subscribe with ``topic_filter``."""
        return self._decide(username, "subscribe", topic_filter)

    def may_publish(self, username: str, topic: str) -> bool:
        """Whether ``username`` may publish to ``topic``."""
        return self._decide(username, "publish", topic)

    def may_receive(self, username: str, topic: str) -> bool:
        """Whether a message on ``topic`` may be delivered to ``username``."""
        return self._decide(username, "read", topic)

    def _decide(self, username: str, kind: RuleKind, topic: str) -> bool:
        client = self.clients.get(username)
        if client is None or client.disabled:
            return False
        for name in client.roles:
            for rule in self.roles[name].rules:
                if _rule_applies(rule, kind, topic):
                    return rule.allow
        return False

    def _client(self, username: str) -> Client:
        try:
            return self.clients[username]
        except KeyError:
            raise BrokerRefused(f"client {username!r}: client not found") from None
