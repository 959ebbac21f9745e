"""``byggpuls demo``: the whole platform on one machine with zero setup.

It starts a broker (Mosquitto on a free port when installed, else amqtt in-process), then the
API, an ingest worker, a simulated portfolio gateway and the analytics as child processes of
their own, exactly as they would run in production (``byggpuls api`` and so on), with the
embedded SQLite stores under ``--data-dir``. The gateway first backfills history through the
same MQTT path, then goes live. Mosquitto runs with its access control, as in production:
every service connects with its own login, and a sample partner may read what it was granted
(:mod:`sandbox.demo_access`); the demo prints how to watch that partner's stream.

Ctrl-C stops everything; should the demo die without stopping its children (SIGKILL, a
crash), the kernel kills them (:func:`sandbox.servers.die_with_parent`).

``BYGGPULS_MQTT_URL``, ``BYGGPULS_INFLUX_URL`` and ``BYGGPULS_DATABASE_URL`` switch the demo to
real services: set, they are passed through and nothing is started in their place.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sandbox.servers import die_with_parent, free_port

if TYPE_CHECKING:  # the broker module's asyncio is for the demo's run, not every command line
    from sandbox.broker import DemoBroker
    from sandbox.demo_access import DemoAccess

READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 20.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--buildings", type=int, default=20, help="simulated buildings")
    parser.add_argument(
        "--backfill-days",
        type=float,
        # Six weeks: each week is judged by the weeks before it, two at the least, and the
        # simulated faults fall after the first quarter of the history.
        default=42,
        help="days of history to publish before going live",
    )
    parser.add_argument(
        "--backfill-interval",
        type=int,
        default=900,
        help="seconds between readings in the backfill",
    )
    parser.add_argument(
        "--interval",
        type=int,
        default=60,
        help="seconds between live readings",
    )
    parser.add_argument("--seed", type=int, default=2026, help="simulation seed")
    parser.add_argument("--host", default="127.0.0.1", help="dashboard address")
    parser.add_argument("--port", type=int, default=8000, help="dashboard port")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("var/demo"),
        help="where the demo keeps its state; emptied at every start",
    )
    parser.add_argument(
        "--embedded-broker",
        action="store_true",
        help="use the in-process amqtt broker even when Mosquitto is installed",
    )


class _Child:
    """A service process whose output is relayed with a name in front of each line."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        self.name = name
        self.process = subprocess.Popen(
            list(argv),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            # Started from the main thread (see die_with_parent): run() starts every child.
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - two system calls, no locks
        )
        assert self.process.stdout is not None
        self._relay = threading.Thread(
            target=self._relay_lines, args=(self.process.stdout,), daemon=True
        )
        self._relay.start()

    def _relay_lines(self, stream: IO[str]) -> None:
        for line in stream:
            sys.stdout.write(f"{self.name:>9} | {line}")
            sys.stdout.flush()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._relay.join(2)


def _byggpuls(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli", *args]


def _wait_http(url: str, child: _Child) -> None:
    # Imported here: every `byggpuls` command imports this module to build its command line,
    # and httpx (which loads rich, click and pygments for its own CLI) adds ~7 MB of RSS to a
    # gateway, on top of what it shares with it.
    import httpx

    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise SystemExit(f"byggpuls {child.name} exited with code {child.process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"byggpuls {child.name} did not become ready at {url}")


def _start_broker(
    args: argparse.Namespace, env: dict[str, str], data_dir: Path
) -> DemoBroker | None:
    """Start a broker unless ``BYGGPULS_MQTT_URL`` names one; point ``env`` at it."""
    from sandbox.broker import start_demo_broker

    if "BYGGPULS_MQTT_URL" in os.environ:
        print("demo: using the broker at BYGGPULS_MQTT_URL; its access control is its own")
        return None
    broker = start_demo_broker(data_dir, prefer_embedded=args.embedded_broker)
    env["BYGGPULS_MQTT_URL"] = broker.url
    print(f"demo: started {broker.kind} at {broker.url}")
    if broker.admin_url is None:
        print(
            "demo: amqtt has no access control: any client may read and publish anything,"
            " so there is no partner to show"
        )
    if not broker.guarantee:
        print(
            "demo: WARNING: the in-process amqtt broker does not redeliver unacknowledged "
            "messages, so the delivery guarantee does not hold; install Mosquitto "
            "(apt-get install mosquitto) for the real thing"
        )
    if not broker.shared_subscriptions:
        env["BYGGPULS_INGEST_SHARED_SUBSCRIPTION"] = "false"
    if broker.kind == "amqtt":
        # It speaks 3.1.1 only; saying so spares every client a refused MQTT 5 attempt.
        env["BYGGPULS_MQTT_PROTOCOL"] = "3.1.1"
    return broker


def _provision(
    args: argparse.Namespace, broker: DemoBroker | None, data_dir: Path
) -> DemoAccess | None:
    """Logins for every service and the sample partner, on a broker with access control."""
    if broker is None or broker.admin_url is None:
        return None
    from sandbox.demo_access import provision, simulated_buildings

    access = provision(
        data_dir=data_dir,
        admin_url=broker.admin_url,
        buildings=simulated_buildings(args.buildings, seed=args.seed),
    )
    print(
        f"demo: broker access control on: ingest, {len(access.gateways)} gateways and a partner"
        " each have a login of their own"
    )
    return access


def _start_services(
    args: argparse.Namespace,
    env: dict[str, str],
    children: list[_Child],
    access: DemoAccess | None,
) -> None:
    """Start ingest, API, gateway and analytics, each once the one before it is ready; with
    ``access``, each with its own credentials, and only the API with those that manage the
    broker."""
    metrics_port = free_port()
    env["BYGGPULS_INGEST_METRICS_PORT"] = str(metrics_port)
    ingest_env, api_env, logins = env, env, []
    if access is not None:
        from sandbox.demo_access import without_broker_admin

        env = without_broker_admin(env)
        ingest_env, api_env = access.ingest_env(env), access.api_env(env)
        logins = ["--broker-logins", str(access.logins_file)]
    ingest = _Child("ingest", _byggpuls("ingest"), ingest_env)
    children.append(ingest)
    # Ingest subscribes before the gateways publish: their first packs are then acknowledged
    # at once instead of waiting in the spools for a resend.
    _wait_http(f"http://127.0.0.1:{metrics_port}/readyz", ingest)
    api = _Child("api", _byggpuls("api", "--host", args.host, "--port", str(args.port)), api_env)
    children.append(api)
    _wait_http(f"http://{args.host}:{args.port}/healthz", api)
    gateway = _byggpuls(
        "gateway",
        *("--simulate", str(args.buildings), "--seed", str(args.seed)),
        *("--backfill-days", str(args.backfill_days)),
        *("--backfill-interval", str(args.backfill_interval)),
        *("--interval", str(args.interval)),
        *logins,
    )
    children.append(_Child("gateway", gateway, env))
    # Findings should show up soon after the backfill is stored, not a quarter of an hour later.
    children.append(_Child("analytics", _byggpuls("analytics", "--interval", "60"), env))


def _show_partner(args: argparse.Namespace, broker: DemoBroker, access: DemoAccess) -> None:
    """Print how to see the sample partner's stream and catalogue."""
    from api.settings import dashboard_url
    from sandbox.demo_access import partner_lines

    if access.partner is None:
        return
    lines = partner_lines(
        access.partner, broker_port=broker.port, dashboard_url=dashboard_url(args.host, args.port)
    )
    print("\n".join(lines))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir.resolve()
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    env = dict(os.environ)
    env["BYGGPULS_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    # The demo's dashboard opens without a login: every visitor is the demo user, an admin.
    env["BYGGPULS_API_AUTH"] = "demo"
    print(
        "demo: no login: everyone is the demo user (an admin); production needs logins"
        " (byggpuls admin create-user)"
    )
    for name in ("BYGGPULS_INFLUX_URL", "BYGGPULS_DATABASE_URL"):
        where = "set: using it" if name in os.environ else "unset: embedded SQLite"
        print(f"demo: {name} {where}")

    # Both stop the demo wherever it is, also while it waits for a service to start; SIGINT is
    # set explicitly because a shell starts background jobs with it ignored.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    broker = _start_broker(args, env, data_dir)
    children: list[_Child] = []
    try:
        access = _provision(args, broker, data_dir)
        _start_services(args, env, children, access)
        print(f"demo: dashboard at http://{args.host}:{args.port}/  (Ctrl-C stops the demo)")
        if broker is not None and access is not None:
            _show_partner(args, broker, access)
        while True:
            for child in children:
                if child.process.poll() is not None:
                    print(f"demo: {child.name} exited with code {child.process.returncode}")
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        print("demo: stopping")
        for child in reversed(children):
            child.stop()
        if broker is not None:
            broker.stop()
