from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin
from vantio.db.types import JSONType


class Event(TenantMixin, Base):
    """Something that happened, written in the transaction that made it happen."""

    __tablename__ = "events"

    type: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # The webhook body, serialized once when the event is recorded: every delivery and every
    # retry sends (and signs) exactly these bytes.
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
