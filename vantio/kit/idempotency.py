"""Idempotency keys: a replayed POST gets the stored response, byte for byte.

A key is reserved in its own short transaction, so that concurrent requests see it; the stored
response is written in the request's own transaction, so the object and the answer that describes
it commit together. A request that fails releases its reservation, so the client may retry.
"""

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.responses import Response

from vantio.db.base import Base
from vantio.db.session import SessionMaker, transaction
from vantio.db.types import UTCDateTime
from vantio.errors import FieldError, IdempotencyKeyInFlight, IdempotencyKeyReused
from vantio.kit.ids import new_id
from vantio.kit.time import utc_now

IN_FLIGHT = "in_flight"
DONE = "done"
MAX_KEY_LENGTH = 255
_POLL_SECONDS = 0.05


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("account_id", "livemode", "route", "key"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64))
    livemode: Mapped[bool] = mapped_column(Boolean)
    route: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)


@dataclass(frozen=True)
class Scope:
    account_id: str
    livemode: bool
    route: str


@dataclass(frozen=True)
class Policy:
    ttl: timedelta
    wait_seconds: float
    lease: timedelta


@dataclass(frozen=True)
class Reservation:
    record_id: str


def key_of(header: str | None, body: bytes) -> str | None:
    """The key from the `Idempotency-Key` header, or else from the JSON body's `idempotency_key`."""
    key = header
    if key is None and body:
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):  # the endpoint reports the malformed body
            return None
        if isinstance(parsed, dict) and isinstance(parsed.get("idempotency_key"), str):
            key = parsed["idempotency_key"]
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH:
        raise FieldError("idempotency_key", f"must be 1 to {MAX_KEY_LENGTH} characters")
    if not key.isprintable():
        raise FieldError("idempotency_key", "must contain only printable characters")
    return key


def hash_request(body: bytes) -> str:
    """A digest of the body that ignores formatting: the same JSON sent twice hashes the same."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


async def reserve(
    sessionmaker: SessionMaker, *, scope: Scope, key: str, request_hash: str, policy: Policy
) -> Reservation | Response:
    """Reserve the key for this request, or return the stored response of an earlier one."""
    deadline = asyncio.get_running_loop().time() + policy.wait_seconds
    while True:
        outcome = await _try_reserve(sessionmaker, scope, key, request_hash, policy)
        if outcome is not None:
            return outcome
        if asyncio.get_running_loop().time() >= deadline:
            raise IdempotencyKeyInFlight()
        await asyncio.sleep(_POLL_SECONDS)


async def _try_reserve(
    sessionmaker: SessionMaker, scope: Scope, key: str, request_hash: str, policy: Policy
) -> Reservation | Response | None:
    now = utc_now()
    async with transaction(sessionmaker) as session:
        record = await _find(session, scope, key)
        if record is not None and record.created_at + policy.ttl < now:
            await session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id)
            )
            record = None
        if record is None:
            record_id = new_id("idem")
            session.add(
                IdempotencyRecord(
                    id=record_id,
                    account_id=scope.account_id,
                    livemode=scope.livemode,
                    route=scope.route,
                    key=key,
                    request_hash=request_hash,
                    state=IN_FLIGHT,
                    locked_until=now + policy.lease,
                )
            )
            try:
                await session.flush()
            except IntegrityError:
                await session.rollback()
                return None  # another request reserved it first; look again
            return Reservation(record_id)
        if record.request_hash != request_hash:
            raise IdempotencyKeyReused()
        if record.state == DONE:
            return Response(
                content=record.response_body,
                status_code=record.response_status or 200,
                media_type=record.response_media_type,
                headers={"Idempotent-Replayed": "true"},
            )
        if record.locked_until < now:
            # The request that reserved it died with its transaction: nothing of it committed.
            taken = await session.execute(
                update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.id == record.id,
                    IdempotencyRecord.locked_until == record.locked_until,
                )
                .values(locked_until=now + policy.lease)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return Reservation(record.id)
        return None


async def complete(session: AsyncSession, reservation: Reservation, response: Response) -> None:
    """Store the response in the request's own transaction."""
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == reservation.record_id)
        .values(
            state=DONE,
            response_status=response.status_code,
            response_media_type=response.media_type or response.headers.get("content-type"),
            response_body=bytes(response.body),
        )
    )


async def release(sessionmaker: SessionMaker, reservation: Reservation) -> None:
    async with transaction(sessionmaker) as session:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.id == reservation.record_id, IdempotencyRecord.state == IN_FLIGHT
            )
        )


async def _find(session: AsyncSession, scope: Scope, key: str) -> IdempotencyRecord | None:
    return (
        await session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.account_id == scope.account_id,
                IdempotencyRecord.livemode == scope.livemode,
                IdempotencyRecord.route == scope.route,
                IdempotencyRecord.key == key,
            )
        )
    ).first()
