from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin, UpdatedMixin
from vantio.db.types import JSONType, UTCDateTime


class Campaign(TenantMixin, UpdatedMixin, Base):
    """A batch of generated codes (`camp_...`) sharing one checked voucher definition.

    The definition is kept here so that the worker can generate the remaining codes later;
    `codes_generated` counts the codes inserted so far (the progress a dashboard shows).
    """

    __tablename__ = "campaigns"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    type: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType)
    config: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    program_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # {prefix, suffix, length, charset}
    code_pattern: Mapped[dict[str, Any]] = mapped_column(JSONType)
    codes_requested: Mapped[int] = mapped_column(Integer)
    codes_generated: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # generating | completed | failed
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
