"""Ingest settings: environment, command-line overrides, and refused values."""

from __future__ import annotations

import argparse

import pytest
from pydantic import ValidationError

from byggpuls.errors import ConfigError
from byggpuls.settings import load
from cli.commands import ingest as command
from ingest.settings import IngestSettings, default_client_id


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(argv)


def overrides(args: argparse.Namespace) -> dict[str, object]:
    return {field: getattr(args, option, None) for option, field in command._OPTIONS.items()}


def test_environment_and_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_INGEST_BATCH_SIZE", "2000")
    monkeypatch.setenv("BYGGPULS_INGEST_SHARED_GROUP", "from-env")
    args = parse("--shared-group", "cli", "--no-shared-subscription", "--metrics-port", "0")
    settings = load(IngestSettings, **overrides(args))
    assert settings.ingest_batch_size == 2000
    assert settings.ingest_shared_group == "cli"
    assert settings.ingest_shared_subscription is False
    assert settings.ingest_metrics_port == 0
    assert settings.ingest_receive_maximum == 1000
    assert settings.max_messages_per_batch == 250


def test_defaults_keep_a_stable_client_id() -> None:
    assert IngestSettings().ingest_client_id == default_client_id()
    assert default_client_id().startswith("ingest-")


@pytest.mark.parametrize(
    ("option", "value", "variable"),
    [
        ("--batch-size", "0", "BYGGPULS_INGEST_BATCH_SIZE"),
        ("--receive-maximum", "70000", "BYGGPULS_INGEST_RECEIVE_MAXIMUM"),
        ("--shared-group", "No Spaces", "BYGGPULS_INGEST_SHARED_GROUP"),
        ("--client-id", "a/b", "BYGGPULS_INGEST_CLIENT_ID"),
        ("--mqtt-url", "http://broker", "BYGGPULS_MQTT_URL"),
    ],
)
def test_bad_values_are_refused_by_name(option: str, value: str, variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load(IngestSettings, **overrides(parse(option, value)))


def test_a_hold_bound_below_the_receive_maximum_is_refused() -> None:
    with pytest.raises(ValidationError, match="BYGGPULS_INGEST_MAX_HELD_MB"):
        IngestSettings(ingest_receive_maximum=1000, ingest_max_held_mb=62.0)
    # A thousand packs of 64 KiB: exactly enough.
    assert IngestSettings(ingest_receive_maximum=1000, ingest_max_held_mb=62.5).max_held_bytes
