from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin, UpdatedMixin
from vantio.db.types import JSONType, SealedText, UTCDateTime
from vantio.kit.time import utc_now


class Payout(TenantMixin, UpdatedMixin, Base):
    """One payment to one ambassador in one currency, made of their pending earnings."""

    __tablename__ = "payouts"
    __table_args__ = (Index("ix_payouts_program_student", "program_id", "student_id"),)

    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    student_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))  # a PayoutStatus (schemas.py)
    earnings_count: Mapped[int] = mapped_column(Integer)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    # How it is paid (a PayoutMethod): `manual` (the owner pays), a payout file (`paypal`, `wise`,
    # `sepa`: one file per run), or `voucher_credit` (store credit: `voucher_id`).
    method: Mapped[str] = mapped_column(String(16), default="manual")
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    voucher_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class PayoutEarning(Base):
    """An earning's place in a payout, with the amount it contributed.

    `active` is true while the payout is `processing` or `paid` and NULL once it `failed`; the
    unique (earning_id, active) lets the database refuse an earning in two live payouts, while
    the history of failed payouts stays (NULLs never collide).
    """

    __tablename__ = "payout_earnings"
    __table_args__ = (UniqueConstraint("earning_id", "active"),)

    payout_id: Mapped[str] = mapped_column(ForeignKey("payouts.id"), primary_key=True)
    earning_id: Mapped[str] = mapped_column(ForeignKey("earnings.id"), primary_key=True)
    amount: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # Set when the earning left the payout before it was paid (reversed, or a clawback let go).
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ScheduledPayoutRun(Base):
    """The one scheduled payout run of a program in one period (`2026-W47`, `2026-11`...).

    The unique (period, program_id) makes the run happen once per period, whatever the number of
    workers or restarts: the run that inserts the row does the work, in the same transaction.
    """

    __tablename__ = "scheduled_payout_runs"
    __table_args__ = (UniqueConstraint("period", "program_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    period: Mapped[str] = mapped_column(String(16))
    payouts_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class PayoutAccount(TenantMixin, UpdatedMixin, Base):
    """How one ambassador is paid: PayPal (an email) or a bank account (IBAN, BIC, holder).

    `details` (JSON) is sealed with the server's key (`SealedText`); `label` is what a list may show (the
    method and a masked account) without opening it.
    """

    __tablename__ = "payout_accounts"
    __table_args__ = (UniqueConstraint("student_id"),)

    student_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str] = mapped_column(String(16))  # paypal | bank
    label: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(SealedText(2048, purpose="payout_accounts.details"))
