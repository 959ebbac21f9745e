"""Completeness accounting: pack receipts, gateway sequences, point-day readings, gateway states.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pack_receipts",
        sa.Column("building_id", sa.String(64), nullable=False),
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("building_id", "gateway", "seq", name=op.f("pk_pack_receipts")),
    )
    with op.batch_alter_table("pack_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pack_receipts_received_at"), ["received_at"], unique=False
        )
    op.create_table(
        "gateway_sequences",
        sa.Column("building_id", sa.String(64), nullable=False),
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("packs", sa.BigInteger(), nullable=False),
        sa.Column("duplicates", sa.BigInteger(), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("building_id", "gateway", name=op.f("pk_gateway_sequences")),
    )
    op.create_table(
        "point_day_readings",
        sa.Column("building_id", sa.String(64), nullable=False),
        sa.Column("point_id", sa.String(128), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("readings", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "building_id", "point_id", "day", name=op.f("pk_point_day_readings")
        ),
    )
    op.create_table(
        "gateway_states",
        sa.Column("building_id", sa.String(64), nullable=False),
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("spool_depth", sa.BigInteger(), nullable=True),
        sa.Column("spool_dropped", sa.BigInteger(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("building_id", "gateway", name=op.f("pk_gateway_states")),
    )


def downgrade() -> None:
    op.drop_table("gateway_states")
    op.drop_table("point_day_readings")
    with op.batch_alter_table("pack_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pack_receipts_received_at"))
    op.drop_table("pack_receipts")
    op.drop_table("gateway_sequences")
