"""``byggpuls api`` as a child process over a data directory, for the browser test and the API
benchmark: the same start, readiness and stop as the other servers (:mod:`sandbox.servers`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from sandbox.servers import _ChildServer, _wait_for_port

#: Seconds the API may take to listen: it imports FastAPI, migrates the registry and checks the
#: store first, seconds on a quiet machine and several times that beside a busy test run.
START_TIMEOUT_S = 120.0
#: Settings of the environment that would point the API elsewhere than its data directory.
_ELSEWHERE = ("BYGGPULS_DATABASE_URL", "BYGGPULS_INFLUX_URL")


@dataclass
class ApiServer(_ChildServer):
    """``byggpuls api`` on :attr:`port`, over the embedded stores in :attr:`workdir` (or the
    registry ``env`` names), with logins as ``auth`` says. Ready once it listens: it listens
    only after the app has started."""

    auth: str = "required"
    env: Mapping[str, str] = field(default_factory=dict)

    def _wait_ready(self) -> None:
        assert self.process is not None
        _wait_for_port(
            self.port, process=self.process, log_path=self.log_path, timeout_s=START_TIMEOUT_S
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _command(self) -> tuple[list[str], dict[str, str]]:
        env = {k: v for k, v in os.environ.items() if k not in _ELSEWHERE}
        env |= {
            "BYGGPULS_DATA_DIR": str(self.workdir),
            "BYGGPULS_API_AUTH": self.auth,
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        argv = [sys.executable, "-m", "cli", "api", "--host", "127.0.0.1", "--port", str(self.port)]
        return argv, env
