"""The registry database: buildings, points, dead letters, findings, daily health, accounting
(SQLAlchemy).

    engine = make_engine(settings.database_url)   # ConfigError if unusable
    migrate(engine)                               # at every service start; safe to race
    registry = Registry(engine)                   # buildings, points, ..., findings, health
    accounting = Accounting(engine)               # .accounting: completeness, ingest writes it

Every table is declared in ``models``, every value handed out in ``rows``; each aggregate has a
repository module of its own (``buildings``, ``points``, ``dead_letters``, ``findings``,
``health``, ``accounting``), and ``repository.Registry`` bundles all but the last on one
engine. Alembic migrations are in ``migrations/``. SQLite (the default) and PostgreSQL are
supported; see :mod:`byggpuls.registry.db`.
"""

from byggpuls.reading import BuildingType
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.errors import InvalidTransition, InvalidValue, NotFound, RegistryError
from byggpuls.registry.health import HealthDay, HealthDayRow
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import (
    FINDING_TRANSITIONS,
    BuildingRow,
    DeadLetterRow,
    FindingLike,
    FindingRow,
    FindingStatus,
    NewFinding,
    PointRow,
    PointSource,
)

__all__ = [
    "FINDING_TRANSITIONS",
    "BuildingRow",
    "BuildingType",
    "DeadLetterRow",
    "FindingLike",
    "FindingRow",
    "FindingStatus",
    "HealthDay",
    "HealthDayRow",
    "InvalidTransition",
    "InvalidValue",
    "NewFinding",
    "NotFound",
    "PointRow",
    "PointSource",
    "Registry",
    "RegistryError",
    "make_engine",
    "migrate",
]
