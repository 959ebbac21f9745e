"""How fast the broker follows the registry: a grant's end reaching a connected partner, and
reconciling a broker at scale.

    .venv/bin/python bench/access.py [--runs 10] [--gateways 1000] [--partners 50]
                                     [--sync-s 2.0] [--full-sync-s 60]

The target (the issue's): once a grant is revoked, or has expired, a connected partner
receives nothing more within 5 seconds. Tests may not assert durations; this measures them.

**Latency**, ``--runs`` times each way: a real Mosquitto with the dynamic-security plugin
(:class:`sandbox.servers.DynsecMosquittoServer`), a SQLite registry and an
:class:`~byggpuls.access.sync.AccessSync` started as the API starts it (production defaults:
a look every ``--sync-s``, a full comparison every ``--full-sync-s``). A gateway login
publishes a reading every 50 ms (QoS 1, its sequence number and publish time in the payload)
to a building's energy topic; the partner, granted it, subscribes (QoS 1). Then the grant
ends, three ways:

- ``revoke_api``: ``revoke_grant`` and ``poke()``, what a request to the API does;
- ``revoke_process``: ``revoke_grant`` in another process with no broker connection (a child
  of this script, as ``byggpuls admin revoke-grant`` with the broker unreachable), no poke:
  the sync finds it at its next timed look, so this one is bounded by ``sync_s``;
- ``expiry``: the grant expires at ``T_end``.

``T_end`` is taken just before ``revoke_grant`` is called, or is the expiry. Delivery stopped
at ``T_stop``, the publish time of the first reading after the last one the partner
received: the figure is ``T_stop - T_end``, to the 50 ms of the publishing. ``disconnect`` is
when the broker ended the partner's connection (the sync disconnects a client whose rights
changed). A random wait of up to ``sync_s`` before each revoke, and an expiry at a random
moment, sample every phase of the sync's timer.

**Scale**: a registry with ``--gateways`` gateway logins (one building each) and
``--partners`` partners, each granted 20 buildings x 2 domains, and a broker that knows
only its admin. Timed: the first full sync, a full sync with nothing to change, a look with
nothing changed (what every ``sync_s`` costs), and the look after one grant is revoked (the
API path: the floor of ``revoke_api`` at that scale). For each: wall time, Mosquitto's own
CPU time (``/proc/PID/stat``), this process's CPU time (registry, desired state, paho) and
the round trips to the plugin and its commands. A look with nothing changed is split into
the registry's snapshot and the desired state (a password derived for every login). The
plugin (Mosquitto 2.0) writes its whole state file after every command that changes it, so
the first full sync costs the broker about the square of the number of logins.

Progress goes to stderr; a table, then, as the last line, one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

# Run as a script, this folder would come first on the path and shadow the project's packages.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from byggpuls import topics
from byggpuls.access.credentials import BrokerPasswords
from byggpuls.access.mosquitto import MosquittoDynsec
from byggpuls.access.port import BrokerAccess, Changes
from byggpuls.access.sync import AccessSync, desired_state
from byggpuls.reading import BuildingInfo
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.partners import gateway_username
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import BrokerClientKind
from sandbox.servers import DynsecMosquittoServer

PASSWORDS: Final = BrokerPasswords("bench-access-credential-key-0123456789abcdef")
ADMIN: Final = "cli:bench"
PARTNER: Final = "bench-partner"
BUILDING: Final = BuildingInfo(id="bench-bygg", name="Benkbygg", type="school")
TOPIC: Final = topics.telemetry(BUILDING.id, "energy")
PUBLISH_EVERY_S: Final = 0.05
TARGET_S: Final = 5.0
#: Ends a wait for what never happens; never reached when the broker and sync work.
STUCK_S: Final = 60.0
#: With no disconnect, delivery counts as stopped after this long without a reading.
QUIET_S: Final = 1.0
#: How far ahead an expiring grant expires, plus up to sync_s: time to connect the partner.
EXPIRY_LEAD_S: Final = 3.0
KINDS: Final = ("revoke_api", "revoke_process", "expiry")
GRANT_BUILDINGS: Final = 20
GRANT_DOMAINS: Final = ("energy", "water")


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _open_registry(path: Path, *, create: bool = True) -> Registry:
    engine = make_engine(f"sqlite:///{path}")
    if create:
        migrate(engine)
    return Registry(engine)


def _wait(condition: Callable[[], bool], what: str, timeout_s: float = STUCK_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"never happened within {timeout_s:g} s: {what}")
        time.sleep(0.005)


class Partner:
    """The partner's MQTT 5 client; it does not reconnect, so the broker's kick is visible.
    Records each reading as (sequence number, publish time, arrival time)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"bench-partner-{uuid.uuid4().hex[:10]}",
            protocol=paho.MQTTv5,
            reconnect_on_failure=False,
        )
        self.client.username_pw_set(PARTNER, PASSWORDS.password(PARTNER, 1))
        self.received: list[tuple[int, float, float]] = []
        self.connack: ReasonCode | None = None
        self.suback: ReasonCode | None = None
        self.disconnected_at: float | None = None
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    def _on_connect(self, c: Any, u: Any, f: Any, reason: ReasonCode, p: Any) -> None:
        self.connack = reason

    def _on_subscribe(self, c: Any, u: Any, mid: int, reasons: list[ReasonCode], p: Any) -> None:
        self.suback = reasons[0]

    def _on_message(self, c: Any, u: Any, message: paho.MQTTMessage) -> None:
        seq, sent = message.payload.split()
        self.received.append((int(seq), float(sent), time.monotonic()))

    def _on_disconnect(self, c: Any, u: Any, f: Any, reason: ReasonCode, p: Any) -> None:
        self.disconnected_at = time.monotonic()

    def subscribed(self) -> bool:
        """Connect and subscribe to :data:`TOPIC`; whether the broker allowed both."""
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        _wait(lambda: self.connack is not None, "the partner's CONNACK")
        assert self.connack is not None
        if self.connack.is_failure:
            return False
        self.client.subscribe(TOPIC, qos=1)
        _wait(lambda: self.suback is not None or self.disconnected_at is not None, "a SUBACK")
        return self.suback is not None and not self.suback.is_failure

    def await_reading(self, *, after: int) -> None:
        """Wait for a reading numbered ``after`` or later, or for the end of the connection."""
        _wait(
            lambda: (
                self.disconnected_at is not None or any(seq >= after for seq, _, _ in self.received)
            ),
            "a reading for the partner",
        )

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Gateway:
    """The gateway's client, publishing a reading every :data:`PUBLISH_EVERY_S` in a thread;
    ``sent[seq]`` is when reading ``seq`` was handed to paho."""

    def __init__(self, port: int) -> None:
        username = gateway_username(BUILDING.id, "gw-1")
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-gateway", protocol=paho.MQTTv5
        )
        self.client.username_pw_set(username, PASSWORDS.password(username, 1))
        self.port = port
        self.sent: list[float] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-gateway", daemon=True)

    def start(self) -> None:
        connected = threading.Event()
        self.client.on_connect = lambda *args: connected.set()
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        _wait(connected.is_set, "the gateway's CONNACK")
        self._thread.start()

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stopping.is_set():
            now = time.monotonic()
            seq = len(self.sent)
            self.sent.append(now)
            self.client.publish(TOPIC, f"{seq} {now:.6f}".encode(), qos=1)
            next_at += PUBLISH_EVERY_S
            self._stopping.wait(max(0.0, next_at - time.monotonic()))

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self.client.disconnect()
        self.client.loop_stop()


class Revoker:
    """A child process that revokes grants in the registry on request, with no broker
    connection, as ``byggpuls admin revoke-grant`` does when the broker is unreachable."""

    def __init__(self, database: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--revoker", str(database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError("the revoking process did not start")

    def revoke(self, grant: int) -> float:
        """Revoke ``grant``; when (monotonic, system-wide) the child called ``revoke_grant``."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(f"{grant}\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def revoker_main(database: str) -> None:
    """The child of :class:`Revoker`: one grant id a line in, the time of each revoke out."""
    registry = _open_registry(Path(database), create=False)
    print("ready", flush=True)
    for line in sys.stdin:
        began = time.monotonic()
        registry.revoke_grant(int(line), actor=ADMIN)
        print(f"{began:.6f}", flush=True)
    registry.engine.dispose()


@dataclass
class Meter:
    """Round trips to the dynamic-security plugin, the commands in them, the time waited."""

    round_trips: int = 0
    commands: int = 0
    wait_s: float = 0.0


class MeteredDynsec(MosquittoDynsec):
    """The production adapter, counting its round trips to the plugin in ``meter``."""

    def __init__(self, *, meter: Meter, **login: Any) -> None:
        super().__init__(**login)
        self.meter = meter

    def _call(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        began = time.perf_counter()
        try:
            return super()._call(commands)
        finally:
            self.meter.round_trips += 1
            self.meter.commands += len(commands)
            self.meter.wait_s += time.perf_counter() - began


def opener(
    server: DynsecMosquittoServer, meter: Meter
) -> Callable[[], AbstractContextManager[BrokerAccess]]:
    """How the sync reaches ``server``'s plugin: a new admin connection each look, as in
    production (:func:`byggpuls.access.sync.broker_opener`)."""

    @contextmanager
    def open_broker() -> Iterator[BrokerAccess]:
        login = {"host": "127.0.0.1", "port": server.port, "username": server.admin_username}
        with MeteredDynsec(meter=meter, password=server.admin_password, **login) as broker:
            yield broker

    return open_broker


# -- latency -------------------------------------------------------------------------------


@dataclass
class Rig:
    registry: Registry
    sync: AccessSync
    broker: DynsecMosquittoServer
    gateway: Gateway
    revoker: Revoker
    sync_s: float


def _subscribed_partner(rig: Rig) -> Partner:
    """The partner, subscribed and receiving (the grant is on the broker already)."""
    for _ in range(20):
        partner = Partner(rig.broker.port)
        if partner.subscribed():
            partner.await_reading(after=len(rig.gateway.sent))
            if partner.disconnected_at is None:
                return partner
        partner.close()
        time.sleep(0.05)
    raise RuntimeError("the partner was never allowed to subscribe")


def _stopped(rig: Rig, partner: Partner, ended: float) -> dict[str, float | None]:
    """Wait until delivery to ``partner`` has stopped; the figures from ``ended`` on."""

    def stopped() -> bool:
        if partner.disconnected_at is not None:
            return True
        last = partner.received[-1][2] if partner.received else ended
        return time.monotonic() - max(last, ended) > QUIET_S

    _wait(stopped, "delivery to the partner stopped")
    last_seq, last_sent, _ = max(partner.received)
    _wait(lambda: len(rig.gateway.sent) > last_seq + 1, "the next reading published")
    disconnected = partner.disconnected_at
    return {
        "latency_s": rig.gateway.sent[last_seq + 1] - ended,
        "last_delivered_s": last_sent - ended,
        "disconnect_s": None if disconnected is None else disconnected - ended,
    }


def measure(rig: Rig, kind: str, rng: random.Random) -> dict[str, float | None]:
    """One grant, given, received and ended ``kind``'s way; its figures."""
    lead = EXPIRY_LEAD_S + rng.uniform(0, rig.sync_s)
    for _attempt in range(3):
        far = timedelta(seconds=lead) if kind == "expiry" else timedelta(days=30)
        expires = datetime.now(UTC) + far
        expires_mono = time.monotonic() + (expires.timestamp() - time.time())
        grant = rig.registry.create_grant(
            PARTNER, buildings=[BUILDING.id], domains=["energy"], expires_at=expires, actor=ADMIN
        )
        rig.sync.sync_once()  # applied when it returns (the thread's look holds the same lock)
        partner = _subscribed_partner(rig)
        try:
            if kind == "expiry":
                if time.monotonic() > expires_mono - 0.2:
                    lead *= 2  # the machine was too slow to connect the partner before expiry
                    continue
                ended = expires_mono
            else:
                time.sleep(rng.uniform(0, rig.sync_s))
                if kind == "revoke_api":
                    ended = time.monotonic()
                    rig.registry.revoke_grant(grant.id, actor=ADMIN)
                    rig.sync.poke()
                else:
                    ended = rig.revoker.revoke(grant.id)
            return _stopped(rig, partner, ended)
        finally:
            partner.close()
    raise RuntimeError("the partner could not be connected before its grant expired")


def latency(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    registry = _open_registry(workdir / "registry.sqlite3")
    registry.upsert_building(BUILDING)
    registry.create_user(PARTNER, role="partner", actor=ADMIN)
    registry.create_broker_client(
        kind=BrokerClientKind.PARTNER, partner=PARTNER, passwords=PASSWORDS, actor=ADMIN
    )
    registry.create_broker_client(
        kind=BrokerClientKind.GATEWAY,
        building=BUILDING.id,
        gateway="gw-1",
        passwords=PASSWORDS,
        actor=ADMIN,
    )
    samples: dict[str, list[dict[str, float | None]]] = {kind: [] for kind in KINDS}
    rng = random.Random(5)
    with DynsecMosquittoServer(workdir=workdir / "mosquitto") as broker:
        sync = AccessSync(
            registry,
            opener(broker, Meter()),
            PASSWORDS,
            sync_s=args.sync_s,
            full_sync_s=args.full_sync_s,
        )
        sync.start()
        gateway = Gateway(broker.port)
        revoker = Revoker(workdir / "registry.sqlite3")
        try:
            gateway.start()
            rig = Rig(registry, sync, broker, gateway, revoker, args.sync_s)
            for run in range(args.runs):
                for kind in KINDS:
                    sample = measure(rig, kind, rng)
                    samples[kind].append(sample)
                    disconnect = sample["disconnect_s"]
                    log(
                        f"latency {run + 1}/{args.runs} {kind}: stopped after "
                        f"{sample['latency_s']:.3f} s, disconnected after "
                        f"{'-' if disconnect is None else f'{disconnect:.3f}'} s"
                    )
        finally:
            revoker.close()
            gateway.stop()
            sync.stop()
            registry.engine.dispose()
    return {kind: _summary(found) for kind, found in samples.items()}


def _stats(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p95": None, "max": None}
    found = np.array(values)
    return {
        "median": round(float(np.median(found)), 3),
        "p95": round(float(np.percentile(found, 95)), 3),
        "max": round(float(found.max()), 3),
    }


def _summary(samples: list[dict[str, float | None]]) -> dict[str, Any]:
    figures: dict[str, Any] = {
        name: _stats([value for s in samples if (value := s[name]) is not None])
        for name in ("latency_s", "last_delivered_s", "disconnect_s")
    }
    worst = figures["latency_s"]["max"]
    figures["max_over_target"] = None if worst is None else round(worst / TARGET_S, 3)
    figures["not_disconnected"] = sum(1 for s in samples if s["disconnect_s"] is None)
    figures["samples"] = [
        {name: None if value is None else round(value, 4) for name, value in s.items()}
        for s in samples
    ]
    return figures


# -- scale ---------------------------------------------------------------------------------


def _broker_cpu_s(server: DynsecMosquittoServer) -> float:
    assert server.process is not None
    stat = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def seed_scale(registry: Registry, *, gateways: int, partners: int) -> None:
    """``gateways`` buildings with a gateway login each, ingest's login, and ``partners``
    partners with a login and one grant each (20 buildings x 2 domains, open ones)."""
    rng = random.Random(7)
    buildings = [f"bygg-{index:04d}" for index in range(max(gateways, GRANT_BUILDINGS))]
    for index, building in enumerate(buildings):
        registry.upsert_building(BuildingInfo(building, f"Bygg {index}", "office"))
        if index < gateways:
            registry.create_broker_client(
                kind=BrokerClientKind.GATEWAY,
                building=building,
                gateway="gw-1",
                passwords=PASSWORDS,
                actor=ADMIN,
            )
    registry.create_broker_client(
        kind=BrokerClientKind.SERVICE, service="ingest", passwords=PASSWORDS, actor=ADMIN
    )
    for index in range(partners):
        name = f"partner-{index:03d}"
        registry.create_user(name, role="partner", actor=ADMIN)
        registry.create_broker_client(
            kind=BrokerClientKind.PARTNER, partner=name, passwords=PASSWORDS, actor=ADMIN
        )
        registry.create_grant(
            name,
            buildings=rng.sample(buildings, GRANT_BUILDINGS),
            domains=GRANT_DOMAINS,
            expires_at=datetime.now(UTC) + timedelta(days=30),
            actor=ADMIN,
        )


def _counts(changes: Changes | None) -> dict[str, int]:
    """How many of each kind of change (none when the broker was not asked)."""
    if changes is None:
        return {}
    found = {f.name: len(getattr(changes, f.name)) for f in fields(changes)}
    return {name: count for name, count in found.items() if count}


def scale(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    registry = _open_registry(workdir / "scale.sqlite3")
    began = time.perf_counter()
    seed_scale(registry, gateways=args.gateways, partners=args.partners)
    figures: dict[str, Any] = {"seed_s": round(time.perf_counter() - began, 2)}
    log(f"scale: {args.gateways} gateways, {args.partners} partners seeded ({figures['seed_s']} s)")
    meter = Meter()
    with DynsecMosquittoServer(workdir=workdir / "mosquitto-scale") as broker:
        # Not started: each look is run here, as the sync's thread would run it.
        sync = AccessSync(registry, opener(broker, meter), PASSWORDS)

        def timed(name: str, step: Callable[[], Changes | None]) -> None:
            meter.round_trips, meter.commands, meter.wait_s = 0, 0, 0.0
            cpu, own, wall = _broker_cpu_s(broker), time.process_time(), time.perf_counter()
            changes = step()
            wall = time.perf_counter() - wall
            if sync.status.last_error is not None:
                raise RuntimeError(f"{name}: {sync.status.last_error}")
            figures[name] = {
                "wall_s": round(wall, 3),
                "broker_cpu_s": round(_broker_cpu_s(broker) - cpu, 3),
                "bench_cpu_s": round(time.process_time() - own, 3),
                "round_trips": meter.round_trips,
                "commands": meter.commands,
                "broker_wait_s": round(meter.wait_s, 3),
                "changes": _counts(changes),
            }
            log(f"scale: {name}: {wall:.3f} s")

        timed("first_full_sync", lambda: sync.sync_once(full=True))
        timed("full_sync_unchanged", lambda: sync.sync_once(full=True))
        sync.sync_once()  # the first look after a full sync also collects its garbage
        timed("look_unchanged", sync.sync_once)
        # Where a look with nothing changed spends its time, every sync_s.
        began = time.perf_counter()
        snapshot = registry.access_snapshot(datetime.now(UTC))
        figures["snapshot_s"] = round(time.perf_counter() - began, 4)
        began = time.perf_counter()
        desired_state(snapshot, PASSWORDS)
        figures["desired_state_s"] = round(time.perf_counter() - began, 4)
        grant = registry.grants(partner="partner-000")[0]
        began = time.perf_counter()
        registry.revoke_grant(grant.id, actor=ADMIN)
        figures["revoke_grant_s"] = round(time.perf_counter() - began, 4)
        timed("look_after_revoke", sync.sync_once)
        figures["dynsec_file_bytes"] = broker.dynsec_file.stat().st_size
    registry.engine.dispose()
    return figures


# -- report --------------------------------------------------------------------------------


def report(figures: dict[str, Any]) -> None:
    runs, sync_s = figures["runs"], figures["sync_s"]
    print(f"latency to delivery stopped, {runs} runs each (sync_s={sync_s:g}), target 5 s")
    print(f"{'':34s} {'median':>8s} {'p95':>8s} {'max':>8s} {'max/5 s':>8s}")
    labels = {
        "revoke_api": "revoke, API path (poke)",
        "revoke_process": "revoke, other process (no poke)",
        "expiry": "expiry",
    }
    for kind, label in labels.items():
        found = figures["latency"][kind]
        for name, text in (("latency_s", label), ("disconnect_s", "  partner disconnected")):
            stats = found[name]
            ratio = f"{found['max_over_target']:8.3f}" if name == "latency_s" else ""
            print(
                f"{text:34s} "
                + " ".join("       -" if v is None else f"{v:8.3f}" for v in stats.values())
                + f" {ratio}"
            )
    grid = figures["scale"]
    print(
        f"\nreconcile at scale: {figures['gateways']} gateways, {figures['partners']} partners "
        f"({GRANT_BUILDINGS} buildings x {len(GRANT_DOMAINS)} domains each)"
    )
    print(f"{'':30s} {'wall s':>8s} {'broker':>8s} {'bench':>8s} {'trips':>7s} {'commands':>8s}")
    for name in ("first_full_sync", "full_sync_unchanged", "look_unchanged", "look_after_revoke"):
        step = grid[name]
        print(
            f"{name:30s} {step['wall_s']:8.3f} {step['broker_cpu_s']:8.3f} "
            f"{step['bench_cpu_s']:8.3f} {step['round_trips']:7d} {step['commands']:8d}"
        )
    print("(broker, bench: CPU seconds of Mosquitto and of this process)")
    print(
        f"a look with nothing changed: registry snapshot {grid['snapshot_s']:.3f} s, desired "
        f"state {grid['desired_state_s']:.3f} s; the plugin's file {grid['dynsec_file_bytes']:,} B"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each latency")
    parser.add_argument("--gateways", type=int, default=1000, help="gateway logins at scale")
    parser.add_argument("--partners", type=int, default=50, help="partners at scale")
    parser.add_argument("--sync-s", type=float, default=2.0, help="the sync's look interval")
    parser.add_argument("--full-sync-s", type=float, default=60.0, help="full comparison")
    parser.add_argument("--revoker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.revoker is not None:
        revoker_main(args.revoker)
        return
    figures: dict[str, Any] = {
        "runs": args.runs,
        "sync_s": args.sync_s,
        "full_sync_s": args.full_sync_s,
        "publish_every_s": PUBLISH_EVERY_S,
        "target_s": TARGET_S,
        "gateways": args.gateways,
        "partners": args.partners,
        "cpus": os.cpu_count(),
        "load_before": [round(load, 2) for load in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="byggpuls-bench-access-") as tmp:
        figures["latency"] = latency(args, Path(tmp))
        figures["scale"] = scale(args, Path(tmp))
    figures["load_after"] = [round(load, 2) for load in os.getloadavg()]
    report(figures)
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
