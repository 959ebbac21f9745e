"""The energy ledger: one row per building, carrier and UTC hour, replaced when recorded again;
read back by range and carrier, oldest first, and summed per carrier."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from byggpuls.errors import StoreRejected
from byggpuls.reading import BuildingInfo
from byggpuls.registry import InvalidValue, Registry
from byggpuls.registry.energy import EnergyDay, EnergyHour, EnergyTotal, offset_stretches
from tests.byggpuls.registry.conftest import SCHOOL

OFFICE = BuildingInfo(id="bergen-kontor-1", name="Bergen kontor", type="office")
#: 22:00 UTC on 29 March 2025 is local midnight, the night the clocks go forward.
T0 = datetime(2025, 3, 29, 22, tzinfo=UTC)


def hour(
    offset: int,
    *,
    carrier: str = "electricity",
    building: str = SCHOOL.id,
    measured: float | None = 10.0,
    baseline: float | None = 8.0,
    cost: float | None = 12.5,
) -> EnergyHour:
    point = "el.power" if carrier == "electricity" else "dh.power"
    return EnergyHour(
        building=building,
        carrier=carrier,
        hour=T0 + timedelta(hours=offset),
        point=point,
        measured_kwh=measured,
        baseline_kwh=baseline,
        cost_nok=cost,
    )


def test_hours_are_kept_and_replaced_when_recorded_again(registry: Registry) -> None:
    registry.upsert_building(SCHOOL)
    registry.upsert_building(OFFICE)
    recorded = registry.record_energy_hours(
        [
            hour(0),
            hour(1, baseline=None),
            hour(0, carrier="heat", measured=30.0, baseline=None, cost=None),
            hour(0, building=OFFICE.id, measured=99.0),
        ]
    )
    assert recorded == 4
    # A rerun replaces the hour, NULLs too: a baseline no longer trusted is gone.
    registry.record_energy_hours([hour(0, measured=11.0, baseline=None, cost=13.75)])

    rows = registry.energy_hours(SCHOOL.id, since=T0, until=T0 + timedelta(hours=2))
    assert rows == [
        EnergyHour(SCHOOL.id, "electricity", T0, "el.power", 11.0, None, 13.75),
        EnergyHour(SCHOOL.id, "heat", T0, "dh.power", 30.0, None, None),
        EnergyHour(SCHOOL.id, "electricity", T0 + timedelta(hours=1), "el.power", 10.0, None, 12.5),
    ]
    assert all(row.hour.tzinfo is UTC for row in rows)


def test_a_range_is_half_open_and_a_carrier_narrows_it(registry: Registry) -> None:
    registry.upsert_building(SCHOOL)
    registry.record_energy_hours(
        [hour(offset) for offset in range(5)] + [hour(2, carrier="heat", measured=3.0)]
    )
    local = T0.astimezone(datetime.now().astimezone().tzinfo)  # any zone: instants compare
    rows = registry.energy_hours(
        SCHOOL.id, since=local + timedelta(hours=1), until=T0 + timedelta(hours=3)
    )
    assert [(row.hour - T0, row.carrier) for row in rows] == [
        (timedelta(hours=1), "electricity"),
        (timedelta(hours=2), "electricity"),
        (timedelta(hours=2), "heat"),
    ]
    heat = registry.energy_hours(SCHOOL.id, since=T0, until=T0 + timedelta(days=1), carrier="heat")
    assert [row.measured_kwh for row in heat] == [3.0]
    assert registry.energy_hours("no-such-building", since=T0, until=T0 + timedelta(days=1)) == []


def test_totals_sum_the_measured_hours_per_carrier(registry: Registry) -> None:
    registry.upsert_building(SCHOOL)
    registry.record_energy_hours(
        [
            hour(0, measured=1.5),
            hour(1, measured=None, baseline=None, cost=None),
            hour(2, measured=2.5),
            hour(30, measured=100.0),
            hour(1, carrier="heat", measured=4.0),
        ]
    )
    totals = registry.energy_totals(SCHOOL.id, since=T0, until=T0 + timedelta(days=1))
    assert totals == {
        "electricity": EnergyTotal("electricity", 2, 4.0, T0, T0 + timedelta(hours=2)),
        "heat": EnergyTotal("heat", 1, 4.0, T0 + timedelta(hours=1), T0 + timedelta(hours=1)),
    }
    assert registry.energy_totals(SCHOOL.id, since=T0, until=T0) == {}


def test_totals_of_every_building_at_once_are_each_buildings_totals(registry: Registry) -> None:
    registry.upsert_building(SCHOOL)
    registry.upsert_building(OFFICE)
    registry.record_energy_hours(
        [
            hour(0, measured=1.5),
            hour(2, measured=2.5),
            hour(1, carrier="heat", measured=4.0),
            hour(3, building=OFFICE.id, measured=7.0),
            hour(1, building=OFFICE.id, measured=None, baseline=None, cost=None),
        ]
    )
    day = {"since": T0, "until": T0 + timedelta(days=1)}
    everyone = registry.energy_totals_by_building(**day)
    assert list(everyone) == sorted([SCHOOL.id, OFFICE.id])
    for building in (SCHOOL.id, OFFICE.id):
        assert everyone[building] == registry.energy_totals(building, **day)
    assert everyone[OFFICE.id] == {
        "electricity": EnergyTotal(
            "electricity", 1, 7.0, T0 + timedelta(hours=3), T0 + timedelta(hours=3)
        )
    }


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"carrier": "gas"}, "not one of electricity, heat"),
        ({"hour": T0 + timedelta(minutes=30)}, "not the start of an hour"),
        ({"hour": datetime(2025, 3, 30, 1)}, "has no time zone"),
        ({"measured_kwh": float("nan")}, "finite"),
        ({"cost_nok": float("inf")}, "finite"),
        ({"building": "Bad Id"}, "does not match"),
        ({"point": "bad point"}, "does not match"),
    ],
)
def test_a_bad_hour_is_refused(registry: Registry, bad: dict[str, object], says: str) -> None:
    registry.upsert_building(SCHOOL)
    fields = {
        "building": SCHOOL.id,
        "carrier": "electricity",
        "hour": T0,
        "point": "el.power",
        "measured_kwh": 1.0,
        "baseline_kwh": None,
        "cost_nok": None,
    } | bad
    with pytest.raises(InvalidValue, match=says):
        registry.record_energy_hours([EnergyHour(**fields)])  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="not one of"):
        registry.energy_hours(SCHOOL.id, since=T0, until=T0, carrier="gas")
    assert registry.energy_hours(SCHOOL.id, since=T0, until=T0 + timedelta(days=1)) == []


def test_hours_of_an_unknown_building_are_refused(registry: Registry) -> None:
    with pytest.raises(StoreRejected):
        registry.record_energy_hours([hour(0, building="no-such-building")])
    assert registry.record_energy_hours([]) == 0


def test_days_are_local_and_the_clock_change_days_have_23_and_25_hours(
    registry: Registry,
) -> None:
    registry.upsert_building(SCHOOL)
    # Every hour from local midnight on 29 March to 3 November 2025, both carriers; heat
    # without a baseline or a price.
    start = datetime(2025, 3, 28, 23, tzinfo=UTC)
    hours = int((datetime(2025, 11, 2, 23, tzinfo=UTC) - start).total_seconds() // 3600)
    registry.record_energy_hours(
        [
            EnergyHour(
                SCHOOL.id, "electricity", start + timedelta(hours=h), "el.power", 1.0, 0.5, 2.0
            )
            for h in range(hours)
        ]
        + [
            EnergyHour(SCHOOL.id, "heat", start + timedelta(hours=h), "dh.power", 3.0, None, None)
            for h in range(hours)
        ]
    )
    days = registry.energy_days(SCHOOL.id, since=date(2025, 3, 29), until=date(2025, 11, 2))
    electricity = {day.day: day for day in days if day.carrier == "electricity"}
    assert len(electricity) == (date(2025, 11, 2) - date(2025, 3, 29)).days + 1
    assert electricity[date(2025, 3, 29)].hours == 24
    assert electricity[date(2025, 3, 30)] == EnergyDay(
        "electricity", date(2025, 3, 30), 23, 23.0, 23, 11.5, 23, 46.0
    )
    assert electricity[date(2025, 10, 26)].hours == 25
    assert electricity[date(2025, 11, 2)].hours == 24
    heat = [day for day in days if day.carrier == "heat"]
    assert (heat[0].measured_kwh, heat[0].baseline_hours, heat[0].baseline_kwh) == (72.0, 0, None)
    assert heat[0].cost_nok is None
    assert [(d.day, d.carrier) for d in days] == sorted((d.day, d.carrier) for d in days)
    only = registry.energy_days(
        SCHOOL.id, since=date(2025, 10, 26), until=date(2025, 10, 26), carrier="heat"
    )
    assert [(d.day, d.hours, d.measured_kwh) for d in only] == [(date(2025, 10, 26), 25, 75.0)]


def test_offset_stretches_start_at_each_clock_change() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert offset_stretches(start, start + timedelta(days=365)) == [
        (start, 3600),
        (datetime(2025, 3, 30, 1, tzinfo=UTC), 7200),
        (datetime(2025, 10, 26, 1, tzinfo=UTC), 3600),
    ]
    assert offset_stretches(start, start + timedelta(days=2)) == [(start, 3600)]
