"""The packer: readings cut by domain and bounds into SenML packs, and trimmed under their seq."""

from __future__ import annotations

import json

import pytest

from byggpuls import wire
from byggpuls.errors import PayloadError
from byggpuls.reading import Reading
from gateway.errors import SpoolError
from gateway.packer import Packer

BUILDING = "skole-01"
GATEWAY = "gw-skole-01"
DOMAINS = {"ahu1.supply_air_temp": "hvac", "room1.co2": "climate"}
T0_MS = 1_764_201_600_000
PACKER = Packer(building=BUILDING, gateway=GATEWAY)


def readings(count: int, *, point: str = "ahu1.supply_air_temp") -> list[Reading]:
    return [
        Reading(BUILDING, point, "temperature", T0_MS + i * 60_000, float(i), "Cel")
        for i in range(count)
    ]


def values(payload: bytes) -> list[float]:
    decoded = wire.decode_telemetry(payload, building=BUILDING, resolve=lambda p, u: ("x", None))
    return [reading.value for reading in decoded.readings]


def test_cut_groups_by_domain_in_order_within_the_record_bound() -> None:
    batch = readings(3, point="room1.co2") + readings(wire.PACK_MAX_RECORDS + 1)
    cut = PACKER.cut([*batch, batch[0]._replace(value=float("inf"))], domain_of=DOMAINS)
    assert [(domain, len(group)) for domain, group in cut.groups] == [
        ("climate", 3),
        ("hvac", wire.PACK_MAX_RECORDS),
        ("hvac", 1),
    ]
    assert cut.rejected == 1


def test_a_later_reading_of_the_same_point_and_time_takes_the_earlier_ones_place() -> None:
    first, second = readings(2)
    repeated = first._replace(value=99.0)  # e.g. the hour a CSV export repeats in October
    cut = PACKER.cut([first, second, repeated], domain_of=DOMAINS)
    assert cut.groups == [("hvac", [repeated, second])]
    assert cut.rejected == 1
    # So the pack is one ingest takes: no point has two values at one time.
    payload = PACKER.encode(cut.groups[0][1], seq=0)[0][0]
    assert values(payload) == [99.0, 1.0]


def test_a_reading_whose_unit_holds_a_nul_is_left_out_not_a_stop_of_the_driver() -> None:
    good, bad = readings(2)
    cut = PACKER.cut([good, bad._replace(unit="Cel\x00")], domain_of=DOMAINS)
    assert cut.groups == [("hvac", [good])]
    assert cut.rejected == 1


def test_cut_refuses_a_point_without_a_domain() -> None:
    with pytest.raises(SpoolError, match="no domain"):
        PACKER.cut(readings(1, point="nowhere.x"), domain_of=DOMAINS)


def test_encode_numbers_the_payloads_it_splits_from_seq() -> None:
    long_point = "ahu1." + "x" * 120
    packs = PACKER.encode(readings(500, point=long_point), seq=7)
    assert len(packs) > 1
    assert all(len(payload) <= wire.PACK_MAX_BYTES for payload, _ in packs)
    assert [json.loads(payload)[0]["seq"] for payload, _ in packs] == list(range(7, 7 + len(packs)))
    assert sum(count for _, count in packs) == 500


def test_trim_drops_the_oldest_records_and_keeps_the_seq() -> None:
    [(payload, _)] = PACKER.encode(readings(5), seq=3)
    trimmed, kept = PACKER.trim(payload, oldest=2, seq=3)
    assert kept == 3
    assert values(trimmed) == [2.0, 3.0, 4.0]
    assert json.loads(trimmed)[0]["seq"] == 3


def test_trim_refuses_bytes_that_are_no_pack() -> None:
    with pytest.raises(PayloadError):
        PACKER.trim(b'[{"n": "x", "v": 1}]', oldest=1, seq=1)
