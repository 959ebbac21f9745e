"""Dead letters: messages ingest could not decode or store, kept byte for byte."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from byggpuls.registry import _checks as check
from byggpuls.registry import _sql as sql
from byggpuls.registry.errors import InvalidValue
from byggpuls.registry.models import DEAD_LETTERS, DeadLetter
from byggpuls.registry.rows import DeadLetterRow


class DeadLetters(sql.Repository):
    """Dead letters in the registry database (see :class:`~byggpuls.registry._sql.Repository`)."""

    def add_dead_letter(
        self,
        *,
        topic: str,
        reason: str,
        payload: bytes,
        gateway: str | None = None,
        received_at: datetime | None = None,
    ) -> int:
        """Keep a message that could not be decoded or stored, byte for byte; return its id."""
        if received_at is None:
            received_at = check.now_utc()
        values = {
            "received_at": check.aware(received_at, what="received_at"),
            "topic": check.text(topic),
            "reason": check.text(reason),
            "payload": bytes(payload),
            # Not held to the id pattern: a dead letter may well come from a broken gateway.
            "gateway": check.text(gateway),
        }
        with self._writing() as conn:
            stmt = sa.insert(DEAD_LETTERS).values(values).returning(DEAD_LETTERS.c.id)
            id_: int = conn.execute(stmt).scalar_one()
        return id_

    def dead_letters(self, *, limit: int = 100) -> list[DeadLetterRow]:
        """The newest ``limit`` dead letters, newest first."""
        if limit < 0:
            raise InvalidValue(f"limit must not be negative, not {limit}")
        query = sa.select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)
        with self._reading() as session:
            return [
                sql.detached(DeadLetterRow, row, payload=bytes(row.payload))
                for row in session.scalars(query)
            ]

    def count_dead_letters(self) -> int:
        """How many dead letters are kept."""
        with self._reading() as session:
            count = session.scalar(sa.select(sa.func.count()).select_from(DeadLetter))
            return int(count or 0)
