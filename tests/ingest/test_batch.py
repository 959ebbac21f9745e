"""Batches close by their policy; the batcher keeps every message, in order, whatever it is."""

from __future__ import annotations

import queue
import threading

import pytest

from byggpuls import topics, wire
from byggpuls.reading import Reading
from ingest.batch import Batch, Batcher, ClosePolicy, Item
from ingest.decode import Decoder, PointCache, Rejected, TelemetryPack
from ingest.metrics import IngestMetrics
from ingest.retry import Aborted
from ingest.settings import IngestSettings
from ingest.subscriber import Inbound
from tests.ingest.conftest import inbound

TIME_MS = 1_764_201_600_000


def telemetry(mid: int) -> Inbound:
    """A pack of two readings."""
    payload = wire.encode_telemetry(
        [
            Reading("skole-01", f"m{n}", "energy", TIME_MS + mid * 60_000, 1.0, unit="kWh")
            for n in range(2)
        ],
        building="skole-01",
        gateway="gw-1",
        seq=mid,
    )
    return inbound(mid, topics.telemetry("skole-01", "energy"), payload)


def batch_of(*messages: Inbound) -> Batch:
    decoder = Decoder(PointCache())
    batch = Batch()
    for message in messages:
        batch.add(Item(message, decoder.decode(message.topic, message.payload)))
    return batch


def test_the_policy_follows_the_settings() -> None:
    settings = IngestSettings(
        ingest_batch_size=100, ingest_batch_max_wait_ms=50, ingest_receive_maximum=40
    )
    assert ClosePolicy.for_settings(settings) == ClosePolicy(
        max_readings=100, max_messages=10, max_wait_s=0.05
    )


def test_a_batch_closes_at_its_readings_its_messages_or_its_deadline() -> None:
    policy = ClosePolicy(max_readings=4, max_messages=3, max_wait_s=0.25)
    one = batch_of(telemetry(1))
    started_s = one.started_s

    assert not policy.closes(Batch(), now_s=started_s + 60)
    assert not policy.closes(one, now_s=started_s)
    assert policy.closes(one, now_s=started_s + 0.25)
    assert policy.closes(batch_of(telemetry(1), telemetry(2)), now_s=started_s)
    garbage = [inbound(n, topics.telemetry("skole-01", "energy"), b"{") for n in range(3)]
    assert policy.closes(batch_of(*garbage), now_s=started_s)


def batcher(messages: list[Inbound], *, decoder: Decoder, policy: ClosePolicy) -> Batcher:
    source: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
    for message in messages:
        source.put(message)
    return Batcher(inbound=source, decoder=decoder, policy=policy, metrics=IngestMetrics())


def test_every_message_joins_a_batch_in_order_also_what_cannot_be_decoded() -> None:
    messages = [
        telemetry(1),
        inbound(2, topics.telemetry("skole-01", "energy"), b"not json"),
        Inbound(
            topic="byggpuls/v1/\ufffd/energy",
            payload=b"",
            mid=3,
            qos=1,
            generation=1,
            received_s=0.0,
            topic_error="topic is not valid UTF-8",
        ),
        telemetry(4),
    ]
    policy = ClosePolicy(max_readings=1000, max_messages=2, max_wait_s=60)
    stopping = threading.Event()
    batches = batcher(messages, decoder=Decoder(PointCache()), policy=policy).batches(stopping)

    first, second = next(batches), next(batches)

    assert [item.inbound.mid for item in [*first.items, *second.items]] == [1, 2, 3, 4]
    kinds = [type(item.decoded) for item in [*first.items, *second.items]]
    assert kinds == [TelemetryPack, Rejected, Rejected, TelemetryPack]
    assert second.items[0].decoded == Rejected(reason="topic is not valid UTF-8")
    stopping.set()
    assert list(batches) == []


def test_a_bug_while_decoding_is_a_rejected_message_not_a_dead_batcher() -> None:
    def broken_registry(building: str) -> list[tuple[str, str, str | None]]:
        raise RuntimeError("a bug")

    policy = ClosePolicy(max_readings=1000, max_messages=1, max_wait_s=60)
    source = batcher([telemetry(1)], decoder=Decoder(PointCache(broken_registry)), policy=policy)

    (item,) = next(source.batches(threading.Event())).items

    assert isinstance(item.decoded, Rejected)
    assert "internal error while decoding: RuntimeError('a bug')" in item.decoded.reason


def test_shutting_down_while_the_registry_is_retried_stops_the_batcher() -> None:
    def registry_down(building: str) -> list[tuple[str, str, str | None]]:
        raise Aborted("gave up writing to the registry: shutting down")

    policy = ClosePolicy(max_readings=1000, max_messages=1, max_wait_s=60)
    source = batcher([telemetry(1)], decoder=Decoder(PointCache(registry_down)), policy=policy)

    with pytest.raises(Aborted):
        next(source.batches(threading.Event()))
