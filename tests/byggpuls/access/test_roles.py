"""The platform's roles, checked with the in-memory adapter's answers."""

from __future__ import annotations

import pytest

from byggpuls import topics
from byggpuls.access import (
    INGEST_ROLE,
    Client,
    MemoryBrokerAccess,
    Role,
    TopicRule,
    filter_covers,
    gateway_role,
    ingest_role,
    partner_role,
    topic_matches,
)
from byggpuls.errors import TopicError

P = topics.PREFIX


def broker_with(role: Role) -> MemoryBrokerAccess:
    broker = MemoryBrokerAccess()
    broker.ensure_role(role.name, role.rules)
    broker.ensure_client("c", "pw", [role.name])
    return broker


@pytest.mark.parametrize(
    ("topic_filter", "topic", "matches"),
    [
        ("a/b", "a/b", True),
        ("a/+", "a/b", True),
        ("a/+", "a/b/c", False),
        ("a/#", "a", True),
        ("a/#", "a/b/c", True),
        ("+/b", "a/b", True),
        ("#", "$SYS/x", False),
        ("+/x", "$SYS/x", False),
        ("$SYS/#", "$SYS/x", True),
        ("a/b", "a/b/c", False),
    ],
)
def test_topic_matches_follows_mqtt(topic_filter: str, topic: str, matches: bool) -> None:
    assert topic_matches(topic_filter, topic) is matches


@pytest.mark.parametrize(
    ("rule", "topic_filter", "covers"),
    [
        ("a/#", "a/+/c", True),
        ("a/#", "a/#", True),
        ("a/+", "a/#", False),
        ("a/+", "a/+", True),
        ("a/+/c", "a/b/c", True),
        ("a/b", "a/+", False),
        ("#", "$SYS/#", False),
        ("$share/+/a/#", "$share/g/a/+", True),
        ("a/#", "$share/g/a/+", False),
    ],
)
def test_filter_covers_only_what_the_rule_reaches(
    rule: str, topic_filter: str, covers: bool
) -> None:
    assert filter_covers(rule, topic_filter) is covers


def test_a_partner_subscribes_to_exactly_its_grants() -> None:
    broker = broker_with(partner_role("p1", [("b1", "energy"), ("b2", "climate")]))
    for granted in (f"{P}/b1/energy", f"{P}/b2/climate"):
        assert broker.may_subscribe("c", granted)
        assert broker.may_receive("c", granted)
    for outside in (
        f"{P}/b1/climate",
        f"{P}/b3/energy",
        f"{P}/#",
        f"{P}/+/energy",
        f"{P}/b1/+",
        f"{P}/b1/#",
        "#",
        f"$share/g/{P}/b1/energy",
        f"{P}/b1/status/gw1",
    ):
        assert not broker.may_subscribe("c", outside), outside
    assert not broker.may_receive("c", f"{P}/b1/climate")
    assert not broker.may_receive("c", f"{P}/b1/meta/gw1")


def test_a_partner_gets_no_wildcard_even_over_a_whole_building() -> None:
    every_domain = [("b1", domain) for domain in topics.KNOWN_DOMAINS]
    broker = broker_with(partner_role("p1", every_domain))
    assert all(broker.may_subscribe("c", topics.telemetry(b, d)) for b, d in every_domain)
    assert not broker.may_subscribe("c", f"{P}/b1/+")
    assert not broker.may_subscribe("c", f"{P}/b1/#")


def test_a_partner_publishes_nowhere() -> None:
    broker = broker_with(partner_role("p1", [("b1", "energy")]))
    for topic in (f"{P}/b1/energy", f"{P}/b2/energy", topics.ack("b1", "gw1"), "x"):
        assert not broker.may_publish("c", topic)


def test_a_partner_role_is_the_same_for_the_same_grants() -> None:
    one = partner_role("p1", [("b2", "water"), ("b1", "energy"), ("b1", "energy")])
    other = partner_role("p1", [("b1", "energy"), ("b2", "water")])
    assert one == other
    assert one.name == "partner-p1"
    assert [rule.topic for rule in one.rules] == [f"{P}/b1/energy"] * 2 + [f"{P}/b2/water"] * 2
    assert partner_role("p1", []).rules == ()


def test_a_role_refuses_ids_outside_the_topic_grammar() -> None:
    with pytest.raises(TopicError):
        partner_role("p1", [("b1/#", "energy")])
    with pytest.raises(TopicError):
        partner_role("p1", [("b1", "ack")])
    with pytest.raises(TopicError):
        gateway_role("+", "gw1")


def test_a_gateway_publishes_its_own_buildings_topics_only() -> None:
    broker = broker_with(gateway_role("b1", "gw1"))
    for topic in (
        f"{P}/b1/energy",
        f"{P}/b1/hvac",
        topics.meta("b1", "gw1"),
        topics.status("b1", "gw1"),
    ):
        assert broker.may_publish("c", topic), topic
    for topic in (
        f"{P}/b2/energy",
        topics.meta("b2", "gw1"),
        topics.status("b1", "gw2"),
        topics.meta("b1", "gw2"),
        topics.ack("b1", "gw1"),
        f"{P}/b1/energy/extra",
    ):
        assert not broker.may_publish("c", topic), topic


def test_a_gateway_reads_only_its_own_acknowledgements() -> None:
    broker = broker_with(gateway_role("b1", "gw1"))
    assert broker.may_subscribe("c", topics.ack("b1", "gw1"))
    assert broker.may_receive("c", topics.ack("b1", "gw1"))
    for other in (topics.ack("b1", "gw2"), f"{P}/b1/ack/+", f"{P}/b1/energy", f"{P}/#"):
        assert not broker.may_subscribe("c", other), other
    assert not broker.may_receive("c", f"{P}/b1/energy")


def test_ingest_reads_everything_and_publishes_only_acknowledgements_and_probes() -> None:
    broker = broker_with(ingest_role())
    assert ingest_role().name == INGEST_ROLE
    for topic_filter in (
        topics.TELEMETRY_FILTER,
        topics.shared(topics.TELEMETRY_FILTER, "ingest"),
        topics.META_FILTER,
        topics.STATUS_FILTER,
        "$SYS/broker/publish/messages/dropped",
    ):
        assert broker.may_subscribe("c", topic_filter), topic_filter
    assert not broker.may_subscribe("c", "#")
    assert not broker.may_subscribe("c", "$SYS/#")
    assert broker.may_receive("c", f"{P}/b9/energy")
    assert broker.may_receive("c", topics.meta("b9", "gw9"))
    assert broker.may_publish("c", topics.ack("b9", "gw9"))
    assert broker.may_publish("c", f"{P}/_probe/ingest-1")
    assert not broker.may_publish("c", f"{P}/b9/energy")
    assert not broker.may_publish("c", topics.status("b9", "gw9"))


def test_the_first_matching_rule_and_role_decide() -> None:
    broker = MemoryBrokerAccess()
    broker.ensure_role("deny", [TopicRule("subscribe", f"{P}/b1/energy", allow=False)])
    broker.ensure_role("allow", partner_role("x", [("b1", "energy")]).rules)
    broker.ensure_client("first-deny", "pw", ["deny", "allow"])
    broker.ensure_client("first-allow", "pw", ["allow", "deny"])
    assert not broker.may_subscribe("first-deny", f"{P}/b1/energy")
    assert broker.may_subscribe("first-allow", f"{P}/b1/energy")


def test_a_disabled_or_unknown_client_may_do_nothing() -> None:
    broker = broker_with(ingest_role())
    broker.disable_client("c")
    assert not broker.may_receive("c", f"{P}/b1/energy")
    assert not broker.may_connect("c", "pw")
    assert not broker.may_subscribe("nobody", f"{P}/b1/energy")
    broker.enable_client("c")
    assert broker.may_connect("c", "pw")
    assert not broker.may_connect("c", "wrong")
    assert broker.list_clients() == [Client("c", (INGEST_ROLE,))]
