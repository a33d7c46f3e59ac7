from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base
from vantio.db.types import UTCDateTime
from vantio.kit.time import utc_now


class Account(Base):
    """An organisation using Vantio; every object belongs to one account."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
