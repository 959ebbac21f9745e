"""What every registry repository shares: its transactions, dialect inserts, error translation."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Final, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from byggpuls.errors import ConfigError, StoreError, StoreRejected, StoreUnavailable
from byggpuls.registry.db import write_options
from byggpuls.registry.models import Base

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

RowT = TypeVar("RowT", bound="DataclassInstance")
Insert = postgresql.Insert | sqlite.Insert
_MISSING_SCHEMA: Final = "no such table"


class Repository:
    """The base of each aggregate's repository: sessions on the registry's engine.

    Give it the Engine from :func:`~byggpuls.registry.db.make_engine` (after
    :func:`~byggpuls.registry.db.migrate`) or a ``sessionmaker`` bound to one. Thread-safe: each
    call uses a session of its own. Database failures raise
    :class:`~byggpuls.errors.StoreUnavailable` (retry) or :class:`~byggpuls.errors.StoreRejected`;
    bad arguments :class:`~byggpuls.registry.errors.InvalidValue` (a ValueError).
    """

    def __init__(self, bind: Engine | sessionmaker[Session]) -> None:
        if isinstance(bind, Engine):
            bind = sessionmaker(bind)
        self._sessions = bind
        #: The connection of this thread's :meth:`transaction`, if one is open.
        self._unit = threading.local()

    @property
    def engine(self) -> Engine:
        """The engine of the registry's database, for another repository on the same one."""
        engine = self._sessions.kw["bind"]
        assert isinstance(engine, Engine)
        return engine

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with translated(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        open_unit: Connection | None = getattr(self._unit, "connection", None)
        if open_unit is not None:  # inside transaction(): its commit or rollback is the one
            yield open_unit
            return
        with translated(), self._sessions() as session, session.begin():
            dialect = session.get_bind().dialect.name
            yield session.connection(execution_options=write_options(dialect))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make the changes inside (of this repository, in this thread) one transaction: all of
        them are kept, or none when one fails. ``with registry.transaction(): ...``; reads
        inside see what was committed before it began."""
        if getattr(self._unit, "connection", None) is not None:
            raise RuntimeError("a transaction is open already in this thread")
        with self._writing() as connection:
            self._unit.connection = connection
            try:
                yield
            finally:
                self._unit.connection = None


def detached(
    row_type: type[RowT],
    obj: Base | sa.Row[Any],
    renamed: Mapping[str, str] | None = None,
    **given: Any,
) -> RowT:
    """An ORM object or a result row as a plain ``row_type``, detached from its session.

    A field is read from the attribute of its name, or of the name ``renamed`` maps it to
    (``{"building": "building_id"}``); ``given`` sets fields that need converting, such as a
    JSON list to a tuple. So a row type needs no mapper of its own.
    """
    attribute_of = renamed or {}
    values = {
        field.name: getattr(obj, attribute_of.get(field.name, field.name))
        for field in fields(row_type)
        if field.name not in given
    }
    return row_type(**values, **given)


def insert(conn: Connection, table: sa.Table) -> Insert:
    """An INSERT into ``table`` in the connection's dialect, which has ``ON CONFLICT``."""
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ConfigError(f"BYGGPULS_DATABASE_URL: the registry does not support {name!r}")


def execute_counting(conn: Connection, stmt: Insert, rows: list[dict[str, Any]]) -> int:
    """Execute an upsert for ``rows``; return how many rows it inserted or updated.

    One ``executemany`` of one cached statement: sqlite3 runs it in-process, psycopg 3 sends
    it as one pipeline. A multi-row ``VALUES`` would save nothing on the wire and cost ten times
    the CPU, since SQLAlchemy compiles it afresh for every batch.
    """
    if not rows:
        return 0
    # SQLAlchemy keeps cursor.rowcount for UPDATE and DELETE only, unless asked to.
    result = conn.execute(stmt.execution_options(preserve_rowcount=True), rows)
    return max(result.rowcount, 0)


@contextmanager
def translated() -> Iterator[None]:
    """Turn database errors into :mod:`byggpuls.errors` types at this edge."""
    try:
        yield
    except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
        raise StoreRejected(f"registry database refused the change: {exc.orig}") from exc
    except OverflowError as exc:
        # SQLite's driver refuses an integer beyond 64 bits before the database sees it, and
        # SQLAlchemy does not wrap that; PostgreSQL says the same as a DataError.
        raise StoreRejected(f"registry database refused the change: {exc}") from exc
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        if _MISSING_SCHEMA in str(exc.orig):
            # SQLite reports a missing table as "operational"; retrying will not create it.
            raise StoreError(f"registry database has no schema ({exc.orig}): migrate it") from exc
        # Locked, deadlocked, disconnected: the same call may succeed later.
        raise StoreUnavailable(f"registry database unavailable: {exc.orig}") from exc
    except sa.exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise StoreUnavailable(f"registry database connection lost: {exc.orig}") from exc
        raise StoreError(f"registry database error: {exc.orig}") from exc
