from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin, UpdatedMixin
from vantio.db.types import JSONType, SealedText, UTCDateTime
from vantio.kit.time import utc_now


class WebhookEndpoint(TenantMixin, UpdatedMixin, Base):
    """Where an account's events are delivered, and the secret that signs them."""

    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    events: Mapped[list[str]] = mapped_column(JSONType)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Encrypted at rest with the server's key (vantio/kit/sealing.py); Python sees the secret.
    secret: Mapped[str] = mapped_column(SealedText(255, purpose="webhook_endpoints.secret"))
    # After a rotation the previous secret signs beside the new one until it expires.
    previous_secret: Mapped[str | None] = mapped_column(
        SealedText(255, purpose="webhook_endpoints.previous_secret"), nullable=True
    )
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set at the first failed attempt after a success; the endpoint is disabled when it gets old.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)

    def rotation_ends_at(self) -> datetime | None:
        """When the previous secret stops signing, while a rotation's grace period runs."""
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and expires > utc_now():
            return expires
        return None


class WebhookAttempt(TenantMixin, Base):
    """One try to deliver one event to one endpoint, kept for the event's history."""

    __tablename__ = "webhook_attempts"

    event_id: Mapped[str] = mapped_column(String(64), index=True)
    endpoint_id: Mapped[str] = mapped_column(String(64), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text, default="")
    succeeded: Mapped[bool] = mapped_column(Boolean)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
