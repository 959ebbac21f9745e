"""``BYGGPULS_BROKER_*``: how the platform drives the broker's access control.

For the services that manage access (``byggpuls api``, ``byggpuls admin``), beside
:class:`~byggpuls.settings.CommonSettings`:

- ``BYGGPULS_BROKER_ACCESS``: ``off`` (the default: the broker's access control is someone
  else's business) or ``mosquitto`` (Mosquitto's dynamic-security plugin, driven from the
  registry's grants and logins, see ``docs/access.md``);
- ``BYGGPULS_BROKER_ADMIN_URL``: ``mqtt(s)://ADMIN:PASSWORD@host:port`` of the plugin's admin
  client;
- ``BYGGPULS_BROKER_CREDENTIAL_KEY``: the key broker passwords are derived from
  (:mod:`byggpuls.access.credentials`), at least 32 characters; needed to issue any;
- ``BYGGPULS_BROKER_PUBLIC_URL``: the broker as partners and gateways reach it, for the
  settings the platform prints them (default: ``BYGGPULS_MQTT_URL`` without its user);
- ``BYGGPULS_BROKER_SYNC_S``: seconds between looks at the registry (a change, an expiry);
- ``BYGGPULS_BROKER_FULL_SYNC_S``: seconds between full comparisons with the broker, which
  also repair what was changed on the broker behind the platform's back.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import SplitResult, unquote, urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from byggpuls.access.credentials import MIN_KEY_LENGTH, BrokerPasswords
from byggpuls.settings import ENV_PREFIX, MQTT_SCHEMES, redact


class BrokerAccessSettings(BaseSettings):
    """How the platform drives the broker's access control (module docstring)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    broker_access: Literal["off", "mosquitto"] = "off"
    broker_admin_url: SecretStr | None = None
    broker_credential_key: SecretStr | None = None
    broker_public_url: str | None = None
    broker_sync_s: float = Field(default=2.0, gt=0.0, le=60.0)
    broker_full_sync_s: float = Field(default=60.0, ge=10.0, le=86_400.0)

    @model_validator(mode="after")
    def _check_access(self) -> BrokerAccessSettings:
        problems = []
        key = self.broker_credential_key
        if key is not None and len(key.get_secret_value()) < MIN_KEY_LENGTH:
            problems.append(
                f"BYGGPULS_BROKER_CREDENTIAL_KEY needs at least {MIN_KEY_LENGTH} characters"
                " (`openssl rand -base64 32` makes one)"
            )
        if self.broker_access == "mosquitto":
            if key is None:
                problems.append(
                    "BYGGPULS_BROKER_ACCESS=mosquitto needs BYGGPULS_BROKER_CREDENTIAL_KEY, the"
                    " key broker passwords are derived from (`openssl rand -base64 32`)"
                )
            admin = self.broker_admin_url
            if admin is None:
                problems.append(
                    "BYGGPULS_BROKER_ACCESS=mosquitto needs BYGGPULS_BROKER_ADMIN_URL,"
                    " mqtt://ADMIN:PASSWORD@host:port of the dynamic-security admin client"
                )
            else:
                parts = urlsplit(admin.get_secret_value())
                if (
                    parts.scheme not in MQTT_SCHEMES
                    or not parts.hostname
                    or not parts.username
                    or not parts.password
                ):
                    problems.append(
                        "BYGGPULS_BROKER_ADMIN_URL must be mqtt(s)://ADMIN:PASSWORD@host:port,"
                        f" not {redact(admin.get_secret_value())!r}"
                    )
        if self.broker_public_url is not None:
            public = urlsplit(self.broker_public_url)
            if public.scheme not in MQTT_SCHEMES or not public.hostname:
                problems.append(
                    "BYGGPULS_BROKER_PUBLIC_URL must be mqtt(s)://host:port, not"
                    f" {redact(self.broker_public_url)!r}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def broker_passwords(self) -> BrokerPasswords | None:
        """The derivation of broker passwords, None without a key."""
        key = self.broker_credential_key
        return None if key is None else BrokerPasswords(key.get_secret_value())

    @property
    def broker_admin(self) -> SplitResult | None:
        """The admin URL's parts (with the password), None without one."""
        admin = self.broker_admin_url
        return None if admin is None else urlsplit(admin.get_secret_value())


def admin_login(parts: SplitResult) -> tuple[str, int, str, str, bool]:
    """``(host, port, username, password, tls)`` of an admin URL's parts."""
    assert parts.hostname is not None
    port = parts.port or MQTT_SCHEMES[parts.scheme]
    return (
        parts.hostname,
        port,
        unquote(parts.username or ""),
        unquote(parts.password or ""),
        parts.scheme == "mqtts",
    )
