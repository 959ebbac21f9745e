"""The acker: durable packs are acknowledged to their gateway, at once after a quiet spell and
gathered into ranges while busy, at most one message per gateway per interval.

The test is the broker (a FakeSession) and the clock; nothing here waits for a thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from byggpuls import topics, wire
from byggpuls.mqtt import FakePublish, FakeSession
from ingest.acker import Acker
from ingest.metrics import IngestMetrics

#: Binary fractions, so that the clock's steps add up exactly.
INTERVAL_S = 0.25
HALF_S = INTERVAL_S / 2
GW1_TOPIC = topics.ack("skole-01", "gw-1")


@dataclass
class Clock:
    now_s: float = 1000.0

    def __call__(self) -> float:
        return self.now_s


@dataclass
class Rig:
    session: FakeSession
    clock: Clock
    metrics: IngestMetrics
    acker: Acker

    def acks(self, topic: str = GW1_TOPIC) -> list[list[tuple[int, int]]]:
        """The ranges of each acknowledgement sent on ``topic``, in order."""
        return [wire.decode_ack(m.payload) for m in self.session.sent if m.topic == topic]

    def sample(self, name: str) -> float | None:
        return self.metrics.registry.get_sample_value(f"byggpuls_ingest_{name}_total")


@pytest.fixture
def rig() -> Rig:
    session = FakeSession(client_id="ingest-unit")
    session.connect()
    clock = Clock()
    metrics = IngestMetrics()
    acker = Acker(session, metrics=metrics, interval_s=INTERVAL_S, clock=clock)
    return Rig(session=session, clock=clock, metrics=metrics, acker=acker)


def test_nothing_to_acknowledge_sends_nothing(rig: Rig) -> None:
    assert rig.acker.flush() is None
    assert rig.acker.flush(everything=True) is None
    assert rig.session.sent == []
    assert rig.acker.pending == 0


def test_the_first_packs_after_a_quiet_spell_are_acknowledged_at_once(rig: Rig) -> None:
    rig.acker.add([("skole-01", "gw-1", 5)])
    assert rig.acker.pending == 1
    assert rig.acker.flush() is None  # nothing left waiting
    [message] = rig.session.sent
    assert (message.topic, message.qos, message.retain) == (GW1_TOPIC, 1, False)
    assert message.payload == wire.encode_ack([5])[0]
    assert rig.acker.pending == 0


def test_packs_within_the_interval_wait_and_go_together_as_ranges(rig: Rig) -> None:
    rig.acker.add([("skole-01", "gw-1", 5)])
    rig.acker.flush()
    rig.clock.now_s += HALF_S
    rig.acker.add([("skole-01", "gw-1", seq) for seq in (9, 6, 7)])
    rig.acker.add([("skole-01", "gw-1", 6)])  # a repeat, acknowledged once
    # Not yet: the gateway had one this interval; the flush says when the next is due.
    assert rig.acker.flush() == pytest.approx(INTERVAL_S - HALF_S)
    assert rig.acks() == [[(5, 5)]]
    assert rig.acker.pending == 3

    rig.clock.now_s += HALF_S
    assert rig.acker.flush() is None
    assert rig.acks() == [[(5, 5)], [(6, 7), (9, 9)]]
    assert rig.acker.pending == 0


def test_each_gateway_has_its_own_topic_and_its_own_interval(rig: Rig) -> None:
    rig.acker.add([("skole-01", "gw-1", 1), ("skole-01", "gw-2", 1), ("hall-02", "gw-1", 3)])
    rig.acker.flush()
    assert sorted((m.topic, m.payload) for m in rig.session.sent) == sorted(
        [
            (GW1_TOPIC, b'{"seq":[[1,1]]}'),
            (topics.ack("skole-01", "gw-2"), b'{"seq":[[1,1]]}'),
            (topics.ack("hall-02", "gw-1"), b'{"seq":[[3,3]]}'),
        ]
    )
    # gw-1 was just acknowledged, gw-3 never was: one waits, the other goes at once.
    rig.clock.now_s += HALF_S
    before = len(rig.session.sent)
    rig.acker.add([("skole-01", "gw-1", 2), ("skole-01", "gw-3", 8)])
    assert rig.acker.flush() == pytest.approx(INTERVAL_S - HALF_S)
    assert [m.topic for m in rig.session.sent[before:]] == [topics.ack("skole-01", "gw-3")]
    assert rig.acker.pending == 1


def test_everything_sends_what_waits_for_its_interval(rig: Rig) -> None:
    rig.acker.add([("skole-01", "gw-1", 1)])
    rig.acker.flush()
    rig.acker.add([("skole-01", "gw-1", 2), ("skole-01", "gw-1", 3)])
    assert rig.acker.flush() is not None
    assert rig.acker.flush(everything=True) is None
    assert rig.acks() == [[(1, 1)], [(2, 3)]]
    assert rig.acker.pending == 0


def test_the_loop_sends_the_rest_when_it_stops(rig: Rig) -> None:
    rig.acker.add([("skole-01", "gw-1", 1)])
    rig.acker.flush()
    rig.acker.add([("skole-01", "gw-1", 2)])  # within the interval: it would wait
    stopping = threading.Event()
    stopping.set()
    rig.acker.run(stopping)
    assert rig.acks() == [[(1, 1)], [(2, 2)]]
    assert rig.acker.pending == 0


def test_messages_and_packs_acknowledged_are_counted(rig: Rig) -> None:
    assert rig.sample("gateway_acks_published") == 0.0
    assert rig.sample("gateway_packs_acknowledged") == 0.0
    rig.acker.add([("skole-01", "gw-1", seq) for seq in (1, 2, 3)])
    rig.acker.flush()
    assert rig.sample("gateway_acks_published") == 1.0
    assert rig.sample("gateway_packs_acknowledged") == 3.0
    # More ranges than one message holds: two messages, every pack counted once.
    spread = [("skole-01", "gw-2", 2 * i) for i in range(wire.ACK_MAX_RANGES + 1)]
    rig.acker.add(spread)
    rig.acker.flush()
    gw2: list[FakePublish] = [
        m for m in rig.session.sent if m.topic == topics.ack("skole-01", "gw-2")
    ]
    assert len(gw2) == 2
    assert rig.sample("gateway_acks_published") == 3.0
    assert rig.sample("gateway_packs_acknowledged") == 3.0 + len(spread)
