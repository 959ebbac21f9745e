"""Mosquitto's dynamic-security plugin as a :class:`~byggpuls.access.port.BrokerAccess`.

The plugin (``mosquitto_dynamic_security.so``, shipped with Mosquitto 2) keeps clients and
roles in its own file and takes JSON commands on ``$CONTROL/dynamic-security/v1`` from an
admin client; it answers on ``$CONTROL/dynamic-security/v1/response``, where every admin
client hears every answer: each command carries a ``correlationData`` of its own, which the
answer echoes. See https://mosquitto.org/documentation/dynamic-security/.

How the port maps onto the plugin:

- rules become ACLs in order, the first with the highest priority; ``subscribe`` becomes
  ``subscribeLiteral`` (no wildcard: exactly that filter) or ``subscribePattern``, ``publish``
  becomes ``publishClientSend``, ``read`` becomes ``publishClientReceive``; a client's roles
  get priorities in order the same way;
- on connect the adapter makes the plugin deny by default whatever no ACL allows, receiving
  included (the plugin's own default lets any subscriber receive);
- the plugin disconnects a client's sessions when it is disabled or deleted; a kick is a
  disable followed at once by an enable;
- the admin client and its roles are the plugin's own: they are not listed, and the adapter
  refuses to change them.

Passwords go to the plugin in clear (it stores a salted PBKDF2 hash) and are never logged.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Final, Self

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from byggpuls.access.errors import BrokerRefused, BrokerUnavailable
from byggpuls.access.port import Client, Role, RuleKind, TopicRule

logger = logging.getLogger(__name__)

CONTROL_TOPIC: Final = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC: Final = f"{CONTROL_TOPIC}/response"
#: How long a command may wait for the plugin's answer; the plugin answers in milliseconds,
#: so this only bounds a broker that is gone or has no plugin loaded.
COMMAND_TIMEOUT_SECONDS: Final = 10.0

_ACL_TYPES: Final[dict[str, RuleKind]] = {
    "subscribeLiteral": "subscribe",
    "subscribePattern": "subscribe",
    "publishClientSend": "publish",
    "publishClientReceive": "read",
}
#: What no ACL allows is denied: the plugin's default lets every subscriber receive.
_DEFAULT_ACCESS: Final = (
    {"acltype": "publishClientSend", "allow": False},
    {"acltype": "publishClientReceive", "allow": False},
    {"acltype": "subscribe", "allow": False},
    {"acltype": "unsubscribe", "allow": True},
)


def _acl(rule: TopicRule, priority: int) -> dict[str, Any]:
    if rule.kind == "subscribe":
        wildcard = "+" in rule.topic.split("/") or rule.topic.endswith("#")
        acltype = "subscribePattern" if wildcard else "subscribeLiteral"
    else:
        acltype = "publishClientSend" if rule.kind == "publish" else "publishClientReceive"
    return {"acltype": acltype, "topic": rule.topic, "priority": priority, "allow": rule.allow}


def _by_priority(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: -int(item.get("priority", -1)))


def _absent(error: str) -> bool:
    return "not found" in error.lower()


def _exists(error: str) -> bool:
    return "already exists" in error.lower()


class MosquittoDynsec:
    """Drives Mosquitto's dynamic-security plugin as its admin client ``username``.

    Use as a context manager, or :meth:`connect` and :meth:`close`. Raises
    :class:`BrokerUnavailable` when the broker or plugin does not answer, and
    :class:`BrokerRefused` when the plugin refuses a command or the admin's login.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        password: str,
        client_id: str | None = None,
        tls: ssl.SSLContext | None = None,
        timeout_s: float = COMMAND_TIMEOUT_SECONDS,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.client_id = client_id or f"byggpuls-access-{uuid.uuid4().hex[:12]}"
        self.tls = tls
        self.timeout_s = timeout_s
        self._client: paho.Client | None = None
        self._changed = threading.Condition()
        self._connack: ReasonCode | None = None
        self._subscribed: list[ReasonCode] | None = None
        self._answers: dict[str, dict[str, Any]] = {}
        self._protected_roles: frozenset[str] = frozenset()

    # -- connection -------------------------------------------------------------------------

    def connect(self) -> Self:
        """Log in as the admin, listen for answers, and set the default access (deny)."""
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=paho.MQTTv5,
            reconnect_on_failure=False,
        )
        client.username_pw_set(self.username, self._password)
        if self.tls is not None:
            client.tls_set_context(self.tls)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        try:
            client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            raise BrokerUnavailable(f"cannot reach the broker at {self.host}:{self.port}") from exc
        self._client = client
        client.loop_start()
        try:
            self._await_connack()
            client.subscribe(RESPONSE_TOPIC, qos=1)
            with self._changed:
                self._changed.wait_for(lambda: self._subscribed is not None, self.timeout_s)
                reasons = self._subscribed
            if reasons is None:
                raise BrokerUnavailable("the broker did not answer the subscription")
            if any(reason.is_failure for reason in reasons):
                raise BrokerRefused(f"admin {self.username!r} may not read {RESPONSE_TOPIC}")
            self._call([{"command": "setDefaultACLAccess", "acls": list(_DEFAULT_ACCESS)}])
            admin = self._call([{"command": "getClient", "username": self.username}])[0]
            roles = admin.get("data", {}).get("client", {}).get("roles", [])
            self._protected_roles = frozenset(role["rolename"] for role in roles)
        except BaseException:
            self.close()
            raise
        return self

    def _await_connack(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._connack is not None, self.timeout_s)
            reason = self._connack
        if reason is None:
            raise BrokerUnavailable(f"no CONNACK from {self.host}:{self.port}")
        if reason.is_failure:
            raise BrokerRefused(f"broker refused admin {self.username!r}: {reason.getName()}")

    def close(self) -> None:
        """Log out; the adapter can :meth:`connect` again."""
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()
        with self._changed:
            self._connack = None
            self._subscribed = None
            self._answers.clear()

    def __enter__(self) -> Self:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode, _: Any
    ) -> None:
        with self._changed:
            self._connack = reason
            self._changed.notify_all()

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode, _: Any
    ) -> None:
        with self._changed:
            self._changed.notify_all()  # whoever waits for an answer gives up at once
        if self._client is client:
            logger.warning("admin connection to the broker lost: %s", reason.getName())

    def _on_subscribe(
        self,
        client: paho.Client,
        userdata: Any,
        mid: int,
        reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        with self._changed:
            self._subscribed = reasons
            self._changed.notify_all()

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        try:
            responses = json.loads(msg.payload)["responses"]
        except (ValueError, KeyError, TypeError):
            logger.warning("unreadable answer on %s: %.200r", msg.topic, msg.payload)
            return
        with self._changed:
            for response in responses:
                key = response.get("correlationData")
                if key in self._answers:
                    self._answers[key] = response
            self._changed.notify_all()

    # -- commands ---------------------------------------------------------------------------

    def _call(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send ``commands`` in one message and return the plugin's answers in order.

        An answer with ``error`` stays in the list; the caller decides what it means.
        """
        client = self._client
        if client is None or not client.is_connected():
            raise BrokerUnavailable("not connected to the broker (connect first)")
        batch = uuid.uuid4().hex
        keys = [f"{batch}:{index}" for index in range(len(commands))]
        tagged = [
            {**command, "correlationData": key} for command, key in zip(commands, keys, strict=True)
        ]
        with self._changed:
            self._answers.update((key, {}) for key in keys)
        logger.debug("dynamic-security: %s", [_describe(command) for command in commands])
        try:
            client.publish(CONTROL_TOPIC, json.dumps({"commands": tagged}), qos=1)
            with self._changed:
                self._changed.wait_for(
                    lambda: all(self._answers[key] for key in keys) or not client.is_connected(),
                    self.timeout_s,
                )
                answers = [self._answers[key] for key in keys]
        finally:
            with self._changed:
                for key in keys:
                    self._answers.pop(key, None)
        if not all(answers):
            raise BrokerUnavailable(
                f"no answer from the dynamic-security plugin within {self.timeout_s}s "
                "(is the plugin loaded, and may the admin use $CONTROL?)"
            )
        return answers

    def _run(
        self, *commands: dict[str, Any], tolerate: Callable[[str], bool] | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`_call`, raising :class:`BrokerRefused` for an error ``tolerate`` does not
        accept (a predicate on the error text)."""
        answers = self._call(list(commands))
        for command, answer in zip(commands, answers, strict=True):
            error = answer.get("error")
            if error and not (tolerate is not None and tolerate(error)):
                raise BrokerRefused(f"{_describe(command)}: {error}")
        return answers

    def _guard(self, *, username: str | None = None, role: str | None = None) -> None:
        if username == self.username or role in self._protected_roles:
            what = f"client {username!r}" if role is None else f"role {role!r}"
            raise BrokerRefused(f"{what} is the broker's administrator's; it is not managed here")

    # -- the port ---------------------------------------------------------------------------

    def ensure_role(self, name: str, acls: Sequence[TopicRule]) -> None:
        self._guard(role=name)
        entries = [_acl(rule, len(acls) - index) for index, rule in enumerate(acls)]
        # One round trip: the create fails for an existing role, the modify sets the rules.
        self._run(
            {"command": "createRole", "rolename": name, "acls": entries},
            {"command": "modifyRole", "rolename": name, "acls": entries},
            tolerate=_exists,
        )

    def delete_role(self, name: str) -> None:
        self._guard(role=name)
        self._run({"command": "deleteRole", "rolename": name}, tolerate=_absent)

    def ensure_client(self, username: str, password: str | None, roles: Sequence[str]) -> None:
        self._guard(username=username)
        entries = [{"rolename": role, "priority": len(roles) - i} for i, role in enumerate(roles)]
        create: dict[str, Any] = {"command": "createClient", "username": username}
        modify: dict[str, Any] = {"command": "modifyClient", "username": username}
        if password is not None:
            create["password"] = modify["password"] = password
        answer = self._run({**create, "roles": entries}, tolerate=_exists)[0]
        if answer.get("error"):
            self._run({**modify, "roles": entries})

    def delete_client(self, username: str) -> None:
        self._guard(username=username)
        self._run({"command": "deleteClient", "username": username}, tolerate=_absent)

    def disable_client(self, username: str) -> None:
        self._guard(username=username)
        self._run({"command": "disableClient", "username": username})

    def enable_client(self, username: str) -> None:
        self._guard(username=username)
        self._run({"command": "enableClient", "username": username})

    def kick_client(self, username: str) -> None:
        self._guard(username=username)
        found = self._run({"command": "getClient", "username": username})[0]
        if found["data"]["client"].get("disabled", False):
            return  # a disabled client has no sessions, and must stay disabled
        self._run(
            {"command": "disableClient", "username": username},
            {"command": "enableClient", "username": username},
        )

    def list_clients(self) -> list[Client]:
        answer = self._run({"command": "listClients", "verbose": True, "count": -1})[0]
        return [
            Client(
                username=entry["username"],
                roles=tuple(role["rolename"] for role in _by_priority(entry.get("roles", []))),
                disabled=bool(entry.get("disabled", False)),
            )
            for entry in answer["data"]["clients"]
            if entry["username"] != self.username
        ]

    def list_roles(self) -> list[Role]:
        """Every role but the administrator's; ACL types the port has no rule for
        (``unsubscribe*``) are left out."""
        answer = self._run({"command": "listRoles", "verbose": True, "count": -1})[0]
        return [
            Role(
                name=entry["rolename"],
                rules=tuple(
                    TopicRule(_ACL_TYPES[acl["acltype"]], acl["topic"], bool(acl["allow"]))
                    for acl in _by_priority(entry.get("acls", []))
                    if acl["acltype"] in _ACL_TYPES
                ),
            )
            for entry in answer["data"]["roles"]
            if entry["rolename"] not in self._protected_roles
        ]


def _describe(command: dict[str, Any]) -> str:
    """A command for logs and errors: its name and the object it acts on, never a password."""
    target = command.get("username") or command.get("rolename") or ""
    return f"{command['command']} {target}".rstrip()
