"""Legitimate use outside opening hours: recorded as not a fault, and visible in the meters."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from simulation import LEGITIMATE_USE_KIND, Activity, GroundTruthFault, Portfolio, SampleBlock

OSLO = ZoneInfo("Europe/Oslo")
DAY_S = 86_400.0
#: A Monday in January, in term and in the heating season.
START_S = dt.datetime(2026, 1, 12, tzinfo=dt.UTC).timestamp()
#: The building's noise and drift off, so that with and without legitimate use compare exactly.
QUIET = {"noise": False, "drift": False, "daylight": False}


def run(
    building_type: str, days: float, *, start_s: float = START_S, seed: int = 3, **keys: Any
) -> tuple[Portfolio, SampleBlock]:
    building = {"id": "b-01", "type": building_type, "seed": seed, "faults": "none", **keys}
    config = {
        "variability": True,
        "seed": 1,
        "start": start_s,
        "interval_s": 900,
        "buildings": [building],
    }
    portfolio = Portfolio.from_config(config)
    return portfolio, portfolio.buildings[0].advance_block(start_s + days * DAY_S)


def column(block: SampleBlock, point: str) -> np.ndarray:
    return block.values[[p.point for p in block.points].index(point)]


def activities(records: list[GroundTruthFault]) -> Counter[str]:
    return Counter(str(r.params["activity"]) for r in records)


def local(time_s: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(time_s, OSLO)


def test_episodes_are_in_the_ground_truth_as_not_faults_and_only_when_asked_for() -> None:
    portfolio, block = run("school", 14)
    assert portfolio.ground_truth() == []  # a fault-free building: no faults
    records = portfolio.ground_truth(legitimate_use=True)
    assert records == portfolio.buildings[0].legitimate_use
    kinds = activities(records)
    assert kinds["cleaning"] >= 6
    assert kinds["community_use"] >= 2
    points = {p.point for p in block.points}
    for record in records:
        assert record.kind == LEGITIMATE_USE_KIND
        assert record.fault is False
        assert record.params["activity"] in {a.value for a in Activity}
        assert START_S <= record.start < record.end <= START_S + 14 * DAY_S
        assert local(record.start).date() == local(record.end - 1).date()  # ends by midnight
        assert set(record.points) <= points
        assert {"el.power", "el.energy"} <= set(record.points)
        assert record.extra_electricity_kwh > 0
        assert record.extra_energy_kwh == pytest.approx(
            record.extra_electricity_kwh + record.extra_heat_kwh
        )
        assert record.accounted_until == record.end
    # Outside the school's hours: evenings and weekends.
    for record in records:
        start = local(record.start)
        assert start.weekday() >= 5 or start.hour >= 15
    # They never overlap.
    spans = sorted((r.start, r.end) for r in records)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_legitimate_use_raises_after_hours_energy_by_what_the_ground_truth_says() -> None:
    portfolio, used = run("school", 14, **QUIET)
    _, empty = run("school", 14, legitimate_use=False, **QUIET)
    records = portfolio.ground_truth(legitimate_use=True)
    extra_el = column(used, "el.energy")[-1] - column(empty, "el.energy")[-1]
    extra_heat = column(used, "dh.energy")[-1] - column(empty, "dh.energy")[-1]
    # Electricity has no thermal feedback in January (no cooling): the records account for all
    # of it. Heat they count only where the use itself draws it (air heating for the fans run
    # for it, hot water); the radiators' response (warming booked rooms, or heating less after
    # people and lights warmed them) is left out, and the meter shows it either way.
    assert extra_el == pytest.approx(sum(r.extra_electricity_kwh for r in records), rel=0.02)
    assert sum(r.extra_heat_kwh for r in records) > 0
    assert extra_heat != 0
    # The extra energy is used after hours: inside each episode, and nowhere in lesson time.
    times = used.times_s
    kwh = np.diff(column(used, "el.energy")) - np.diff(column(empty, "el.energy"))
    in_episode = np.zeros(times.size - 1, dtype=bool)
    for record in records:
        in_episode |= (times[1:] > record.start) & (times[1:] <= record.end)
    assert kwh[in_episode].sum() == pytest.approx(extra_el, rel=0.02)
    assert kwh[in_episode].sum() > 0.01 * (column(empty, "el.energy")[-1] - empty.values[0, 0])
    lessons = np.array([local(t).weekday() < 5 and 9 <= local(t).hour < 14 for t in times[1:]])
    assert np.abs(kwh[lessons]).max() <= 0.02  # the counters' rounding
    # A community let: people in the gym and the fans running, in the evening.
    (let, *_) = [r for r in records if r.params["activity"] == "community_use"]
    during = (times > let.start) & (times <= let.end)
    assert column(used, "zone3.occupancy")[during].min() > 0
    assert column(empty, "zone3.occupancy")[during].max() == 0
    if "ahu1.supply_fan_status" in let.points:
        assert column(used, "ahu1.supply_fan_status")[during].min() == 1
        assert column(empty, "ahu1.supply_fan_status")[during].max() == 0


@pytest.mark.parametrize(
    ("building_type", "expected"),
    [
        ("school", {"cleaning", "community_use"}),
        ("kindergarten", {"cleaning"}),
        ("office", {"cleaning", "late_work"}),
        ("sports_hall", {"cleaning", "community_use"}),
        ("nursing_home", set()),
    ],
)
def test_each_kind_of_building_has_its_own_uses(building_type: str, expected: set[str]) -> None:
    portfolio, _ = run(building_type, 28, seed=5)
    kinds = activities(portfolio.ground_truth(legitimate_use=True))
    assert set(kinds) >= expected
    assert set(kinds) <= {a.value for a in Activity}
    if not expected:
        assert not kinds


def test_events_are_occasional() -> None:
    # Twelve weeks of term in four schools: a concert or flea market on a few Saturdays and a
    # parents' evening now and then, far fewer than the cleaning.
    kinds: Counter[str] = Counter()
    saturdays = []
    for seed in (1, 2, 3, 4):
        portfolio, _ = run("school", 12 * 7, seed=seed)
        records = portfolio.ground_truth(legitimate_use=True)
        kinds += activities(records)
        saturdays += [r for r in records if r.params["activity"] == "event"]
    assert 2 <= kinds["event"] <= 0.25 * kinds["cleaning"]
    for record in saturdays:
        start = local(record.start)
        assert (start.weekday() == 5 and 10 <= start.hour < 13) or start.hour == 18


def test_some_kindergartens_open_early_most_mornings_and_others_hardly_ever() -> None:
    # Opening early is a habit of a kindergarten (children of shift workers), not a coin flip
    # each morning: a detector can learn it where it is the rule.
    counts = []
    for seed in range(1, 9):
        portfolio, block = run("kindergarten", 28, seed=seed)
        records = portfolio.ground_truth(legitimate_use=True)
        early = [r for r in records if r.params["activity"] == "early_opening"]
        counts.append(len(early))
        people = sum(column(block, f"zone{z}.occupancy") for z in (1, 2, 3))
        for record in early:
            start = local(record.start)
            assert 6.0 <= start.hour + start.minute / 60 < 7.0
            assert local(record.end).time() == dt.time(7, 0)
            during = (block.times_s > record.start) & (block.times_s <= record.end)
            assert people[during].max() > 0
    workdays = 20
    assert max(counts) >= 0.7 * workdays
    assert min(counts) <= 2


def test_no_school_use_in_the_summer_holiday_and_no_kindergarten_use_when_closed() -> None:
    july = dt.datetime(2026, 7, 6, tzinfo=dt.UTC).timestamp()
    school, _ = run("school", 14, start_s=july)
    assert school.ground_truth(legitimate_use=True) == []
    closed = dt.datetime(2026, 7, 13, tzinfo=dt.UTC).timestamp()  # kindergartens' week 29
    kindergarten, _ = run("kindergarten", 5, start_s=closed)
    assert kindergarten.ground_truth(legitimate_use=True) == []


def test_activities_can_be_chosen_or_turned_off() -> None:
    everything, _ = run("school", 14)
    cleaning_only, _ = run("school", 14, legitimate_use=["cleaning"])
    none, _ = run("school", 14, legitimate_use=False)
    all_records = everything.ground_truth(legitimate_use=True)
    chosen = cleaning_only.ground_truth(legitimate_use=True)
    assert set(activities(chosen)) == {"cleaning"}
    # The same cleaning as with every activity on: choosing some does not move the others.
    assert [(r.start, r.end) for r in chosen] == [
        (r.start, r.end) for r in all_records if r.params["activity"] == "cleaning"
    ]
    assert none.ground_truth(legitimate_use=True) == []


def test_a_portfolio_lists_each_buildings_faults_then_its_legitimate_use(backfill) -> None:
    assert all(r.fault for r in backfill.truth)
    assert all(not r.fault and r.kind == LEGITIMATE_USE_KIND for r in backfill.legitimate)
    ids = [b.info.id for b in backfill.portfolio.buildings]
    users = {r.building for r in backfill.legitimate}
    assert len(users) >= 12  # every type but nursing homes
    assert not any(r.building.startswith("sykehjem") for r in backfill.legitimate)
    order = [r.building for r in backfill.portfolio.ground_truth(legitimate_use=True)]
    assert order == sorted(order, key=ids.index)
