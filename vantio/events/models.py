from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin
from vantio.db.types import JSONType


class Event(TenantMixin, Base):
    """Something that happened, written in the transaction that made it happen."""

    __tablename__ = "events"

    type: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
