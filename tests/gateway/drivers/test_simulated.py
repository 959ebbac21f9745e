"""The simulated driver: a building of the portfolio, its backfill, its live and fast clocks."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from byggpuls.errors import ConfigError
from gateway.config import parse_config
from gateway.drivers.simulated import (
    MIN_POLL_SECONDS,
    SimulatedDriver,
    check_interval,
    gateway_id,
    portfolio_drivers,
)
from simulation import read_ground_truth

#: A Monday at midnight UTC, so that intervals line up with the day.
START_S = 1_767_571_200.0
DAY_S = 86_400.0


def test_each_building_is_its_own_source_with_metadata() -> None:
    portfolio = portfolio_drivers(3, seed=7, start_s=START_S, interval_s=60)
    ids = [driver.building().id for driver in portfolio.drivers]
    assert len(set(ids)) == 3
    assert [gateway_id(i) for i in ids] == [f"gw-{i}" for i in ids]
    points = portfolio.drivers[0].points()
    assert len(points) > 20
    assert all(p.brick_class and p.unit and p.domain for p in points)
    assert {p.interval_s for p in points} == {60}
    assert {"energy", "hvac", "climate"} <= {p.domain for p in points}


def test_backfill_then_live_continue_without_a_gap_or_overlap() -> None:
    portfolio = portfolio_drivers(1, seed=7, start_s=START_S, interval_s=60, faults=False)
    driver = portfolio.drivers[0]
    end_s = START_S + 2 * DAY_S
    chunks = list(driver.backfill(start_s=START_S, end_s=end_s, interval_s=900))
    assert len(chunks) == 2  # a day at a time
    times = sorted({r.time_ms / 1000 for chunk in chunks for r in chunk})
    assert times[0] == START_S + 900
    assert times[-1] == end_s
    assert {b - a for a, b in itertools.pairwise(times)} == {900.0}
    # Every point in every sample, apart from the few a simulated meter may lose.
    assert sum(len(c) for c in chunks) >= 0.99 * len(times) * len(driver.points())
    # Live: the next sample a minute after the backfill's end, stamped with the real clock.
    assert driver.next_poll_s(end_s + 30) == end_s + 60
    live = driver.poll(end_s + 180)
    assert sorted({r.time_ms / 1000 for r in live}) == [end_s + 60, end_s + 120, end_s + 180]
    assert {r.point for r in live} == {p.point for p in driver.points()}


def test_a_fast_clock_polls_once_a_second_and_takes_every_sample_due() -> None:
    portfolio = portfolio_drivers(1, seed=7, start_s=START_S, interval_s=1, speed=30, faults=False)
    driver = portfolio.drivers[0]
    wall = 5_000_000.0
    assert driver.next_poll_s(wall) == pytest.approx(wall + 1 / 30)
    first = driver.poll(wall + 1 / 30)
    assert driver.next_poll_s(wall + 1 / 30) == pytest.approx(wall + 1 / 30 + MIN_POLL_SECONDS)
    second = driver.poll(wall + 1 / 30 + MIN_POLL_SECONDS)
    points = len(driver.points())
    assert len(first) == points
    # One wall-clock second is 30 simulated ones: 30 samples of every point.
    assert len(second) == 30 * points
    assert max(r.time_ms for r in second) == round((START_S + 31) * 1000)


def test_ground_truth_lists_the_faults_begun(tmp_path: Path) -> None:
    portfolio = portfolio_drivers(6, seed=11, start_s=START_S, interval_s=60, fault_window_days=4)
    path = tmp_path / "truth" / "ground_truth.jsonl"
    assert portfolio.write_ground_truth(path) == 0
    assert portfolio.fault_count > 0
    for driver in portfolio.drivers:
        for _ in driver.backfill(start_s=START_S, end_s=START_S + 4 * DAY_S, interval_s=3600):
            pass
    written = portfolio.write_ground_truth(path)
    faults = read_ground_truth(path)
    assert written == len(faults) == portfolio.fault_count
    ids = {driver.building().id for driver in portfolio.drivers}
    assert all(fault.building in ids for fault in faults)
    assert all(START_S + DAY_S <= fault.start < START_S + 4 * DAY_S for fault in faults)


def test_a_config_file_picks_one_building_and_starts_at_the_backfill() -> None:
    data = {"gateway": {"id": "gw-x"}, "driver": {"type": "simulated", "seed": 7, "building": 2}}
    config = parse_config(data, source=Path("/etc/byggpuls/sim.toml"))
    driver = config.driver.create(config.driver_options, config.context(history_start_s=START_S))
    assert isinstance(driver, SimulatedDriver)
    assert driver.simulation.now_s == START_S
    assert (
        driver.building().id
        == portfolio_drivers(3, seed=7, start_s=START_S, interval_s=60).drivers[2].building().id
    )


@pytest.mark.parametrize("interval", [0, 0.5, 90_000, math.nan])
def test_intervals_must_be_whole_seconds(interval: float) -> None:
    with pytest.raises(ConfigError, match="--interval must be whole seconds"):
        check_interval(interval, option="--interval")
