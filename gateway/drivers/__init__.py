"""Sensor drivers: each turns one kind of source into readings of one building.

A driver is one module in this package (its test in ``tests/gateway/drivers/``, a sample
configuration in ``deploy/gateway/``) that registers itself by name::

    @register("modbus", options=ModbusOptions, summary="poll registers of a Modbus TCP device")
    def create(options: ModbusOptions, context: DriverContext) -> Driver: ...

The gateway finds it by the ``type`` of its ``[driver]`` table; the other keys of that table
are validated against ``options`` (a pydantic model) before the driver is created. Built-in
drivers are imported only when asked for, so a gateway without Modbus never imports pymodbus.

The gateway calls a driver from one thread: :meth:`Driver.next_poll_s` says when to call
:meth:`Driver.poll` next (``None``: the source is exhausted), and ``poll`` returns what is due
by then. A driver that can produce history (:class:`Backfill`) is offered the backfill first.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from byggpuls.errors import ConfigError
from byggpuls.reading import BuildingInfo, PointInfo, Reading

#: Drivers that ship with Byggpuls, by name -> module.
BUILTIN: dict[str, str] = {
    "simulated": "gateway.drivers.simulated",
    "csv_replay": "gateway.drivers.csv_replay",
    "modbus": "gateway.drivers.modbus",
}


class Driver(Protocol):
    """A source of readings of one building."""

    def building(self) -> BuildingInfo:
        """The building the readings are of."""
        ...

    def points(self) -> list[PointInfo]:
        """Every point the driver may report, with its metadata (published as ``meta``)."""
        ...

    def next_poll_s(self, now_s: float) -> float | None:
        """When (epoch seconds) :meth:`poll` has something next; ``None`` when exhausted."""
        ...

    def poll(self, now_s: float) -> list[Reading]:
        """The readings due by ``now_s``. Raises :class:`~gateway.errors.DriverError` when the
        source cannot be read now; the gateway logs it and polls again on schedule."""
        ...

    @property
    def historic(self) -> bool:
        """Whether the readings keep (a file, a simulation) rather than perish (a live device).

        Historic sources wait for the broker instead of letting the spool overflow.
        """
        ...

    def close(self) -> None:
        """Release the source (connections, files)."""
        ...


@runtime_checkable
class Backfill(Protocol):
    """A driver that can first produce the history of its building."""

    def backfill(
        self, *, start_s: float, end_s: float, interval_s: float
    ) -> Iterator[list[Reading]]:
        """Readings sampled every ``interval_s`` in ``[start_s, end_s)``, in time order, in chunks.

        After the last chunk, :meth:`Driver.poll` continues from ``end_s``.
        """
        ...


@dataclass(frozen=True, slots=True)
class DriverContext:
    """What a driver may need from the gateway's configuration besides its own options."""

    #: The ``[building]`` table, when the file has one.
    building: BuildingInfo | None
    #: Relative paths in the options are relative to this (the configuration file's folder).
    base_dir: Path
    #: Where a backfill will start, when one is planned: a simulation starts there.
    history_start_s: float | None = None

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base_dir / path


DriverFactory = Callable[[Any, DriverContext], Driver]


@dataclass(frozen=True, slots=True)
class DriverSpec:
    """A registered driver: its name, its options model and how to create it."""

    name: str
    options: type[BaseModel]
    create: DriverFactory
    summary: str
    #: Whether the gateway's file must have a ``[building]`` table for it.
    needs_building: bool = True


_registry: dict[str, DriverSpec] = {}


def register(
    name: str, *, options: type[BaseModel], summary: str, needs_building: bool = True
) -> Callable[[DriverFactory], DriverFactory]:
    """Register the decorated factory as driver ``name``."""

    def decorator(create: DriverFactory) -> DriverFactory:
        if name in _registry and _registry[name].create is not create:
            raise ValueError(f"driver {name!r} is registered twice")
        _registry[name] = DriverSpec(
            name=name,
            options=options,
            create=create,
            summary=summary,
            needs_building=needs_building,
        )
        return create

    return decorator


def get(name: str) -> DriverSpec:
    """The driver registered as ``name``, importing a built-in one on first use."""
    if name not in _registry and name in BUILTIN:
        importlib.import_module(BUILTIN[name])
    try:
        return _registry[name]
    except KeyError:
        raise ConfigError(
            f"no driver named {name!r}; available: {', '.join(available())}"
        ) from None


def available() -> list[str]:
    """Names of every driver that can be asked for."""
    return sorted(set(BUILTIN) | set(_registry))


__all__ = [
    "BUILTIN",
    "Backfill",
    "Driver",
    "DriverContext",
    "DriverSpec",
    "available",
    "get",
    "register",
]
