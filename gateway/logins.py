"""Broker logins of several gateways in one file: ``byggpuls gateway --simulate N
--broker-logins FILE``.

With the broker's access control on (``docs/access.md``) every gateway connects as itself,
``gateway.{building}.{gateway}``, and may publish only its own building's topics. A process
that runs many gateways (a simulated portfolio) reads their logins from one file, JSON or TOML
by its suffix, mapping each gateway id to its username and password::

    {"gw-skole-01": {"username": "gateway.skole-01.gw-skole-01", "password": "..."}}

    ["gw-skole-01"]
    username = "gateway.skole-01.gw-skole-01"
    password = "..."

The file holds passwords: :func:`write_logins` makes it readable by its owner only, and
:func:`load_logins` warns about one that others may read.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from byggpuls.errors import ConfigError
from byggpuls.reading import ID_PATTERN

logger = logging.getLogger(__name__)

#: What a gateway's login is: (username, password), as ``build_gateway(mqtt_login=)`` takes it.
Login = tuple[str, str]


class _Login(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(min_length=1)
    password: str = Field(min_length=1)


_GatewayId = Annotated[str, StringConstraints(pattern=f"^{ID_PATTERN.pattern}$")]
_FILE: TypeAdapter[dict[_GatewayId, _Login]] = TypeAdapter(dict[_GatewayId, _Login])


def load_logins(path: Path) -> dict[str, Login]:
    """The logins of ``path`` by gateway id; :class:`ConfigError` naming the file and what to
    fix when it cannot be read or is not such a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"--broker-logins {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--broker-logins {path}: cannot read it: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning("%s holds broker passwords and others may read it: chmod 600 %s", path, path)
    data: Any
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"--broker-logins {path}: not valid TOML: {exc}") from None
    elif path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--broker-logins {path}: not valid JSON: {exc}") from None
    else:
        raise ConfigError(f"--broker-logins {path}: name it *.json or *.toml, as it is written")
    try:
        parsed = _FILE.validate_python(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            where = ".".join(str(part) for part in error["loc"] if part != "[key]")
            problems.append(f"{where or 'file'}: {error['msg']}")
        raise ConfigError(
            f"--broker-logins {path}: each gateway id must map to a username and a password: "
            + "; ".join(problems)
        ) from None
    return {gateway: (login.username, login.password) for gateway, login in parsed.items()}


def write_logins(path: Path, logins: Mapping[str, Login]) -> None:
    """Write ``logins`` (by gateway id) to ``path`` as JSON, readable by its owner only."""
    data = {gateway: {"username": u, "password": p} for gateway, (u, p) in logins.items()}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file was there with a wider mode
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=2, sort_keys=True)
        file.write("\n")


def logins_for(gateways: list[str], logins: Mapping[str, Login], *, source: Path) -> list[Login]:
    """The login of each of ``gateways``, in order; :class:`ConfigError` naming every gateway
    the file ``source`` has none for."""
    missing = [gateway for gateway in gateways if gateway not in logins]
    if missing:
        raise ConfigError(
            f"--broker-logins {source}: no login for gateway {', '.join(missing)}"
            f" (the file has {', '.join(sorted(logins)) or 'none'})"
        )
    return [logins[gateway] for gateway in gateways]


__all__ = ["Login", "load_logins", "logins_for", "write_logins"]
