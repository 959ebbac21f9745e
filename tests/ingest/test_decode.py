"""Decoding messages: every byte string on every topic gives readings or a reasoned rejection."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byggpuls import topics, wire
from byggpuls.errors import ContractError, TopicError
from byggpuls.reading import BuildingInfo, PointInfo, Reading
from ingest.decode import (
    SEQUENCE_JUMP_MAX,
    UNKNOWN_QUANTITY,
    Decoder,
    Ignored,
    MetaUpdate,
    PointCache,
    Rejected,
    StatusUpdate,
    TelemetryPack,
)

TOPIC = "byggpuls/v1/skole-01/climate"
TIME_S = 1_764_201_600


def pack(
    *points: tuple[str, float], unit: str = "Cel", seq: int = 7, building: str = "skole-01"
) -> bytes:
    readings = [
        Reading(
            building=building,
            point=point,
            quantity="temperature",
            time_ms=(TIME_S + i * 60) * 1000,
            value=value,
            unit=unit,
        )
        for i, (point, value) in enumerate(points)
    ]
    return wire.encode_telemetry(readings, building=building, gateway="gw-1", seq=seq)


def meta_payload(points: list[PointInfo], building_type: str = "school") -> bytes:
    return wire.encode_meta(
        gateway="gw-1",
        building=BuildingInfo(id="skole-01", name="Skole", type=building_type),
        points=points,
        time_s=TIME_S,
    )


def test_telemetry_resolves_points_from_meta_and_guesses_the_rest() -> None:
    decoder = Decoder(PointCache())
    meta = meta_payload(
        [
            PointInfo(
                point="r1.temp",
                domain="climate",
                quantity="air_temperature",
                unit="Cel",
                zone="r1",
                interval_s=60,
            )
        ]
    )
    assert isinstance(decoder.decode("byggpuls/v1/skole-01/meta/gw-1", meta), MetaUpdate)

    decoded = decoder.decode(TOPIC, pack(("r1.temp", 21.5), ("r2.co2", 640.0)))

    assert isinstance(decoded, TelemetryPack)
    assert (decoded.gateway, decoded.seq) == ("gw-1", 7)
    first, second = decoded.readings
    assert (first.quantity, first.zone, first.value) == ("air_temperature", "r1", 21.5)
    assert (second.quantity, second.zone) == ("temperature", None)  # from "Cel"
    assert [p.point for p in decoded.new_points] == ["r2.co2"]
    # A point is new once per worker.
    again = decoder.decode(TOPIC, pack(("r2.co2", 650.0)))
    assert isinstance(again, TelemetryPack)
    assert again.new_points == []


def test_points_the_registry_knows_are_not_new() -> None:
    decoder = Decoder(PointCache(lambda building: [("r9.temp", "supply_temperature", "z9")]))
    decoded = decoder.decode(TOPIC, pack(("r9.temp", 19.0)))
    assert isinstance(decoded, TelemetryPack)
    assert decoded.new_points == []
    assert decoded.readings[0].quantity == "supply_temperature"


def test_an_unknown_unit_gives_the_unknown_quantity() -> None:
    decoded = Decoder(PointCache()).decode(TOPIC, pack(("x.y", 1.0), unit="furlongs"))
    assert isinstance(decoded, TelemetryPack)
    assert decoded.readings[0].quantity == UNKNOWN_QUANTITY


def test_a_rejected_pack_introduces_no_point() -> None:
    cache = PointCache()
    decoder = Decoder(cache)
    records = json.loads(pack(("good.point", 1.0), ("other", 2.0)))
    records[1]["v"] = "two"
    assert isinstance(decoder.decode(TOPIC, json.dumps(records).encode()), Rejected)
    assert cache.get("skole-01", "good.point") is None


def _records(payload: bytes) -> list[dict[str, object]]:
    records: list[dict[str, object]] = json.loads(payload)
    return records


def _edit(edit: str) -> bytes:
    records = _records(pack(("r1.temp", 21.5), ("r2.temp", 22.0)))
    if edit == "wrong type":
        records[1]["v"] = "22"
    elif edit == "must-understand":
        records[0]["crit_"] = 1
    elif edit == "relative time":
        records[0]["bt"] = 10
    elif edit == "other building":
        records[0]["bn"] = "barnehage-02:"
    elif edit == "no sequence":
        del records[0]["seq"]
    elif edit == "string value":
        records[1] = {"n": "r2.text", "vs": "on"}
    elif edit == "same point and time":
        records[1] = {"n": "r1.temp", "u": "Cel", "v": 22.0}
    elif edit == "nul in unit":
        records[0]["u"] = "Cel\x00"
    elif edit == "nul in name":
        records[1]["n"] = "r2\x00"
    return json.dumps(records).encode()


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("byggpuls/v1/Skole/climate", pack(("a", 1.0)), "invalid building id"),
        ("byggpuls/v2/skole-01/climate", pack(("a", 1.0)), "not under byggpuls/v1"),
        ("byggpuls/v1/skole-01/status", b"{}", "lacks the gateway id"),
        (TOPIC, b"\xff\xfe[]", "not valid UTF-8"),
        (TOPIC, pack(("a", 1.0))[:-7], "not valid JSON"),
        (TOPIC, b"", "not valid JSON"),
        (TOPIC, b"[]", "empty"),
        (TOPIC, _edit("wrong type"), "must be a number"),
        (TOPIC, _edit("must-understand"), "crit_"),
        (TOPIC, _edit("relative time"), "relative"),
        (TOPIC, _edit("other building"), "not under 'skole-01:'"),
        (TOPIC, _edit("no sequence"), "seq"),
        (TOPIC, _edit("string value"), "no numeric value"),
        (TOPIC, b"[" + b" " * wire.PACK_MAX_BYTES + b"]", "larger than"),
        (
            TOPIC,
            pack(*((f"p{i}", 1.0) for i in range(wire.PACK_MAX_RECORDS + 1))),
            "more than 500",
        ),
        ("byggpuls/v1/skole-01/meta/gw-1", b'{"gateway": 1}', "invalid meta"),
        ("byggpuls/v1/skole-01/meta/gw-1", meta_payload([], "castle"), "building.type"),
        ("byggpuls/v1/skole-01/meta/gw-2", meta_payload([]), "on the topic of"),
        ("byggpuls/v1/skole-01/status/gw-1", b'{"state": "asleep"}', "invalid status"),
        (
            "byggpuls/v1/skole-01/status/gw-1",
            b'{"state": "online", "spool_depth": 1000000000000000000000000000000}',
            "invalid status: spool_depth: Input should be less than or equal to 9007199254740991",
        ),
        (TOPIC, _edit("same point and time"), "record 1 (r1.temp): a second value for time"),
        (TOPIC, _edit("nul in unit"), "record 0: field 'u' holds a NUL character (U+0000)"),
        (TOPIC, _edit("nul in name"), "record 1: name 'skole-01:r2\\x00' is not a SenML name"),
        (TOPIC, pack(("a", 1.0), seq=2**53), "'seq' 9007199254740992 is above 2**53 - 1"),
    ],
)
def test_bad_input_is_rejected_with_a_reason(topic: str, payload: bytes, reason: str) -> None:
    decoded = Decoder(PointCache()).decode(topic, payload)
    assert isinstance(decoded, Rejected)
    assert reason in decoded.reason


def test_rejections_of_meta_and_status_name_the_gateway() -> None:
    decoded = Decoder(PointCache()).decode("byggpuls/v1/skole-01/status/gw-7", b"nonsense")
    assert isinstance(decoded, Rejected)
    assert decoded.gateway == "gw-7"
    # Retained messages are not packs: nothing to acknowledge.
    assert decoded.origin is None


@pytest.mark.parametrize("edit", ["wrong type", "must-understand", "nul in name"])
def test_a_refused_pack_that_names_its_gateway_and_seq_carries_its_origin(edit: str) -> None:
    decoded = Decoder(PointCache()).decode(TOPIC, _edit(edit))
    assert isinstance(decoded, Rejected)
    # The gateway the pack claims, and the building of the topic it came on.
    assert decoded.gateway == "gw-1"
    assert decoded.origin == ("skole-01", "gw-1", 7)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe[]",
        b"[]",
        b'{"gw": "gw-1", "seq": 7}',
        _edit("no sequence"),
        json.dumps([{"bn": "skole-01:", "gw": "GW 1", "seq": 7, "n": "a", "v": 1}]).encode(),
        json.dumps([{"bn": "skole-01:", "gw": "gw-1", "seq": True, "n": "a", "v": 1}]).encode(),
        json.dumps([{"bn": "skole-01:", "gw": "gw-1", "seq": -1, "n": "a", "v": 1}]).encode(),
        pack(("a", 1.0), seq=2**53),
    ],
)
def test_a_refused_pack_without_a_readable_gateway_and_seq_has_no_origin(payload: bytes) -> None:
    decoded = Decoder(PointCache()).decode(TOPIC, payload)
    assert isinstance(decoded, Rejected)
    assert decoded.origin is None
    assert decoded.gateway is None


def test_a_pack_on_an_invalid_topic_has_no_origin() -> None:
    # Nothing to acknowledge it on: its building is not an id.
    decoded = Decoder(PointCache()).decode("byggpuls/v1/Skole/climate", pack(("a", 1.0)))
    assert isinstance(decoded, Rejected)
    assert decoded.origin is None


def test_an_acknowledgement_delivered_to_ingest_is_rejected() -> None:
    decoded = Decoder(PointCache()).decode("byggpuls/v1/skole-01/ack/gw-1", b'{"seq": [[1, 2]]}')
    assert isinstance(decoded, Rejected)
    assert "acknowledgement to a gateway, not input" in decoded.reason
    assert decoded.origin is None


def test_a_cleared_retained_message_is_ignored() -> None:
    decoder = Decoder(PointCache())
    assert isinstance(decoder.decode("byggpuls/v1/skole-01/meta/gw-1", b""), Ignored)
    assert isinstance(decoder.decode("byggpuls/v1/skole-01/status/gw-1", b""), Ignored)


def test_status_is_decoded() -> None:
    payload = wire.encode_status(wire.Status(state="online", spool_depth=12, spool_dropped=0))
    decoded = Decoder(PointCache()).decode("byggpuls/v1/skole-01/status/gw-1", payload)
    assert isinstance(decoded, StatusUpdate)
    assert (decoded.gateway, decoded.status.spool_depth) == ("gw-1", 12)


def test_a_sequence_number_far_ahead_of_the_gateway_is_rejected() -> None:
    decoder = Decoder(PointCache())
    assert isinstance(decoder.decode(TOPIC, pack(("a", 1.0), seq=40)), TelemetryPack)
    jumped = decoder.decode(TOPIC, pack(("a", 2.0), seq=10**12))
    assert jumped == Rejected(
        reason=f"'seq' {10**12} is {10**12 - 40} ahead of 40, the last pack of gw-1; "
        f"more than {SEQUENCE_JUMP_MAX} packs ahead is a fault",
        gateway="gw-1",
        # Kept as a dead letter and acknowledged, so that the gateway stops sending it.
        origin=("skole-01", "gw-1", 10**12),
    )
    # The refused number does not become the reference; the gateway's next pack is taken.
    assert isinstance(decoder.decode(TOPIC, pack(("a", 3.0), seq=41)), TelemetryPack)


def test_the_jump_check_holds_from_the_first_pack_after_a_start() -> None:
    # Seeded with what the registry counted before the worker (re)started.
    decoder = Decoder(PointCache(), counted_seq=lambda: {("skole-01", "gw-1"): 40})
    decoded = decoder.decode(TOPIC, pack(("a", 1.0), seq=10**12))
    assert isinstance(decoded, Rejected)
    assert "ahead of 40" in decoded.reason
    assert isinstance(decoder.decode(TOPIC, pack(("a", 1.0), seq=41)), TelemetryPack)


def test_a_sequence_number_may_run_ahead_up_to_the_bound_and_back() -> None:
    decoder = Decoder(PointCache())
    for seq in (40, 40 + SEQUENCE_JUMP_MAX, 0, SEQUENCE_JUMP_MAX):
        assert isinstance(decoder.decode(TOPIC, pack(("a", 1.0), seq=seq)), TelemetryPack), seq
    # Each gateway of each building has its own reference.
    other = pack(("a", 1.0), seq=10**12, building="hall-01")
    assert isinstance(decoder.decode("byggpuls/v1/hall-01/climate", other), TelemetryPack)


# -- fuzzing ----------------------------------------------------------------------------------

_ids = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,8}", fullmatch=True)
_levels = st.one_of(_ids, st.sampled_from(["status", "meta", "+", "#", "", "Bad", "a/b"]))
_topics = st.one_of(
    st.text(max_size=80),
    st.builds(lambda parts: "/".join(["byggpuls", "v1", *parts]), st.lists(_levels, max_size=4)),
)


@given(_topics)
def test_the_topic_parser_raises_only_topic_errors(topic: str) -> None:
    try:
        parsed = topics.parse(topic)
    except TopicError:
        return
    assert topic.startswith("byggpuls/v1/")
    assert parsed.building in topic


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(topic=_topics, payload=st.binary(max_size=300))
def test_any_bytes_on_any_topic_decode_or_are_rejected(topic: str, payload: bytes) -> None:
    decoder = Decoder(PointCache())
    # Only the typed contract errors may escape the decoding itself ...
    with contextlib.suppress(ContractError):
        decoder._decode(topic, payload)
    # ... and the worker's entry point turns them into rejections.
    decoded = decoder.decode(topic, payload)
    if isinstance(decoded, Rejected):
        assert decoded.reason


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
_labels = st.sampled_from(
    ["bn", "bt", "bu", "bv", "n", "t", "u", "v", "vs", "vb", "s", "gw", "seq", "x_", "bver"]
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.integers(0, 2), _labels, _json_values | st.just(None)), max_size=4),
    cut=st.integers(0, 400),
)
def test_mutated_packs_decode_or_are_rejected(
    edits: list[tuple[int, str, object]], cut: int
) -> None:
    records = _records(pack(("r1.temp", 21.5), ("r2.temp", 22.0), ("r3.temp", 23.0)))
    for index, label, value in edits:
        if value is None:
            records[index].pop(label, None)
        else:
            records[index][label] = value
    payload = json.dumps(records).encode()
    if cut:
        payload = payload[: len(payload) - cut % max(len(payload), 1)]
    decoder = Decoder(PointCache())
    reason = None
    try:
        result = decoder._decode(TOPIC, payload)
    except ContractError as exc:
        reason = str(exc)
    if reason is not None:
        assert reason
        return
    assert isinstance(result, TelemetryPack)
    assert all(r.building == "skole-01" and r.time_ms >= 2**28 * 1000 for r in result.readings)
