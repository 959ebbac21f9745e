"""The gateway's configuration: ``BYGGPULS_*`` settings plus one TOML file per gateway.

Where the broker is, its TLS files and the data directory come from the environment
(:class:`GatewaySettings`), as for every service. What the gateway *is* comes from its TOML
file (``byggpuls gateway --config deploy/gateway/xyz.toml``)::

    [gateway]
    id = "gw-skole-01"            # unique; its MQTT client id and the owner of its spool
    status_interval_s = 60

    [building]                    # not needed when the driver describes the building
    id = "skole-01"
    name = "Nordnes skole"
    type = "school"

    [spool]
    max_readings = 1_000_000

    [mqtt]                        # optional: the gateway's own broker login
    url = "mqtts://broker.example:8883"    # optional, else BYGGPULS_MQTT_URL's broker
    username = "gateway.skole-01.gw-skole-01"
    password = "..."              # both or neither; `byggpuls admin add-gateway` prints them

    [driver]
    type = "csv_replay"           # a name from gateway.drivers; the other keys are its options
    ...

:func:`load_config` validates it all at start and raises :class:`ConfigError` naming the file
and the key path of each problem (``driver.columns.2.unit``) with what to fix.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Self, TypeVar
from urllib.parse import SplitResult, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from byggpuls.errors import ConfigError
from byggpuls.reading import ID_PATTERN
from byggpuls.settings import (
    MQTT_SCHEMES,
    CommonSettings,
    Environment,
    is_loopback,
    redact,
    with_login,
)
from byggpuls.wire import MetaBuilding
from gateway import drivers

#: A week of a 100-point building at one reading a minute, ~60-120 MB of disk: an outage of a
#: long weekend with nobody on call fits with room to spare.
DEFAULT_SPOOL_MAX_READINGS: Final = 1_000_000
#: Packs published and not yet acknowledged by ingest. Ingest acknowledges within about half a
#: second (its batch wait, the write, the acknowledgement's coalescing), so this keeps a gateway
#: at up to about a hundred packs a second, while a resend after an outage stays short (at most
#: this many packs are sent twice).
DEFAULT_MAX_INFLIGHT_PACKS: Final = 64
DEFAULT_STATUS_INTERVAL_S: Final = 60.0
#: How long a pack waits for ingest's acknowledgement before it is sent again. Ingest
#: acknowledges within a second when it keeps up; the wait is long so that a worker working
#: through a backlog is not sent the same packs again and again.
DEFAULT_ACK_TIMEOUT_S: Final = 30.0


class GatewaySettings(CommonSettings):
    """The gateway's ``BYGGPULS_*`` settings: the common ones (broker, TLS, data dir) and more."""

    #: The gateway's TOML file, when ``--config`` is not given.
    gateway_config: Path | None = None
    #: Seconds between retained status messages (spool depth, dropped count).
    gateway_status_interval_s: float = Field(default=DEFAULT_STATUS_INTERVAL_S, gt=0)
    #: Seconds a published pack waits for ingest's acknowledgement before it is sent again
    #: (then longer, up to a minute, while none comes).
    gateway_ack_timeout_s: float = Field(default=DEFAULT_ACK_TIMEOUT_S, gt=0, le=3600)

    def spool_dir(self) -> Path:
        """Where spools live unless a gateway's file says otherwise."""
        return self.data_dir / "gateway"

    @model_validator(mode="after")
    def _check_production(self) -> Self:
        # Replaces CommonSettings' check: a gateway stores nothing in InfluxDB or the registry,
        # so only its broker connection must be safe in production. The login is not asked
        # for here: a gateway's TOML file may carry its own ([mqtt]), and the connection it
        # ends up with is checked once the file is read (GatewayConfig.broker_settings).
        if self.environment is Environment.PRODUCTION:
            problems = broker_problems(self.mqtt, what="BYGGPULS_MQTT_URL", login=False)
            if problems:
                raise ValueError("; ".join(problems))
        return self


def broker_problems(url: SplitResult, *, what: str, login: bool = True) -> list[str]:
    """What makes the broker URL ``url`` unsafe in production: no login (if ``login``), or
    plain MQTT to another host. ``what`` names where the URL comes from."""
    problems = []
    if login and url.username is None:
        problems.append(f"{what} needs a username and password in production")
    if url.scheme != "mqtts" and not is_loopback(url.hostname):
        problems.append(f"{what} must use mqtts:// to reach a broker on another host")
    return problems


SettingsT = TypeVar("SettingsT", bound=CommonSettings)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GatewaySection(_Strict):
    """``[gateway]``: who this gateway is and how it publishes."""

    id: str = Field(pattern=f"^{ID_PATTERN.pattern}$")
    status_interval_s: float | None = Field(default=None, gt=0)
    max_inflight_packs: int = Field(default=DEFAULT_MAX_INFLIGHT_PACKS, ge=1, le=1000)
    #: Else ``BYGGPULS_GATEWAY_ACK_TIMEOUT_S``.
    ack_timeout_s: float | None = Field(default=None, gt=0, le=3600)


class BuildingSection(MetaBuilding):
    """``[building]``: the building this gateway is in, as its birth message describes it."""


class SpoolSection(_Strict):
    """``[spool]``: where readings wait for the broker, and how many may wait."""

    #: Default: ``{BYGGPULS_DATA_DIR}/gateway/{gateway id}.spool.sqlite3``. Relative paths are
    #: relative to the configuration file.
    path: Path | None = None
    max_readings: int = Field(default=DEFAULT_SPOOL_MAX_READINGS, ge=1)
    #: Sync every commit to disk (survives power loss); off only for throw-away trials.
    durable: bool = True


class MqttSection(_Strict):
    """``[mqtt]``: the gateway's own broker login, as ``byggpuls admin add-gateway`` prints it.

    ``username`` and ``password`` come together and replace any login ``BYGGPULS_MQTT_URL``
    carries, so one environment serves gateways that each log in as themselves. ``url`` (no
    login in it) replaces ``BYGGPULS_MQTT_URL``'s broker; its TLS files stay the settings'.
    """

    url: str | None = None
    username: str | None = Field(default=None, max_length=256)
    password: SecretStr | None = None

    @field_validator("username", "password")
    @classmethod
    def _not_empty(cls, value: str | SecretStr | None) -> str | SecretStr | None:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text is not None and not text.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in MQTT_SCHEMES or not parts.hostname:
            raise ValueError(f"use mqtt://host:port or mqtts://host:port, not {redact(value)!r}")
        try:
            _ = parts.port
        except ValueError as exc:
            raise ValueError(f"{redact(value)!r}: {exc}") from None
        if parts.username is not None or parts.password is not None:
            # One place for the login, where it is named as such (and redacted in logs).
            raise ValueError("no login in the URL: give it as mqtt.username and mqtt.password")
        return value

    @property
    def login(self) -> tuple[str, str] | None:
        """``(username, password)``, or None when the file gives no login."""
        if self.username is None or self.password is None:
            return None
        return self.username, self.password.get_secret_value()


class DriverSection(BaseModel):
    """``[driver]``: ``type`` names the driver; the other keys are checked by the driver."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(min_length=1)


class GatewayFile(_Strict):
    gateway: GatewaySection
    building: BuildingSection | None = None
    spool: SpoolSection = SpoolSection()
    mqtt: MqttSection | None = None
    driver: DriverSection


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """A validated gateway configuration: the file's sections and the driver's own options."""

    source: Path
    gateway: GatewaySection
    building: BuildingSection | None
    spool: SpoolSection
    driver: drivers.DriverSpec
    driver_options: BaseModel
    mqtt: MqttSection | None = None

    def broker_settings(self, settings: SettingsT) -> SettingsT:
        """``settings`` with the broker and login of the file's ``[mqtt]``, if it has one.

        In production the connection this gateway ends up with must have a login and use TLS
        to another host; :class:`ConfigError` says what to fix otherwise.
        """
        url = settings.mqtt_url
        if self.mqtt is not None:
            url = self.mqtt.url or url
            if self.mqtt.login is not None:
                url = with_login(url, *self.mqtt.login)
        if settings.environment is Environment.PRODUCTION:
            where = f"BYGGPULS_MQTT_URL (or [mqtt] in {self.source})"
            problems = broker_problems(urlsplit(url), what=where)
            if problems:
                raise ConfigError("; ".join(problems))
        if url == settings.mqtt_url:
            return settings
        return settings.model_copy(update={"mqtt_url": url})

    def spool_path(self, settings: GatewaySettings) -> Path:
        if self.spool.path is None:
            return settings.spool_dir() / f"{self.gateway.id}.spool.sqlite3"
        if self.spool.path.is_absolute():
            return self.spool.path
        return self.source.parent / self.spool.path

    def context(self, *, history_start_s: float | None = None) -> drivers.DriverContext:
        return drivers.DriverContext(
            building=None if self.building is None else self.building.info(),
            base_dir=self.source.parent,
            history_start_s=history_start_s,
        )


@dataclass(frozen=True, slots=True)
class GatewayOptions:
    """What ``byggpuls gateway`` is asked to build besides its settings: the gateway of one TOML
    file (``config``, else ``BYGGPULS_GATEWAY_CONFIG``), or ``simulate`` simulated buildings."""

    config: Path | None = None
    simulate: int | None = None
    #: Seed of the simulated portfolio.
    seed: int = 1
    #: Seconds between live readings of each simulated point.
    interval_s: float = 60.0
    #: Days of history to publish first, sampled every ``backfill_interval_s``.
    backfill_days: float = 0.0
    backfill_interval_s: float = 900.0
    #: How much faster than real time the simulated clock runs once live.
    speed: float = 1.0
    #: Where the simulation writes the faults begun so far (default: in the data directory).
    ground_truth: Path | None = None
    #: Override of the spool bound (else the file's, else the default).
    spool_max_readings: int | None = None
    #: Override of the window of packs in flight (else the file's, else the default).
    max_inflight_packs: int | None = None
    #: The simulated gateways' own broker logins, by gateway id (:mod:`gateway.logins`);
    #: without it they all use the one ``BYGGPULS_MQTT_URL`` carries.
    broker_logins: Path | None = None


def describe_errors(exc: ValidationError, *, source: Path, prefix: str = "") -> str:
    """Pydantic's errors as lines of ``file: key.path: what is wrong``."""
    lines = []
    for error in exc.errors(include_url=False):
        path = ".".join(str(part) for part in (prefix, *error["loc"]) if part != "")
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (misspelt, or in the wrong table?)"
        elif error["type"] == "missing":
            message = "required key is missing"
        lines.append(f"{source}: {path or 'file'}: {message}")
    return "invalid gateway configuration:\n  " + "\n  ".join(lines)


def parse_config(data: dict[str, Any], *, source: Path) -> GatewayConfig:
    """Validate the parsed TOML ``data`` of ``source``; raises :class:`ConfigError`."""
    try:
        parsed = GatewayFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, source=source)) from None
    try:
        spec = drivers.get(parsed.driver.type)
    except ConfigError as exc:
        raise ConfigError(f"{source}: driver.type: {exc}") from None
    options = dict(parsed.driver.model_extra or {})
    try:
        driver_options = spec.options.model_validate(options)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, source=source, prefix="driver")) from None
    mqtt = parsed.mqtt
    if mqtt is not None and (mqtt.username is None) != (mqtt.password is None):
        given, missing = (
            ("username", "password") if mqtt.password is None else ("password", "username")
        )
        raise ConfigError(
            f"{source}: mqtt.{missing}: required beside mqtt.{given} (the gateway's broker"
            " login is both, or neither)"
        )
    if spec.needs_building and parsed.building is None:
        raise ConfigError(
            f"{source}: building: driver {spec.name!r} needs a [building] table "
            "(id, name, type) saying which building its points are in"
        )
    return GatewayConfig(
        source=source,
        gateway=parsed.gateway,
        building=parsed.building,
        spool=parsed.spool,
        driver=spec,
        driver_options=driver_options,
        mqtt=mqtt,
    )


def load_config(path: Path) -> GatewayConfig:
    """Read and validate the gateway's TOML file ``path``; raises :class:`ConfigError`."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such gateway configuration file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, source=path.resolve())


__all__ = [
    "GatewayConfig",
    "GatewayOptions",
    "GatewaySettings",
    "MqttSection",
    "broker_problems",
    "load_config",
    "parse_config",
]
