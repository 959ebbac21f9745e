"""``byggpuls`` commands as child processes of a test, their output collected, never left behind.

Every :class:`Service` dies with the test process (a parent-death signal), and the autouse
fixture in ``tests/conftest.py`` kills any that a test did not stop, also when it failed or
timed out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from sandbox.servers import die_with_parent

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

    #: Started and not yet stopped or killed: what the autouse fixture ends after each test.
    running: ClassVar[set[Service]] = set()

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - two system calls, no locks
        )
        Service.running.add(self)
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
        """Ctrl-C (SIGINT, or ``sig``) unless it has ended; its exit code.

        One that has not ended within ``timeout_s`` is killed, and the timeout raised.
        """
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self._release()
        return code

    def kill(self) -> None:
        """SIGKILL unless it has ended, and collect it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._release()

    def _release(self) -> None:
        Service.running.discard(self)
        self._reader.join(5)
        assert self.process.stdout is not None
        self.process.stdout.close()


@dataclass(frozen=True)
class Process:
    """A process seen in ``/proc``, told apart from a later one that reuses its PID."""

    pid: int
    #: Clock ticks from boot to its start (``/proc/PID/stat`` field 22).
    started: int
    command: str = field(compare=False)

    def alive(self) -> bool:
        """Whether it still runs (a zombie has ended: it only waits to be collected)."""
        stat = _stat(self.pid)
        return stat is not None and stat.started == self.started and stat.state not in "ZX"

    def kill(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


@dataclass(frozen=True)
class _Stat:
    state: str
    parent: int
    started: int


def _stat(pid: int) -> _Stat | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
    fields = text[text.rindex(")") + 2 :].split()
    return _Stat(state=fields[0], parent=int(fields[1]), started=int(fields[19]))


def descendants(pid: int) -> list[Process]:
    """The living processes below ``pid``: its children, theirs, and so on."""
    children: dict[int, list[tuple[int, _Stat]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(stat.parent, []).append((int(entry.name), stat))
    found: list[Process] = []
    below = [pid]
    while below:
        for child, stat in children.get(below.pop(), []):
            if stat.state in "ZX":
                continue
            command = _command(child)
            found.append(Process(pid=child, started=stat.started, command=command))
            below.append(child)
    return found


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except (FileNotFoundError, ProcessLookupError):
        return "?"
