"""Unit conversions drivers apply before readings leave the gateway."""

from __future__ import annotations

import pytest

from byggpuls.errors import ConfigError
from byggpuls.units import DEFAULT_QUANTITY, convert, converter


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (32.0, "degF", "Cel", 0.0),
        (212.0, "degF", "Cel", 100.0),
        (-40.0, "degF", "Cel", -40.0),
        (273.15, "K", "Cel", 0.0),
        (1500.0, "Wh", "kWh", 1.5),
        (0.25, "/", "%", 25.0),
        (21.5, "Cel", "Cel", 21.5),
    ],
)
def test_converts_known_units(value: float, source: str, target: str, expected: float) -> None:
    assert convert(value, source=source, target=target) == pytest.approx(expected)


def test_unknown_conversion_is_a_config_error_naming_both_units() -> None:
    with pytest.raises(ConfigError, match="'furlong' to 'Cel'"):
        converter("furlong", "Cel")


def test_default_quantities_are_valid_measurement_names() -> None:
    from byggpuls.reading import is_quantity

    assert all(is_quantity(q) for q in DEFAULT_QUANTITY.values())
    assert DEFAULT_QUANTITY["Cel"] == "temperature"
