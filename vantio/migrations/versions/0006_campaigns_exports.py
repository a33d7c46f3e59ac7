"""campaigns (generated codes sharing a definition) and voucher analytics exports

Revision ID: 0006
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vantio.db.types

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("conditions", vantio.db.types.JSONType, nullable=False),
        sa.Column("config", vantio.db.types.JSONType, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("program_id", sa.String(length=64), nullable=True),
        sa.Column("code_pattern", vantio.db.types.JSONType, nullable=False),
        sa.Column("codes_requested", sa.Integer(), nullable=False),
        sa.Column("codes_generated", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("completed_at", vantio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("metadata", vantio.db.types.JSONType, nullable=False),
        *_tenant_columns(),
        sa.Column("updated_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_account_id"), ["account_id"], unique=False)

    op.create_table(
        "voucher_exports",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("voucher_ids", vantio.db.types.JSONType, nullable=False),
        sa.Column("metrics", vantio.db.types.JSONType, nullable=False),
        sa.Column("period_start", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_end", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("completed_at", vantio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", vantio.db.types.UTCDateTime(timezone=True), nullable=True),
        *_tenant_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_exports")),
    )
    with op.batch_alter_table("voucher_exports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voucher_exports_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index("ix_voucher_exports_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("voucher_exports", schema=None) as batch_op:
        batch_op.drop_index("ix_voucher_exports_expires_at")
        batch_op.drop_index(batch_op.f("ix_voucher_exports_account_id"))
    op.drop_table("voucher_exports")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_account_id"))
    op.drop_table("campaigns")
