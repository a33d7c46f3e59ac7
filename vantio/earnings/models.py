from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin, UpdatedMixin
from vantio.db.types import JSONType, UTCDateTime


class Earning(TenantMixin, UpdatedMixin, Base):
    """An ambassador's commission on a referred customer's purchase."""

    __tablename__ = "earnings"
    __table_args__ = (
        Index("ix_earnings_program_status", "program_id", "status"),
        # A conversion is paid once: the order or invoice id is unique in its program and mode,
        # settled by the database whatever the number of concurrent requests (NULLs never collide).
        Index(
            "uq_earnings_external_id",
            "account_id",
            "livemode",
            "program_id",
            "external_id",
            unique=True,
        ),
    )

    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id"), index=True)
    program_id: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # an EarningStatus (schemas.py)
    reference_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    # Money rules (docs/API.md, "i15-money").
    payable_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reverses: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reversal_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    original_amount: Mapped[int | None] = mapped_column(Integer, nullable=True)
