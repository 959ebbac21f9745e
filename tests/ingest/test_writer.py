"""The batch writer: new points registered together, readings stored, then acknowledged."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from byggpuls import topics
from byggpuls.reading import PointInfo, Reading
from byggpuls.registry import Registry
from byggpuls.registry.accounting import Accounting
from byggpuls.storage.sqlite import SQLiteStore
from ingest.accountant import Accountant
from ingest.batch import Batch, Item
from ingest.decode import Decoder, PointCache, TelemetryPack
from ingest.metrics import IngestMetrics
from ingest.writer import BatchWriter
from sandbox.loadgen import telemetry_messages
from tests.ingest.conftest import Acks, inbound, retrier


class Writer:
    """The writer and the accountant after it, as a worker runs them one after the other."""

    def __init__(self, engine: Engine, store: SQLiteStore, acks: Acks) -> None:
        metrics = IngestMetrics()
        registry_retry = retrier("registry", metrics)
        self.writer = BatchWriter(
            store=store,
            registry=Registry(engine),
            metrics=metrics,
            store_retry=retrier("store", metrics),
            registry_retry=registry_retry,
        )
        self.accountant = Accountant(
            accounting=Accounting(engine),
            metrics=metrics,
            retry=registry_retry,
            ack=acks,
            ack_packs=acks.packs,
        )

    def write_and_account(self, batch: Batch) -> None:
        self.accountant.account(self.writer.write(batch))


def item(mid: int, topic: str, pack: TelemetryPack) -> Item:
    return Item(inbound(mid, topic), pack)


def test_new_points_of_several_buildings_are_registered_and_the_batch_acknowledged(
    engine: Engine, store: SQLiteStore
) -> None:
    decoder = Decoder(PointCache())
    batch = Batch()
    messages = list(telemetry_messages(buildings=3, packs_per_building=2, points_per_pack=4))
    for mid, message in enumerate(messages, start=1):
        decoded = decoder.decode(message.topic, message.payload)
        assert isinstance(decoded, TelemetryPack)
        batch.add(item(mid, message.topic, decoded))
    acks = Acks()
    writer = Writer(engine, store, acks)

    writer.write_and_account(batch)

    registry = Registry(engine)
    assert [b.id for b in registry.buildings()] == ["bygg-0000", "bygg-0001", "bygg-0002"]
    assert all(len(registry.points(b)) == 8 for b in ("bygg-0000", "bygg-0001", "bygg-0002"))
    assert acks.mids == list(range(1, len(messages) + 1))
    assert len(store.latest("bygg-0001")) == 8


def test_a_refused_point_group_leaves_the_others_registered_and_the_readings_stored(
    engine: Engine, store: SQLiteStore
) -> None:
    def pack(building: str, point: PointInfo) -> TelemetryPack:
        reading = Reading(building, point.point, point.quantity, 1_763_942_400_000, 1.0)
        return TelemetryPack(building, "energy", "gw-1", 0, [reading], [point])

    good = PointInfo(point="el.meter", domain="energy", quantity="energy", unit="kWh")
    bad = PointInfo(point="el.meter", domain="Not A Domain", quantity="energy", unit="kWh")
    batch = Batch()
    batch.add(item(1, topics.telemetry("b1", "energy"), pack("b1", good)))
    batch.add(item(2, topics.telemetry("b2", "energy"), pack("b2", bad)))
    acks = Acks()
    writer = Writer(engine, store, acks)

    writer.write_and_account(batch)

    registry = Registry(engine)
    assert [row.point for row in registry.points("b1")] == ["el.meter"]
    assert registry.points("b2") == []
    assert [r.value for r in store.latest("b2")] == [1.0]
    assert acks.mids == [1, 2]
