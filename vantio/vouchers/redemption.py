"""Redeeming codes: apply one to an order, roll an application back, remove a code by order.

The counters (`counters`) are the database's: limits hold under any concurrency. Everything a
call changes, its events included, is written in the caller's transaction.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.errors import FieldError
from vantio.events import service as event_service
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id
from vantio.kit.time import isoformat, utc_now
from vantio.vouchers import counters, engine, followed, validation
from vantio.vouchers.errors import (
    AlreadyRolledBack,
    ApplicationNotFound,
    VoucherAlreadyApplied,
    VoucherNotFound,
)
from vantio.vouchers.models import (
    Voucher,
    VoucherApplication,
    VoucherOrder,
    VoucherRollback,
)
from vantio.vouchers.schemas import ApplicationOut, ApplyRequest, Customer, Order, RollbackOut
from vantio.vouchers.service import get_voucher_by_code
from vantio.webhooks.schemas import EventType


def request_hash(order: Order | None, customer: Customer | None) -> str:
    canonical = json.dumps(
        {
            "order": order.model_dump(mode="json", exclude_none=True) if order else None,
            "customer": customer.model_dump(mode="json", exclude_none=True) if customer else None,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Applied:
    application: VoucherApplication
    created: bool  # False: the stored application of an identical earlier apply
    voucher: Voucher
    customer_key: str | None = None


async def apply(session: AsyncSession, auth: AuthContext, *, data: ApplyRequest) -> Applied:
    """Re-validate and record the application: one per (code, order).

    The use is not counted yet: the caller calls `count_use` for a created application, as the
    last statement before its commit (the counter's UPDATE holds the voucher's row until then on
    PostgreSQL, so every concurrent apply of the code waits for whatever comes after it).
    """
    voucher = await get_voucher_by_code(session, auth, code=data.code)
    if voucher is None:
        raise VoucherNotFound(f"No voucher with the code {data.code}", details={"code": data.code})
    await _lock_order(session, auth, order_id=data.order_id)
    digest = request_hash(data.order, data.customer)
    standing = await _standing_application(session, voucher_id=voucher.id, order_id=data.order_id)
    if standing is not None:
        return _replay(standing, voucher, data, digest)
    order, customer = data.order, data.customer
    validation_id = None
    if data.order_value is not None:
        if order is not None and order.value is not None and order.value != data.order_value:
            raise FieldError("order_value", "differs from order.value: send one of them")
        if order is None:
            order = Order(id=data.order_id, value=data.order_value)
    if order is None:
        order, remembered, validation_id = await followed.validated_order(
            session, auth, voucher=voucher, order_id=data.order_id, customer=customer
        )
        customer = customer or remembered
    key = validation.customer_key(customer)
    if voucher.customer_limit is not None and key is None:
        raise FieldError(
            "customer", "this voucher has a customer_limit: send customer.id or customer.email"
        )
    cart = validation.cart_of(order, customer, voucher.currency)
    candidates = await validation.candidates_of(session, auth, vouchers=[voucher], customer=key)
    others = await validation.standing_on(session, auth, order_id=data.order_id, exclude=[voucher])
    result = engine.evaluate(others + candidates, cart, utc_now())
    outcome = result.outcomes[0]
    now = utc_now()
    row = {
        "id": new_id("va"),
        "account_id": auth.account_id,
        "livemode": auth.livemode,
        "created_at": now,
        "voucher_id": voucher.id,
        "code": voucher.code,
        "voucher_type": voucher.type,
        "campaign_id": voucher.campaign_id,
        "order_id": data.order_id,
        "active_order_id": data.order_id,
        "customer_id": customer.id if customer else None,
        "customer_email": customer.email if customer else None,
        "customer_key": key,
        "customer_segment": customer.segment if customer else None,
        "request_hash": digest,
        "order_data": order.model_dump(mode="json", exclude_none=True),
        "order_value": cart.value,
        "discount_amount": outcome.discount_amount,
        "final_amount": result.final_amount,
        "currency": cart.currency,
        "breakdown": outcome.breakdown(),
        "status": "applied",
        "rolled_back_at": None,
        "metadata": metadata_rules.check(data.metadata),
        "validation_id": validation_id,
    }
    # One statement, no savepoint: a concurrent apply of the code to the order (or of the same
    # validation) that got there first leaves nothing inserted.
    inserted = await session.execute(_INSERT_APPLICATION[session.get_bind().dialect.name], row)
    if inserted.rowcount != 1:  # type: ignore[attr-defined]
        standing = await _standing_application(
            session, voucher_id=voucher.id, order_id=data.order_id
        )
        if standing is None and validation_id is not None:
            raise followed.competing()  # another order's apply took that validation first
        if standing is None:
            raise RuntimeError("an application conflicted with none standing on its order")
        return _replay(standing, voucher, data, digest)
    application = VoucherApplication(**{_ATTRIBUTES.get(k, k): v for k, v in row.items()})
    await event_service.record(
        session, auth, type=EventType.VOUCHER_APPLIED, data=_application_event(application)
    )
    return Applied(application, created=True, voucher=voucher, customer_key=key)


async def count_use(session: AsyncSession, applied: Applied) -> None:
    """Count a created application's use, or raise USAGE_LIMIT_EXCEEDED (the request then rolls
    back, the application with it)."""
    if applied.created:
        await counters.count_use(session, voucher=applied.voucher, customer=applied.customer_key)


# The statements every apply runs, built once (see `repository.owned_by_parameters`).
def _take_order(insert: Any) -> Any:
    """INSERT the order's row, or bump the one there: either way the row is this transaction's
    until it commits (one statement, where a SELECT, a savepoint around an INSERT and an UPDATE
    were five round trips)."""
    row = {
        "id": bindparam("row_id"),
        "account_id": bindparam("row_account_id"),
        "livemode": bindparam("row_livemode"),
        "order_id": bindparam("row_order_id"),
        "applies": 1,
    }
    return (
        insert(VoucherOrder)
        .values(row)
        .on_conflict_do_update(
            index_elements=["account_id", "livemode", "order_id"],
            set_={"applies": VoucherOrder.applies + 1},
        )
    )


_TAKE_ORDER = {"postgresql": _take_order(postgresql_insert), "sqlite": _take_order(sqlite_insert)}
_APPLICATIONS = cast(Table, VoucherApplication.__table__)
_INSERT_APPLICATION = {
    "postgresql": postgresql_insert(_APPLICATIONS).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(_APPLICATIONS).on_conflict_do_nothing(),
}
_ATTRIBUTES = {"metadata": "metadata_"}  # column name -> mapped attribute, where they differ
_STANDING = (
    select(VoucherApplication)
    .where(
        VoucherApplication.voucher_id == bindparam("voucher_id"),
        VoucherApplication.active_order_id == bindparam("order_id"),
    )
    .execution_options(populate_existing=True)
)


async def _lock_order(session: AsyncSession, auth: AuthContext, *, order_id: str) -> None:
    """Hold the order's row until commit: concurrent applies to one order take turns, so each
    sees the applications the previous ones left (stacking rules hold under concurrency)."""
    take = _TAKE_ORDER[session.get_bind().dialect.name]
    parameters = {
        "row_id": new_id("vord"),
        "row_account_id": auth.account_id,
        "row_livemode": auth.livemode,
        "row_order_id": order_id,
    }
    await session.execute(take, parameters)


def _replay(
    standing: VoucherApplication, voucher: Voucher, data: ApplyRequest, digest: str
) -> Applied:
    if (data.order is None and data.customer is None) or standing.request_hash == digest:
        return Applied(standing, created=False, voucher=voucher)
    raise VoucherAlreadyApplied(
        details={
            "order_id": data.order_id,
            "voucher_id": standing.voucher_id,
            "application_id": standing.id,
        }
    )


async def _standing_application(
    session: AsyncSession, *, voucher_id: str, order_id: str
) -> VoucherApplication | None:
    parameters = {"voucher_id": voucher_id, "order_id": order_id}
    return (await session.scalars(_STANDING, parameters)).first()


def _application_event(application: VoucherApplication) -> dict[str, Any]:
    data = ApplicationOut.of(application).model_dump(mode="json")
    data["voucher_id"] = application.voucher_id
    data["customer_email"] = application.customer_email
    return data


async def get_application_or_raise(
    session: AsyncSession, auth: AuthContext, *, application_id: str
) -> VoucherApplication:
    application = await repository.get(session, VoucherApplication, auth, application_id)
    if application is None:
        raise ApplicationNotFound(details={"application_id": application_id})
    return application


async def rollback(
    session: AsyncSession, auth: AuthContext, *, application_id: str, reason: str | None = None
) -> VoucherRollback:
    """Undo an application: its usage is given back exactly, once."""
    application = await get_application_or_raise(session, auth, application_id=application_id)
    now = utc_now()
    voided = await session.execute(
        update(VoucherApplication)
        .where(VoucherApplication.id == application.id, VoucherApplication.status == "applied")
        .values(status="rolled_back", active_order_id=None, rolled_back_at=now)
        .execution_options(synchronize_session=False)
    )
    if voided.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(application)
        raise AlreadyRolledBack(
            details={
                "application_id": application.id,
                "rolled_back_at": isoformat(application.rolled_back_at),
            }
        )
    await counters.give_back(
        session, voucher_id=application.voucher_id, customer=application.customer_key, now=now
    )
    record = VoucherRollback(
        id=new_id("vr"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        created_at=now,
        application_id=application.id,
        voucher_id=application.voucher_id,
        order_id=application.order_id,
        discount_amount=application.discount_amount,
        currency=application.currency,
        reason=reason,
    )
    session.add(record)
    await session.flush()
    await session.refresh(application)
    data = RollbackOut.of(record, application.code).model_dump(mode="json")
    data["voucher_id"] = application.voucher_id
    await event_service.record(session, auth, type=EventType.VOUCHER_ROLLBACK, data=data)
    return record


async def remove(
    session: AsyncSession, auth: AuthContext, *, code: str, order_id: str, reason: str | None = None
) -> VoucherRollback:
    """The SDK's `remove({code, order_id})`: roll back that code's application on that order."""
    voucher = await get_voucher_by_code(session, auth, code=code)
    if voucher is None:
        raise VoucherNotFound(f"No voucher with the code {code}", details={"code": code})
    latest = (
        await session.scalars(
            repository.scoped(VoucherApplication, auth)
            .where(
                VoucherApplication.voucher_id == voucher.id, VoucherApplication.order_id == order_id
            )
            .order_by(VoucherApplication.id.desc())
            .limit(1)
        )
    ).first()
    if latest is None:
        raise ApplicationNotFound(
            f"The code {code} is not applied to order {order_id}",
            details={"code": code, "order_id": order_id},
        )
    return await rollback(session, auth, application_id=latest.id, reason=reason)


async def rollback_out(
    session: AsyncSession, auth: AuthContext, record: VoucherRollback
) -> RollbackOut:
    application = await get_application_or_raise(
        session, auth, application_id=record.application_id
    )
    return RollbackOut.of(record, application.code)
