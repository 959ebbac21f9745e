"""``byggpuls`` commands as child processes of a test, their output collected."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading


def byggpuls(*args: str) -> list[str]:
    """The command line of ``byggpuls ARGS`` with this interpreter."""
    return [sys.executable, "-m", "cli", *args]


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
