"""What the registry hands out and takes in: plain frozen values, never ORM objects.

Rows are detached from any session, so services can keep, compare and pass them across threads.
The repositories (:mod:`~byggpuls.registry.buildings`, ``points``, ``dead_letters``,
``findings``, ``accounting``) turn them into SQL and back; nothing here knows the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol, TypeVar

from byggpuls.reading import BuildingInfo, PointInfo

DescriptionT = TypeVar("DescriptionT", BuildingInfo, PointInfo)
SECONDS_PER_DAY: Final = 86_400


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


#: Status changes :meth:`Findings.set_finding_status` allows. Setting the current status again is
#: a no-op, so a retried request does no harm.
FINDING_TRANSITIONS: Final[Mapping[FindingStatus, frozenset[FindingStatus]]] = {
    FindingStatus.OPEN: frozenset({FindingStatus.ACKNOWLEDGED}),
    FindingStatus.ACKNOWLEDGED: frozenset({FindingStatus.RESOLVED}),
    FindingStatus.RESOLVED: frozenset({FindingStatus.OPEN}),
}


def _described(row: BuildingInfo | PointInfo, as_: type[DescriptionT]) -> DescriptionT:
    return as_(**{field.name: getattr(row, field.name) for field in fields(as_)})


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildingRow(BuildingInfo):
    """A building in the registry: its description, and when it was added and last changed.

    The description is :class:`~byggpuls.reading.BuildingInfo` itself, so that it is spelt out
    once for gateways, ingest and the registry.
    """

    created_at: datetime
    updated_at: datetime

    @property
    def info(self) -> BuildingInfo:
        """The building as gateways and the API describe it."""
        return _described(self, BuildingInfo)


@dataclass(frozen=True, slots=True, kw_only=True)
class PointRow(PointInfo):
    """A point in the registry: its description, who announced it, and since when."""

    building: str
    #: The gateway whose birth message announced the point, if one did.
    gateway: str | None
    #: ``meta`` or ``telemetry`` (see :class:`PointSource`).
    source: str
    first_seen: datetime
    updated_at: datetime

    @property
    def info(self) -> PointInfo:
        """The point as a gateway's birth message describes it."""
        return _described(self, PointInfo)


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
    """What :meth:`Findings.upsert_findings` reads from a finding; :class:`NewFinding` is one.

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


# -- completeness accounting ----------------------------------------------------------------------


def day_of(time_ms: int) -> date:
    """The UTC day of a time in milliseconds since the epoch."""
    return date(1970, 1, 1) + timedelta(days=time_ms // (SECONDS_PER_DAY * 1000))


@dataclass(frozen=True, slots=True)
class PackTally:
    """One stored pack: who sent it, its sequence number, and its readings per point and day."""

    building: str
    gateway: str
    seq: int
    #: (point, UTC day) -> readings of that point on that day in this pack.
    readings: Mapping[tuple[str, date], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GatewaySequenceRow:
    """A gateway's sequence accounting."""

    building: str
    gateway: str
    packs: int
    duplicates: int
    first_seq: int
    last_seq: int
    first_seen: datetime
    last_seen: datetime

    @property
    def missing(self) -> int:
        """Packs between the lowest and highest sequence number that never arrived (yet)."""
        return max(self.last_seq - self.first_seq + 1 - self.packs, 0)


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What :meth:`Accounting.record` found: new packs, repeats, and the gateways' totals."""

    new_packs: int
    duplicates: int
    gateways: list[GatewaySequenceRow]


@dataclass(frozen=True, slots=True)
class CompletenessRow:
    """Readings of one point on one day: how many arrived and how many its interval promises."""

    building: str
    point: str
    day: date
    received: int
    interval_s: int | None
    #: Readings due in the part of the day that has passed; None without an ``interval_s``.
    expected: int | None

    @property
    def ratio(self) -> float | None:
        """``received / expected``, or None when nothing was expected or nothing is known."""
        if not self.expected:
            return None
        return self.received / self.expected


@dataclass(frozen=True, slots=True)
class GatewayStateRow:
    """A gateway's last reported status."""

    building: str
    gateway: str
    state: str
    spool_depth: int | None
    spool_dropped: int | None
    reported_at: datetime | None
    updated_at: datetime
