from __future__ import annotations

import numpy as np

from simulation import Portfolio

START = 1_770_000_000.0  # 2026-02-02, a Monday morning
DAY_S = 86_400.0


def test_same_seed_and_config_give_the_same_readings_bit_for_bit() -> None:
    first = Portfolio.generate(4, variability=True, seed=7, start_s=START, interval_s=900).advance(
        START + 3 * DAY_S
    )
    second = Portfolio.generate(4, variability=True, seed=7, start_s=START, interval_s=900).advance(
        START + 3 * DAY_S
    )
    assert len(first) > 10_000
    assert first == second
    other = Portfolio.generate(4, variability=True, seed=8, start_s=START, interval_s=900).advance(
        START + 3 * DAY_S
    )
    assert [r.value for r in other] != [r.value for r in first]


def test_how_advance_is_called_does_not_change_the_readings() -> None:
    whole = Portfolio.generate(3, variability=True, seed=5, start_s=START, interval_s=900)
    piecemeal = Portfolio.generate(3, variability=True, seed=5, start_s=START, interval_s=900)
    expected = whole.advance(START + 4 * DAY_S)
    got = []
    for until in (START + 1234.5, START + 0.7 * DAY_S, START + 0.7 * DAY_S, START + 4 * DAY_S):
        got.extend(piecemeal.advance(until))
    key = lambda r: (r.building, r.time_ms, r.point)  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)
    assert whole.ground_truth() == piecemeal.ground_truth()
    # Noise, drift and legitimate use too, with the energy of each episode to the last bit.
    legitimate = whole.ground_truth(legitimate_use=True)
    assert any(not record.fault and record.extra_energy_kwh > 0 for record in legitimate)
    assert legitimate == piecemeal.ground_truth(legitimate_use=True)


def test_variability_is_cut_independent_at_one_second_calls() -> None:
    # A school evening in small bites (the gateway's live mode) and in one call: noise factors,
    # wander, drift and a legitimate use's energy are functions of time, not of the calls.
    config = {
        "variability": True,
        "seed": 9,
        "start": START,
        "interval_s": 60,
        "buildings": [{"id": "skole-01", "type": "school", "seed": 4, "legitimate_use": True}],
    }
    evening = START + 0.4 * DAY_S  # 2026-02-02 ~ 15:40 UTC
    bites, whole = Portfolio.from_config(config), Portfolio.from_config(config)
    bites.advance(evening)
    whole.advance(evening)
    got = []
    until = evening
    for step in (1.0, 59.0, 0.5, 300.0, 7.0, 3600.0, 1.0, 5 * 3600.0):
        until += step
        got.extend(bites.advance(until))
    assert got == whole.advance(until)
    assert bites.buildings[0].model.variability.electricity_noise > 0
    (cleaning,) = whole.ground_truth(legitimate_use=True)
    assert evening < cleaning.start < until  # the evening's cleaning, begun in the bites
    assert cleaning.extra_energy_kwh > 0
    assert bites.ground_truth(legitimate_use=True) == [cleaning]


def test_sampling_interval_changes_which_values_not_the_values() -> None:
    coarse = Portfolio.generate(2, variability=True, seed=3, start_s=START, interval_s=900)
    fine = Portfolio.generate(2, variability=True, seed=3, start_s=START, interval_s=60)
    for slow, fast in zip(coarse.buildings, fine.buildings, strict=True):
        a = slow.advance_block(START + DAY_S)
        b = fast.advance_block(START + DAY_S)
        assert b.times_s.size == 15 * a.times_s.size
        common = np.isin(b.times_s, a.times_s)
        assert np.array_equal(b.values[:, common], a.values, equal_nan=True)
        assert {p.interval_s for p in b.points} == {60}


def test_switching_from_backfill_to_live_interval_keeps_the_physics() -> None:
    switched = Portfolio.generate(1, variability=True, seed=4, start_s=START, interval_s=900)
    switched.advance(START + DAY_S)
    switched.set_interval(60)
    live = switched.buildings[0].advance_block(START + DAY_S + 3600)
    straight = Portfolio.generate(1, variability=True, seed=4, start_s=START, interval_s=60)
    reference = straight.buildings[0].advance_block(START + DAY_S + 3600)
    tail = reference.times_s > START + DAY_S
    assert np.array_equal(live.values, reference.values[:, tail], equal_nan=True)
    assert live.times_s[0] == START + DAY_S + 60


def test_a_building_does_not_depend_on_the_rest_of_the_portfolio() -> None:
    small = Portfolio.generate(3, variability=True, seed=11, start_s=START, interval_s=900)
    large = Portfolio.generate(9, variability=True, seed=11, start_s=START, interval_s=900)
    for mine, theirs in zip(small.buildings, large.buildings[:3], strict=False):
        assert mine.info == theirs.info
        assert mine.fault_specs == theirs.fault_specs
        assert mine.model.variability == theirs.model.variability
        assert mine.advance(START + 2 * DAY_S) == theirs.advance(START + 2 * DAY_S)
        assert mine.legitimate_use == theirs.legitimate_use
    alone = {
        "variability": True,
        "seed": 2,
        "start": START,
        "buildings": [{"id": "skole-07", "type": "school"}],
    }
    crowd = {
        "variability": True,
        "seed": 2,
        "start": START,
        "buildings": [
            {"id": "kontor-01", "type": "office"},
            {"id": "skole-07", "type": "school"},
        ],
    }
    a = Portfolio.from_config(alone).building("skole-07").advance(START + DAY_S)
    b = Portfolio.from_config(crowd).building("skole-07").advance(START + DAY_S)
    assert a == b
