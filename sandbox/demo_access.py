"""The demo's broker access control: every service its own login, and a partner to show it.

With Mosquitto the demo runs the governed setup of production (``docs/access.md``): before any
service starts, the registry gets a credential key made for this run, the ingest login, one
login per simulated gateway, and a sample partner, ``demo-partner``, with an API key, a broker
login and one grant (energy and climate of every school, for 30 days); one full sync then puts
it all on the broker. Each child gets only its own credentials: ingest its login in
``BYGGPULS_MQTT_URL``, the gateways theirs in a file readable by the demo's user only, and the
API (which keeps the broker at the grants from then on) the admin URL and the key.

The simulated buildings are put in the registry here, as their gateways will describe them:
a grant by building type covers the buildings the registry has, so the partner may read the
schools' topics from the start, not only once their gateways are heard of.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from api.settings import ApiSettings
from byggpuls import topics
from byggpuls.access.credentials import BrokerPasswords
from byggpuls.access.instructions import mosquitto_sub
from byggpuls.access.sync import AccessSync, broker_opener
from byggpuls.reading import BuildingInfo, BuildingType
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.partners import gateway_username, service_username
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import BrokerClientKind
from byggpuls.settings import load, with_login
from gateway.drivers.simulated import gateway_id
from gateway.logins import Login, write_logins
from simulation.portfolio import Portfolio

#: Who the audit trail says set up the demo's logins and grant.
ACTOR: Final = "demo"
PARTNER: Final = "demo-partner"
PARTNER_TYPE: Final = BuildingType.SCHOOL
#: Neither is sensitive in a school (``byggpuls.privacy``): the grant needs no reason.
PARTNER_DOMAINS: Final = ("energy", "climate")
GRANT_DAYS: Final = 30
#: Where the gateways' logins are written, in the demo's data directory.
LOGINS_FILE: Final = "gateway-logins.json"
#: Settings only the API gets: with them it manages the broker (and could issue any password).
_API_ONLY: Final = (
    "BYGGPULS_BROKER_ACCESS",
    "BYGGPULS_BROKER_ADMIN_URL",
    "BYGGPULS_BROKER_CREDENTIAL_KEY",
)


@dataclass(frozen=True, slots=True)
class DemoPartner:
    """The sample partner's credentials, and the school whose stream the demo shows."""

    username: str
    password: str
    api_key: str
    school: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class DemoAccess:
    """What :func:`provision` set up: the credentials each service and the partner get."""

    admin_url: str
    credential_key: str
    ingest: Login
    #: Each simulated gateway's login, by gateway id.
    gateways: dict[str, Login]
    #: The file the gateways' logins are in (``byggpuls gateway --broker-logins``).
    logins_file: Path
    partner: DemoPartner | None

    def ingest_env(self, env: dict[str, str]) -> dict[str, str]:
        """``env`` for ingest: the broker URL with its login."""
        return {**env, "BYGGPULS_MQTT_URL": with_login(env["BYGGPULS_MQTT_URL"], *self.ingest)}

    def api_env(self, env: dict[str, str]) -> dict[str, str]:
        """``env`` for the API, which keeps the broker at the registry's grants."""
        return {
            **env,
            "BYGGPULS_BROKER_ACCESS": "mosquitto",
            "BYGGPULS_BROKER_ADMIN_URL": self.admin_url,
            "BYGGPULS_BROKER_CREDENTIAL_KEY": self.credential_key,
        }


def without_broker_admin(env: dict[str, str]) -> dict[str, str]:
    """``env`` without the settings that manage the broker: what the other services get."""
    return {name: value for name, value in env.items() if name not in _API_ONLY}


def simulated_buildings(count: int, *, seed: int) -> list[BuildingInfo]:
    """The first ``count`` buildings of the simulated portfolio of ``seed``, as their gateways
    describe them: the portfolio is generated (a fraction of a second), not run."""
    portfolio = Portfolio.generate(count, seed=seed, start_s=time.time(), faults=False)
    return [building.info for building in portfolio.buildings]


def provision(*, data_dir: Path, admin_url: str, buildings: Sequence[BuildingInfo]) -> DemoAccess:
    """Set up the demo's logins, partner and grant in the registry under ``data_dir`` and bring
    the broker at ``admin_url`` to them; SystemExit if the broker cannot be brought there."""
    key = secrets.token_urlsafe(32)
    settings = load(
        ApiSettings,
        data_dir=data_dir,
        broker_access="mosquitto",
        broker_admin_url=admin_url,
        broker_credential_key=key,
    )
    passwords = settings.broker_passwords
    opener = broker_opener(settings)
    # Both are there: the settings were just given a key and an admin URL.
    assert passwords is not None
    assert opener is not None
    engine = make_engine(settings.registry_url)
    try:
        migrate(engine)
        registry = Registry(engine)
        for building in buildings:
            registry.upsert_building(building)
        ingest = _login(registry, passwords, BrokerClientKind.SERVICE, service="ingest")
        gateways = {}
        for building in buildings:
            gateway = gateway_id(building.id)
            gateways[gateway] = _login(
                registry,
                passwords,
                BrokerClientKind.GATEWAY,
                building=building.id,
                gateway=gateway,
            )
        partner = _partner(registry, passwords, buildings)
        sync = AccessSync(registry, opener, passwords)
        if sync.sync_once(full=True) is None:
            raise SystemExit(
                f"demo: the broker's access control could not be set up: {sync.status.last_error}"
            )
    finally:
        engine.dispose()
    logins_file = data_dir / LOGINS_FILE
    write_logins(logins_file, gateways)
    return DemoAccess(
        admin_url=admin_url,
        credential_key=key,
        ingest=ingest,
        gateways=gateways,
        logins_file=logins_file,
        partner=partner,
    )


def _login(
    registry: Registry,
    passwords: BrokerPasswords,
    kind: BrokerClientKind,
    *,
    partner: str | None = None,
    building: str | None = None,
    gateway: str | None = None,
    service: str | None = None,
) -> Login:
    """A broker login of ``kind`` and its password under this run's key: created, or issued
    anew for a registry kept from an earlier run (``BYGGPULS_DATABASE_URL``), whose key is
    gone."""
    if partner is not None:
        username = partner
    elif building is not None and gateway is not None:
        username = gateway_username(building, gateway)
    else:
        username = service_username(service or "")
    if registry.broker_client(username) is None:
        row, password = registry.create_broker_client(
            kind=kind,
            partner=partner,
            building=building,
            gateway=gateway,
            service=service,
            passwords=passwords,
            actor=ACTOR,
        )
    else:
        row, password = registry.reissue_broker_password(username, passwords=passwords, actor=ACTOR)
    return row.username, password


def _partner(
    registry: Registry, passwords: BrokerPasswords, buildings: Sequence[BuildingInfo]
) -> DemoPartner | None:
    """The sample partner with its API key, broker login and grant; None without a school."""
    schools = [b.id for b in buildings if b.type == PARTNER_TYPE]
    if not schools:
        return None
    if registry.user(PARTNER) is None:
        registry.create_user(PARTNER, role="partner", display_name="Demo partner", actor=ACTOR)
    expires = datetime.now(UTC) + timedelta(days=GRANT_DAYS)
    _, api_key = registry.create_api_key(PARTNER, name="demo", expires_at=expires, actor=ACTOR)
    username, password = _login(registry, passwords, BrokerClientKind.PARTNER, partner=PARTNER)
    registry.create_grant(
        PARTNER,
        building_type=PARTNER_TYPE.value,
        domains=PARTNER_DOMAINS,
        expires_at=expires,
        actor=ACTOR,
    )
    return DemoPartner(
        username=username,
        password=password,
        api_key=api_key,
        school=schools[0],
        expires_at=expires,
    )


def partner_lines(partner: DemoPartner, *, broker_port: int, dashboard_url: str) -> list[str]:
    """How to see what ``partner`` may see: its MQTT stream of one school, its API catalogue."""
    topic = topics.telemetry(partner.school, PARTNER_DOMAINS[0])
    url = f"mqtt://127.0.0.1:{broker_port}"
    command = mosquitto_sub(url, partner.username, partner.password, topic)
    until = partner.expires_at.strftime("%Y-%m-%d")
    return [
        f"demo: partner {partner.username} may read {' and '.join(PARTNER_DOMAINS)} of every"
        f" {PARTNER_TYPE.value} until {until}, nothing else; its stream of {partner.school}:",
        f"demo:   {command}",
        "demo: and what its API key shows it:",
        f"demo:   curl -H 'Authorization: Bearer {partner.api_key}' {dashboard_url}api/v1/catalog",
    ]


__all__ = [
    "DemoAccess",
    "DemoPartner",
    "partner_lines",
    "provision",
    "simulated_buildings",
    "without_broker_admin",
]
