"""What a gateway imports: a device runs only the driver it is configured with.

Each case builds a gateway with ``cli.bootstrap.build_gateways``, as ``byggpuls gateway`` does,
in a fresh interpreter, and looks at ``sys.modules``: the simulation (numpy), the development
servers and the in-process broker are not for a device, and neither are the stores and the
registry of the other services (SQLAlchemy, Alembic and httpx: about 33 MB resident).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODBUS_CONFIG = REPO / "deploy" / "gateway" / "modbus-meter.toml"
#: Packages a gateway running a CSV replay or a Modbus device must not import.
NOT_FOR_A_DEVICE = ("simulation", "sandbox", "amqtt")
#: What the other services need and a gateway does not.
NOT_FOR_A_GATEWAY = ("sqlalchemy", "alembic", "httpx")

BUILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    from cli.bootstrap import build_gateways
    from cli.main import build_parser
    from gateway.config import GatewayOptions, GatewaySettings

    build_parser(["gateway", "--config", sys.argv[1]])  # what `byggpuls gateway` imports first

    settings = GatewaySettings(mqtt_url="mqtt://127.0.0.1:1883", data_dir=Path(sys.argv[2]))
    built = build_gateways(settings, GatewayOptions(config=Path(sys.argv[1])))
    with built.resources:
        names = [gateway.gateway_id for gateway in built.service.gateways]
    print(json.dumps({"gateways": names, "modules": sorted(sys.modules)}))
    """
)


def csv_config(directory: Path) -> Path:
    (directory / "source.csv").write_text("time,t1\n1767225600,21.5\n1767225660,21.6\n")
    config = directory / "csv.toml"
    config.write_text(
        """[gateway]
id = "gw-csv"

[building]
id = "csv-building"
name = "A replayed building"
type = "office"

[driver]
type = "csv_replay"
path = "source.csv"
time_column = "time"
time_format = "epoch_s"
domain = "climate"

[[driver.columns]]
column = "t1"
point = "room1.temp"
unit = "Cel"
"""
    )
    return config


def imported(config: Path, data_dir: Path) -> tuple[list[str], set[str]]:
    """The gateways built from ``config`` in a fresh interpreter, and the packages it imported."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BYGGPULS_")}
    result = subprocess.run(
        [sys.executable, "-c", BUILD, str(config), str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    return report["gateways"], {name.split(".")[0] for name in report["modules"]}


@pytest.mark.parametrize("driver", ["csv_replay", "modbus"])
def test_a_gateway_imports_only_what_its_driver_needs(driver: str, tmp_path: Path) -> None:
    config = csv_config(tmp_path) if driver == "csv_replay" else MODBUS_CONFIG
    gateways, packages = imported(config, tmp_path / "data")
    assert gateways == (["gw-csv"] if driver == "csv_replay" else ["gw-radhus-01"])
    assert "gateway" in packages
    assert packages.isdisjoint(NOT_FOR_A_DEVICE), packages & set(NOT_FOR_A_DEVICE)
    assert packages.isdisjoint(NOT_FOR_A_GATEWAY), packages & set(NOT_FOR_A_GATEWAY)
    assert ("pymodbus" in packages) == (driver == "modbus")
