"""impressions: the device cookie's fingerprint, to recognise a repeat scan of one device

Revision ID: 0009
Revises: 0001
Create Date: 2026-11-30 23:00:00

It touches only `impressions` (revision 0001), so it branches from there like 0002-0007 do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_fingerprint", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_impressions_poster_device",
            ["poster_id", "device_fingerprint", "scanned_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.drop_index("ix_impressions_poster_device")
        batch_op.drop_column("device_fingerprint")
