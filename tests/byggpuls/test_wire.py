"""Telemetry, meta and status payloads: what gateways send and ingest accepts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from byggpuls import senml, wire
from byggpuls.errors import ContractError, PayloadError, SenMLError
from byggpuls.reading import BuildingInfo, PointInfo, Reading
from byggpuls.topics import MetaTopic

T0_MS = 1_764_201_600_000


def resolve(point: str, unit: str | None) -> tuple[str, str | None]:
    return ("temperature" if unit == "Cel" else "energy"), ("z1" if point.startswith("z") else None)


def reading(point: str, offset_s: int, value: float, unit: str = "Cel") -> Reading:
    return Reading(
        building="skole-01",
        point=point,
        quantity=resolve(point, unit)[0],
        time_ms=T0_MS + offset_s * 1000,
        value=value,
        unit=unit,
        zone=resolve(point, unit)[1],
    )


def test_telemetry_round_trips_with_gateway_and_sequence() -> None:
    readings = [
        reading("ahu1.supply_air_temp", 0, 18.25),
        reading("z1.temp", 0, 21.5),
        reading("el.energy", 900, 120344.5, unit="kWh"),
    ]
    payload = wire.encode_telemetry(readings, building="skole-01", gateway="gw-1", seq=42)
    decoded = wire.decode_telemetry(payload, building="skole-01", resolve=resolve)
    assert decoded.gateway == "gw-1"
    assert decoded.seq == 42
    assert decoded.readings == readings


def test_the_pack_is_plain_senml_with_the_building_as_base_name() -> None:
    payload = wire.encode_telemetry(
        [reading("ahu1.sat", 0, 18.0)], building="skole-01", gateway="gw-1", seq=7
    )
    pack = json.loads(payload)
    assert pack[0]["bn"] == "skole-01:"
    assert pack[0]["n"] == "ahu1.sat"
    assert (pack[0]["gw"], pack[0]["seq"]) == ("gw-1", 7)
    # Secondary units (kWh, RFC 8798) are announced as feature 4 of RFC 9100.
    assert pack[0]["bver"] == 26


def pack(*records: dict[str, object]) -> bytes:
    return json.dumps(list(records)).encode()


FIRST = {"bn": "skole-01:", "bt": T0_MS / 1000, "gw": "gw-1", "seq": 1}


@pytest.mark.parametrize(
    ("payload", "error", "reason"),
    [
        (b"not json", SenMLError, "not valid JSON"),
        (pack(), SenMLError, "empty pack"),
        (pack({"bn": "skole-01:", "bt": T0_MS / 1000, "n": "p", "v": 1}), PayloadError, "'gw'"),
        (pack({**FIRST, "seq": -1, "n": "p", "v": 1}), PayloadError, "'seq'"),
        (pack({**FIRST, "seq": True, "n": "p", "v": 1}), PayloadError, "'seq'"),
        (pack({**FIRST, "gw": "GW 1", "n": "p", "v": 1}), PayloadError, "'gw'"),
        (pack({**FIRST, "bn": "other:", "n": "p", "v": 1}), PayloadError, "not under 'skole-01:'"),
        (pack({**FIRST, "bt": 0, "t": -5, "n": "p", "v": 1}), PayloadError, "relative"),
        (pack({**FIRST, "n": "p", "vs": "on"}), PayloadError, "no numeric value"),
        (pack({**FIRST, "n": "p", "v": 1, "x_": 1}), SenMLError, "x_"),
        (pack({**FIRST, "seq": 2**53, "n": "p", "v": 1}), PayloadError, "'seq' 9007199254740992"),
        (pack({**FIRST, "n": "p", "u": "C\x00", "v": 1}), SenMLError, r"'u' holds a NUL"),
    ],
)
def test_refuses_packs_that_break_the_contract(
    payload: bytes, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error, match=reason):
        wire.decode_telemetry(payload, building="skole-01", resolve=resolve)


def test_boolean_values_are_stored_as_zero_and_one() -> None:
    payload = pack({**FIRST, "n": "fan.status", "vb": True}, {"n": "fan.alarm", "vb": False})
    decoded = wire.decode_telemetry(payload, building="skole-01", resolve=resolve)
    assert [r.value for r in decoded.readings] == [1.0, 0.0]


def test_refuses_readings_of_another_building_when_encoding() -> None:
    other = Reading(building="b2", point="p", quantity="q", time_ms=T0_MS, value=1.0)
    with pytest.raises(PayloadError, match="'b2'"):
        wire.encode_telemetry([other], building="skole-01", gateway="gw", seq=0)


@given(st.binary(max_size=300))
def test_decoding_any_bytes_gives_telemetry_or_a_contract_error(payload: bytes) -> None:
    try:
        telemetry = wire.decode_telemetry(payload, building="skole-01", resolve=resolve)
    except ContractError as error:
        reason = str(error)
        assert reason, "a refusal must say why"
        return
    assert telemetry.readings


points = st.sampled_from(["ahu1.sat", "z1.temp", "el.energy", "z2.co2", "pump-1.run"])
units = st.sampled_from(["Cel", "kWh", "ppm", "%RH"])
readings = st.builds(
    reading,
    points,
    st.integers(-86_400, 86_400),
    st.floats(allow_nan=False, allow_infinity=False),
    units,
)
fields = st.sampled_from(["n", "u", "t", "v", "vb", "bn", "bt", "bu", "gw", "seq", "x", "x_"])
field_values = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.sampled_from(["p", "skole-01:", "other:", "gw-2", "Cel", "é", -1, 2**28, 1e308])
)


@st.composite
def telemetry_payloads(draw: st.DrawFn) -> bytes:
    """Packs as gateways encode them, some with a few fields dropped, added or changed."""
    pack = draw(st.lists(readings, min_size=1, max_size=10))
    payload = wire.encode_telemetry(
        pack, building="skole-01", gateway="gw-1", seq=draw(st.integers(0, 10**6))
    )
    records = json.loads(payload)
    for _ in range(draw(st.integers(0, 2))):
        record = draw(st.sampled_from(records))
        if draw(st.booleans()):
            record.pop(draw(st.sampled_from(sorted(record))))
        else:
            record[draw(fields)] = draw(field_values)
    return json.dumps(records, allow_nan=True).encode()


def outcome(decode: Callable[..., wire.Telemetry], payload: bytes) -> object:
    try:
        return decode(payload, building="skole-01", resolve=resolve)
    except ContractError as error:
        return type(error), str(error)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(telemetry_payloads())
def test_bulk_decoding_gives_what_record_by_record_decoding_gives(payload: bytes) -> None:
    bulk = outcome(wire.decode_telemetry, payload)
    event("telemetry" if isinstance(bulk, wire.Telemetry) else "refused")
    record_by_record = outcome(wire._telemetry_of_records, payload)
    assert bulk == record_by_record


def test_a_gateway_pack_takes_the_bulk_path() -> None:
    payload = wire.encode_telemetry(
        [reading("z1.temp", 0, 21.5), reading("el.energy", 60, 12.0, unit="kWh")],
        building="skole-01",
        gateway="gw-1",
        seq=3,
    )
    columns = senml.decode_columns(payload)
    assert columns is not None
    assert columns.extra == {"gw": "gw-1", "seq": 3}


BUILDING = BuildingInfo(
    id="skole-01", name="Nordnes skole", type="school", floor_area_m2=4200.0, address="Bergen"
)
POINTS = [
    PointInfo(
        point="z1.temp",
        domain="climate",
        quantity="temperature",
        unit="Cel",
        brick_class="Zone_Air_Temperature_Sensor",
        zone="z1",
        interval_s=60,
    ),
    PointInfo(point="el.energy", domain="energy", quantity="energy", unit="kWh"),
]


def test_meta_round_trips() -> None:
    payload = wire.encode_meta(gateway="gw-1", building=BUILDING, points=POINTS, time_s=1.0)
    meta = wire.decode_meta(payload, topic=MetaTopic("skole-01", "gw-1"))
    assert meta.building_info() == BUILDING
    assert meta.point_infos() == POINTS


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda m: m.update(gateway="gw-2"), "on the topic of skole-01/gw-1"),
        (lambda m: m["points"][0].update(quantity="Temp"), "points.0.quantity"),
        (lambda m: m["points"][0].update(interval_s=0), "points.0.interval_s"),
        (lambda m: m["points"][0].update(interval_s=2**31), "points.0.interval_s: Input should"),
        (lambda m: m["building"].pop("name"), "building.name"),
        (lambda m: m.update(unexpected=1), "unexpected"),
    ],
)
def test_meta_errors_say_where(change: object, reason: str) -> None:
    meta = json.loads(wire.encode_meta(gateway="gw-1", building=BUILDING, points=POINTS, time_s=1))
    change(meta)  # type: ignore[operator]
    with pytest.raises(PayloadError, match=reason):
        wire.decode_meta(json.dumps(meta).encode(), topic=MetaTopic("skole-01", "gw-1"))


def test_status_round_trips_and_the_will_says_offline() -> None:
    status = wire.Status(state="online", time=5.0, spool_depth=10, spool_dropped=2)
    assert wire.decode_status(wire.encode_status(status)) == status
    assert wire.decode_status(wire.OFFLINE).state == "offline"
    with pytest.raises(PayloadError, match="state"):
        wire.decode_status(b'{"state": "sleeping"}')


def test_a_time_beyond_any_clock_is_refused_by_both_paths() -> None:
    payload = (
        b'[{"bn": "skole-01:", "bt": 1764201600, "n": "ahu1.sat", "u": "Cel", "v": 0,'
        b' "gw": "gw-1", "seq": 0, "t": 1.797693134862316e+305},'
        b' {"n": "ahu1.sat", "u": "Cel", "v": 0}]'
    )
    for decode in (wire.decode_telemetry, wire._telemetry_of_records):
        with pytest.raises(PayloadError, match=r"record 0 \(ahu1.sat\): time .* out of range"):
            decode(payload, building="skole-01", resolve=resolve)


SECOND_VALUE = (
    r"record 2 \(z1.temp\): a second value for time 1764201600000 ms, first given in record 0; "
    "a pack holds one value per point and millisecond"
)


@pytest.mark.parametrize(
    "later",
    [
        {"n": "z1.temp", "u": "Cel", "v": 22.0},
        {"n": "z1.temp", "u": "Cel", "v": 21.5, "t": 0.0004},  # the same millisecond
        {"n": "z1.temp", "vb": True},  # the record-by-record path only
    ],
)
def test_two_values_for_one_point_and_time_are_refused_by_both_paths(
    later: dict[str, object],
) -> None:
    payload = pack(
        {**FIRST, "n": "z1.temp", "u": "Cel", "v": 21.5},
        {"n": "el.energy", "u": "kWh", "v": 3.0},
        later,
    )
    for decode in (wire.decode_telemetry, wire._telemetry_of_records):
        with pytest.raises(PayloadError, match=SECOND_VALUE):
            decode(payload, building="skole-01", resolve=resolve)


def test_one_point_at_two_times_and_two_points_at_one_time_are_kept() -> None:
    payload = pack(
        {**FIRST, "n": "z1.temp", "u": "Cel", "v": 21.5},
        {"n": "z1.temp", "u": "Cel", "v": 21.6, "t": 0.001},
        {"n": "el.energy", "u": "kWh", "v": 3.0},
    )
    assert senml.decode_columns(payload) is not None
    telemetry = wire.decode_telemetry(payload, building="skole-01", resolve=resolve)
    assert [(r.point, r.time_ms) for r in telemetry.readings] == [
        ("z1.temp", T0_MS),
        ("z1.temp", T0_MS + 1),
        ("el.energy", T0_MS),
    ]


def test_the_largest_sequence_number_is_json_safe() -> None:
    payload = pack({**FIRST, "seq": wire.SEQUENCE_MAX, "n": "p", "v": 1})
    for decode in (wire.decode_telemetry, wire._telemetry_of_records):
        assert decode(payload, building="skole-01", resolve=resolve).seq == 2**53 - 1


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"state": "online", "spool_depth": 1000000000000000000000000000000}', "spool_depth"),
        (b'{"state": "online", "spool_dropped": 9007199254740992}', "spool_dropped"),
        (b'{"state": "online", "time": 1e300}', "time: Input should be less than or equal"),
        (b'{"state": "online", "time": NaN}', "time: Input should be a finite number"),
        (b'{"state": "online", "time": -1}', "time: Input should be greater than or equal"),
        (b'{"state": "online", "detail": {"why": ["\\u0000"]}}', "detail: .* NUL character"),
    ],
)
def test_a_status_the_registry_cannot_keep_is_refused(payload: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=f"invalid status: {reason}"):
        wire.decode_status(payload)


def test_the_largest_status_the_registry_keeps_is_accepted() -> None:
    payload = (
        b'{"state": "online", "time": 253402300799, '
        b'"spool_depth": 9007199254740991, "spool_dropped": 9007199254740991}'
    )
    status = wire.decode_status(payload)
    assert status.spool_depth == status.spool_dropped == wire.SEQUENCE_MAX


@pytest.mark.parametrize("where", ["building", "point"])
def test_a_nul_in_meta_is_refused(where: str) -> None:
    meta = json.loads(wire.encode_meta(gateway="gw-1", building=BUILDING, points=POINTS, time_s=1))
    if where == "building":
        meta["building"]["name"] = "Nordnes\x00skole"
        reason = "building.name: Value error, holds a NUL character"
    else:
        meta["points"][1]["description"] = "\x00"
        reason = "points.1.description: Value error, holds a NUL character"
    with pytest.raises(PayloadError, match=reason):
        wire.decode_meta(json.dumps(meta).encode(), topic=MetaTopic("skole-01", "gw-1"))


# -- acknowledgements ----------------------------------------------------------------------


def test_sequence_numbers_become_sorted_ranges_that_do_not_touch() -> None:
    assert wire.seq_ranges([8, 5, 1, 2, 3, 7, 3]) == [(1, 3), (5, 5), (7, 8)]
    assert wire.seq_ranges(iter([0])) == [(0, 0)]
    assert wire.seq_ranges([]) == []


def test_an_acknowledgement_is_compact_json_of_ranges() -> None:
    assert wire.encode_ack([1, 2, 3, 7]) == [b'{"seq":[[1,3],[7,7]]}']
    assert wire.decode_ack(b'{"seq": [[1, 3], [7, 7]]}') == [(1, 3), (7, 7)]
    # Nothing to say, no message.
    assert wire.encode_ack([]) == []


def test_a_long_acknowledgement_is_split_at_the_range_limit() -> None:
    # Every other number: one range each.
    seqs = range(0, 2 * (wire.ACK_MAX_RANGES + 1), 2)
    first, second = wire.encode_ack(seqs)
    assert len(wire.decode_ack(first)) == wire.ACK_MAX_RANGES
    assert wire.decode_ack(second) == [(2 * wire.ACK_MAX_RANGES, 2 * wire.ACK_MAX_RANGES)]
    assert len(wire.encode_ack(range(0, 2 * wire.ACK_MAX_RANGES, 2))) == 1


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sets(
        st.integers(0, 3000) | st.integers(wire.SEQUENCE_MAX - 50, wire.SEQUENCE_MAX),
        max_size=2500,
    )
)
def test_acknowledgements_round_trip_to_the_same_sequence_numbers(seqs: set[int]) -> None:
    messages = wire.encode_ack(seqs)
    ranges = [r for message in messages for r in wire.decode_ack(message)]
    assert ranges == wire.seq_ranges(seqs)
    assert {s for first, last in ranges for s in range(first, last + 1)} == seqs
    assert all(len(wire.decode_ack(message)) <= wire.ACK_MAX_RANGES for message in messages)
    # Sorted, and apart: no two ranges could have been one.
    assert all(a[1] + 1 < b[0] for a, b in pairwise(ranges))


def test_the_widest_acknowledgement_is_accepted() -> None:
    payload = json.dumps({"seq": [[0, wire.SEQUENCE_MAX]]}).encode()
    assert wire.decode_ack(payload) == [(0, 2**53 - 1)]
    assert wire.decode_ack(b'{"seq": []}') == []


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        (b'{"seq": [[1, 2]]', "not JSON"),
        (b"[" * 100_000, "not JSON"),
        (b"[[1, 2]]", "must be a list"),
        (b'{"ranges": [[1, 2]]}', "must be a list"),
        (b'{"seq": 1}', "must be a list"),
        (b'{"seq": {"1": 2}}', "must be a list"),
        (b"NaN", "must be a list"),
        (b'{"seq": [[1]]}', "range [1] is not"),
        (b'{"seq": [[1, 2, 3]]}', "range [1, 2, 3] is not"),
        (b'{"seq": [1, 2]}', "range 1 is not"),
        (b'{"seq": [[2, 1]]}', "range [2, 1] is not"),
        (b'{"seq": [[-1, 2]]}', "range [-1, 2] is not"),
        (b'{"seq": [[0, 9007199254740992]]}', "is not"),
        (b'{"seq": [[true, 2]]}', "range [True, 2] is not"),
        (b'{"seq": [[1, false]]}', "is not"),
        (b'{"seq": [[1, 2.0]]}', "is not"),
        (b'{"seq": [["1", 2]]}', "is not"),
        (b'{"seq": [[1, null]]}', "is not"),
        (
            json.dumps({"seq": [[2 * i, 2 * i] for i in range(wire.ACK_MAX_RANGES + 1)]}).encode(),
            f"at most {wire.ACK_MAX_RANGES}",
        ),
    ],
)
def test_a_malformed_acknowledgement_is_refused_saying_why(payload: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match="invalid acknowledgement: .*" + re.escape(reason)):
        wire.decode_ack(payload)


@given(st.binary(max_size=200))
def test_decoding_any_bytes_as_an_acknowledgement_gives_ranges_or_a_payload_error(
    payload: bytes,
) -> None:
    try:
        ranges = wire.decode_ack(payload)
    except PayloadError as error:
        reason = str(error)
        assert reason, "a refusal must say why"
        return
    assert all(0 <= first <= last <= wire.SEQUENCE_MAX for first, last in ranges)


def test_the_origin_of_a_pack_is_its_gateway_and_seq() -> None:
    payload = wire.encode_telemetry(
        [reading("z1.temp", 0, 21.5)], building="skole-01", gateway="gw-1", seq=42
    )
    assert wire.pack_origin(payload) == ("gw-1", 42)
    largest = pack({**FIRST, "seq": wire.SEQUENCE_MAX, "n": "p", "v": 1})
    assert wire.pack_origin(largest) == ("gw-1", wire.SEQUENCE_MAX)


def test_a_pack_the_contract_refuses_still_names_its_origin() -> None:
    # Refused whole (a value that is not a number), yet its first record is readable: its
    # dead letter is acknowledged, so that the gateway stops sending it.
    payload = pack({**FIRST, "n": "p", "v": 1}, {"n": "q", "v": "two"})
    with pytest.raises(ContractError):
        wire.decode_telemetry(payload, building="skole-01", resolve=resolve)
    assert wire.pack_origin(payload) == ("gw-1", 1)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe[]",
        b"[" * 100_000,
        b"{}",
        b'{"gw": "gw-1", "seq": 1}',
        pack(),
        b'["gw-1", 1]',
        pack({"bn": "skole-01:", "n": "p", "v": 1}),
        pack({**FIRST, "gw": "GW 1"}),
        pack({**FIRST, "gw": 1}),
        pack({**FIRST, "seq": None}),
        pack({**FIRST, "seq": "1"}),
        pack({**FIRST, "seq": 1.0}),
        pack({**FIRST, "seq": True}),
        pack({**FIRST, "seq": -1}),
        pack({**FIRST, "seq": wire.SEQUENCE_MAX + 1}),
        # Only the first record names the origin.
        pack({"bn": "skole-01:", "n": "p", "v": 1}, {"gw": "gw-1", "seq": 1, "n": "q", "v": 1}),
    ],
)
def test_a_pack_without_a_readable_gateway_and_seq_has_no_origin(payload: bytes) -> None:
    assert wire.pack_origin(payload) is None
