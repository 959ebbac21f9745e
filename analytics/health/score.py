"""Building health 0-100: the one number a facility manager scans first, with its reasons.

:func:`building_health` is a pure function of what the service knows of a building over a
period: no I/O, no clock, the same answer for the same inputs. Four parts, each 0-100 or
unknown (None), each with the facts that cost it the most points:

* **energy** (weight 0.4): the waste of the findings (open or acknowledged) against the
  period's baseline energy (a waste of 25 % of the baseline scores 0), and the delivered energy
  per m² and year against the building type's references (:mod:`analytics.health.reference`),
  half and half;
* **indoor climate** (0.3): the share of occupied hours in band (19-26 °C operative
  temperature, CO₂ ≤ 1000 ppm) over all zones; half the hours out of band scores 0;
* **equipment** (0.2): 100 less the severity points of the equipment findings;
* **data quality** (0.1): the share of expected readings that arrived (half missing scores 0),
  less the severity points of the data-quality findings (meter faults).

Each part subtracts points from 100 (never below 0), so a new finding can only cost points and
removing one can only give them back. Whether a part is known depends on measurements only,
never on the findings, so a finding cannot make a part known and lift the mean. The overall
score is the weighted mean of the known parts, weights renormalised over them; it is unknown
unless energy or indoor climate is known, because completeness and an empty list of faults
alone say nothing of the building. Acknowledged findings cost as much as open ones: the score
is the building's state, and acknowledging a fault does not fix it. See ``docs/health.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Self

from analytics.health.reference import (
    KINDS,
    SEVERITY_NB,
    SEVERITY_POINTS,
    Category,
    Severity,
    annual_intensity_kwh_m2,
    classify,
    intensity_score,
    intensity_texts,
    number_text,
    reference_for,
)
from byggpuls.reading import BuildingInfo

if TYPE_CHECKING:
    from byggpuls.registry.rows import FindingRow


WEIGHTS: Final = {
    Category.ENERGY: 0.4,
    Category.INDOOR_CLIMATE: 0.3,
    Category.EQUIPMENT: 0.2,
    Category.DATA_QUALITY: 0.1,
}
#: Waste as a share of the baseline at which the waste half of energy scores 0: 5 % waste
#: costs 20 points, 10 % costs 40.
WASTE_SHARE_AT_ZERO: Final = 0.25
#: Share of occupied hours out of band at which indoor climate scores 0.
OUT_OF_BAND_SHARE_AT_ZERO: Final = 0.5
#: Share of expected readings missing at which completeness scores 0.
MISSING_SHARE_AT_ZERO: Final = 0.5
#: The halves of energy: waste against the baseline, and use per m² against the references.
ENERGY_HALVES: Final = (0.5, 0.5)
#: Lowest score of each band, best first; below the last is "act".
BANDS: Final = (("good", 80.0), ("watch", 60.0))
ACT: Final = "act"
#: Reasons shown per part: those that cost the most points.
MAX_REASONS: Final = 3
STATUSES: Final = frozenset({"open", "acknowledged", "resolved"})


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _check_amount(value: float | None, name: str) -> None:
    _check(value is None or (math.isfinite(value) and value >= 0), f"{name} must be ≥ 0 or None")


@dataclass(frozen=True, slots=True, kw_only=True)
class CarrierEnergy:
    """One energy carrier's main meter over the period: measured kWh and, where the analysis
    has one that passed Guideline 14, the baseline's kWh."""

    carrier: str
    measured_kwh: float
    baseline_kwh: float | None = None

    def __post_init__(self) -> None:
        _check_amount(self.measured_kwh, "measured_kwh")
        _check_amount(self.baseline_kwh, "baseline_kwh")


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyPeriod:
    """The analysis of the period: its length in days and its carriers. ``all_carriers_metered``:
    whether every carrier the building buys is among them (else its use per m² would look low
    and is not judged)."""

    days: float
    carriers: tuple[CarrierEnergy, ...]
    all_carriers_metered: bool

    def __post_init__(self) -> None:
        _check(math.isfinite(self.days) and self.days > 0, "days must be > 0")


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """A finding as the health counts it. ``waste_kwh``: its waste within the period, None when
    it has none to measure; ``status``: open, acknowledged, or resolved (which costs nothing)."""

    id: int
    kind: str
    status: str
    category: Category
    severity: Severity
    waste_kwh: float | None = None
    waste_nok: float | None = None

    def __post_init__(self) -> None:
        _check(self.status in STATUSES, f"status must be one of {sorted(STATUSES)}")
        _check_amount(self.waste_kwh, "waste_kwh")
        _check_amount(self.waste_nok, "waste_nok")

    @classmethod
    def from_row(cls, row: FindingRow) -> Self:
        """The registry's finding, classified by its kind (:func:`classify`)."""
        category, severity = classify(row.kind)
        return cls(
            id=row.id,
            kind=row.kind,
            status=row.status,
            category=category,
            severity=severity,
            waste_kwh=row.waste_kwh,
            waste_nok=row.waste_nok,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ZoneClimate:
    """One zone's occupied hours over the period and how many of them were in band (operative
    temperature from ``low_c`` to ``high_c``, 19-26 °C unless the room is for sport, and CO₂
    ≤ 1000 ppm); the degree-hours outside the temperature band, if known."""

    zone: str
    occupied_hours: float
    in_band_hours: float
    degree_hours_outside: float | None = None
    low_c: float = 19.0
    high_c: float = 26.0

    def __post_init__(self) -> None:
        _check(
            math.isfinite(self.occupied_hours) and 0 <= self.in_band_hours <= self.occupied_hours,
            "need 0 ≤ in_band_hours ≤ occupied_hours",
        )
        _check_amount(self.degree_hours_outside, "degree_hours_outside")


@dataclass(frozen=True, slots=True, kw_only=True)
class DataQuality:
    """The share (0-1) of the readings expected over the period that arrived."""

    completeness: float

    def __post_init__(self) -> None:
        _check(0.0 <= self.completeness <= 1.0, "completeness must be within 0-1")


@dataclass(frozen=True, slots=True)
class Reason:
    """A fact that cost a part points: in bokmål and English, the points lost from the part's
    100, and the finding it is, if one is."""

    text_nb: str
    text_en: str
    points: float
    finding_id: int | None = None


@dataclass(frozen=True, slots=True)
class Part:
    """One part of the health: its 0-100 score (None: unknown), its weight in the overall
    score, and the reasons that cost it the most points (why, for an unknown part)."""

    name: str
    score: float | None
    weight: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Health:
    """A building's health: 0-100 (None: unknown), its band (good, watch, act) and the parts."""

    score: float | None
    band: str | None
    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class _Loss:
    raw: float
    text_nb: str
    text_en: str
    finding_id: int | None = None


def _finding_loss(finding: Finding, raw: float, *, measured: bool) -> _Loss:
    _, _, label_nb, label_en = KINDS.get(finding.kind, (None, None, "", ""))
    label_nb = label_nb or finding.kind.replace("_", " ")
    label_en = label_en or finding.kind.replace("_", " ")
    if measured and finding.waste_kwh is not None:
        nb = f"{label_nb}: {number_text(finding.waste_kwh, nb=True)} kWh sløst"
        en = f"{label_en}: {number_text(finding.waste_kwh, nb=False)} kWh wasted"
        if finding.waste_nok:
            nb += f" ({number_text(finding.waste_nok, nb=True)} kr)"
            en += f" (NOK {number_text(finding.waste_nok, nb=False)})"
    else:
        nb = f"{label_nb} (alvorlighet: {SEVERITY_NB[finding.severity]})"
        en = f"{label_en} (severity: {finding.severity})"
    if finding.status == "acknowledged":
        nb, en = nb + ", kvittert", en + ", acknowledged"
    return _Loss(raw, nb[0].upper() + nb[1:], en[0].upper() + en[1:], finding.id)


def _severity_losses(findings: Iterable[Finding], category: Category) -> list[_Loss]:
    return [
        _finding_loss(f, SEVERITY_POINTS[f.severity], measured=False)
        for f in findings
        if f.category == category
    ]


def _part(
    category: Category, halves: Sequence[tuple[float, list[_Loss]]], why_unknown: tuple[str, str]
) -> Part:
    """A part from its known sub-scores, each ``(weight, losses)`` scoring 100 less the losses'
    raw points (at least 0); each loss's points are its share of what its sub-score lost."""
    weight = WEIGHTS[category]
    if not halves:
        return Part(category.value, None, weight, (Reason(*why_unknown, 0.0),))
    total_weight = sum(w for w, _ in halves)
    score = 0.0
    reasons: list[Reason] = []
    for w, losses in halves:
        raw = sum(loss.raw for loss in losses)
        lost = min(100.0, raw)
        score += w * (100.0 - lost)
        for loss in losses:
            points = loss.raw * lost / raw * w / total_weight if raw > 0 else 0.0
            if points > 0:
                reasons.append(Reason(loss.text_nb, loss.text_en, points, loss.finding_id))
    reasons.sort(key=lambda r: (-r.points, r.finding_id is None, r.finding_id or 0, r.text_en))
    shown = tuple(
        Reason(r.text_nb, r.text_en, round(r.points, 1), r.finding_id)
        for r in reasons[:MAX_REASONS]
    )
    return Part(category.value, score / total_weight, weight, shown)


def _energy(
    building: BuildingInfo, energy: EnergyPeriod | None, findings: Sequence[Finding]
) -> Part:
    halves: list[tuple[float, list[_Loss]]] = []
    if energy is not None:
        baseline_kwh = sum(c.baseline_kwh or 0.0 for c in energy.carriers)
        if baseline_kwh > 0:
            losses = [
                _finding_loss(
                    f, 100.0 * f.waste_kwh / baseline_kwh / WASTE_SHARE_AT_ZERO, measured=True
                )
                for f in findings
                if f.waste_kwh is not None
            ]
            unmeasured = (f for f in findings if f.waste_kwh is None)
            halves.append(
                (ENERGY_HALVES[0], losses + _severity_losses(unmeasured, Category.ENERGY))
            )
        reference = reference_for(building.type)
        intensity = annual_intensity_kwh_m2(
            energy_kwh=sum(c.measured_kwh for c in energy.carriers),
            days=energy.days,
            floor_area_m2=building.floor_area_m2,
        )
        if energy.all_carriers_metered and reference is not None and intensity is not None:
            lost = 100.0 - intensity_score(intensity_kwh_m2=intensity, reference=reference)
            nb, en = intensity_texts(intensity_kwh_m2=intensity, reference=reference)
            halves.append((ENERGY_HALVES[1], [_Loss(lost, nb, en)]))
    why = (
        "Ingen grunnlinje, og forbruk per m² krever ett års målinger av alle energibærere, "
        "areal og byggtype",
        "No baseline, and use per m² needs a year of every carrier, the floor area and the type",
    )
    if energy is None:
        why = ("Ingen energianalyse for perioden", "No energy analysis for the period")
    return _part(Category.ENERGY, halves, why)


def _indoor_climate(zones: Sequence[ZoneClimate], findings: Sequence[Finding]) -> Part:
    occupied = sum(z.occupied_hours for z in zones)
    halves: list[tuple[float, list[_Loss]]] = []
    if occupied > 0:
        losses = _severity_losses(findings, Category.INDOOR_CLIMATE)
        for zone in zones:
            out = zone.occupied_hours - zone.in_band_hours
            if out <= 0:
                continue
            out_nb, of_nb = number_text(out, nb=True), number_text(zone.occupied_hours, nb=True)
            out_en, of_en = number_text(out, nb=False), number_text(zone.occupied_hours, nb=False)
            band = f"{zone.low_c:g}-{zone.high_c:g} °C"
            nb = f"{zone.zone}: {out_nb} av {of_nb} brukstimer utenfor {band} eller CO₂ > 1000 ppm"
            en = f"{zone.zone}: {out_en} of {of_en} occupied hours out of {band} or CO₂ > 1000 ppm"
            if zone.degree_hours_outside is not None:
                nb += f" ({number_text(zone.degree_hours_outside, nb=True)} gradtimer)"
                en += f" ({number_text(zone.degree_hours_outside, nb=False)} degree-hours)"
            raw = 100.0 * out / occupied / OUT_OF_BAND_SHARE_AT_ZERO
            losses.append(_Loss(raw, nb, en))
        halves.append((1.0, losses))
    why = ("Ingen brukstimer med inneklimamålinger", "No occupied hours with indoor readings")
    return _part(Category.INDOOR_CLIMATE, halves, why)


def _equipment(energy: EnergyPeriod | None, findings: Sequence[Finding]) -> Part:
    halves = [] if energy is None else [(1.0, _severity_losses(findings, Category.EQUIPMENT))]
    why = (
        "Ingen analyse av perioden, som utstyrssjekkene kjører på",
        "No analysis of the period, which the equipment checks run on",
    )
    return _part(Category.EQUIPMENT, halves, why)


def _data_quality(quality: DataQuality | None, findings: Sequence[Finding]) -> Part:
    halves: list[tuple[float, list[_Loss]]] = []
    if quality is not None:
        losses = _severity_losses(findings, Category.DATA_QUALITY)
        missing = 1.0 - quality.completeness
        if missing > 0:
            pct_nb = number_text(100 * quality.completeness, 1, nb=True)
            pct_en = number_text(100 * quality.completeness, 1, nb=False)
            losses.append(
                _Loss(
                    100.0 * missing / MISSING_SHARE_AT_ZERO,
                    f"{pct_nb} % av forventede målinger kom inn",
                    f"{pct_en} % of expected readings arrived",
                )
            )
        halves.append((1.0, losses))
    why = ("Ukjent andel mottatte målinger", "Share of readings received unknown")
    return _part(Category.DATA_QUALITY, halves, why)


def band_of(score: float | None) -> str | None:
    """The band of a score: good (≥ 80), watch (≥ 60), act (< 60); None for an unknown one."""
    if score is None:
        return None
    return next((name for name, lowest in BANDS if score >= lowest), ACT)


def building_health(
    *,
    building: BuildingInfo,
    energy: EnergyPeriod | None,
    findings: Sequence[Finding] = (),
    zones: Sequence[ZoneClimate] = (),
    data_quality: DataQuality | None = None,
) -> Health:
    """The health of ``building`` over a period.

    ``energy``: the analysis of the period's main meters (None: not analysed); ``findings``:
    the building's findings (resolved ones are ignored); ``zones``: indoor climate per zone;
    ``data_quality``: the completeness of the period's readings. Scores and points are
    rounded to one decimal; the band is that of the rounded score.
    """
    counted = tuple(f for f in findings if f.status != "resolved")
    parts = (
        _energy(building, energy, counted),
        _indoor_climate(zones, counted),
        _equipment(energy, counted),
        _data_quality(data_quality, counted),
    )
    known = [p for p in parts if p.score is not None]
    score: float | None = None
    if any(p.name in (Category.ENERGY, Category.INDOOR_CLIMATE) for p in known):
        total = sum(p.score * p.weight for p in known if p.score is not None)
        score = round(total / sum(p.weight for p in known), 1)
    shown = tuple(
        Part(p.name, None if p.score is None else round(p.score, 1), p.weight, p.reasons)
        for p in parts
    )
    return Health(score, band_of(score), shown)


__all__ = [
    "WEIGHTS",
    "CarrierEnergy",
    "DataQuality",
    "EnergyPeriod",
    "Finding",
    "Health",
    "Part",
    "Reason",
    "ZoneClimate",
    "band_of",
    "building_health",
]
