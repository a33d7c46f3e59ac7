from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin, UpdatedMixin
from vantio.db.types import JSONType


class Poster(TenantMixin, UpdatedMixin, Base):
    """A poster an ambassador put up; its QR code leads to `/s/<code>`."""

    __tablename__ = "posters"

    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    location: Mapped[str | None] = mapped_column(String(500), nullable=True)
    destination_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
