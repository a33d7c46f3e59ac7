from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin
from vantio.db.types import JSONType, UTCDateTime


class VoucherExport(TenantMixin, Base):
    """An asynchronous analytics export (`export_...`); the file lives in `content` for 24 h."""

    __tablename__ = "voucher_exports"
    __table_args__ = (Index("ix_voucher_exports_expires_at", "expires_at"),)

    status: Mapped[str] = mapped_column(String(16))  # processing | completed | failed
    format: Mapped[str] = mapped_column(String(8))  # csv | json
    voucher_ids: Mapped[list[str]] = mapped_column(JSONType)
    metrics: Mapped[list[str]] = mapped_column(JSONType)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    record_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    file_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
