"""The topic grammar: build, parse, and refuse what is not in it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byggpuls import topics
from byggpuls.errors import TopicError
from byggpuls.topics import MetaTopic, StatusTopic, TelemetryTopic

ids = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)


def test_builds_the_three_kinds_of_topic() -> None:
    assert topics.telemetry("skole-01", "energy") == "byggpuls/v1/skole-01/energy"
    assert topics.status("skole-01", "gw-1") == "byggpuls/v1/skole-01/status/gw-1"
    assert topics.meta("skole-01", "gw-1") == "byggpuls/v1/skole-01/meta/gw-1"


def test_shared_subscription_prefixes_the_filter() -> None:
    assert topics.shared(topics.TELEMETRY_FILTER, "ingest") == "$share/ingest/byggpuls/v1/+/+"


@given(building=ids, domain=ids.filter(lambda d: d not in topics.RESERVED_DOMAINS))
def test_telemetry_round_trips(building: str, domain: str) -> None:
    assert topics.parse(topics.telemetry(building, domain)) == TelemetryTopic(building, domain)


@given(building=ids, gateway=ids)
def test_status_and_meta_round_trip(building: str, gateway: str) -> None:
    assert topics.parse(topics.status(building, gateway)) == StatusTopic(building, gateway)
    assert topics.parse(topics.meta(building, gateway)) == MetaTopic(building, gateway)


@pytest.mark.parametrize(
    ("topic", "reason"),
    [
        ("other/v1/b/energy", "not under byggpuls/v1/"),
        ("byggpuls/v2/b/energy", "not under byggpuls/v1/"),
        ("byggpuls/v1/b", "not under byggpuls/v1/"),
        ("byggpuls/v1/B/energy", "invalid building id"),
        ("byggpuls/v1/b/Energy", "invalid domain id"),
        ("byggpuls/v1/b/status", "lacks the gateway id"),
        ("byggpuls/v1/b/meta/gw/extra", "has 6 levels"),
        ("byggpuls/v1/b/energy/x", "has 5 levels"),
        ("byggpuls/v1//energy", "invalid building id"),
        ("byggpuls/v1/b/status/GW", "invalid gateway id"),
    ],
)
def test_refuses_topics_outside_the_grammar(topic: str, reason: str) -> None:
    with pytest.raises(TopicError, match=reason):
        topics.parse(topic)


@pytest.mark.parametrize(("building", "domain"), [("b", "meta"), ("b", "status"), ("b/c", "x")])
def test_refuses_to_build_invalid_topics(building: str, domain: str) -> None:
    with pytest.raises(TopicError):
        topics.telemetry(building, domain)


@given(st.text(max_size=200))
def test_parse_raises_only_topic_errors(topic: str) -> None:
    try:
        parsed = topics.parse(topic)
    except TopicError:
        return
    assert topic.startswith("byggpuls/v1/")
    assert isinstance(parsed, TelemetryTopic | StatusTopic | MetaTopic)
