"""``BYGGPULS_API_*`` settings."""

from __future__ import annotations

import pytest

from api.settings import ApiSettings, dashboard_url
from byggpuls.errors import ConfigError
from byggpuls.settings import load


def test_defaults_listen_on_loopback_port_8000(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BYGGPULS_API_HOST", raising=False)
    monkeypatch.delenv("BYGGPULS_API_PORT", raising=False)
    settings = ApiSettings()
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)
    assert settings.dashboard_url == "http://127.0.0.1:8000/"
    assert settings.api_series_max_points == 10_000


def test_environment_and_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_API_HOST", "0.0.0.0")
    monkeypatch.setenv("BYGGPULS_API_PORT", "9001")
    from_env = load(ApiSettings)
    assert (from_env.api_host, from_env.api_port) == ("0.0.0.0", 9001)
    # Command-line options win; None means "not given".
    overridden = load(ApiSettings, api_host=None, api_port=8123)
    assert (overridden.api_host, overridden.api_port) == ("0.0.0.0", 8123)


def test_a_bad_port_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_API_PORT", "70000")
    with pytest.raises(ConfigError, match="BYGGPULS_API_PORT"):
        load(ApiSettings)


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000/"),
        ("0.0.0.0", "http://127.0.0.1:8000/"),
        ("::", "http://127.0.0.1:8000/"),
        ("::1", "http://[::1]:8000/"),
        ("byggpuls.local", "http://byggpuls.local:8000/"),
    ],
)
def test_dashboard_url(host: str, url: str) -> None:
    assert dashboard_url(host, 8000) == url
