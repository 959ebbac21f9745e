"""Settings every service shares, read from ``BYGGPULS_*`` environment variables.

Each service has one settings class that extends :class:`CommonSettings` with its own fields
(``gateway.config``, ``ingest.settings``, ``api.settings``); :class:`LogSettings` says how every
one of them logs. :func:`load` turns validation errors into a
:class:`~byggpuls.errors.ConfigError` that names the variable and says what to fix.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit, urlunsplit

from pydantic import ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from byggpuls.errors import ConfigError
from byggpuls.logs import LogLevel

ENV_PREFIX = "BYGGPULS_"
DEFAULT_MQTT_URL = "mqtt://127.0.0.1:1883"
MQTT_SCHEMES = {"mqtt": 1883, "mqtts": 8883}


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class MqttProtocol(StrEnum):
    """Which MQTT version to speak. ``auto`` tries 5 and falls back to 3.1.1 if refused."""

    AUTO = "auto"
    V5 = "5"
    V311 = "3.1.1"


class LogSettings(BaseSettings):
    """How every service logs: ``BYGGPULS_LOG_LEVEL`` and ``BYGGPULS_LOG_JSON``.

    Read once by the command line, before the service's own settings, so that a bad value is
    refused like any other setting rather than failing inside the logging module.
    """

    # An empty variable means unset, as ``BYGGPULS_LOG_JSON=`` always has.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, env_ignore_empty=True
    )

    log_level: LogLevel = LogLevel.INFO
    #: One JSON object per line, for a log shipper; text lines for people otherwise.
    log_json: bool = False

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***``, for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def with_login(url: str, username: str, password: str) -> str:
    """``url`` (an MQTT URL) with ``username`` and ``password`` as its user part, replacing
    any; both are percent-encoded."""
    from urllib.parse import quote

    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    login = f"{quote(username, safe='')}:{quote(password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{login}@{host}"))


def without_login(url: str) -> str:
    """``url`` without its user part: what can be shown to anyone."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a name or an address; None means the default) is this machine."""
    if host in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def existing_file(value: Path | None) -> Path | None:
    """A settings validator: the path, when given, must be a file."""
    if value is not None and not value.is_file():
        raise ValueError(f"no such file: {value}")
    return value


class CommonSettings(BaseSettings):
    """Where the broker, the reading store and the registry database are."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    environment: Environment = Environment.DEVELOPMENT
    #: State of the embedded defaults (SQLite files, spools) lives here.
    data_dir: Path = Path("var")

    mqtt_url: str = DEFAULT_MQTT_URL
    mqtt_protocol: MqttProtocol = MqttProtocol.AUTO
    mqtt_ca_file: Path | None = None
    mqtt_cert_file: Path | None = None
    mqtt_key_file: Path | None = None
    #: Seconds between keep-alive pings; the broker declares a client dead after 1.5 times this,
    #: which is when the gateway's Last Will ("offline") is published.
    mqtt_keepalive_s: int = 30

    #: ``http(s)://user:password@host:8086/database``. Unset: readings go to an embedded SQLite
    #: store under ``data_dir``, the zero-setup default for the demo and small sites.
    influx_url: str | None = None
    #: A SQLAlchemy URL. Unset: SQLite under ``data_dir``.
    database_url: str | None = None

    @field_validator("mqtt_url")
    @classmethod
    def _check_mqtt_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in MQTT_SCHEMES:
            raise ValueError(f"use mqtt://host:port or mqtts://host:port, not {redact(value)!r}")
        if not parts.hostname:
            raise ValueError(f"{redact(value)!r} has no host")
        try:
            _ = parts.port
        except ValueError as exc:
            raise ValueError(f"{redact(value)!r}: {exc}") from None
        return value

    @field_validator("influx_url")
    @classmethod
    def _check_influx_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"use http(s)://user:password@host:8086/database, not {redact(value)!r}"
            )
        return value

    @field_validator("mqtt_ca_file", "mqtt_cert_file", "mqtt_key_file")
    @classmethod
    def _check_file(cls, value: Path | None) -> Path | None:
        return existing_file(value)

    @model_validator(mode="after")
    def _check_production(self) -> CommonSettings:
        if self.environment is not Environment.PRODUCTION:
            return self
        problems = []
        if self.influx_url is None:
            problems.append("set BYGGPULS_INFLUX_URL (the embedded store is for trials only)")
        if self.database_url is None:
            problems.append("set BYGGPULS_DATABASE_URL (the embedded SQLite is for trials only)")
        mqtt = self.mqtt
        if mqtt.username is None:
            problems.append("BYGGPULS_MQTT_URL needs a username and password in production")
        if mqtt.scheme != "mqtts" and not is_loopback(mqtt.hostname):
            problems.append("BYGGPULS_MQTT_URL must use mqtts:// to reach a broker on another host")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def mqtt(self) -> SplitResult:
        """The parsed broker URL."""
        return urlsplit(self.mqtt_url)

    @property
    def mqtt_port(self) -> int:
        return self.mqtt.port or MQTT_SCHEMES[self.mqtt.scheme]

    @property
    def readings_url(self) -> str:
        """Where readings go: the InfluxDB URL, or the embedded store's ``sqlite:///`` URL."""
        if self.influx_url is not None:
            return self.influx_url
        return f"sqlite:///{self.data_dir.resolve() / 'readings.sqlite3'}"

    @property
    def registry_url(self) -> str:
        """The registry database's SQLAlchemy URL."""
        if self.database_url is not None:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / 'registry.sqlite3'}"


SettingsT = TypeVar("SettingsT", bound=BaseSettings)

#: What to say instead of pydantic's words where those do not say what is allowed.
_ALLOWED = {"bool_parsing": "use true or false (or 1 or 0, yes or no, on or off)"}


def load(settings_class: type[SettingsT], **overrides: Any) -> SettingsT:
    """Read ``settings_class`` from the environment, with ``overrides`` (e.g. from the CLI) on top.

    Raises :class:`ConfigError` naming each bad variable and what is wrong with it.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return settings_class(**given)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            name = f"{ENV_PREFIX}{field.upper()}" if field else "settings"
            message = _ALLOWED.get(error["type"]) or error["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
