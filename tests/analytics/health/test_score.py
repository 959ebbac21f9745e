"""Building health: worked examples to check by hand, and the properties the score promises."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.health import (
    WEIGHTS,
    CarrierEnergy,
    Category,
    DataQuality,
    EnergyPeriod,
    Finding,
    Health,
    Part,
    Severity,
    ZoneClimate,
    band_of,
    building_health,
    classify,
)
from byggpuls.reading import BuildingInfo, BuildingType

SCHOOL = BuildingInfo(id="skole-1", name="Skole", type="school", floor_area_m2=1000.0)
#: A year of a school's main meters: 195 600 kWh measured (195.6 kWh/m², 1.2 x the stock's
#: 163), against a baseline of 170 000 kWh.
YEAR = EnergyPeriod(
    days=365,
    carriers=(
        CarrierEnergy(carrier="electricity", measured_kwh=110_000.0, baseline_kwh=100_000.0),
        CarrierEnergy(carrier="district_heat", measured_kwh=85_600.0, baseline_kwh=70_000.0),
    ),
    all_carriers_metered=True,
)
ZONES = (
    ZoneClimate(zone="klasserom-a", occupied_hours=400.0, in_band_hours=380.0),
    ZoneClimate(
        zone="klasserom-b", occupied_hours=600.0, in_band_hours=560.0, degree_hours_outside=95.0
    ),
)


def finding(
    finding_id: int,
    kind: str,
    *,
    waste_kwh: float | None = None,
    status: str = "open",
) -> Finding:
    category, severity = classify(kind)
    return Finding(
        id=finding_id,
        kind=kind,
        status=status,
        category=category,
        severity=severity,
        waste_kwh=waste_kwh,
        waste_nok=None if waste_kwh is None else round(waste_kwh * 1.2),
    )


FINDINGS = (
    finding(1, "after_hours_operation", waste_kwh=4_250.0),  # 2.5 % of the baseline
    finding(2, "after_hours_heating", waste_kwh=8_500.0),  # 5 %
    finding(3, "baseload_drift", waste_kwh=1_700.0),  # 1 %, and an equipment fault
    finding(4, "heating_out_of_line", status="acknowledged"),
    finding(5, "meter_fault"),
)


def part(health: Health, name: Category) -> Part:
    return next(p for p in health.parts if p.name == name)


def test_a_school_worked_by_hand() -> None:
    health = building_health(
        building=SCHOOL,
        energy=YEAR,
        findings=FINDINGS,
        zones=ZONES,
        data_quality=DataQuality(completeness=0.95),
    )
    energy = part(health, Category.ENERGY)
    # Waste 14 450 of 170 000 kWh = 8.5 %, at 25 % for 0: 100 - 34 = 66. Use 195.6 kWh/m²:
    # 50 x (326 - 195.6) / 163 = 40. Half and half: 53.
    assert energy.score == 53.0
    assert [(r.points, r.finding_id) for r in energy.reasons] == [(30.0, None), (10.0, 2), (5.0, 1)]
    assert "195.6" not in energy.reasons[0].text_en  # a whole number of kWh/m²
    assert "196 kWh/m²" in energy.reasons[0].text_en
    # 60 of 1000 occupied hours out of band (6 %), at 50 % for 0: 88; zone b lost 8, a 4.
    climate = part(health, Category.INDOOR_CLIMATE)
    assert climate.score == 88.0
    assert [r.points for r in climate.reasons] == [8.0, 4.0]
    assert climate.reasons[0].text_nb.startswith("klasserom-b: 40 av 600 brukstimer")
    assert "95 degree-hours" in climate.reasons[0].text_en
    # Two medium equipment findings, 15 points each; acknowledged costs as much as open.
    equipment = part(health, Category.EQUIPMENT)
    assert equipment.score == 70.0
    assert {r.finding_id for r in equipment.reasons} == {3, 4}
    assert any("acknowledged" in r.text_en for r in equipment.reasons)
    # 95 % complete: 100 - 10; a meter fault (medium): - 15.
    quality = part(health, Category.DATA_QUALITY)
    assert quality.score == 75.0
    assert [(r.points, r.finding_id) for r in quality.reasons] == [(15.0, 5), (10.0, None)]
    # 0.4 x 53 + 0.3 x 88 + 0.2 x 70 + 0.1 x 75 = 21.2 + 26.4 + 14 + 7.5.
    assert health.score == 69.1
    assert health.band == "watch"


def test_without_the_floor_area_energy_is_the_waste_alone() -> None:
    building = dataclasses.replace(SCHOOL, floor_area_m2=None)
    health = building_health(
        building=building,
        energy=YEAR,
        findings=FINDINGS,
        zones=ZONES,
        data_quality=DataQuality(completeness=0.95),
    )
    assert part(health, Category.ENERGY).score == 66.0
    # 0.4 x 66 + 26.4 + 14 + 7.5.
    assert health.score == 74.3


def test_less_than_a_year_has_no_use_per_m2() -> None:
    half_year = dataclasses.replace(YEAR, days=182.0)
    health = building_health(building=SCHOOL, energy=half_year, findings=FINDINGS)
    assert part(health, Category.ENERGY).score == 66.0


def test_use_per_m2_is_not_judged_when_a_carrier_is_not_metered() -> None:
    partial = dataclasses.replace(YEAR, all_carriers_metered=False)
    health = building_health(building=SCHOOL, energy=partial, findings=FINDINGS)
    assert part(health, Category.ENERGY).score == 66.0


def test_a_building_with_no_data_is_unknown_not_100() -> None:
    health = building_health(building=SCHOOL, energy=None)
    assert health.score is None
    assert health.band is None
    assert all(p.score is None for p in health.parts)
    # Each unknown part says why, in both languages, at no cost.
    for p in health.parts:
        assert len(p.reasons) == 1
        assert p.reasons[0].points == 0.0
        assert p.reasons[0].text_nb
        assert p.reasons[0].text_en


def test_completeness_and_no_faults_alone_say_nothing_of_the_building() -> None:
    health = building_health(
        building=SCHOOL, energy=None, data_quality=DataQuality(completeness=1.0)
    )
    assert part(health, Category.DATA_QUALITY).score == 100.0
    assert health.score is None


def test_weights_are_renormalised_over_the_known_parts() -> None:
    # Indoor climate (88) and data quality (90) known: (0.3 x 88 + 0.1 x 90) / 0.4 = 88.5.
    health = building_health(
        building=SCHOOL, energy=None, zones=ZONES, data_quality=DataQuality(completeness=0.95)
    )
    assert health.score == 88.5
    assert health.band == "good"


def test_resolved_findings_cost_nothing() -> None:
    resolved = [dataclasses.replace(f, status="resolved") for f in FINDINGS]
    with_resolved = building_health(building=SCHOOL, energy=YEAR, findings=resolved)
    without = building_health(building=SCHOOL, energy=YEAR)
    assert with_resolved == without
    # Only the use per m² costs: 0.5 x 100 + 0.5 x 40 = 70; equipment 100.
    assert part(without, Category.ENERGY).score == 70.0
    assert part(without, Category.EQUIPMENT).score == 100.0


def test_a_zone_judged_in_its_own_band_says_so() -> None:
    gym = ZoneClimate(zone="Gymsal", occupied_hours=100.0, in_band_hours=90.0, low_c=16.0)
    health = building_health(building=SCHOOL, energy=None, zones=(gym,))
    (reason,) = part(health, Category.INDOOR_CLIMATE).reasons
    assert reason.text_nb.startswith("Gymsal: 10 av 100 brukstimer utenfor 16-26 °C")
    assert "out of 16-26 °C" in reason.text_en


def test_parts_do_not_fall_below_0() -> None:
    many = [finding(i, "heating_out_of_line") for i in range(10)]
    health = building_health(building=SCHOOL, energy=YEAR, findings=many)
    equipment = part(health, Category.EQUIPMENT)
    assert equipment.score == 0.0
    # Ten findings of 15 points share the 100 lost: 10 each; three are shown.
    assert [r.points for r in equipment.reasons] == [10.0, 10.0, 10.0]


@pytest.mark.parametrize(
    ("score", "band"), [(None, None), (100.0, "good"), (80.0, "good"), (79.9, "watch")]
)
def test_bands(score: float | None, band: str | None) -> None:
    assert band_of(score) == band


def test_bands_below_watch() -> None:
    assert band_of(60.0) == "watch"
    assert band_of(59.9) == "act"
    assert band_of(0.0) == "act"


@pytest.mark.parametrize(
    "make",
    [
        lambda: CarrierEnergy(carrier="electricity", measured_kwh=-1.0),
        lambda: CarrierEnergy(carrier="electricity", measured_kwh=float("nan")),
        lambda: EnergyPeriod(days=0.0, carriers=(), all_carriers_metered=True),
        lambda: ZoneClimate(zone="a", occupied_hours=10.0, in_band_hours=11.0),
        lambda: DataQuality(completeness=1.5),
        lambda: finding(1, "meter_fault", status="closed"),
        lambda: finding(1, "after_hours_operation", waste_kwh=-5.0),
    ],
)
def test_nonsense_inputs_are_refused(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match=r"must|need"):
        make()


# Properties, over inputs hypothesis makes up.

amounts = st.floats(0.0, 1e6, allow_nan=False)
buildings = st.builds(
    BuildingInfo,
    id=st.just("b"),
    name=st.just("B"),
    type=st.sampled_from([t.value for t in BuildingType]),
    floor_area_m2=st.none() | st.floats(50.0, 50_000.0),
)
carriers = st.builds(
    CarrierEnergy,
    carrier=st.sampled_from(["electricity", "district_heat"]),
    measured_kwh=amounts,
    baseline_kwh=st.none() | amounts,
)
periods = st.none() | st.builds(
    EnergyPeriod,
    days=st.floats(1.0, 800.0),
    carriers=st.lists(carriers, max_size=3).map(tuple),
    all_carriers_metered=st.booleans(),
)
zones = st.lists(
    st.tuples(st.floats(0.0, 5000.0), st.floats(0.0, 1.0), st.none() | amounts).map(
        lambda t: ZoneClimate(
            zone="z", occupied_hours=t[0], in_band_hours=t[0] * t[1], degree_hours_outside=t[2]
        )
    ),
    max_size=4,
)
qualities = st.none() | st.builds(DataQuality, completeness=st.floats(0.0, 1.0))
findings = st.builds(
    Finding,
    id=st.integers(1, 10_000),
    kind=st.sampled_from(["after_hours_operation", "baseload_drift", "meter_fault", "x"]),
    status=st.sampled_from(["open", "acknowledged", "resolved"]),
    category=st.sampled_from(list(Category)),
    severity=st.sampled_from(list(Severity)),
    waste_kwh=st.none() | amounts,
    waste_nok=st.none() | amounts,
)
inputs = st.fixed_dictionaries(
    {
        "building": buildings,
        "energy": periods,
        "findings": st.lists(findings, max_size=6),
        "zones": zones,
        "data_quality": qualities,
    }
)


def scores(health: Health) -> list[float | None]:
    return [health.score, *(p.score for p in health.parts)]


def never_higher(after: Health, before: Health) -> bool:
    """Whether no score of ``after`` is above that of ``before``, and the same are known."""
    pairs = zip(scores(after), scores(before), strict=True)
    return all((a is None) == (b is None) and (a is None or a <= b) for a, b in pairs)  # type: ignore[operator]


@settings(deadline=None, max_examples=300)
@given(inputs, findings)
def test_a_new_finding_never_raises_the_score(kwargs: dict[str, object], new: Finding) -> None:
    before = building_health(**kwargs)  # type: ignore[arg-type]
    listed = [*kwargs["findings"], new]  # type: ignore[misc]
    after = building_health(**{**kwargs, "findings": listed})  # type: ignore[arg-type]
    assert never_higher(after, before)


@settings(deadline=None, max_examples=300)
@given(inputs, st.data())
def test_resolving_or_removing_a_finding_never_lowers_the_score(
    kwargs: dict[str, object], data: st.DataObject
) -> None:
    listed: list[Finding] = kwargs["findings"]  # type: ignore[assignment]
    if not listed:
        return
    index = data.draw(st.integers(0, len(listed) - 1))
    before = building_health(**kwargs)  # type: ignore[arg-type]
    removed = listed[:index] + listed[index + 1 :]
    resolved = [*removed, dataclasses.replace(listed[index], status="resolved")]
    for fewer in (removed, resolved):
        after = building_health(**{**kwargs, "findings": fewer})  # type: ignore[arg-type]
        assert never_higher(before, after)


@settings(deadline=None, max_examples=300)
@given(inputs, st.data(), st.floats(0.0, 1e6))
def test_more_waste_never_raises_the_score(
    kwargs: dict[str, object], data: st.DataObject, more_kwh: float
) -> None:
    listed: list[Finding] = kwargs["findings"]  # type: ignore[assignment]
    wasteful = [i for i, f in enumerate(listed) if f.waste_kwh is not None]
    if not wasteful:
        return
    index = data.draw(st.sampled_from(wasteful))
    grown = list(listed)
    grown[index] = dataclasses.replace(
        listed[index], waste_kwh=(listed[index].waste_kwh or 0.0) + more_kwh
    )
    before = building_health(**kwargs)  # type: ignore[arg-type]
    after = building_health(**{**kwargs, "findings": grown})  # type: ignore[arg-type]
    assert never_higher(after, before)


@settings(deadline=None, max_examples=300)
@given(inputs)
def test_scores_stay_within_0_100_and_the_band_matches(kwargs: dict[str, object]) -> None:
    health = building_health(**kwargs)  # type: ignore[arg-type]
    for value in scores(health):
        assert value is None or 0.0 <= value <= 100.0
    assert health.band == band_of(health.score)
    for p in health.parts:
        assert p.weight == WEIGHTS[Category(p.name)]
        assert len(p.reasons) <= 3
        assert all(r.points >= 0 for r in p.reasons)
        if p.score is not None:
            # The reasons shown are some of what the part lost (each rounded to 0.1).
            assert sum(r.points for r in p.reasons) <= 100.0 - p.score + 0.2


@settings(deadline=None, max_examples=200)
@given(inputs)
def test_the_score_is_deterministic(kwargs: dict[str, object]) -> None:
    assert building_health(**kwargs) == building_health(**kwargs)  # type: ignore[arg-type]


@settings(deadline=None, max_examples=200)
@given(inputs)
def test_what_is_known_does_not_depend_on_the_findings(kwargs: dict[str, object]) -> None:
    health = building_health(**kwargs)  # type: ignore[arg-type]
    bare = building_health(**{**kwargs, "findings": []})  # type: ignore[arg-type]
    assert [s is None for s in scores(health)] == [s is None for s in scores(bare)]


@settings(deadline=None)
@given(buildings, st.lists(findings, max_size=6))
def test_no_measurements_means_unknown_whatever_the_findings(
    building: BuildingInfo, listed: list[Finding]
) -> None:
    health = building_health(building=building, energy=None, findings=listed)
    assert health.score is None
    assert health.band is None
