"""The file of several gateways' broker logins: written for its owner only, read as JSON or
TOML, and a file that is wrong, or lacks a gateway, stops the start saying what to fix."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from byggpuls.errors import ConfigError
from gateway.logins import load_logins, logins_for, write_logins

LOGINS = {
    "gw-skole-01": ("gateway.skole-01.gw-skole-01", "pw:with@odd/chars"),
    "gw-barnehage-01": ("gateway.barnehage-01.gw-barnehage-01", "pw-2"),
}


def test_written_logins_are_read_back_and_only_their_owner_may_read_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "logins.json"
    path.write_text("{}")
    path.chmod(0o644)
    write_logins(path, LOGINS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with caplog.at_level(logging.WARNING):
        assert load_logins(path) == LOGINS
    assert caplog.records == []


def test_a_toml_file_says_the_same(tmp_path: Path) -> None:
    path = tmp_path / "logins.toml"
    path.write_text(
        '[gw-skole-01]\nusername = "gateway.skole-01.gw-skole-01"\npassword = "pw:with@odd/chars"\n'
        '\n[gw-barnehage-01]\nusername = "gateway.barnehage-01.gw-barnehage-01"\n'
        'password = "pw-2"\n'
    )
    path.chmod(0o600)
    assert load_logins(path) == LOGINS


def test_a_file_others_may_read_is_used_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "logins.json"
    write_logins(path, LOGINS)
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        assert load_logins(path) == LOGINS
    assert f"chmod 600 {path}" in caplog.text


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("missing.json", None, "no such file"),
        ("logins.yaml", "{}", "name it *.json or *.toml"),
        ("logins.json", "{", "not valid JSON"),
        ("logins.toml", "[x", "not valid TOML"),
        ("logins.json", "[]", "file: Input should be a valid dictionary"),
        ("logins.json", '{"gw-1": {"username": "u"}}', "gw-1.password: Field required"),
        ("logins.json", '{"gw-1": {"username": "u", "password": ""}}', "gw-1.password"),
        ("logins.json", '{"gw-1": {"username": "u", "password": "p", "x": 1}}', "gw-1.x"),
        ("logins.json", '{"GW 1": {"username": "u", "password": "p"}}', "GW 1: String should"),
    ],
)
def test_a_wrong_file_is_refused_naming_it_and_what_is_wrong(
    tmp_path: Path, name: str, text: str | None, says: str
) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_logins(path)
    assert str(refused.value).startswith(f"--broker-logins {path}: ")
    assert says in str(refused.value)


def test_each_gateway_gets_its_login_and_one_without_stops_the_start(tmp_path: Path) -> None:
    source = tmp_path / "logins.json"
    gateways = ["gw-skole-01", "gw-barnehage-01"]
    assert logins_for(gateways, LOGINS, source=source) == [LOGINS[g] for g in gateways]
    with pytest.raises(ConfigError, match="no login for gateway gw-kontor-01, gw-x") as refused:
        logins_for([*gateways, "gw-kontor-01", "gw-x"], LOGINS, source=source)
    assert "the file has gw-barnehage-01, gw-skole-01" in str(refused.value)
