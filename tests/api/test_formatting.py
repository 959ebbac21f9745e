"""Numbers, units and times formatted as the reader writes them: bokmål by default, English on
request, with Babel's symbols for each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api import formatting

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (42.25, 1, "42,3"),  # half away from zero, as the browser's Intl rounds
        (1234.5, 1, f"1{NBSP}234,5"),
        (-1234.56, 1, f"\u22121{NBSP}234,6"),
        (-0.04, 1, "0,0"),
        (1_000_000, 0, f"1{NBSP}000{NBSP}000"),
        (None, 1, "\u2013"),
        (float("nan"), 1, "\u2013"),
    ],
)
def test_number(value: float | None, decimals: int, text: str) -> None:
    assert formatting.number(value, decimals) == text


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (42.25, 1, "42.3"),
        (1234.5, 1, "1,234.5"),
        (-1234.56, 1, "-1,234.6"),
        (-0.04, 1, "0.0"),
        (1_000_000, 0, "1,000,000"),
        (None, 1, "\u2013"),
    ],
)
def test_number_in_english(value: float | None, decimals: int, text: str) -> None:
    assert formatting.number(value, decimals, lang="en") == text


def test_an_unknown_language_formats_as_bokmal() -> None:
    assert formatting.number(1234.5, 1, lang="xx") == f"1{NBSP}234,5"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (21.44, "Cel", f"21,4{NBSP}°C"),
        (812.4, "ppm", f"812{NBSP}ppm"),
        (42.25, "kW", f"42,3{NBSP}kW"),
        (45.0, "%RH", f"45{NBSP}% RH"),
        (3.14159, "m3/s", f"3,14{NBSP}m³/s"),
        (0.5, "/", "0,50"),
        (None, "kW", "\u2013"),
    ],
)
def test_reading_has_unit_and_sensible_decimals(value: float | None, unit: str, text: str) -> None:
    assert formatting.reading(value, unit) == text


def test_value_range_collapses_when_the_ends_agree() -> None:
    assert formatting.value_range(20.1, 22.8, "Cel") == f"20,1\u201322,8{NBSP}°C"
    assert formatting.value_range(21.01, 21.04, "Cel") == f"21,0{NBSP}°C"


def test_local_time_is_norwegian() -> None:
    winter = datetime(2025, 1, 31, 6, 59, tzinfo=UTC)
    summer = datetime(2025, 7, 1, 6, 59, tzinfo=UTC)
    assert formatting.local_time(winter) == "31.01.2025 07:59"
    assert formatting.local_time(summer) == "01.07.2025 08:59"
    assert formatting.local_time(int(winter.timestamp() * 1000)) == "31.01.2025 07:59"
    assert formatting.local_time(summer, lang="en") == "01/07/2025 08:59"
    assert formatting.iso_time(winter) == "2025-01-31T06:59:00Z"


@pytest.mark.parametrize(
    ("before", "nb", "en"),
    [
        (timedelta(seconds=5), "akkurat nå", "just now"),
        (timedelta(minutes=5), "for 5 minutter siden", "5 minutes ago"),
        (timedelta(hours=3), "for 3 timer siden", "3 hours ago"),
        # Hours up to two days, then days.
        (timedelta(hours=30), "for 30 timer siden", "30 hours ago"),
        (timedelta(days=3), "for 3 døgn siden", "3 days ago"),
    ],
)
def test_age(before: timedelta, nb: str, en: str) -> None:
    now = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
    assert formatting.age(now - before, now=now) == nb
    assert formatting.age(now - before, now=now, lang="en") == en


def test_age_of_nothing() -> None:
    assert formatting.age(None) == "aldri"
    assert formatting.age(None, lang="en") == "never"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("nursing_home", "Nursing home"),
        ("co2_high", "CO₂ high"),
        ("baseline_kw", "Baseline (kW)"),
        ("waste_nok", "Waste (NOK)"),
        ("hours", "Hours"),
    ],
)
def test_label(name: str, text: str) -> None:
    assert formatting.label(name, lang="en") == text


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("nursing_home", "Sykehjem"),
        ("baseline_kw", "Forventet (kW)"),
        ("waste_nok", "Merforbruk (NOK)"),
        ("indoor_climate", "Inneklima"),
        ("acknowledge", "Kvitter"),
        ("co2e_kg", "CO₂e (kg)"),
        ("some_new_kind", "Some new kind"),  # no translation: the English words
    ],
)
def test_label_in_bokmal(name: str, text: str) -> None:
    assert formatting.label(name) == text


def test_evidence_values() -> None:
    assert formatting.evidence(31.5) == "31,5"
    assert formatting.evidence(1200) == f"1{NBSP}200"
    assert formatting.evidence(True) == "ja"
    assert formatting.evidence(True, lang="en") == "yes"
    assert formatting.evidence(1200, lang="en") == "1,200"
    assert formatting.evidence([1, 2]) == "[1, 2]"
    assert formatting.evidence("mandag") == "mandag"


def test_money_energy_area() -> None:
    assert formatting.nok(1234.4) == f"1{NBSP}234{NBSP}kr"
    assert formatting.kwh(412.5) == f"413{NBSP}kWh"
    assert formatting.area(5400) == f"5{NBSP}400{NBSP}m²"
    assert formatting.area(None) == "\u2013"
    assert formatting.nok(1234.4, lang="en") == f"1,234{NBSP}kr"


def test_health_parts_in_a_word() -> None:
    assert formatting.part_short("indoor_climate") == "Klima"
    assert formatting.part_short("indoor_climate", lang="en") == "Climate"
    assert formatting.part_short("comfort", lang="en") == "Comfort"
