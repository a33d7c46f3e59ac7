from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin
from vantio.db.types import JSONType, UTCDateTime


class Impression(TenantMixin, Base):
    """One scan of a poster's QR code."""

    __tablename__ = "impressions"
    __table_args__ = (
        Index("ix_impressions_poster_fingerprint", "poster_id", "fingerprint", "scanned_at"),
        Index("ix_impressions_program_scanned", "program_id", "scanned_at"),
        Index("ix_impressions_poster_device", "poster_id", "device_fingerprint", "scanned_at"),
        # The tenant's impressions in ID (storage) order: what the analytics readers count
        # beyond the rollups' watermark (`id >= mark`) is a short range of it. With the
        # account alone, SQLite walked every impression of the account (0013a).
        Index("ix_impressions_account_id_livemode_id", "account_id", "livemode", "id"),
    )

    # Indexed with the mode and the ID above, which serves whatever the account alone did.
    account_id: Mapped[str] = mapped_column(String(64))
    poster_id: Mapped[str] = mapped_column(ForeignKey("posters.id"))
    program_id: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    ip_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A hash of poster, IP and user agent: repeat scans of one device within the window reuse the impression.
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A hash of poster and the device's cookie (`vantio_device`): a repeat scan of one device is
    # recognised by it even from another network; hashed with the poster so that the stored
    # values cannot link one device's scans of different posters.
    device_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
