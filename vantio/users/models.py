from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin, UpdatedMixin
from vantio.db.types import JSONType


class User(TenantMixin, UpdatedMixin, Base):
    """An ambassador (the docs' "user" or "student") of one program."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("program_id", "email_normalized"),)

    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    email_normalized: Mapped[str] = mapped_column(String(320))
    profile_picture: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
