"""The publisher against a FakeSession: its window, what a refusal does, and what it resends.

The test plays the broker (connects, PUBACKs, refusals, lost connections) and ingest (its
end-to-end acknowledgements, :meth:`Rig.ack`), and turns the publisher's crank itself
(:meth:`SpoolPublisher.step`), on a clock of its own: nothing here waits for a thread, but
the clean stop, which runs in one of its own as a gateway's stop does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byggpuls import topics, wire
from byggpuls.errors import ConfigError
from byggpuls.mqtt import RECONNECT_MIN_SECONDS, FakePublish, FakeSession
from byggpuls.reading import BuildingInfo, PointInfo, Reading
from gateway.publisher import ACK_WAIT_MAX_S, SpoolPublisher, ack_wait
from gateway.spool import Spool

BUILDING = BuildingInfo(id="b1", name="Test building", type="school")
GATEWAY = "gw-b1"
POINT = PointInfo(point="room1.temp", domain="climate", quantity="temperature", unit="Cel")
STATUS_TOPIC = topics.status(BUILDING.id, GATEWAY)
META_TOPIC = topics.meta(BUILDING.id, GATEWAY)
TELEMETRY_TOPIC = topics.telemetry(BUILDING.id, POINT.domain)
ACK_TOPIC = topics.ack(BUILDING.id, GATEWAY)
WINDOW = 3
STATUS_INTERVAL_S = 60.0
#: The rig's wait for ingest's acknowledgement; exact in binary, as the clock's steps are.
ACK_TIMEOUT_S = 30.0
T0_MS = 1_764_201_600_000


@dataclass
class Clock:
    """The publisher's monotonic clock, moved by the test."""

    now_s: float = 1000.0

    def __call__(self) -> float:
        return self.now_s


@dataclass
class Rig:
    """A publisher on a spool and a fake session, and what it reported."""

    spool: Spool
    session: FakeSession
    clock: Clock
    publisher: SpoolPublisher
    delivered_calls: list[None] = field(default_factory=list)
    spooled: int = 0

    def spool_packs(self, count: int) -> None:
        """Spool ``count`` packs of one reading each: pack ``k`` has the value ``k`` (1-based)."""
        for _ in range(count):
            self.spooled += 1
            reading = Reading(
                building=BUILDING.id,
                point=POINT.point,
                quantity=POINT.quantity,
                time_ms=T0_MS + self.spooled * 60_000,
                value=float(self.spooled),
                unit=POINT.unit,
            )
            self.spool.append([reading], domain_of={POINT.point: POINT.domain})

    def telemetry(self, messages: list[FakePublish] | None = None) -> list[int]:
        """The sequence numbers of the packs among ``messages`` (default: all sent), in order."""
        sent = self.session.sent if messages is None else messages
        return [seq(message) for message in sent if message.topic == TELEMETRY_TOPIC]

    def pack(self, number: int) -> FakePublish:
        """The last sending of pack ``number``."""
        return [m for m in self.session.sent if m.topic == TELEMETRY_TOPIC and seq(m) == number][-1]

    def ack(self, *seqs: int) -> None:
        """Ingest says packs ``seqs`` are durable, on the gateway's acknowledgement topic."""
        for payload in wire.encode_ack(seqs):
            self.session.deliver(ACK_TOPIC, payload)

    def status(self, message: FakePublish | None = None) -> wire.Status:
        """Status ``message`` (default: the last status sent), decoded."""
        if message is None:
            message = [m for m in self.session.sent if m.topic == STATUS_TOPIC][-1]
        return wire.decode_status(message.payload)


def seq(message: FakePublish) -> int:
    number: int = json.loads(message.payload)[0]["seq"]
    return number


def kinds(messages: list[FakePublish]) -> list[str]:
    """``meta``, ``status`` or the pack's seq, for each message."""
    names = {META_TOPIC: "meta", STATUS_TOPIC: "status"}
    return [names.get(m.topic) or f"pack {seq(m)}" for m in messages]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    spool = Spool(
        tmp_path / "spool.sqlite3",
        building=BUILDING.id,
        gateway=GATEWAY,
        max_readings=10,
        durable=False,
    )
    session = FakeSession(client_id=GATEWAY)
    clock = Clock()
    publisher = SpoolPublisher(
        spool=spool,
        session=session,
        gateway=GATEWAY,
        building=BUILDING,
        points=[POINT],
        max_inflight_packs=WINDOW,
        status_interval_s=STATUS_INTERVAL_S,
        ack_timeout_s=ACK_TIMEOUT_S,
        clock=clock,
    )
    made = Rig(spool=spool, session=session, clock=clock, publisher=publisher)
    publisher.on_delivered = lambda: made.delivered_calls.append(None)
    try:
        yield made
    finally:
        spool.close()


def test_nothing_is_published_before_the_first_connect(rig: Rig) -> None:
    rig.spool_packs(2)
    rig.publisher.step()
    assert rig.session.sent == []
    assert rig.publisher.in_flight == 0


def test_births_come_first_then_at_most_a_window_of_packs(rig: Rig) -> None:
    rig.spool_packs(5)
    rig.session.connect()
    rig.publisher.step()
    assert kinds(rig.session.sent) == ["meta", "status", "pack 1", "pack 2", "pack 3"]
    meta, status = rig.session.sent[:2]
    assert meta.retain
    assert status.retain
    assert wire.decode_status(status.payload).state == "online"
    assert [point["point"] for point in json.loads(meta.payload)["points"]] == [POINT.point]
    assert rig.publisher.in_flight == WINDOW
    rig.publisher.step()
    assert rig.telemetry() == [1, 2, 3]


def test_an_acknowledged_pack_leaves_the_spool_and_makes_room_for_the_next(rig: Rig) -> None:
    rig.spool_packs(5)
    rig.session.connect()
    rig.publisher.step()
    rig.session.puback(rig.pack(2).mid)
    rig.publisher.step()
    # The broker has it; that is not ingest having it: it stays, and holds its place.
    assert rig.spool.stats().delivered == 0
    assert rig.spool.depth == 5
    assert rig.delivered_calls == []
    assert rig.telemetry() == [1, 2, 3]
    rig.ack(2)
    rig.publisher.step()
    assert rig.spool.stats().delivered == 1
    assert rig.spool.depth == 4
    assert rig.delivered_calls == [None]
    assert rig.telemetry() == [1, 2, 3, 4]
    assert rig.publisher.in_flight == WINDOW
    for message in rig.session.puback_all():
        assert message.delivered
    rig.publisher.step()
    assert rig.spool.stats().delivered == 1
    rig.ack(1, 3, 4)
    rig.publisher.step()
    assert rig.spool.stats().delivered == 4
    assert rig.telemetry() == [1, 2, 3, 4, 5]


def test_an_acknowledgement_before_the_puback_is_enough(rig: Rig) -> None:
    rig.spool_packs(1)
    rig.session.connect()
    rig.publisher.step()
    rig.ack(1)  # ingest was quicker than the broker's answer to the gateway
    rig.publisher.step()
    assert rig.spool.stats().delivered == 1
    assert rig.publisher.in_flight == 0
    rig.session.puback_all()  # the late PUBACK is of a pack already gone
    rig.clock.now_s += 10 * ACK_WAIT_MAX_S
    rig.publisher.step()
    assert rig.telemetry() == [1]
    assert (rig.publisher.refused, rig.publisher.resent) == (0, 0)


def test_a_refused_pack_stays_in_the_spool_and_is_sent_again_after_a_backoff(rig: Rig) -> None:
    rig.spool_packs(1)
    rig.session.connect()
    rig.publisher.step()
    first = rig.pack(1)
    rig.session.puback(first.mid, delivered=False)  # refused, or reached no subscriber
    rig.publisher.step()
    assert rig.publisher.refused == 1
    assert rig.spool.stats().depth == 1
    assert rig.telemetry() == [1]  # not yet: the backoff has not passed
    rig.clock.now_s += RECONNECT_MIN_SECONDS  # the longest first backoff
    rig.publisher.step()
    again = rig.pack(1)
    assert again is not first
    assert again.payload == first.payload  # the same pack, byte for byte
    rig.session.puback(again.mid)
    rig.publisher.step()
    # Accepted by the broker this time; still in the spool until ingest says it has it.
    assert rig.spool.stats().depth == 1
    assert rig.spool.stats().delivered == 0
    rig.ack(1)
    rig.publisher.step()
    assert rig.spool.stats().depth == 0
    assert rig.spool.stats().delivered == 1
    assert rig.publisher.refused == 1
    # A refusal's resend is not one for want of an acknowledgement.
    assert rig.publisher.resent == 0


def test_after_a_reconnect_births_come_before_the_unacknowledged_packs_in_order(
    rig: Rig,
) -> None:
    rig.spool_packs(4)
    rig.session.connect()
    rig.publisher.step()
    rig.session.puback(rig.pack(2).mid)  # delivered before the connection was lost
    rig.session.disconnect()
    before = len(rig.session.sent)
    rig.session.connect()
    after = rig.session.sent[before:]
    # The session's own resends were dropped: the publisher resends, after its births, what
    # the broker had not answered, and only that.
    assert kinds(after) == ["meta", "status", "pack 1", "pack 3"]
    rig.publisher.step()
    # The broker has pack 2, ingest has said nothing: it keeps its place in the window.
    assert rig.spool.stats().delivered == 0
    assert rig.telemetry(rig.session.sent[before:]) == [1, 3]
    rig.ack(2)
    rig.publisher.step()
    assert rig.spool.stats().delivered == 1
    assert rig.telemetry(rig.session.sent[before:]) == [1, 3, 4]
    assert rig.publisher.connects == 2


def test_a_refused_pack_is_sent_again_on_the_next_connection_without_waiting(rig: Rig) -> None:
    rig.spool_packs(1)
    rig.session.connect()
    rig.publisher.step()
    rig.session.puback(rig.pack(1).mid, delivered=False)
    rig.publisher.step()
    rig.session.disconnect()
    before = len(rig.session.sent)
    rig.session.connect()
    assert kinds(rig.session.sent[before:]) == ["meta", "status", "pack 1"]


def test_nothing_new_goes_out_while_disconnected(rig: Rig) -> None:
    rig.spool_packs(1)
    rig.session.connect()
    rig.publisher.step()
    rig.session.disconnect()
    rig.spool_packs(2)
    rig.clock.now_s += STATUS_INTERVAL_S
    rig.publisher.step()
    assert kinds(rig.session.sent) == ["meta", "status", "pack 1"]


def test_the_status_is_republished_on_its_interval_and_when_the_spool_dropped(rig: Rig) -> None:
    rig.session.connect()
    rig.publisher.step()
    assert kinds(rig.session.sent) == ["meta", "status"]
    rig.clock.now_s += STATUS_INTERVAL_S
    rig.publisher.step()
    assert kinds(rig.session.sent) == ["meta", "status", "status"]
    rig.spool_packs(14)  # the spool holds 10 readings: the 4 oldest are dropped
    rig.publisher.step()
    assert kinds(rig.session.sent) == ["meta", "status", "status", "status"] + [
        f"pack {number}" for number in (5, 6, 7)
    ]
    status = wire.decode_status(rig.session.sent[3].payload)
    assert (status.spool_depth, status.spool_dropped) == (10, 4)


def test_a_clean_stop_waits_for_the_packs_in_flight_then_says_offline(rig: Rig) -> None:
    rig.spool_packs(2)
    rig.session.connect()
    rig.publisher.step()
    sent_before_stop = len(rig.session.sent)
    stopper = threading.Thread(target=rig.publisher.stop, kwargs={"timeout_s": 60.0})
    stopper.start()
    # The packs in flight are answered and acknowledged; they leave the spool before the
    # status is said.
    rig.session.puback_all()
    rig.ack(1, 2)
    offline = said_offline(rig, stopper)
    assert offline.retain
    # It tells the spool as the gateway leaves it: both packs delivered.
    status = wire.decode_status(offline.payload)
    assert status.spool_depth == 0
    assert status.detail is not None
    assert status.detail["unacked_packs"] == 0
    assert kinds(rig.session.sent[sent_before_stop:]) == ["status"]
    assert rig.spool.stats().delivered == 2
    assert not rig.session.started


def said_offline(rig: Rig, stopper: threading.Thread) -> FakePublish:
    """The offline status of the stop running in ``stopper``, once it said it; the broker
    answers it, and the stop ends."""
    offline = None
    while offline is None and stopper.is_alive():
        last = rig.session.sent[-1]
        if last.topic == STATUS_TOPIC and wire.decode_status(last.payload).state == "offline":
            offline = last
        time.sleep(0.01)
    assert offline is not None, "the stop ended without saying offline"
    rig.session.puback_all()
    stopper.join(60.0)
    assert not stopper.is_alive()
    return offline


def test_points_the_contract_refuses_stop_the_gateway_at_start(rig: Rig) -> None:
    with pytest.raises(ConfigError, match=r"gateway gw-\S+: its points cannot be announced: .*NUL"):
        SpoolPublisher(
            spool=rig.spool,
            session=FakeSession(client_id=GATEWAY),
            gateway=GATEWAY,
            building=BUILDING,
            points=[replace(POINT, description="room\x00one")],
            max_inflight_packs=WINDOW,
            status_interval_s=STATUS_INTERVAL_S,
        )


def test_a_clean_stop_without_acknowledgements_keeps_the_packs(rig: Rig) -> None:
    rig.spool_packs(2)
    rig.session.connect()
    rig.publisher.step()
    rig.session.puback_all()  # the broker has both; ingest never says so
    stopper = threading.Thread(target=rig.publisher.stop, kwargs={"timeout_s": 60.0})
    stopper.start()
    # The window has a moment's grace, not the whole timeout.
    offline = rig.status(said_offline(rig, stopper))
    assert offline.spool_depth == 2
    assert offline.detail is not None
    assert offline.detail["unacked_packs"] == 2
    assert rig.spool.stats().delivered == 0
    assert rig.spool.depth == 2
    assert not rig.session.started


def test_the_ack_topic_is_subscribed_to_on_every_connect(rig: Rig) -> None:
    rig.session.connect()
    assert rig.session.subscriptions == [(ACK_TOPIC, 1)]
    rig.session.disconnect()
    rig.session.connect()
    # Again: the broker may have lost the session, and the subscription with it.
    assert rig.session.subscriptions == [(ACK_TOPIC, 1), (ACK_TOPIC, 1)]


def test_a_pack_not_acknowledged_in_time_is_sent_again_and_then_waits_longer(rig: Rig) -> None:
    rig.spool_packs(1)
    rig.session.connect()
    rig.publisher.step()
    first = rig.pack(1)
    rig.session.puback(first.mid)  # the broker has it; ingest (or the broker) then lost it
    rig.clock.now_s += ACK_TIMEOUT_S - 0.5
    rig.publisher.step()
    assert rig.telemetry() == [1]
    assert rig.publisher.resent == 0

    rig.clock.now_s += 0.5
    rig.publisher.step()
    again = rig.pack(1)
    assert again is not first
    assert again.payload == first.payload  # the same seq and readings, byte for byte
    assert rig.telemetry() == [1, 1]
    assert rig.publisher.resent == 1
    assert rig.spool.depth == 1

    # The next wait is at least as long as the first ...
    rig.session.puback(again.mid)
    rig.clock.now_s += ACK_TIMEOUT_S - 0.5
    rig.publisher.step()
    assert rig.telemetry() == [1, 1]
    # ... and no longer than the longest.
    rig.clock.now_s += ACK_WAIT_MAX_S
    rig.publisher.step()
    assert rig.telemetry() == [1, 1, 1]
    assert rig.publisher.resent == 2

    rig.ack(1)
    rig.publisher.step()
    assert rig.spool.stats().delivered == 1
    rig.clock.now_s += 10 * ACK_WAIT_MAX_S
    rig.publisher.step()
    assert rig.telemetry() == [1, 1, 1]


@pytest.mark.parametrize("ack_timeout_s", [0.5, 10.0, ACK_TIMEOUT_S, 45.0, 60.0, 120.0, 3600.0])
def test_the_first_wait_for_an_acknowledgement_is_the_timeout(ack_timeout_s: float) -> None:
    assert ack_wait(0, ack_timeout_s=ack_timeout_s) == ack_timeout_s


@given(
    ack_timeout_s=st.floats(min_value=0.01, max_value=3600.0),
    resends=st.integers(min_value=1, max_value=100),
)
def test_later_waits_are_never_shorter_than_the_timeout_nor_longer_than_the_longest(
    ack_timeout_s: float, resends: int
) -> None:
    wait = ack_wait(resends, ack_timeout_s=ack_timeout_s)
    assert ack_timeout_s <= wait <= max(ack_timeout_s, ACK_WAIT_MAX_S)


def test_acknowledgements_of_packs_not_in_the_window_delete_nothing(rig: Rig) -> None:
    rig.spool_packs(4)
    rig.session.connect()
    rig.publisher.step()
    assert rig.telemetry() == [1, 2, 3]
    # Pack 4 waits in the spool, unsent; pack 99 never was; the other gateway's are not ours.
    rig.ack(4, 99)
    for payload in wire.encode_ack([1, 2, 3]):
        rig.session.deliver(topics.ack(BUILDING.id, "gw-other"), payload)
    rig.publisher.step()
    assert rig.spool.stats().delivered == 0
    assert rig.spool.depth == 4
    assert rig.publisher.in_flight == WINDOW
    assert rig.delivered_calls == []
    rig.ack(1)
    rig.publisher.step()
    assert rig.spool.stats().delivered == 1
    # Pack 4's early acknowledgement was not kept for it: sent now, it waits for its own.
    assert rig.telemetry() == [1, 2, 3, 4]
    assert rig.spool.depth == 3


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"seq": [[2, 1]]}',
        b'{"seq": [[1, true]]}',
        b"[[1, 2]]",
        b'{"seq": [[-1, 2]]}',
    ],
)
def test_an_unreadable_acknowledgement_is_counted_and_loses_nothing(
    rig: Rig, payload: bytes
) -> None:
    rig.spool_packs(2)
    rig.session.connect()
    rig.publisher.step()
    rig.session.deliver(ACK_TOPIC, payload)
    rig.publisher.step()
    assert rig.publisher.bad_acks == 1
    assert rig.spool.stats().delivered == 0
    assert rig.spool.depth == 2
    assert rig.publisher.in_flight == 2
    # Those after it are read as ever.
    rig.ack(1, 2)
    rig.publisher.step()
    assert rig.spool.stats().delivered == 2
    assert rig.publisher.bad_acks == 1


def test_the_status_tells_the_unacknowledged_packs_and_the_age_of_the_oldest(rig: Rig) -> None:
    rig.session.connect()
    rig.publisher.step()
    detail = rig.status().detail
    assert detail is not None
    assert detail["unacked_packs"] == 0
    assert "oldest_unacked_age_s" not in detail
    assert "resent_packs" not in detail

    rig.spool_packs(2)
    rig.publisher.step()
    rig.clock.now_s += 12.5
    rig.session.disconnect()
    rig.session.connect()  # the status of the new connection
    detail = rig.status().detail
    assert detail is not None
    assert detail["unacked_packs"] == 2
    assert detail["oldest_unacked_age_s"] == 12.5

    rig.session.puback_all()
    rig.ack(1)
    rig.publisher.step()
    rig.clock.now_s += ACK_TIMEOUT_S  # pack 2 is sent again; its age is from its first send
    rig.publisher.step()
    assert rig.publisher.resent == 1
    rig.session.disconnect()
    rig.session.connect()
    detail = rig.status().detail
    assert detail is not None
    assert detail["unacked_packs"] == 1
    assert detail["oldest_unacked_age_s"] == 12.5 + ACK_TIMEOUT_S
    assert detail["resent_packs"] == 1
