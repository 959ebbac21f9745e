"""The data catalogue's logic: summaries per building type and per building, scoping by what
the caller sees and reads, filters and pages, the payload's example and the privacy classes."""

from __future__ import annotations

import json

from api import catalog
from api.auth import Principal
from api.catalog_schemas import Catalog, TypeSummary
from byggpuls import topics, wire
from byggpuls.auth import Role
from byggpuls.privacy import DESCRIPTIONS, PrivacyClass
from byggpuls.reading import BuildingInfo, PointInfo

SCHOOL = BuildingInfo("nordnes-skole", "Nordnes skole", "school")
HOME = BuildingInfo("fyllinge-shj", "Fyllinge sykehjem", "nursing_home")
KINDERGARTEN = BuildingInfo("solheim-bhg", "Solheim barnehage", "kindergarten")
BUILDINGS = [SCHOOL, HOME, KINDERGARTEN]


def point(
    point_id: str,
    domain: str,
    quantity: str,
    unit: str,
    brick: str | None = None,
    *,
    interval_s: int | None = 60,
) -> PointInfo:
    return PointInfo(point_id, domain, quantity, unit, brick, None, interval_s)


POINTS = {
    SCHOOL.id: [
        point("el.power", "energy", "power", "kW", "Electric_Power_Sensor", interval_s=60),
        point("el.energy", "energy", "energy", "kWh", "Electric_Energy_Sensor", interval_s=900),
        point(
            "r1.temp", "climate", "temperature", "Cel", "Zone_Air_Temperature_Sensor", interval_s=60
        ),
        point(
            "r2.temp",
            "climate",
            "temperature",
            "Cel",
            "Zone_Air_Temperature_Sensor",
            interval_s=300,
        ),
        point("r1.co2", "climate", "co2", "ppm", "CO2_Level_Sensor", interval_s=60),
        point("r1.people", "occupancy", "occupancy", "count", None, interval_s=None),
    ],
    HOME.id: [
        point("el.power", "energy", "power", "kW", "Electric_Power_Sensor", interval_s=120),
        point("room-7.temp", "climate", "temperature", "Cel", "Zone_Air_Temperature_Sensor"),
    ],
    KINDERGARTEN.id: [point("el.power", "energy", "power", "kW", None, interval_s=None)],
}


def everything(**kwargs: object) -> Catalog:
    return catalog.catalogue(
        buildings=BUILDINGS,
        points=POINTS,
        access=catalog.Everything(),
        **kwargs,  # type: ignore[arg-type]
    )


def by_type(found: Catalog) -> dict[str, TypeSummary]:
    return {summary.building_type.value: summary for summary in found.building_types}


def test_the_typical_interval_is_a_median_some_point_has() -> None:
    assert catalog.typical_interval([60, 300, 60]) == 60
    assert catalog.typical_interval([60, 900]) == 60  # the lower middle one
    assert catalog.typical_interval([None, 120, None]) == 120
    assert catalog.typical_interval([None]) is None
    assert catalog.typical_interval([]) is None


def test_each_building_type_says_what_data_its_buildings_have() -> None:
    found = everything()
    assert [s.building_type.value for s in found.building_types] == [
        "school",
        "kindergarten",
        "nursing_home",
        "office",
        "sports_hall",
        "other",
    ]
    summaries = {s.building_type.value: s for s in found.building_types}
    assert summaries["office"].buildings == 0
    assert summaries["office"].domains == []
    school = summaries["school"]
    assert school.buildings == 1
    domains = {d.domain: d for d in school.domains}
    assert list(domains) == ["climate", "energy", "occupancy"]
    climate = domains["climate"]
    assert (climate.privacy_class, climate.buildings, climate.points) == ("internal", 1, 3)
    assert climate.interval_s == 60
    assert [(q.quantity, q.unit, q.brick_classes, q.points, q.interval_s)
            for q in climate.quantities] == [
        ("co2", "ppm", ["CO2_Level_Sensor"], 1, 60),
        ("temperature", "Cel", ["Zone_Air_Temperature_Sensor"], 2, 60),
    ]  # fmt: skip
    assert domains["energy"].privacy_class is PrivacyClass.OPEN
    occupancy = domains["occupancy"]
    assert occupancy.privacy_class is PrivacyClass.SENSITIVE
    assert occupancy.interval_s is None  # no point announced one
    assert occupancy.quantities[0].brick_classes == []
    # A room's climate in a nursing home is someone's home: sensitive there.
    home = {d.domain: d for d in summaries["nursing_home"].domains}
    assert home["climate"].privacy_class is PrivacyClass.SENSITIVE
    assert home["energy"].interval_s == 120


def test_each_building_lists_its_domains_with_topic_privacy_interval_and_points() -> None:
    found = everything()
    assert found.count == 3
    assert [b.id for b in found.buildings] == [HOME.id, SCHOOL.id, KINDERGARTEN.id]  # by id
    school = next(b for b in found.buildings if b.id == SCHOOL.id)
    assert (school.name, school.type.value) == ("Nordnes skole", "school")
    energy = next(d for d in school.domains if d.domain == "energy")
    assert (
        energy.topic == topics.telemetry(SCHOOL.id, "energy") == "byggpuls/v1/nordnes-skole/energy"
    )
    assert energy.privacy_class is PrivacyClass.OPEN
    assert energy.interval_s == 60
    assert [(p.id, p.quantity, p.unit, p.brick_class, p.interval_s) for p in energy.points] == [
        ("el.energy", "energy", "kWh", "Electric_Energy_Sensor", 900),
        ("el.power", "power", "kW", "Electric_Power_Sensor", 60),
    ]
    home = next(b for b in found.buildings if b.id == HOME.id)
    assert {d.domain: d.privacy_class.value for d in home.domains} == {
        "climate": "sensitive",
        "energy": "open",
    }


def test_a_domain_named_as_a_reserved_topic_level_has_no_topic() -> None:
    found = catalog.catalogue(
        buildings=[SCHOOL],
        points={SCHOOL.id: [point("x", "meta", "temperature", "Cel")]},
        access=catalog.Everything(),
    )
    assert found.buildings[0].domains[0].topic is None


def test_filters_narrow_the_list_and_the_summary_alike() -> None:
    found = everything(filters=catalog.Filters(building_type="nursing_home"))
    assert [b.id for b in found.buildings] == [HOME.id]
    assert [s.building_type.value for s in found.building_types] == ["nursing_home"]

    found = everything(filters=catalog.Filters(domain="climate"))
    # Buildings without climate data are left out, and only climate is described.
    assert [b.id for b in found.buildings] == [HOME.id, SCHOOL.id]
    assert {d.domain for b in found.buildings for d in b.domains} == {"climate"}
    assert by_type(found)["kindergarten"].buildings == 0
    assert [d.domain for d in by_type(found)["school"].domains] == ["climate"]

    found = everything(filters=catalog.Filters(building=KINDERGARTEN.id))
    assert [b.id for b in found.buildings] == [KINDERGARTEN.id]
    assert found.count == 1
    assert found.buildings[0].domains[0].interval_s is None

    assert everything(filters=catalog.Filters(domain="water")).count == 0


def test_a_page_of_buildings_with_the_summary_of_all_of_them() -> None:
    first = everything(limit=2, offset=0)
    second = everything(limit=2, offset=2)
    assert [b.id for b in first.buildings] == [HOME.id, SCHOOL.id]
    assert [b.id for b in second.buildings] == [KINDERGARTEN.id]
    assert (first.count, second.count) == (3, 3)
    assert (second.limit, second.offset) == (2, 2)
    assert first.building_types == second.building_types  # over every page
    assert everything(limit=10, offset=10).buildings == []


def test_a_manager_sees_only_the_buildings_of_their_scope() -> None:
    manager = Principal("mads", "Mads", Role.MANAGER, frozenset({SCHOOL.id}), "key")
    found = catalog.catalogue(buildings=BUILDINGS, points=POINTS, access=manager)
    assert [b.id for b in found.buildings] == [SCHOOL.id]
    assert found.count == 1
    summaries = by_type(found)
    # Nothing of the buildings out of scope leaks through the summary.
    assert summaries["nursing_home"].buildings == 0
    assert summaries["nursing_home"].domains == []
    assert summaries["kindergarten"].buildings == 0


def test_a_partner_reads_only_the_granted_building_and_domain_pairs() -> None:
    partner = Principal(
        "pia",
        "Pia",
        Role.PARTNER,
        frozenset({SCHOOL.id, HOME.id}),
        "key",
        grants=frozenset({(SCHOOL.id, "energy"), (HOME.id, "climate")}),
    )
    found = catalog.catalogue(buildings=BUILDINGS, points=POINTS, access=partner)
    assert {b.id: [d.domain for d in b.domains] for b in found.buildings} == {
        HOME.id: ["climate"],
        SCHOOL.id: ["energy"],
    }
    summaries = by_type(found)
    school = summaries["school"]
    # The school's climate and occupancy exist, but not for her: not counted, not named.
    assert [d.domain for d in school.domains] == ["energy"]
    quantities = {q.quantity for d in school.domains for q in d.quantities}
    assert quantities == {"energy", "power"}
    assert [d.domain for d in summaries["nursing_home"].domains] == ["climate"]
    assert summaries["kindergarten"].buildings == 0

    # A domain she may not read is not there to filter by.
    found = catalog.catalogue(
        buildings=BUILDINGS,
        points=POINTS,
        access=partner,
        filters=catalog.Filters(domain="occupancy"),
    )
    assert found.count == 0
    assert all(s.buildings == 0 and not s.domains for s in found.building_types)


def test_a_building_seen_without_a_readable_domain_is_listed_without_data() -> None:
    partner = Principal(
        "pia", "Pia", Role.PARTNER, frozenset({KINDERGARTEN.id}), "key", grants=frozenset()
    )
    found = catalog.catalogue(buildings=BUILDINGS, points=POINTS, access=partner)
    assert [(b.id, b.domains) for b in found.buildings] == [(KINDERGARTEN.id, [])]
    assert by_type(found)["kindergarten"].domains == []


def test_the_example_pack_is_what_gateways_send_and_ingest_reads() -> None:
    shape = catalog.payload_shape()
    assert shape.senml_version == wire.SENML_VERSION == 26
    assert shape.topic == "byggpuls/v1/{building}/{domain}"
    assert (shape.max_records, shape.max_bytes) == (wire.PACK_MAX_RECORDS, wire.PACK_MAX_BYTES)
    parsed = topics.parse(shape.example_topic)
    assert isinstance(parsed, topics.TelemetryTopic)
    payload = json.dumps(shape.example, ensure_ascii=False, separators=(",", ":")).encode()
    units = {p.point: (p.quantity, p.unit) for p in catalog.EXAMPLE_POINTS}
    telemetry = wire.decode_telemetry(
        payload, building=parsed.building, resolve=lambda name, _unit: (units[name][0], None)
    )
    # Byte for byte what the gateways' encoder makes of the decoded readings.
    again = wire.encode_telemetry(
        telemetry.readings, building=parsed.building, gateway=telemetry.gateway, seq=telemetry.seq
    )
    assert again == payload
    assert telemetry.gateway == catalog.EXAMPLE_GATEWAY
    assert {(r.point, r.unit) for r in telemetry.readings} == {
        (name, unit) for name, (_q, unit) in units.items() if name.startswith("el.")
    }
    first = shape.example[0]
    assert first["bn"] == f"{parsed.building}:"
    assert {"gw", "seq", "bt", "bver"} <= first.keys()
    # Every field the example uses is explained.
    explained = {f.field for f in shape.fields}
    assert {key for record in shape.example for key in record} <= explained
    assert catalog.pack_lines(shape.example)[0] == json.dumps(
        first, ensure_ascii=False, separators=(",", ":")
    )


def test_every_privacy_class_is_described_in_both_languages() -> None:
    classes = catalog.privacy_classes()
    assert [c.privacy_class for c in classes] == list(PrivacyClass)
    for info in classes:
        assert (info.description.nb, info.description.en) == DESCRIPTIONS[info.privacy_class]


def test_the_documented_example_is_the_catalogue_of_the_example_building() -> None:
    example = catalog.example()
    assert [b.id for b in example.buildings] == [catalog.EXAMPLE_BUILDING.id]
    assert {d.domain for d in example.buildings[0].domains} == {"energy", "climate"}
    assert example.payload == catalog.payload_shape()
