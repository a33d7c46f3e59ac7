"""Column types that differ between SQLite and PostgreSQL: the only place a dialect difference lives."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, LargeBinary, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

from vantio.kit import sealing


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite stores them naive, PostgreSQL as timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SealedText(TypeDecorator[str]):
    """A secret, encrypted at rest with the server's key (`vantio.kit.sealing`): Python sees the
    text, the database a sealed value naming its key. A row written before sealing (plain text)
    still reads; `vantio secrets rotate-key` seals it. `purpose` (the column) is bound into the
    seal, so a value copied to another column does not open."""

    impl = String
    cache_ok = True

    def __init__(self, length: int, *, purpose: str) -> None:
        super().__init__(length)
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return sealing.active().seal(value, purpose=self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return sealing.active().open(value, purpose=self.purpose)


class SealedBytes(TypeDecorator[bytes]):
    """Bytes encrypted at rest, as `SealedText` (stored answers that may carry a secret)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, *, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return sealing.active().seal_bytes(bytes(value), purpose=self.purpose)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return sealing.active().open_bytes(bytes(value), purpose=self.purpose)


JSONType: Any = JSON().with_variant(JSONB(), "postgresql")


def is_unique_violation(exc: BaseException) -> bool:
    """True when a DBAPI error (wrapped by SQLAlchemy) is a unique-constraint violation."""
    text = str(getattr(exc, "orig", exc)).lower()
    return sqlstate_of(exc) == "23505" or "unique constraint" in text or "duplicate key" in text


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error, bare or as SQLAlchemy wraps it (None on SQLite)."""
    return _field_of(exc, "sqlstate")


def detail_of(exc: BaseException) -> str | None:
    """The DETAIL of a PostgreSQL error (`RAISE ... USING DETAIL`), if it has one."""
    return _field_of(exc, "detail")


def _field_of(exc: BaseException, name: str) -> str | None:
    """A field of the driver's error: SQLAlchemy's `orig`, or asyncpg's own error as its cause."""
    orig = getattr(exc, "orig", exc)
    found = getattr(orig, name, None) or getattr(getattr(orig, "__cause__", None), name, None)
    return str(found) if found else None
