"""The JSON of the admin API for innovation partners: partners, their grants and credentials,
the audit trail and the broker's access sync.

Credentials (an API key's token, a broker password) appear in the answer that issues them and
nowhere else: the registry keeps only hashes, so they cannot be shown again, only issued anew.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from byggpuls.privacy import MIN_REASON_LENGTH, PrivacyClass
from byggpuls.reading import BuildingType
from byggpuls.registry.credentials import NAME_LENGTH
from byggpuls.registry.partners import REASON_LENGTH
from byggpuls.registry.rows import GrantStatus

#: Ids as the topic grammar has them (building, domain).
ID_PATTERN: Final = r"^[a-z0-9][a-z0-9_-]{0,63}$"
#: Usernames as the registry stores them (lower-case).
USERNAME_PATTERN: Final = r"^[a-z0-9._@-]{1,64}$"

Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_LENGTH)]


def _utc(value: datetime | None) -> datetime | None:
    """An aware time in UTC; one that UTC cannot hold (year 9999 east of Greenwich) is
    refused as out of range rather than failing later."""
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("the time is out of range") from None


def _name(value: str | None) -> str | None:
    if value is None:
        return None
    trimmed = value.replace("\x00", "").strip()
    if not trimmed:
        raise ValueError("must have a character other than white space")
    return trimmed


class BrokerLogin(BaseModel):
    """A partner's login on the MQTT broker, without its password (which is never stored)."""

    username: str = Field(description="The MQTT username: the partner's.", examples=["innosense"])
    generation: int = Field(
        description="Passwords issued so far; a new one makes the one before it worthless.",
        examples=[1],
    )
    issued_at: datetime = Field(description="When the current password was issued.")
    disabled: bool = Field(description="Whether the broker refuses this login.")


class GrantDomain(BaseModel):
    """A granted domain and how private it is in the grant's buildings."""

    domain: str = Field(description="The domain of data, as in MQTT topics.", examples=["energy"])
    privacy_class: PrivacyClass = Field(
        description="The most private class the domain has in any of the grant's buildings"
        " (open, internal or sensitive; see GET /api/v1/catalog)."
    )


class Grant(BaseModel):
    """A partner may read some domains of some buildings until the grant expires."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "partner": "innosense",
                    "buildings": ["nordnes-skole"],
                    "building_type": None,
                    "domains": [
                        {"domain": "energy", "privacy_class": "open"},
                        {"domain": "occupancy", "privacy_class": "sensitive"},
                    ],
                    "reason": "Pilot of demand-controlled cleaning, agreement 2025-14.",
                    "created_at": "2025-01-31T09:12:00Z",
                    "created_by": "anne",
                    "expires_at": "2026-01-31T00:00:00Z",
                    "revoked_at": None,
                    "revoked_by": None,
                    "status": "active",
                }
            ]
        }
    )

    id: int = Field(description="The grant id.", examples=[7])
    partner: str = Field(description="The partner's username.", examples=["innosense"])
    buildings: list[str] = Field(
        description="The buildings granted by id; empty when the grant is by building type."
    )
    building_type: BuildingType | None = Field(
        description="Every building of this type, new ones included; null for a grant of named"
        " buildings."
    )
    domains: list[GrantDomain] = Field(description="The granted domains, by name.")
    reason: str | None = Field(
        description="Why the data is shared; required for a sensitive domain."
    )
    created_at: datetime
    created_by: str = Field(description="Who granted it.", examples=["anne"])
    expires_at: datetime = Field(description="When access ends.")
    revoked_at: datetime | None = Field(description="When it was revoked; null if it was not.")
    revoked_by: str | None = Field(description="Who revoked it.")
    status: GrantStatus = Field(description="active, expired or revoked, now.")


class GrantList(BaseModel):
    """Grants, newest first."""

    items: list[Grant]
    count: int = Field(description="How many grants match.", examples=[3])


class Partner(BaseModel):
    """An innovation partner: a user with the role partner, its broker login and its grants."""

    username: str = Field(description="The partner's username.", examples=["innosense"])
    display_name: str = Field(description="Its name for people.", examples=["InnoSense AS"])
    disabled: bool = Field(
        description="A disabled partner's keys, sessions and broker login stop working."
    )
    created_at: datetime
    broker_login: BrokerLogin | None = Field(
        description="Its login on the MQTT broker; null if it has none (POST"
        " .../mqtt-password gives it one)."
    )
    grants: list[Grant] = Field(description="Its grants, newest first, whatever their status.")


class PartnerList(BaseModel):
    """Every partner, by username."""

    items: list[Partner]
    count: int = Field(description="How many partners there are.", examples=[2])


class NewPartner(BaseModel):
    """A partner to create, with an API key and a broker login."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "innosense",
                    "display_name": "InnoSense AS",
                    "key_name": "partner",
                    "key_expires_at": "2026-01-31T00:00:00Z",
                }
            ]
        },
    )

    username: Username = Field(
        description="Lower-case, 1-64 of a-z 0-9 . _ @ -; also its MQTT username. Names that"
        " begin with `gateway.` or `service.` are the platform's own broker logins.",
        examples=["innosense"],
    )
    display_name: Name | None = Field(
        default=None,
        description="Its name for people; the username if not given.",
        examples=["InnoSense AS"],
    )
    key_name: Name = Field(
        default="partner", description="What the API key is for.", examples=["partner"]
    )
    key_expires_at: AwareDatetime | None = Field(
        default=None,
        description="When the API key stops working (RFC 3339 with a time zone); never if not"
        " given.",
    )

    @field_validator("display_name", "key_name")
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        return _name(value)

    @field_validator("key_expires_at")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)


class ApiKeyCredentials(BaseModel):
    """An API key, with its token: shown once."""

    key_id: str = Field(description="The key's public id (revoke it by this).")
    name: str = Field(description="What it is for.", examples=["partner"])
    expires_at: datetime | None = Field(description="When it stops working; null: never.")
    token: str = Field(
        description="Send as `Authorization: Bearer <token>`. Shown in this answer only.",
        examples=["bpk_3f9a0c1d2e4b_Zk2..."],
    )


class MqttCredentials(BaseModel):
    """How the partner reads its granted topics from the broker: shown once."""

    url: str = Field(
        description="The broker, as partners reach it.", examples=["mqtts://mqtt.example:8883"]
    )
    username: str = Field(description="The MQTT username.", examples=["innosense"])
    password: str = Field(description="The MQTT password. Shown in this answer only.")
    generation: int = Field(description="Which password of the login this is.", examples=[1])
    topics: list[str] = Field(
        description="The topics the partner may subscribe to now (exactly these, no"
        " wildcards); empty until it is granted something.",
        examples=[["byggpuls/v1/nordnes-skole/energy"]],
    )
    command: str = Field(
        description="A `mosquitto_sub` command that prints the first granted topic's messages"
        " (a placeholder topic while nothing is granted).",
        examples=[
            "mosquitto_sub -h mqtt.example -p 8883 --capath /etc/ssl/certs -i innosense-1"
            " -u innosense"
            " -P '...' -t byggpuls/v1/nordnes-skole/energy -v"
        ],
    )


class NewPartnerCredentials(BaseModel):
    """The partner created, with its credentials: shown in this answer only."""

    partner: Partner
    api_key: ApiKeyCredentials
    mqtt: MqttCredentials
    topics: list[str] = Field(description="The topics it will see (as `mqtt.topics`).")


class ReissuedMqtt(BaseModel):
    """A new broker password: shown in this answer only."""

    partner: Partner
    mqtt: MqttCredentials


class NewGrant(BaseModel):
    """A grant to make: some domains of some buildings (or of a building type) until a time."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "partner": "innosense",
                    "buildings": ["nordnes-skole"],
                    "domains": ["energy", "occupancy"],
                    "expires_at": "2026-01-31T00:00:00+01:00",
                    "reason": "Pilot of demand-controlled cleaning, agreement 2025-14.",
                }
            ]
        },
    )

    partner: Username = Field(description="The partner's username.", examples=["innosense"])
    buildings: list[Id] = Field(
        default_factory=list,
        max_length=1000,
        description="The buildings by id; or give `building_type` instead.",
        examples=[["nordnes-skole"]],
    )
    building_type: BuildingType | None = Field(
        default=None,
        description="Every building of this type, new ones included; or give `buildings`.",
    )
    domains: list[Id] = Field(
        min_length=1,
        max_length=64,
        description="The domains of data (energy, climate, hvac, occupancy, water, ...).",
        examples=[["energy"]],
    )
    expires_at: AwareDatetime = Field(
        description="When access ends: RFC 3339 with a time zone, in the future."
    )
    reason: str | None = Field(
        default=None,
        max_length=REASON_LENGTH,
        description=f"Why the data is shared: required ({MIN_REASON_LENGTH} characters or more)"
        " when a domain is sensitive in one of the buildings; kept with the grant.",
    )

    @field_validator("expires_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        found = _utc(value)
        assert found is not None
        return found


class AuditEvent(BaseModel):
    """One entry of the audit trail."""

    id: int
    at: datetime = Field(description="When it happened.")
    actor: str = Field(
        description="Who did it: a username, `cli:<system user>` for `byggpuls admin`,"
        " `system` for what the platform noticed itself (an expiry), or `anonymous`.",
        examples=["anne"],
    )
    action: str = Field(description="What, as noun.verb.", examples=["grant.create"])
    target: str | None = Field(
        description="To what: a username, an API key id, `grant:<id>`.", examples=["grant:7"]
    )
    detail: dict[str, Any] = Field(description="The details recorded; never a secret.")


class AuditTrail(BaseModel):
    """The newest audit events first."""

    items: list[AuditEvent]
    count: int = Field(description="Events in this answer.", examples=[50])
    limit: int = Field(description="The most events asked for.", examples=[100])


class BrokerAccess(BaseModel):
    """Whether this API keeps the broker's access control at the registry's grants, and how
    its last look went."""

    managed: bool = Field(
        description="Whether it does (BYGGPULS_BROKER_ACCESS=mosquitto); if not, the broker's"
        " access control is someone else's business."
    )
    credential_key: bool = Field(
        description="Whether broker passwords can be issued (BYGGPULS_BROKER_CREDENTIAL_KEY is"
        " set)."
    )
    public_url: str = Field(
        description="The broker as partners reach it.", examples=["mqtts://mqtt.example:8883"]
    )
    last_success: datetime | None = Field(
        description="When the broker last matched the registry; null: not since the start."
    )
    last_error: str | None = Field(description="Why the last look failed; null when it succeeded.")
    last_changes: str | None = Field(
        description="What the last successful look changed on the broker, in one line.",
        examples=["roles updated: partner-innosense; clients disconnected: innosense"],
    )
