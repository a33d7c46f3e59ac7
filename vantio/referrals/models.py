from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
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


class ReferralCounts:
    """Referrals per status, of one key of a rollup (referrals/rollups.py): kept in the same
    transaction as every referral's creation and status change, so they are exact at all times.
    The columns are the statuses (`ReferralStatus`): a status change moves one from one to another."""

    account_id: Mapped[str] = mapped_column(String(64))
    livemode: Mapped[bool] = mapped_column(Boolean)
    program_id: Mapped[str] = mapped_column(String(64))
    pending: Mapped[int] = mapped_column(Integer, default=0)
    converted: Mapped[int] = mapped_column(Integer, default=0)
    verified: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class ReferralSlot(ReferralCounts, Base):
    """Referrals of a program created in each 15-minute slot (UTC), for the funnel in any zone."""

    __tablename__ = "analytics_referral_slots"
    __table_args__ = (PrimaryKeyConstraint("account_id", "livemode", "program_id", "slot_start"),)

    slot_start: Mapped[datetime] = mapped_column(UTCDateTime)


class ReferralDay(ReferralCounts, Base):
    """Referrals per ambassador per UTC day (of creation), for the leaderboard."""

    __tablename__ = "analytics_referral_days"
    __table_args__ = (
        PrimaryKeyConstraint("account_id", "livemode", "program_id", "day_start", "student_id"),
    )

    day_start: Mapped[datetime] = mapped_column(UTCDateTime)
    student_id: Mapped[str] = mapped_column(String(64))


class ReferralPosterDay(ReferralCounts, Base):
    """Referrals per poster (of the scan they came from) per UTC day, for the posters report."""

    __tablename__ = "analytics_referral_poster_days"
    __table_args__ = (
        PrimaryKeyConstraint("account_id", "livemode", "program_id", "day_start", "poster_id"),
    )

    day_start: Mapped[datetime] = mapped_column(UTCDateTime)
    poster_id: Mapped[str] = mapped_column(String(64))
