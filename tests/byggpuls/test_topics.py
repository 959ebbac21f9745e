"""The topic grammar: build, parse, and refuse what is not in it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from paho.mqtt.client import topic_matches_sub

from byggpuls import topics
from byggpuls.errors import TopicError
from byggpuls.topics import AckTopic, MetaTopic, StatusTopic, TelemetryTopic

ids = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)


def test_builds_the_four_kinds_of_topic() -> None:
    assert topics.telemetry("skole-01", "energy") == "byggpuls/v1/skole-01/energy"
    assert topics.status("skole-01", "gw-1") == "byggpuls/v1/skole-01/status/gw-1"
    assert topics.meta("skole-01", "gw-1") == "byggpuls/v1/skole-01/meta/gw-1"
    assert topics.ack("skole-01", "gw-1") == "byggpuls/v1/skole-01/ack/gw-1"


def test_an_acknowledgement_topic_parses_as_one() -> None:
    assert topics.parse("byggpuls/v1/skole-01/ack/gw-1") == AckTopic("skole-01", "gw-1")


def test_the_telemetry_filter_does_not_take_acknowledgements() -> None:
    # Ingest subscribes to telemetry; the acknowledgements it sends must not come back to it.
    assert topic_matches_sub(topics.TELEMETRY_FILTER, topics.telemetry("b", "energy"))
    assert not topic_matches_sub(topics.TELEMETRY_FILTER, topics.ack("b", "gw"))


def test_shared_subscription_prefixes_the_filter() -> None:
    assert topics.shared(topics.TELEMETRY_FILTER, "ingest") == "$share/ingest/byggpuls/v1/+/+"


@given(building=ids, domain=ids.filter(lambda d: d not in topics.RESERVED_DOMAINS))
def test_telemetry_round_trips(building: str, domain: str) -> None:
    assert topics.parse(topics.telemetry(building, domain)) == TelemetryTopic(building, domain)


@given(building=ids, gateway=ids)
def test_status_meta_and_ack_round_trip(building: str, gateway: str) -> None:
    assert topics.parse(topics.status(building, gateway)) == StatusTopic(building, gateway)
    assert topics.parse(topics.meta(building, gateway)) == MetaTopic(building, gateway)
    assert topics.parse(topics.ack(building, gateway)) == AckTopic(building, gateway)


@pytest.mark.parametrize(
    ("topic", "reason"),
    [
        ("other/v1/b/energy", "not under byggpuls/v1/"),
        ("byggpuls/v2/b/energy", "not under byggpuls/v1/"),
        ("byggpuls/v1/b", "not under byggpuls/v1/"),
        ("byggpuls/v1/B/energy", "invalid building id"),
        ("byggpuls/v1/b/Energy", "invalid domain id"),
        ("byggpuls/v1/b/status", "lacks the gateway id"),
        ("byggpuls/v1/b/ack", "lacks the gateway id after 'ack'"),
        ("byggpuls/v1/b/ack/GW", "invalid gateway id"),
        ("byggpuls/v1/b/ack/gw/extra", "has 6 levels"),
        ("byggpuls/v1/b/meta/gw/extra", "has 6 levels"),
        ("byggpuls/v1/b/energy/x", "has 5 levels"),
        ("byggpuls/v1//energy", "invalid building id"),
        ("byggpuls/v1/b/status/GW", "invalid gateway id"),
    ],
)
def test_refuses_topics_outside_the_grammar(topic: str, reason: str) -> None:
    with pytest.raises(TopicError, match=reason):
        topics.parse(topic)


@pytest.mark.parametrize(
    ("building", "domain"), [("b", "meta"), ("b", "status"), ("b", "ack"), ("b/c", "x")]
)
def test_refuses_to_build_invalid_topics(building: str, domain: str) -> None:
    with pytest.raises(TopicError):
        topics.telemetry(building, domain)


def test_ack_is_reserved_not_a_domain() -> None:
    assert "ack" in topics.RESERVED_DOMAINS
    with pytest.raises(TopicError):
        topics.telemetry("b", "ack")


@pytest.mark.parametrize(("building", "gateway"), [("B", "gw"), ("b", "gw/1"), ("b", "")])
def test_refuses_to_build_invalid_ack_topics(building: str, gateway: str) -> None:
    with pytest.raises(TopicError):
        topics.ack(building, gateway)


@given(st.text(max_size=200))
def test_parse_raises_only_topic_errors(topic: str) -> None:
    try:
        parsed = topics.parse(topic)
    except TopicError:
        return
    assert topic.startswith("byggpuls/v1/")
    assert isinstance(parsed, TelemetryTopic | StatusTopic | MetaTopic | AckTopic)
