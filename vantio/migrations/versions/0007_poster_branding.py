"""programs: what their printed posters show (headline, incentive, brand color, logo)

Revision ID: 0007
Revises: 0001
Create Date: 2026-12-01 10:00:00

It touches only `programs` (revision 0001), so it branches from there like 0002-0005 do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headline", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("incentive", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("brand_color", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("logo_media_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("logo", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("logo")
        batch_op.drop_column("logo_media_type")
        batch_op.drop_column("brand_color")
        batch_op.drop_column("incentive")
        batch_op.drop_column("headline")
