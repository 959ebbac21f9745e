"""The load generator: births describe exactly the points its telemetry sends."""

from __future__ import annotations

from byggpuls import topics, wire
from ingest.decode import Decoder, MetaUpdate, PointCache, TelemetryPack
from sandbox.loadgen import DOMAINS, birth_messages, telemetry_messages


def test_births_announce_every_point_the_telemetry_sends() -> None:
    decoder = Decoder(PointCache())
    births = list(birth_messages(buildings=2, points_per_pack=5))
    assert all(message.retain for message in births)
    for message in births:
        assert isinstance(topics.parse(message.topic), topics.MetaTopic)
        assert isinstance(decoder.decode(message.topic, message.payload), MetaUpdate)
    for message in telemetry_messages(buildings=2, packs_per_building=6, points_per_pack=5):
        pack = decoder.decode(message.topic, message.payload)
        assert isinstance(pack, TelemetryPack)
        # Every point is known from a birth, with the quantity the telemetry carries.
        assert pack.new_points == []
        assert {r.quantity for r in pack.readings} <= {quantity for *_, quantity, _, _ in DOMAINS}


def test_a_birth_is_a_valid_meta_payload() -> None:
    (birth,) = birth_messages(buildings=1, points_per_pack=2, domains=1)
    topic = topics.parse(birth.topic)
    assert isinstance(topic, topics.MetaTopic)
    meta = wire.decode_meta(birth.payload, topic=topic)
    assert meta.gateway == "gw-0000"
    assert [p.point for p in meta.points] == ["el.meter000", "el.meter001"]
