"""Settings: defaults, environment, and errors that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from byggpuls.errors import ConfigError
from byggpuls.logs import LogLevel
from byggpuls.settings import CommonSettings, LogSettings, MqttProtocol, load, redact


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load(CommonSettings)
    assert settings.mqtt_url == "mqtt://127.0.0.1:1883"
    assert settings.mqtt_port == 1883
    assert settings.mqtt_protocol is MqttProtocol.AUTO
    assert settings.readings_url == f"sqlite:///{tmp_path / 'var' / 'readings.sqlite3'}"
    assert settings.registry_url == f"sqlite:///{tmp_path / 'var' / 'registry.sqlite3'}"


def test_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_MQTT_URL", "mqtts://gw:secret@broker.example:8884")
    monkeypatch.setenv("BYGGPULS_INFLUX_URL", "http://u:p@influx:8086/byggpuls")
    monkeypatch.setenv("BYGGPULS_DATABASE_URL", "postgresql+psycopg://db/byggpuls")
    settings = load(CommonSettings)
    assert settings.mqtt.username == "gw"
    assert settings.mqtt_port == 8884
    assert settings.readings_url == "http://u:p@influx:8086/byggpuls"
    assert settings.registry_url == "postgresql+psycopg://db/byggpuls"


def test_overrides_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_MQTT_URL", "mqtt://a:1883")
    assert load(CommonSettings, mqtt_url="mqtt://b:1884").mqtt_port == 1884
    assert load(CommonSettings, mqtt_url=None).mqtt_url == "mqtt://a:1883"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("BYGGPULS_MQTT_URL", "http://broker", "BYGGPULS_MQTT_URL: use mqtt://host:port"),
        ("BYGGPULS_MQTT_URL", "mqtt://broker:notaport", "BYGGPULS_MQTT_URL: 'mqtt://broker:"),
        ("BYGGPULS_INFLUX_URL", "influx:8086", "BYGGPULS_INFLUX_URL: use http(s)://"),
        ("BYGGPULS_MQTT_PROTOCOL", "4", "BYGGPULS_MQTT_PROTOCOL: Input should be"),
        ("BYGGPULS_MQTT_CA_FILE", "/nonexistent/ca.crt", "no such file: /nonexistent/ca.crt"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(CommonSettings)


def test_passwords_never_appear_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_MQTT_URL", "ws://user:hunter2@broker")
    with pytest.raises(ConfigError) as error:
        load(CommonSettings)
    assert "hunter2" not in str(error.value)
    assert redact("http://u:hunter2@h/db") == "http://u:***@h/db"


def test_production_refuses_trial_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_ENVIRONMENT", "production")
    monkeypatch.setenv("BYGGPULS_MQTT_URL", "mqtt://broker.example:1883")
    with pytest.raises(ConfigError) as error:
        load(CommonSettings)
    message = str(error.value)
    assert "set BYGGPULS_INFLUX_URL" in message
    assert "set BYGGPULS_DATABASE_URL" in message
    assert "needs a username and password" in message
    assert "must use mqtts://" in message


def test_production_accepts_a_complete_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_ENVIRONMENT", "production")
    monkeypatch.setenv("BYGGPULS_MQTT_URL", "mqtts://ingest:pw@broker.example")
    monkeypatch.setenv("BYGGPULS_INFLUX_URL", "https://u:p@influx.example/byggpuls")
    monkeypatch.setenv("BYGGPULS_DATABASE_URL", "postgresql+psycopg://db.example/byggpuls")
    assert load(CommonSettings).mqtt_port == 8883


def test_log_settings_default_to_info_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BYGGPULS_LOG_LEVEL", raising=False)
    monkeypatch.setenv("BYGGPULS_LOG_JSON", "")  # set but empty: off, as it always was
    settings = load(LogSettings)
    assert (settings.log_level, settings.log_json) == (LogLevel.INFO, False)


def test_log_settings_take_any_case_and_the_options_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_LOG_LEVEL", "debug")
    monkeypatch.setenv("BYGGPULS_LOG_JSON", "1")
    assert load(LogSettings).log_level is LogLevel.DEBUG
    assert load(LogSettings).log_json is True
    monkeypatch.setenv("BYGGPULS_LOG_LEVEL", "loud")
    assert load(LogSettings, log_level="WARNING").log_level is LogLevel.WARNING


def test_bad_log_settings_say_what_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_LOG_LEVEL", "loud")
    monkeypatch.setenv("BYGGPULS_LOG_JSON", "maybe")
    with pytest.raises(ConfigError) as error:
        load(LogSettings)
    message = str(error.value)
    assert "BYGGPULS_LOG_LEVEL: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'" in message
    assert "BYGGPULS_LOG_JSON: use true or false (or 1 or 0, yes or no, on or off)" in message
