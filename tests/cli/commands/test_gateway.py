"""``byggpuls gateway`` as a real process: SIGKILL and restart lose nothing; the simulated
portfolio backfills, reports progress and stops cleanly on SIGINT; bad files exit with 2. And
what it runs, as ``cli.bootstrap.build_gateways`` builds it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from byggpuls import topics
from byggpuls.errors import ConfigError
from cli.bootstrap import build_gateways
from gateway.config import GatewayOptions, GatewaySettings
from sandbox.servers import MosquittoServer

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
#: ``byggpuls gateway``, as the demo starts it.
COMMAND = [sys.executable, "-m", "cli", "gateway"]
MODBUS_CONFIG = REPO / "deploy" / "gateway" / "modbus-meter.toml"


@dataclass
class GatewayProcess:
    """A gateway process whose output goes to files, so a full pipe never blocks it."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text()

    def errors(self) -> str:
        return self.stderr.read_text()[-3000:]


@pytest.fixture
def start_gateway(
    mosquitto: MosquittoServer, tmp_path: Path
) -> Iterator[Callable[..., GatewayProcess]]:
    started: list[GatewayProcess] = []
    env = {
        **os.environ,
        "BYGGPULS_MQTT_URL": mosquitto.url,
        "BYGGPULS_DATA_DIR": str(tmp_path / "data"),
        "PYTHONUNBUFFERED": "1",
    }

    def start(*args: str, extra_env: dict[str, str] | None = None) -> GatewayProcess:
        number = len(started)
        stdout, stderr = tmp_path / f"stdout-{number}.txt", tmp_path / f"stderr-{number}.txt"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [*COMMAND, *args],
                stdout=out,
                stderr=err,
                env={**env, **(extra_env or {})},
                cwd=REPO,
            )
        started.append(GatewayProcess(process, stdout, stderr))
        return started[-1]

    try:
        yield start
    finally:
        for gateway in started:
            if gateway.process.poll() is None:
                gateway.process.kill()
                gateway.process.wait()


def modbus_config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "meter.toml"
    path.write_text(
        f"""
[gateway]
id = "gw-meter"
status_interval_s = 0.5
max_inflight_packs = 4

[building]
id = "b1"
name = "B1"
type = "office"

[driver]
type = "modbus"
host = "127.0.0.1"
port = {port}
interval_s = 0.05
timeout_s = 0.5
retries = 0
domain = "energy"

[[driver.registers]]
point = "el.energy"
address = 0
data_type = "uint32"
source_unit = "Wh"
unit = "kWh"

[[driver.registers]]
point = "room1.temp"
address = 2
data_type = "int16"
scale = 0.1
unit = "Cel"
domain = "climate"
"""
    )
    return path


def test_sigkill_mid_stream_and_a_restart_lose_nothing(
    modbus_server_factory: Callable[..., Any],
    start_gateway: Callable[..., GatewayProcess],
    collector: Any,
    wait_until: Callable[..., None],
    tmp_path: Path,
) -> None:
    device = modbus_server_factory(holding={0: [1, 2], 2: [215]}, input={0: [0]})
    config = modbus_config(tmp_path, device.port)
    status_topic = topics.status("b1", "gw-meter")

    first = start_gateway("--config", str(config))
    wait_until(lambda: len(collector.unique_packs("gw-meter")) >= 30, "packs from the first run")
    first.process.send_signal(signal.SIGKILL)
    assert first.process.wait(30) == -signal.SIGKILL
    # The broker says it for the gateway: the Last Will, which carries the state only.
    wait_until(
        lambda: (s := collector.last_status(status_topic)) is not None and s.time is None,
        "the Last Will",
    )
    assert collector.last_status(status_topic).state == "offline"
    before = len(collector.unique_packs("gw-meter"))

    second = start_gateway("--config", str(config))
    wait_until(lambda: len(collector.unique_packs("gw-meter")) >= before + 30, "the restart")
    device.stop()  # no more readings: what was spooled drains
    stopped_at = time.time()

    def drained() -> bool:
        status = collector.last_status(status_topic)
        return (
            status is not None
            and status.state == "online"
            and status.time is not None
            and status.time > stopped_at + 1  # after the last poll's readings were spooled
            and status.spool_depth == 0
        )

    wait_until(drained, "the spool to drain")
    second.process.send_signal(signal.SIGTERM)
    assert second.process.wait(30) == 0, second.errors()
    final = collector.last_status(status_topic)
    assert final.state == "offline"
    assert final.time is not None  # said by the gateway on its way out
    appended = final.detail["appended"]
    # Every reading either run accepted arrived: packs 1..N without a gap, in order (checked
    # by unique_packs), their readings adding up to the spool's persistent count.
    packs = collector.unique_packs("gw-meter")
    assert [p.seq for p in packs] == list(range(1, final.detail["next_seq"]))
    assert sum(len(p.readings) for p in packs) == appended
    assert final.spool_depth == 0
    assert final.spool_dropped == 0
    values = {(point, value) for pack in packs for point, _, value, _ in pack.readings}
    assert values == {("el.energy", 65.538), ("room1.temp", 21.5)}


# PYTHONOPTIMIZE=2 (no docstrings, no asserts) is how the README runs a gateway on a device.
@pytest.mark.parametrize("optimize", ["0", "2"], ids=["plain", "optimized"])
def test_a_simulated_portfolio_backfills_then_stops_cleanly_on_sigint(
    optimize: str,
    start_gateway: Callable[..., GatewayProcess],
    collector: Any,
    wait_until: Callable[..., None],
    tmp_path: Path,
) -> None:
    gateway = start_gateway(
        *("--simulate", "2", "--seed", "3"),
        *("--backfill-days", "1", "--backfill-interval", "900", "--interval", "60"),
        *("--progress-interval", "0.2", "--status-interval", "0.5"),
        extra_env={"PYTHONOPTIMIZE": optimize},
    )
    wait_until(lambda: "backfill done" in gateway.output(), "the end of the backfill", timeout=60)
    gateway.process.send_signal(signal.SIGINT)
    assert gateway.process.wait(30) == 0, gateway.errors()
    lines = gateway.output().splitlines()
    assert lines[0].startswith("simulating 2 buildings (seed 3)")
    assert any(line.startswith("backfill: ") and "days" in line for line in lines)
    assert lines[-1].startswith("stopped: ")
    assert (tmp_path / "data" / "ground_truth.jsonl").is_file()

    gateways = sorted({gw for gw, _ in collector.order})
    assert gateways == ["gw-barnehage-01", "gw-skole-01"]
    for gateway_id in gateways:
        building = gateway_id.removeprefix("gw-")
        status = collector.last_status(topics.status(building, gateway_id))
        wait_until(
            lambda b=building, g=gateway_id: (
                (s := collector.last_status(topics.status(b, g))) is not None
                and s.state == "offline"
            ),
            "the goodbye",
        )
        status = collector.last_status(topics.status(building, gateway_id))
        assert status.time is not None
        readings = collector.readings(gateway_id)
        # A day every 15 minutes for every point, and the first live minutes.
        points = len(collector.metas[topics.meta(building, gateway_id)][-1].points)
        assert len(readings) >= 0.99 * 96 * points
        assert status.detail["appended"] == status.detail["delivered"] + status.spool_depth
        assert len(readings) >= status.detail["delivered"]


def test_a_bad_configuration_exits_with_2_and_says_where(
    start_gateway: Callable[..., GatewayProcess], tmp_path: Path
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[gateway]\nid = "gw-1"\n\n[driver]\ntype = "modbus"\nhost = "x"\n')
    gateway = start_gateway("--config", str(path))
    assert gateway.process.wait(30) == 2
    assert f"{path}: driver.registers: required key is missing" in gateway.errors()


@pytest.mark.parametrize("optimize", ["0", "2"], ids=["plain", "optimized"])
@pytest.mark.parametrize("command", [COMMAND], ids=["byggpuls"])
def test_help_explains_the_options(command: list[str], optimize: str) -> None:
    result = subprocess.run(
        [*command, "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=60,
        env={**os.environ, "PYTHONOPTIMIZE": optimize},
    )
    for option in (
        "--config",
        "--simulate",
        "--backfill-days",
        "--backfill-interval",
        "--interval",
        "--ground-truth",
        "--spool-max-readings",
        "BYGGPULS_MQTT_URL",
    ):
        assert option in result.stdout


def test_building_gateways_needs_a_file_or_a_simulation(tmp_path: Path) -> None:
    settings = GatewaySettings(data_dir=tmp_path, gateway_config=None)
    with pytest.raises(ConfigError, match="say what to run"):
        build_gateways(settings, GatewayOptions())


def test_built_gateways_take_the_options_and_stop_with_their_resources(tmp_path: Path) -> None:
    settings = GatewaySettings(data_dir=tmp_path)
    options = GatewayOptions(config=MODBUS_CONFIG, spool_max_readings=10, max_inflight_packs=4)
    built = build_gateways(settings, options)
    [gateway] = built.service.gateways
    assert gateway.gateway_id == "gw-radhus-01"
    assert gateway.spool.path == tmp_path / "gateway" / "gw-radhus-01.spool.sqlite3"
    assert gateway.spool.max_readings == 10
    assert gateway.publisher.max_inflight_packs == 4
    assert gateway.publisher.session.connected is False  # nothing connects before start
    built.resources.close()
    assert gateway.spool_stats_at_stop is not None
    gateway.stop()  # stopping a stopped gateway does nothing


def test_a_simulated_gateway_in_production_needs_a_login(tmp_path: Path) -> None:
    """In production every gateway's connection needs a login, whether it comes from
    BYGGPULS_MQTT_URL, --broker-logins or the file's [mqtt]: refused at start."""
    settings = GatewaySettings(
        data_dir=tmp_path, environment="production", mqtt_url="mqtts://broker.example:8883"
    )
    with pytest.raises(ConfigError, match="needs a username and password in production"):
        build_gateways(settings, GatewayOptions(simulate=1))
