"""The access benchmark runs end to end on a tiny registry and ends with its JSON figures.

No figure is checked against a duration: only that every one is there.
"""

from __future__ import annotations

import json

import pytest

from bench import access

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_benchmark_ends_with_one_json_object_of_every_figure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    access.main(["--runs", "1", "--gateways", "20", "--partners", "2", "--sync-s", "0.5"])

    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert isinstance(figures, dict)
    assert {"runs", "sync_s", "target_s", "latency", "scale", "load_before"} <= figures.keys()
    for kind in access.KINDS:
        found = figures["latency"][kind]
        assert {"latency_s", "disconnect_s", "last_delivered_s", "max_over_target"} <= found.keys()
        assert set(found["latency_s"]) == {"median", "p95", "max"}
        assert found["latency_s"]["max"] is not None
        assert len(found["samples"]) == 1
    scale = figures["scale"]
    for step in ("first_full_sync", "full_sync_unchanged", "look_unchanged", "look_after_revoke"):
        assert {"wall_s", "broker_cpu_s", "bench_cpu_s", "round_trips", "commands"} <= scale[
            step
        ].keys()
    # 20 gateways, ingest and 2 partners: each a login and a role on the empty broker.
    assert scale["first_full_sync"]["changes"] == {"clients_created": 23, "roles_created": 23}
    assert scale["full_sync_unchanged"]["changes"] == {}
    assert scale["look_after_revoke"]["changes"] == {"roles_updated": 1, "clients_kicked": 1}
