"""Gateway configuration: the TOML file's errors name the file and the key, settings from env."""

from __future__ import annotations

from pathlib import Path

import pytest

from byggpuls.errors import ConfigError
from byggpuls.settings import load
from gateway.config import GatewaySettings, load_config
from gateway.drivers.csv_replay import CsvReplayOptions

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "gateway"

VALID = """
[gateway]
id = "gw-skole-01"

[building]
id = "skole-01"
name = "Minde skole"
type = "school"

[driver]
type = "csv_replay"
path = "data.csv"
time_column = "time"
domain = "climate"

[[driver.columns]]
column = "t"
point = "room1.temp"
unit = "Cel"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return str(info.value)


def test_a_valid_file_is_read_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID))
    assert config.gateway.id == "gw-skole-01"
    assert config.gateway.max_inflight_packs == 64
    assert config.spool.max_readings == 1_000_000
    assert config.driver.name == "csv_replay"
    assert isinstance(config.driver_options, CsvReplayOptions)
    assert config.context().resolve(Path("data.csv")) == tmp_path / "data.csv"
    settings = GatewaySettings(data_dir=tmp_path / "var")
    assert config.spool_path(settings) == tmp_path / "var" / "gateway" / "gw-skole-01.spool.sqlite3"


@pytest.mark.parametrize(
    ("old", "new", "where", "what"),
    [
        ('id = "gw-skole-01"', 'id = "GW 01"', "gateway.id", "should match pattern"),
        ('type = "school"', 'type = "school"\nfloor_area = 3', "building.floor_area",
         "unknown key"),
        ('type = "csv_replay"', 'type = "opc_ua"', "driver.type", "no driver named 'opc_ua'"),
        ('unit = "Cel"', 'unit = "Cel"\nsource_unit = "furlong"', "driver.columns.0",
         "no conversion from 'furlong' to 'Cel'"),
        ('domain = "climate"\n', "", "driver.columns", "(entry 0) has no domain"),
        ('time_column = "time"\n', "", "driver.time_column", "required key is missing"),
        ('point = "room1.temp"', 'point = "room 1"', "driver.columns.0.point", "pattern"),
        ('[gateway]\nid = "gw-skole-01"', '[gateway]\nid = "gw-skole-01"\nmax_inflight_packs = 0',
         "gateway.max_inflight_packs", "greater than or equal to 1"),
    ],
)  # fmt: skip
def test_errors_name_the_file_and_the_key_path(
    tmp_path: Path, old: str, new: str, where: str, what: str
) -> None:
    assert old in VALID
    message = error_of(tmp_path, VALID.replace(old, new, 1))
    assert f"{tmp_path / 'gateway.toml'}: {where}" in message
    assert what in message


def test_a_driver_that_needs_a_building_says_so(tmp_path: Path) -> None:
    text = VALID.replace('[building]\nid = "skole-01"\nname = "Minde skole"\ntype = "school"\n', "")
    assert "building: driver 'csv_replay' needs a [building] table" in error_of(tmp_path, text)


def test_unreadable_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such gateway configuration file"):
        load_config(tmp_path / "missing.toml")
    assert "not valid TOML" in error_of(tmp_path, "[gateway\nid=1")


@pytest.mark.parametrize("path", sorted(DEPLOY.glob("*.toml")), ids=lambda p: p.name)
def test_every_sample_config_is_valid(path: Path) -> None:
    config = load_config(path)
    assert config.gateway.id
    assert config.driver.name in ("simulated", "csv_replay", "modbus")


def test_every_driver_has_a_sample_config() -> None:
    names = {load_config(path).driver.name for path in DEPLOY.glob("*.toml")}
    assert names == {"simulated", "csv_replay", "modbus"}


def test_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BYGGPULS_MQTT_URL", "mqtt://gw:secret@broker.example:1884")
    monkeypatch.setenv("BYGGPULS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BYGGPULS_GATEWAY_STATUS_INTERVAL_S", "15")
    settings = load(GatewaySettings)
    assert settings.mqtt_port == 1884
    assert settings.mqtt.username == "gw"
    assert settings.gateway_status_interval_s == 15
    assert settings.spool_dir() == tmp_path / "gateway"
    monkeypatch.setenv("BYGGPULS_GATEWAY_STATUS_INTERVAL_S", "0")
    with pytest.raises(ConfigError, match="BYGGPULS_GATEWAY_STATUS_INTERVAL_S"):
        load(GatewaySettings)


def test_production_asks_for_a_safe_broker_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_ENVIRONMENT", "production")
    monkeypatch.setenv("BYGGPULS_MQTT_URL", "mqtts://gw-1:secret@broker.example:8883")
    # No InfluxDB or registry database: a gateway needs neither.
    assert load(GatewaySettings).mqtt.hostname == "broker.example"
    monkeypatch.setenv("BYGGPULS_MQTT_URL", "mqtt://broker.example:1883")
    with pytest.raises(ConfigError) as info:
        load(GatewaySettings)
    assert "must use mqtts://" in str(info.value)
    # The login may come from the gateway's file: asked for once the file is read.
    assert "needs a username and password" not in str(info.value)


# -- [mqtt]: the gateway's own broker login -----------------------------------------------------

MQTT = """
[mqtt]
url = "mqtts://broker.example:8883"
username = "gateway.skole-01.gw-skole-01"
password = "p@ss:w/rd"
"""


def test_the_mqtt_table_gives_the_gateway_its_own_login_and_broker(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID + MQTT))
    assert config.mqtt is not None
    assert config.mqtt.login == ("gateway.skole-01.gw-skole-01", "p@ss:w/rd")
    assert "p@ss" not in repr(config)
    env = GatewaySettings(mqtt_url="mqtt://shared:login@127.0.0.1:1883")
    settings = config.broker_settings(env)
    assert settings.mqtt_url == (
        "mqtts://gateway.skole-01.gw-skole-01:p%40ss%3Aw%2Frd@broker.example:8883"
    )
    assert settings.mqtt.password is not None
    assert settings.data_dir == env.data_dir
    no_url = load_config(
        write(tmp_path, VALID + MQTT.replace('url = "mqtts://broker.example:8883"\n', ""))
    )
    assert no_url.broker_settings(env).mqtt_url == (
        "mqtt://gateway.skole-01.gw-skole-01:p%40ss%3Aw%2Frd@127.0.0.1:1883"
    )
    plain = load_config(write(tmp_path, VALID))
    assert plain.mqtt is None
    assert plain.broker_settings(env) is env


@pytest.mark.parametrize(
    ("old", "new", "where", "what"),
    [
        ('password = "p@ss:w/rd"\n', "", "mqtt.password", "required beside mqtt.username"),
        ('username = "gateway.skole-01.gw-skole-01"\n', "", "mqtt.username",
         "required beside mqtt.password"),
        ('username = "gateway', 'user = "gateway', "mqtt.user", "unknown key"),
        ('password = "p@ss:w/rd"', "password = 42", "mqtt.password", "valid string"),
        ('password = "p@ss:w/rd"', 'password = ""', "mqtt.password", "must not be empty"),
        ("mqtts://broker.example:8883", "http://broker.example", "mqtt.url", "use mqtt://"),
        ("mqtts://broker.example:8883", "mqtts://gw:pw@broker.example", "mqtt.url",
         "no login in the URL"),
    ],
)  # fmt: skip
def test_a_malformed_mqtt_table_names_the_key(
    tmp_path: Path, old: str, new: str, where: str, what: str
) -> None:
    assert old in MQTT
    message = error_of(tmp_path, VALID + MQTT.replace(old, new, 1))
    assert f"{tmp_path / 'gateway.toml'}: {where}: " in message
    assert what in message
    assert "p@ss" not in message


def test_production_asks_for_a_login_from_the_environment_or_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYGGPULS_ENVIRONMENT", "production")
    monkeypatch.setenv("BYGGPULS_MQTT_URL", "mqtts://broker.example:8883")
    env = load(GatewaySettings)
    with pytest.raises(ConfigError, match=r"BYGGPULS_MQTT_URL \(or \[mqtt\] in .*gateway.toml\)"
                       " needs a username and password in production"):  # fmt: skip
        load_config(write(tmp_path, VALID)).broker_settings(env)
    with_login = load_config(write(tmp_path, VALID + MQTT)).broker_settings(env)
    assert with_login.mqtt.username == "gateway.skole-01.gw-skole-01"
    plain = MQTT.replace("mqtts://broker.example:8883", "mqtt://broker.example:1883")
    with pytest.raises(ConfigError, match="must use mqtts://"):
        load_config(write(tmp_path, VALID + plain)).broker_settings(env)
