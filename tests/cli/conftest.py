"""Fixtures of the ``byggpuls admin`` tests: the command run in this process on a registry of
each test's own, with a broker credential key; and the access tests' Mosquitto with dynamic
security (``dynsec_broker``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from byggpuls.access.credentials import BrokerPasswords
from byggpuls.reading import BuildingInfo
from byggpuls.registry import Registry, make_engine, migrate
from cli.main import main
from sandbox.servers import DynsecMosquittoServer
from tests.byggpuls.access.conftest import dynsec_broker

__all__ = ["dynsec_broker"]

KEY = "k" * 40
PASSWORDS = BrokerPasswords(KEY)
#: What a gateway file needs besides what add-gateway prints: a building and a driver.
DRIVER = """
[building]
id = "skole-01"
name = "Minde skole"
type = "school"

[driver]
type = "csv_replay"
path = "data.csv"
time_column = "time"
domain = "energy"

[[driver.columns]]
column = "p"
point = "el.power"
unit = "kW"
"""


class Admin:
    """``byggpuls admin ARGS`` in this process: its exit code, stdout and stderr."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["admin", *argv])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """This test's registry, as BYGGPULS_DATABASE_URL, and the broker credential key."""
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    for name in [name for name in os.environ if name.startswith("BYGGPULS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("BYGGPULS_DATABASE_URL", url)
    monkeypatch.setenv("BYGGPULS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BYGGPULS_BROKER_CREDENTIAL_KEY", KEY)
    return url


@pytest.fixture
def registry(database: str) -> Iterator[Registry]:
    engine = make_engine(database)
    migrate(engine)
    try:
        yield Registry(engine)
    finally:
        engine.dispose()


@pytest.fixture
def admin(database: str, capsys: pytest.CaptureFixture[str]) -> Iterator[Admin]:
    """Runs the command; the logging it configures is undone afterwards."""
    loggers = [logging.getLogger(), *map(logging.getLogger, logging.root.manager.loggerDict)]
    saved = [(logger, logger.handlers[:], logger.level) for logger in loggers]
    yield Admin(capsys)
    for logger, handlers, level in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)


def broker_on(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    """Let the command drive the dynamic-security broker on ``port`` (or nothing there)."""
    admin_url = f"mqtt://{DynsecMosquittoServer.admin_username}:"
    admin_url += f"{DynsecMosquittoServer.admin_password}@127.0.0.1:{port}"
    monkeypatch.setenv("BYGGPULS_BROKER_ACCESS", "mosquitto")
    monkeypatch.setenv("BYGGPULS_BROKER_ADMIN_URL", admin_url)
    monkeypatch.setenv("BYGGPULS_MQTT_URL", f"mqtt://127.0.0.1:{port}")


def last_line(err: str) -> str:
    """The last line of ``err``: the command's own, after any log lines."""
    return err.strip().splitlines()[-1]


def buildings(registry: Registry) -> None:
    """A school and a nursing home, whose climate is sensitive."""
    registry.upsert_building(BuildingInfo(id="skole-01", name="Minde skole", type="school"))
    registry.upsert_building(BuildingInfo(id="hjem-01", name="Sjukeheim", type="nursing_home"))
