"""Users, API keys, sessions, scope and the audit trail, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from byggpuls import auth
from byggpuls.auth import Role, WeakPassword
from byggpuls.reading import BuildingInfo
from byggpuls.registry import InvalidValue, NotFound, Registry
from byggpuls.registry.models import API_KEYS, SESSIONS, USERS
from byggpuls.registry.rows import AuditEventRow, UserRow
from tests.byggpuls.registry.conftest import SCHOOL

PASSWORD = "Fjernvarme-2026"
OFFICE = BuildingInfo(id="bergen-kontor-1", name="Bergen kontor", type="office")
ADMIN = "cli:root"
HOUR = timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(UTC)


def _trail(registry: Registry) -> list[tuple[str, str, str | None]]:
    """The audit trail, oldest first: actor, action, target."""
    events = reversed(registry.audit_events(limit=1000))
    return [(event.actor, event.action, event.target) for event in events]


def _manager(registry: Registry, username: str = "kari") -> UserRow:
    registry.upsert_building(SCHOOL)
    registry.upsert_building(OFFICE)
    return registry.create_user(
        username, role="manager", password=PASSWORD, buildings=[SCHOOL.id], actor=ADMIN
    )


# -- users ----------------------------------------------------------------------------------------


def test_a_user_is_stored_lower_case_and_found_in_any_case(registry: Registry) -> None:
    created = registry.create_user(
        " Kari.Nordmann ", role="admin", display_name="Kari Nordmann", actor=ADMIN
    )
    assert (created.username, created.display_name, created.role) == (
        "kari.nordmann",
        "Kari Nordmann",
        Role.ADMIN,
    )
    assert (created.has_password, created.disabled) == (False, False)
    assert created.created_at.tzinfo == UTC
    assert registry.user("KARI.NORDMANN") == created
    assert registry.user_by_id(created.id) == created
    assert registry.users() == [created]
    assert registry.user("nobody") is None
    assert registry.user("not a username") is None
    assert registry.user_by_id(created.id + 1000) is None


def test_usernames_are_unique_whatever_their_case(registry: Registry) -> None:
    registry.create_user("kari", role="admin", actor=ADMIN)
    with pytest.raises(InvalidValue, match="there is a user 'kari' already"):
        registry.create_user("KARI", role="partner", actor=ADMIN)
    assert [user.role for user in registry.users()] == [Role.ADMIN]


def test_the_database_itself_refuses_an_upper_case_username(registry: Registry) -> None:
    with pytest.raises(sa.exc.IntegrityError), registry.engine.begin() as conn:
        conn.execute(
            sa.insert(USERS).values(
                username="Kari",
                display_name="Kari",
                role="admin",
                disabled=False,
                created_at=_now(),
            )
        )


def test_a_user_has_a_display_name_and_no_hash_in_sight(registry: Registry) -> None:
    user = registry.create_user("ola", role="partner", password=PASSWORD, actor=ADMIN)
    assert user.display_name == "ola"
    assert user.has_password
    assert "argon2" not in repr(user)
    assert not hasattr(user, "password_hash")
    with registry.engine.connect() as conn:
        stored = conn.execute(sa.select(USERS.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    ("arguments", "error", "says"),
    [
        ({"username": "kari nordmann", "role": "admin"}, InvalidValue, "does not match"),
        ({"username": "kari", "role": "owner"}, InvalidValue, "admin, manager, partner"),
        ({"username": "kari", "role": "admin", "password": "kort"}, WeakPassword, "at least 10"),
        ({"username": "kari", "role": "admin", "actor": " "}, InvalidValue, "actor"),
        ({"username": "kari", "role": "admin", "display_name": ""}, InvalidValue, "display name"),
        (
            {"username": "kari", "role": "admin", "buildings": [SCHOOL.id]},
            InvalidValue,
            "only a manager has buildings",
        ),
        (
            {"username": "kari", "role": "manager", "buildings": ["no-such-building"]},
            NotFound,
            "no building 'no-such-building'",
        ),
        ({"username": "kari", "role": "manager", "buildings": ["Bad Id"]}, InvalidValue, "id"),
    ],
)
def test_a_bad_user_is_refused_and_nothing_is_stored(
    registry: Registry, arguments: dict[str, Any], error: type[Exception], says: str
) -> None:
    registry.upsert_building(SCHOOL)
    with pytest.raises(error, match=says):
        registry.create_user(**{"actor": ADMIN, **arguments})
    assert registry.users() == []
    assert registry.audit_events() == []


# -- passwords ------------------------------------------------------------------------------------


def test_authenticate_takes_the_right_password_only(registry: Registry) -> None:
    kari = _manager(registry)
    assert registry.authenticate("kari", PASSWORD) == kari
    assert registry.authenticate(" KARI ", PASSWORD) == kari
    assert registry.authenticate("kari", PASSWORD.lower()) is None
    assert registry.authenticate("kari", "") is None
    assert registry.authenticate("nobody", PASSWORD) is None
    assert registry.authenticate("not a username", PASSWORD) is None


def test_failed_logins_are_recorded_without_the_password(registry: Registry) -> None:
    _manager(registry)
    registry.create_user("svc", role="partner", actor=ADMIN)  # keys only
    registry.authenticate("kari", "Feil-passord-1")
    registry.authenticate("svc", "Feil-passord-2")
    registry.authenticate("Feil-passord-3", PASSWORD)
    registry.set_user_disabled("kari", actor=ADMIN)
    registry.authenticate("kari", PASSWORD)

    failed = list(reversed(registry.audit_events(action="session.login_failed")))
    assert [(e.actor, e.target, e.detail) for e in failed] == [
        ("kari", "kari", {"reason": "wrong password"}),
        ("svc", "svc", {"reason": "wrong password"}),
        ("anonymous", None, {"reason": "unknown user"}),
        ("kari", "kari", {"reason": "disabled"}),
    ]
    everything = repr(registry.audit_events(limit=1000))
    for secret in (PASSWORD, "Feil-passord"):
        assert secret not in everything


def test_a_disabled_user_cannot_sign_in_until_enabled_again(registry: Registry) -> None:
    kari = _manager(registry)
    registry.set_user_disabled("kari", actor=ADMIN)
    assert registry.user("kari") == replace(kari, disabled=True)
    assert registry.authenticate("kari", PASSWORD) is None
    registry.set_user_disabled("kari", disabled=False, actor=ADMIN)
    assert registry.authenticate("kari", PASSWORD) == kari
    # Setting what is already so records nothing.
    registry.set_user_disabled("kari", disabled=False, actor=ADMIN)
    assert [action for _, action, _ in _trail(registry)].count("user.enable") == 1
    with pytest.raises(NotFound, match="no user 'nobody'"):
        registry.set_user_disabled("nobody", actor=ADMIN)


def test_a_hash_of_older_parameters_is_replaced_at_login(registry: Registry) -> None:
    _manager(registry)
    old = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),))
    with registry.engine.begin() as conn:
        conn.execute(sa.update(USERS).values(password_hash=old.hash(PASSWORD)))
    assert registry.authenticate("kari", PASSWORD) is not None
    with registry.engine.connect() as conn:
        stored = conn.execute(sa.select(USERS.c.password_hash)).scalar_one()
    assert "m=8192" not in stored
    assert auth.verify_password(PASSWORD, stored) == (True, None)
    assert registry.authenticate("kari", PASSWORD) is not None


def test_a_new_password_replaces_the_old_and_ends_the_sessions(registry: Registry) -> None:
    kari = _manager(registry)
    token, _ = registry.create_session(kari.id, ttl=HOUR)
    with pytest.raises(WeakPassword):
        registry.set_password("kari", "kort", actor="kari")
    assert registry.session_user(token, now=_now()) is not None  # a refusal changes nothing

    registry.set_password("kari", "Nytt-passord-2026", actor="kari")
    assert registry.authenticate("kari", PASSWORD) is None
    assert registry.authenticate("kari", "Nytt-passord-2026") is not None
    assert registry.session_user(token, now=_now()) is None

    registry.set_password("kari", None, actor=ADMIN)
    assert registry.user("kari").has_password is False  # type: ignore[union-attr]
    assert registry.authenticate("kari", "Nytt-passord-2026") is None
    with pytest.raises(NotFound):
        registry.set_password("nobody", PASSWORD, actor=ADMIN)


# -- API keys -------------------------------------------------------------------------------------


def test_a_key_identifies_its_user_and_only_its_hash_is_kept(registry: Registry) -> None:
    kari = _manager(registry)
    key, token = registry.create_api_key("Kari", name="BMS export", actor=ADMIN)
    assert token.startswith(f"bpk_{key.key_id}_")
    assert (key.username, key.name, key.expires_at, key.revoked_at) == (
        "kari",
        "BMS export",
        None,
        None,
    )
    secret = token.rsplit("_", 1)[-1]
    assert registry.key_user(token, now=_now()) == kari
    (listed,) = registry.api_keys("kari")
    assert listed.last_used_at is not None
    assert listed == replace(key, last_used_at=listed.last_used_at)
    assert secret not in repr(listed)
    with registry.engine.connect() as conn:
        stored = conn.execute(sa.select(API_KEYS.c.key_id, API_KEYS.c.secret_hash)).one()
    assert stored.key_id == key.key_id
    assert stored.secret_hash == auth.secret_hash(token.split("_", 2)[2])
    assert token not in stored.secret_hash
    assert registry.api_keys("nobody") == []


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: "",
        lambda token: token[:-1],
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: f"Bearer {token}",
        lambda token: token.upper(),
        lambda token: f"bpk_000000000000_{token.split('_', 2)[2]}",
    ],
)
def test_a_malformed_or_wrong_token_identifies_nobody(
    registry: Registry, mangle: Callable[[str], str]
) -> None:
    _manager(registry)
    _, token = registry.create_api_key("kari", name="BMS export", actor=ADMIN)
    assert registry.key_user(mangle(token), now=_now()) is None
    assert registry.api_keys("kari")[0].last_used_at is None


def test_a_key_stops_working_when_it_expires(registry: Registry) -> None:
    kari = _manager(registry)
    now = _now()
    key, token = registry.create_api_key("kari", name="nightly", expires_at=now + HOUR, actor=ADMIN)
    assert key.expires_at == now + HOUR
    assert registry.key_user(token, now=now + HOUR - timedelta(seconds=1)) == kari
    assert registry.key_user(token, now=now + HOUR) is None
    assert not registry.api_keys("kari")[0].usable_at(now + HOUR)
    with pytest.raises(InvalidValue, match="in the past"):
        registry.create_api_key("kari", name="late", expires_at=now - HOUR, actor=ADMIN)
    with pytest.raises(InvalidValue, match="no time zone"):
        registry.create_api_key("kari", name="naive", expires_at=datetime(2030, 1, 1), actor=ADMIN)
    with pytest.raises(NotFound, match="no user 'nobody'"):
        registry.create_api_key("nobody", name="x", actor=ADMIN)


def test_a_revoked_key_stops_working_for_good(registry: Registry) -> None:
    kari = _manager(registry)
    first, token = registry.create_api_key("kari", name="old", actor=ADMIN)
    second, other = registry.create_api_key("kari", name="new", actor=ADMIN)
    registry.revoke_api_key(first.key_id, actor=ADMIN)
    registry.revoke_api_key(first.key_id, actor=ADMIN)  # again: nothing more
    assert registry.key_user(token, now=_now()) is None
    assert registry.key_user(other, now=_now()) == kari
    keys = registry.api_keys("kari")
    assert [(k.key_id, k.revoked_at is not None) for k in keys] == [
        (first.key_id, True),
        (second.key_id, False),
    ]
    assert [a for _, a, t in _trail(registry) if t == first.key_id] == ["key.create", "key.revoke"]
    with pytest.raises(NotFound, match="no API key"):
        registry.revoke_api_key("000000000000", actor=ADMIN)


def test_a_disabled_users_keys_work_again_only_when_enabled(registry: Registry) -> None:
    kari = _manager(registry)
    _, token = registry.create_api_key("kari", name="BMS export", actor=ADMIN)
    registry.set_user_disabled("kari", actor=ADMIN)
    assert registry.key_user(token, now=_now()) is None
    registry.set_user_disabled("kari", disabled=False, actor=ADMIN)
    assert registry.key_user(token, now=_now()) == kari


def test_last_use_is_written_at_most_once_a_minute(registry: Registry) -> None:
    _manager(registry)
    _, token = registry.create_api_key("kari", name="BMS export", actor=ADMIN)
    start = _now()
    registry.key_user(token, now=start)
    assert registry.api_keys("kari")[0].last_used_at == start
    registry.key_user(token, now=start + timedelta(seconds=59))
    assert registry.api_keys("kari")[0].last_used_at == start
    registry.key_user(token, now=start + timedelta(seconds=61))
    assert registry.api_keys("kari")[0].last_used_at == start + timedelta(seconds=61)


def test_a_key_can_be_a_partners_only_credential(registry: Registry) -> None:
    partner = registry.create_user("innovasjon-as", role="partner", actor=ADMIN)
    _, token = registry.create_api_key("innovasjon-as", name="pilot", actor=ADMIN)
    assert registry.key_user(token, now=_now()) == partner
    assert registry.authenticate("innovasjon-as", PASSWORD) is None


# -- sessions -------------------------------------------------------------------------------------


def test_a_session_gives_its_user_and_csrf_token_until_it_expires(registry: Registry) -> None:
    kari = _manager(registry)
    before = _now()
    token, csrf = registry.create_session(kari.id, ttl=HOUR)
    assert token != csrf
    assert len(token) >= 43
    assert registry.session_user(token, now=before) == (kari, csrf)
    assert registry.session_user(token, now=before + HOUR - timedelta(seconds=5)) == (kari, csrf)
    assert registry.session_user(token, now=_now() + HOUR) is None
    assert registry.session_user(csrf, now=before) is None
    assert registry.session_user("", now=before) is None
    assert registry.session_user("x" * 10_000, now=before) is None
    with registry.engine.connect() as conn:
        (stored,) = conn.execute(sa.select(SESSIONS.c.token_hash)).scalars()
    assert stored == auth.secret_hash(token)


def test_signing_out_ends_the_session_and_is_recorded(registry: Registry) -> None:
    kari = _manager(registry)
    token, _ = registry.create_session(kari.id, ttl=HOUR)
    other, _ = registry.create_session(kari.id, ttl=HOUR)
    registry.end_session(token)
    registry.end_session(token)  # again, and unknown tokens: ignored
    registry.end_session("")
    assert registry.session_user(token, now=_now()) is None
    assert registry.session_user(other, now=_now()) is not None
    actions = [action for _, action, _ in _trail(registry)]
    assert actions.count("session.login") == 2
    assert actions.count("session.logout") == 1


def test_disabling_a_user_ends_their_sessions_at_once(registry: Registry) -> None:
    kari = _manager(registry)
    token, _ = registry.create_session(kari.id, ttl=HOUR)
    registry.set_user_disabled("kari", actor=ADMIN)
    with registry.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(SESSIONS)).scalar() == 0
    registry.set_user_disabled("kari", disabled=False, actor=ADMIN)
    assert registry.session_user(token, now=_now()) is None
    registry.set_user_disabled("kari", actor=ADMIN)
    with pytest.raises(InvalidValue, match="'kari' is disabled"):
        registry.create_session(kari.id, ttl=HOUR)


def test_a_session_needs_a_known_user_and_a_lifetime(registry: Registry) -> None:
    kari = _manager(registry)
    with pytest.raises(NotFound):
        registry.create_session(kari.id + 1000, ttl=HOUR)
    with pytest.raises(InvalidValue, match="last a while"):
        registry.create_session(kari.id, ttl=timedelta(0))


def test_a_new_session_clears_the_users_expired_ones(registry: Registry) -> None:
    kari = _manager(registry)
    with registry.engine.begin() as conn:
        conn.execute(
            sa.insert(SESSIONS).values(
                token_hash="0" * 64,
                user_id=kari.id,
                csrf_token="c",
                created_at=_now() - 2 * HOUR,
                expires_at=_now() - HOUR,
            )
        )
    registry.create_session(kari.id, ttl=HOUR)
    with registry.engine.connect() as conn:
        hashes = set(conn.execute(sa.select(SESSIONS.c.token_hash)).scalars())
    assert "0" * 64 not in hashes
    assert len(hashes) == 1


# -- scope ----------------------------------------------------------------------------------------


def test_each_role_has_its_building_scope(registry: Registry) -> None:
    kari = _manager(registry)
    admin = registry.create_user("admin", role="admin", actor=ADMIN)
    partner = registry.create_user("partner", role="partner", actor=ADMIN)
    assert registry.building_scope(admin) is None
    assert registry.building_scope(kari) == frozenset({SCHOOL.id})
    # A partner's scope comes with grants; none yet.
    assert registry.building_scope(partner) == frozenset()

    registry.set_user_buildings("kari", [OFFICE.id, SCHOOL.id], actor=ADMIN)
    assert registry.building_scope(kari) == frozenset({OFFICE.id, SCHOOL.id})
    registry.set_user_buildings("kari", [], actor=ADMIN)
    assert registry.building_scope(kari) == frozenset()

    with pytest.raises(InvalidValue, match="only a manager"):
        registry.set_user_buildings("admin", [SCHOOL.id], actor=ADMIN)
    with pytest.raises(NotFound, match="no building 'nowhere'"):
        registry.set_user_buildings("kari", ["nowhere", SCHOOL.id], actor=ADMIN)
    assert registry.building_scope(kari) == frozenset()
    with pytest.raises(NotFound):
        registry.set_user_buildings("nobody", [], actor=ADMIN)


# -- audit trail ----------------------------------------------------------------------------------


def test_every_change_is_in_the_audit_trail(registry: Registry) -> None:
    kari = _manager(registry)
    key, _ = registry.create_api_key("kari", name="BMS export", actor="kari")
    registry.set_user_buildings("kari", [OFFICE.id], actor=ADMIN)
    registry.set_password("kari", "Nytt-passord-2026", actor="kari")
    token, _ = registry.create_session(kari.id, ttl=HOUR)
    registry.end_session(token)
    registry.revoke_api_key(key.key_id, actor=ADMIN)
    registry.set_user_disabled("kari", actor=ADMIN)
    assert _trail(registry) == [
        (ADMIN, "user.create", "kari"),
        ("kari", "key.create", key.key_id),
        (ADMIN, "user.scope", "kari"),
        ("kari", "user.password", "kari"),
        ("kari", "session.login", "kari"),
        ("kari", "session.logout", "kari"),
        (ADMIN, "key.revoke", key.key_id),
        (ADMIN, "user.disable", "kari"),
    ]
    events = {event.action: event for event in registry.audit_events()}
    assert events["user.create"].detail == {
        "role": "manager",
        "buildings": [SCHOOL.id],
        "password": True,
    }
    assert events["key.create"].detail == {"user": "kari", "name": "BMS export", "expires_at": None}
    assert events["user.scope"].detail == {"buildings": [OFFICE.id]}
    assert events["user.create"].at == kari.created_at
    assert "Nytt-passord" not in repr(registry.audit_events())


def test_the_audit_trail_reads_newest_first_filtered_and_limited(registry: Registry) -> None:
    _manager(registry)
    for name in ("a", "b", "c"):
        registry.create_api_key("kari", name=name, actor=ADMIN)
    newest = registry.audit_events(limit=2)
    assert [event.detail["name"] for event in newest] == ["c", "b"]
    assert all(isinstance(event, AuditEventRow) for event in newest)
    assert [e.action for e in registry.audit_events(action="user.create")] == ["user.create"]
    later = registry.audit_events(since=newest[0].at)
    assert newest[0] in later
    assert registry.audit_events(since=_now() + HOUR) == []
    with pytest.raises(InvalidValue, match="limit"):
        registry.audit_events(limit=0)


def test_a_key_id_repeated_is_refused_by_the_database(registry: Registry) -> None:
    kari = _manager(registry)
    key, _ = registry.create_api_key("kari", name="one", actor=ADMIN)
    with pytest.raises(sa.exc.IntegrityError), registry.engine.begin() as conn:
        conn.execute(
            sa.insert(API_KEYS).values(
                key_id=key.key_id,
                user_id=kari.id,
                name="two",
                secret_hash="0" * 64,
                created_at=_now(),
            )
        )
