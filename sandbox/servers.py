"""Mosquitto, NATS and InfluxDB as child processes on free ports, for the demo, tests, benchmarks.

Each server runs with the configuration from ``deploy/`` and keeps its state in a directory of
its own, so several can run side by side and a stopped server can be started again with its
data (to test outages and restarts). Every child process started here dies with the process
that started it (:func:`die_with_parent`), however that one dies.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Self

from byggpuls.errors import ConfigError

logger = logging.getLogger(__name__)

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy"
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0
_SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
#: prctl(2) option: the signal a process receives when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


#: The PostgreSQL the development and CI machines run (trust auth, database ``test``).
LOCAL_POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"


@contextlib.contextmanager
def postgres_schema(url: str = LOCAL_POSTGRES_URL, *, prefix: str = "t") -> Iterator[str]:
    """A URL of ``url``'s database whose connections use a fresh schema, dropped afterwards.

    Each test or benchmark run gets tables of its own on a shared server.
    """
    import sqlalchemy as sa

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield f"{url}?options=-csearch_path%3D{schema}"
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen` that ties the child's life to this process.

    A process killed with SIGKILL (or by the OOM killer) stops none of its children; the
    kernel's parent-death signal does: the child gets SIGKILL when its parent goes. SIGKILL,
    not a polite SIGTERM: a child that hung while stopping would stay behind, and the services
    are built to survive being killed (disk spool, acknowledgement after the durable write).

    The kernel sends the signal when the *thread* that started the child ends, so the tie is
    made only for children started from the main thread, and only on Linux; elsewhere this
    returns None, no tie.
    """
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return None
    import ctypes  # imported when a child is started, not with this module

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent_pid = os.getpid()

    def set_parent_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent_pid:  # the parent died before the signal was set
            os.kill(os.getpid(), signal.SIGKILL)

    return set_parent_death_signal


def find_binary(name: str) -> str | None:
    """Locate a server binary, looking in the sbin directories Debian installs them to."""
    return shutil.which(name, path=_SBIN_PATH)


def _wait_for_port(
    port: int,
    *,
    process: subprocess.Popen[bytes],
    log_path: Path,
    timeout_s: float = START_TIMEOUT_SECONDS,
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with code {process.returncode}: {log_path.read_text()[-2000:]}"
            )
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen on port {port} within {timeout_s}s")


@dataclass
class _ChildServer:
    """A server process that can be stopped, killed and started again on the same port."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _log: IO[bytes] | None = field(default=None, init=False)
    #: A bound, not listening, socket on :attr:`port` while the server is down with its port
    #: held: connections are refused as without a server, and no other server takes the port.
    _holder: socket.socket | None = field(default=None, init=False)

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def _command(self) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def _wait_ready(self) -> None:
        assert self.process is not None
        _wait_for_port(self.port, process=self.process, log_path=self.log_path)

    def start(self) -> Self:
        if self.running:
            return self
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv, env = self._command()
        self._hold_port(False)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - two system calls, no locks
        )
        try:
            self._wait_ready()
        except BaseException:
            self.kill()  # a server that is not ready is not left running either
            raise
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, *, hold_port: bool = False) -> None:
        """Stop gracefully (SIGTERM), so the server saves its state.

        ``hold_port`` keeps the port from other servers until :meth:`start`: for an outage
        long enough that another test could pick the freed port and take it.
        """
        self._end(signal.SIGTERM)
        self._hold_port(hold_port)

    def kill(self, *, hold_port: bool = False) -> None:
        """Stop abruptly (SIGKILL), as a crash or power loss would; ``hold_port`` as for
        :meth:`stop`."""
        self._end(signal.SIGKILL)
        self._hold_port(hold_port)

    def _hold_port(self, hold: bool) -> None:
        if self._holder is not None:
            self._holder.close()
            self._holder = None
        if hold:
            holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            # Bound despite the server's connections in TIME_WAIT; not listening, so refused.
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                holder.bind(("127.0.0.1", self.port))
            except OSError:
                holder.close()
                raise
            self._holder = holder

    def _end(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> Self:
        self.stop()
        return self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class TlsFiles:
    """A TLS listener's files (PEM): the CA that clients trust and that signs client
    certificates, the server's certificate and key; with ``require_certificate``, a client
    must present a certificate signed by ``ca_file``."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    require_certificate: bool = False


@dataclass
class MosquittoServer(_ChildServer):
    """Mosquitto with ``deploy/mosquitto/conf.d`` and persistence under ``workdir``.

    ``password_file`` (made with ``mosquitto_passwd``) turns anonymous access off; ``tls``
    makes the listener speak TLS only (``mqtts://``).
    """

    password_file: Path | None = None
    tls: TlsFiles | None = None

    def _command(self) -> tuple[list[str], dict[str, str]]:
        binary = find_binary("mosquitto")
        if binary is None:
            raise ConfigError("mosquitto is not installed: apt-get install mosquitto")
        data_dir = self.workdir / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "mosquitto.conf"
        config.write_text(
            "\n".join(
                [
                    # Started as root, Mosquitto would switch to its own user, which cannot
                    # write to our directory; keep the current user.
                    f"user {getpass.getuser()}",
                    f"listener {self.port} 127.0.0.1",
                    *self._tls_lines(),
                    *(
                        ["allow_anonymous true"]
                        if self.password_file is None
                        else ["allow_anonymous false", f"password_file {self.password_file}"]
                    ),
                    f"persistence_location {data_dir}/",
                    "log_type error",
                    "log_type warning",
                    "log_type notice",
                    f"include_dir {DEPLOY_DIR / 'mosquitto' / 'conf.d'}",
                    "",
                ]
            )
        )
        return [binary, "-c", str(config)], dict(os.environ)

    def _tls_lines(self) -> list[str]:
        if self.tls is None:
            return []
        return [
            f"cafile {self.tls.ca_file}",
            f"certfile {self.tls.cert_file}",
            f"keyfile {self.tls.key_file}",
            f"require_certificate {str(self.tls.require_certificate).lower()}",
        ]

    @property
    def url(self) -> str:
        scheme = "mqtt" if self.tls is None else "mqtts"
        return f"{scheme}://127.0.0.1:{self.port}"


@dataclass
class NatsServer(_ChildServer):
    """NATS Server with ``deploy/nats/nats-server.conf``: MQTT 3.1.1 on :attr:`port`, sessions
    and QoS 1 messages in JetStream under ``workdir``.

    It stands for the brokers that accept ``$share`` subscriptions and deliver nothing to them.
    """

    #: The NATS protocol's own port, which nothing here uses but which must not collide.
    nats_port: int = field(default_factory=free_port)

    def _command(self) -> tuple[list[str], dict[str, str]]:
        binary = find_binary("nats-server")
        if binary is None:
            raise ConfigError("nats-server is not installed: apt-get install nats-server")
        env = dict(os.environ)
        env.update(
            NATS_SERVER_NAME=f"byggpuls-{self.port}",
            NATS_HOST="127.0.0.1",
            NATS_PORT=str(self.nats_port),
            NATS_MQTT_PORT=str(self.port),
            NATS_STORE_DIR=str(self.workdir / "jetstream"),
        )
        return [binary, "-c", str(DEPLOY_DIR / "nats" / "nats-server.conf")], env

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"


@dataclass
class InfluxServer(_ChildServer):
    """``influxd`` with ``deploy/influxdb/influxdb.conf``, auth on, and an admin user."""

    username: str = "byggpuls"
    password: str = "byggpuls-test-password"  # noqa: S105 - a throwaway local server
    database: str = "byggpuls"
    rpc_port: int = field(default_factory=free_port)

    def _command(self) -> tuple[list[str], dict[str, str]]:
        binary = find_binary("influxd")
        if binary is None:
            raise ConfigError("influxd is not installed: apt-get install influxdb")
        env = dict(os.environ)
        env.update(
            INFLUXDB_META_DIR=str(self.workdir / "meta"),
            INFLUXDB_DATA_DIR=str(self.workdir / "data"),
            INFLUXDB_DATA_WAL_DIR=str(self.workdir / "wal"),
            INFLUXDB_HTTP_BIND_ADDRESS=f"127.0.0.1:{self.port}",
            INFLUXDB_BIND_ADDRESS=f"127.0.0.1:{self.rpc_port}",
        )
        return [binary, "-config", str(DEPLOY_DIR / "influxdb" / "influxdb.conf")], env

    def _wait_ready(self) -> None:
        import httpx  # only InfluxDB needs it: the gateway imports this module (~7 MB)

        super()._wait_ready()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while httpx.get(f"{self.http_url}/ping", timeout=2).status_code != 204:
            if time.monotonic() > deadline:
                raise RuntimeError("influxd did not answer /ping")
            time.sleep(0.05)
        # With auth on and no user yet, InfluxDB lets exactly this statement through without
        # credentials; once the user exists (a restart), it answers 401.
        statement = (
            f"CREATE USER {self.username} WITH PASSWORD '{self.password}' WITH ALL PRIVILEGES"
        )
        answer = httpx.post(f"{self.http_url}/query", data={"q": statement}, timeout=10)
        if answer.status_code not in (200, 401):
            answer.raise_for_status()
        self.create_database(self.database)

    def create_database(self, name: str) -> None:
        """Create database ``name`` (a no-op when it exists)."""
        import httpx

        httpx.post(
            f"{self.http_url}/query",
            auth=(self.username, self.password),
            data={"q": f'CREATE DATABASE "{name}"'},
            timeout=10,
        ).raise_for_status()

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The URL in the form ``BYGGPULS_INFLUX_URL`` takes: credentials and database in it."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """The ``BYGGPULS_INFLUX_URL`` of another database on this server."""
        return f"http://{self.username}:{self.password}@127.0.0.1:{self.port}/{database}"


@dataclass
class DynsecMosquittoServer(MosquittoServer):
    """Mosquitto with ``deploy/mosquitto/dynsec.conf``: the dynamic-security plugin decides who
    may connect, publish and subscribe; anonymous clients are refused.

    The plugin's state lives in :attr:`dynsec_file`; on start, a missing file is created with
    only the admin client (``admin_username``), as ``mosquitto_ctrl dynsec init`` does. Delete
    the file (:meth:`reset_dynsec`) while the server is down to start it again with nothing but
    the admin.
    """

    admin_username: str = "byggpuls-admin"
    admin_password: str = "byggpuls-admin-test-password"  # noqa: S105 - a throwaway local server

    @property
    def dynsec_file(self) -> Path:
        return self.workdir / "dynamic-security.json"

    def reset_dynsec(self) -> None:
        """Forget every client and role but the admin (only while the server is stopped)."""
        if self.running:
            raise RuntimeError("stop the broker before resetting its dynamic-security state")
        self.dynsec_file.unlink(missing_ok=True)
        self._init_dynsec()

    def _init_dynsec(self) -> None:
        ctrl = find_binary("mosquitto_ctrl")
        if ctrl is None:
            raise ConfigError("mosquitto_ctrl is not installed: apt-get install mosquitto-clients")
        subprocess.run(
            [
                ctrl,
                "dynsec",
                "init",
                str(self.dynsec_file),
                self.admin_username,
                self.admin_password,
            ],
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT_SECONDS,
        )

    def _command(self) -> tuple[list[str], dict[str, str]]:
        from string import Template  # only this server fills a config template

        binary = find_binary("mosquitto")
        if binary is None:
            raise ConfigError("mosquitto is not installed: apt-get install mosquitto")
        data_dir = self.workdir / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        if not self.dynsec_file.exists():
            self._init_dynsec()
        template = Template((DEPLOY_DIR / "mosquitto" / "dynsec.conf").read_text())
        config = self.workdir / "mosquitto.conf"
        config.write_text(
            template.substitute(
                user=getpass.getuser(),
                port=self.port,
                host="127.0.0.1",
                dynsec_file=self.dynsec_file,
                data_dir=data_dir,
                conf_dir=DEPLOY_DIR / "mosquitto" / "conf.d",
            )
        )
        return [binary, "-c", str(config)], dict(os.environ)
