"""Faults that can be injected into a simulated building, and the ground truth they leave.

Physical faults change what the building does, so they show in the meters:

- ``after_hours_ventilation``: the air handling unit runs at full speed around the clock
  (left in manual); the waste is the night, weekend and holiday operation.
- ``after_hours_heating``: the night setback is off (zones and radiator circuit stay at day level).
- ``simultaneous_heating_cooling``: a coil valve is stuck part open (``valve`` = "cooling" or
  "heating", ``position_pct``); the other coil fights it to hold the supply temperature.
- ``damper_stuck_open``: the outdoor-air damper stays at 100 %; more cold air to heat while the
  unit runs, and a draught through the unit while it is stopped.
- ``window_open``: a window open in one zone (``zone``); extra outdoor air
  (``opening_m3_h``, default 1.5 zone volumes an hour), the zone cools, the radiators go full.
- ``setpoint_too_high``: zone setpoints raised by ``delta_c`` (one ``zone`` or all).
- ``baseload_drift``: equipment left on, its load rising linearly to ``extra_kw`` at the end.

Meter faults change only what is reported, not the building:

- ``meter_stuck``: the reading of ``points`` freezes at its value at the start.
- ``meter_spike``: the reading of ``points`` is multiplied by ``factor`` inside the window.
- ``meter_gap``: no readings of ``points`` inside the window (as if the gateway were offline).
- ``counter_reset``: the counter in ``points`` restarts from zero at ``start`` (meter replaced).

Legitimate use outside opening hours (cleaning, community lets, events, early openings, late
work: :mod:`simulation.activities`) is recorded in the ground truth too, as kind
``legitimate_use`` with ``fault = False``: a detector that reports it has raised a false alarm.

Windows are half-open, ``[start, end)``, in UTC epoch seconds; a physics step takes part when
its midpoint lies inside. A reading at time t reports the step that ends at t, so a physical
fault shows in the readings stamped after its start, up to and including its end; meter faults
act on the readings stamped in ``[start, end)`` (a counter reset: from ``start`` on).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from byggpuls.errors import ConfigError
from simulation.model import BuildingModel


class FaultKind(StrEnum):
    """The kinds of fault the simulation can inject."""

    AFTER_HOURS_VENTILATION = "after_hours_ventilation"
    AFTER_HOURS_HEATING = "after_hours_heating"
    SIMULTANEOUS_HEATING_COOLING = "simultaneous_heating_cooling"
    DAMPER_STUCK_OPEN = "damper_stuck_open"
    WINDOW_OPEN = "window_open"
    SETPOINT_TOO_HIGH = "setpoint_too_high"
    BASELOAD_DRIFT = "baseload_drift"
    METER_STUCK = "meter_stuck"
    METER_SPIKE = "meter_spike"
    METER_GAP = "meter_gap"
    COUNTER_RESET = "counter_reset"


METER_KINDS: Final = frozenset(
    {FaultKind.METER_STUCK, FaultKind.METER_SPIKE, FaultKind.METER_GAP, FaultKind.COUNTER_RESET}
)
PHYSICAL_KINDS: Final = frozenset(FaultKind) - METER_KINDS
COUNTER_POINTS: Final = ("el.energy", "dh.energy", "water.volume")


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One fault to inject: its kind, window and the parameters its kind uses."""

    kind: FaultKind
    start_s: float
    end_s: float
    #: window_open (required), setpoint_too_high (None: every zone).
    zone: str | None = None
    #: setpoint_too_high: how much higher, K.
    delta_c: float = 3.0
    #: simultaneous_heating_cooling: which valve is stuck ("cooling" or "heating") and where.
    valve: str = "cooling"
    position_pct: float = 30.0
    #: window_open: outdoor air through the window, m³/h (None: 1.5 zone volumes an hour).
    opening_m3_h: float | None = None
    #: baseload_drift: the extra electric load reached at the end, kW (None: 3 W/m²).
    extra_kw: float | None = None
    #: Meter faults: the points whose readings are affected.
    points: tuple[str, ...] = ()
    #: meter_spike: what the readings are multiplied by.
    factor: float = 10.0

    @property
    def physical(self) -> bool:
        """Whether the fault changes the building (and so its energy use)."""
        return self.kind in PHYSICAL_KINDS

    def params(self) -> dict[str, float | str]:
        """The parameters that matter for this kind, for the ground-truth record."""
        kind = self.kind
        if kind == FaultKind.SETPOINT_TOO_HIGH:
            return {"zone": self.zone or "all", "delta_c": self.delta_c}
        if kind == FaultKind.SIMULTANEOUS_HEATING_COOLING:
            return {"valve": self.valve, "position_pct": self.position_pct}
        if kind == FaultKind.WINDOW_OPEN:
            params: dict[str, float | str] = {"zone": self.zone or ""}
            if self.opening_m3_h is not None:
                params["opening_m3_h"] = self.opening_m3_h
            return params
        if kind == FaultKind.BASELOAD_DRIFT and self.extra_kw is not None:
            return {"extra_kw": self.extra_kw}
        if kind == FaultKind.METER_SPIKE:
            return {"factor": self.factor}
        return {}


@dataclass(frozen=True, slots=True)
class GroundTruthFault:
    """A fault that was injected, as analytics should have found it.

    ``start`` and ``end`` are UTC epoch seconds (``end`` equals ``start`` for a counter reset).
    ``extra_energy_kwh`` is the delivered energy (electricity plus district heat) the fault
    added: the building run with all its faults minus the same building run without this one
    (the counterfactual), from the fault's start to 24 hours after its end, so that the recovery
    afterwards (a cold zone reheating) counts too. It can be split into electricity and heat,
    and it can be negative in one of them: equipment left on also heats the rooms, so the
    radiators deliver less. ``accounted_until`` is how far the simulation had run when this
    record was made: the extra energy is counted up to there. Meter faults add no energy.

    ``fault`` is False for an episode of legitimate use (kind ``legitimate_use``, the activity
    in ``params["activity"]``): not a fault, and what a detector should not report. Its extra
    energy is what its own equipment used (lights, plug loads, the fans, chiller and air
    heating coil run for it, its people's hot water), without the radiators' response.
    """

    building: str
    kind: str
    start: float
    end: float
    points: tuple[str, ...]
    extra_energy_kwh: float
    extra_electricity_kwh: float = 0.0
    extra_heat_kwh: float = 0.0
    accounted_until: float | None = None
    params: dict[str, float | str] = field(default_factory=dict)
    fault: bool = True


def check_fault(
    fault: FaultSpec, *, building: BuildingModel, point_ids: Collection[str], where: str
) -> None:
    """Raise :class:`ConfigError` saying what to fix when ``fault`` cannot apply to ``building``.

    ``where`` names the fault in the message (e.g. ``"buildings[2].faults[0]"``).
    """
    problem = (
        _window_problem(fault)
        or _zone_problem(fault, building)
        or _valve_problem(fault, building)
        or _parameter_problem(fault)
        or _points_problem(fault, sorted(point_ids))
    )
    if problem:
        raise ConfigError(f"{where} ({fault.kind.value}, building {building.info.id}): {problem}")


def _window_problem(fault: FaultSpec) -> str | None:
    if fault.kind == FaultKind.COUNTER_RESET:
        if fault.end_s != fault.start_s:
            return "a counter reset is an instant: give only its start"
    elif not fault.end_s > fault.start_s:
        return f"end ({fault.end_s:.0f}) must be after start ({fault.start_s:.0f})"
    return None


def _zone_problem(fault: FaultSpec, building: BuildingModel) -> str | None:
    zone_ids = [zone.id for zone in building.zones]
    if fault.kind == FaultKind.WINDOW_OPEN and fault.zone is None:
        return f"say which zone has the open window: zone = one of {zone_ids}"
    if fault.zone is not None and fault.zone not in zone_ids:
        return f"unknown zone {fault.zone!r}; this building has {zone_ids}"
    return None


def _valve_problem(fault: FaultSpec, building: BuildingModel) -> str | None:
    if fault.kind != FaultKind.SIMULTANEOUS_HEATING_COOLING:
        return None
    if not building.ahu.has_cooling:
        return "the air handling unit has no cooling coil; choose a building with cooling"
    if fault.valve not in ("cooling", "heating"):
        return f"valve must be 'cooling' or 'heating', not {fault.valve!r}"
    if not 0.0 < fault.position_pct <= 100.0:
        return f"position_pct must be in (0, 100], not {fault.position_pct}"
    return None


def _parameter_problem(fault: FaultSpec) -> str | None:
    positive = {
        "delta_c": fault.delta_c,
        "opening_m3_h": fault.opening_m3_h,
        "extra_kw": fault.extra_kw,
        "factor": fault.factor,
    }
    for name, value in positive.items():
        if value is not None and not value > 0.0:
            return f"{name} must be positive, not {value}"
    return None


def _points_problem(fault: FaultSpec, point_ids: list[str]) -> str | None:
    if fault.kind not in METER_KINDS:
        if fault.points:
            return "points only apply to meter faults; physical faults name their own points"
        return None
    if not fault.points:
        return f"say which points: points = [...] from {point_ids}"
    unknown = [p for p in fault.points if p not in point_ids]
    if unknown:
        return f"unknown points {unknown}; this building has {point_ids}"
    not_counters = [p for p in fault.points if p not in COUNTER_POINTS]
    if fault.kind == FaultKind.COUNTER_RESET and not_counters:
        return f"only counters can be reset ({', '.join(COUNTER_POINTS)}), not {not_counters}"
    return None


_ELECTRICITY: Final = ("el.power", "el.energy")
_HEAT: Final = ("dh.power", "dh.energy")
#: Points a physical fault shows on besides its zones' own.
_SHOWS_ON: Final[dict[FaultKind, tuple[str, ...]]] = {
    FaultKind.AFTER_HOURS_VENTILATION: (
        "ahu1.supply_fan_status",
        "ahu1.supply_fan_speed",
        *_ELECTRICITY,
        *_HEAT,
    ),
    FaultKind.AFTER_HOURS_HEATING: ("heating.supply_water_temp", *_HEAT),
    FaultKind.SIMULTANEOUS_HEATING_COOLING: (
        "ahu1.heating_valve",
        "ahu1.cooling_valve",
        *_ELECTRICITY,
        *_HEAT,
    ),
    FaultKind.DAMPER_STUCK_OPEN: ("ahu1.outdoor_air_damper", "ahu1.mixed_air_temp", *_HEAT),
    FaultKind.WINDOW_OPEN: _HEAT,
    FaultKind.SETPOINT_TOO_HIGH: _HEAT,
    FaultKind.BASELOAD_DRIFT: _ELECTRICITY,
}
#: Zone points a physical fault shows on, for each zone it affects.
_ZONE_POINTS: Final[dict[FaultKind, tuple[str, ...]]] = {
    FaultKind.AFTER_HOURS_HEATING: ("air_temp_setpoint",),
    FaultKind.WINDOW_OPEN: ("air_temp", "co2"),
    FaultKind.SETPOINT_TOO_HIGH: ("air_temp_setpoint", "air_temp"),
}


def affected_points(fault: FaultSpec, building: BuildingModel) -> tuple[str, ...]:
    """The points where ``fault`` shows, for the ground-truth record."""
    if fault.kind in METER_KINDS:
        return fault.points
    zones = [zone.id for zone in building.zones if fault.zone in (None, zone.id)]
    suffixes = _ZONE_POINTS.get(fault.kind, ())
    own = tuple(f"{zone}.{suffix}" for zone in zones for suffix in suffixes)
    return (*own, *_SHOWS_ON[fault.kind])
