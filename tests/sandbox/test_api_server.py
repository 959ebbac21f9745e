"""``byggpuls api`` as a child server over a data directory."""

from __future__ import annotations

from pathlib import Path

import httpx

from sandbox.api_server import ApiServer


def test_serves_its_data_directory_with_the_logins_asked_for_and_stops(tmp_path: Path) -> None:
    with ApiServer(workdir=tmp_path, auth="demo") as api:
        process = api.process
        assert httpx.get(f"{api.url}/healthz", timeout=10).json()["status"] == "ok"
        assert httpx.get(f"{api.url}/api/v1/me", timeout=10).json()["via"] == "demo"
    assert process is not None
    assert process.poll() is not None  # stopped with the block
    assert (tmp_path / "registry.sqlite3").is_file()

    with ApiServer(workdir=tmp_path) as api:  # logins required by default
        assert httpx.get(f"{api.url}/api/v1/me", timeout=10).status_code == 401
