"""``byggpuls demo``: zero setup, the whole platform, history first, Ctrl-C stops it all, and
nothing outlives a killed demo. With Mosquitto the broker's access control is on: the partner
the demo prints receives its granted stream and nothing else, and anonymous clients are
refused."""

from __future__ import annotations

import os
import shlex
import signal
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from byggpuls import topics
from sandbox.servers import free_port
from tests.byggpuls.access.conftest import Probe
from tests.processes import Process, Service, byggpuls, descendants

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DEADLINE_SECONDS = 120.0
#: Mosquitto, ingest, api, gateway and analytics.
CHILDREN = 5


class Demo(Service):
    """``byggpuls demo`` with two buildings and two days of history, on a port of its own."""

    def __init__(self, tmp_path: Path, *extra: str) -> None:
        self.port = free_port()
        super().__init__(
            byggpuls(
                "demo",
                *("--buildings", "2", "--backfill-days", "2", "--backfill-interval", "3600"),
                *("--port", str(self.port), "--data-dir", str(tmp_path / "demo")),
                *extra,
            ),
            dict(os.environ),
        )

    def api(self, path: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=10)

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            assert self.process.poll() is None, "".join(self.lines[-40:])
            try:
                if condition():
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{what}:\n" + "".join(self.lines[-40:])
            time.sleep(0.5)


def history_days(demo: Demo, building: str) -> float:
    start = time.time() - 3 * 86_400
    answer = demo.api(
        f"/api/v1/buildings/{building}/series?point=el.energy&start={start:.0f}&every=1h"
    )
    if answer.status_code == 404:  # the building is known (the demo registers it), its points
        return 0.0  # not yet: its gateway has not described them
    samples = answer.json()["samples"]
    if len(samples) < 2:
        return 0.0
    first = datetime.fromisoformat(samples[0]["time"]).timestamp()
    last = datetime.fromisoformat(samples[-1]["time"]).timestamp()
    return (last - first) / 86_400


def printed(demo: Demo, command: str) -> list[str]:
    """The words of the ``command`` line the demo printed."""
    line = next(line for line in demo.lines if f"demo:   {command} " in line)
    return shlex.split(line[line.index(command) :])


def option(words: list[str], name: str) -> str:
    return words[words.index(name) + 1]


class Partner:
    """The partner of the printed ``mosquitto_sub`` command as a real MQTT client."""

    def __init__(self, demo: Demo) -> None:
        demo.wait_for(lambda: demo.said("demo:   mosquitto_sub "), "the partner's command")
        words = printed(demo, "mosquitto_sub")
        self.port, self.topic = int(option(words, "-p")), option(words, "-t")
        self.client = Probe(self.port, option(words, "-u"), option(words, "-P"))

    def received(self) -> bool:
        return any(topic == self.topic for topic, _ in list(self.client.messages))


def check_partner(demo: Demo, partner: Partner) -> None:
    """The printed partner may subscribe to its topic, not to everything, and its printed API
    key works; anonymous clients may not connect. The partner stays subscribed, to be asked
    later what it received."""
    assert not partner.client.connect().is_failure, partner.client.connack
    assert not partner.client.subscribe(partner.topic).is_failure
    everything = partner.client.subscribe(f"{topics.PREFIX}/#")
    assert everything.is_failure, everything
    assert everything.getName() == "Not authorized"
    anonymous = Probe(partner.port, None, None)
    try:
        assert anonymous.connect().is_failure
    finally:
        anonymous.close()
    words = printed(demo, "curl")
    school = partner.topic.split("/")[2]
    catalog = httpx.get(words[-1], headers=dict([option(words, "-H").split(": ", 1)]), timeout=10)
    assert catalog.status_code == 200, catalog.text
    assert school in catalog.text


@pytest.mark.parametrize("broker", ["mosquitto", "embedded"])
def test_demo_serves_the_portfolio_with_its_history(tmp_path: Path, broker: str) -> None:
    demo = Demo(tmp_path, *(["--embedded-broker"] if broker == "embedded" else []))
    partner: Partner | None = None
    try:
        demo.wait_for(lambda: demo.api("/healthz").status_code == 200, "the dashboard")
        if broker == "mosquitto":
            partner = Partner(demo)
            check_partner(demo, partner)
        demo.wait_for(lambda: demo.api("/api/v1/buildings").json()["count"] == 2, "2 buildings")
        building = demo.api("/api/v1/buildings").json()["items"][0]["id"]
        demo.wait_for(lambda: history_days(demo, building) >= 1.9, "two days of history")
        demo.wait_for(lambda: any("backfill done" in line for line in demo.lines), "live mode")
        page = demo.api("/")
        assert page.status_code == 200
        assert building in page.text
        if partner is not None:
            # The backfill, if it subscribed in time; else the first live reading.
            demo.wait_for(partner.received, f"a reading on {partner.topic}")
            assert {topic for topic, _ in list(partner.client.messages)} == {partner.topic}
    finally:
        if partner is not None:
            partner.client.close()
        # Ctrl-C in a terminal; a service manager's SIGTERM for the other.
        code = demo.stop(
            timeout_s=60, sig=signal.SIGINT if broker == "mosquitto" else signal.SIGTERM
        )
    output = "".join(demo.lines)
    assert code == 0, output[-3000:]
    assert f"dashboard at http://127.0.0.1:{demo.port}/" in output
    assert "backfilling 2.0 days" in output
    assert "demo: stopping" in output
    guarantee_warning = "the delivery guarantee does not hold" in output
    assert guarantee_warning is (broker == "embedded")
    assert ("amqtt has no access control" in output) is (broker == "embedded")
    assert ("demo:   mosquitto_sub " in output) is (broker == "mosquitto")


def test_a_killed_demo_leaves_no_process_behind(tmp_path: Path) -> None:
    demo = Demo(tmp_path)
    children: list[Process] = []
    try:
        demo.wait_for(lambda: demo.said("demo: dashboard at"), "every service started")
        children = descendants(demo.process.pid)
        commands = "\n".join(child.command for child in children)
        assert len(children) >= CHILDREN, commands
        demo.process.send_signal(signal.SIGKILL)
        demo.process.wait(DEADLINE_SECONDS)
        deadline = time.monotonic() + DEADLINE_SECONDS
        while any(child.alive() for child in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [child.command for child in children if child.alive()] == []
    finally:
        for child in children:
            child.kill()
        demo.kill()
