"""webhook_endpoints: room for sealed (encrypted) secrets

Revision ID: 0008
Revises: 0002
Create Date: 2026-12-01 00:00:00

Webhook secrets are now stored sealed with the server's key (vantio/kit/sealing.py): about 100
characters instead of 38. It touches only `webhook_endpoints` (revision 0002). Rows written
before stay readable as plain text; `vantio secrets rotate-key` seals them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        for column in ("secret", "previous_secret"):
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=100),
                type_=sa.String(length=255),
                existing_nullable=column == "previous_secret",
            )


def downgrade() -> None:
    # Sealed values do not fit in 100 characters: a downgrade needs them opened first
    # (not done here: run it only on a database that never held a sealed secret).
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        for column in ("secret", "previous_secret"):
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=255),
                type_=sa.String(length=100),
                existing_nullable=column == "previous_secret",
            )
