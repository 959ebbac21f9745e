"""Every table of the registry: buildings, points, dead letters, findings (with their audit trail),
the buildings' daily health, accounting, users with their API keys, sessions and audit trail,
and the energy ledger.

All of them are here, so that importing this module puts the whole schema on
``Base.metadata`` (what migrations and the schema test compare against). A change to any table
needs a migration in ``migrations/versions/`` (the schema test fails until there is one).
Timestamps are timezone-aware UTC: ``timestamptz`` on PostgreSQL; on SQLite, which has no time
zones, they are stored as UTC text and come back with ``tzinfo=UTC``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Final, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from byggpuls.auth import USERNAME_LENGTH, Role
from byggpuls.reading import BuildingType
from byggpuls.registry.rows import FindingAction, FindingStatus, PointSource

#: Constraint names follow one pattern, so later migrations (and SQLite batch mode) can find them.
NAMING_CONVENTION: Final = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH: Final = 64
POINT_ID_LENGTH: Final = 128


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; naive datetimes are refused, not guessed at."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite hands back what was stored: UTC without tzinfo.
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _one_of(
    column: str, values: type[BuildingType | PointSource | FindingStatus | FindingAction | Role]
) -> str:
    quoted = ", ".join(f"'{member.value}'" for member in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """The registry's declarative base."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute as is)
        datetime: UtcDateTime(),
        float: sa.Double(),
        dict[str, Any]: sa.JSON(),
        list[str]: sa.JSON(),
    }


class Building(Base):
    """A building of the portfolio."""

    __tablename__ = "buildings"
    __table_args__ = (sa.CheckConstraint(_one_of("type", BuildingType), name="type"),)

    id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    type: Mapped[str] = mapped_column(sa.String(32))
    floor_area_m2: Mapped[float | None]
    address: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Point(Base):
    """A point (sensor, meter, setpoint) of a building, as its gateway or its data describe it."""

    __tablename__ = "points"
    __table_args__ = (sa.CheckConstraint(_one_of("source", PointSource), name="source"),)

    building_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH),
        sa.ForeignKey("buildings.id", ondelete="CASCADE"),
        primary_key=True,
    )
    point_id: Mapped[str] = mapped_column(sa.String(POINT_ID_LENGTH), primary_key=True)
    domain: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    quantity: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    unit: Mapped[str] = mapped_column(sa.Text)
    brick_class: Mapped[str | None] = mapped_column(sa.Text)
    zone: Mapped[str | None] = mapped_column(sa.Text)
    interval_s: Mapped[int | None]
    description: Mapped[str | None] = mapped_column(sa.Text)
    gateway: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    source: Mapped[str] = mapped_column(sa.String(16))
    first_seen: Mapped[datetime]
    updated_at: Mapped[datetime]


class DeadLetter(Base):
    """A message ingest could not decode or store, kept with its raw bytes so nothing is lost."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    received_at: Mapped[datetime]
    topic: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text)
    payload: Mapped[bytes] = mapped_column(sa.LargeBinary)
    gateway: Mapped[str | None] = mapped_column(sa.Text)


class Finding(Base):
    """Something a detector flagged in a building: waste or a fault, with its evidence."""

    __tablename__ = "findings"
    __table_args__ = (
        # A detector rerun finds the same (building, kind, start) and updates it.
        sa.UniqueConstraint("building_id", "kind", "start"),
        sa.CheckConstraint(_one_of("status", FindingStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    building_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("buildings.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    points: Mapped[list[str]]
    start: Mapped[datetime]
    end: Mapped[datetime | None]
    evidence: Mapped[dict[str, Any]]
    waste_kwh: Mapped[float]
    waste_nok: Mapped[float]
    score: Mapped[float]
    status: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Set while it is resolved, so that a list can tell who closed it without the audit trail.
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(sa.Text)


class FindingEvent(Base):
    """A step in a finding's audit trail: who moved it from which status to which, and why."""

    __tablename__ = "finding_events"
    __table_args__ = (
        sa.CheckConstraint(_one_of("action", FindingAction), name="action"),
        # NULL passes a CHECK: a detected finding has no status before.
        sa.CheckConstraint(_one_of("from_status", FindingStatus), name="from_status"),
        sa.CheckConstraint(_one_of("to_status", FindingStatus), name="to_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    finding_id: Mapped[int] = mapped_column(
        sa.ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(sa.Text)
    action: Mapped[str] = mapped_column(sa.String(16))
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    comment: Mapped[str | None] = mapped_column(sa.Text)


# -- completeness accounting (see :mod:`byggpuls.registry.accounting`) ----------------------------


class PackReceipt(Base):
    """A telemetry pack ingest has stored, so that a repeat of it is recognised."""

    __tablename__ = "pack_receipts"

    building_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    gateway: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(index=True)


class GatewaySequence(Base):
    """What a gateway's sequence numbers tell: packs seen, repeats, and the range they span."""

    __tablename__ = "gateway_sequences"

    building_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    gateway: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    packs: Mapped[int] = mapped_column(sa.BigInteger)
    duplicates: Mapped[int] = mapped_column(sa.BigInteger)
    first_seq: Mapped[int] = mapped_column(sa.BigInteger)
    last_seq: Mapped[int] = mapped_column(sa.BigInteger)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class PointDayReadings(Base):
    """How many readings of a point arrived on one local (Europe/Oslo) day."""

    __tablename__ = "point_day_readings"

    building_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    point_id: Mapped[str] = mapped_column(sa.String(POINT_ID_LENGTH), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    readings: Mapped[int] = mapped_column(sa.BigInteger)


class GatewayState(Base):
    """The last ``status`` a gateway published."""

    __tablename__ = "gateway_states"

    building_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    gateway: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(16))
    spool_depth: Mapped[int | None] = mapped_column(sa.BigInteger)
    spool_dropped: Mapped[int | None] = mapped_column(sa.BigInteger)
    reported_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class BuildingHealthDay(Base):
    """A building's health on one local (Europe/Oslo) day, as the analytics scored it: kept per
    day so that the dashboard can draw its trend. ``score`` and ``band`` are NULL while it is
    unknown (no data to judge); ``parts`` holds the breakdown and its reasons."""

    __tablename__ = "building_health"

    building_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH),
        sa.ForeignKey("buildings.id", ondelete="CASCADE"),
        primary_key=True,
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    score: Mapped[float | None]
    band: Mapped[str | None] = mapped_column(sa.String(16))
    parts: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime]


# -- users, their keys and sessions, and the audit trail (see :mod:`byggpuls.registry.users`) ------


class User(Base):
    """A person or a system that signs in: an admin, a facility manager or a partner."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(_one_of("role", Role), name="role"),
        # Stored lower-case, so that "Kari" and "kari" cannot be two users.
        sa.CheckConstraint("username = lower(username)", name="username_lower"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(sa.String(USERNAME_LENGTH), unique=True)
    display_name: Mapped[str] = mapped_column(sa.Text)
    role: Mapped[str] = mapped_column(sa.String(16))
    #: Argon2id, PHC string; NULL for a user who signs in with API keys only.
    password_hash: Mapped[str | None] = mapped_column(sa.Text)
    disabled: Mapped[bool] = mapped_column(sa.Boolean)
    created_at: Mapped[datetime]


class UserBuilding(Base):
    """A building in a facility manager's scope."""

    __tablename__ = "user_buildings"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    building_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True
    )


class ApiKey(Base):
    """A user's API key: its public id, and the SHA-256 of its secret."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class UserSession(Base):
    """A signed-in session of the dashboard, kept server-side so that it can be ended at once."""

    __tablename__ = "sessions"

    #: SHA-256 of the session cookie's token.
    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AuditEvent(Base):
    """Something an admin may want to know happened: who did what to what, and when.

    Actions are ``noun.verb`` (``user.create``, ``key.revoke``, ``session.login_failed``); the
    set grows with the platform (grants), so the database does not restrict it.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(sa.Text)
    action: Mapped[str] = mapped_column(sa.String(ID_LENGTH), index=True)
    target: Mapped[str | None] = mapped_column(sa.Text)
    detail: Mapped[dict[str, Any]]


# The tables themselves, for the Core statements (upserts, increments) the repositories write.
BUILDINGS: Final = cast(sa.Table, Building.__table__)
POINTS: Final = cast(sa.Table, Point.__table__)
DEAD_LETTERS: Final = cast(sa.Table, DeadLetter.__table__)
FINDINGS: Final = cast(sa.Table, Finding.__table__)
FINDING_EVENTS: Final = cast(sa.Table, FindingEvent.__table__)
RECEIPTS: Final = cast(sa.Table, PackReceipt.__table__)
SEQUENCES: Final = cast(sa.Table, GatewaySequence.__table__)
DAY_READINGS: Final = cast(sa.Table, PointDayReadings.__table__)
STATES: Final = cast(sa.Table, GatewayState.__table__)
HEALTH: Final = cast(sa.Table, BuildingHealthDay.__table__)
USERS: Final = cast(sa.Table, User.__table__)
USER_BUILDINGS: Final = cast(sa.Table, UserBuilding.__table__)
API_KEYS: Final = cast(sa.Table, ApiKey.__table__)
SESSIONS: Final = cast(sa.Table, UserSession.__table__)
AUDIT_EVENTS: Final = cast(sa.Table, AuditEvent.__table__)


# -- the energy ledger (see :mod:`byggpuls.registry.energy`) ---------------------------------------

#: The carriers a building's main meters measure.
ENERGY_CARRIERS: Final = ("electricity", "heat")


class BuildingEnergyHour(Base):
    """One hour of a building's main meter of one carrier, as the analytics read it: the
    measured kWh, the baseline's expected kWh (NULL where no trusted baseline) and the cost
    of the measured energy (NULL where it could not be priced). ``hour`` is the UTC start."""

    __tablename__ = "energy_hours"
    __table_args__ = (
        sa.CheckConstraint(
            "carrier IN (" + ", ".join(f"'{c}'" for c in ENERGY_CARRIERS) + ")", name="carrier"
        ),
    )

    building_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True
    )
    carrier: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    point: Mapped[str] = mapped_column(sa.String(POINT_ID_LENGTH))
    measured_kwh: Mapped[float | None]
    baseline_kwh: Mapped[float | None]
    cost_nok: Mapped[float | None]


ENERGY_HOURS: Final = cast(sa.Table, BuildingEnergyHour.__table__)


# -- partners' grants and the broker's clients (see :mod:`byggpuls.registry.partners`) ----------

#: What a broker client is: a partner's login, a gateway's, or a platform service's (ingest).
BROKER_CLIENT_KINDS: Final = ("partner", "gateway", "service")
#: The longest broker username: ``gateway:{building}:{gateway}`` of two 64-character ids.
BROKER_USERNAME_LENGTH: Final = 2 * ID_LENGTH + 16


class Grant(Base):
    """A partner may read some domains of some buildings until ``expires_at``.

    The buildings are named (:class:`GrantBuilding`) or are every building of
    ``building_type``, so that new buildings of the type follow. ``reason`` says why a
    sensitive domain is shared. Revoked grants stay, with who revoked them and when; the
    audit trail records an expiry once (``expiry_recorded_at``).
    """

    __tablename__ = "grants"
    __table_args__ = (
        sa.CheckConstraint(
            "building_type IS NULL OR " + _one_of("building_type", BuildingType),
            name="building_type",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    building_type: Mapped[str | None] = mapped_column(sa.String(32))
    #: Sorted domain ids.
    domains: Mapped[list[str]]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.Text)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(sa.Text)
    expiry_recorded_at: Mapped[datetime | None]


class GrantBuilding(Base):
    """A building a grant names."""

    __tablename__ = "grant_buildings"

    grant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("grants.id", ondelete="CASCADE"), primary_key=True
    )
    building_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True
    )


class BrokerClient(Base):
    """A login on the MQTT broker, whose rights the platform derives: a partner's (from its
    grants), a gateway's (its own building's topics) or a service's.

    The password is never stored: it is derived from the platform's credential key, the
    username and ``generation`` (:mod:`byggpuls.access.credentials`), so that a broker that
    lost its state can be given it again; ``secret_hash`` (SHA-256) tells which one was issued.
    A gateway's building need not be in the registry yet: it is provisioned before it first
    reports.
    """

    __tablename__ = "broker_clients"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in BROKER_CLIENT_KINDS) + ")", name="kind"
        ),
    )

    username: Mapped[str] = mapped_column(sa.String(BROKER_USERNAME_LENGTH), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: The partner (a user) whose login this is.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    building_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    gateway_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    #: A service's role (``ingest``).
    service: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    generation: Mapped[int]
    #: The generation the broker was last given (NULL: not yet), so that a new password
    #: reaches the broker even when the service that syncs it was down when it was issued.
    applied_generation: Mapped[int | None]
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    disabled: Mapped[bool] = mapped_column(sa.Boolean)
    created_at: Mapped[datetime]
    issued_at: Mapped[datetime]


GRANTS: Final = cast(sa.Table, Grant.__table__)
GRANT_BUILDINGS: Final = cast(sa.Table, GrantBuilding.__table__)
BROKER_CLIENTS: Final = cast(sa.Table, BrokerClient.__table__)
