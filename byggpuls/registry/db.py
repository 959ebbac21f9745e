"""Connecting to the registry database and bringing its schema up to date.

``make_engine`` accepts ``sqlite:///path`` (the zero-setup default) and PostgreSQL URLs
(``postgresql://`` or ``postgresql+psycopg://``, always driven by psycopg 3). ``migrate`` runs the
Alembic migrations shipped in ``migrations/`` under a lock, so services starting together do not
race: a PostgreSQL advisory lock, or an exclusive SQLite transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from byggpuls.errors import ConfigError

logger = logging.getLogger(__name__)

SETTING: Final = "BYGGPULS_DATABASE_URL"
MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
#: How long a SQLite writer waits for another process's write lock before giving up. Ingest and
#: the API share one file in the demo; their transactions are short, so this is ample.
SQLITE_BUSY_TIMEOUT_S: Final = 30.0
#: How long to wait for a PostgreSQL server before reporting it unreachable.
POSTGRES_CONNECT_TIMEOUT_S: Final = 10
#: Connection execution option naming the statement that opens a SQLite transaction.
SQLITE_BEGIN_OPTION: Final = "byggpuls_sqlite_begin"
#: Serialises concurrent migrations of one schema (hashed with the schema name).
_ADVISORY_LOCK_KEY: Final = "byggpuls.registry.migrate:"

_SQLITE_DRIVERS: Final = frozenset({"sqlite", "sqlite+pysqlite"})
_POSTGRES_DRIVERS: Final = frozenset({"postgresql", "postgres", "postgresql+psycopg"})


def write_options(dialect_name: str) -> dict[str, Any]:
    """Execution options for a transaction that will write, given the dialect name.

    A SQLite transaction that reads first and writes later fails at once with "database is
    locked" when another process wrote in between; ``BEGIN IMMEDIATE`` takes the write lock up
    front, where the busy timeout applies. PostgreSQL needs nothing.
    """
    if dialect_name == "sqlite":
        return {SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"}
    return {}


def redacted(url: URL) -> str:
    """The URL for messages and logs, its password hidden."""
    return url.render_as_string(hide_password=True)


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return " ".join(str(original).split()) or type(original).__name__


def _parse(url: str) -> URL:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError(
            f"{SETTING}: {url!r} is not a database URL; use sqlite:///path/to/registry.sqlite3 "
            "or postgresql://user:password@host:5432/database"
        ) from None
    if parsed.drivername in _SQLITE_DRIVERS:
        return parsed.set(drivername="sqlite")
    if parsed.drivername in _POSTGRES_DRIVERS:
        return parsed.set(drivername="postgresql+psycopg")
    raise ConfigError(
        f"{SETTING}: unsupported database {parsed.drivername!r} in {redacted(parsed)}; "
        "use sqlite:///path/to/registry.sqlite3 or postgresql://user:password@host:5432/database"
    )


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url)


def _sqlite_engine(url: URL) -> Engine:
    memory = _is_memory(url)
    engine = sa.create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        # One shared connection keeps an in-memory database alive and the same for all threads.
        poolclass=StaticPool if memory else None,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # The driver's own transaction handling would skip BEGIN before DDL and SELECT; hand
        # transactions to SQLAlchemy (the "begin" listener below) so they mean what they say.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not memory:
                # WAL lets the API read while ingest writes, from separate processes.
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "BEGIN"))

    return engine


def _postgres_engine(url: URL) -> Engine:
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    # pre_ping replaces connections a server restart has closed instead of failing a request.
    return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def make_engine(url: str) -> Engine:
    """An Engine for the registry database at ``url``, checked by connecting once.

    Raises :class:`~byggpuls.errors.ConfigError` naming ``BYGGPULS_DATABASE_URL`` when the URL
    is malformed, names an unsupported database, or the database cannot be reached.
    """
    parsed = _parse(url)
    engine = _sqlite_engine(parsed) if parsed.drivername == "sqlite" else _postgres_engine(parsed)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        hint = ""
        if parsed.drivername == "sqlite":
            hint = " (does the directory exist and may this user write to it?)"
        raise ConfigError(
            f"{SETTING}: cannot connect to {redacted(parsed)}: {_reason(exc)}{hint}"
        ) from exc
    return engine


@contextmanager
def migration_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the migration lock until it ends; one migrator at a time."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # EXCLUSIVE makes a second migrator wait (busy timeout) instead of reading a
            # half-built schema; SQLite DDL is transactional, so a failed upgrade leaves nothing.
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "BEGIN EXCLUSIVE"})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                # Released at commit. DDL is transactional on PostgreSQL too.
                conn.execute(
                    sa.text(
                        "SELECT pg_advisory_xact_lock("
                        "hashtext(:key || coalesce(current_schema(), '')))"
                    ),
                    {"key": _ADVISORY_LOCK_KEY},
                )
            yield conn


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the shipped migrations, without an ``alembic.ini``."""
    config = Config()
    # ConfigParser interpolates "%"; a path may contain one.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The Alembic revision the database is at, or None before the first migration."""
    return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the registry schema up to the newest revision (``alembic upgrade head``).

    Safe to call at every service start and from several services at once: it waits for a
    running migration to finish, then finds nothing left to do.
    """
    where = redacted(engine.url)
    try:
        with migration_transaction(engine) as conn:
            before = current_revision(conn)
            command.upgrade(alembic_config(conn), "head")
            after = current_revision(conn)
    except CommandError as exc:
        raise ConfigError(
            f"{SETTING}: cannot migrate the registry database at {where}: {exc}; it may have "
            "been migrated by a newer version of Byggpuls (run that version, or use another "
            "database)"
        ) from exc
    except sa.exc.OperationalError as exc:
        raise ConfigError(f"{SETTING}: cannot migrate {where}: {_reason(exc)}") from exc
    if before != after:
        logger.info("registry database %s migrated from %s to %s", where, before, after)
    else:
        logger.debug("registry database %s is at %s", where, after)
