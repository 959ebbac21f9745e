"""The disk spool between drivers and publisher: readings wait here until ingest has stored them.

A spool is one SQLite file (WAL mode) per gateway. :meth:`Spool.append` has its
:class:`~gateway.packer.Packer` cut readings into packs (one domain each, within the wire's
bounds, as the SenML payload that goes on the wire) and gives each the next sequence number of
the gateway, all in one transaction. The spool itself treats a payload as opaque bytes. So:

- a reading is on disk before anything publishes it: ``append`` returns after the commit, and
  with ``synchronous=FULL`` that commit survives SIGKILL and power loss alike;
- a pack keeps its sequence number and bytes until it is acknowledged: one resent after a
  crash, an outage or a timeout is the same message, which ingest counts as a duplicate, not
  as new data;
- packs leave in sequence order (:meth:`Spool.take`), each at most once per process; only
  :meth:`Spool.ack` (once ingest acknowledged it end to end, not on the broker's PUBACK)
  deletes one;
- the spool holds at most ``max_readings`` readings, plus what is in flight. When an append
  would pass that, the *oldest* readings not yet handed to the publisher are dropped: whole
  packs, and the oldest records of the last one (re-packed under its sequence number). The
  number dropped is added to a persistent counter in the same transaction, so it is exact
  across restarts. Packs in flight are never dropped: whether they arrived is not known yet.
- the next sequence number and the counters are stored with the packs, so they survive restarts.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from byggpuls import topics
from byggpuls.errors import ConfigError, ContractError
from byggpuls.reading import Reading
from gateway.errors import SpoolError
from gateway.packer import Packer

logger = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 1
#: How long a writer waits for the file lock (another process on the same spool) before failing.
BUSY_TIMEOUT_SECONDS: Final = 10.0

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS spool_owner (
    building TEXT NOT NULL,
    gateway TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counter (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pack (
    seq INTEGER PRIMARY KEY,
    domain TEXT NOT NULL,
    readings INTEGER NOT NULL,
    created_s REAL NOT NULL,
    payload BLOB NOT NULL
);
"""
_COUNTERS: Final = ("next_seq", "appended", "delivered", "dropped", "rejected")


@dataclass(frozen=True, slots=True)
class SpooledPack:
    """One spooled telemetry message: ``payload`` is what goes on ``topic``."""

    seq: int
    topic: str
    readings: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class SpoolStats:
    """What the spool holds and has done, for the status message and progress lines."""

    #: Readings waiting for ingest's acknowledgement (in flight included).
    depth: int
    packs: int
    #: Readings ever appended, delivered (acknowledged), dropped because the spool was full,
    #: and rejected: no SenML pack can carry them (non-finite values, NUL in a unit), or a
    #: later reading of the same point and time replaced them.
    appended: int
    delivered: int
    dropped: int
    rejected: int
    next_seq: int
    #: Age of the oldest waiting pack, seconds; ``None`` when the spool is empty.
    oldest_age_s: float | None


def _connect(path: Path, *, durable: bool) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode != "wal":
        raise SpoolError(f"spool {path}: the file system does not support SQLite's WAL mode")
    # FULL syncs the WAL on every commit: an appended reading survives a power cut, not only a
    # crashed process. Commits are batched (one per append or acknowledgement batch), so this
    # costs a few fsyncs a second.
    conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    return conn


class Spool:
    """The disk spool of gateway ``gateway`` of ``building``; thread-safe.

    One driver thread appends while one publisher thread takes and acknowledges.
    """

    def __init__(
        self,
        path: Path,
        *,
        building: str,
        gateway: str,
        max_readings: int,
        durable: bool = True,
    ) -> None:
        if max_readings < 1:
            raise ConfigError(f"spool max_readings must be at least 1, got {max_readings}")
        self.path = path
        self.building = building
        self.gateway = gateway
        self.max_readings = max_readings
        self._packer = Packer(building=building, gateway=gateway)
        self._lock = threading.Lock()
        self._append_lock = threading.Lock()
        #: Packs with a seq up to this were handed to the publisher by this process.
        self._taken_upto = 0
        try:
            self._conn = _connect(path, durable=durable)
            self._init_schema()
            self._counters: dict[str, int] = self._read_counters()
            depth, packs = self._conn.execute(
                "SELECT COALESCE(SUM(readings), 0), COUNT(*) FROM pack"
            ).fetchone()
        except sqlite3.Error as exc:
            raise SpoolError(f"cannot open spool {path}: {exc}") from exc
        self._depth: int = depth
        self._packs: int = packs
        logger.info(
            "spool %s: %d readings in %d packs waiting, next seq %d, %d dropped so far",
            path,
            depth,
            packs,
            self._counters["next_seq"],
            self._counters["dropped"],
        )

    # -- set-up ------------------------------------------------------------------------------

    def _init_schema(self) -> None:
        conn = self._conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise SpoolError(
                f"spool {self.path} has schema version {version}; this gateway knows "
                f"{SCHEMA_VERSION}. Publish its content with the matching gateway version, or "
                "move the file away to start an empty spool."
            )
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            owner = conn.execute("SELECT building, gateway FROM spool_owner").fetchone()
            if owner is None:
                conn.execute(
                    "INSERT INTO spool_owner (building, gateway) VALUES (?, ?)",
                    (self.building, self.gateway),
                )
            elif tuple(owner) != (self.building, self.gateway):
                raise ConfigError(
                    f"spool {self.path} belongs to gateway {owner[1]!r} of building "
                    f"{owner[0]!r}, not {self.gateway!r} of {self.building!r}: sequence numbers "
                    "are per gateway. Give this gateway its own spool path."
                )
            conn.executemany(
                "INSERT OR IGNORE INTO counter (name, value) VALUES (?, ?)",
                [(name, 1 if name == "next_seq" else 0) for name in _COUNTERS],
            )
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _read_counters(self) -> dict[str, int]:
        return dict(self._conn.execute("SELECT name, value FROM counter").fetchall())

    def _write_counters(self, counters: Mapping[str, int]) -> None:
        self._conn.executemany(
            "UPDATE counter SET value = ? WHERE name = ?",
            [(value, name) for name, value in counters.items()],
        )

    # -- operations --------------------------------------------------------------------------

    def append(self, readings: Sequence[Reading], *, domain_of: Mapping[str, str]) -> int:
        """Spool ``readings`` (durably, before returning); the number of packs made.

        ``domain_of`` maps each point to its domain, which chooses the topic. Readings with a
        value that is not finite or a unit holding NUL, or replaced by a later one of the same
        point and time, are not spooled; they are counted as ``rejected`` and logged.
        """
        cut = self._packer.cut(readings, domain_of=domain_of)
        if cut.rejected:
            logger.warning(
                "spool %s: rejected %d readings (not finite, NUL in a unit, or a time repeated)",
                self.path,
                cut.rejected,
            )
        # Appends take turns; encoding (most of the work) leaves the spool free for the
        # publisher meanwhile. Only appends change next_seq, so it can be read here.
        with self._append_lock:
            seq = self._counters["next_seq"]
            now_s = time.time()
            rows: list[tuple[int, str, int, float, bytes]] = []
            for domain, chunk in cut.groups:
                for payload, count in self._packer.encode(chunk, seq=seq):
                    rows.append((seq, domain, count, now_s, payload))
                    seq += 1
            with self._lock:
                try:
                    self._commit(rows, next_seq=seq, rejected=cut.rejected)
                except sqlite3.Error as exc:
                    raise SpoolError(f"cannot append to spool {self.path}: {exc}") from exc
        return len(rows)

    def _commit(
        self, rows: list[tuple[int, str, int, float, bytes]], *, next_seq: int, rejected: int
    ) -> None:
        counters = dict(self._counters)
        added = sum(row[2] for row in rows)
        counters["next_seq"] = next_seq
        counters["appended"] += added
        counters["rejected"] += rejected
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT INTO pack (seq, domain, readings, created_s, payload) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            depth = self._depth + added
            packs = self._packs + len(rows)
            dropped = 0
            if depth > self.max_readings:
                dropped, packs_gone = self._drop_oldest(depth - self.max_readings)
                depth -= dropped
                packs -= packs_gone
                counters["dropped"] += dropped
            self._write_counters(counters)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._counters, self._depth, self._packs = counters, depth, packs
        if dropped:
            logger.warning(
                "spool %s is full (%d readings): dropped the %d oldest, %d dropped in all",
                self.path,
                self.max_readings,
                dropped,
                counters["dropped"],
            )

    def _drop_oldest(self, excess: int) -> tuple[int, int]:
        """Drop ``excess`` readings, oldest first, of packs not in flight: (dropped, packs gone)."""
        conn = self._conn
        dropped = packs_gone = 0
        cursor = conn.execute(
            "SELECT seq, readings FROM pack WHERE seq > ? ORDER BY seq", (self._taken_upto,)
        )
        whole: list[int] = []
        partial: tuple[int, int] | None = None
        for seq, count in cursor:
            if dropped + count <= excess:
                whole.append(seq)
                dropped += count
                if dropped == excess:
                    break
            else:
                partial = (seq, excess - dropped)
                dropped = excess
                break
        cursor.close()
        if whole:
            conn.execute(
                "DELETE FROM pack WHERE seq BETWEEN ? AND ? AND seq > ?",
                (whole[0], whole[-1], self._taken_upto),
            )
            packs_gone = len(whole)
        if partial is not None:
            self._trim(*partial)
        if dropped < excess:
            logger.warning(
                "spool %s: %d readings over its bound are in flight and kept until acknowledged",
                self.path,
                excess - dropped,
            )
        return dropped, packs_gone

    def _trim(self, seq: int, oldest: int) -> None:
        """Drop the ``oldest`` records of pack ``seq``, keeping its sequence number."""
        row = self._conn.execute("SELECT payload FROM pack WHERE seq = ?", (seq,)).fetchone()
        try:
            trimmed, kept = self._packer.trim(row[0], oldest=oldest, seq=seq)
        except ContractError as exc:  # our own bytes: only a damaged file gets here
            raise SpoolError(f"spool {self.path}: pack {seq} cannot be read back: {exc}") from exc
        self._conn.execute(
            "UPDATE pack SET readings = ?, payload = ? WHERE seq = ?", (kept, trimmed, seq)
        )

    def take(self, limit: int) -> list[SpooledPack]:
        """Up to ``limit`` of the oldest packs not yet handed out by this process, in seq order.

        They stay in the spool (and are never dropped) until :meth:`ack`.
        """
        if limit <= 0:
            return []
        with self._lock:
            try:
                rows = self._conn.execute(
                    "SELECT seq, domain, readings, payload FROM pack WHERE seq > ? "
                    "ORDER BY seq LIMIT ?",
                    (self._taken_upto, limit),
                ).fetchall()
            except sqlite3.Error as exc:
                raise SpoolError(f"cannot read spool {self.path}: {exc}") from exc
            if rows:
                self._taken_upto = rows[-1][0]
        return [
            SpooledPack(
                seq=seq,
                topic=topics.telemetry(self.building, domain),
                readings=count,
                payload=payload,
            )
            for seq, domain, count, payload in rows
        ]

    def ack(self, seqs: Collection[int]) -> int:
        """Delete the packs ``seqs``, which ingest acknowledged; the readings they held."""
        if not seqs:
            return 0
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    marks = ",".join("?" * len(seqs))
                    gone = conn.execute(
                        f"DELETE FROM pack WHERE seq IN ({marks}) RETURNING readings",  # noqa: S608
                        tuple(seqs),
                    ).fetchall()
                    delivered: int = sum(row[0] for row in gone)
                    counters = {"delivered": self._counters["delivered"] + delivered}
                    self._write_counters(counters)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise SpoolError(f"cannot acknowledge in spool {self.path}: {exc}") from exc
            self._counters.update(counters)
            self._depth -= delivered
            self._packs -= len(gone)
            return delivered

    def stats(self) -> SpoolStats:
        """The spool's depth and counters now."""
        with self._lock:
            row = self._conn.execute("SELECT created_s FROM pack ORDER BY seq LIMIT 1").fetchone()
            oldest = None if row is None else row[0]
            counters = self._counters
            return SpoolStats(
                depth=self._depth,
                packs=self._packs,
                appended=counters["appended"],
                delivered=counters["delivered"],
                dropped=counters["dropped"],
                rejected=counters["rejected"],
                next_seq=counters["next_seq"],
                oldest_age_s=None if oldest is None else max(0.0, time.time() - oldest),
            )

    @property
    def depth(self) -> int:
        """Readings waiting for ingest's acknowledgement, in flight included (no disk access)."""
        return self._depth

    @property
    def dropped(self) -> int:
        """Readings dropped because the spool was full, ever (no disk access)."""
        return self._counters["dropped"]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


__all__ = ["Spool", "SpoolStats", "SpooledPack"]
