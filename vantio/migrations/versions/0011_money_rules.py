"""money rules: hold periods, reversals and clawbacks, conversion dedupe, recurring and capped
commissions, payout methods and runs

Revision ID: 0011
Revises: 0004
Create Date: 2026-11-30 23:00:00

It alters `earnings` and `programs` (revision 0001) and `payouts` and `payout_earnings`
(revision 0004, which builds on 0001), so it branches from 0004.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vantio.db.types

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DateTime = vantio.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("earnings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payable_at", DateTime, nullable=True))
        batch_op.add_column(sa.Column("external_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("reverses", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reversed_at", DateTime, nullable=True))
        batch_op.add_column(sa.Column("reversal_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("original_amount", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_earnings_reverses"), ["reverses"], unique=False)
        batch_op.create_index(
            "uq_earnings_external_id",
            ["account_id", "livemode", "program_id", "external_id"],
            unique=True,
        )
    # Earnings made before hold periods existed were payable when created.
    op.execute("UPDATE earnings SET payable_at = created_at")

    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hold_days", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("commission_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("commission_cap", vantio.db.types.JSONType, nullable=True))
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.alter_column("hold_days", server_default=None)

    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("method", sa.String(length=16), nullable=False, server_default="manual")
        )
        batch_op.add_column(sa.Column("run_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("voucher_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("failure_reason", sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f("ix_payouts_run_id"), ["run_id"], unique=False)
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.alter_column("method", server_default=None)
    with op.batch_alter_table("payout_earnings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_at", DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payout_earnings", schema=None) as batch_op:
        batch_op.drop_column("left_at")
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payouts_run_id"))
        batch_op.drop_column("failure_reason")
        batch_op.drop_column("voucher_id")
        batch_op.drop_column("run_id")
        batch_op.drop_column("method")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("commission_cap")
        batch_op.drop_column("commission_months")
        batch_op.drop_column("hold_days")
    with op.batch_alter_table("earnings", schema=None) as batch_op:
        batch_op.drop_index("uq_earnings_external_id")
        batch_op.drop_index(batch_op.f("ix_earnings_reverses"))
        batch_op.drop_column("original_amount")
        batch_op.drop_column("reversal_reason")
        batch_op.drop_column("reversed_at")
        batch_op.drop_column("reverses")
        batch_op.drop_column("external_id")
        batch_op.drop_column("payable_at")
