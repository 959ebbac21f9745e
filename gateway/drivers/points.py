"""Point options that configured drivers share: what a value is, and how to convert it to SI."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from byggpuls import units
from byggpuls.errors import ConfigError
from byggpuls.reading import ID_PATTERN, POINT_PATTERN, QUANTITY_PATTERN, PointInfo


class Strict(BaseModel):
    """Options models refuse unknown keys: a misspelt key is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PointOptions(Strict):
    """One point: its id, metadata for ``meta``, and the unit conversion of its values."""

    point: str = Field(pattern=f"^{POINT_PATTERN.pattern}$")
    #: The stored (SenML) unit, e.g. ``Cel``, ``%``, ``kWh``.
    unit: str = Field(min_length=1, max_length=32)
    #: The unit the source reports in, when it differs (``degF``, ``/`` for a 0-1 signal, ``Wh``).
    source_unit: str | None = Field(default=None, min_length=1, max_length=32)
    #: The InfluxDB measurement; default: the usual quantity of ``unit``.
    quantity: str | None = Field(default=None, pattern=f"^{QUANTITY_PATTERN.pattern}$")
    brick_class: str | None = Field(default=None, max_length=128)
    #: Default: the driver's ``domain``.
    domain: str | None = Field(default=None, pattern=f"^{ID_PATTERN.pattern}$")
    zone: str | None = Field(default=None, pattern=f"^{ID_PATTERN.pattern}$")
    description: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _check_units(self) -> Self:
        try:
            units.converter(self.source_unit or self.unit, self.unit)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        if self.quantity is None and self.unit not in units.DEFAULT_QUANTITY:
            raise ValueError(
                f"unit {self.unit!r} has no default quantity: set quantity (snake_case, "
                "e.g. 'temperature')"
            )
        return self

    def resolved_quantity(self) -> str:
        return self.quantity or units.DEFAULT_QUANTITY[self.unit]

    def convert(self) -> Callable[[float], float]:
        """The function from the source's value to the stored unit."""
        return units.converter(self.source_unit or self.unit, self.unit)

    def info(self, *, domain: str, interval_s: int | None) -> PointInfo:
        return PointInfo(
            point=self.point,
            domain=self.domain or domain,
            quantity=self.resolved_quantity(),
            unit=self.unit,
            brick_class=self.brick_class,
            zone=self.zone,
            interval_s=interval_s,
            description=self.description,
        )


def check_points(points: Sequence[PointOptions], *, default_domain: str | None) -> None:
    """Raise ``ValueError`` for duplicate point ids and points without a domain."""
    seen: set[str] = set()
    for index, point in enumerate(points):
        if point.point in seen:
            raise ValueError(f"point {point.point!r} (entry {index}) appears twice")
        seen.add(point.point)
        if point.domain is None and default_domain is None:
            raise ValueError(
                f"point {point.point!r} (entry {index}) has no domain: set domain on it or "
                "on the driver (energy, climate, hvac, occupancy, water, ...)"
            )


__all__ = ["PointOptions", "Strict", "check_points"]
