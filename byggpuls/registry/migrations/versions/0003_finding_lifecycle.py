"""The findings' audit trail, and who resolved a finding and when.

Every finding in the database gets its first event, ``detect`` by ``analytics`` at the time it
was created: that is how every finding came to be. What happened to it after that, before this
revision, was not recorded, so the trail of an older acknowledged or resolved finding starts
there and its ``resolved_at`` and ``resolved_by`` stay empty.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = "'open', 'acknowledged', 'resolved'"


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.Text(), nullable=True))
    op.create_table(
        "finding_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "action IN ('detect', 'acknowledge', 'resolve', 'reopen')",
            name=op.f("ck_finding_events_action"),
        ),
        sa.CheckConstraint(
            f"from_status IN ({_STATUSES})", name=op.f("ck_finding_events_from_status")
        ),
        sa.CheckConstraint(f"to_status IN ({_STATUSES})", name=op.f("ck_finding_events_to_status")),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_finding_events_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_events")),
    )
    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finding_events_finding_id"), ["finding_id"], unique=False
        )
    # created_at is stored as the models store it, so copying it keeps its format on SQLite too.
    op.execute(
        "INSERT INTO finding_events (finding_id, occurred_at, actor, action, to_status)"
        " SELECT id, created_at, 'analytics', 'detect', 'open' FROM findings ORDER BY id"
    )


def downgrade() -> None:
    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_events_finding_id"))
    op.drop_table("finding_events")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("resolved_at")
