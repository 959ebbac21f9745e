"""What the registry hands out and takes in: plain frozen values, never ORM objects.

Rows are detached from any session, so services can keep, compare and pass them across threads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Protocol

from byggpuls.reading import BuildingInfo, PointInfo


class PointSource(StrEnum):
    """Where the registry learnt of a point. A ``meta`` description is never overwritten by
    what ``telemetry`` implies."""

    META = "meta"
    TELEMETRY = "telemetry"


class FindingStatus(StrEnum):
    """A finding's lifecycle: open → acknowledged → resolved, and resolved → open again."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


#: Status changes :meth:`Registry.set_finding_status` allows. Setting the current status again is
#: a no-op, so a retried request does no harm.
FINDING_TRANSITIONS: Final[Mapping[FindingStatus, frozenset[FindingStatus]]] = {
    FindingStatus.OPEN: frozenset({FindingStatus.ACKNOWLEDGED}),
    FindingStatus.ACKNOWLEDGED: frozenset({FindingStatus.RESOLVED}),
    FindingStatus.RESOLVED: frozenset({FindingStatus.OPEN}),
}


@dataclass(frozen=True, slots=True)
class BuildingRow:
    """A building in the registry."""

    id: str
    name: str
    type: str
    floor_area_m2: float | None
    address: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def info(self) -> BuildingInfo:
        """The building as gateways and the API describe it."""
        return BuildingInfo(
            id=self.id,
            name=self.name,
            type=self.type,
            floor_area_m2=self.floor_area_m2,
            address=self.address,
        )


@dataclass(frozen=True, slots=True)
class PointRow:
    """A point in the registry: its description, who announced it, and since when."""

    building: str
    point: str
    domain: str
    quantity: str
    unit: str
    brick_class: str | None
    zone: str | None
    interval_s: int | None
    description: str | None
    #: The gateway whose birth message announced the point, if one did.
    gateway: str | None
    #: ``meta`` or ``telemetry`` (see :class:`PointSource`).
    source: str
    first_seen: datetime
    updated_at: datetime

    @property
    def info(self) -> PointInfo:
        """The point as a gateway's birth message describes it."""
        return PointInfo(
            point=self.point,
            domain=self.domain,
            quantity=self.quantity,
            unit=self.unit,
            brick_class=self.brick_class,
            zone=self.zone,
            interval_s=self.interval_s,
            description=self.description,
        )


@dataclass(frozen=True, slots=True)
class DeadLetterRow:
    """A message ingest could not decode or store, with the raw bytes as received."""

    id: int
    received_at: datetime
    topic: str
    reason: str
    payload: bytes
    gateway: str | None


class FindingLike(Protocol):
    """What :meth:`Registry.upsert_findings` reads from a finding; :class:`NewFinding` is one.

    ``(building, kind, start)`` identifies a finding, so a detector rerun updates it.
    """

    @property
    def building(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def points(self) -> Sequence[str]: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime | None: ...
    @property
    def evidence(self) -> Mapping[str, Any]: ...
    @property
    def waste_kwh(self) -> float: ...
    @property
    def waste_nok(self) -> float: ...
    @property
    def score(self) -> float: ...


@dataclass(frozen=True, slots=True)
class NewFinding:
    """A finding as a detector reports it, before the registry gives it an id and a status."""

    building: str
    kind: str
    points: tuple[str, ...]
    start: datetime
    end: datetime | None
    #: Numbers a person can check (JSON: str, int, float, bool, None, lists and objects).
    evidence: Mapping[str, Any] = field(default_factory=dict)
    waste_kwh: float = 0.0
    waste_nok: float = 0.0
    #: Higher means more wasteful.
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class FindingRow:
    """A finding in the registry, with its lifecycle status."""

    id: int
    building: str
    kind: str
    points: tuple[str, ...]
    start: datetime
    end: datetime | None
    evidence: Mapping[str, Any]
    waste_kwh: float
    waste_nok: float
    score: float
    #: ``open``, ``acknowledged`` or ``resolved`` (see :class:`FindingStatus`).
    status: str
    created_at: datetime
    updated_at: datetime
