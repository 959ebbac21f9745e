"""The analysis of one building: its meters' baselines, every detector, and the waste of each
finding, as a pure function of its hourly series.

The service (:mod:`analytics.service`) reads the series from the store and keeps what is found;
``byggpuls analytics scan`` reads them from a CSV export; the evaluation reads them from the
simulator. All three call :func:`analyse`, so they find the same things in the same data.

For each meter (electricity, heat) and each local week to score, a robust time-of-week-and-
temperature baseline is fitted on the weeks before it (:mod:`analytics.scoring`): it is what
waste is measured against, and its ASHRAE Guideline 14 fit decides whether the meter can be
trusted with waste figures at all. A week whose baseline fails Guideline 14 produces no waste
findings on that meter; a ``baseline_review`` finding says so instead. Each detector scores the
same weeks with its own model of the same history, then decides its episodes. Meter faults (a
stuck or silent meter, a spike, a counter reset) are reported as such and suppress the waste
findings they overlap: they are faults of the data, not of the building.

No hour's waste is counted twice: on each meter, an hour's waste (measured minus baseline, when
positive) goes to the first finding that claims it, in the order of :data:`PRIORITY`.

After the meters, the building's rooms and plant (:mod:`analytics.plant`): a window open or a
setpoint too high in a zone, and the air handling units' faults, with the heat they cost where
it can be told, in the hours the meters' findings left unclaimed. The data types the analysis
reads and makes are in :mod:`analytics.building`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from analytics.baselines.towt import G14, TOWTBaseline, g14
from analytics.building import (
    CARRY_S,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    Analysis,
    BoolArray,
    BuildingData,
    Carrier,
    CarrierWaste,
    Detection,
    FloatArray,
    Meter,
    MeterBaseline,
    Readings,
    hour_grid,
    hourly,
    open_run_starts,
)
from analytics.detectors import WASTE_DETECTORS
from analytics.detectors.after_hours import NIGHT_HOURS
from analytics.detectors.meter_faults import MeterFault, MeterFaultDetector
from analytics.episodes import Episode
from analytics.hours import in_use
from analytics.occupancy import occupied_hours
from analytics.plant import VENTILATION_KIND, HeatMeter, ahu_detections, zone_detections
from analytics.robust import robust_sd
from analytics.scoring import HISTORY_WEEKS, MIN_HISTORY_HOURS, weekly_windows
from byggpuls.calendar import local_time
from byggpuls.roles import Role

CARRIER_OF_ROLE: Final[dict[Role, Carrier]] = {
    Role.ELECTRICITY: "electricity",
    Role.HEAT: "heat",
}
#: Which finding an hour's waste goes to when several claim it: the more specific first.
PRIORITY: Final = (
    # Equipment left on draws in every hour: its nights are the drift's, not after-hours use.
    "baseload_drift",
    "after_hours_operation",
    "after_hours_heating",
    "heating_out_of_line",
    "unusual_day",
)
BASELINE_REVIEW_KIND: Final = "baseline_review"
METER_FAULT_KIND: Final = MeterFaultDetector.kind
#: After a heat episode's last night, the hours whose lower heat (the morning's warm-up that a
#: building kept warm does not need) is set against its night excess.
MORNING_S: Final = 8 * SECONDS_PER_HOUR
#: Waste below this is not worth a facility manager's time (about ten kroner): not a finding.
MIN_WASTE_KWH: Final = 10.0
#: Hours this many robust standard deviations off the baseline are left out of its Guideline 14
#: figures (see :func:`_calibration`).
GROSS_SIGMAS: Final = 6.0


def analyse(
    data: BuildingData,
    *,
    score_from_s: float,
    resumed: bool = False,
    history_weeks: int = HISTORY_WEEKS,
    min_history_hours: int = MIN_HISTORY_HOURS,
) -> Analysis:
    """Every finding of ``data`` that begins at or after ``score_from_s``.

    An episode that begins at the first hour scored may have begun before it: it is left to
    the run that saw its beginning, unless ``resumed`` (``score_from_s`` is where an earlier
    run said to resume, the start of an episode it saw).
    """
    times = data.times_s
    end_s = float(times[-1] + SECONDS_PER_HOUR) if times.size else score_from_s
    faults = _meter_faults(data)
    detections: list[Detection] = []
    baselines: dict[str, MeterBaseline] = {}
    resume = [max(score_from_s, min(end_s, _data_end_s(data, score_from_s)) - CARRY_S)]
    detections.extend(_merged_faults(data.building, faults, score_from_s))
    resume.extend(
        f.start_s for found in faults.values() for f in found if f.end_s >= end_s - SECONDS_PER_HOUR
    )
    states: list[_MeterState] = []
    occupied = _building_occupied(data)
    # Electricity first: ventilation left on claims the heat its air heating coil used.
    for meter in sorted(data.meters, key=lambda m: m.carrier != "electricity"):
        classes = sorted(_detectors_for(meter).values(), key=lambda cls: _priority(cls.kind))
        scored = _score_meter(
            data,
            meter,
            classes,
            score_from_s=score_from_s,
            history_weeks=history_weeks,
            min_history_hours=min_history_hours,
        )
        if scored is None:
            continue
        baseline, all_scores, fitted = scored
        baselines[meter.point] = baseline
        suppressing = [f for p in (meter.point, *meter.points) for f in faults.get(p, [])]
        states.append(_MeterState(meter, baseline, classes, all_scores, fitted, suppressing))
    heat = next((state for state in states if state.meter.carrier == "heat"), None)
    # The hours the electricity meter shows use outside hours: a fan running then explains it.
    ventilation = np.zeros(times.shape, dtype=np.bool_)
    for state in states:
        meter, baseline = state.meter, state.baseline
        found_here: list[Detection] = []
        for cls in state.classes:
            scores, known = state.scores[cls.kind]
            if cls.kind == VENTILATION_KIND:
                ventilation |= scores > 0
            resume.extend(open_run_starts(times, scores, end_s))
            if not known.any():
                continue
            first_known_s = float(times[np.flatnonzero(known)[0]])
            model = cls(building_type=data.building_type)
            for episode in model.decide(times, scores):
                resume.extend([episode.start_s] if episode.end_s >= end_s - CARRY_S else [])
                if episode.start_s <= first_known_s and not (
                    resumed and episode.start_s == score_from_s
                ):
                    continue  # may have begun before this run could see it
                if _overlapped(state.suppressing, episode):
                    continue  # the meter's figures are wrong, not the building
                described = _described(episode, state.fitted[cls.kind], data, meter, cls)
                detection = _waste_detection(
                    data, meter, baseline, cls, described, claimed=state.claimed, occupied=occupied
                )
                if detection is None:
                    continue
                if cls.kind == VENTILATION_KIND and heat is not None:
                    detection = _with_heat(detection, data, heat, episode)
                found_here.append(detection)
        detections.extend(found_here)
        detections.extend(_review_detections(data, meter, baseline, score_from_s))
    detections, plant_resume = _rooms_and_plant(
        data, heat, detections, ventilation, score_from_s=score_from_s, resumed=resumed
    )
    resume += plant_resume
    detections.sort(key=lambda d: (d.start_s, d.kind, d.points))
    return Analysis(detections=detections, baselines=baselines, resume_s=min(resume))


@dataclass(slots=True)
class _MeterState:
    """A meter's baseline and its detectors' scores, and the hours findings have claimed."""

    meter: Meter
    baseline: MeterBaseline
    classes: list[Any]
    scores: dict[str, tuple[FloatArray, BoolArray]]
    fitted: dict[str, list[tuple[float, Any]]]
    suppressing: list[MeterFault]
    claimed: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    def __post_init__(self) -> None:
        self.claimed = np.zeros(self.baseline.expected_kwh.shape, dtype=np.bool_)


def _with_heat(
    detection: Detection, data: BuildingData, heat: _MeterState, episode: Episode
) -> Detection:
    """``detection`` (the fans running outside hours) with the heat its air heating coil used
    in the same hours: what the heat meter drew above its baseline there, claimed so that no
    heat finding counts it again. Not where the heat meter is faulty or its baseline fails."""
    if _overlapped(heat.suppressing, episode):
        return detection
    times = data.times_s
    index = np.searchsorted(times, detection.hours_s)
    hours = np.zeros(times.shape, dtype=np.bool_)
    hours[index] = True
    hours &= ~heat.claimed & np.isfinite(heat.baseline.expected_kwh)
    if not hours.any() or not heat.baseline.trusted[hours].all():
        return detection
    measured = heat.meter.energy_kwh[hours]
    expected = heat.baseline.expected_kwh[hours]
    waste = np.where(np.isfinite(measured), np.maximum(measured - expected, 0.0), 0.0)
    heat.claimed |= hours
    also = CarrierWaste(
        point=heat.meter.point,
        carrier=heat.meter.carrier,
        hours_s=times[hours],
        measured_kwh=np.nan_to_num(measured),
        baseline_kwh=expected,
        waste_kwh=waste,
    )
    return dataclasses.replace(
        detection, points=(*detection.points, heat.meter.point), also=(also,)
    )


def _described(
    episode: Episode, fitted: list[tuple[float, Any]], data: BuildingData, meter: Meter, cls: Any
) -> Episode:
    """The episode with the detail its first week's model gives, for a detector that can
    describe an episode in the meter's own units (``describe``)."""
    models = [model for monday, model in fitted if monday <= episode.start_s]
    if not models or not hasattr(models[-1], "describe"):
        return episode
    described: Episode = models[-1].describe(episode, data.times_s, *_series_for(cls, data, meter))
    return described


def _overlapped(faults: Iterable[MeterFault], episode: Episode) -> bool:
    return any(f.start_s < episode.end_s and f.end_s >= episode.start_s for f in faults)


def _priority(kind: str) -> int:
    return PRIORITY.index(kind) if kind in PRIORITY else len(PRIORITY)


def _detectors_for(meter: Meter) -> dict[str, Any]:
    role = Role.ELECTRICITY if meter.carrier == "electricity" else Role.HEAT
    return {cls.kind: cls for cls in WASTE_DETECTORS if cls.roles[0] is role}


def _series_for(cls: Any, data: BuildingData, meter: Meter) -> list[FloatArray]:
    series = []
    for role in cls.roles:
        if role is Role.OUTDOOR_TEMPERATURE:
            series.append(data.outdoor_c)
        else:
            series.append(meter.energy_kwh)
    return series


def _score_meter(
    data: BuildingData,
    meter: Meter,
    classes: list[Any],
    *,
    score_from_s: float,
    history_weeks: int,
    min_history_hours: int,
) -> (
    tuple[
        MeterBaseline,
        dict[str, tuple[FloatArray, BoolArray]],
        dict[str, list[tuple[float, Any]]],
    ]
    | None
):
    """The meter's baseline and each detector's scores, week by week over the hours scored.

    Each week's robust TOWT baseline is fitted once; detectors that build on it (a
    ``baseline`` parameter) are given it already fitted, as scikit-learn's ``prefit`` does."""
    times = data.times_s
    expected = np.full(times.shape, np.nan)
    trusted = np.zeros(times.shape, dtype=np.bool_)
    weeks: list[tuple[float, G14]] = []
    scores = {
        cls.kind: (np.zeros(times.shape), np.zeros(times.shape, dtype=np.bool_)) for cls in classes
    }
    fitted: dict[str, list[tuple[float, Any]]] = {cls.kind: [] for cls in classes}
    for history, week in weekly_windows(
        times,
        score_from_s=score_from_s,
        history_weeks=history_weeks,
        min_history_hours=min_history_hours,
        known=np.isfinite(meter.energy_kwh),
    ):
        load = meter.energy_kwh[history]
        # Unknown temperatures take the history's mean: the week's model depends on its
        # history alone, never on how far back a run reads.
        known_c = data.outdoor_c[history][np.isfinite(data.outdoor_c[history])]
        fill_c = float(known_c.mean()) if known_c.size else 0.0
        outdoor = np.where(np.isfinite(data.outdoor_c), data.outdoor_c, fill_c)
        model = TOWTBaseline(building_type=data.building_type, robust=True)
        model.fit(times[history], load, outdoor[history])
        expected[week] = np.maximum(model.predict(times[week], outdoor[week]), 0.0)
        fit = _calibration(model, times[history], load, outdoor[history])
        trusted[week] = fit.passes
        weeks.append((float(times[week][0]), fit))
        for cls in classes:
            series = _series_for(cls, data, meter)
            params: dict[str, Any] = {"building_type": data.building_type}
            if "baseline" in cls._get_param_names():
                params["baseline"] = model
            detector = cls(**params).fit(times[history], *(s[history] for s in series))
            fitted[cls.kind].append((float(times[week][0]), detector))
            hourly_scores, known = scores[cls.kind]
            hourly_scores[week] = detector.score_samples(times[week], *(s[week] for s in series))
            known |= week
    if not weeks:
        return None
    judged = np.isfinite(expected)
    baseline = MeterBaseline(
        point=meter.point,
        carrier=meter.carrier,
        expected_kwh=expected,
        trusted=trusted,
        weeks=weeks,
        out_of_sample=g14(meter.energy_kwh[judged], expected[judged]),
    )
    return baseline, scores, fitted


def _calibration(
    model: TOWTBaseline, times_s: FloatArray, load: FloatArray, outdoor_c: FloatArray
) -> G14:
    """Guideline 14 of the fit on its history, without gross outliers: hours more than
    :data:`GROSS_SIGMAS` robust standard deviations off (a meter spike, a fault in the history)
    are bad data for a calibration, not a sign that the model is wrong. The rule depends on the
    history alone, so a week's verdict never changes."""
    predicted = model.predict(times_s, outdoor_c)
    residual = load - predicted
    known = np.isfinite(residual)
    centre = float(np.median(residual[known])) if known.any() else 0.0
    sd = robust_sd(residual[known])
    keep = known & (np.abs(residual - centre) <= GROSS_SIGMAS * max(sd, 1e-9))
    return g14(load[keep], predicted[keep], parameters=model.parameters_)


def _counted_hours(
    cls: Any, building_type: str, times_s: FloatArray, occupied: BoolArray
) -> BoolArray:
    """The hours whose waste a finding of ``cls`` counts: the closed hours in which no zone's
    CO2 shows people for after-hours operation (energy used for people is use, not waste,
    whatever the timetable says), the opening hours for heating out of line, every hour
    otherwise."""
    which = getattr(cls, "waste_hours", "all")
    if which == "closed":
        closed: BoolArray = ~in_use(building_type, times_s) & ~occupied
        return closed
    if which == "open":
        used: BoolArray = in_use(building_type, times_s)
        return used
    return np.ones(times_s.shape, dtype=np.bool_)


def _waste_detection(
    data: BuildingData,
    meter: Meter,
    baseline: MeterBaseline,
    cls: Any,
    episode: Episode,
    *,
    claimed: BoolArray,
    occupied: BoolArray,
) -> Detection | None:
    """The detection of ``episode``, its waste net of what earlier findings claimed (and
    claiming its own hours); None when the baseline cannot be trusted there. ``occupied``:
    the hours in which a zone's CO2 shows people."""
    times = data.times_s
    span = (times >= episode.start_s) & (times < episode.end_s)
    if not baseline.trusted[span].all():
        return None  # reported as baseline_review instead
    counted = _counted_hours(cls, data.building_type, times, occupied)
    hours = span & counted & ~claimed
    hours &= np.isfinite(baseline.expected_kwh)  # an hour the baseline does not know is not judged
    measured = meter.energy_kwh[hours]
    expected = baseline.expected_kwh[hours]
    waste = np.where(np.isfinite(measured), np.maximum(measured - expected, 0.0), 0.0)
    if meter.carrier == "heat" and cls.waste_hours == "closed" and waste.sum() > 0:
        waste = waste * _net_share(data, meter, baseline, episode, waste, claimed=claimed)
    claimed |= hours
    fits = [
        fit
        for monday, fit in baseline.weeks
        if episode.start_s - 7 * SECONDS_PER_DAY < monday < episode.end_s
    ]
    worst = max(fits, key=lambda f: f.cv_rmse) if fits else None
    total = float(waste.sum())
    if total < MIN_WASTE_KWH:
        return None
    if worst is not None and np.isfinite(worst.cv_rmse):
        # The summed baseline's uncertainty over these hours: rmse * sqrt(hours).
        rmse = worst.cv_rmse * float(np.nanmean(expected)) if expected.size else 0.0
        noise = rmse * float(np.sqrt(max(int(hours.sum()), 1)))
        confidence = total / (total + 2.0 * noise) if total > 0 else 0.0
    else:
        confidence = 0.0
    return Detection(
        building=data.building,
        kind=cls.kind,
        points=(meter.point,),
        carrier=meter.carrier,
        start_s=episode.start_s,
        end_s=episode.end_s,
        score=episode.peak_score,
        detail=episode.detail,
        hours_s=times[hours],
        measured_kwh=np.nan_to_num(measured),
        baseline_kwh=expected,
        waste_kwh=waste,
        fit=worst,
        confidence=round(confidence, 3),
        extra=_occupied_evidence(cls, data.building_type, times, span & occupied),
    )


def _occupied_evidence(
    cls: Any, building_type: str, times_s: FloatArray, occupied: BoolArray
) -> dict[str, Any]:
    """For an after-hours finding, how many of its closed hours were left out because a
    zone's CO2 showed people then (nothing when none were)."""
    if getattr(cls, "waste_hours", "all") != "closed":
        return {}
    hours = int(np.count_nonzero(occupied & ~in_use(building_type, times_s)))
    return {"occupied_hours": hours} if hours else {}


def _building_occupied(data: BuildingData) -> BoolArray:
    """Per hour, whether any zone's CO2 shows people (:func:`analytics.occupancy.occupied_hours`);
    False throughout for a building without CO2 sensors.

    Never in the night hours (:data:`~analytics.detectors.after_hours.NIGHT_HOURS`): the
    after-hours detectors take a building other than a nursing home as empty then, and a
    zone whose ventilation is off at night clears its CO2 more slowly than the rate learnt
    from its days, so the estimate reads people where there are none (its documented limit).
    """
    zones = {
        zone.zone: (zone.co2_ppm, zone.temp_c) for zone in data.zones if zone.co2_ppm is not None
    }
    if not zones or data.times_s.size == 0:
        return np.zeros(data.times_s.shape, dtype=np.bool_)
    hour = local_time(data.times_s).hour
    night = (hour >= NIGHT_HOURS[0]) & (hour < NIGHT_HOURS[1])
    occupied: BoolArray = occupied_hours(data.times_s, zones) & ~night
    return occupied


def _net_share(
    data: BuildingData,
    meter: Meter,
    baseline: MeterBaseline,
    episode: Episode,
    waste: FloatArray,
    *,
    claimed: BoolArray,
) -> float:
    """The share of a heat episode's night excess that is waste once the mornings are counted:
    a building kept warm at night needs less heat to warm up after it, so the waste of a lost
    setback is its net excess over the episode's hours and the :data:`MORNING_S` after it
    (measured less baseline, in the hours no other finding claimed), at most its night excess."""
    times = data.times_s
    window = (times >= episode.start_s) & (times < episode.end_s + MORNING_S) & ~claimed
    residual = meter.energy_kwh[window] - baseline.expected_kwh[window]
    net = float(np.nansum(residual))
    return min(max(net, 0.0) / float(waste.sum()), 1.0)


def _review_detections(
    data: BuildingData, meter: Meter, baseline: MeterBaseline, score_from_s: float
) -> list[Detection]:
    """One ``baseline_review`` per run of weeks whose baseline fails Guideline 14."""
    found: list[Detection] = []
    run: list[tuple[float, G14]] = []
    for monday, fit in [*baseline.weeks, (float("inf"), G14(0.0, 0.0, 0))]:
        if not fit.passes and np.isfinite(monday):
            run.append((monday, fit))
            continue
        if run:
            start = max(run[0][0], score_from_s)
            worst = max((f for _, f in run), key=lambda f: f.cv_rmse)
            found.append(
                Detection(
                    building=data.building,
                    kind=BASELINE_REVIEW_KIND,
                    points=(meter.point,),
                    carrier=meter.carrier,
                    start_s=start,
                    end_s=min(run[-1][0] + 7 * SECONDS_PER_DAY, float(data.times_s[-1]) + 3600),
                    score=0.0,
                    detail=(
                        f"the {meter.carrier} meter's baseline misses ASHRAE Guideline 14 "
                        f"(CV(RMSE) {worst.cv_rmse:.0%}, NMBE {worst.nmbe:+.1%}; needs <= 30 % and"
                        " within 10 %): no waste is priced on it until its data is reviewed"
                    ),
                    fit=worst,
                )
            )
            run = []
    return found


def _meter_faults(data: BuildingData) -> dict[str, list[MeterFault]]:
    faults: dict[str, list[MeterFault]] = {}
    for readings in data.readings:
        # A missing reading (NaN where a table holds every point's times) is no reading: the
        # checks must see the time without one, or a gap hides in it.
        present = np.isfinite(readings.values)
        times_s, values = readings.times_s[present], readings.values[present]
        if times_s.size < 24:
            continue
        detector = MeterFaultDetector(counter=readings.counter, spikes=not readings.sensor)
        detector.fit(times_s, values)
        faults[readings.point] = detector.episodes(times_s, values)
    return faults


def _fault_detections(
    building: str, point: str, found: Iterable[MeterFault], score_from_s: float
) -> list[Detection]:
    return [
        Detection(
            building=building,
            kind=METER_FAULT_KIND,
            points=(point,),
            carrier=None,
            start_s=fault.start_s,
            end_s=max(fault.end_s, fault.start_s + 1.0),
            score=1.0,
            detail=f"{point}: {fault.kind}, {fault.detail}",
            extra={"fault": fault.kind},
        )
        for fault in found
        if fault.start_s >= score_from_s
    ]


def _rooms_and_plant(
    data: BuildingData,
    heat: _MeterState | None,
    detections: list[Detection],
    ventilation: BoolArray,
    *,
    score_from_s: float,
    resumed: bool,
) -> tuple[list[Detection], list[float]]:
    """``detections`` with the zones' and the air handling units' findings added, and where
    a run must resume for theirs (:mod:`analytics.plant`); the heat meter's claims are shared."""
    heat_meter = None
    if heat is not None:
        meter = heat.meter
        heat_meter = HeatMeter(
            meter.point, meter.carrier, meter.energy_kwh, heat.claimed, heat.suppressing
        )
    zones, resume = zone_detections(data, heat_meter, score_from_s=score_from_s, resumed=resumed)
    found, unit_resume = ahu_detections(
        data,
        heat_meter,
        [*detections, *zones],
        score_from_s=score_from_s,
        resumed=resumed,
        ventilation=ventilation,
    )
    return found, [*resume, *unit_resume]


def _data_end_s(data: BuildingData, score_from_s: float) -> float:
    """The end of the last hour any meter has a reading in (``score_from_s`` if none). A run
    resumes no later than a week before it: readings still on their way (a gateway's history
    being sent, a spool emptying after an outage) must be scored when they arrive."""
    metered = np.zeros(data.times_s.shape, dtype=np.bool_)
    for meter in data.meters:
        metered |= np.isfinite(meter.energy_kwh)
    if not metered.any():
        return score_from_s
    return float(data.times_s[metered][-1] + SECONDS_PER_HOUR)


def _merged_faults(
    building: str, faults: dict[str, list[MeterFault]], score_from_s: float
) -> list[Detection]:
    """The meter faults' findings, one per start: a gateway that fell silent leaves a gap in
    every point at once, which is one fault to look at, not one per point (and a finding's
    identity is its building, kind and start)."""
    by_start: dict[float, list[Detection]] = {}
    for point, found in faults.items():
        for detection in _fault_detections(building, point, found, score_from_s):
            by_start.setdefault(detection.start_s, []).append(detection)
    merged = []
    for start_s, same in sorted(by_start.items()):
        if len(same) == 1:
            merged.append(same[0])
            continue
        points = tuple(sorted({p for d in same for p in d.points}))
        kinds = sorted({str(d.extra.get("fault")) for d in same})
        shown = "; ".join(d.detail for d in same[:3])
        more = f"; and {len(same) - 3} more" if len(same) > 3 else ""
        merged.append(
            Detection(
                building=same[0].building,
                kind=METER_FAULT_KIND,
                points=points,
                carrier=None,
                start_s=start_s,
                end_s=max(d.end_s for d in same),
                score=1.0,
                detail=f"{len(points)} points at once: {shown}{more}",
                extra={"fault": ", ".join(kinds)},
            )
        )
    return merged


__all__ = [
    "BASELINE_REVIEW_KIND",
    "METER_FAULT_KIND",
    "PRIORITY",
    "Analysis",
    "BuildingData",
    "Carrier",
    "CarrierWaste",
    "Detection",
    "Meter",
    "MeterBaseline",
    "Readings",
    "analyse",
    "hour_grid",
    "hourly",
]
