"""Authentication's building blocks: the password policy, Argon2id hashing with rehash, key tokens
and the hashing of high-entropy secrets."""

from __future__ import annotations

import hashlib
import re

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from byggpuls import auth
from byggpuls.auth import Role, WeakPassword

PASSWORD = "Fjernvarme-2026"


def test_roles_are_the_three_the_platform_knows() -> None:
    assert [role.value for role in Role] == ["admin", "manager", "partner"]
    assert Role("manager") is Role.MANAGER


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("kari", "kari"),
        ("  Kari.Nordmann ", "kari.nordmann"),
        ("ola@bergen.kommune.no", "ola@bergen.kommune.no"),
        ("svc_ingest-1", "svc_ingest-1"),
        ("x" * 64, "x" * 64),
        ("", None),
        ("x" * 65, None),
        ("kari nordmann", None),
        ("bjørn", None),
        ("a/b", None),
    ],
)
def test_usernames_are_stored_lower_case_from_a_small_alphabet(
    value: str, stored: str | None
) -> None:
    assert auth.canonical_username(value) == stored


def test_the_policy_takes_a_long_enough_password_as_it_is() -> None:
    assert auth.check_password(PASSWORD) == PASSWORD
    # Characters, not bytes: ten Norwegian letters are ten.
    assert auth.check_password("æøåæøåæøåæ") == "æøåæøåæøåæ"


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("kort", "at least 10 characters; this one has 4"),
        ("", "at least 10 characters; this one has 0"),
        (" " * 12, "more than spaces"),
        ("x" * 1025, "at most 1024 characters"),
        ("Kari.Nordmann", "must not be the username"),
    ],
)
def test_the_policy_refuses_weak_passwords_and_says_why(password: str, says: str) -> None:
    with pytest.raises(WeakPassword, match=re.escape(says)) as refused:
        auth.check_password(password, username="kari.nordmann")
    assert isinstance(refused.value, ValueError)
    if password.strip():
        assert password not in str(refused.value)


def test_a_password_hash_is_salted_argon2id_and_verifies() -> None:
    first, second = auth.hash_password(PASSWORD), auth.hash_password(PASSWORD)
    assert first.startswith("$argon2id$")
    assert PASSWORD not in first
    assert first != second  # a salt of its own
    assert auth.verify_password(PASSWORD, first) == (True, None)
    assert auth.verify_password(PASSWORD + "!", first) == (False, None)


def test_composed_and_decomposed_letters_are_the_same_password() -> None:
    composed, decomposed = "Blåbærsyltetøy", "Bla\u030abærsyltetøy"
    assert composed != decomposed
    assert auth.verify_password(decomposed, auth.hash_password(composed)).matches


def test_a_hash_of_older_parameters_is_replaced_when_the_password_matches() -> None:
    weak = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),))
    old = weak.hash(PASSWORD)
    matches, rehashed = auth.verify_password(PASSWORD, old)
    assert matches
    assert rehashed is not None
    assert "m=8192,t=1,p=1" in old
    assert "m=8192" not in rehashed
    assert auth.verify_password(PASSWORD, rehashed) == (True, None)
    # A wrong password never yields a new hash.
    assert auth.verify_password("Fjernvarme-2027", old) == (False, None)


def test_no_hash_and_an_unreadable_hash_never_match() -> None:
    assert auth.verify_password(PASSWORD, None) == (False, None)
    assert auth.verify_password(PASSWORD, "not-a-hash") == (False, None)
    assert auth.verify_password(PASSWORD, hashlib.sha256(PASSWORD.encode()).hexdigest()) == (
        False,
        None,
    )


def test_a_missing_hash_is_checked_against_a_dummy_so_it_costs_the_same() -> None:
    auth.verify_password(PASSWORD, None)
    dummy = auth._dummy_hash()
    assert dummy.startswith("$argon2id$")
    assert dummy == auth._dummy_hash()  # made once
    # Against the same parameters as a real hash, so the same work.
    assert dummy.split("$")[3] == auth.hash_password(PASSWORD).split("$")[3]


def test_an_overlong_password_is_refused_without_hashing_megabytes() -> None:
    stored = auth.hash_password(PASSWORD)
    assert auth.verify_password("x" * 2_000_000, stored) == (False, None)
    assert auth.verify_password("x" * 2_000_000, None) == (False, None)


def test_key_tokens_carry_a_public_id_and_a_long_secret() -> None:
    key = auth.new_key_token()
    assert re.fullmatch(r"bpk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", key.token)
    assert auth.parse_key_token(key.token) == key
    assert key.token.split("_", 2)[1] == key.key_id
    # 32 random bytes of secret.
    assert len(key.secret) == 43
    assert auth.new_key_token() != key


def test_key_secrets_may_contain_underscores_and_still_parse() -> None:
    key = auth.KeyToken(key_id="0123456789ab", secret="_" * 43)
    assert auth.parse_key_token(key.token) == key


@pytest.mark.parametrize(
    "token",
    [
        "",
        "bpk_",
        "Bearer bpk_0123456789ab_" + "a" * 43,
        "bpk_0123456789ab_" + "a" * 42,
        "bpk_0123456789ab_" + "a" * 44,
        "bpk_0123456789AB_" + "a" * 43,
        "bpk_0123456789a_" + "a" * 44,
        "xyz_0123456789ab_" + "a" * 43,
        "bpk_0123456789ab_" + "a" * 42 + "=",
        "bpk_0123456789ab_" + "a" * 42 + "\n",
    ],
)
def test_a_malformed_key_token_parses_to_none(token: str) -> None:
    assert auth.parse_key_token(token) is None


def test_secrets_are_stored_as_sha256_and_compared_as_such() -> None:
    secret = auth.new_secret()
    assert len(secret) == 43
    stored = auth.secret_hash(secret)
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert auth.secret_matches(secret, stored)
    assert not auth.secret_matches(secret[:-1], stored)
    assert not auth.secret_matches(secret, "")


def test_csrf_tokens_compare_equal_only_when_equal() -> None:
    token = auth.new_secret()
    assert auth.same_token(token, token)
    assert not auth.same_token(token[:-1], token)
    assert not auth.same_token("", token)
    assert not auth.same_token("\udcff", token)
