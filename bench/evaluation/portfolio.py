"""How well the analysis finds the faults injected into a simulated portfolio.

Turns the simulator's readings into :class:`BuildingData` (as the service would read them from
the store), and matches the analysis' findings with the simulator's ground truth: a finding and
a fault match when they are in the same building, their windows overlap (``[start, end)``; a
counter reset, an instant, counts as one second) and the finding's kind may rightly report the
fault's kind (:data:`ACCEPTED`).

A detection delay can be negative: a finding that began before the fault (an episode
already open, or a counter reset seen at the hour it falls in) still overlaps it. A finding's
waste is compared with a fault's extra energy over the hours that energy is counted
(the fault's window and the day after); a finding overlapping two faults counts for both.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from analytics.equipment import ahu_series, ahu_units
from analytics.equipment.run import AhuUnit
from analytics.pipeline import (
    BASELINE_REVIEW_KIND,
    METER_FAULT_KIND,
    BuildingData,
    Detection,
    Meter,
    Readings,
    hour_grid,
    hourly,
)
from analytics.zones.checks import ZoneSeries
from byggpuls.reading import PointInfo
from simulation.faults import GroundTruthFault
from simulation.portfolio import Portfolio

SECONDS_PER_DAY: Final = 86_400.0
SECONDS_PER_HOUR: Final = 3_600.0
DAYS_PER_MONTH: Final = 365.25 / 12
#: The extra energy of a fault is counted up to a day after its end (a cold zone reheating).
RECOVERY_S: Final = SECONDS_PER_DAY
#: Below this, a fault's extra energy in a carrier is too small to judge a waste figure against.
MIN_EXTRA_KWH: Final = 10.0

PHYSICAL_KINDS: Final = (
    "after_hours_ventilation",
    "after_hours_heating",
    "baseload_drift",
    "setpoint_too_high",
    "window_open",
    "damper_stuck_open",
    "simultaneous_heating_cooling",
)
METER_KINDS: Final = ("meter_stuck", "meter_spike", "meter_gap", "counter_reset")
#: What each finding kind may rightly report.
ACCEPTED: Final[dict[str, frozenset[str]]] = {
    "after_hours_operation": frozenset(
        {"after_hours_ventilation", "baseload_drift", "simultaneous_heating_cooling"}
    ),
    "after_hours_heating": frozenset(
        {
            "after_hours_heating",
            "after_hours_ventilation",
            "window_open",
            "setpoint_too_high",
            "damper_stuck_open",
        }
    ),
    "heating_out_of_line": frozenset(
        {
            "setpoint_too_high",
            "after_hours_heating",
            "window_open",
            "damper_stuck_open",
            "simultaneous_heating_cooling",
        }
    ),
    "baseload_drift": frozenset({"baseload_drift"}),
    "unusual_day": frozenset(PHYSICAL_KINDS),
    # The rooms and the plant (analytics.plant).
    "window_open": frozenset({"window_open"}),
    "setpoint_too_high": frozenset({"setpoint_too_high"}),
    "simultaneous_heating_cooling": frozenset({"simultaneous_heating_cooling"}),
    "damper_out_of_position": frozenset({"damper_stuck_open"}),
    # Consequences a stuck valve or damper has on the supply and mixed air.
    "supply_temp_off_setpoint": frozenset({"simultaneous_heating_cooling", "damper_stuck_open"}),
    "mixed_air_out_of_range": frozenset({"simultaneous_heating_cooling", "damper_stuck_open"}),
    "fan_outside_hours": frozenset({"after_hours_ventilation"}),
    # Cooling where outdoor air would do: a coil fighting heat, as a leaking valve makes it.
    "cooling_with_cold_outdoor_air": frozenset({"simultaneous_heating_cooling"}),
    # The simulated units have no duct pressure: any such finding is a false alarm.
    "duct_pressure_off_setpoint": frozenset(),
    METER_FAULT_KIND: frozenset(METER_KINDS),
}
WASTE_KINDS: Final = tuple(kind for kind in ACCEPTED if kind != METER_FAULT_KIND)
#: The finding kind that should report each fault kind the issue names.
PRIMARY: Final[dict[str, str]] = {
    "after_hours_ventilation": "after_hours_operation",
    "after_hours_heating": "after_hours_heating",
    "baseload_drift": "baseload_drift",
    # A raised setpoint is found on the zone's own setpoint; the energy signature
    # (heating_out_of_line) finds it on the heat meter alone, where a building has no zones.
    "setpoint_too_high": "setpoint_too_high",
    "window_open": "window_open",
    "simultaneous_heating_cooling": "simultaneous_heating_cooling",
    "damper_stuck_open": "damper_out_of_position",
}
METER_POINTS: Final = (
    ("el.power", "electricity", ("el.energy",)),
    ("dh.power", "heat", ("dh.energy",)),
)
OUTDOOR_POINT: Final = "ahu1.outdoor_air_temp"
#: The simulator's sensors (the last part of their ids) whose readings are checked for stuck
#: runs and gaps, as the service checks every temperature, CO2 and humidity sensor.
SENSOR_SUFFIXES: Final = frozenset(
    {
        "air_temp",
        "co2",
        "humidity",
        "outdoor_air_temp",
        "outdoor_air_humidity",
        "supply_air_temp",
        "return_air_temp",
        "mixed_air_temp",
        "supply_water_temp",
    }
)
CARRIER_OF_PREFIX: Final = {"el.": "electricity", "dh.": "heat"}


def building_data(
    *,
    building: str,
    building_type: str,
    times_s: Any,
    points: Sequence[PointInfo],
    values: Any,
    start_s: float,
    end_s: float,
) -> BuildingData:
    """What the analysis needs of one simulated building, from its readings as stored: its
    meters and sensors, its zones hourly and its air handling units at the readings' step."""
    names = [p.point for p in points]
    grid = hour_grid(start_s, end_s)
    times = np.asarray(times_s, dtype=np.float64)

    def series(point: str) -> Any:
        return np.asarray(values[names.index(point)], dtype=np.float64)

    meters = tuple(
        Meter(point, carrier, hourly(times, series(point), hours_s=grid), counters)  # type: ignore[arg-type]
        for point, carrier, counters in METER_POINTS
    )
    readings = tuple(
        Readings(point, times, series(point), counter)
        for point, counter in (
            ("el.power", False),
            ("el.energy", True),
            ("dh.power", False),
            ("dh.energy", True),
        )
    ) + tuple(
        Readings(point, times, series(point), counter=False, sensor=True)
        for point in names
        if point.rsplit(".", 1)[-1] in SENSOR_SUFFIXES
    )
    outdoor = hourly(times, series(OUTDOOR_POINT), hours_s=grid)

    def hours_of(point: str) -> Any:
        if point not in names:
            return np.full(grid.shape, np.nan)
        return hourly(times, series(point), hours_s=grid)

    zone_ids = sorted({n.split(".")[0] for n in names if n.startswith("zone")})
    described = {p.point: p.description or "" for p in points}
    zones = tuple(
        ZoneSeries(
            zone=z,
            temperature=f"{z}.air_temp",
            setpoint=f"{z}.air_temp_setpoint",
            temp_c=hours_of(f"{z}.air_temp"),
            setpoint_c=hours_of(f"{z}.air_temp_setpoint"),
            name=described.get(f"{z}.air_temp", "").partition(":")[0].strip(),
            co2_ppm=hours_of(f"{z}.co2"),
        )
        for z in zone_ids
    )
    ahus = tuple(
        AhuUnit(
            unit,
            tuple(sorted(fields.values())),
            ahu_series(
                times_s=times,
                values={point: series(point) for point in fields.values()},
                fields=fields,
                units={p.point: p.unit for p in points},
            ),
        )
        for unit, fields in sorted(ahu_units(points).items())
    )
    return BuildingData(
        building,
        building_type,
        grid,
        meters,
        outdoor,
        readings,
        zones=zones,
        supply_water_c=hours_of("heating.supply_water_temp"),
        ahus=ahus,
    )


@dataclass(frozen=True, slots=True)
class Simulated:
    """A simulated portfolio as the analysis sees it, and what was injected into it."""

    buildings: list[BuildingData]
    truth: list[GroundTruthFault]
    start_s: float
    end_s: float


def simulate(
    *, buildings: int, days: float, seed: int, start_s: float, interval_s: int = 900
) -> Simulated:
    """``buildings`` buildings with faults over ``days`` days from ``start_s``, a reading every
    ``interval_s``, with meter and occupant noise and legitimate use outside hours."""
    portfolio = Portfolio.generate(
        buildings,
        seed=seed,
        start_s=start_s,
        interval_s=interval_s,
        fault_window_days=days,
        variability=True,
    )
    end_s = start_s + days * SECONDS_PER_DAY
    types = {b.info.id: str(b.info.type) for b in portfolio.buildings}
    data = [
        building_data(
            building=block.building,
            building_type=types[block.building],
            times_s=block.times_s,
            points=block.points,
            values=block.values,
            start_s=start_s,
            end_s=end_s,
        )
        for block in portfolio.advance_blocks(end_s)
    ]
    truth = portfolio.ground_truth(legitimate_use=True)
    return Simulated(buildings=data, truth=truth, start_s=start_s, end_s=end_s)


def overlaps(detection: Detection, record: GroundTruthFault) -> bool:
    """Whether a finding and a ground-truth record are in the same building and time."""
    return (
        detection.building == record.building
        and detection.start_s < max(record.end, record.start + 1.0)
        and detection.end_s > record.start
    )


def _carrier_of(point: str) -> str | None:
    return next((c for prefix, c in CARRIER_OF_PREFIX.items() if point.startswith(prefix)), None)


def _waste_in(detection: Detection, record: GroundTruthFault, carrier: str) -> float:
    """The finding's waste of ``carrier`` in the hours the fault's extra energy is counted
    over (a ventilation finding holds the heat its coil used as well as its electricity)."""
    hours, waste = detection.waste_of(carrier)
    inside = (hours >= record.start) & (hours < record.end + RECOVERY_S)
    return float(waste[inside].sum())


def _median(values: Iterable[float]) -> float | None:
    listed = list(values)
    return round(statistics.median(listed), 3) if listed else None


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    total = precision + recall
    return round(2 * precision * recall / total, 3) if total else 0.0


def evaluate(
    detections: Sequence[Detection],
    truth: Sequence[GroundTruthFault],
    *,
    score_from_s: float,
    building_months: float,
) -> dict[str, Any]:
    """Recall per fault kind, precision per finding kind, delays, waste errors, false alarms.

    Only faults that start at or after ``score_from_s`` count for recall; every fault counts
    when judging whether a finding is right.
    """
    faults = [r for r in truth if r.fault]
    legitimate = [r for r in truth if not r.fault]
    scored = [r for r in faults if r.start >= score_from_s]
    waste = [d for d in detections if d.kind in WASTE_KINDS]

    by_fault: dict[str, dict[str, Any]] = {}
    for kind in (*PHYSICAL_KINDS, *METER_KINDS):
        injected = [r for r in scored if r.kind == kind]
        found = 0
        primary_found = 0
        delays_h: list[float] = []
        errors: dict[str, list[float]] = {"electricity": [], "heat": []}
        for record in injected:
            matching = [
                d for d in detections if kind in ACCEPTED.get(d.kind, ()) and overlaps(d, record)
            ]
            if not matching:
                continue
            found += 1
            primary_found += any(d.kind == PRIMARY.get(kind) for d in matching)
            delays_h.append((min(d.start_s for d in matching) - record.start) / SECONDS_PER_HOUR)
            for carrier, extra in (
                ("electricity", record.extra_electricity_kwh),
                ("heat", record.extra_heat_kwh),
            ):
                if extra < MIN_EXTRA_KWH:
                    continue
                priced = sum(_waste_in(d, record, carrier) for d in waste if overlaps(d, record))
                errors[carrier].append((priced - extra) / extra)
        by_fault[kind] = {
            "injected": len(injected),
            "found": found,
            "recall": _ratio(found, len(injected)),
            "recall_primary": _ratio(primary_found, len(injected)) if kind in PRIMARY else None,
            "delay_h_median": _median(delays_h),
            "waste_error_electricity_median": _median(errors["electricity"]),
            "waste_error_electricity_n": len(errors["electricity"]),
            "waste_error_heat_median": _median(errors["heat"]),
            "waste_error_heat_n": len(errors["heat"]),
        }

    by_finding: dict[str, dict[str, Any]] = {}
    for kind, accepted in ACCEPTED.items():
        mine = [d for d in detections if d.kind == kind]
        right = sum(any(r.kind in accepted and overlaps(d, r) for r in faults) for d in mine)
        by_finding[kind] = {
            "findings": len(mine),
            "right": right,
            "precision": _ratio(right, len(mine)),
            "waste_kwh": round(sum(d.total_waste_kwh for d in mine), 1),
        }

    primary = {}
    for fault_kind, finding_kind in PRIMARY.items():
        precision = by_finding[finding_kind]["precision"]
        recall = by_fault[fault_kind]["recall_primary"]
        primary[fault_kind] = {
            "finding_kind": finding_kind,
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "recall_any_accepted": by_fault[fault_kind]["recall"],
            "delay_h_median": by_fault[fault_kind]["delay_h_median"],
            "waste_error_electricity_median": by_fault[fault_kind][
                "waste_error_electricity_median"
            ],
            "waste_error_heat_median": by_fault[fault_kind]["waste_error_heat_median"],
        }

    unmatched = [d for d in waste if not any(overlaps(d, r) for r in faults)]
    from_legitimate = [d for d in unmatched if any(overlaps(d, r) for r in legitimate)]
    meter_faults = [r for r in faults if r.kind in METER_KINDS]
    priced_on_faulty_meter = [
        d
        for d in waste
        if d.total_waste_kwh > 0
        and any(
            overlaps(d, r) and d.carrier in {_carrier_of(p) for p in r.points} for r in meter_faults
        )
    ]
    beside_meter_fault = [
        d for d in waste if d.total_waste_kwh > 0 and any(overlaps(d, r) for r in meter_faults)
    ]
    scored_meter = [r for r in scored if r.kind in METER_KINDS]
    meter_found = sum(by_fault[k]["found"] for k in METER_KINDS)
    # The simulator also sticks room and supply-air sensors: those are sensor faults, which the
    # meter-fault detector does not look at. Its own recall is on the energy meters' points.
    on_meters = [r for r in scored_meter if any(_carrier_of(p) for p in r.points)]
    found_on_meters = [
        r
        for r in on_meters
        if any(d.kind == METER_FAULT_KIND and overlaps(d, r) for d in detections)
    ]
    return {
        "by_fault_kind": by_fault,
        "by_finding_kind": by_finding,
        "primary": primary,
        "waste_findings": len(waste),
        "baseline_reviews": sum(d.kind == BASELINE_REVIEW_KIND for d in detections),
        "false_alarms": len(unmatched),
        "false_alarms_per_building_month": (
            round(len(unmatched) / building_months, 3) if building_months else None
        ),
        "false_alarms_from_legitimate_use": len(from_legitimate),
        "meter_recall": _ratio(meter_found, len(scored_meter)),
        "meter_recall_on_meter_points": _ratio(len(found_on_meters), len(on_meters)),
        "meter_faults_on_meter_points": len(on_meters),
        "meter_faults_priced_as_waste": len(priced_on_faulty_meter),
        "waste_findings_beside_other_meter_fault": len(beside_meter_fault)
        - len(priced_on_faulty_meter),
    }


__all__ = [
    "ACCEPTED",
    "PRIMARY",
    "Simulated",
    "building_data",
    "evaluate",
    "overlaps",
    "simulate",
]
