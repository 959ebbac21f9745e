"""Alembic environment of the registry database.

Services run it through :func:`byggpuls.registry.db.migrate`, which hands in a connection that
already holds the migration lock. From the ``alembic`` command line (``alembic.ini`` at the
repository root) it connects to ``BYGGPULS_DATABASE_URL``, else to ``sqlalchemy.url`` in the ini.
"""

from __future__ import annotations

import logging.config
import os
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from byggpuls.errors import ConfigError
from byggpuls.registry.db import SETTING, make_engine, migration_transaction
from byggpuls.registry.models import Base, UtcDateTime

config = context.config


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    # Migrations spell the column type out, so they do not change when the model code does.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


_OPTIONS: dict[str, Any] = {
    "target_metadata": Base.metadata,
    # SQLite cannot ALTER most things; batch mode copies the table, and is plain ALTER elsewhere.
    "render_as_batch": True,
    # SQLite DDL is transactional once SQLAlchemy issues BEGIN (see db.make_engine), so a failed
    # upgrade rolls back on both databases.
    "transactional_ddl": True,
    "compare_type": True,
    "render_item": _render_item,
}


def _url() -> str:
    url = os.environ.get(SETTING) or config.get_main_option("sqlalchemy.url")
    if not url:
        raise ConfigError(f"{SETTING}: set it (or sqlalchemy.url in alembic.ini) to migrate")
    return url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Write the SQL to stdout (``alembic upgrade head --sql``)."""
    context.configure(url=_url(), literal_binds=True, **_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate on the connection handed in, or on one of our own under the migration lock."""
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with migration_transaction(engine) as own:
            _run(own)
    finally:
        engine.dispose()


if config.config_file_name is not None and config.file_config.has_section("loggers"):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_offline()
else:
    run_online()
