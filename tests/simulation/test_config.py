from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest

from byggpuls.errors import ConfigError
from simulation import Activity, Portfolio
from simulation.model import Variability

EXAMPLE = """
seed = 7
start = 2026-01-05T00:00:00Z
interval_s = 900

[[buildings]]
id = "skole-01"
type = "school"
area_m2 = 4200
name = "Minde skole"
address = "Kalfarveien 31, 5018 Bergen"
water = true

[[buildings.faults]]
kind = "after_hours_ventilation"
start = 2026-01-09T16:00:00+01:00
duration_h = 62

[[buildings.faults]]
kind = "window_open"
start_day = 1.6
end_day = 2.3
zone = "zone2"

[[buildings]]
id = "kontor-01"
type = "office"
seed = 11
cooling = true
faults = [
  { kind = "simultaneous_heating_cooling", start_day = 3, end_day = 6, position_pct = 35 },
  { kind = "counter_reset", start_day = 2.5, points = ["el.energy"] },
]

[[buildings]]
id = "barnehage-01"
type = "kindergarten"
water = false
faults = "auto"
"""


def example() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE)


def test_a_toml_portfolio_is_built_as_described() -> None:
    portfolio = Portfolio.from_config(example())
    school = portfolio.building("skole-01")
    assert school.info.name == "Minde skole"
    assert school.info.floor_area_m2 == 4200
    assert school.info.address == "Kalfarveien 31, 5018 Bergen"
    assert school.interval_s == 900
    assert [f.kind for f in school.fault_specs] == ["after_hours_ventilation", "window_open"]
    ventilation, window = school.fault_specs
    assert ventilation.end_s - ventilation.start_s == 62 * 3600
    assert window.start_s == portfolio.start_s + 1.6 * 86_400
    points = {p.point for p in school.points()}
    assert "water.volume" in points
    office = portfolio.building("kontor-01")
    assert "ahu1.cooling_valve" in {p.point for p in office.points()}
    assert "water.volume" not in {p.point for p in portfolio.building("barnehage-01").points()}


def test_start_can_come_from_the_caller() -> None:
    config = example()
    del config["start"]
    portfolio = Portfolio.from_config(config, start_s=1_767_571_200.0)
    assert portfolio.start_s == 1_767_571_200.0
    with pytest.raises(ConfigError, match="start: missing"):
        Portfolio.from_config(config)


def broken(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """The example with one value replaced (``...`` deletes the key)."""
    config = copy.deepcopy(example())
    target: Any = config
    for step in path[:-1]:
        target = target[step]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return config


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("buildings",), [], "buildings: give at least one"),
        (("colour",), "blue", r"portfolio: unknown key\(s\) \['colour'\]"),
        (("interval_s",), 0, "interval_s: must be from 1 to 86400"),
        (("seed",), -1, "seed: must be at least 0"),
        (("start",), "2026-01-05 08:00", "has no UTC offset; add one"),
        (("start",), "next monday", "is not an ISO 8601 date-time"),
        (("buildings", 0, "aera_m2"), 10, r"buildings\[0\]: unknown key\(s\) \['aera_m2'\]"),
        (
            ("buildings", 0, "type"),
            "castle",
            r"buildings\[0\].type: 'castle' is not a building type",
        ),
        (("buildings", 0, "id"), "Skole 1", r"buildings\[0\].id: 'Skole 1': use 1-64"),
        (("buildings", 1, "id"), "skole-01", r"buildings\[1\].id: 'skole-01' is used twice"),
        (("buildings", 0, "area_m2"), -5, r"buildings\[0\].area_m2: must be positive"),
        (("buildings", 0, "water"), "yes", r"buildings\[0\].water: must be true or false"),
        (("buildings", 0, "faults"), "some", r"buildings\[0\].faults: use \"auto\", \"none\""),
        (
            ("buildings", 0, "faults", 0, "kind"),
            "gremlins",
            r"buildings\[0\].faults\[0\].kind: 'gremlins' is not a fault kind",
        ),
        (
            ("buildings", 0, "faults", 0, "duration_h"),
            ...,
            r"buildings\[0\].faults\[0\]: missing end, end_day or duration_h",
        ),
        (
            ("buildings", 0, "faults", 1, "start"),
            "2026-01-06T00:00:00Z",
            r"give start or start_day, not both",
        ),
        (("buildings", 0, "faults", 1, "zone"), ..., "say which zone has the open window"),
        (("buildings", 0, "faults", 1, "zone"), "attic", r"unknown zone 'attic'"),
        (
            ("buildings", 0, "faults", 0, "duration_h"),
            -3,
            r"buildings\[0\].faults\[0\].duration_h: must be positive",
        ),
        (("buildings", 1, "cooling"), False, "has no cooling coil"),
        (("buildings", 1, "faults", 1, "points"), ["el.power"], "only counters can be reset"),
        (
            ("buildings", 1, "faults", 1, "points"),
            ["gas.energy"],
            r"unknown points \['gas.energy'\]",
        ),
        (("buildings", 1, "faults", 0, "position_pct"), 140, r"position_pct must be in \(0, 100\]"),
        (("variability",), "no", "variability: must be true or false"),
        (("buildings", 0, "noise"), 0.9, r"buildings\[0\].noise: must be from 0 to 0.5"),
        (("buildings", 0, "noise"), "loud", r"buildings\[0\].noise: use true, false, a relative"),
        (
            ("buildings", 0, "noise"),
            {"volume": 1},
            r"buildings\[0\].noise: unknown key\(s\) \['volume'\]",
        ),
        (
            ("buildings", 0, "noise"),
            {"temperature_k": 5},
            r"buildings\[0\].noise.temperature_k: must be from 0 to 2",
        ),
        (
            ("buildings", 0, "legitimate_use"),
            ["cleaning", "parties"],
            r"buildings\[0\].legitimate_use: unknown activities \['parties'\]",
        ),
        (
            ("buildings", 0, "legitimate_use"),
            "cleaning",
            r"buildings\[0\].legitimate_use: use true, false or a list",
        ),
        (("buildings", 0, "drift"), -0.01, r"buildings\[0\].drift: must be from 0 to 0.2"),
        (("buildings", 0, "daylight"), "yes", r"buildings\[0\].daylight: must be true or false"),
    ],
)
def test_config_errors_say_where_and_what_to_fix(
    path: tuple[Any, ...], value: Any, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Portfolio.from_config(broken(path, value))


def test_fault_errors_name_the_building_and_fault() -> None:
    config = broken(("buildings", 1, "faults", 1, "points"), ["ahu1.heating_valve"])
    with pytest.raises(ConfigError) as caught:
        Portfolio.from_config(config)
    assert str(caught.value).startswith(
        "buildings[1].faults[1] (counter_reset, building kontor-01)"
    )


def test_generate_and_intervals_are_checked() -> None:
    with pytest.raises(ConfigError, match="at least one building"):
        Portfolio.generate(0, seed=1, start_s=0.0 + 86_400)
    portfolio = Portfolio.generate(1, seed=1, start_s=1_770_000_000.0)
    with pytest.raises(ConfigError, match="interval_s must be a whole number"):
        portfolio.set_interval(0)
    with pytest.raises(ConfigError, match="interval_s must be a whole number"):
        portfolio.buildings[0].interval_s = 1.5  # type: ignore[assignment]


VARIED = """
seed = 7
variability = true
start = 2026-01-05T00:00:00Z

[[buildings]]
id = "skole-01"
type = "school"
noise = 0.08
legitimate_use = ["cleaning", "community_use"]
drift = 0.02
daylight = false

[[buildings]]
id = "kontor-01"
type = "office"
noise = { electricity = 0.12, temperature_k = 0 }
legitimate_use = false
drift = false

[[buildings]]
id = "barnehage-01"
type = "kindergarten"
"""


def test_variability_is_configured_per_building_and_drawn_where_left_open() -> None:
    portfolio = Portfolio.from_config(tomllib.loads(VARIED))
    school = portfolio.building("skole-01").model.variability
    assert (school.electricity_noise, school.heat_noise) == (0.08, 0.08)
    assert 0.1 <= school.temperature_noise_k <= 0.3  # drawn
    assert school.activities == {"cleaning", "community_use"}
    assert school.drift_per_month == 0.02
    assert not school.daylight
    office = portfolio.building("kontor-01").model.variability
    assert office.electricity_noise == 0.12
    assert 0.05 <= office.heat_noise <= 0.15  # drawn
    assert office.temperature_noise_k == 0.0
    assert office.activities == frozenset()
    assert office.drift_per_month == 0.0
    default = portfolio.building("barnehage-01").model.variability
    assert 0.05 <= default.electricity_noise <= 0.15
    assert default.activities == {a.value for a in Activity}
    assert default.drift_per_month > 0
    assert default.daylight


def test_a_portfolio_can_turn_variability_off_for_every_building_but_one() -> None:
    config = tomllib.loads(VARIED)
    config["variability"] = False
    portfolio = Portfolio.from_config(config)
    assert portfolio.building("barnehage-01").model.variability == Variability()
    school = portfolio.building("skole-01").model.variability  # its own keys still apply
    assert school.electricity_noise == 0.08
    assert school.activities == {"cleaning", "community_use"}
    # noise = 0.08 asks for noise, so the wander is drawn even with the default off.
    assert school.temperature_noise_k > 0
    office = portfolio.building("kontor-01").model.variability
    assert office.electricity_noise == 0.12
    assert office.heat_noise > 0  # a noise table asks for noise: what it leaves out is drawn
    assert not office.daylight  # left at the portfolio's default: none


def test_setting_one_variability_key_does_not_change_the_others() -> None:
    def variability(**keys: Any) -> Any:
        building = {"id": "skole-01", "type": "school", **keys}
        config = {"variability": True, "seed": 7, "start": 1_767_571_200.0, "buildings": [building]}
        return Portfolio.from_config(config).buildings[0].model.variability

    drawn = variability()
    fixed = variability(noise={"electricity": 0.1})
    assert fixed.electricity_noise == 0.1
    assert (fixed.heat_noise, fixed.temperature_noise_k, fixed.drift_per_month) == (
        drawn.heat_noise,
        drawn.temperature_noise_k,
        drawn.drift_per_month,
    )
