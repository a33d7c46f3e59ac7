"""One row per idempotency key: reserved while its request runs, then holding the answer."""

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base
from vantio.db.types import SealedBytes, UTCDateTime
from vantio.kit.time import utc_now

MAX_KEY_LENGTH = 255


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("account_id", "livemode", "route", "key"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64))
    livemode: Mapped[bool] = mapped_column(Boolean)
    # The route's declared idempotency scope (`programs.create`).
    route: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Encrypted at rest: a stored answer may carry a secret (a webhook endpoint's, at creation
    # and rotation), kept here for the key's 24 hours.
    response_body: Mapped[bytes | None] = mapped_column(
        SealedBytes(purpose="idempotency_keys.response_body"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
