"""The JSON of ``GET /api/v1/catalog``: what data the portfolio holds, for innovation partners.

Everything here is metadata: building types and counts, domains, quantities, units, Brick
classes, update intervals, topics and privacy classes; never a reading. Texts people read
carry bokmål and English, as elsewhere in the API.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas import LocalText
from byggpuls.privacy import PrivacyClass
from byggpuls.reading import BuildingType

_INTERVAL = (
    "The typical seconds between readings: the median of the points' announced intervals (the"
    " lower middle one of an even count); null when no point announced one."
)


class QuantitySummary(BaseModel):
    """One quantity, in one unit, of a domain in buildings of one type."""

    quantity: str = Field(
        description="What is measured; the InfluxDB measurement it is stored under.",
        examples=["temperature"],
    )
    unit: str = Field(description="SenML unit of the values.", examples=["Cel"])
    brick_classes: list[str] = Field(
        description="The Brick Schema classes of its points, sorted.",
        examples=[["Zone_Air_Temperature_Sensor"]],
    )
    points: int = Field(description="How many points measure it.", examples=[48])
    interval_s: int | None = Field(description=_INTERVAL, examples=[60])


class TypeDomain(BaseModel):
    """A domain as it exists in buildings of one type."""

    domain: str = Field(description="The data class access is granted by.", examples=["climate"])
    privacy_class: PrivacyClass = Field(
        description="How freely the domain may be shared in buildings of this type."
    )
    buildings: int = Field(description="How many of the type's buildings have it.", examples=[4])
    points: int = Field(description="Its points in those buildings.", examples=[96])
    interval_s: int | None = Field(description=_INTERVAL, examples=[60])
    quantities: list[QuantitySummary] = Field(description="By quantity, then unit.")


class TypeSummary(BaseModel):
    """What data buildings of one type have."""

    building_type: BuildingType
    buildings: int = Field(description="How many buildings of the type are listed.")
    domains: list[TypeDomain] = Field(description="By domain id.")


class CatalogPoint(BaseModel):
    """A point of a building, as the registry describes it."""

    id: str = Field(description="The point id, unique within the building.", examples=["z1.temp"])
    quantity: str = Field(examples=["temperature"])
    unit: str = Field(description="SenML unit of the values.", examples=["Cel"])
    brick_class: str | None = Field(examples=["Zone_Air_Temperature_Sensor"])
    zone: str | None = Field(description="The zone or room it serves.", examples=["Rom 101"])
    interval_s: int | None = Field(description="Seconds between readings, as announced.")
    description: str | None = Field(description="What the gateway says about the point.")


class BuildingDomain(BaseModel):
    """A domain of one building: where its data is published, how private it is, its points."""

    domain: str = Field(examples=["climate"])
    topic: str | None = Field(
        description="The MQTT topic its readings are published on, one SenML pack a message;"
        " null for a domain named as a reserved topic level (meta, status, ack), which no"
        " topic carries.",
        examples=["byggpuls/v1/nordnes-skole/climate"],
    )
    privacy_class: PrivacyClass
    interval_s: int | None = Field(description=_INTERVAL, examples=[60])
    points: list[CatalogPoint] = Field(description="By point id.")


class CatalogBuilding(BaseModel):
    """A building and the data it has that the caller may read."""

    id: str = Field(examples=["nordnes-skole"])
    name: str = Field(examples=["Nordnes skole"])
    type: BuildingType
    domains: list[BuildingDomain] = Field(
        description="The domains the caller may read, by domain id."
    )


class PayloadField(BaseModel):
    """One field of a telemetry pack."""

    field: str = Field(examples=["bn"])
    meaning: LocalText


class PayloadShape(BaseModel):
    """How readings travel: a SenML JSON pack (RFC 8428) per MQTT message."""

    format: str = Field(examples=["SenML JSON (RFC 8428)"])
    media_type: str = Field(examples=["application/senml+json"])
    senml_version: int = Field(
        description="The `bver` gateways send: 26 is RFC 8428 with RFC 9100's secondary units.",
        examples=[26],
    )
    topic: str = Field(
        description="The telemetry topic pattern.", examples=["byggpuls/v1/{building}/{domain}"]
    )
    max_records: int = Field(description="The most records one pack holds.", examples=[500])
    max_bytes: int = Field(description="The most bytes one pack takes.", examples=[65536])
    description: LocalText
    fields: list[PayloadField] = Field(description="What each field of a pack means.")
    example_topic: str = Field(examples=["byggpuls/v1/nordnes-skole/energy"])
    example: list[dict[str, Any]] = Field(
        description="A pack as a gateway publishes it, made by the gateways' own encoder."
    )


class PrivacyClassInfo(BaseModel):
    """One privacy class."""

    privacy_class: PrivacyClass
    description: LocalText


class Catalog(BaseModel):
    """What data exists in the buildings the caller may see, and how it is published."""

    building_types: list[TypeSummary] = Field(
        description="Per building type, over every matching building (not only the page's)."
    )
    buildings: list[CatalogBuilding] = Field(description="A page of the buildings, by id.")
    count: int = Field(description="How many buildings match the filters, on all pages.")
    limit: int = Field(description="The most buildings on one page, as asked.", examples=[100])
    offset: int = Field(description="Buildings skipped before this page.", examples=[0])
    payload: PayloadShape
    privacy_classes: list[PrivacyClassInfo] = Field(description="Least restricted first.")
