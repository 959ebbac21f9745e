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
from typing import Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from byggpuls.errors import ConfigError
from byggpuls.reading import ID_PATTERN
from byggpuls.settings import CommonSettings, Environment, is_loopback
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
        # so only its broker connection must be safe in production.
        if self.environment is not Environment.PRODUCTION:
            return self
        problems = []
        if self.mqtt.username is None:
            problems.append("BYGGPULS_MQTT_URL needs a username and password in production")
        if self.mqtt.scheme != "mqtts" and not is_loopback(self.mqtt.hostname):
            problems.append("BYGGPULS_MQTT_URL must use mqtts:// to reach a broker on another host")
        if problems:
            raise ValueError("; ".join(problems))
        return self


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


class DriverSection(BaseModel):
    """``[driver]``: ``type`` names the driver; the other keys are checked by the driver."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(min_length=1)


class GatewayFile(_Strict):
    gateway: GatewaySection
    building: BuildingSection | None = None
    spool: SpoolSection = SpoolSection()
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
    "load_config",
    "parse_config",
]
