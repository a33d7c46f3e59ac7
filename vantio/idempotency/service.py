"""Idempotency keys: a replayed POST gets the stored answer, byte for byte.

A key is reserved in its own short transaction, so that concurrent requests see it; the answer is
stored in the request's own transaction, so the object and the answer that describes it commit
together. A request that fails releases its reservation, so the client may retry.

A reservation is a lease held by the request that runs (`holding` renews it every third of
`Policy.lease` while the request runs). A process that crashes stops renewing, so its lease runs
out within seconds and a retry with the same key takes the reservation over. Taking over gives the
row a new id: the row's id names its owner, so the request that lost it (one that stalled for a
whole lease) can neither renew it nor store its answer, and its transaction rolls back (409).

This module knows no HTTP: the request runner (`vantio.http.runner`) turns an HTTP answer into a
`StoredAnswer` and back.
"""

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.db.repository import owned_by
from vantio.db.session import SessionMaker, transaction
from vantio.errors import FieldError
from vantio.idempotency.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from vantio.idempotency.models import MAX_KEY_LENGTH, IdempotencyRecord
from vantio.kit.ids import new_id
from vantio.kit.time import utc_now

log = logging.getLogger("vantio.idempotency")

IN_FLIGHT = "in_flight"
DONE = "done"
_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Scope:
    """Keys are unique per account, mode and route (the route's declared scope)."""

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


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    media_type: str | None
    body: bytes


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


def hash_request(body: bytes, *, target: str) -> str:
    """A digest of the request: its target (path and query) and its body, ignoring JSON formatting.

    The target counts because a scope covers a route, not one object: the same key sent to
    `/webhook_endpoints/we_1/rotate_secret` and then to `.../we_2/...` is another request (409),
    not a replay of the first answer.
    """
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = body
    return hashlib.sha256(target.encode() + b"\n" + canonical).hexdigest()


async def reserve(
    sessionmaker: SessionMaker, *, scope: Scope, key: str, request_hash: str, policy: Policy
) -> Reservation | StoredAnswer:
    """Reserve the key for this request, or return the stored answer of an earlier one."""
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
) -> Reservation | StoredAnswer | None:
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
            return StoredAnswer(
                status=record.response_status or 200,
                media_type=record.response_media_type,
                body=record.response_body or b"",
            )
        if record.locked_until < now:
            # The request that reserved it stopped renewing its lease: its process died (and its
            # transaction with it: nothing of it committed). The new id makes the reservation
            # ours; the state and the lease compared here make sure no one else changed it
            # meanwhile (PostgreSQL re-checks them once a concurrent writer commits).
            record_id = new_id("idem")
            taken = await session.execute(
                update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.id == record.id,
                    IdempotencyRecord.state == IN_FLIGHT,
                    IdempotencyRecord.locked_until == record.locked_until,
                )
                .values(id=record_id, locked_until=now + policy.lease)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                log.info("idempotency key %s: took over a reservation whose lease ran out", key)
                return Reservation(record_id)
        return None


async def renew(sessionmaker: SessionMaker, reservation: Reservation, policy: Policy) -> bool:
    """Extend the lease of a running request's reservation; False once it is no longer ours."""
    async with transaction(sessionmaker) as session:
        renewed = await session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.id == reservation.record_id,
                IdempotencyRecord.state == IN_FLIGHT,
            )
            .values(locked_until=utc_now() + policy.lease)
        )
    return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def holding(
    sessionmaker: SessionMaker, reservation: Reservation, policy: Policy
) -> AsyncIterator[None]:
    """Keep the reservation's lease alive while the block (the request) runs."""
    interval = policy.lease.total_seconds() / 3

    async def renew_until_done() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                if not await renew(sessionmaker, reservation, policy):
                    return  # taken over: `complete` will refuse to store our answer
            except Exception as exc:
                # The database may be down for a moment; the next renewal may succeed.
                log.debug("renewing reservation %s failed: %r", reservation.record_id, exc)

    renewal = asyncio.create_task(renew_until_done(), name="idempotency lease")
    try:
        yield
    finally:
        renewal.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewal


async def complete(session: AsyncSession, reservation: Reservation, answer: StoredAnswer) -> None:
    """Store the answer in the request's own transaction; raises `IdempotencyKeyInFlight` (so the
    transaction rolls back) when another request took the reservation over."""
    stored = await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == reservation.record_id, IdempotencyRecord.state == IN_FLIGHT)
        .values(
            state=DONE,
            response_status=answer.status,
            response_media_type=answer.media_type,
            response_body=answer.body,
        )
    )
    if stored.rowcount != 1:  # type: ignore[attr-defined]
        raise IdempotencyKeyInFlight()


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
                owned_by(IdempotencyRecord, scope),
                IdempotencyRecord.route == scope.route,
                IdempotencyRecord.key == key,
            )
        )
    ).first()
