"""payout accounts (how each ambassador is paid) and the program's SEPA sender account

Revision ID: 0011a
Revises: 0011
Create Date: 2026-11-30 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vantio.db.types

revision: str = "0011a"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DateTime = vantio.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payout_accounts",
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("details", sa.String(length=2048), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", DateTime, nullable=False),
        sa.Column("updated_at", DateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"], ["users.id"], name=op.f("fk_payout_accounts_student_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_accounts")),
        sa.UniqueConstraint("student_id", name=op.f("uq_payout_accounts_student_id")),
    )
    with op.batch_alter_table("payout_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payout_accounts_account_id"), ["account_id"], unique=False
        )
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payout_sender", vantio.db.types.JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("payout_sender")
    with op.batch_alter_table("payout_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_accounts_account_id"))
    op.drop_table("payout_accounts")
