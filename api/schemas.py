"""The JSON the API answers with: one model per response shape, documented for partners.

Times are RFC 3339 in UTC (``2025-01-31T06:00:00Z``). Values are in the SenML unit the point
reports (RFC 8428/8798: ``Cel``, ``kW``, ``kWh``, ``ppm``, ``%RH``), named in ``unit``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.advice import ADVICE
from byggpuls.reading import BuildingType
from byggpuls.registry.rows import FindingAction as EventAction
from byggpuls.registry.rows import FindingStatus
from byggpuls.storage.port import Aggregation

FindingAction = Literal["acknowledge", "resolve", "reopen"]


class FindingTally(BaseModel):
    """The unresolved findings of a building, and the waste they add up to."""

    open: int = Field(description="Findings nobody has acknowledged yet.", examples=[2])
    acknowledged: int = Field(description="Findings acknowledged but not resolved.", examples=[1])
    waste_kwh: float = Field(
        description="Energy wasted according to the unresolved findings, kWh.", examples=[412.5]
    )
    waste_nok: float = Field(
        description="The same waste in Norwegian kroner (NOK).", examples=[536.25]
    )


HealthBand = Literal["good", "watch", "act"]


class HealthReason(BaseModel):
    """A fact that cost a part of the health points."""

    text_nb: str = Field(
        description="In bokmål.", examples=["Ventilasjon utenom åpningstid: 412 kWh"]
    )
    text_en: str = Field(description="In English.", examples=["After-hours ventilation: 412 kWh"])
    points: float = Field(description="Points it cost the part, out of 100.", examples=[18.0])
    finding_id: int | None = Field(
        description="The finding it is, if it is one (GET /api/v1/findings/{id})."
    )


class HealthPart(BaseModel):
    """One part of the health: its own 0-100, its weight, and what cost it the most points."""

    score: float | None = Field(description="0-100; null while unknown.", examples=[82.0])
    weight: float = Field(description="Its weight in the overall score.", examples=[0.4])
    reasons: list[HealthReason] = Field(
        description="The facts that cost it the most points, largest first (for an unknown part,"
        " why it is unknown)."
    )


class HealthSummary(BaseModel):
    """A building's health in brief, as the list shows it: the score and each part's score."""

    score: float | None = Field(
        description="0-100; null while unknown (too little data to judge).", examples=[74.5]
    )
    band: HealthBand | None = Field(
        description="good (80 and up), watch (60 and up) or act; null while unknown."
    )
    day: date = Field(description="The local day (Europe/Oslo) it was scored for.")
    parts: dict[str, float | None] = Field(
        description="Each part's score: energy, indoor_climate, equipment, data_quality.",
        examples=[
            {"energy": 62.0, "indoor_climate": 91.0, "equipment": 85.0, "data_quality": 99.0}
        ],
    )


class BuildingHealth(BaseModel):
    """A building's health with its breakdown and reasons (see docs/health.md)."""

    score: float | None = Field(description="0-100; null while unknown.", examples=[74.5])
    band: HealthBand | None = Field(
        description="good (80 and up), watch (60 and up) or act; null while unknown."
    )
    day: date = Field(description="The local day (Europe/Oslo) it was scored for.")
    parts: dict[str, HealthPart] = Field(
        description="energy, indoor_climate, equipment and data_quality."
    )


class HealthTrendDay(BaseModel):
    """The score of one day, for the trend."""

    day: date
    score: float | None
    band: HealthBand | None


class BuildingSummary(BaseModel):
    """A building of the portfolio, as the building list shows it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "nordnes-skole",
                    "name": "Nordnes skole",
                    "type": "school",
                    "floor_area_m2": 5400.0,
                    "address": "Nordnesbakken 12, 5005 Bergen",
                    "point_count": 34,
                    "last_reading_at": "2025-01-31T06:59:00Z",
                    "findings": {
                        "open": 2,
                        "acknowledged": 1,
                        "waste_kwh": 412.5,
                        "waste_nok": 536.25,
                    },
                    "health": {
                        "score": 74.5,
                        "band": "watch",
                        "day": "2025-01-31",
                        "parts": {
                            "energy": 62.0,
                            "indoor_climate": 91.0,
                            "equipment": 85.0,
                            "data_quality": 99.0,
                        },
                    },
                }
            ]
        }
    )

    id: str = Field(description="The building id, as in MQTT topics.", examples=["nordnes-skole"])
    name: str = Field(description="The building's name.", examples=["Nordnes skole"])
    type: BuildingType = Field(description="What the building is used for.")
    floor_area_m2: float | None = Field(description="Heated floor area (BRA), m².")
    address: str | None = Field(description="Street address.")
    point_count: int = Field(description="Points (sensors, meters) the registry knows of.")
    last_reading_at: datetime | None = Field(
        description="Time of the newest reading of any point; null when there is none, or when"
        " the list was asked for with latest=false."
    )
    findings: FindingTally
    health: HealthSummary | None = Field(
        description="The newest day's health; null if the building was never scored."
    )
    intensity_kwh_m2_year: float | None = Field(
        default=None,
        description="Delivered energy per m² heated floor area and year over the energy"
        " ledger's last 365 days (a shorter record scaled up to a year), given when the list is"
        " sorted by intensity (it costs a pass over the ledger); null otherwise, or without a"
        " floor area or measurements.",
        examples=[142.5],
    )


class BuildingList(BaseModel):
    """A page of the portfolio's buildings, filtered and sorted as asked."""

    items: list[BuildingSummary]
    count: int = Field(description="How many buildings match the filters, on all pages.")
    limit: int = Field(description="The most buildings on one page, as asked.", examples=[1000])
    offset: int = Field(description="Buildings skipped before this page.", examples=[0])


class LatestValue(BaseModel):
    """The newest reading of a point."""

    time: datetime = Field(description="When the sensor measured it.")
    value: float = Field(description="The value, in the point's unit.", examples=[21.4])


class Point(BaseModel):
    """A point of a building: what the registry knows of it, and its newest reading."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "zone-2.co2",
                    "domain": "climate",
                    "quantity": "co2",
                    "unit": "ppm",
                    "brick_class": "CO2_Level_Sensor",
                    "zone": "2. etasje øst",
                    "interval_s": 60,
                    "description": "CO₂ in classroom 2.14",
                    "latest": {"time": "2025-01-31T06:59:00Z", "value": 812.0},
                }
            ]
        }
    )

    id: str = Field(description="The point id, unique within the building.")
    domain: str = Field(
        description="The data class access is granted by (energy, climate, hvac, ...)."
    )
    quantity: str = Field(description="What is measured (power, temperature, co2, ...).")
    unit: str = Field(description="SenML unit of the values (Cel, kW, kWh, ppm, %RH, ...).")
    brick_class: str | None = Field(description="The Brick Schema class of the point.")
    zone: str | None = Field(description="The zone or room the point serves.")
    interval_s: int | None = Field(description="Seconds between readings, as announced.")
    description: str | None = Field(description="What the gateway says about the point.")
    latest: LatestValue | None = Field(description="The newest reading; null if there is none.")


class Building(BaseModel):
    """A building with its points and their newest readings."""

    id: str = Field(examples=["nordnes-skole"])
    name: str = Field(examples=["Nordnes skole"])
    type: BuildingType
    floor_area_m2: float | None = Field(description="Heated floor area (BRA), m².")
    address: str | None
    last_reading_at: datetime | None = Field(description="Time of the newest reading of any point.")
    findings: FindingTally
    health: BuildingHealth | None = Field(
        description="The newest day's health with its breakdown; null if never scored."
    )
    health_trend: list[HealthTrendDay] = Field(
        description="The scores of the last 30 recorded days, oldest first."
    )
    points: list[Point] = Field(
        description="The building's points: electricity and district heating power first, then"
        " zone temperatures, CO₂, and the rest by id."
    )


class Sample(BaseModel):
    """One value of a series: a reading, or the aggregate of one bucket at the bucket's start."""

    time: datetime = Field(examples=["2025-01-31T06:00:00Z"])
    value: float = Field(examples=[42.7])


class Series(BaseModel):
    """One point's values over a time range, raw or aggregated into buckets."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "building": "nordnes-skole",
                    "point": "el.power",
                    "quantity": "power",
                    "unit": "kW",
                    "start": "2025-01-30T07:00:00Z",
                    "end": "2025-01-31T07:00:00Z",
                    "every": "1h",
                    "every_s": 3600,
                    "aggregation": "mean",
                    "count": 2,
                    "samples": [
                        {"time": "2025-01-30T07:00:00Z", "value": 41.2},
                        {"time": "2025-01-30T08:00:00Z", "value": 58.9},
                    ],
                }
            ]
        }
    )

    building: str
    point: str
    quantity: str = Field(description="What is measured.", examples=["power"])
    unit: str = Field(description="SenML unit of the values.", examples=["kW"])
    start: datetime = Field(description="Start of the range (inclusive).")
    end: datetime = Field(description="End of the range (exclusive).")
    every: str | None = Field(
        description="Bucket width (compact form); null for raw readings.", examples=["15m"]
    )
    every_s: int | None = Field(description="Bucket width in seconds; null for raw readings.")
    aggregation: Aggregation | None = Field(
        description="How each bucket's readings became one value; null for raw readings."
    )
    count: int = Field(description="How many samples there are.")
    samples: list[Sample] = Field(
        description="Oldest first. Buckets are aligned to the Unix epoch (UTC), a sample's time is"
        " its bucket's start, and buckets without readings are left out."
    )


class LocalText(BaseModel):
    """A text in bokmål and in English."""

    nb: str = Field(description="In bokmål.")
    en: str = Field(description="In English.")


#: The advice on the example finding's kind, as the API shows it.
_AFTER_HOURS_ADVICE: Final = {
    part: asdict(getattr(ADVICE["after_hours_operation"], part))
    for part in ("title", "cause", "check")
}


class Finding(BaseModel):
    """Something the analytics flagged: waste or a fault, the evidence, the likely cause, what
    to check, and its status."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 17,
                    "building": "nordnes-skole",
                    "kind": "after_hours_operation",
                    "points": ["el.power"],
                    "start": "2025-01-25T18:00:00Z",
                    "end": "2025-01-26T06:00:00Z",
                    "evidence": {"baseline_kw": 12.0, "observed_kw": 31.5, "hours": 12},
                    "waste_kwh": 234.0,
                    "waste_nok": 304.2,
                    "score": 0.81,
                    "status": "open",
                    "actions": ["acknowledge", "resolve"],
                    "created_at": "2025-01-26T07:05:00Z",
                    "updated_at": "2025-01-26T07:05:00Z",
                    "resolved_at": None,
                    "resolved_by": None,
                    **_AFTER_HOURS_ADVICE,
                }
            ]
        }
    )

    id: int
    building: str = Field(description="The building id.")
    kind: str = Field(
        description="What the detector found (after_hours_operation, co2_high, ...).",
        examples=["after_hours_operation"],
    )
    points: list[str] = Field(description="The points the finding is about.")
    start: datetime
    end: datetime | None = Field(description="Null while it is still going on.")
    evidence: dict[str, Any] = Field(
        description="Numbers a person can check; which ones depends on the kind."
    )
    waste_kwh: float = Field(description="Energy wasted, kWh.")
    waste_nok: float = Field(description="The waste in Norwegian kroner (NOK).")
    score: float = Field(description="How wasteful, relative to other findings: higher is worse.")
    status: FindingStatus = Field(
        description="open → acknowledged → resolved; open → resolved at once; resolved → open."
    )
    actions: list[FindingAction] = Field(
        description="The lifecycle actions the finding accepts now (POST .../{action})."
    )
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = Field(description="When it was resolved, while it is.")
    resolved_by: str | None = Field(
        description="Who resolved it, while it is resolved; analytics when it closed itself."
    )
    title: LocalText | None = Field(description="What the kind of finding is called.")
    cause: LocalText | None = Field(
        description="The likely cause, for the kind of finding; null for a kind without advice."
    )
    check: LocalText | None = Field(
        description="What to check on site or in the building management system."
    )


class FindingList(BaseModel):
    """One page of the findings that match the filters, with the count and waste of all."""

    items: list[Finding]
    count: int = Field(description="How many findings match the filters, on every page.")
    limit: int = Field(description="The most findings one page holds.", examples=[100])
    offset: int = Field(description="Matching findings skipped before this page.", examples=[0])
    waste_kwh: float = Field(description="Sum of the matching findings' waste, kWh.")
    waste_nok: float = Field(description="Sum of the matching findings' waste, NOK.")


class FindingChange(BaseModel):
    """The body of a lifecycle action (optional): why, for the audit trail."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"comment": "Tidsprogrammet rettet i SD-anlegget."}]},
    )

    comment: str | None = Field(
        default=None, max_length=1000, description="Why, in up to 1000 characters."
    )


class FindingEvent(BaseModel):
    """One step of a finding's audit trail."""

    occurred_at: datetime
    actor: str = Field(
        description="Who: a person's name, dashboard or api (changes through the API before"
        " sign-in), system, or analytics (the analytics detected, closed or reopened it).",
        examples=["dashboard"],
    )
    action: EventAction = Field(
        description="detect (the analytics found it), acknowledge, resolve or reopen."
    )
    from_status: FindingStatus | None = Field(description="Null when the finding was detected.")
    to_status: FindingStatus
    comment: str | None = Field(description="Why, if someone said.")


class FindingEvents(BaseModel):
    """A finding's audit trail, first event first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "finding": 17,
                    "count": 2,
                    "items": [
                        {
                            "occurred_at": "2025-01-26T07:05:00Z",
                            "actor": "analytics",
                            "action": "detect",
                            "from_status": None,
                            "to_status": "open",
                            "comment": None,
                        },
                        {
                            "occurred_at": "2025-01-27T08:12:00Z",
                            "actor": "dashboard",
                            "action": "acknowledge",
                            "from_status": "open",
                            "to_status": "acknowledged",
                            "comment": "Driftsoperatør sjekker tidsprogrammet.",
                        },
                    ],
                }
            ]
        }
    )

    finding: int = Field(description="The finding id.")
    count: int
    items: list[FindingEvent]


class FindingKind(BaseModel):
    """A kind of finding the analytics report, with what to tell about it."""

    kind: str = Field(examples=["after_hours_operation"])
    title: LocalText
    cause: LocalText
    check: LocalText


class FindingKinds(BaseModel):
    """Every kind of finding with advice."""

    items: list[FindingKind]


class Gateway(BaseModel):
    """A building's gateway: its last status report and what its sequence numbers tell."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "building": "nordnes-skole",
                    "gateway": "gw-skole-01",
                    "state": "online",
                    "last_seen": "2025-01-31T06:59:02Z",
                    "last_pack_at": "2025-01-31T06:59:02Z",
                    "reported_at": "2025-01-31T06:55:00Z",
                    "spool_depth": 12,
                    "spool_dropped": 0,
                    "packs": 43190,
                    "missing_packs": 3,
                    "duplicates": 17,
                }
            ]
        }
    )

    building: str
    gateway: str
    state: str | None = Field(
        description="online or offline, as the gateway last reported (offline is its MQTT last"
        " will, sent by the broker when the connection is lost); null without a report."
    )
    last_seen: datetime | None = Field(
        description="When ingest last heard from it: a telemetry pack or a status report."
    )
    last_pack_at: datetime | None = Field(description="When its newest pack was received.")
    reported_at: datetime | None = Field(
        description="The time the gateway put in its last status report."
    )
    spool_depth: int | None = Field(
        description="Readings waiting in its disk spool for ingest's acknowledgement; a growing"
        " backlog means they do not get through."
    )
    spool_dropped: int | None = Field(
        description="Readings its spool dropped (oldest first) because it was full: lost."
    )
    packs: int | None = Field(description="Distinct packs received; null if none yet.")
    missing_packs: int | None = Field(
        description="Sequence numbers between the lowest and highest seen that never arrived."
    )
    duplicates: int | None = Field(
        description="Packs received more than once (resent or redelivered): harmless."
    )


class GatewayList(BaseModel):
    """Gateways by building and id."""

    items: list[Gateway]
    count: int
    online: int = Field(description="How many last reported online.")
    offline: int = Field(description="How many last reported offline.")


class Check(BaseModel):
    """The result of one health check."""

    status: Literal["ok", "failed"]
    duration_ms: float = Field(description="How long the check took.")
    detail: str | None = Field(default=None, description="Why it failed.")


class Health(BaseModel):
    """The service and the stores it depends on answer."""

    status: Literal["ok"]
    checks: dict[str, Check] = Field(
        description="One entry per dependency: the reading store and the registry database."
    )


class PointCompleteness(BaseModel):
    """How many readings of one point arrived on the day, against how many were due."""

    point: str = Field(examples=["el.power"])
    gateway: str | None = Field(
        description="The gateway that described the point; null if only its data was seen.",
        examples=["gw-skole-01"],
    )
    received: int = Field(description="Readings stored for the day.", examples=[1438])
    expected: int | None = Field(
        description=(
            "Readings due: one every interval_s from the later of the day's start and the time "
            "the point was first described, to the earlier of the day's end and now. Null when "
            "the point has no interval: it is not countable."
        ),
        examples=[1440],
    )
    missing: int | None = Field(
        description="Readings due that did not arrive (expected - received, at least 0).",
        examples=[2],
    )
    interval_s: int | None = Field(description="The point's reporting interval, s.", examples=[60])
    ratio: float | None = Field(
        description=(
            "received / expected; above 1 when readings from before the point was described "
            "arrived. Null when nothing was due."
        ),
        examples=[0.9986],
    )


class GatewayCompleteness(BaseModel):
    """What the gateway's sequence numbers tell: packs received, repeated and missing."""

    gateway: str = Field(examples=["gw-skole-01"])
    packs: int = Field(description="Distinct packs received (all time, since pruning).")
    duplicates: int = Field(description="Packs received more than once (resent or redelivered).")
    missing_packs: int = Field(
        description="Sequence numbers between the lowest and highest seen that never arrived."
    )
    missing_readings: int = Field(
        description=(
            "Readings the points the gateway described owed on the day and did not deliver: "
            "the time it was down shows here, though it numbered no packs then."
        )
    )
    first_seq: int
    last_seq: int
    last_seen: datetime
    state: str | None = Field(description="Last reported status: online or offline.")
    spool_depth: int | None = Field(description="Readings waiting in the gateway's disk spool.")
    spool_dropped: int | None = Field(
        description="Readings the gateway's spool dropped (oldest first) because it was full."
    )


class Completeness(BaseModel):
    """Data completeness of a building on one local (Europe/Oslo) day."""

    building: str = Field(examples=["skole-01"])
    day: date = Field(description="The local day: 23 or 25 hours long when the clocks change.")
    received: int = Field(description="Readings received of the countable points.")
    expected: int = Field(description="Readings due of the countable points.")
    missing: int = Field(
        description=(
            "Readings due that did not arrive, summed point by point, so that one point's "
            "surplus never hides another's gap; a gateway that was down shows here."
        )
    )
    ratio: float | None = Field(
        description="(expected - missing) / expected; null when nothing was due."
    )
    uncountable: list[str] = Field(
        description="Points without a reporting interval, whose readings cannot be counted.",
        examples=[["ahu1.supply_air_temp"]],
    )
    points: list[PointCompleteness]
    gateways: list[GatewayCompleteness]
