"""``byggpuls api``: serves the app with uvicorn, says where, and stops cleanly."""

from __future__ import annotations

import argparse
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cli.commands import api as command

#: Runs the command the way ``cli.main`` does: its arguments, run(), 130 on Ctrl-C.
RUN = """
import argparse, sys
from cli.commands import api as command
parser = argparse.ArgumentParser()
command.add_arguments(parser)
try:
    sys.exit(command.run(parser.parse_args(sys.argv[1:])))
except KeyboardInterrupt:
    sys.exit(130)
"""
START_DEADLINE_S = 60.0


def test_options() -> None:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    args = parser.parse_args(["--host", "0.0.0.0", "--port", "8123"])
    assert (args.host, args.port) == ("0.0.0.0", 8123)
    defaults = parser.parse_args([])
    assert (defaults.host, defaults.port) == (None, None)


def read_line(process: subprocess.Popen[str], deadline_s: float) -> str:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if selector.select(timeout=0.5):
            return process.stdout.readline()
        if process.poll() is not None:
            break
    return ""


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serves_the_dashboard_on_embedded_defaults(tmp_path: Path, stop: signal.Signals) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYGGPULS_")}
    env["BYGGPULS_DATA_DIR"] = str(tmp_path / "var")
    process = subprocess.Popen(
        [sys.executable, "-c", RUN, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        line = read_line(process, START_DEADLINE_S)
        assert line.startswith("Byggpuls dashboard: http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].strip()
        assert httpx.get(f"{url}healthz", timeout=10).json()["status"] == "ok"
        # Logins are required by default: the dashboard sends the browser to the login page.
        page = httpx.get(url, headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2F"
        login = httpx.get(f"{url}login", timeout=10)
        assert login.status_code == 200
        assert 'name="password"' in login.text
        process.send_signal(stop)
        _, errors = process.communicate(timeout=30)
        # Nobody can log in yet, and the log says how to change that.
        assert "byggpuls admin create-user NAME --role admin" in errors
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    # SIGTERM ends the command normally; SIGINT as an interrupted command does.
    expected = 0 if stop is signal.SIGTERM else 130
    assert process.returncode == expected, errors
    assert (tmp_path / "var" / "readings.sqlite3").is_file()
    assert (tmp_path / "var" / "registry.sqlite3").is_file()
