"""make_engine: supported URLs, SQLite set up for several processes, errors that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from byggpuls.errors import ConfigError
from byggpuls.registry import make_engine
from sandbox.servers import free_port


def test_sqlite_engine_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        engine.dispose()


def test_sqlite_transactions_are_real_transactions(tmp_path: Path) -> None:
    # The driver's legacy mode would commit DDL on its own; the engine hands control to BEGIN.
    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    try:
        with engine.connect() as conn:
            with conn.begin() as transaction:
                conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
                transaction.rollback()
            assert not sa.inspect(conn).has_table("t")
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_one_database_for_every_connection() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        with engine.connect() as conn:
            assert sa.inspect(conn).has_table("t")
    finally:
        engine.dispose()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_psycopg(postgres_url: str, scheme: str) -> None:
    url = postgres_url.replace("postgresql+psycopg", scheme, 1)
    engine = make_engine(url)
    try:
        assert engine.dialect.name == "postgresql"
        assert engine.dialect.driver == "psycopg"
        with engine.connect() as conn:
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
        assert schema == postgres_url.rsplit("%3D", 1)[1]
    finally:
        engine.dispose()


def test_unreachable_postgresql_is_a_config_error_naming_the_setting() -> None:
    port = free_port()
    with pytest.raises(ConfigError) as caught:
        make_engine(f"postgresql://root:s3cret@127.0.0.1:{port}/test")
    message = str(caught.value)
    assert message.startswith("BYGGPULS_DATABASE_URL: cannot connect to ")
    assert f"127.0.0.1:{port}" in message
    assert "refused" in message.lower()
    assert "s3cret" not in message


def test_sqlite_in_a_missing_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"BYGGPULS_DATABASE_URL: cannot connect .*directory"):
        make_engine(f"sqlite:///{tmp_path / 'missing' / 'r.sqlite3'}")


@pytest.mark.parametrize(
    "url",
    ["mysql://root@127.0.0.1/registry", "postgresql+asyncpg://root@127.0.0.1/test", "oracle://x"],
)
def test_unsupported_database_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match=r"BYGGPULS_DATABASE_URL: unsupported database"):
        make_engine(url)


@pytest.mark.parametrize("url", ["", "registry.sqlite3", "://nothing"])
def test_malformed_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match=r"BYGGPULS_DATABASE_URL: .* is not a database URL"):
        make_engine(url)
