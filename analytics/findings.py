"""Findings as a facility manager reads them: each detection priced, with evidence to check.

A detection (:class:`analytics.pipeline.Detection`) says which hours of which meter were
wasteful and by how many kWh against the baseline; here it gets its price (spot, grid and
capacity parts for electricity, the district-heat tariff for heat: :mod:`analytics.waste`),
its CO₂e, and evidence a person can recompute: measured and baseline kWh, the hours, the
baseline's ASHRAE Guideline 14 figures and the prices used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from analytics.pipeline import BuildingData, Detection
from analytics.waste import Tariff, WasteCost, electricity_prices, price_waste
from analytics.waste.prices import PriceSource
from analytics.waste.tariff import Carrier
from byggpuls.registry.rows import NewFinding

#: The words a finding's kind is shown with.
KIND_TEXT: dict[str, str] = {
    "after_hours_operation": "electricity used outside opening hours",
    "after_hours_heating": "heating outside opening hours",
    "baseload_drift": "night base load creeping up",
    "heating_out_of_line": "heating out of line with the weather",
    "unusual_day": "a day unlike the building's usual days",
    "meter_fault": "meter fault",
    "baseline_review": "meter data to review",
}


@dataclass(frozen=True, slots=True)
class Pricing:
    """What findings are priced with: the tariff, the spot-price source (None: the flat
    default) and the price area of the buildings."""

    tariff: Tariff
    source: PriceSource | None
    area: str


def finding_of(detection: Detection, data: BuildingData, *, pricing: Pricing) -> NewFinding:
    """The registry's finding for ``detection`` in the building ``data`` describes."""
    evidence: dict[str, Any] = {"summary": _summary(detection), "detail": detection.detail}
    waste_kwh = detection.total_waste_kwh
    waste_nok = 0.0
    if detection.carrier is not None and detection.hours_s.size:
        cost = _cost(
            point=detection.points[0],
            carrier=detection.carrier,
            hours_s=detection.hours_s,
            waste_kwh=detection.waste_kwh,
            data=data,
            pricing=pricing,
        )
        waste_nok = cost.total_nok
        evidence |= {
            "hours": int(detection.hours_s.size),
            "measured_kwh": round(float(detection.measured_kwh.sum()), 1),
            "baseline_kwh": round(float(detection.baseline_kwh.sum()), 1),
            "waste_kwh": round(detection.own_waste_kwh, 1),
            "confidence": detection.confidence,
            "co2e_kg": round(cost.co2e_kg, 1),
            "prices": cost.evidence(),
        }
        also = []
        for other in detection.also:
            other_cost = _cost(
                point=other.point,
                carrier=other.carrier,
                hours_s=other.hours_s,
                waste_kwh=other.waste_kwh,
                data=data,
                pricing=pricing,
            )
            waste_nok += other_cost.total_nok
            evidence["co2e_kg"] = round(evidence["co2e_kg"] + other_cost.co2e_kg, 1)
            also.append(
                {
                    "point": other.point,
                    "carrier": other.carrier,
                    "hours": int(other.hours_s.size),
                    "measured_kwh": round(float(other.measured_kwh.sum()), 1),
                    "baseline_kwh": round(float(other.baseline_kwh.sum()), 1),
                    "waste_kwh": round(float(other.waste_kwh.sum()), 1),
                    "co2e_kg": round(other_cost.co2e_kg, 1),
                    "prices": other_cost.evidence(),
                }
            )
        if also:
            evidence["also"] = also
    if detection.fit is not None:
        evidence["baseline_g14"] = {
            "cv_rmse": round(detection.fit.cv_rmse, 4),
            "nmbe": round(detection.fit.nmbe, 4),
            "hours": detection.fit.hours,
            "passes": detection.fit.passes,
        }
    evidence |= detection.extra
    return NewFinding(
        building=detection.building,
        kind=detection.kind,
        points=detection.points,
        start=datetime.fromtimestamp(detection.start_s, UTC),
        end=datetime.fromtimestamp(detection.end_s, UTC),
        evidence=evidence,
        waste_kwh=round(waste_kwh, 1),
        waste_nok=round(waste_nok),
        score=round(detection.score, 3),
    )


def _summary(detection: Detection) -> str:
    what = KIND_TEXT.get(detection.kind, detection.kind.replace("_", " "))
    if detection.carrier is None or not detection.hours_s.size:
        return f"{what}: {detection.detail}"
    text = (
        f"{what}: {detection.own_waste_kwh:.0f} kWh {detection.carrier} more than the baseline's"
        f" {float(detection.baseline_kwh.sum()):.0f} kWh over {detection.hours_s.size} hours"
    )
    for other in detection.also:
        text += f", and {float(other.waste_kwh.sum()):.0f} kWh {other.carrier} in those hours"
    return text


def _cost(
    *,
    point: str,
    carrier: str,
    hours_s: Any,
    waste_kwh: Any,
    data: BuildingData,
    pricing: Pricing,
) -> WasteCost:
    """The price of the waste ``waste_kwh`` in the hours ``hours_s`` of the meter ``point``."""
    billed = Carrier.ELECTRICITY if carrier == "electricity" else Carrier.DISTRICT_HEAT
    meter = next(m for m in data.meters if m.point == point)
    # Every metered hour of the window, waste only in the finding's: the capacity part asks
    # whether the waste raised a month's peak.
    times = data.times_s
    measured = np.nan_to_num(meter.energy_kwh)
    waste = np.zeros(times.shape)
    waste[np.searchsorted(times, hours_s)] = waste_kwh
    priced_with = (
        electricity_prices(pricing.source, area=pricing.area, times_s=times, waste_kwh=waste)
        if billed is Carrier.ELECTRICITY
        else None
    )
    return price_waste(
        carrier=billed,
        area=pricing.area,
        times_s=times,
        waste_kwh=waste,
        measured_kwh=np.maximum(measured, waste),
        tariff=pricing.tariff,
        prices=priced_with,
    )


__all__ = ["KIND_TEXT", "Pricing", "finding_of"]
