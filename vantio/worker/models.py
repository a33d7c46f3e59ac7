"""Job rows: written in the transaction of the change that needs them, claimed by the workers."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base
from vantio.db.types import JSONType, UTCDateTime
from vantio.kit.time import utc_now

QUEUED = "queued"
FAILED = "failed"


class Job(Base):
    """One unit of background work. Deleted when it succeeds; kept as `failed` when it gives up."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_run_at", "state", "run_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A job is ours while its lease runs; a crashed worker's lease expires and the job runs again.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # At most one queued job per key: enqueueing a second one is a no-op.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class PeriodicSchedule(Base):
    """The next due time of each periodic job; whoever advances it enqueues that run."""

    __tablename__ = "periodic_schedules"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    spec: Mapped[str] = mapped_column(String(100))
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
