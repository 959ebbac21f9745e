from __future__ import annotations

from collections import Counter

import numpy as np

from byggpuls.reading import is_id, is_point_id, is_quantity
from byggpuls.topics import KNOWN_DOMAINS
from byggpuls.units import DEFAULT_QUANTITY
from simulation import Portfolio
from simulation.faults import PHYSICAL_KINDS

START = 1_770_000_000.0


def test_generate_gives_a_realistic_mix(backfill) -> None:
    buildings = backfill.portfolio.buildings
    types = Counter(b.info.type for b in buildings)
    assert types == {
        "school": 7,
        "kindergarten": 6,
        "nursing_home": 3,
        "office": 2,
        "sports_hall": 2,
    }
    ids = [b.info.id for b in buildings]
    assert len(set(ids)) == 20
    assert all(is_id(i) for i in ids)
    assert ids[:3] == ["skole-01", "barnehage-01", "sykehjem-01"]
    names = [b.info.name for b in buildings]
    assert len(set(names)) == 20
    assert all(b.info.address.endswith(" Bergen") for b in buildings if b.info.address)
    areas = {b.info.type: [] for b in buildings}
    for b in buildings:
        areas[b.info.type].append(b.info.floor_area_m2)
    assert max(areas["kindergarten"]) < min(areas["school"])


def test_points_carry_valid_metadata(backfill) -> None:
    for building in backfill.portfolio.buildings:
        points = building.points()
        assert 28 <= len(points) <= 42
        assert len({p.point for p in points}) == len(points)
        for point in points:
            assert is_point_id(point.point)
            assert point.domain in KNOWN_DOMAINS
            assert is_quantity(point.quantity)
            assert point.unit in DEFAULT_QUANTITY  # a SenML unit the platform knows
            assert point.brick_class
            assert point.brick_class[0].isupper()
            assert point.interval_s == 900
            assert (point.zone is not None) == point.point.startswith("zone")
        ids = {p.point for p in points}
        assert {"el.energy", "el.power", "dh.energy", "dh.power", "ahu1.supply_air_temp"} <= ids
        assert {"zone1.co2", "zone2.air_temp", "zone1.occupancy"} <= ids


def test_readings_match_their_points() -> None:
    portfolio = Portfolio.generate(2, seed=3, start_s=START, interval_s=300)
    readings = portfolio.advance(START + 3600)
    building = portfolio.buildings[0]
    info = {p.point: p for p in building.points()}
    mine = [r for r in readings if r.building == building.info.id]
    assert len(mine) == 12 * len(info)
    for reading in mine:
        point = info[reading.point]
        assert (reading.quantity, reading.unit, reading.zone) == (
            point.quantity,
            point.unit,
            point.zone,
        )
        assert reading.time_ms % 300_000 == 0
        assert START * 1000 < reading.time_ms <= (START + 3600) * 1000
        assert np.isfinite(reading.value)
    times = [r.time_ms for r in mine]
    assert times == sorted(times)
    assert portfolio.advance(START + 3600) == []  # nothing new
    assert portfolio.advance(START) == []  # a clock stepping back does no harm


def test_generate_sprinkles_faults_unless_told_not_to(backfill) -> None:
    specs = [f for b in backfill.portfolio.buildings for f in b.fault_specs]
    assert 10 <= len(specs) <= 40
    kinds = Counter(f.kind for f in specs)
    assert len(kinds) >= 5
    assert sum(kinds[k] for k in PHYSICAL_KINDS) > len(specs) / 2
    start = backfill.portfolio.start_s
    assert all(start + 7 * 86_400 <= f.start_s < start + 28 * 86_400 for f in specs)
    # Most faults cost energy by the end of the backfill, as the counterfactual runs tell.
    wasteful = [f for f in backfill.truth if f.kind in PHYSICAL_KINDS]
    assert sum(f.extra_energy_kwh > 1.0 for f in wasteful) >= len(wasteful) - 2
    clean = Portfolio.generate(20, seed=2026, start_s=START, faults=False)
    assert all(not b.fault_specs for b in clean.buildings)


def test_indoor_climate_is_plausible(backfill) -> None:
    for building, series in backfill.series.items():
        for zone in range(1, 4):
            temperature = series[f"zone{zone}.air_temp"]
            co2 = series[f"zone{zone}.co2"]
            humidity = series[f"zone{zone}.humidity"]
            ok = ~np.isnan(temperature)
            assert np.percentile(temperature[ok], 1) > 10
            assert np.percentile(temperature[ok], 99) < 30
            # Never far below outdoor air (~405-435 ppm), even with a sensor reading 45 low.
            assert np.nanmin(co2) > 330, building
            assert np.nanmax(co2) < 2500, building
            assert 10 < np.nanmedian(humidity) < 60
