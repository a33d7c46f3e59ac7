"""Rollups of impressions, so that a 90-day funnel over a million scans reads thousands of rows.

They are built behind the writes, never in them: `rollups.refresh` folds impressions whose IDs
(which encode their insertion time) are below a watermark into per-slot counts, and the readers
add the rows at or above the watermark from `impressions` itself. The scan path writes nothing
more than before, and the figures stay exact whatever the rollups' age.
"""

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base
from vantio.db.types import UTCDateTime


class ImpressionSlot(Base):
    """Impressions of a program per 15-minute slot (UTC): every real time zone's midnight is a
    slot boundary, so day, week and month intervals in any zone are sums of whole slots."""

    __tablename__ = "analytics_impression_slots"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class ImpressionDay(Base):
    """Impressions per ambassador per UTC day, for the leaderboard."""

    __tablename__ = "analytics_impression_days"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class PosterDay(Base):
    """Impressions per poster per UTC day, for the posters and locations report."""

    __tablename__ = "analytics_poster_days"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    poster_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class RollupWatermark(Base):
    """Impressions with an ID below `below_id` are in the rollups; the others are not."""

    __tablename__ = "analytics_watermarks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    below_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
