"""payouts, their earnings, scheduled payout runs; analytics rollups of impressions

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-23 03:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vantio.db.types

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DateTime = vantio.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payouts",
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("earnings_count", sa.Integer(), nullable=False),
        sa.Column("paid_at", DateTime, nullable=True),
        sa.Column("metadata", vantio.db.types.JSONType, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", DateTime, nullable=False),
        sa.Column("updated_at", DateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_payouts_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["users.id"], name=op.f("fk_payouts_student_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
    )
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payouts_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            "ix_payouts_program_student", ["program_id", "student_id"], unique=False
        )

    op.create_table(
        "payout_earnings",
        sa.Column("payout_id", sa.String(length=64), nullable=False),
        sa.Column("earning_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["earning_id"], ["earnings.id"], name=op.f("fk_payout_earnings_earning_id_earnings")
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_payout_earnings_payout_id_payouts")
        ),
        sa.PrimaryKeyConstraint("payout_id", "earning_id", name=op.f("pk_payout_earnings")),
        sa.UniqueConstraint(
            "earning_id", "active", name=op.f("uq_payout_earnings_earning_id_active")
        ),
    )

    op.create_table(
        "scheduled_payout_runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("payouts_count", sa.Integer(), nullable=False),
        sa.Column("created_at", DateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_scheduled_payout_runs_program_id_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_payout_runs")),
        sa.UniqueConstraint(
            "period", "program_id", name=op.f("uq_scheduled_payout_runs_period_program_id")
        ),
    )

    op.create_table(
        "analytics_impression_slots",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("slot_start", DateTime, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id",
            "livemode",
            "program_id",
            "slot_start",
            name=op.f("pk_analytics_impression_slots"),
        ),
    )
    op.create_table(
        "analytics_impression_days",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("day_start", DateTime, nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id",
            "livemode",
            "program_id",
            "day_start",
            "student_id",
            name=op.f("pk_analytics_impression_days"),
        ),
    )
    op.create_table(
        "analytics_poster_days",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("day_start", DateTime, nullable=False),
        sa.Column("poster_id", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id",
            "livemode",
            "program_id",
            "day_start",
            "poster_id",
            name=op.f("pk_analytics_poster_days"),
        ),
    )
    op.create_table(
        "analytics_watermarks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("below_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", DateTime, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analytics_watermarks")),
    )


def downgrade() -> None:
    op.drop_table("analytics_watermarks")
    op.drop_table("analytics_poster_days")
    op.drop_table("analytics_impression_days")
    op.drop_table("analytics_impression_slots")
    op.drop_table("scheduled_payout_runs")
    op.drop_table("payout_earnings")
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index("ix_payouts_program_student")
        batch_op.drop_index(batch_op.f("ix_payouts_account_id"))
    op.drop_table("payouts")
