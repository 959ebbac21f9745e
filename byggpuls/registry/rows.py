"""What the registry hands out and takes in: plain frozen values, never ORM objects.

Rows are detached from any session, so services can keep, compare and pass them across threads.
The repositories (:mod:`~byggpuls.registry.buildings`, ``points``, ``dead_letters``,
``findings``, ``accounting``, ``users``) turn them into SQL and back; nothing here knows the
database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol, TypeVar

from byggpuls.auth import Role
from byggpuls.calendar import TIMEZONE, local_date_of_utc_hour
from byggpuls.reading import BuildingInfo, PointInfo

DescriptionT = TypeVar("DescriptionT", BuildingInfo, PointInfo)
MS_PER_HOUR: Final = 3_600_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


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


class FindingAction(StrEnum):
    """What a step in a finding's audit trail did: the analytics ``detect`` a finding; people
    (and the analytics, when a finding closes itself or recurs) ``acknowledge``, ``resolve``
    and ``reopen`` it."""

    DETECT = "detect"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    REOPEN = "reopen"


#: The actor of what the analytics do to a finding on their own: detect it, close it when it has
#: stopped recurring, reopen it when it recurs.
ANALYTICS_ACTOR: Final = "analytics"
#: The actor of a status change whose caller names nobody.
SYSTEM_ACTOR: Final = "system"

#: Status changes :meth:`Findings.set_finding_status` allows. Setting the current status again is
#: a no-op, so a retried request does no harm.
FINDING_TRANSITIONS: Final[Mapping[FindingStatus, frozenset[FindingStatus]]] = {
    # Resolving an open finding is allowed: a false alarm, or a fault fixed at once, need not be
    # acknowledged first to be closed.
    FindingStatus.OPEN: frozenset({FindingStatus.ACKNOWLEDGED, FindingStatus.RESOLVED}),
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
    #: When the finding was resolved, while it is; None also for one resolved before the registry
    #: kept this.
    resolved_at: datetime | None = None
    #: Who resolved it, while it is resolved: a person's name, ``system``, or ``analytics`` when
    #: it closed itself (see :attr:`closed_itself`).
    resolved_by: str | None = None

    @property
    def closed_itself(self) -> bool:
        """Whether the finding is resolved because it stopped recurring, not by a person."""
        return self.status == FindingStatus.RESOLVED and self.resolved_by == ANALYTICS_ACTOR


@dataclass(frozen=True, slots=True)
class FindingEventRow:
    """One step in a finding's audit trail: when, who, what, from and to which status, and why."""

    id: int
    finding: int
    occurred_at: datetime
    #: A person's name, ``system`` (nobody named) or ``analytics``.
    actor: str
    #: One of :class:`FindingAction`.
    action: str
    #: None when the finding was detected.
    from_status: str | None
    to_status: str
    comment: str | None


# -- completeness accounting ----------------------------------------------------------------------


def day_of(time_ms: int) -> date:
    """The local (Europe/Oslo) day of a time in milliseconds since the epoch.

    Completeness is counted per local day, the day a building's people live by.
    """
    return local_date_of_utc_hour(time_ms // MS_PER_HOUR)


def readings_per_day(points_and_times_ms: Iterable[tuple[str, int]]) -> dict[tuple[str, date], int]:
    """How many readings each point has on each local day, from (point, time in ms) pairs."""
    hours = Counter((point, time_ms // MS_PER_HOUR) for point, time_ms in points_and_times_ms)
    days: Counter[tuple[str, date]] = Counter()
    for (point, utc_hour), readings in hours.items():
        # Every moment of a UTC hour falls on one local day: one lookup per hour, not per reading.
        days[point, local_date_of_utc_hour(utc_hour)] += readings
    return dict(days)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The start and end of a local day: 24 hours long, or 23 and 25 when the clocks change."""
    start = datetime.combine(day, time(), tzinfo=TIMEZONE)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=TIMEZONE)
    return start, end


def readings_due(*, start: datetime, end: datetime, interval_s: int) -> int:
    """How many readings a point reporting every ``interval_s`` owes in ``[start, end)``.

    Gateways sample at whole multiples of the interval since the epoch, so this counts those
    instants in the window (none when it is empty).
    """
    step_us = interval_s * 1_000_000
    first = -((_EPOCH - start) // _MICROSECOND // step_us)  # ceiling division
    after_last = -((_EPOCH - end) // _MICROSECOND // step_us)
    return max(after_last - first, 0)


@dataclass(frozen=True, slots=True)
class PackTally:
    """One stored pack: who sent it, its sequence number, and its readings per point and day."""

    building: str
    gateway: str
    seq: int
    #: (point, local day) -> readings of that point on that day in this pack
    #: (:func:`readings_per_day` counts them).
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
    """Readings of one point on one local day: how many arrived and how many it owed.

    A point owes a reading every ``interval_s`` from the time it was first described (or the
    start of the day, if later) until the end of the day (or now, if earlier). Readings that
    arrive from before it was described count as received, so ``received`` may exceed
    ``expected``.
    """

    building: str
    point: str
    #: The gateway whose birth message described the point, if one did.
    gateway: str | None
    day: date
    received: int
    interval_s: int | None
    #: Readings due in the part of the day the point existed and that has passed; None when
    #: the point has no ``interval_s`` (or is not in the registry): not countable, not guessed.
    expected: int | None

    @property
    def countable(self) -> bool:
        """Whether the point's interval is known, so that its readings can be counted."""
        return self.expected is not None

    @property
    def missing(self) -> int | None:
        """Readings due that did not arrive (never below 0); None when not countable."""
        if self.expected is None:
            return None
        return max(self.expected - self.received, 0)

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


# -- users, API keys and the audit trail ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user: who they are and what they may do. Never the password's hash."""

    id: int
    #: Lower-case, unique.
    username: str
    display_name: str
    role: Role
    #: Whether the user can sign in with a password (a partner may have API keys only).
    has_password: bool
    #: A disabled user can neither sign in nor use a key; their sessions ended when disabled.
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    """An API key, without its secret (the registry keeps only the secret's hash)."""

    id: int
    #: The public part of the token ``bpk_<key id>_<secret>``.
    key_id: str
    username: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    #: When it was last used, to the minute.
    last_used_at: datetime | None
    revoked_at: datetime | None

    def usable_at(self, now: datetime) -> bool:
        """Whether the key is neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True, slots=True)
class AuditEventRow:
    """One entry of the audit trail: when, who, what (``noun.verb``), to what, and the details."""

    id: int
    at: datetime
    #: A username, ``cli:<system user>`` for the admin command, or ``anonymous``.
    actor: str
    action: str
    target: str | None
    detail: Mapping[str, Any]


class GrantStatus(StrEnum):
    """Whether a grant gives access now."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class GrantRow:
    """A partner may read ``domains`` of some buildings until ``expires_at``: the buildings
    named in ``buildings``, or every building of ``building_type`` (then ``buildings`` is
    empty), new ones included."""

    id: int
    #: The partner's username.
    partner: str
    buildings: tuple[str, ...]
    building_type: str | None
    domains: tuple[str, ...]
    #: Why sensitive data is shared (required for it); None for open and internal data only.
    reason: str | None
    created_at: datetime
    created_by: str
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None

    def status_at(self, now: datetime) -> GrantStatus:
        """Revoked, expired (at ``now``) or active."""
        if self.revoked_at is not None:
            return GrantStatus.REVOKED
        return GrantStatus.ACTIVE if now < self.expires_at else GrantStatus.EXPIRED


class BrokerClientKind(StrEnum):
    """Whose login on the broker a client is."""

    PARTNER = "partner"
    GATEWAY = "gateway"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class BrokerClientRow:
    """A login on the MQTT broker, without its password (which is derived, never stored).

    A partner's has ``partner`` (the user); a gateway's ``building`` and ``gateway``; a
    service's ``service`` (``ingest``). ``generation`` counts the passwords issued.
    """

    username: str
    kind: BrokerClientKind
    partner: str | None
    building: str | None
    gateway: str | None
    service: str | None
    generation: int
    #: The generation the broker was last given; None before it was given one.
    applied_generation: int | None
    disabled: bool
    created_at: datetime
    issued_at: datetime
