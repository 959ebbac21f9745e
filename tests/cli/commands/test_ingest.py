"""``byggpuls ingest``: settings that cannot work are refused before anything is opened."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from byggpuls.errors import ConfigError
from cli.commands import ingest as command


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(argv)


def test_tls_files_for_a_plain_broker_url_are_refused_before_the_stores_are_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("not read: the URL is refused first\n")
    monkeypatch.setenv("BYGGPULS_MQTT_CA_FILE", str(ca_file))
    data_dir = tmp_path / "data"
    args = parse("--mqtt-url", "mqtt://127.0.0.1:1883", "--data-dir", str(data_dir))

    with pytest.raises(ConfigError, match="not mqtts://"):
        command.run(args)

    assert not data_dir.exists()  # the embedded stores would have made it
