from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin, UpdatedMixin
from vantio.db.types import JSONType, UTCDateTime
from vantio.kit.time import utc_now


class Voucher(TenantMixin, UpdatedMixin, Base):
    """One redeemable code and its discount definition (a campaign's codes share one definition).

    The definition (`type`, `value`, `conditions`, `config`) is the JSON the API shows; the
    columns `max_uses`, `customer_limit`, `valid_from` and `valid_until` repeat what the
    conditions say so that the database can enforce the counters and find expired vouchers.
    """

    __tablename__ = "vouchers"
    __table_args__ = (
        # Codes are case-insensitive and unique per account and mode, deleted ones included
        # (their history stays attached to the code).
        UniqueConstraint("account_id", "livemode", "code_normalized"),
        Index("ix_vouchers_tenant_status", "account_id", "livemode", "status"),
        Index("ix_vouchers_status_valid_until", "status", "valid_until"),
    )

    code: Mapped[str] = mapped_column(String(100))
    code_normalized: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    # Percent (may be fractional) or minor units; None for types configured in `config`.
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType)
    config: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    # Set on campaign codes: the campaign (camp_...) whose definition this code was made from.
    campaign_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # Set when the voucher is the referee voucher of a referral program (the referral loop).
    program_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    max_uses: Mapped[int | None] = mapped_column(Integer, nullable=True)
    customer_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class VoucherCustomerUsage(Base):
    """How often one customer used one voucher: the counter behind `customer_limit`."""

    __tablename__ = "voucher_customer_usages"
    __table_args__ = (UniqueConstraint("voucher_id", "customer_key"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    voucher_id: Mapped[str] = mapped_column(ForeignKey("vouchers.id"))
    # "id:<customer.id>" or "email:<lower-cased customer.email>"
    customer_key: Mapped[str] = mapped_column(String(400))
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)


class VoucherOrder(Base):
    """One row per order that vouchers were applied to: applies to the same order lock it, so
    the stacking rules are judged against every application standing on the order."""

    __tablename__ = "voucher_orders"
    __table_args__ = (UniqueConstraint("account_id", "livemode", "order_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64))
    livemode: Mapped[bool] = mapped_column(Boolean)
    order_id: Mapped[str] = mapped_column(String(255))
    applies: Mapped[int] = mapped_column(Integer, default=0)


class VoucherApplication(TenantMixin, Base):
    """A voucher applied to an order (`va_...`): the permanent record of a redemption.

    `active_order_id` equals `order_id` while the application stands and is cleared by a
    rollback, so the unique constraint allows one standing application per voucher and order.
    """

    __tablename__ = "voucher_applications"
    __table_args__ = (
        UniqueConstraint("voucher_id", "active_order_id"),
        # A validation without an order id prices one application at most.
        UniqueConstraint("validation_id", name="uq_voucher_applications_validation"),
        Index("ix_voucher_applications_tenant_order", "account_id", "livemode", "order_id"),
        Index("ix_voucher_applications_voucher_created", "voucher_id", "created_at"),
    )

    voucher_id: Mapped[str] = mapped_column(ForeignKey("vouchers.id"))
    code: Mapped[str] = mapped_column(String(100))
    voucher_type: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    order_id: Mapped[str] = mapped_column(String(255))
    active_order_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    customer_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    customer_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    customer_key: Mapped[str | None] = mapped_column(String(400), nullable=True, index=True)
    customer_segment: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Hash of the order and customer sent with the apply: a replay with other data is a conflict.
    request_hash: Mapped[str] = mapped_column(String(64))
    order_data: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    order_value: Mapped[int] = mapped_column(BigInteger)
    discount_amount: Mapped[int] = mapped_column(BigInteger)
    final_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Per-item and shipping share of the discount, so later stacked codes start from the rest.
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))  # applied | rolled_back
    rolled_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    # The recorded validation whose order priced an apply that sent only `{code, order_id}`.
    validation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class VoucherRollback(TenantMixin, Base):
    """The undoing of an application (`vr_...`); at most one per application."""

    __tablename__ = "voucher_rollbacks"

    application_id: Mapped[str] = mapped_column(ForeignKey("voucher_applications.id"), unique=True)
    voucher_id: Mapped[str] = mapped_column(ForeignKey("vouchers.id"), index=True)
    order_id: Mapped[str] = mapped_column(String(255))
    discount_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class VoucherValidation(TenantMixin, Base):
    """A recorded validation attempt (not for `preview`): the denominator of conversion rates."""

    __tablename__ = "voucher_validations"
    __table_args__ = (Index("ix_voucher_validations_voucher_created", "voucher_id", "created_at"),)

    # None when the code matched no voucher.
    voucher_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    code: Mapped[str] = mapped_column(String(100))
    campaign_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    is_valid: Mapped[bool] = mapped_column(Boolean)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    order_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    order_value: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    customer_key: Mapped[str | None] = mapped_column(String(400), nullable=True)
    customer_segment: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The order and customer validated, kept when the order has an id: an apply that sends only
    # `{code, order_id}` (the documented request) is priced from it.
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
