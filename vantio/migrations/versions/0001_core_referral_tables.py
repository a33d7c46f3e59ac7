"""core referral tables

Revision ID: 0001
Revises:
Create Date: 2026-11-23 03:23:11.742282
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vantio.db.types

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "events",
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("data", vantio.db.types.JSONType, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_type"), ["type"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("locked_until", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_media_type", sa.String(length=100), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "account_id",
            "livemode",
            "route",
            "key",
            name=op.f("uq_idempotency_keys_account_id_livemode_route_key"),
        ),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "programs",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("landing_url", sa.String(length=2048), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("commission", vantio.db.types.JSONType, nullable=False),
        sa.Column("payout_schedule", sa.String(length=16), nullable=False),
        sa.Column("minimum_payout", sa.Integer(), nullable=False),
        sa.Column("attribution_window_days", sa.Integer(), nullable=False),
        sa.Column("referee_voucher_id", sa.String(length=64), nullable=True),
        sa.Column("metadata", vantio.db.types.JSONType, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
    )
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programs_account_id"), ["account_id"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=32), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", vantio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", vantio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_api_keys_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_account_id"), ["account_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_normalized", sa.String(length=320), nullable=False),
        sa.Column("profile_picture", sa.String(length=2048), nullable=True),
        sa.Column("metadata", vantio.db.types.JSONType, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_users_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint(
            "program_id", "email_normalized", name=op.f("uq_users_program_id_email_normalized")
        ),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_program_id"), ["program_id"], unique=False)

    op.create_table(
        "posters",
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("destination_url", sa.String(length=2048), nullable=True),
        sa.Column("metadata", vantio.db.types.JSONType, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_posters_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["users.id"], name=op.f("fk_posters_student_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posters")),
        sa.UniqueConstraint("code", name=op.f("uq_posters_code")),
    )
    with op.batch_alter_table("posters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posters_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posters_program_id"), ["program_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posters_student_id"), ["student_id"], unique=False)

    op.create_table(
        "impressions",
        sa.Column("poster_id", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("scanned_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=1000), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("metadata", vantio.db.types.JSONType, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["poster_id"], ["posters.id"], name=op.f("fk_impressions_poster_id_posters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impressions")),
    )
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_impressions_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            "ix_impressions_poster_fingerprint",
            ["poster_id", "fingerprint", "scanned_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_impressions_program_scanned", ["program_id", "scanned_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_impressions_student_id"), ["student_id"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("impression_id", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_normalized", sa.String(length=320), nullable=False),
        sa.Column("profile_picture", sa.String(length=2048), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verified_at", vantio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("metadata", vantio.db.types.JSONType, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["impression_id"],
            ["impressions.id"],
            name=op.f("fk_referrals_impression_id_impressions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint(
            "program_id", "email_normalized", name=op.f("uq_referrals_program_id_email_normalized")
        ),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referrals_impression_id"), ["impression_id"], unique=False
        )
        batch_op.create_index(
            "ix_referrals_program_created", ["program_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referrals_student_id"), ["student_id"], unique=False)

    op.create_table(
        "earnings",
        sa.Column("referral_id", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reference_id", sa.String(length=255), nullable=True),
        sa.Column("paid_at", vantio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("metadata", vantio.db.types.JSONType, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_earnings_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_earnings")),
    )
    with op.batch_alter_table("earnings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_earnings_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_earnings_program_status", ["program_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_earnings_reference_id"), ["reference_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_earnings_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_earnings_student_id"), ["student_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("earnings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_earnings_student_id"))
        batch_op.drop_index(batch_op.f("ix_earnings_referral_id"))
        batch_op.drop_index(batch_op.f("ix_earnings_reference_id"))
        batch_op.drop_index("ix_earnings_program_status")
        batch_op.drop_index(batch_op.f("ix_earnings_account_id"))

    op.drop_table("earnings")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_student_id"))
        batch_op.drop_index("ix_referrals_program_created")
        batch_op.drop_index(batch_op.f("ix_referrals_impression_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_account_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_impressions_student_id"))
        batch_op.drop_index("ix_impressions_program_scanned")
        batch_op.drop_index("ix_impressions_poster_fingerprint")
        batch_op.drop_index(batch_op.f("ix_impressions_account_id"))

    op.drop_table("impressions")
    with op.batch_alter_table("posters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posters_student_id"))
        batch_op.drop_index(batch_op.f("ix_posters_program_id"))
        batch_op.drop_index(batch_op.f("ix_posters_account_id"))

    op.drop_table("posters")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_program_id"))
        batch_op.drop_index(batch_op.f("ix_users_account_id"))

    op.drop_table("users")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_account_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programs_account_id"))

    op.drop_table("programs")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_type"))
        batch_op.drop_index(batch_op.f("ix_events_account_id"))

    op.drop_table("events")
    op.drop_table("accounts")
