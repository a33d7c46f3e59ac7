"""voucher_applications: the validation whose order priced an apply sent as `{code, order_id}`

Revision ID: 0012
Revises: 0003
Create Date: 2026-11-30 23:40:00

It touches only `voucher_applications` (revision 0003), so it branches from there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("voucher_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("validation_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_voucher_applications_validation", ["validation_id"])


def downgrade() -> None:
    with op.batch_alter_table("voucher_applications", schema=None) as batch_op:
        batch_op.drop_constraint("uq_voucher_applications_validation", type_="unique")
        batch_op.drop_column("validation_id")
