"""Encoding readings as InfluxDB line protocol."""

from __future__ import annotations

import math

import numpy as np
import pytest

from byggpuls.errors import StoreRejected
from byggpuls.reading import Reading
from byggpuls.storage.lineprotocol import chunked_bodies, encode, encode_lines


def reading(
    value: float = 21.5,
    *,
    building: str = "school-1",
    point: str = "ahu1.supply_air_temp",
    quantity: str = "temperature",
    zone: str | None = None,
    time_ms: int = 1_767_225_600_123,
) -> Reading:
    return Reading(
        building=building, point=point, quantity=quantity, time_ms=time_ms, value=value, zone=zone
    )


def test_a_reading_is_one_line_with_sorted_tags_and_ms_time() -> None:
    assert encode_lines([reading(zone="r101")]) == [
        "temperature,building=school-1,point=ahu1.supply_air_temp,zone=r101"
        " value=21.5 1767225600123"
    ]


def test_without_a_zone_there_is_no_zone_tag() -> None:
    lines = encode_lines([reading(), reading(zone="")])

    assert (
        lines
        == ["temperature,building=school-1,point=ahu1.supply_air_temp value=21.5 1767225600123"] * 2
    )


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (3, "3.0"),  # an int stays a float field (no "i" suffix)
        (True, "1.0"),  # never a boolean field
        (np.float64(0.1), "0.1"),
        (np.int64(-4), "-4.0"),
        (1e16, "1e+16"),
        (5e-324, "5e-324"),
        (-0.0, "-0.0"),
        (1 / 3, "0.3333333333333333"),
    ],
)
def test_the_value_is_always_a_float_literal(value: float, literal: str) -> None:
    (line,) = encode_lines([reading(value)])

    assert line.split(" ")[1] == f"value={literal}"
    assert float(literal) == value


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_rejected(value: float) -> None:
    with pytest.raises(StoreRejected, match="NaN or inf"):
        encode_lines([reading(), reading(value)])


@pytest.mark.parametrize("value", ["21.5", None, "abc"])
def test_a_value_that_is_no_number_is_rejected(value: object) -> None:
    with pytest.raises(StoreRejected, match="no number"):
        encode_lines([reading(value)])  # type: ignore[arg-type]


def test_special_characters_are_escaped() -> None:
    (line,) = encode_lines(
        [reading(quantity="air temp,x=1", building="a b,c=d", point="p\"q'", zone="z=1")]
    )

    assert line == (
        r"air\ temp\,x=1,building=a\ b\,c\=d,point=p"
        + "\"q'"
        + r",zone=z\=1 value=21.5 1767225600123"
    )


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("building", ""),
        ("point", ""),
        ("quantity", ""),
        ("point", "a\\b"),
        ("building", "trail\\"),
        ("zone", "r1\nother,building=x value=1"),
        ("point", "p\r"),
        ("quantity", "#comment"),
    ],
)
def test_names_that_cannot_be_written_are_rejected(field: str, text: str) -> None:
    with pytest.raises(StoreRejected):
        encode_lines([reading(**{field: text})])  # type: ignore[arg-type]


def test_series_are_encoded_in_order_with_their_own_tags() -> None:
    readings = [
        reading(1.0, point="a"),
        reading(2.0, point="b", zone="z"),
        reading(3.0, point="a", time_ms=5),
        reading(4.0, point="a", zone="z"),
    ]

    assert encode(readings) == (
        b"temperature,building=school-1,point=a value=1.0 1767225600123\n"
        b"temperature,building=school-1,point=b,zone=z value=2.0 1767225600123\n"
        b"temperature,building=school-1,point=a value=3.0 5\n"
        b"temperature,building=school-1,point=a,zone=z value=4.0 1767225600123"
    )


def test_unicode_is_utf8() -> None:
    assert encode([reading(zone="kjøkken")]).decode() == (
        "temperature,building=school-1,point=ahu1.supply_air_temp,zone=kjøkken"
        " value=21.5 1767225600123"
    )


def test_bodies_hold_at_most_max_lines() -> None:
    lines = [f"m,building=b,point=p value={i}.0 {i}" for i in range(7)]

    bodies = list(chunked_bodies(lines, max_lines=3))

    assert [body.count(b"\n") + 1 for body in bodies] == [3, 3, 1]
    assert b"\n".join(bodies).decode().split("\n") == lines


def test_max_lines_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        list(chunked_bodies(["x"], max_lines=0))
