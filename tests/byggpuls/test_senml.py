"""The SenML codec against RFC 8428: its examples, every rejection rule, round-trip properties."""

from __future__ import annotations

import base64
import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from byggpuls import errors
from byggpuls.senml import Columns, Record, SenMLError, decode_columns, decode_pack, encode_pack

VECTORS = json.loads((Path(__file__).parent / "senml_vectors.json").read_text("utf-8"))
NOW = VECTORS["now"]
LIMIT = 2**28

# Shared machines are slow at times; a deadline would make the properties flaky, not stricter.
PROPERTIES = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def payload_of(vector: dict[str, Any]) -> str:
    return "\n".join(vector["payload"])


def resolved(obj: dict[str, Any]) -> Record:
    """A record in the RFC's resolved JSON form (section 5.1.4) as a Record."""
    return Record(
        name=obj["n"],
        time=obj["t"],
        value=obj.get("v"),
        string_value=obj.get("vs"),
        bool_value=obj.get("vb"),
        data_value=obj.get("vd"),
        sum=obj.get("s"),
        unit=obj.get("u"),
        update_time=obj.get("ut"),
    )


def one(payload: str | bytes, *, now: float = NOW) -> Record:
    (record,) = decode_pack(payload, now=now)
    return record


def reject(payload: str | bytes) -> str:
    with pytest.raises(SenMLError) as caught:
        decode_pack(payload, now=NOW)
    return str(caught.value)


# -- the RFC's examples -------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda vector: vector["name"])
def test_rfc_example_resolves_as_the_rfc_says(vector: dict[str, Any]) -> None:
    records = decode_pack(payload_of(vector).encode("utf-8"), now=NOW)
    expected = [resolved(obj) for obj in vector["resolved"]]
    assert records == expected
    # == on floats is exact; the times must be the very doubles the RFC's numbers denote.
    assert [record.time for record in records] == [float(obj["t"]) for obj in vector["resolved"]]


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda vector: vector["name"])
def test_rfc_example_survives_a_round_trip(vector: dict[str, Any]) -> None:
    records = decode_pack(payload_of(vector), now=NOW)
    first = records[0]
    assert decode_pack(encode_pack(records)) == records
    shortened = encode_pack(
        records, base_name=first.name[:10], base_time=first.time, base_unit=first.unit
    )
    assert decode_pack(shortened) == records


def test_resolved_example_reads_back_as_itself() -> None:
    (vector,) = [v for v in VECTORS["valid"] if v["name"].startswith("5.1.3")]
    resolved_pack = json.dumps(vector["resolved"])
    assert decode_pack(resolved_pack, now=NOW) == decode_pack(payload_of(vector), now=NOW)


# -- what decoding accepts ----------------------------------------------------------------------


def test_error_is_the_shared_contract_error() -> None:
    assert SenMLError is errors.SenMLError
    assert issubclass(SenMLError, errors.ContractError)


def test_unknown_fields_are_kept_on_their_own_record() -> None:
    records = decode_pack(
        '[{"bn":"b1:","n":"t1","v":20.5,"gw":"gw-1","seq":42,"bct":"x","on":true,"k":0.5},'
        '{"n":"t2","v":21}]',
        now=NOW,
    )
    assert records[0].extra == {"gw": "gw-1", "seq": 42, "bct": "x", "on": True, "k": 0.5}
    assert type(records[0].extra["seq"]) is int
    assert records[1].extra == {}


def test_base_fields_hold_until_changed() -> None:
    records = decode_pack(
        '[{"bn":"a:","bt":1500000000,"bu":"W","bv":100,"bs":1000,"n":"p","v":1,"s":5},'
        '{"n":"q","v":2},'
        '{"bn":"b:","bu":"Cel","bv":10,"n":"r","t":60,"v":3,"u":"K"},'
        '{"bs":0,"bt":1600000000,"n":"s","vs":"on"}]',
        now=NOW,
    )
    assert records == [
        Record("a:p", 1500000000.0, value=101.0, sum=1005.0, unit="W"),
        Record("a:q", 1500000000.0, value=102.0, sum=1000.0, unit="W"),
        Record("b:r", 1500000060.0, value=13.0, sum=1000.0, unit="K"),
        Record("b:s", 1600000000.0, string_value="on", sum=0.0, unit="Cel"),
    ]


def test_base_value_applies_to_v_only() -> None:
    records = decode_pack(
        '[{"bn":"x:","bv":5,"n":"a","v":1},{"n":"b","vs":"s"},{"n":"c","vb":true},'
        '{"n":"d","vd":"aGk"}]',
        now=NOW,
    )
    assert [r.value for r in records] == [6.0, None, None, None]


def test_sum_without_value_is_a_record() -> None:
    record = one('[{"n":"energy","u":"J","s":3600000,"t":1500000000}]')
    assert record == Record("energy", 1500000000.0, sum=3600000.0, unit="J")


def test_only_the_concatenated_name_must_start_with_a_letter_or_digit() -> None:
    assert one('[{"bn":"urn:dev:ow:10e2073a01080063","n":"-1","v":1}]').name == (
        "urn:dev:ow:10e2073a01080063-1"
    )
    assert one('[{"bn":"a/b:","n":"_c.d","v":1}]').name == "a/b:_c.d"


def test_a_record_of_base_fields_only_sets_context_and_resolves_to_nothing() -> None:
    assert decode_pack('[{"bn":"a:","bt":1500000000,"bu":"W","bver":10}]', now=NOW) == []
    records = decode_pack('[{"bn":"a:"},{"bt":-10},{"n":"x","v":1}]', now=NOW)
    assert records == [Record("a:x", NOW - 10, value=1.0)]


@pytest.mark.parametrize(
    ("time_field", "expected_s"),
    [
        ("", NOW),
        ('"t":0,', NOW),
        ('"t":-5.5,', NOW - 5.5),
        ('"t":3600,', NOW + 3600),
        ('"bt":-60,"t":10,', NOW - 50),
        ('"t":268435455.5,', NOW + 268435455.5),
        ('"t":268435456,', 268435456.0),
        ('"bt":268435000,"t":456,', 268435456.0),
        ('"bt":1500000000,"t":-1499999990,', NOW + 10),
        ('"t":1700000000.123456,', 1700000000.123456),
    ],
)
def test_time_below_2_28_is_relative_to_now(time_field: str, expected_s: float) -> None:
    assert one(f'[{{"n":"a",{time_field}"v":1}}]').time == expected_s


def test_now_defaults_to_the_clock() -> None:
    before = time.time()
    (record,) = decode_pack(b'[{"n":"a","v":1,"t":-1}]')
    after = time.time()
    assert before - 1 <= record.time <= after - 1


def test_now_must_be_finite() -> None:
    with pytest.raises(ValueError, match="finite"):
        decode_pack(b'[{"n":"a","v":1}]', now=math.nan)


@pytest.mark.parametrize("version", range(1, 10))
def test_draft_versions_below_10_read_as_rfc_8428(version: int) -> None:
    payload = f'[{{"bver":{version},"n":"a","u":"kWh","v":1}},{{"bver":{version},"n":"b","v":2}}]'
    assert decode_pack(payload, now=NOW) == [
        Record("a", NOW, value=1.0, unit="kWh"),
        Record("b", NOW, value=2.0),
    ]


@pytest.mark.parametrize("version", ["10", "26", "10.0", "1e1"])
def test_supported_versions_are_accepted(version: str) -> None:
    payload = f'[{{"bver":{version},"n":"a","u":"kWh","v":1}},{{"bver":{version},"n":"b","v":2}}]'
    assert [r.name for r in decode_pack(payload, now=NOW)] == ["a", "b"]


def test_payload_may_be_str_bytes_bytearray_or_memoryview() -> None:
    text = '[{"n":"a","vs":"grøn"}]'
    expected = [Record("a", NOW, string_value="grøn")]
    data = text.encode("utf-8")
    for payload in (text, data, bytearray(data), memoryview(data)):
        assert decode_pack(payload, now=NOW) == expected  # type: ignore[arg-type]


def test_payload_of_another_type_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        decode_pack(42, now=NOW)  # type: ignore[arg-type]


def test_values_of_every_kind() -> None:
    records = decode_pack(
        '[{"bn":"d:","n":"v","v":-0.0},{"n":"i","v":7},{"n":"vs","vs":""},'
        '{"n":"vb","vb":false},{"n":"vd","vd":""},{"n":"ut","v":1,"ut":300}]',
        now=NOW,
    )
    assert [(r.value, r.string_value, r.bool_value, r.data_value) for r in records] == [
        (0.0, None, None, None),
        (7.0, None, None, None),
        (None, "", None, None),
        (None, None, False, None),
        (None, None, None, ""),
        (1.0, None, None, None),
    ]
    assert records[0].value is not None
    assert math.copysign(1.0, records[0].value) == -1.0
    assert type(records[1].value) is float
    assert records[5].update_time == 300.0


# -- what decoding rejects, and why -------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        # The pack's shape.
        ('{"n":"a","v":1}', "a SenML pack is a JSON array of records, got object"),
        ("[]", "empty pack"),
        ('[{"n":"a","v":1},[]]', "record 1: must be a JSON object, got array"),
        ('[{"n":"a","v":1},"x"]', "record 1: must be a JSON object, got string"),
        ("[null]", "record 0: must be a JSON object, got null"),
        # JSON itself.
        ('[{"n":"a","v":1}', "payload is not valid JSON"),
        ('[{"n":"a","v":1}] x', "payload is not valid JSON"),
        ("", "payload is not valid JSON"),
        ('\ufeff[{"n":"a","v":1}]', "payload is not valid JSON"),
        ('[{"n":"a","v":NaN}]', "NaN is not a number"),
        ('[{"n":"a","v":Infinity}]', "Infinity is not a number"),
        ('[{"n":"a","v":-Infinity}]', "-Infinity is not a number"),
        ('[{"n":"a","v":1e400}]', "record 0: field 'v' is beyond the IEEE double range"),
        ('[{"n":"a","v":-1e400}]', "record 0: field 'v' is beyond the IEEE double range"),
        (f'[{{"n":"a","v":{10**400}}}]', "record 0: field 'v' is beyond the IEEE double range"),
        (f'[{{"n":"a","v":{"9" * 5000}}}]', "payload is not valid JSON"),
        ("[" * 100_000, "too deeply"),
        ('[{"n":"a","v":1},{"n":"b","v":1,"v":2}]', "record 1: duplicate key 'v'"),
        ('[{"n":"a","n":"a","v":1}]', "record 0: duplicate key 'n'"),
        ('[{"n":"a","v":1,"x":1,"x":1},', "duplicate key"),
        # Types of the known fields; JSON booleans are not numbers.
        *[
            (f'[{{"n":"a","v":1,"{label}":true}}]'.replace(',"v":1,"v"', ',"v"'), message)
            for label, message in [
                ("v", "record 0: field 'v' must be a number, got boolean"),
                ("t", "record 0: field 't' must be a number, got boolean"),
                ("s", "record 0: field 's' must be a number, got boolean"),
                ("ut", "record 0: field 'ut' must be a number, got boolean"),
                ("bt", "record 0: field 'bt' must be a number, got boolean"),
                ("bv", "record 0: field 'bv' must be a number, got boolean"),
                ("bs", "record 0: field 'bs' must be a number, got boolean"),
            ]
        ],
        ('[{"n":"a","v":"21.5"}]', "record 0: field 'v' must be a number, got string"),
        ('[{"n":"a","v":null}]', "record 0: field 'v' must be a number, got null"),
        ('[{"n":"a","t":"2024-01-01","v":1}]', "field 't' must be a number, got string"),
        ('[{"n":"a","v":1,"ut":[1]}]', "field 'ut' must be a number, got array"),
        ('[{"n":5,"v":1}]', "record 0: field 'n' must be a string, got number"),
        ('[{"bn":1,"n":"a","v":1}]', "record 0: field 'bn' must be a string, got number"),
        ('[{"n":"a","u":1,"v":1}]', "record 0: field 'u' must be a string, got number"),
        ('[{"n":"a","bu":null,"v":1}]', "record 0: field 'bu' must be a string, got null"),
        ('[{"n":"a","vs":1}]', "record 0: field 'vs' must be a string, got number"),
        ('[{"n":"a","vd":true}]', "record 0: field 'vd' must be a string, got boolean"),
        ('[{"n":"a","vb":1}]', "record 0: field 'vb' must be a boolean, got number"),
        ('[{"n":"a","vb":"true"}]', "record 0: field 'vb' must be a boolean, got string"),
        ('[{"n":"a","vd":"aGk="}]', "record 0: field 'vd' must be base64url without padding"),
        ('[{"n":"a","vd":"a+b/"}]', "record 0: field 'vd' must be base64url without padding"),
        ('[{"n":"a","vd":"abcde"}]', "record 0: field 'vd' must be base64url without padding"),
        ('[{"n":"a","vs":"\\ud800"}]', "record 0: field 'vs' holds a lone surrogate"),
        ('[{"n":"a","u":"\\udfff","v":1}]', "record 0: field 'u' holds a lone surrogate"),
        ('[{"n":"a","v":1,"gw":"\\ud800"}]', "record 0: field 'gw' holds a lone surrogate"),
        # Names.
        ('[{"v":1}]', "record 0: has no name"),
        ('[{"n":"","v":1}]', "record 0: name '' is not a SenML name"),
        ('[{"bn":"","n":"","v":1}]', "record 0: name '' is not a SenML name"),
        ('[{"n":"-a","v":1}]', "record 0: name '-a' is not a SenML name"),
        ('[{"n":"_a","v":1}]', "record 0: name '_a' is not a SenML name"),
        ('[{"n":"a b","v":1}]', "record 0: name 'a b' is not a SenML name"),
        ('[{"n":"temp°","v":1}]', "record 0: name 'temp°' is not a SenML name"),
        ('[{"n":"a#1","v":1}]', "record 0: name 'a#1' is not a SenML name"),
        ('[{"bn":"x:","n":"a","v":1},{"n":"b c","v":1}]', "record 1: name 'x:b c'"),
        ('[{"bn":":x","n":"a","v":1}]', "record 0: base name ':x' is not a SenML name"),
        # Values.
        ('[{"n":"a"}]', "record 0: needs exactly one value field (v, vs, vb, vd) unless"),
        ('[{"n":"a","u":"W","t":1}]', "it has none"),
        ('[{"n":"a","v":1,"vs":"x"}]', "record 0: needs exactly one value field"),
        ('[{"n":"a","v":1,"vb":true,"vd":"aGk"}]', "it has v, vb, vd"),
        ('[{"n":"a","v":1,"vs":"x","s":1}]', "it has v, vs"),
        ('[{"bn":"b:","bs":5},{"n":"a"}]', "record 1: needs exactly one value field"),
        # Resolved numbers must stay finite.
        ('[{"bt":1e308,"n":"a","t":1e308,"v":1}]', "record 0: time bt + t is beyond the IEEE"),
        ('[{"bv":1e308,"n":"a","v":1e308}]', "record 0: value bv + v is beyond the IEEE"),
        ('[{"bs":-1e308,"n":"a","s":-1e308}]', "record 0: sum bs + s is beyond the IEEE"),
        ('[{"bt":1e400,"n":"a","v":1}]', "record 0: field 'bt' is beyond the IEEE"),
        ('[{"n":"a","v":1,"seq":1e999}]', "record 0: field 'seq' is beyond the IEEE"),
        # Must-understand and unknown fields.
        ('[{"n":"a","v":1,"crit_":1}]', "record 0: field 'crit_' must be understood"),
        ('[{"n":"a","v":1},{"n":"b","v":1},{"n":"c","v":1,"v_":2}]', "record 2: field 'v_'"),
        ('[{"bn":"a:","bx_":1},{"n":"b","v":1}]', "record 0: field 'bx_' must be understood"),
        ('[{"n":"a","v":1,"my key":1}]', "record 0: 'my key' is not a SenML label"),
        ('[{"n":"a","v":1,"":1}]', "record 0: '' is not a SenML label"),
        ('[{"n":"a","v":1,"b":1}]', "record 0: 'b' is not a SenML label"),
        ('[{"n":"a","v":1,"-x":1}]', "record 0: '-x' is not a SenML label"),
        ('[{"n":"a","v":1,"gw":null}]', "field 'gw' must be a string, number or boolean, got null"),
        ('[{"n":"a","v":1,"pos":[1,2]}]', "field 'pos' must be a string, number or boolean, got"),
        ('[{"n":"a","v":1,"meta":{"a":1}}]', "must be a string, number or boolean, got object"),
        # Versions (RFC 8428 section 4.4 and RFC 9100).
        ('[{"bver":16,"n":"a","v":1}]', "unsupported SenML version bver=16: it lacks the"),
        ('[{"bver":12,"n":"a","v":1}]', "bver=12: it sets feature bits [2] that this codec"),
        ('[{"bver":5,"n":"a","v":1},{"bver":10,"n":"b","v":1}]', "record 1: bver=10 differs"),
        ('[{"n":"a","v":1},{"bver":5,"n":"b","v":1}]', "record 1: bver=5 differs from version"),
        ('[{"n":"a","u":"C\\u0000","v":1}]', "record 0: field 'u' holds a NUL character"),
        ('[{"bn":"a:","bu":"\\u0000","n":"b","v":1}]', "record 0: field 'bu' holds a NUL"),
        ('[{"n":"a","vs":"o\\u0000n"}]', "record 0: field 'vs' holds a NUL character (U+0000)"),
        ('[{"n":"a","v":1,"gw":"\\u0000"}]', "record 0: field 'gw' holds a NUL character"),
        ('[{"n":"a\\u0000b","v":1}]', "record 0: name 'a\\x00b' is not a SenML name"),
        ('[{"bver":42,"n":"a","v":1}]', "bver=42: it sets feature bits [5] that this codec"),
        ('[{"bver":11,"n":"a","v":1}]', "bver=11: it sets feature bits [0]"),
        ('[{"bver":0,"n":"a","v":1}]', "field 'bver' must be a positive integer"),
        ('[{"bver":-10,"n":"a","v":1}]', "field 'bver' must be a positive integer"),
        ('[{"bver":10.5,"n":"a","v":1}]', "field 'bver' must be a positive integer"),
        ('[{"bver":"10","n":"a","v":1}]', "field 'bver' must be a positive integer"),
        ('[{"bver":true,"n":"a","v":1}]', "field 'bver' must be a positive integer"),
        (f'[{{"bver":{2**53 + 10},"n":"a","v":1}}]', "must be a positive integer below 2**53"),
        ('[{"n":"a","v":1},{"bver":26,"n":"b","v":1}]', "record 1: bver=26 differs from version"),
        ('[{"bver":26,"n":"a","v":1},{"bver":10,"n":"b","v":1}]', "record 1: bver=10 differs"),
    ],
)
def test_invalid_pack_is_rejected_with_the_reason(payload: str, reason: str) -> None:
    assert reason in reject(payload)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe[]", "payload is not valid UTF-8 (byte 0)"),
        (b'[{"n":"a","vs":"\xc3"}]', "payload is not valid UTF-8 (byte 16)"),
        ('[{"n":"a","v":1}]'.encode("utf-16"), "payload is not valid UTF-8"),
        (b'[{"n":"a","vs":"\xed\xa0\x80"}]', "payload is not valid UTF-8"),
    ],
)
def test_invalid_utf8_is_rejected(payload: bytes, reason: str) -> None:
    assert reason in reject(payload)


def test_must_understand_field_rejects_the_whole_pack_even_after_good_records() -> None:
    good = ",".join(f'{{"n":"p{i}","v":{i}}}' for i in range(5))
    assert "record 5" in reject(f'[{good},{{"n":"x","v":1,"new_":true}}]')


# -- encoding -----------------------------------------------------------------------------------

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def test_encoding_is_compact_and_uses_the_bases() -> None:
    records = [
        Record("b1:ahu1.supply_air_temp", T0 + 52.577, value=19.5, unit="Cel", extra={"seq": 7}),
        Record("b1:ahu1.co2", T0, value=612.0, unit="ppm"),
        Record("b1:ahu1.alarm", T0 + 0.001, bool_value=False, unit="Cel"),
    ]
    payload = encode_pack(records, base_name="b1:ahu1.", base_time=T0, base_unit="Cel")
    assert payload == (
        b'[{"bn":"b1:ahu1.","bt":1767225600,"bu":"Cel","n":"supply_air_temp","t":52.577,'
        b'"v":19.5,"seq":7},{"n":"co2","u":"ppm","v":612},{"n":"alarm","t":0.001,"vb":false}]'
    )
    assert decode_pack(payload) == records


def test_encoding_without_bases_writes_absolute_times() -> None:
    records = [Record("a", T0 + 0.5, string_value="ø", sum=-0.0, update_time=60.0)]
    payload = encode_pack(records)
    assert payload == '[{"n":"a","t":1767225600.5,"vs":"ø","s":-0.0,"ut":60}]'.encode()
    (back,) = decode_pack(payload)
    assert back == records[0]
    assert back.sum is not None
    assert math.copysign(1.0, back.sum) == -1.0


def test_version_is_written_when_it_is_not_the_default() -> None:
    records = [
        Record("b1:el.energy", T0, value=120344.5, unit="kWh"),
        Record("b1:el.power", T0, value=5.0, unit="kW"),
    ]
    assert b"bver" not in encode_pack(records, version=10)
    payload = encode_pack(records, base_name="b1:", version=26)
    assert payload.startswith(b'[{"bver":26,"bn":"b1:",')
    assert payload.count(b"bver") == 1
    assert decode_pack(payload) == records


@pytest.mark.parametrize("version", [5, 42, 0, True])
def test_unsupported_version_is_not_written(version: int) -> None:
    with pytest.raises(SenMLError, match="bver"):
        encode_pack([Record("a", T0, value=1.0)], version=version)


def test_names_outside_the_base_name_reset_it() -> None:
    records = [
        Record("site:a", T0, value=1.0),
        Record("other", T0, value=2.0),
        Record("site:b", T0, value=3.0),
        Record("site:", T0, value=4.0),
    ]
    payload = encode_pack(records, base_name="site:")
    assert b'"bn":""' in payload
    assert payload.count(b'"bn":"site:"') == 2
    assert decode_pack(payload) == records


def test_base_unit_starts_after_the_last_record_without_unit() -> None:
    records = [
        Record("a", T0, value=1.0, unit="W"),
        Record("b", T0, value=2.0),
        Record("c", T0, value=3.0, unit="W"),
        Record("d", T0, value=4.0, unit="J"),
        Record("e", T0, value=5.0, unit="W"),
    ]
    payload = encode_pack(records, base_unit="W")
    objects = json.loads(payload)
    assert [obj.get("bu") for obj in objects] == [None, None, "W", None, None]
    assert [obj.get("u") for obj in objects] == ["W", None, None, "J", None]
    assert decode_pack(payload) == records


def test_base_time_that_cannot_give_a_time_back_exactly_is_not_used_for_it() -> None:
    # 1e300 + (t - 1e300) is 0, not t: those records carry their own base time instead.
    records = [Record("a", T0, value=1.0), Record("b", T0 + 1.25, value=2.0)]
    payload = encode_pack(records, base_time=1e300)
    objects = json.loads(payload)
    assert objects[0]["bt"] == T0
    assert "t" not in objects[0]
    assert objects[1]["t"] == 1.25
    assert decode_pack(payload) == records


def test_odd_base_times_still_round_trip_exactly() -> None:
    times = [T0 + 0.1, 268435456.0, 4102444800.123, 1e15 + 0.5, T0 - 1e-6]
    records = [Record(f"p{i}", t, value=float(i)) for i, t in enumerate(times)]
    for base_time in (0.1, 1.0, T0 + 0.3, -1e9, 5e-324, 1.7976931348623157e308, 268435455.9):
        back = decode_pack(encode_pack(records, base_time=base_time))
        assert [r.time for r in back] == times


def test_times_keep_every_bit() -> None:
    time_s = math.nextafter(T0, math.inf)
    records = [Record("a", time_s, value=1.0), Record("b", T0, value=1.0)]
    for base_time in (None, T0, time_s):
        back = decode_pack(encode_pack(records, base_time=base_time))
        assert [r.time for r in back] == [time_s, T0]


@pytest.mark.parametrize(
    ("records", "options", "reason"),
    [
        ([], {}, "cannot encode an empty pack"),
        ([Record("a", 1000.0, value=1.0)], {}, "record 0: time 1000.0 is below 2**28"),
        ([Record("a", math.inf, value=1.0)], {}, "record 0: time is beyond the IEEE double"),
        ([Record("a", T0, value=math.nan)], {}, "record 0: value is beyond the IEEE double"),
        ([Record("a", T0, value=True)], {}, "record 0: value must be a number, got boolean"),
        ([Record("a", T0, sum=math.inf)], {}, "record 0: sum is beyond"),
        ([Record("a", T0, value=1.0, update_time=math.nan)], {}, "update_time is beyond"),
        ([Record("a", T0)], {}, "record 0: needs exactly one value, or none and a sum; has 0"),
        ([Record("a", T0, value=1.0, string_value="x")], {}, "needs exactly one value"),
        ([Record("-a", T0, value=1.0)], {}, "record 0: name '-a' is not a SenML name"),
        ([Record("", T0, value=1.0)], {}, "record 0: name '' is not a SenML name"),
        ([Record("a", T0, data_value="aGk=")], {}, "data_value must be base64url"),
        ([Record("a", T0, bool_value=1)], {}, "bool_value must be a bool"),  # type: ignore[arg-type]
        ([Record("a", T0, string_value="\ud800")], {}, "string_value holds a lone surrogate"),
        ([Record("a", T0, value=1.0, unit=5)], {}, "unit must be a string"),  # type: ignore[arg-type]
        ([Record("a", T0, value=1.0, extra={"v": 2})], {}, "extra label 'v' is a field"),
        ([Record("a", T0, value=1.0, extra={"x_": 2})], {}, "field 'x_' must be understood"),
        ([Record("a", T0, value=1.0, extra={"a b": 2})], {}, "'a b' is not a SenML label"),
        ([Record("a", T0, value=1.0, extra={1: 2})], {}, "extra label 1 is not"),  # type: ignore[dict-item]
        ([Record("a", T0, value=1.0, extra={"x": None})], {}, "got null"),
        ([Record("a", T0, value=1.0, extra={"x": [1]})], {}, "got array"),
        ([Record("a", T0, value=1.0, extra={"x": math.nan})], {}, "field 'x' is beyond"),
        ([Record("a", T0, value=1.0, extra={"x": 10**400})], {}, "field 'x' is beyond"),
        ([Record("a", T0, value=1.0)], {"base_name": "-x"}, "base_name '-x' is not a SenML"),
        ([Record("a", T0, value=1.0)], {"base_time": math.nan}, "base_time is beyond"),
        ([Record("a", T0, value=1.0)], {"base_unit": 1}, "base_unit must be a string"),
    ],
)
def test_records_no_pack_can_carry_are_refused(
    records: list[Record], options: dict[str, Any], reason: str
) -> None:
    with pytest.raises(SenMLError) as caught:
        encode_pack(records, **options)
    assert reason in str(caught.value)


# -- properties ---------------------------------------------------------------------------------

NAME_START = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
NAME_REST = NAME_START + "-:./_"
KNOWN_LABELS = {"bn", "bt", "bu", "bv", "bs", "bver", "n", "u", "v", "vs", "vb", "vd", "s", "t"}
KNOWN_LABELS |= {"ut"}

finite = st.floats(allow_nan=False, allow_infinity=False)
names = st.builds(str.__add__, st.sampled_from(NAME_START), st.text(NAME_REST, max_size=24))
name_tails = st.text(NAME_REST, max_size=12)
# Absolute times from 2**28 (1978) to 2100, in milliseconds, as a gateway would stamp them.
times_ms = st.integers(LIMIT * 1000, 4_102_444_800_000).map(lambda ms: ms / 1000)
times_any = st.floats(min_value=LIMIT, max_value=1e300)
#: Any text a SenML string may hold: not U+0000, which the codec refuses.
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"))
units = st.none() | st.sampled_from(["Cel", "%RH", "W", "J", "/", "kWh", "ppm"]) | texts
data_values = st.binary(max_size=32).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="))
extra_labels = st.from_regex(
    r"[A-Zac-z0-9]([-_:.A-Za-z0-9]*[-:.A-Za-z0-9])?|b[-_:.A-Za-z0-9]*[-:.A-Za-z0-9]",
    fullmatch=True,
).filter(lambda label: label not in KNOWN_LABELS)
extra_values = texts | st.booleans() | st.integers(-(2**63), 2**63) | finite
extras = st.dictionaries(extra_labels, extra_values, max_size=3)


@st.composite
def records(draw: st.DrawFn, *, name: st.SearchStrategy[str] = names) -> Record:
    """Any record a valid pack can carry, with one value of any kind, or only a sum."""
    kind = draw(st.sampled_from(["value", "string_value", "bool_value", "data_value", "sum"]))
    fields: dict[str, Any] = {}
    if kind != "sum":
        strategy = {
            "value": finite,
            "string_value": texts,
            "bool_value": st.booleans(),
            "data_value": data_values,
        }[kind]
        fields[kind] = draw(strategy)
    return Record(
        name=draw(name),
        time=draw(times_ms | times_any),
        sum=draw(finite if kind == "sum" else st.none() | finite),
        unit=draw(units),
        update_time=draw(st.none() | finite),
        extra=draw(extras),
        **fields,
    )


@st.composite
def packs(draw: st.DrawFn) -> tuple[list[Record], dict[str, Any]]:
    """Records and base options: mostly names under the base name, some outside it."""
    base_name = draw(st.none() | st.just("") | names)
    under_base = st.builds(str.__add__, st.just(base_name), name_tails) if base_name else names
    pack = draw(st.lists(records(name=under_base | names), min_size=1, max_size=8))
    options = {
        "base_name": base_name,
        "base_time": draw(st.none() | st.sampled_from([r.time for r in pack]) | times_ms | finite),
        "base_unit": draw(st.none() | st.sampled_from([r.unit or "W" for r in pack]) | units),
    }
    return pack, options


@PROPERTIES
@given(st.lists(records(), min_size=1, max_size=8))
def test_round_trip_without_bases(pack: list[Record]) -> None:
    assert decode_pack(encode_pack(pack)) == pack


@PROPERTIES
@given(packs())
def test_round_trip_with_bases(case: tuple[list[Record], dict[str, Any]]) -> None:
    pack, options = case
    back = decode_pack(encode_pack(pack, **options))
    assert back == pack
    assert [r.time for r in back] == [r.time for r in pack]  # bit for bit


@PROPERTIES
@given(st.lists(times_ms | times_any, min_size=1, max_size=20), finite | times_ms)
def test_relative_times_add_back_exactly(times: list[float], base_time: float) -> None:
    pack = [Record("p", t, value=0.0) for t in times]
    assert [r.time for r in decode_pack(encode_pack(pack, base_time=base_time))] == times


def columns_of(records: list[Record]) -> Columns:
    return Columns(
        names=[r.name for r in records],
        times=[r.time for r in records],
        values=[r.value for r in records],  # type: ignore[misc]
        units=[r.unit for r in records],
        extra=records[0].extra,
    )


def check_columns(payload: bytes) -> None:
    """Bulk decoding gives None, or exactly the records decode_pack resolves, all plain."""
    columns = decode_columns(payload)
    if columns is None:
        event("not plain")
        return
    event("plain")
    records = decode_pack(payload, now=NOW)  # must not raise: the pack is valid
    assert columns == columns_of(records)
    assert [r.time for r in records] == columns.times  # bit for bit, and no relative time
    assert all(r.time >= LIMIT for r in records)
    assert all(
        (r.string_value, r.bool_value, r.data_value, r.sum, r.update_time) == (None,) * 5
        for r in records
    )
    assert not any(r.extra for r in records[1:])


def check_decode(payload: bytes | str) -> None:
    """Decoding either gives records or raises SenMLError; what it gives encodes back."""
    check_columns(payload.encode("utf-8") if isinstance(payload, str) else payload)
    try:
        decoded = decode_pack(payload, now=NOW)
    except SenMLError:
        event("rejected")
        return
    assert all(isinstance(record, Record) for record in decoded)
    try:
        again = encode_pack(decoded)
    except SenMLError:  # e.g. nothing left, or a relative time before 1978
        event("decoded, not encodable")
        return
    event("decoded and encoded back")
    assert decode_pack(again) == decoded


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)
fuzz_labels = st.sampled_from([*sorted(KNOWN_LABELS), "gw", "seq", "x_", "bx", "b", ""])
fuzz_values = (
    json_scalars
    | names
    | st.sampled_from([10, 26, 5, 1.5e9, -5, 0.1, "aGk", "Cel", 2**28, 1e308])
    | json_values
)
fuzz_records = st.dictionaries(fuzz_labels | st.text(max_size=3), fuzz_values, max_size=7)


@PROPERTIES
@given(st.binary(max_size=200))
def test_arbitrary_bytes_only_raise_senml_error(payload: bytes) -> None:
    check_decode(payload)


@PROPERTIES
@given(json_values)
def test_arbitrary_json_only_raises_senml_error(value: Any) -> None:
    check_decode(json.dumps(value))


@st.composite
def mutated_packs(draw: st.DrawFn) -> list[Any]:
    """A valid pack as JSON with a few fields dropped, added or given other values."""
    pack, options = draw(packs())
    objects: list[Any] = json.loads(encode_pack(pack, **options))
    for _ in range(draw(st.integers(0, 3))):
        obj = draw(st.sampled_from(objects))
        if obj and draw(st.booleans()):
            del obj[draw(st.sampled_from(sorted(obj)))]
        else:
            obj[draw(fuzz_labels)] = draw(fuzz_values)
    return objects


@PROPERTIES
@given(st.lists(fuzz_records | json_values, max_size=6) | mutated_packs())
def test_senml_shaped_json_only_raises_senml_error(pack: list[Any]) -> None:
    check_decode(json.dumps(pack).encode("utf-8"))


@st.composite
def plain_packs(draw: st.DrawFn) -> tuple[list[Record], bytes]:
    """A pack as a gateway sends it: numeric values, names under the base name, absolute times."""
    base_name = draw(names)
    plain = st.builds(
        lambda name, time, value, unit: Record(name, time, value, unit=unit),
        st.builds(str.__add__, st.just(base_name), name_tails),
        times_ms,
        finite,
        st.none() | st.sampled_from(["Cel", "kWh", "%RH", "ppm"]),
    )
    pack = draw(st.lists(plain, min_size=1, max_size=12))
    pack[0] = pack[0]._replace(extra=draw(extras))
    payload = encode_pack(
        pack,
        base_name=base_name,
        base_time=draw(st.none() | st.sampled_from([r.time for r in pack])),
        base_unit=draw(st.none() | st.sampled_from([r.unit or "W" for r in pack])),
        version=draw(st.sampled_from([10, 26])),
    )
    return pack, payload


@PROPERTIES
@given(plain_packs())
def test_plain_packs_decode_in_bulk_as_they_do_record_by_record(
    case: tuple[list[Record], bytes],
) -> None:
    pack, payload = case
    columns = decode_columns(payload)
    if columns is None:
        # Only a base field after the first record (the encoder may move the base time or
        # unit) or a non-ASCII string among the first record's extras sends it elsewhere.
        later_fields = {label for record in json.loads(payload)[1:] for label in record}
        moved_base = not later_fields.isdisjoint({"bn", "bt", "bu", "bv", "bs", "bver"})
        event("base field after the first record" if moved_base else "non-ASCII")
        assert moved_base or any(
            isinstance(v, str) and not v.isascii() for v in pack[0].extra.values()
        )
        return
    event("plain")
    assert columns == columns_of(pack)
    check_columns(payload)


@pytest.mark.parametrize(
    "records",
    [
        [{"bn": "a:", "bt": 1.7e9, "n": "x", "v": 1}, {"n": "y", "t": -1.7e9, "v": 2}],
        [{"bn": "a:", "bt": 1.7e9, "n": "x", "v": 1}, {"n": "y", "vb": True}],
        [{"bn": "a:", "bt": 1.7e9, "n": "x", "v": 1}, {"n": "y", "v": True}],
        [{"bn": "a:", "bt": 1.7e9, "n": "x", "v": 1}, {"n": "y", "v": 1, "bt": 1.8e9}],
        [{"bn": "a:", "bt": 1.7e9, "n": "x", "v": 1}, {"n": None, "v": 2}],
        [{"bn": "a:", "bt": 1.7e9, "n": "x", "v": 1}, {"n": "y", "u": None, "v": 2}],
        [{"bn": "a:", "bt": 1.7e9, "n": "x", "v": 1}, {"n": "y", "v": 10**400}],
        [{"bn": "a:", "bt": 1.7e9, "n": "x", "v": 1}, {"n": "y z", "v": 1}],
        [{"bn": "a:", "bt": 1.7e9, "bv": 1, "n": "x", "v": 1}],
        [{"bn": "a:", "bt": 1.7e9, "n": "x", "v": 1, "x_": 1}],
        [{"bn": "a:", "bt": 1.7e9, "n": "x"}, {"n": "y", "v": 1}],
        [{"bn": "a:", "n": "x", "v": 1}],
    ],
)
def test_packs_that_are_not_plain_are_left_to_the_record_by_record_path(
    records: list[dict[str, Any]],
) -> None:
    assert decode_columns(json.dumps(records).encode()) is None


def test_duplicate_keys_are_left_to_the_record_by_record_path() -> None:
    payload = b'[{"bn":"a:","bt":1.7e9,"n":"x","v":1},{"n":"y","v":2,"v":3}]'
    assert decode_columns(payload) is None
    assert "duplicate key 'v'" in reject(payload)


def test_a_gateway_pack_decodes_in_bulk() -> None:
    payload = (
        b'[{"bver":26,"bn":"b-1:","bt":1763942400,"n":"el.e","u":"kWh","v":1406.5,'
        b'"gw":"gw-1","seq":0},{"n":"el.e","u":"kWh","t":60,"v":1354},{"n":"t1","v":21.5}]'
    )
    assert decode_columns(payload) == Columns(
        names=["b-1:el.e", "b-1:el.e", "b-1:t1"],
        times=[1763942400.0, 1763942460.0, 1763942400.0],
        values=[1406.5, 1354.0, 21.5],
        units=["kWh", "kWh", None],
        extra={"gw": "gw-1", "seq": 0},
    )


def test_a_nul_in_a_unit_leaves_the_plain_pack_to_the_general_path() -> None:
    payload = b'[{"bt":1764201600,"n":"a","u":"Cel","v":1},{"n":"b","u":"C\\u0000","v":2}]'
    assert decode_columns(payload) is None
    assert "record 1: field 'u' holds a NUL character (U+0000)" in reject(payload)


def test_a_nul_is_not_written() -> None:
    with pytest.raises(SenMLError, match="record 0: unit holds a NUL character"):
        encode_pack([Record("a", T0, value=1.0, unit="C\x00")])
