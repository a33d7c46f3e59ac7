"""Counters: a voucher's uses and each customer's, bumped and given back.

Counters are the database's job: an application bumps `usage_count` with one conditional UPDATE
(`usage_count < max_uses`) and the customer's counter row the same way, checked by row count, so
limits hold under any concurrency. On PostgreSQL the voucher's own counter is bumped at COMMIT
(`count_use` says why).
"""

from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, select, true, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.db.session import refused_at_commit
from vantio.db.types import detail_of, is_unique_violation
from vantio.kit.ids import new_id
from vantio.kit.time import utc_now
from vantio.vouchers import engine
from vantio.vouchers.models import Voucher, VoucherCustomerUsage


async def count_use(session: AsyncSession, *, voucher: Voucher, customer: str | None) -> None:
    """Count one use, or raise USAGE_LIMIT_EXCEEDED: the WHERE clause is the limit.

    On PostgreSQL the voucher's own counter is bumped at COMMIT, by the deferred trigger of
    migration 0015 with the same WHERE clause: an UPDATE here would hold the voucher's row
    until the commit, and every concurrent apply of the code waited for whatever its holder's
    process did in between (measured: 18 of 32 connections waiting on that lock, 80 applies/s).
    At commit time the row is held for the commit alone; a refusal there becomes the same
    USAGE_LIMIT_EXCEEDED (`_limit_reached_at_commit`). SQLite has one writer at a time anyway.
    """
    if session.get_bind().dialect.name != "postgresql":
        await _count_voucher_use(session, voucher=voucher)
    if customer is None:
        return
    await _ensure_customer_counter(session, voucher_id=voucher.id, customer=customer)
    condition: ColumnElement[bool] = (
        VoucherCustomerUsage.usage_count < voucher.customer_limit
        if voucher.customer_limit is not None
        else true()
    )
    bumped = await session.execute(
        update(VoucherCustomerUsage)
        .where(
            VoucherCustomerUsage.voucher_id == voucher.id,
            VoucherCustomerUsage.customer_key == customer,
            condition,
        )
        .values(usage_count=VoucherCustomerUsage.usage_count + 1, updated_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        raise engine.usage_exceeded(
            voucher.customer_limit or 0, voucher.customer_limit or 0, "per_customer"
        )


# Built once: every apply on SQLite runs it (migration 0015's trigger runs the same on PostgreSQL).
_BUMP = (
    update(Voucher)
    .where(
        Voucher.id == bindparam("the_voucher_id"),
        (Voucher.max_uses.is_(None)) | (Voucher.usage_count < Voucher.max_uses),
    )
    .values(usage_count=Voucher.usage_count + 1)
    .execution_options(synchronize_session=False)
)


async def _count_voucher_use(session: AsyncSession, *, voucher: Voucher) -> None:
    bumped = await session.execute(_BUMP, {"the_voucher_id": voucher.id})
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        used = await session.scalar(select(Voucher.usage_count).where(Voucher.id == voucher.id))
        raise engine.usage_exceeded(voucher.max_uses or 0, used or 0, "total_uses")


# The deferred trigger's refusal (migration 0015): its DETAIL is the voucher's max_uses, which
# its usage count has reached.
LIMIT_REACHED_SQLSTATE = "VU001"


def _limit_reached_at_commit(exc: DBAPIError) -> Exception:
    limit = int(detail_of(exc) or 0)
    return engine.usage_exceeded(limit, limit, "total_uses")


refused_at_commit(LIMIT_REACHED_SQLSTATE, _limit_reached_at_commit)


async def _ensure_customer_counter(
    session: AsyncSession, *, voucher_id: str, customer: str
) -> None:
    exists = await session.scalar(
        select(VoucherCustomerUsage.id).where(
            VoucherCustomerUsage.voucher_id == voucher_id,
            VoucherCustomerUsage.customer_key == customer,
        )
    )
    if exists is not None:
        return
    try:
        async with session.begin_nested():
            session.add(
                VoucherCustomerUsage(
                    id=new_id("vcu"), voucher_id=voucher_id, customer_key=customer, usage_count=0
                )
            )
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise  # a concurrent first use created it: fine


async def give_back(
    session: AsyncSession, *, voucher_id: str, customer: str | None, now: datetime
) -> None:
    """Give a rolled-back application's use back, to the voucher and its customer, never below 0."""
    await session.execute(
        update(Voucher)
        .where(Voucher.id == voucher_id, Voucher.usage_count > 0)
        .values(usage_count=Voucher.usage_count - 1)
        .execution_options(synchronize_session=False)
    )
    if customer is not None:
        await session.execute(
            update(VoucherCustomerUsage)
            .where(
                VoucherCustomerUsage.voucher_id == voucher_id,
                VoucherCustomerUsage.customer_key == customer,
                VoucherCustomerUsage.usage_count > 0,
            )
            .values(usage_count=VoucherCustomerUsage.usage_count - 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
