from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin, UpdatedMixin
from vantio.db.types import JSONType, UTCDateTime


class Referral(TenantMixin, UpdatedMixin, Base):
    """A person who signed up after scanning a poster."""

    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("program_id", "email_normalized"),
        Index("ix_referrals_program_created", "program_id", "created_at"),
    )

    impression_id: Mapped[str] = mapped_column(ForeignKey("impressions.id"), index=True)
    program_id: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    email_normalized: Mapped[str] = mapped_column(String(320))
    profile_picture: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # a ReferralStatus (schemas.py)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
