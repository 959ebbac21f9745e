"""The roles the platform gives broker clients, built from the topic grammar.

- a **partner** may subscribe to, and receive, exactly the telemetry topics it was granted
  (``byggpuls/v1/{building}/{domain}``): no wildcard filter, not even one that covers only
  granted topics, and it may publish nowhere;
- a **gateway** may publish its building's telemetry (``byggpuls/v1/{building}/+``) and its own
  meta and status topics, and may subscribe to and receive its own acknowledgement topic;
- **ingest** may subscribe to and receive everything under ``byggpuls/v1/`` (also as a shared
  subscription) and the broker's dropped-message count; it publishes the gateways'
  acknowledgements and the probes with which a worker checks its shared subscription.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from byggpuls import topics
from byggpuls.access.port import Role, TopicRule

INGEST_ROLE: Final = "ingest"
#: Where Mosquitto counts the messages it dropped; ingest watches it.
BROKER_DROPPED_TOPIC: Final = "$SYS/broker/publish/messages/dropped"
#: Ingest's shared-subscription probes go to ``byggpuls/v1/_probe/{client id}``; ``_probe`` is
#: not a valid building id, so no gateway's topic is a probe's.
PROBE_FILTER: Final = f"{topics.PREFIX}/_probe/+"


def partner_role_name(partner: str) -> str:
    """The role of ``partner``'s grants."""
    return f"partner-{partner}"


def gateway_role_name(building: str, gateway: str) -> str:
    """The role of ``gateway`` in ``building``."""
    return f"gateway-{building}-{gateway}"


def partner_role(partner: str, grants: Iterable[tuple[str, str]]) -> Role:
    """The role that lets ``partner`` read the granted ``(building, domain)`` pairs and nothing
    else. Rules come sorted, so that the same grants always make the same role."""
    granted = sorted({topics.telemetry(building, domain) for building, domain in grants})
    rules = [TopicRule(kind, topic) for topic in granted for kind in ("subscribe", "read")]
    return Role(name=partner_role_name(partner), rules=tuple(rules))


def gateway_role(building: str, gateway: str) -> Role:
    """The role of one gateway: its building's telemetry out, its own acknowledgements in."""
    ack = topics.ack(building, gateway)  # checks both ids
    telemetry = f"{topics.PREFIX}/{building}/+"
    return Role(
        name=gateway_role_name(building, gateway),
        rules=(
            TopicRule("publish", telemetry),
            TopicRule("publish", topics.meta(building, gateway)),
            TopicRule("publish", topics.status(building, gateway)),
            TopicRule("subscribe", ack),
            TopicRule("read", ack),
        ),
    )


def ingest_role() -> Role:
    """The role of the ingest workers: read everything, answer the gateways."""
    everything = f"{topics.PREFIX}/#"
    return Role(
        name=INGEST_ROLE,
        rules=(
            TopicRule("subscribe", everything),
            TopicRule("subscribe", f"$share/+/{everything}"),
            TopicRule("read", everything),
            TopicRule("subscribe", BROKER_DROPPED_TOPIC),
            TopicRule("read", BROKER_DROPPED_TOPIC),
            TopicRule("publish", f"{topics.PREFIX}/+/{topics.ACK}/+"),
            TopicRule("publish", PROBE_FILTER),
        ),
    )
