"""vouchers: codes and their definitions, applications, rollbacks, validation attempts

Revision ID: 0003
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vantio.db.types

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vouchers",
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("code_normalized", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("conditions", vantio.db.types.JSONType, nullable=False),
        sa.Column("config", vantio.db.types.JSONType, nullable=True),
        sa.Column("metadata", vantio.db.types.JSONType, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("program_id", sa.String(length=64), nullable=True),
        sa.Column("usage_count", sa.Integer(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("customer_limit", sa.Integer(), nullable=True),
        sa.Column("valid_from", vantio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_until", vantio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", vantio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint(
            "account_id",
            "livemode",
            "code_normalized",
            name=op.f("uq_vouchers_account_id_livemode_code_normalized"),
        ),
    )
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vouchers_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vouchers_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vouchers_program_id"), ["program_id"], unique=False)
        batch_op.create_index(
            "ix_vouchers_status_valid_until", ["status", "valid_until"], unique=False
        )
        batch_op.create_index(
            "ix_vouchers_tenant_status", ["account_id", "livemode", "status"], unique=False
        )

    op.create_table(
        "voucher_customer_usages",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("voucher_id", sa.String(length=64), nullable=False),
        sa.Column("customer_key", sa.String(length=400), nullable=False),
        sa.Column("usage_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["vouchers.id"],
            name=op.f("fk_voucher_customer_usages_voucher_id_vouchers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_customer_usages")),
        sa.UniqueConstraint(
            "voucher_id",
            "customer_key",
            name=op.f("uq_voucher_customer_usages_voucher_id_customer_key"),
        ),
    )

    op.create_table(
        "voucher_orders",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("order_id", sa.String(length=255), nullable=False),
        sa.Column("applies", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_orders")),
        sa.UniqueConstraint(
            "account_id",
            "livemode",
            "order_id",
            name=op.f("uq_voucher_orders_account_id_livemode_order_id"),
        ),
    )
    op.create_table(
        "voucher_applications",
        sa.Column("voucher_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("voucher_type", sa.String(length=16), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("order_id", sa.String(length=255), nullable=False),
        sa.Column("active_order_id", sa.String(length=255), nullable=True),
        sa.Column("customer_id", sa.String(length=255), nullable=True),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("customer_key", sa.String(length=400), nullable=True),
        sa.Column("customer_segment", sa.String(length=100), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("order_data", vantio.db.types.JSONType, nullable=True),
        sa.Column("order_value", sa.BigInteger(), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("final_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("breakdown", vantio.db.types.JSONType, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rolled_back_at", vantio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("metadata", vantio.db.types.JSONType, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["vouchers.id"],
            name=op.f("fk_voucher_applications_voucher_id_vouchers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_applications")),
        sa.UniqueConstraint(
            "voucher_id",
            "active_order_id",
            name=op.f("uq_voucher_applications_voucher_id_active_order_id"),
        ),
    )
    with op.batch_alter_table("voucher_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voucher_applications_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_voucher_applications_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_voucher_applications_customer_key"), ["customer_key"], unique=False
        )
        batch_op.create_index(
            "ix_voucher_applications_tenant_order",
            ["account_id", "livemode", "order_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_voucher_applications_voucher_created", ["voucher_id", "created_at"], unique=False
        )

    op.create_table(
        "voucher_rollbacks",
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("voucher_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=255), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["voucher_applications.id"],
            name=op.f("fk_voucher_rollbacks_application_id_voucher_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["vouchers.id"], name=op.f("fk_voucher_rollbacks_voucher_id_vouchers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_rollbacks")),
        sa.UniqueConstraint("application_id", name=op.f("uq_voucher_rollbacks_application_id")),
    )
    with op.batch_alter_table("voucher_rollbacks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voucher_rollbacks_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_voucher_rollbacks_voucher_id"), ["voucher_id"], unique=False
        )

    op.create_table(
        "voucher_validations",
        sa.Column("voucher_id", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("is_valid", sa.Boolean(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("order_id", sa.String(length=255), nullable=True),
        sa.Column("order_value", sa.BigInteger(), nullable=True),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("customer_key", sa.String(length=400), nullable=True),
        sa.Column("customer_segment", sa.String(length=100), nullable=True),
        sa.Column("context", vantio.db.types.JSONType, nullable=True),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created_at", vantio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_validations")),
    )
    with op.batch_alter_table("voucher_validations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voucher_validations_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_voucher_validations_voucher_created", ["voucher_id", "created_at"], unique=False
        )


def downgrade() -> None:
    for table in (
        "voucher_validations",
        "voucher_rollbacks",
        "voucher_applications",
        "voucher_orders",
        "voucher_customer_usages",
        "vouchers",
    ):
        op.drop_table(table)
