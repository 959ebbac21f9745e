"""Broker access control: the broker itself enforces who may publish and subscribe where.

- :mod:`byggpuls.access.port`: :class:`BrokerAccess`, the port; the desired state
  (:class:`AccessState` of :class:`Role` and :class:`Client`); :func:`reconcile`;
- :mod:`byggpuls.access.roles`: the roles of partners, gateways and ingest, from the topic
  grammar;
- :mod:`byggpuls.access.memory`: :class:`MemoryBrokerAccess`, in memory, which also answers
  what a broker would allow;
- :mod:`byggpuls.access.mosquitto`: :class:`MosquittoDynsec`, Mosquitto's dynamic-security
  plugin driven over ``$CONTROL``;
- :mod:`byggpuls.access.errors`: what goes wrong.
"""

from byggpuls.access.errors import AccessError, BrokerRefused, BrokerUnavailable
from byggpuls.access.memory import MemoryBrokerAccess, filter_covers, topic_matches
from byggpuls.access.mosquitto import MosquittoDynsec
from byggpuls.access.port import (
    AccessState,
    BrokerAccess,
    Changes,
    Client,
    Role,
    RuleKind,
    TopicRule,
    reconcile,
)
from byggpuls.access.roles import (
    INGEST_ROLE,
    gateway_role,
    gateway_role_name,
    ingest_role,
    partner_role,
    partner_role_name,
)

__all__ = [
    "INGEST_ROLE",
    "AccessError",
    "AccessState",
    "BrokerAccess",
    "BrokerRefused",
    "BrokerUnavailable",
    "Changes",
    "Client",
    "MemoryBrokerAccess",
    "MosquittoDynsec",
    "Role",
    "RuleKind",
    "TopicRule",
    "filter_covers",
    "gateway_role",
    "gateway_role_name",
    "ingest_role",
    "partner_role",
    "partner_role_name",
    "reconcile",
    "topic_matches",
]
