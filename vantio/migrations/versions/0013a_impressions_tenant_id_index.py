"""impressions: index (account_id, livemode, id) in place of (account_id)

Revision ID: 0013a
Revises: 0009
Create Date: 2026-12-01 01:45:00

The analytics readers count the impressions stored since the rollups' watermark
(`account_id = ? AND livemode = ? AND id >= ?`). With only (account_id) SQLite walked every
impression of the account for it (15 ms at 100,000, measured); the wider index answers it, and
anything the narrower one did, so it replaces it and the scan path keeps one index to write.
It touches only `impressions`, last changed by 0009, so it builds on 0009.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013a"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_impressions_account_id_livemode_id", ["account_id", "livemode", "id"], unique=False
        )
        batch_op.drop_index("ix_impressions_account_id")


def downgrade() -> None:
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.create_index("ix_impressions_account_id", ["account_id"], unique=False)
        batch_op.drop_index("ix_impressions_account_id_livemode_id")
