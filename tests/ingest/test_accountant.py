"""The accountant: durable batches counted (gaps, duplicates, status), then acknowledged in
order; old pack receipts pruned hourly."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from byggpuls import topics, wire
from byggpuls.reading import Reading
from byggpuls.registry.accounting import Accounting, PackTally
from ingest.accountant import PRUNE_FIRST_AFTER_S, PRUNE_INTERVAL_S, Accountant, ReceiptPruner
from ingest.batch import Batch, Item
from ingest.decode import StatusUpdate, TelemetryPack
from ingest.metrics import IngestMetrics
from ingest.writer import Durable
from tests.ingest.conftest import Acks, inbound, retrier

TIME_MS = 1_764_201_600_000  # 2025-11-27 00:00 UTC


def pack(seq: int) -> TelemetryPack:
    readings = [
        Reading("skole-01", point, "energy", TIME_MS + seq * 60_000, 1.0) for point in ("m0", "m1")
    ]
    return TelemetryPack("skole-01", "energy", "gw-1", seq, readings)


def durable(*decoded: TelemetryPack | StatusUpdate, first_mid: int = 1) -> Durable:
    """A batch as the writer hands it on: every pack in it written."""
    batch = Batch()
    written = []
    for mid, what in enumerate(decoded, start=first_mid):
        message = inbound(mid, topics.telemetry("skole-01", "energy"))
        batch.add(Item(message, what))
        if isinstance(what, TelemetryPack):
            written.append((message, what))
    readings = sum(len(p.readings) for _, p in written)
    return Durable(batch=batch, written=written, readings=readings, dead_letters=0)


def test_gaps_and_status_are_counted_and_the_batch_acknowledged_in_order(
    engine: Engine, metrics: IngestMetrics
) -> None:
    accounting = Accounting(engine)
    acks = Acks()
    accountant = Accountant(
        accounting=accounting,
        metrics=metrics,
        retry=retrier("registry", metrics),
        ack=acks,
        ack_packs=acks.packs,
    )
    online = StatusUpdate(
        building="skole-01",
        gateway="gw-1",
        status=wire.Status(state="online", time=TIME_MS / 1000, spool_depth=7),
    )
    labels = {"building": "skole-01", "gateway": "gw-1"}
    sample = metrics.registry.get_sample_value

    accountant.account(durable(pack(1), online, pack(2), pack(5)))

    assert acks.mids == [1, 2, 3, 4]
    assert acks.origins == [("skole-01", "gw-1", seq) for seq in (1, 2, 5)]
    assert sample("byggpuls_ingest_gateway_missing_packs", labels) == 2.0
    assert sample("byggpuls_ingest_sequence_gaps_total") == 2.0
    assert sample("byggpuls_ingest_gateway_online", labels) == 1.0
    assert sample("byggpuls_ingest_gateway_spool_depth", labels) == 7.0
    (state,) = accounting.gateway_states("skole-01")
    assert (state.state, state.spool_depth) == ("online", 7)

    # A late pack and a repeat: one gap less, one duplicate, no new gap counted.
    accountant.account(durable(pack(3), pack(5), first_mid=5))

    assert acks.mids == [1, 2, 3, 4, 5, 6]
    # A repeat is acknowledged to its gateway again: the earlier acknowledgement may be lost.
    assert acks.origins[3:] == [("skole-01", "gw-1", 3), ("skole-01", "gw-1", 5)]
    assert sample("byggpuls_ingest_gateway_missing_packs", labels) == 1.0
    assert sample("byggpuls_ingest_gateway_duplicate_packs", labels) == 1.0
    assert sample("byggpuls_ingest_sequence_gaps_total") == 2.0


def test_receipts_are_pruned_a_minute_after_start_and_then_hourly(engine: Engine) -> None:
    accounting = Accounting(engine)
    long_ago = datetime(2025, 1, 1, tzinfo=UTC)

    def receipt(seq: int) -> None:
        tally = PackTally(
            building="skole-01", gateway="gw-1", seq=seq, readings={("m0", date(2025, 1, 1)): 1}
        )
        accounting.record([tally], now=long_ago)

    def receipts_kept(*seqs: int) -> int:
        """How many of ``seqs`` count as repeats, that is, still have their receipt."""
        return accounting.record(
            [PackTally(building="skole-01", gateway="gw-1", seq=seq, readings={}) for seq in seqs],
            now=long_ago,
        ).duplicates

    started_s = time.monotonic()
    pruner = ReceiptPruner(accounting, retention_days=14, start_s=started_s)
    receipt(1)

    pruner.tick(started_s + PRUNE_FIRST_AFTER_S - 1)
    assert receipts_kept(1) == 1
    pruner.tick(started_s + PRUNE_FIRST_AFTER_S)
    assert receipts_kept(1) == 0

    receipt(2)
    pruner.tick(started_s + PRUNE_FIRST_AFTER_S + PRUNE_INTERVAL_S - 1)
    assert receipts_kept(2) == 1
    pruner.tick(started_s + PRUNE_FIRST_AFTER_S + PRUNE_INTERVAL_S)
    assert receipts_kept(2) == 0
