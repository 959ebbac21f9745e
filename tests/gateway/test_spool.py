"""The disk spool: order, bound, drop count, sequence numbers, persistence across reopening."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from byggpuls import wire
from byggpuls.errors import ConfigError
from byggpuls.reading import Reading
from gateway.errors import SpoolError
from gateway.spool import Spool, SpooledPack

BUILDING = "skole-01"
GATEWAY = "gw-skole-01"
DOMAINS = {"ahu1.supply_air_temp": "hvac", "room1.co2": "climate", "el.energy": "energy"}
T0_MS = 1_764_201_600_000


def readings(count: int, *, start: int = 0, point: str = "ahu1.supply_air_temp") -> list[Reading]:
    """``count`` readings of ``point``, one a minute; the value is the reading's index."""
    return [
        Reading(
            building=BUILDING,
            point=point,
            quantity="temperature",
            time_ms=T0_MS + (start + i) * 60_000,
            value=float(start + i),
            unit="Cel",
        )
        for i in range(count)
    ]


def open_spool(path: Path, *, max_readings: int = 100_000) -> Spool:
    return Spool(path, building=BUILDING, gateway=GATEWAY, max_readings=max_readings)


def values(pack: SpooledPack) -> list[float]:
    decoded = wire.decode_telemetry(
        pack.payload, building=BUILDING, resolve=lambda p, u: ("x", None)
    )
    return [reading.value for reading in decoded.readings]


def seq_of(pack: SpooledPack) -> int:
    first = json.loads(pack.payload)[0]
    assert first["gw"] == GATEWAY
    seq: int = first["seq"]
    return seq


def test_packs_are_cut_by_domain_and_size_and_numbered_in_order(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3")
    batch = readings(1200) + readings(3, point="room1.co2")
    assert spool.append(batch, domain_of=DOMAINS) == 4
    packs = spool.take(10)
    assert [pack.seq for pack in packs] == [1, 2, 3, 4]
    assert [seq_of(pack) for pack in packs] == [1, 2, 3, 4]
    assert [pack.readings for pack in packs] == [500, 500, 200, 3]
    assert [pack.topic for pack in packs] == [
        "byggpuls/v1/skole-01/hvac",
        "byggpuls/v1/skole-01/hvac",
        "byggpuls/v1/skole-01/hvac",
        "byggpuls/v1/skole-01/climate",
    ]
    assert all(len(pack.payload) <= wire.PACK_MAX_BYTES for pack in packs)
    assert [v for pack in packs[:3] for v in values(pack)] == [float(i) for i in range(1200)]
    assert spool.take(10) == []
    spool.close()


def test_large_records_are_split_below_the_byte_bound(tmp_path: Path) -> None:
    long_point = "ahu1." + "x" * 120
    spool = open_spool(tmp_path / "spool.sqlite3")
    spool.append(readings(500, point=long_point), domain_of={long_point: "hvac"})
    packs = spool.take(10)
    assert len(packs) > 1
    assert all(len(pack.payload) <= wire.PACK_MAX_BYTES for pack in packs)
    assert sum(pack.readings for pack in packs) == 500
    assert [seq_of(pack) for pack in packs] == list(range(1, len(packs) + 1))
    spool.close()


def test_acknowledged_packs_leave_and_the_rest_come_back_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = open_spool(path)
    spool.append(readings(1500), domain_of=DOMAINS)
    first, second, third = spool.take(3)
    assert spool.ack([first.seq]) == 500
    stats = spool.stats()
    assert (stats.depth, stats.packs, stats.delivered, stats.next_seq) == (1000, 2, 500, 4)
    spool.close()

    again = open_spool(path)
    # Handed out but never acknowledged: the same packs, byte for byte, under the same seq.
    assert again.take(10) == [second, third]
    again.append(readings(1, start=1500), domain_of=DOMAINS)
    assert [pack.seq for pack in again.take(10)] == [4]
    stats = again.stats()
    assert (stats.appended, stats.delivered, stats.depth, stats.next_seq) == (1501, 500, 1001, 5)
    again.close()


def test_a_full_spool_drops_exactly_the_oldest_readings_and_counts_them(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = open_spool(path, max_readings=1000)
    spool.append(readings(600), domain_of=DOMAINS)  # packs 1 (500) and 2 (100)
    spool.append(readings(650, start=600), domain_of=DOMAINS)  # packs 3 (500) and 4 (150)
    stats = spool.stats()
    assert (stats.depth, stats.dropped) == (1000, 250)
    packs = spool.take(10)
    # Pack 1 lost its 250 oldest records but kept its sequence number; the rest are whole.
    assert [pack.seq for pack in packs] == [1, 2, 3, 4]
    assert [seq_of(pack) for pack in packs] == [1, 2, 3, 4]
    assert [v for pack in packs for v in values(pack)] == [float(i) for i in range(250, 1250)]
    spool.close()
    assert open_spool(path, max_readings=1000).stats().dropped == 250


def test_packs_in_flight_are_never_dropped(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3", max_readings=1000)
    spool.append(readings(1000), domain_of=DOMAINS)
    in_flight = spool.take(1)
    assert in_flight[0].readings == 500
    spool.append(readings(700, start=1000), domain_of=DOMAINS)
    stats = spool.stats()
    assert (stats.depth, stats.dropped) == (1000, 700)
    rest = spool.take(10)
    assert values(in_flight[0]) == [float(i) for i in range(500)]
    assert [v for pack in rest for v in values(pack)] == [float(i) for i in range(1200, 1700)]
    # Everything spooled is in flight now: the new readings are the oldest that may go.
    spool.append(readings(100, start=1700), domain_of=DOMAINS)
    stats = spool.stats()
    assert (stats.depth, stats.dropped) == (1000, 800)
    assert spool.take(10) == []
    spool.close()


def test_dropping_everything_not_in_flight_still_counts_exactly(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3", max_readings=10)
    spool.append(readings(10), domain_of=DOMAINS)
    spool.take(1)
    spool.append(readings(5, start=10), domain_of=DOMAINS)
    stats = spool.stats()
    # All ten are in flight: only the five new ones can go, and they do, counted.
    assert (stats.depth, stats.dropped) == (10, 5)
    spool.close()


def test_non_finite_values_are_rejected_and_counted(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3")
    batch = readings(3)
    bad = Reading(
        building=BUILDING, point="room1.co2", quantity="co2", time_ms=T0_MS, value=float("nan")
    )
    spool.append([*batch, bad], domain_of=DOMAINS)
    stats = spool.stats()
    assert (stats.depth, stats.rejected, stats.appended) == (3, 1, 3)
    spool.close()


def test_unknown_points_and_other_buildings_are_refused(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3")
    with pytest.raises(SpoolError, match="no domain"):
        spool.append(readings(1, point="nowhere.x"), domain_of=DOMAINS)
    other = Reading(building="b2", point="el.energy", quantity="energy", time_ms=T0_MS, value=1.0)
    with pytest.raises(SpoolError, match="building"):
        spool.append([other], domain_of=DOMAINS)
    assert spool.stats().next_seq == 1
    spool.close()


def test_a_spool_belongs_to_one_gateway(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    open_spool(path).close()
    with pytest.raises(ConfigError, match="belongs to gateway 'gw-skole-01'"):
        Spool(path, building=BUILDING, gateway="gw-other", max_readings=10)


def test_a_spool_survives_sigkill_mid_append(tmp_path: Path) -> None:
    """Appends that returned are on disk even when the process dies right after."""
    path = tmp_path / "spool.sqlite3"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
        from test_spool import DOMAINS, open_spool, readings
        from pathlib import Path
        spool = open_spool(Path({str(path)!r}))
        for i in range(20):
            spool.append(readings(100, start=i * 100), domain_of=DOMAINS)
        print("appended", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert result.returncode == -9, result.stderr
    assert result.stdout.strip() == "appended"
    spool = open_spool(path)
    packs = spool.take(100)
    assert [pack.seq for pack in packs] == list(range(1, 21))
    assert [v for pack in packs for v in values(pack)] == [float(i) for i in range(2000)]
    spool.close()
