"""``byggpuls`` commands as child processes of a test, their output collected."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: A command that refuses its settings ends at once; this only bounds one that does not.
REFUSAL_DEADLINE_S = 60.0


def byggpuls(*args: str) -> list[str]:
    """The command line of ``byggpuls ARGS`` with this interpreter."""
    return [sys.executable, "-m", "cli", *args]


def run_with(command: str, data_dir: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """``byggpuls COMMAND`` to its end, with only ``settings`` of the ``BYGGPULS_*`` variables.

    Killed after :data:`REFUSAL_DEADLINE_S` (and the test failed) should it not end.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYGGPULS_")}
    env.update(BYGGPULS_DATA_DIR=str(data_dir), **settings)
    return subprocess.run(
        byggpuls(command),
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=REFUSAL_DEADLINE_S,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit code 2 and one paragraph on stderr with ``words`` in it, no traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert "\n\n" not in message
    for word in words:
        assert word in message, message


class Service:
    """A ``byggpuls`` command as a child process, its output collected."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def stop(self, *, timeout_s: float = 30.0, sig: signal.Signals = signal.SIGINT) -> int:
        """Ctrl-C (SIGINT, or ``sig``) unless it has ended; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout_s)
        self._reader.join(5)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code
