from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base
from vantio.db.types import UTCDateTime
from vantio.earnings.models import Earning
from vantio.kit.time import utc_now
from vantio.referrals.models import Referral

# Lists page newest first within one account and mode (the dashboard's and the API's): without
# these, SQLite sorts every row of the account for each page (1.4 s at 100,000 referrals,
# bench/dashboard.py); with them a page is an index range scan (< 1 ms).
Index("ix_referrals_account_id_livemode_id", Referral.account_id, Referral.livemode, Referral.id)
Index("ix_earnings_account_id_livemode_id", Earning.account_id, Earning.livemode, Earning.id)
# The ambassadors page counts each ambassador's referrals by status from the index alone
# (194 ms -> 7 ms for a page of 50 ambassadors at 100,000 referrals on SQLite).
Index(
    "ix_referrals_student_id_account_id_livemode_status",
    Referral.student_id,
    Referral.account_id,
    Referral.livemode,
    Referral.status,
)


class Operator(Base):
    """A person who signs in to the dashboard of one account; only an argon2 hash is stored."""

    __tablename__ = "dashboard_operators"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    email_normalized: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DashboardSession(Base):
    """A signed-in browser: the cookie holds a random token, the row its SHA-256 hash."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("dashboard_operators.id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64))
    # The mode whose data is on screen (the test/live switch).
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SetupToken(Base):
    """A one-time link printed at first start, to create the first operator of an account."""

    __tablename__ = "dashboard_setup_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SignInFailure(Base):
    """One failed sign-in, counted per email and per IP over a sliding window."""

    __tablename__ = "dashboard_signin_failures"
    __table_args__ = (
        Index("ix_dashboard_signin_failures_email_at", "email_normalized", "at"),
        Index("ix_dashboard_signin_failures_ip_at", "ip_address", "at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email_normalized: Mapped[str] = mapped_column(String(320))
    ip_address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
