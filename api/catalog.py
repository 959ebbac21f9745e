"""The data catalogue: what data exists, per building type and per building, and how it is
published, for innovation partners deciding what to ask for.

Built from the registry's description of buildings and points alone, never from readings: a
domain is listed where a building has points in it. Pure functions of what the registry hands
back; the route does the I/O (two queries for the whole portfolio, two for one building).

**Scoping.** Everything is computed from what the caller may read, so nothing leaks through a
count: a building is in the catalogue only if the caller :meth:`~Access.sees` it, and one of
its domains only if the caller :meth:`~Access.reads` that (building, domain) pair (a partner
reads only the pairs granted to it). The per-type summary is made from exactly the buildings
and domains listed, before paging: a partner's summary counts its own buildings, not the
portfolio's. A building that is seen but has no readable domain is listed with none, as
``GET /api/v1/buildings`` lists it too.
"""

from __future__ import annotations

import functools
import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from api.catalog_schemas import (
    BuildingDomain,
    Catalog,
    CatalogBuilding,
    CatalogPoint,
    PayloadField,
    PayloadShape,
    PrivacyClassInfo,
    QuantitySummary,
    TypeDomain,
    TypeSummary,
)
from api.schemas import LocalText
from byggpuls import topics, wire
from byggpuls.errors import TopicError
from byggpuls.privacy import DESCRIPTIONS, PrivacyClass, privacy_class
from byggpuls.reading import BuildingInfo, BuildingType, PointInfo, Reading

#: Buildings on one page unless asked otherwise: their points make a large answer.
DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1000


class Access(Protocol):
    """What the catalogue asks of the caller; :class:`api.auth.Principal` is one."""

    def sees(self, building: str) -> bool: ...

    def reads(self, building: str, domain: str) -> bool: ...


class Everything:
    """Access to every building and domain: for the documented example."""

    def sees(self, building: str) -> bool:
        return True

    def reads(self, building: str, domain: str) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Filters:
    """What the catalogue is narrowed to; None: no narrowing."""

    building_type: str | None = None
    domain: str | None = None
    building: str | None = None


@dataclass(frozen=True, slots=True)
class _Listed:
    """A building in the catalogue with its readable points, by domain (sorted)."""

    info: BuildingInfo
    domains: dict[str, list[PointInfo]]


def typical_interval(intervals: Iterable[int | None]) -> int | None:
    """The median of the known ``intervals`` (the lower middle one of an even count, so that
    it is an interval some point has); None when none is known."""
    known = [interval for interval in intervals if interval is not None]
    return statistics.median_low(known) if known else None


def catalogue(
    *,
    buildings: Sequence[BuildingInfo],
    points: Mapping[str, Sequence[PointInfo]],
    access: Access,
    filters: Filters | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Catalog:
    """The catalogue of ``buildings`` and their ``points`` (by building id) as ``access``
    may read it, narrowed by ``filters``; the buildings a page at a time, by id.

    With a domain filter, only buildings with readable points in that domain are listed.
    """
    filters = filters or Filters()
    listed = []
    for building in sorted(buildings, key=lambda b: b.id):
        if not access.sees(building.id):
            continue
        if filters.building is not None and building.id != filters.building:
            continue
        if filters.building_type is not None and building.type != filters.building_type:
            continue
        domains: dict[str, list[PointInfo]] = {}
        for point in sorted(points.get(building.id, ()), key=lambda p: p.point):
            if filters.domain is not None and point.domain != filters.domain:
                continue
            if access.reads(building.id, point.domain):
                domains.setdefault(point.domain, []).append(point)
        if filters.domain is not None and not domains:
            continue
        listed.append(_Listed(building, dict(sorted(domains.items()))))
    types = [BuildingType(filters.building_type)] if filters.building_type else list(BuildingType)
    return Catalog(
        building_types=[_type_summary(type_, listed) for type_ in types],
        buildings=[_building(entry) for entry in listed[offset : offset + limit]],
        count=len(listed),
        limit=limit,
        offset=offset,
        payload=payload_shape(),
        privacy_classes=privacy_classes(),
    )


def _type_summary(building_type: BuildingType, listed: Sequence[_Listed]) -> TypeSummary:
    of_type = [entry for entry in listed if entry.info.type == building_type.value]
    by_domain: dict[str, list[list[PointInfo]]] = {}
    for entry in of_type:
        for domain, domain_points in entry.domains.items():
            by_domain.setdefault(domain, []).append(domain_points)
    return TypeSummary(
        building_type=building_type,
        buildings=len(of_type),
        domains=[
            _type_domain(domain, building_type.value, per_building)
            for domain, per_building in sorted(by_domain.items())
        ],
    )


def _type_domain(
    domain: str, building_type: str, per_building: Sequence[Sequence[PointInfo]]
) -> TypeDomain:
    every = [point for domain_points in per_building for point in domain_points]
    by_quantity: dict[tuple[str, str], list[PointInfo]] = {}
    for point in every:
        by_quantity.setdefault((point.quantity, point.unit), []).append(point)
    return TypeDomain(
        domain=domain,
        privacy_class=privacy_class(domain, building_type),
        buildings=len(per_building),
        points=len(every),
        interval_s=typical_interval(point.interval_s for point in every),
        quantities=[
            QuantitySummary(
                quantity=quantity,
                unit=unit,
                brick_classes=sorted({p.brick_class for p in same if p.brick_class}),
                points=len(same),
                interval_s=typical_interval(p.interval_s for p in same),
            )
            for (quantity, unit), same in sorted(by_quantity.items())
        ],
    )


def _building(entry: _Listed) -> CatalogBuilding:
    info = entry.info
    return CatalogBuilding(
        id=info.id,
        name=info.name,
        type=BuildingType(info.type),
        domains=[
            BuildingDomain(
                domain=domain,
                topic=_topic(info.id, domain),
                privacy_class=privacy_class(domain, info.type),
                interval_s=typical_interval(point.interval_s for point in domain_points),
                points=[
                    CatalogPoint(
                        id=point.point,
                        quantity=point.quantity,
                        unit=point.unit,
                        brick_class=point.brick_class,
                        zone=point.zone,
                        interval_s=point.interval_s,
                        description=point.description,
                    )
                    for point in domain_points
                ],
            )
            for domain, domain_points in entry.domains.items()
        ],
    )


def _topic(building: str, domain: str) -> str | None:
    """The telemetry topic of the pair; None for a domain named as a reserved topic level
    (``meta``, ``status``, ``ack``), which a birth message may describe but nothing carries."""
    try:
        return topics.telemetry(building, domain)
    except TopicError:
        return None


def privacy_classes() -> list[PrivacyClassInfo]:
    """Every privacy class with what it means, least restricted first."""
    return [
        PrivacyClassInfo(privacy_class=cls, description=LocalText(nb=nb, en=en))
        for cls in PrivacyClass
        for nb, en in [DESCRIPTIONS[cls]]
    ]


#: The example pack's building, gateway and domain; its readings are the energy meter's.
EXAMPLE_BUILDING: Final = BuildingInfo("nordnes-skole", "Nordnes skole", "school", 5400.0)
EXAMPLE_GATEWAY: Final = "gw-nordnes-skole"
EXAMPLE_POINTS: Final = (
    PointInfo("el.energy", "energy", "energy", "kWh", "Electric_Energy_Sensor", None, 60),
    PointInfo("el.power", "energy", "power", "kW", "Electric_Power_Sensor", None, 60),
    PointInfo(
        "room-101.temp",
        "climate",
        "temperature",
        "Cel",
        "Zone_Air_Temperature_Sensor",
        "room-101",
        60,
        "Temperatur i rom 101",
    ),
)
#: 2025-11-27T00:00:00Z, the contract's example time.
_EXAMPLE_TIME_MS: Final = 1_764_201_600_000
_EXAMPLE_VALUES: Final = ((0, 120_344.5, 42.3), (60_000, 120_345.2, 41.8))

_DESCRIPTION: Final = LocalText(
    nb="Hver melding på et telemetri-emne er én SenML JSON-pakke (RFC 8428) med målinger fra"
    " ett domene i ett bygg. Basisnavnet er bygg-id-en og «:», så et navn blir"
    " «{bygg}:{målepunkt}». Tidene er absolutte sekunder siden 1970 (UTC), med"
    " millisekunders presisjon. Første post bærer gatewayens id (gw) og pakkens løpenummer"
    " (seq). Verdier er tall (v) eller sannhetsverdier (vb), i SenML-enheter. En pakke som"
    " sendes på nytt, har samme løpenummer og de samme målingene: lagre en måling én gang per"
    " målepunkt og tidspunkt.",
    en="Each message on a telemetry topic is one SenML JSON pack (RFC 8428) of readings of one"
    " domain of one building. The base name is the building id and ':', so a name resolves"
    " to '{building}:{point}'. Times are absolute seconds since the Unix epoch (UTC), with"
    " millisecond precision. The first record carries the gateway's id (gw) and the pack's"
    " sequence number (seq). Values are numbers (v) or booleans (vb), in SenML units. A pack"
    " sent again has its sequence number and readings: keep a reading once per point and"
    " time.",
)
_FIELDS: Final = (
    ("bver", "SenML-versjon: 26 er RFC 8428 med sekundærenheter (RFC 9100).",
     "SenML version: 26 is RFC 8428 with secondary units (RFC 9100)."),
    ("bn", "Basisnavn: bygg-id-en og «:».", "Base name: the building id and ':'."),
    ("bt", "Basistid, sekunder siden 1970 (UTC).", "Base time, seconds since the Unix epoch."),
    ("gw", "Gatewayens id (første post).", "The gateway's id (first record)."),
    ("seq", "Pakkens løpenummer hos gatewayen (første post).",
     "The pack's sequence number at its gateway (first record)."),
    ("n", "Målepunktets id, etter basisnavnet.", "The point id, after the base name."),
    ("u", "SenML-enhet (Cel, kW, kWh, ppm, %RH, ...).",
     "SenML unit (Cel, kW, kWh, ppm, %RH, ...)."),
    ("t", "Tid i sekunder etter basistiden; mangler den, er det basistiden.",
     "Seconds after the base time; without it, the base time."),
    ("v", "Verdien, et tall.", "The value, a number."),
    ("vb", "En sannhetsverdi, lagret som 1 og 0.", "A boolean value, stored as 1 and 0."),
)  # fmt: skip


@functools.cache
def payload_shape() -> PayloadShape:
    """How readings travel, with an example pack made by the encoder gateways use."""
    readings = [
        Reading(EXAMPLE_BUILDING.id, point.point, point.quantity, _EXAMPLE_TIME_MS + at_ms,
                value, point.unit)
        for at_ms, energy_kwh, power_kw in _EXAMPLE_VALUES
        for point, value in zip(EXAMPLE_POINTS[:2], (energy_kwh, power_kw), strict=True)
    ]  # fmt: skip
    pack = wire.encode_telemetry(
        readings, building=EXAMPLE_BUILDING.id, gateway=EXAMPLE_GATEWAY, seq=42
    )
    return PayloadShape(
        format="SenML JSON (RFC 8428)",
        media_type="application/senml+json",
        senml_version=wire.SENML_VERSION,
        topic=f"{topics.PREFIX}/{{building}}/{{domain}}",
        max_records=wire.PACK_MAX_RECORDS,
        max_bytes=wire.PACK_MAX_BYTES,
        description=_DESCRIPTION,
        fields=[PayloadField(field=f, meaning=LocalText(nb=nb, en=en)) for f, nb, en in _FIELDS],
        example_topic=topics.telemetry(EXAMPLE_BUILDING.id, "energy"),
        example=json.loads(pack),
    )


def pack_lines(pack: Sequence[Mapping[str, object]]) -> list[str]:
    """A pack's records as JSON, one line each, in the order and form gateways write them."""
    return [json.dumps(record, ensure_ascii=False, separators=(",", ":")) for record in pack]


@functools.cache
def example() -> Catalog:
    """The catalogue of the example building, for the documentation."""
    return catalogue(
        buildings=[EXAMPLE_BUILDING],
        points={EXAMPLE_BUILDING.id: EXAMPLE_POINTS},
        access=Everything(),
        filters=Filters(building_type=EXAMPLE_BUILDING.type),
    )
