"""dashboard operators, sessions, setup links and failed sign-ins

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-23 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vantio.db.types

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DateTime = vantio.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dashboard_operators",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_normalized", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", DateTime, nullable=False),
        sa.Column("last_sign_in_at", DateTime, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_dashboard_operators_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_operators")),
        sa.UniqueConstraint(
            "email_normalized", name=op.f("uq_dashboard_operators_email_normalized")
        ),
    )
    with op.batch_alter_table("dashboard_operators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboard_operators_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", DateTime, nullable=False),
        sa.Column("expires_at", DateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["dashboard_operators.id"],
            name=op.f("fk_dashboard_sessions_operator_id_dashboard_operators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_dashboard_sessions_token_hash")),
    )
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboard_sessions_operator_id"), ["operator_id"], unique=False
        )

    op.create_table(
        "dashboard_setup_tokens",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", DateTime, nullable=False),
        sa.Column("expires_at", DateTime, nullable=False),
        sa.Column("used_at", DateTime, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_dashboard_setup_tokens_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_setup_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_dashboard_setup_tokens_token_hash")),
    )

    op.create_table(
        "dashboard_signin_failures",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("email_normalized", sa.String(length=320), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("at", DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_signin_failures")),
    )
    with op.batch_alter_table("dashboard_signin_failures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dashboard_signin_failures_email_at", ["email_normalized", "at"], unique=False
        )
        batch_op.create_index(
            "ix_dashboard_signin_failures_ip_at", ["ip_address", "at"], unique=False
        )
    # The account's lists, newest first (declared in vantio/dashboard/models.py).
    op.create_index(
        "ix_referrals_account_id_livemode_id", "referrals", ["account_id", "livemode", "id"]
    )
    op.create_index(
        "ix_earnings_account_id_livemode_id", "earnings", ["account_id", "livemode", "id"]
    )
    op.create_index(
        "ix_referrals_student_id_account_id_livemode_status",
        "referrals",
        ["student_id", "account_id", "livemode", "status"],
    )


def downgrade() -> None:
    op.drop_index("ix_referrals_student_id_account_id_livemode_status", table_name="referrals")
    op.drop_index("ix_earnings_account_id_livemode_id", table_name="earnings")
    op.drop_index("ix_referrals_account_id_livemode_id", table_name="referrals")
    op.drop_table("dashboard_signin_failures")
    op.drop_table("dashboard_setup_tokens")
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_sessions_operator_id"))
    op.drop_table("dashboard_sessions")
    with op.batch_alter_table("dashboard_operators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_operators_account_id"))
    op.drop_table("dashboard_operators")
