"""Partners' grants, and the broker clients whose rights the platform derives.

Revision ID: 0007
Revises: 0006
Create Date: 2025-01-07 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TYPES = "'school', 'kindergarten', 'nursing_home', 'office', 'sports_hall', 'other'"


def upgrade() -> None:
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("building_type", sa.String(32), nullable=True),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Text(), nullable=True),
        sa.Column("expiry_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            f"building_type IS NULL OR building_type IN ({_TYPES})",
            name=op.f("ck_grants_building_type"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["users.id"], name=op.f("fk_grants_partner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
    )
    op.create_index(op.f("ix_grants_partner_id"), "grants", ["partner_id"], unique=False)
    op.create_table(
        "grant_buildings",
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["grants.id"],
            name=op.f("fk_grant_buildings_grant_id_grants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_grant_buildings_building_id_buildings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("grant_id", "building_id", name=op.f("pk_grant_buildings")),
    )
    op.create_table(
        "broker_clients",
        sa.Column("username", sa.String(144), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.String(64), nullable=True),
        sa.Column("gateway_id", sa.String(64), nullable=True),
        sa.Column("service", sa.String(64), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("applied_generation", sa.Integer(), nullable=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('partner', 'gateway', 'service')", name=op.f("ck_broker_clients_kind")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_broker_clients_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_broker_clients")),
        sa.UniqueConstraint("user_id", name=op.f("uq_broker_clients_user_id")),
    )


def downgrade() -> None:
    op.drop_table("broker_clients")
    op.drop_table("grant_buildings")
    op.drop_index(op.f("ix_grants_partner_id"), table_name="grants")
    op.drop_table("grants")
