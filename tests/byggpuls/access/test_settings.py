"""``BYGGPULS_BROKER_*``: a setting that cannot work stops the service at start, saying what to
set, and never shows a secret."""

from __future__ import annotations

import pytest

from byggpuls.access.settings import BrokerAccessSettings, admin_login
from byggpuls.errors import ConfigError
from byggpuls.settings import load

KEY = "a-credential-key-of-at-least-32-characters"
ADMIN = "mqtt://byggpuls-admin:s%40cret@broker.example:1883"


def test_access_is_off_by_default_and_needs_nothing() -> None:
    settings = load(BrokerAccessSettings)
    assert settings.broker_access == "off"
    assert settings.broker_passwords is None
    assert settings.broker_admin is None


def test_mosquitto_access_with_its_key_and_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_BROKER_ACCESS", "mosquitto")
    monkeypatch.setenv("BYGGPULS_BROKER_CREDENTIAL_KEY", KEY)
    monkeypatch.setenv("BYGGPULS_BROKER_ADMIN_URL", ADMIN)
    settings = load(BrokerAccessSettings)
    assert settings.broker_passwords is not None
    assert settings.broker_admin is not None
    assert admin_login(settings.broker_admin) == (
        "broker.example",
        1883,
        "byggpuls-admin",
        "s@cret",
        False,
    )
    assert KEY not in repr(settings)
    assert "s%40cret" not in repr(settings)


@pytest.mark.parametrize(
    ("environment", "says"),
    [
        ({"BYGGPULS_BROKER_ACCESS": "mosquitto"}, "needs BYGGPULS_BROKER_CREDENTIAL_KEY"),
        ({"BYGGPULS_BROKER_ACCESS": "mosquitto"}, "needs BYGGPULS_BROKER_ADMIN_URL"),
        ({"BYGGPULS_BROKER_CREDENTIAL_KEY": "short"}, "at least 32 characters"),
        (
            {
                "BYGGPULS_BROKER_ACCESS": "mosquitto",
                "BYGGPULS_BROKER_CREDENTIAL_KEY": KEY,
                "BYGGPULS_BROKER_ADMIN_URL": "mqtt://broker.example:1883",
            },
            "must be mqtt(s)://ADMIN:PASSWORD@host:port",
        ),
        ({"BYGGPULS_BROKER_PUBLIC_URL": "http://broker.example"}, "must be mqtt(s)://host:port"),
        ({"BYGGPULS_BROKER_ACCESS": "emqx"}, "BYGGPULS_BROKER_ACCESS"),
        ({"BYGGPULS_BROKER_SYNC_S": "0"}, "BYGGPULS_BROKER_SYNC_S"),
    ],
)
def test_a_setting_that_cannot_work_is_refused_saying_what_to_set(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], says: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        load(BrokerAccessSettings)
    assert says in str(refused.value)
    assert KEY not in str(refused.value)
