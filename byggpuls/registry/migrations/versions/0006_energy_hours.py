"""The energy ledger: each building's main meters hour by hour, with baseline and cost.

Revision ID: 0006
Revises: 0005
Create Date: 2025-01-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "energy_hours",
        sa.Column("building_id", sa.String(64), nullable=False),
        sa.Column("carrier", sa.String(16), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("point", sa.String(128), nullable=False),
        sa.Column("measured_kwh", sa.Double(), nullable=True),
        sa.Column("baseline_kwh", sa.Double(), nullable=True),
        sa.Column("cost_nok", sa.Double(), nullable=True),
        sa.CheckConstraint(
            "carrier IN ('electricity', 'heat')", name=op.f("ck_energy_hours_carrier")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_energy_hours_building_id_buildings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("building_id", "carrier", "hour", name=op.f("pk_energy_hours")),
    )


def downgrade() -> None:
    op.drop_table("energy_hours")
