"""``/api/v1/partners`` and ``/api/v1/grants``: innovation partners and the data they may read.

An admin creates a partner (a user with the role partner, an API key and a broker login) and
grants it domains of buildings until a date; each change is in the audit trail (GET
/api/v1/audit). Credentials are shown once, in the answer that issues them: the registry keeps
hashes only, and broker passwords are derived from ``BYGGPULS_BROKER_CREDENTIAL_KEY``, so
without that key none can be issued and nothing is created.

The broker learns of every change at once: each POST under ``/api/v1`` pokes the access sync
(:func:`api.deps.forget_portfolio_after_change`). Every route here is an admin's: anyone else
gets 403.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Annotated, Final, TypeVar

from fastapi import APIRouter, Depends, Path, Query

from api import problems
from api.auth import Principal, PrincipalDep
from api.deps import RegistryDep, SettingsDep, WorkersDep
from api.identity import ActorDep
from api.openapi import responses
from api.partner_schemas import (
    ApiKeyCredentials,
    Grant,
    GrantList,
    MqttCredentials,
    NewGrant,
    NewPartner,
    NewPartnerCredentials,
    Partner,
    PartnerList,
    ReissuedMqtt,
)
from api.partners import (
    building_types,
    grant_view,
    mqtt_credentials,
    partner_views,
    public_broker_url,
    unreasoned_sensitive,
)
from api.routes.findings import refuse_cross_site
from api.settings import ApiSettings
from byggpuls.access.credentials import BrokerPasswords
from byggpuls.auth import Role, canonical_username
from byggpuls.privacy import MIN_REASON_LENGTH
from byggpuls.registry.errors import InvalidValue, NotFound
from byggpuls.registry.partners import RESERVED_PREFIXES
from byggpuls.registry.rows import BrokerClientKind, BrokerClientRow, GrantStatus, UserRow

T = TypeVar("T")


async def require_admin(principal: PrincipalDep) -> Principal:
    """The principal, if an admin; anyone else is refused with 403."""
    if principal.role is not Role.ADMIN:
        raise problems.ProblemError(
            problems.FORBIDDEN,
            "Partners, grants, the audit trail and the broker's access are managed by admins.",
        )
    return principal


router = APIRouter(tags=["partners"], dependencies=[Depends(require_admin)])

PartnerName = Annotated[
    str, Path(description="The partner's username.", examples=["innosense"], max_length=200)
]
GrantId = Annotated[int, Path(description="The grant id.", examples=[7], ge=1, le=2**63 - 1)]
_ADMIN: Final = (problems.FORBIDDEN,)
_CHANGE: Final = [Depends(refuse_cross_site)]
_CHANGE_PROBLEMS: Final = (*_ADMIN, problems.CROSS_SITE, problems.INVALID_PARAMETERS)


# -- partners ---------------------------------------------------------------------------


@router.get(
    "/partners",
    summary="List the partners",
    response_model=PartnerList,
    responses=responses(*_ADMIN),
)
async def list_partners(registry: RegistryDep, workers: WorkersDep) -> PartnerList:
    """Every partner with its broker login and its grants (each with its status now); never
    a credential."""
    items = await workers.run(partner_views, registry, None)
    return PartnerList(items=items, count=len(items))


@router.post(
    "/partners",
    summary="Create a partner with its credentials",
    status_code=201,
    response_model=NewPartnerCredentials,
    responses=responses(*_CHANGE_PROBLEMS, problems.BROKER_CREDENTIALS_MISSING),
    dependencies=_CHANGE,
)
async def create_partner(
    body: NewPartner,
    registry: RegistryDep,
    workers: WorkersDep,
    settings: SettingsDep,
    actor: ActorDep,
) -> NewPartnerCredentials:
    """Create the partner (a user without a password), an API key and its broker login, and
    answer with the key's token and the broker password. **They are shown in this answer
    only.** It sees nothing until it is granted something (POST /api/v1/grants)."""
    passwords = _passwords(settings)
    name = body.username
    if name.startswith(RESERVED_PREFIXES):
        raise _invalid(
            "#/username",
            f"{name!r}: names beginning with gateway. or service. are"
            " the platform's own broker logins",
        )
    expires = body.key_expires_at
    if expires is not None and expires <= datetime.now(UTC):
        raise _invalid("#/key_expires_at", f"the key cannot expire in the past ({expires})")

    def create() -> tuple[ApiKeyCredentials, BrokerClientRow, str]:
        # Checked before anything is written, so that a refusal leaves nothing half made.
        if registry.user(name) is not None:
            raise _invalid("#/username", f"there is a user {name!r} already")
        if registry.broker_client(name) is not None:
            raise _invalid("#/username", f"there is a broker login {name!r} already")
        with registry.transaction():  # all three, or none
            registry.create_user(
                name, role=Role.PARTNER.value, display_name=body.display_name, actor=actor
            )
            key, token = registry.create_api_key(
                name, name=body.key_name, expires_at=expires, actor=actor
            )
            login, password = registry.create_broker_client(
                kind=BrokerClientKind.PARTNER, partner=name, passwords=passwords, actor=actor
            )
        shown = ApiKeyCredentials(
            key_id=key.key_id, name=key.name, expires_at=key.expires_at, token=token
        )
        return shown, login, password

    key, login, password = await _refusing(workers.run(create))
    partner = await _partner(name, registry=registry, workers=workers)
    mqtt = await _mqtt(login, password, settings=settings, registry=registry, workers=workers)
    return NewPartnerCredentials(partner=partner, api_key=key, mqtt=mqtt, topics=mqtt.topics)


@router.get(
    "/partners/{username}",
    summary="One partner",
    response_model=Partner,
    responses=responses(*_ADMIN, problems.NOT_FOUND, problems.INVALID_PARAMETERS),
)
async def read_partner(
    username: PartnerName, registry: RegistryDep, workers: WorkersDep
) -> Partner:
    """The partner with its broker login and every grant, newest first."""
    return await _partner(username, registry=registry, workers=workers)


@router.post(
    "/partners/{username}/mqtt-password",
    summary="Issue a new broker password",
    response_model=ReissuedMqtt,
    responses=responses(*_CHANGE_PROBLEMS, problems.NOT_FOUND, problems.BROKER_CREDENTIALS_MISSING),
    dependencies=_CHANGE,
)
async def reissue_mqtt_password(
    username: PartnerName,
    registry: RegistryDep,
    workers: WorkersDep,
    settings: SettingsDep,
    actor: ActorDep,
) -> ReissuedMqtt:
    """A new password for the partner's broker login (a login, if it had none); the one before
    stops working as soon as the broker has the new one, and connected clients are
    disconnected. **Shown in this answer only.**"""
    passwords = _passwords(settings)
    name = (await _user(username, registry=registry, workers=workers)).username

    def issue() -> tuple[BrokerClientRow, str]:
        found = registry.broker_client(name)
        if found is None:
            return registry.create_broker_client(
                kind=BrokerClientKind.PARTNER, partner=name, passwords=passwords, actor=actor
            )
        if found.partner != name:
            raise _invalid("username", f"the broker login {name!r} is not this partner's")
        return registry.reissue_broker_password(name, passwords=passwords, actor=actor)

    login, password = await _refusing(workers.run(issue))
    partner = await _partner(name, registry=registry, workers=workers)
    mqtt = await _mqtt(login, password, settings=settings, registry=registry, workers=workers)
    return ReissuedMqtt(partner=partner, mqtt=mqtt)


@router.post(
    "/partners/{username}/disable",
    summary="Disable a partner",
    response_model=Partner,
    responses=responses(*_CHANGE_PROBLEMS, problems.NOT_FOUND),
    dependencies=_CHANGE,
)
async def disable_partner(
    username: PartnerName, registry: RegistryDep, workers: WorkersDep, actor: ActorDep
) -> Partner:
    """Its API keys and sessions stop working at once, and the broker refuses its login and
    disconnects it. Its grants are kept; disabling it again changes nothing."""
    return await _set_disabled(username, True, actor=actor, registry=registry, workers=workers)


@router.post(
    "/partners/{username}/enable",
    summary="Enable a partner again",
    response_model=Partner,
    responses=responses(*_CHANGE_PROBLEMS, problems.NOT_FOUND),
    dependencies=_CHANGE,
)
async def enable_partner(
    username: PartnerName, registry: RegistryDep, workers: WorkersDep, actor: ActorDep
) -> Partner:
    """Its keys and broker login work again, for the grants that are still active."""
    return await _set_disabled(username, False, actor=actor, registry=registry, workers=workers)


# -- grants -----------------------------------------------------------------------------


@router.get(
    "/grants",
    summary="List grants",
    response_model=GrantList,
    responses=responses(*_ADMIN, problems.NOT_FOUND, problems.INVALID_PARAMETERS),
)
async def list_grants(
    registry: RegistryDep,
    workers: WorkersDep,
    partner: Annotated[
        str | None,
        Query(description="Only this partner's; an unknown one is a 404.", max_length=200),
    ] = None,
    status: Annotated[
        GrantStatus | None, Query(description="Only grants in this status now.")
    ] = None,
) -> GrantList:
    """Grants, newest first, each with its status now and each domain's privacy class."""
    name = None
    if partner is not None:
        name = (await _user(partner, registry=registry, workers=workers)).username
    now = datetime.now(UTC)

    def read() -> list[Grant]:
        types = building_types(registry)
        rows = registry.grants(partner=name, status=status, now=now)
        return [grant_view(row, types, now) for row in rows]

    items = await workers.run(read)
    return GrantList(items=items, count=len(items))


@router.post(
    "/grants",
    summary="Grant a partner data",
    status_code=201,
    response_model=Grant,
    responses=responses(*_CHANGE_PROBLEMS, problems.NOT_FOUND),
    dependencies=_CHANGE,
)
async def create_grant(
    body: NewGrant, registry: RegistryDep, workers: WorkersDep, actor: ActorDep
) -> Grant:
    """Let a partner read `domains` of `buildings` (or of every building of `building_type`,
    new ones included) until `expires_at`. A domain that is sensitive in one of the buildings
    (occupancy anywhere, room climate in nursing homes) needs a `reason`, which is kept with
    the grant and in the audit trail. An unknown partner or building is a 404."""

    def create() -> Grant:
        types = building_types(registry)
        if not (body.reason or "").strip():
            _refuse_sensitive_without_reason(body, types)
        row = registry.create_grant(
            body.partner,
            buildings=body.buildings,
            building_type=None if body.building_type is None else body.building_type.value,
            domains=body.domains,
            expires_at=body.expires_at,
            reason=body.reason,
            actor=actor,
        )
        return grant_view(row, types, datetime.now(UTC))

    return await _refusing(workers.run(create))


@router.post(
    "/grants/{grant_id}/revoke",
    summary="Revoke a grant",
    response_model=Grant,
    responses=responses(*_CHANGE_PROBLEMS, problems.NOT_FOUND),
    dependencies=_CHANGE,
)
async def revoke_grant(
    grant_id: GrantId, registry: RegistryDep, workers: WorkersDep, actor: ActorDep
) -> Grant:
    """End the grant for good, at once: the broker disconnects the partner, which may
    reconnect with what is left. Revoking it again changes nothing."""

    def revoke() -> Grant:
        try:
            row = registry.revoke_grant(grant_id, actor=actor)
        except NotFound:
            raise problems.not_found(f"There is no grant {grant_id}.") from None
        return grant_view(row, building_types(registry), datetime.now(UTC))

    return await workers.run(revoke)


# -- helpers ----------------------------------------------------------------------------


def _passwords(settings: ApiSettings) -> BrokerPasswords:
    passwords = settings.broker_passwords
    if passwords is None:
        raise problems.ProblemError(
            problems.BROKER_CREDENTIALS_MISSING,
            "This server cannot issue broker passwords: set BYGGPULS_BROKER_CREDENTIAL_KEY (at"
            " least 32 characters, `openssl rand -base64 32`) and restart it. Nothing was"
            " created.",
        )
    return passwords


async def _refusing(call: Awaitable[T]) -> T:
    """``call``'s result; what the registry refuses is a 422 with the registry's words."""
    try:
        return await call
    except InvalidValue as exc:
        raise problems.ProblemError(
            problems.INVALID_PARAMETERS, str(exc), extensions={"errors": [{"detail": str(exc)}]}
        ) from None


def _invalid(where: str, detail: str) -> problems.ProblemError:
    """A 422 for a member of the body (``#/...``) or a path parameter."""
    if where.startswith("#/"):
        return problems.invalid_parameters([{"detail": detail, "pointer": where}])
    return problems.invalid_parameter(where, detail, in_="path")


def _refuse_sensitive_without_reason(body: NewGrant, types: dict[str, str]) -> None:
    """A 422 naming the sensitive domains of a grant that gives no reason (the registry
    refuses it too; this says which member to fill in)."""
    sensitive, where = unreasoned_sensitive(body, types)
    if not sensitive:
        return
    detail = (
        f"{', '.join(sensitive)} can reveal a person's presence in {where}: a grant of it needs"
        f" a reason of at least {MIN_REASON_LENGTH} characters."
    )
    raise problems.ProblemError(
        problems.INVALID_PARAMETERS,
        detail,
        extensions={"errors": [{"detail": detail, "pointer": "#/reason"}], "sensitive": sensitive},
    )


async def _user(username: str, *, registry: RegistryDep, workers: WorkersDep) -> UserRow:
    """The partner ``username``; a 404 for anyone else."""
    name = canonical_username(username)
    user = None if name is None else await workers.run(registry.user, name)
    if user is None or user.role is not Role.PARTNER:
        raise problems.not_found(f"There is no partner {username!r}.")
    return user


async def _partner(username: str, *, registry: RegistryDep, workers: WorkersDep) -> Partner:
    name = (await _user(username, registry=registry, workers=workers)).username
    found = await workers.run(partner_views, registry, name)
    if not found:  # deleted in between
        raise problems.not_found(f"There is no partner {username!r}.")
    return found[0]


async def _set_disabled(
    username: str, disabled: bool, *, actor: str, registry: RegistryDep, workers: WorkersDep
) -> Partner:
    name = (await _user(username, registry=registry, workers=workers)).username
    await workers.run(lambda: registry.set_user_disabled(name, disabled, actor=actor))
    return await _partner(name, registry=registry, workers=workers)


async def _mqtt(
    login: BrokerClientRow,
    password: str,
    *,
    settings: ApiSettings,
    registry: RegistryDep,
    workers: WorkersDep,
) -> MqttCredentials:
    pairs = await workers.run(registry.partner_pairs, login.username, datetime.now(UTC))
    return mqtt_credentials(login, password, url=public_broker_url(settings), pairs=pairs)
